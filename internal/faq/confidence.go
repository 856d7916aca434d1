package faq

import "math"

// Features describe how well the best article matched a message; the
// confidence is a logistic function of them.
type Features struct {
	Score   float64 // the top article's ranking score
	Margin  float64 // how far ahead of the second it is
	BM25    float64 // its share of the best possible BM25F score
	Cosine  float64 // its best cosine with a title or sample question
	Unknown float64 // share of the message's words nobody knows
	Terms   float64 // words of substance in the message

	Coverage float64 // share of the message's weight the article contains
	MaxMiss  float64 // the heaviest word of the message it lacks, as a share
}

func (f Features) vector() []float64 {
	return []float64{f.Score, f.Margin, f.BM25, f.Cosine, f.Unknown, math.Log1p(f.Terms), f.Coverage, f.MaxMiss,
		f.Margin / math.Max(f.Score, 1e-9)}
}

// calibration holds the logistic coefficients (intercept first, then one
// per feature in the order of vector), fitted with FitCalibration on the
// labelled messages of testdata/dev.jsonl and testdata/extra.jsonl together
// (`staffbot kb eval --fit` over both prints them), so that the confidence
// reads as the chance that the top article is the right one.
var calibration = []float64{-6.842, 1.949, 2.672, 2.186, 1.239, -0.780, 1.585, 2.112, 2.061, 2.445}

// Band thresholds on the confidence, chosen on the same messages by
// BestThreshold and BestMiddle: High gives the most messages handled
// rightly (answered with the right article, or honestly not answered)
// while answering at most MaxWrong of them wrongly; Middle marks where
// offering the first three articles helps more often than not.
var (
	HighThreshold   = 0.664
	MiddleThreshold = 0.217
)

func (f Features) confidence() float64 {
	return logistic(calibration, f.vector())
}

func logistic(coef, x []float64) float64 {
	z := coef[0]
	for i, v := range x {
		z += coef[i+1] * v
	}
	return 1 / (1 + math.Exp(-z))
}

func bandOf(c float64) Band {
	switch {
	case c >= HighThreshold:
		return BandHigh
	case c >= MiddleThreshold:
		return BandMiddle
	}
	return BandLow
}
