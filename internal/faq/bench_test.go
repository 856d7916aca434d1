package faq

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

// synthArticles makes n articles by recombining the test knowledge base:
// each takes the title, questions and answer of one article and the
// question and half of the answer of another, so the vocabulary and the
// lengths stay realistic.
func synthArticles(t testing.TB, n int) []Article {
	t.Helper()
	base := mustTestIndex(t).articles
	out := make([]Article, 0, n)
	for i := range n {
		a := base[i%len(base)]
		b := base[(i*7+3)%len(base)]
		half := []rune(b.Answer)
		out = append(out, Article{
			ID:        fmt.Sprintf("%s-%d", a.ID, i),
			Title:     a.Title,
			Questions: append(append([]string(nil), a.Questions...), b.Questions[0]),
			Answer:    a.Answer + " " + string(half[:len(half)/2]),
			Tags:      append(append([]string(nil), a.Tags...), b.Tags...),
		})
	}
	return out
}

func BenchmarkSearch1000(b *testing.B) {
	ix, err := Build(synthArticles(b, 1000))
	if err != nil {
		b.Fatal(err)
	}
	items := mustDev(b)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		ix.Search(items[i%len(items)].Q, Audience{All: true})
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds()), "p99-µs")
}

func BenchmarkBuild10000(b *testing.B) {
	arts := synthArticles(b, 10000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Build(arts); err != nil {
			b.Fatal(err)
		}
	}
}
