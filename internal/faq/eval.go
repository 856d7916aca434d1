package faq

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"
)

// Labelled is one line of a labelled question file: the message, the
// article that answers it (nil when none does) and what kind of message
// it is.
type Labelled struct {
	Q    string  `json:"q"`
	ID   *string `json:"id"`
	Kind string  `json:"kind"`
}

// Answerable reports whether some article answers the message.
func (l Labelled) Answerable() bool { return l.ID != nil && *l.ID != "" }

// ReadLabelled reads a JSON-lines file of labelled messages.
func ReadLabelled(r io.Reader) ([]Labelled, error) {
	var out []Labelled
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var l Labelled
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// Outcome is the engine's result on one labelled message.
type Outcome struct {
	Item    Labelled
	Result  Result
	Latency time.Duration
}

// Run searches every message, ignoring visibility, and times each search.
func Run(ix *Index, items []Labelled) []Outcome {
	out := make([]Outcome, len(items))
	for i, it := range items {
		start := time.Now()
		res := ix.Search(it.Q, Audience{All: true})
		out[i] = Outcome{Item: it, Result: res, Latency: time.Since(start)}
	}
	return out
}

// answered returns the article the bot would answer with at threshold.
func (o *Outcome) answered(threshold float64) string {
	if len(o.Result.Hits) == 0 || o.Result.Confidence < threshold {
		return ""
	}
	return o.Result.Hits[0].ID
}

func (o *Outcome) rank() int {
	if !o.Item.Answerable() {
		return -1
	}
	for i, h := range o.Result.Hits {
		if h.ID == *o.Item.ID {
			return i
		}
	}
	return -1
}

// Report holds the figures of an evaluation, as the FAQ README defines
// them.
type Report struct {
	Messages   int
	Answerable int
	Threshold  float64

	Top1    float64 // right article first, over answerable messages
	Top3    float64 // right article among the first three
	Correct float64 // answered rightly or rightly not answered, over all
	Wrong   float64 // answered with a wrong article, over all

	Kinds []KindReport

	Median time.Duration
	P99    time.Duration
}

// KindReport is top-1 accuracy for an answerable kind, or the share
// rejected for a kind with no answer.
type KindReport struct {
	Kind string
	N    int
	Rate float64
	Null bool
}

// Summarize computes the report of outcomes at a confidence threshold.
func Summarize(outs []Outcome, threshold float64) Report {
	r := Report{Messages: len(outs), Threshold: threshold}
	type acc struct {
		n, ok int
		null  bool
	}
	kinds := map[string]*acc{}
	var top1, top3, correct, wrong int
	lat := make([]time.Duration, 0, len(outs))
	for i := range outs {
		o := &outs[i]
		lat = append(lat, o.Latency)
		k := kinds[o.Item.Kind]
		if k == nil {
			k = &acc{null: !o.Item.Answerable()}
			kinds[o.Item.Kind] = k
		}
		k.n++
		ans := o.answered(threshold)
		if !o.Item.Answerable() {
			if ans == "" {
				correct++
				k.ok++
			} else {
				wrong++
			}
			continue
		}
		r.Answerable++
		rank := o.rank()
		if rank == 0 {
			top1++
			k.ok++
		}
		if rank >= 0 && rank < 3 {
			top3++
		}
		switch {
		case ans == *o.Item.ID:
			correct++
		case ans != "":
			wrong++
		}
	}
	if r.Answerable > 0 {
		r.Top1 = float64(top1) / float64(r.Answerable)
		r.Top3 = float64(top3) / float64(r.Answerable)
	}
	if r.Messages > 0 {
		r.Correct = float64(correct) / float64(r.Messages)
		r.Wrong = float64(wrong) / float64(r.Messages)
	}
	for name, k := range kinds {
		r.Kinds = append(r.Kinds, KindReport{Kind: name, N: k.n, Rate: float64(k.ok) / float64(k.n), Null: k.null})
	}
	sort.Slice(r.Kinds, func(i, j int) bool {
		if r.Kinds[i].Null != r.Kinds[j].Null {
			return !r.Kinds[i].Null
		}
		return r.Kinds[i].Kind < r.Kinds[j].Kind
	})
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		r.Median = lat[len(lat)/2]
		r.P99 = lat[min(len(lat)-1, int(math.Ceil(0.99*float64(len(lat))))-1)]
	}
	return r
}

// Print writes the report as a short table.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "messages        %d (%d answerable)\n", r.Messages, r.Answerable)
	if math.IsNaN(r.Threshold) { // cross-validated: each fold fits its own
		fmt.Fprintln(w, "threshold       fitted per fold")
	} else {
		fmt.Fprintf(w, "threshold       %.2f\n", r.Threshold)
	}
	fmt.Fprintf(w, "top-1           %5.1f %%\n", 100*r.Top1)
	fmt.Fprintf(w, "top-3           %5.1f %%\n", 100*r.Top3)
	fmt.Fprintf(w, "overall correct %5.1f %%\n", 100*r.Correct)
	fmt.Fprintf(w, "wrong answers   %5.1f %%\n", 100*r.Wrong)
	fmt.Fprintln(w, "per kind (top-1; for kinds with no answer, share rejected):")
	for _, k := range r.Kinds {
		what := "top-1"
		if k.Null {
			what = "rejected"
		}
		fmt.Fprintf(w, "  %-11s %3d  %5.1f %% %s\n", k.Kind, k.N, 100*k.Rate, what)
	}
	fmt.Fprintf(w, "latency         median %s, p99 %s\n", r.Median.Round(time.Microsecond), r.P99.Round(time.Microsecond))
}

// MaxWrong is the share of wrong answers a threshold may allow on the
// labelled messages it is chosen on. A wrong answer is worse than an
// honest "I don't know": the employee acts on it. Messages the engine was
// not tuned on are answered wrongly more often, so the cap sits below the
// 5 % a company should tolerate.
const MaxWrong = 0.03

// BestThreshold picks the confidence threshold with the highest overall
// correct rate among those whose wrong-answer rate stays within MaxWrong
// (when none does, the one with the fewest wrong answers). Among equals it
// takes the highest, which answers least wrongly, and it sits halfway
// between two messages' confidences rather than on one.
func BestThreshold(outs []Outcome) float64 {
	cands := []float64{0, 1.000001}
	for i := range outs {
		cands = append(cands, outs[i].Result.Confidence)
	}
	sort.Float64s(cands)
	best := len(cands) - 1
	bestCorrect, bestWrong := math.Inf(-1), math.Inf(1)
	for i, t := range cands {
		r := Summarize(outs, t)
		switch {
		case r.Wrong <= MaxWrong && (bestWrong > MaxWrong || r.Correct >= bestCorrect):
			best, bestCorrect, bestWrong = i, r.Correct, r.Wrong
		case r.Wrong > MaxWrong && bestWrong > MaxWrong && r.Wrong <= bestWrong:
			best, bestCorrect, bestWrong = i, r.Correct, r.Wrong
		}
	}
	if best == 0 {
		return cands[0]
	}
	return (cands[best-1] + cands[best]) / 2
}
