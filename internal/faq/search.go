package faq

import (
	"math"
	"sort"
)

// Band is what the bot does with a result.
type Band string

// Confidence bands.
const (
	// BandHigh: answer with the top article.
	BandHigh Band = "high"
	// BandMiddle: offer the top articles to choose from.
	BandMiddle Band = "middle"
	// BandLow: say honestly that the bot does not know.
	BandLow Band = "low"
)

// Hit is one ranked article.
type Hit struct {
	ID    string
	Score float64
	index int
}

// Result is the engine's reading of one message.
type Result struct {
	// Hits are the best visible articles, best first, at most MaxHits.
	Hits []Hit

	// Confidence estimates the chance that the first hit answers the
	// message, from 0 to 1.
	Confidence float64
	Band       Band

	// SmallTalk is set when the message is chit-chat; Hits are empty then.
	SmallTalk SmallTalk

	// Mode tells how the message was read.
	Mode Mode

	// Features are what the confidence was computed from.
	Features Features
}

// Top returns the first hit's article id, or "".
func (r *Result) Top() string {
	if len(r.Hits) == 0 {
		return ""
	}
	return r.Hits[0].ID
}

// Answer returns the id the bot answers with, or "" when it would not.
func (r *Result) Answer() string {
	if r.Band != BandHigh {
		return ""
	}
	return r.Top()
}

// MaxHits is how many articles a result lists.
const MaxHits = 5

// Search ranks the articles visible to aud for a message.
func (ix *Index) Search(text string, aud Audience) Result {
	q := ix.analyze(text)
	res := Result{Mode: q.mode, SmallTalk: q.small, Band: BandLow}
	if q.small != TalkNone || len(q.terms) == 0 || len(ix.articles) == 0 {
		return res
	}

	scores := ix.score(&q)
	order := make([]int, 0, len(scores))
	for d, s := range scores {
		if s.total > 0 && ix.articles[d].Visible(aud) {
			order = append(order, d)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := scores[order[i]], scores[order[j]]
		if a.total != b.total {
			return a.total > b.total
		}
		return order[i] < order[j]
	})
	if len(order) > MaxHits {
		order = order[:MaxHits]
	}
	for _, d := range order {
		res.Hits = append(res.Hits, Hit{ID: ix.articles[d].ID, Score: scores[d].total, index: d})
	}
	if len(order) == 0 {
		return res
	}

	top := scores[order[0]]
	f := Features{
		Score:   top.total,
		BM25:    top.bm25,
		Cosine:  top.cosine,
		Unknown: q.unknown / float64(max(q.content, 1)),
		Terms:   float64(q.content),
	}
	f.Coverage, f.MaxMiss = ix.coverage(&q, int32(order[0]))
	if len(order) > 1 {
		f.Margin = top.total - scores[order[1]].total
	} else {
		f.Margin = top.total
	}
	res.Features = f
	res.Confidence = f.confidence()
	res.Band = bandOf(res.Confidence)
	return res
}

// coverage tells how much of the message the article contains: the share
// of the message's idf mass it has, and the largest single piece it lacks.
func (ix *Index) coverage(q *query, doc int32) (cov, maxMiss float64) {
	var have, total float64
	for _, t := range q.terms {
		m := t.w * t.ti.idf
		total += m
		i := sort.Search(len(t.ti.post), func(i int) bool { return t.ti.post[i].doc >= doc })
		if i < len(t.ti.post) && t.ti.post[i].doc == doc {
			have += m
			continue
		}
		maxMiss = max(maxMiss, m)
	}
	total += q.unknown * ix.idfMax
	maxMiss = max(maxMiss, q.unknownMax*ix.idfMax)
	if total == 0 {
		return 0, 0
	}
	return have / total, maxMiss / total
}

type docScore struct {
	bm25   float64 // BM25F over all fields, divided by the best a document could get
	cosine float64 // best cosine between the message and a title or sample question
	total  float64
}

// Weights of the two scores in the ranking.
var (
	weightBM25   = 0.75
	weightCosine = 0.25
)

func (ix *Index) score(q *query) []docScore {
	scores := make([]docScore, len(ix.articles))
	unitDot := make(map[int32]float64, 64)

	// The most a document could score: every term of the message, each
	// saturated. Words nobody knows count at the highest idf, so a message
	// that is mostly about something else scores low everywhere.
	var maxMass, qNorm2 float64
	for _, t := range q.terms {
		wi := t.w * t.ti.idf
		maxMass += wi
		qNorm2 += wi * wi
	}
	unknownMass := q.unknown * ix.idfMax
	maxMass += unknownMass
	qNorm2 += unknownMass * unknownMass / math.Max(q.unknown, 1)
	if maxMass == 0 {
		return scores
	}
	qNorm := math.Sqrt(qNorm2)

	for _, t := range q.terms {
		wi := t.w * t.ti.idf
		for _, p := range t.ti.post {
			var tfw float64
			for f := range nFields {
				if p.tf[f] == 0 {
					continue
				}
				norm := 1 - fieldB[f] + fieldB[f]*float64(ix.docLen[p.doc][f])/ix.avgLen[f]
				tfw += fieldWeight[f] * float64(p.tf[f]) / norm
			}
			scores[p.doc].bm25 += wi * tfw / (bm25K1 + tfw)
		}
		for _, u := range t.ti.units {
			unitDot[u] += wi * t.ti.idf
		}
	}
	for u, dot := range unitDot {
		un := ix.units[u]
		c := dot / (qNorm * un.norm)
		if d := &scores[un.doc]; c > d.cosine {
			d.cosine = c
		}
	}
	for d := range scores {
		s := &scores[d]
		s.bm25 /= maxMass
		s.total = weightBM25*s.bm25 + weightCosine*s.cosine
	}
	return scores
}

// Terms returns the words a message is about, as the engine read them:
// its known and unknown terms, the weightiest first, at most eight. Similar
// questions share most of them, which is how unanswered questions are
// grouped for HR.
func (ix *Index) Terms(text string) []string {
	q := ix.analyze(text)
	type tw struct {
		term string
		w    float64
	}
	var all []tw
	for _, t := range q.terms {
		all = append(all, tw{t.stem, t.w * t.ti.idf})
	}
	for stem, w := range q.unknownTerms {
		all = append(all, tw{stem, w * ix.idfMax})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].w != all[j].w {
			return all[i].w > all[j].w
		}
		return all[i].term < all[j].term
	})
	out := make([]string, 0, min(len(all), 8))
	for i := 0; i < len(all) && i < 8; i++ {
		out = append(out, all[i].term)
	}
	return out
}
