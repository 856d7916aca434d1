package faq

import (
	"fmt"
	"hash/fnv"
	"os"
	"testing"
)

func holdout(q string) bool {
	h := fnv.New32a()
	h.Write([]byte(q))
	return h.Sum32()%10 < 3
}

func TestDebugDev(t *testing.T) {
	if os.Getenv("FAQ_DEBUG") == "" {
		t.Skip()
	}
	if v := os.Getenv("FAQ_CTX"); v != "" {
		fmt.Sscanf(v, "%f,%f,%f", &contextWeight[0], &contextWeight[1], &contextWeight[2])
	}
	if v := os.Getenv("FAQ_FW"); v != "" {
		fmt.Sscanf(v, "%f,%f,%f,%f", &fieldWeight[0], &fieldWeight[1], &fieldWeight[2], &fieldWeight[3])
	}
	if v := os.Getenv("FAQ_MIX"); v != "" {
		fmt.Sscanf(v, "%f", &weightBM25)
		weightCosine = 1 - weightBM25
	}
	ix := mustTestIndex(t)
	items := mustDev(t)
	var tune, hold []Labelled
	for _, it := range items {
		if holdout(it.Q) {
			hold = append(hold, it)
		} else {
			tune = append(tune, it)
		}
	}
	outs := Run(ix, tune)
	coef := FitCalibration(outs)
	fmt.Printf("coef %v\n", coef)
	outs = WithCalibration(outs, coef)
	th := BestThreshold(outs)
	r := Summarize(outs, th)
	r.Print(os.Stdout)
	fmt.Println("--- 5-fold on tune")
	CrossValidate(outs, 5).Print(os.Stdout)
	if os.Getenv("FAQ_HOLD") != "" {
		fmt.Println("--- holdout")
		ho := WithCalibration(Run(ix, hold), coef)
		Summarize(ho, th).Print(os.Stdout)
	}
	if os.Getenv("FAQ_FAIL") != "" {
		for _, o := range outs {
			want := "-"
			if o.Item.ID != nil {
				want = *o.Item.ID
			}
			ans := o.answered(th)
			ok := (want == "-" && ans == "") || (want == ans)
			if ok && os.Getenv("FAQ_FAIL") != "all" {
				continue
			}
			var top []string
			for i, h := range o.Result.Hits {
				if i < 3 {
					top = append(top, fmt.Sprintf("%s:%.2f", h.ID, h.Score))
				}
			}
			fmt.Printf("%-10s %-5v c=%.2f want=%-24s ans=%-22s %v | %s | %+v\n", o.Item.Kind, ok, o.Result.Confidence, want, ans, top, o.Item.Q, o.Result.Features)
		}
	}
}

func TestDebugExplain(t *testing.T) {
	q := os.Getenv("FAQ_Q")
	if q == "" {
		t.Skip()
	}
	ix := mustTestIndex(t)
	an := ix.analyze(q)
	fmt.Printf("mode=%s small=%q unknown=%.2f content=%d\n", an.mode, an.small, an.unknown, an.content)
	for _, qt := range an.terms {
		fmt.Printf("  %-16s w=%.2f idf=%.2f df=%d\n", qt.stem, qt.w, qt.ti.idf, len(qt.ti.post))
	}
	res := ix.Search(q, Audience{All: true})
	for _, h := range res.Hits {
		fmt.Printf("  hit %-26s %.3f\n", h.ID, h.Score)
	}
	fmt.Printf("conf=%.2f %+v\n", res.Confidence, res.Features)
}
