package faq

import (
	"math"
)

// FitCalibration fits the logistic coefficients of the confidence to
// labelled outcomes: the label is whether the top article is the right
// one (always false for messages with no answer). It uses plain gradient
// descent with a little L2 regularisation, which is plenty for six
// features and a few hundred messages.
func FitCalibration(outs []Outcome) []float64 {
	var xs [][]float64
	var ys []float64
	for i := range outs {
		o := &outs[i]
		if len(o.Result.Hits) == 0 {
			continue
		}
		xs = append(xs, o.Result.Features.vector())
		y := 0.0
		if o.rank() == 0 {
			y = 1
		}
		ys = append(ys, y)
	}
	dim := len(calibration)
	coef := make([]float64, dim)
	if len(xs) == 0 {
		return append([]float64(nil), calibration...)
	}
	const (
		rate   = 0.5
		lambda = 0.001
		steps  = 20000
	)
	grad := make([]float64, dim)
	n := float64(len(xs))
	for range steps {
		clear(grad)
		for i, x := range xs {
			e := logistic(coef, x) - ys[i]
			grad[0] += e
			for j, v := range x {
				grad[j+1] += e * v
			}
		}
		for j := range coef {
			g := grad[j] / n
			if j > 0 {
				g += lambda * coef[j]
			}
			coef[j] -= rate * g
		}
	}
	return coef
}

// WithCalibration returns a copy of outs whose confidences are recomputed
// with coef.
func WithCalibration(outs []Outcome, coef []float64) []Outcome {
	cp := make([]Outcome, len(outs))
	copy(cp, outs)
	for i := range cp {
		if len(cp[i].Result.Hits) > 0 {
			cp[i].Result.Confidence = logistic(coef, cp[i].Result.Features.vector())
		}
	}
	return cp
}

// CrossValidate estimates how calibration and threshold generalise: for
// each of k folds it fits both on the other folds and measures the fold,
// then sums the figures over all folds. Folds are taken by position, every
// k-th message, so each has the mix of kinds the file has.
func CrossValidate(outs []Outcome, k int) Report {
	held := make([]Outcome, 0, len(outs))
	for f := range k {
		var train, test []Outcome
		for i := range outs {
			if i%k == f {
				test = append(test, outs[i])
			} else {
				train = append(train, outs[i])
			}
		}
		coef := FitCalibration(train)
		th := BestThreshold(WithCalibration(train, coef))
		for _, o := range WithCalibration(test, coef) {
			// Bake the fold's threshold into the outcome: below it the
			// message counts as not answered.
			if o.Result.Confidence < th {
				o.Result.Confidence = -1
			}
			held = append(held, o)
		}
	}
	r := Summarize(held, 0)
	r.Threshold = math.NaN()
	return r
}

// BestMiddle picks the lower band's threshold below high: the one that
// maximises, over messages whose confidence falls between the two, the
// number whose right article is among the first three minus half the
// number where it is not (or where there is none): offering alternatives,
// with the way to HR under them, should help more often than not.
func BestMiddle(outs []Outcome, high float64) float64 {
	cands := []float64{high}
	for i := range outs {
		if c := outs[i].Result.Confidence; c < high && len(outs[i].Result.Hits) > 0 {
			cands = append(cands, c)
		}
	}
	best, bestGain := high, 0
	for _, m := range cands {
		gain := 0
		for i := range outs {
			o := &outs[i]
			c := o.Result.Confidence
			if len(o.Result.Hits) == 0 || c < m || c >= high {
				continue
			}
			if r := o.rank(); r >= 0 && r < 3 {
				gain += 2
			} else {
				gain--
			}
		}
		if gain > bestGain || (gain == bestGain && m > best) {
			best, bestGain = m, gain
		}
	}
	return best
}

// Fit refits the confidence and both thresholds on labelled outcomes; see
// FitCalibration, BestThreshold and BestMiddle.
func Fit(outs []Outcome) (coef []float64, high, middle float64) {
	coef = FitCalibration(outs)
	cal := WithCalibration(outs, coef)
	high = BestThreshold(cal)
	return coef, high, BestMiddle(cal, high)
}
