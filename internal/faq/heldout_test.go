package faq

import (
	"hash/fnv"
	"testing"
)

// holdout puts about 30 % of the labelled messages aside, by a hash of the
// text. The engine's vocabulary and weights were tuned looking only at
// failures among the other 70 %.
func holdout(q string) bool {
	h := fnv.New32a()
	h.Write([]byte(q))
	return h.Sum32()%10 < 3
}

// TestEval_HeldOut estimates how the engine does on messages it was not
// tuned on: calibration and threshold are fitted on the 70 % and applied to
// the 30 % held out. The floors are below the measured figures (78.8 %
// correct, 2.0 % wrong, 88.0 % top-1 when last measured) to absorb small
// changes. The vocabulary has since been widened partly after reading
// failures of the whole file, so this is an optimistic estimate.
func TestEval_HeldOut(t *testing.T) {
	ix := mustTestIndex(t)
	var tune, hold []Outcome
	for _, o := range Run(ix, mustDev(t)) {
		if holdout(o.Item.Q) {
			hold = append(hold, o)
		} else {
			tune = append(tune, o)
		}
	}
	coef := FitCalibration(tune)
	th := BestThreshold(WithCalibration(tune, coef))
	r := Summarize(WithCalibration(hold, coef), th)
	t.Logf("held out: %d messages, overall correct %.1f %%, wrong %.1f %%, top-1 %.1f %%",
		r.Messages, 100*r.Correct, 100*r.Wrong, 100*r.Top1)
	if r.Correct < 0.76 || r.Wrong > 0.06 {
		t.Errorf("held out: correct %.1f %%, wrong %.1f %%; want at least 76 %% and at most 6 %%", 100*r.Correct, 100*r.Wrong)
	}
}

// TestEval_CrossValidation checks that calibration and threshold are not
// fitted to a few messages: five-fold estimates stay near the committed
// figure.
func TestEval_CrossValidation(t *testing.T) {
	ix := mustTestIndex(t)
	r := CrossValidate(Run(ix, mustDev(t)), 5)
	t.Logf("5-fold: overall correct %.1f %%, wrong %.1f %%", 100*r.Correct, 100*r.Wrong)
	if r.Correct < committedCorrect-0.03 || r.Wrong > 0.07 {
		t.Errorf("5-fold: correct %.1f %%, wrong %.1f %%", 100*r.Correct, 100*r.Wrong)
	}
}

// TestEval_Extra measures the messages of testdata/extra.jsonl: questions
// we wrote ourselves, in the kinds of the labelled set, to check that the
// engine reads people it was not tuned on (83.3 % correct, 1.6 % wrong,
// 91.4 % top-1 when last measured).
func TestEval_Extra(t *testing.T) {
	ix := mustTestIndex(t)
	r := Summarize(Run(ix, mustLabelled(t, "testdata/extra.jsonl")), HighThreshold)
	t.Logf("extra: %d messages, overall correct %.1f %%, wrong %.1f %%, top-1 %.1f %%",
		r.Messages, 100*r.Correct, 100*r.Wrong, 100*r.Top1)
	if r.Messages < 150 || r.Correct < 0.80 || r.Wrong > 0.05 || r.Top1 < 0.87 {
		t.Errorf("extra: %d messages, correct %.1f %%, wrong %.1f %%, top-1 %.1f %%; want at least 80 %%, at most 5 %%, 87 %%",
			r.Messages, 100*r.Correct, 100*r.Wrong, 100*r.Top1)
	}
}

// TestEval_Unseen measures testdata/unseen.jsonl: 176 messages we wrote
// after the engine and its confidence were fitted, to estimate how it does
// on a set nobody tuned it on (only three kinds of misreading seen in its
// first half were mended since). It is a measurement, not a target to tune
// against; the floors only catch a change that makes the engine much worse
// on people it has not met (77.8 % correct, 7.4 % wrong, 89.6 % top-1 when
// last measured — short of the 80 % / 5 % a company wants).
func TestEval_Unseen(t *testing.T) {
	ix := mustTestIndex(t)
	r := Summarize(Run(ix, mustLabelled(t, "testdata/unseen.jsonl")), HighThreshold)
	t.Logf("unseen: %d messages, overall correct %.1f %%, wrong %.1f %%, top-1 %.1f %%",
		r.Messages, 100*r.Correct, 100*r.Wrong, 100*r.Top1)
	if r.Messages < 170 || r.Correct < 0.74 || r.Wrong > 0.10 || r.Top1 < 0.85 {
		t.Errorf("unseen: %d messages, correct %.1f %%, wrong %.1f %%, top-1 %.1f %%; want at least 74 %%, at most 10 %%, 85 %%",
			r.Messages, 100*r.Correct, 100*r.Wrong, 100*r.Top1)
	}
}
