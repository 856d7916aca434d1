package faq

import (
	"math"
	"sort"

	"github.com/staffbot/staffbot/internal/faq/textnorm"
)

// Fields of an article, searched with different weights.
const (
	fieldTitle = iota
	fieldQuestions
	fieldTags
	fieldAnswer
	nFields
)

// Field weights and length normalisation for BM25F. The title and the
// sample questions say what an article is about; the answer mostly says
// how, and mentions many neighbouring topics in passing.
var (
	fieldWeight = [nFields]float64{2.5, 2.0, 1.5, 0.5}
	fieldB      = [nFields]float64{0.3, 0.5, 0.2, 0.75}
)

const bm25K1 = 1.2

type posting struct {
	doc int32
	tf  [nFields]float32
}

type termInfo struct {
	idf   float64
	post  []posting
	units []int32 // units (title or one sample question) holding the term
}

// unit is an article's title or one of its sample questions: short texts
// that a question is compared with as a whole.
type unit struct {
	doc  int32
	norm float64 // Euclidean norm of its idf weights
}

// Index is a searchable knowledge base. It is immutable once built and safe
// for concurrent use.
type Index struct {
	lex      *lexicon
	articles []Article
	terms    map[string]*termInfo
	units    []unit
	docLen   [][nFields]float32
	avgLen   [nFields]float64
	idfMax   float64  // the idf of a term no article has
	stems    []string // every term, sorted, for finding a word's relatives
	voc      *vocabulary
}

// Build indexes the articles. It is meant to be called with the published
// articles of one company; searching never returns anything else.
func Build(articles []Article) (*Index, error) {
	l, err := sharedLexicon()
	if err != nil {
		return nil, err
	}
	ix := &Index{
		lex:      l,
		articles: articles,
		terms:    map[string]*termInfo{},
		docLen:   make([][nFields]float32, len(articles)),
	}
	voc := newVocabulary()

	type unitTerms struct {
		doc   int32
		stems []string
	}
	var units []unitTerms
	wordCache := map[string]tok{}

	for d := range articles {
		a := &articles[d]
		var tf [nFields]map[string]float32
		for f := range tf {
			tf[f] = map[string]float32{}
		}
		add := func(f int, text string, isUnit bool) {
			toks := docTokensCached(text, wordCache)
			for _, t := range toks {
				if t.script == textnorm.Cyrillic {
					voc.add(t.surf, t.stem)
				}
			}
			toks = l.expand(toks)
			var stems []string
			for _, t := range toks {
				if t.stop {
					continue
				}
				tf[f][t.stem]++
				ix.docLen[d][f]++
				stems = append(stems, t.stem)
			}
			if isUnit && len(stems) > 0 {
				units = append(units, unitTerms{doc: int32(d), stems: stems})
			}
		}
		add(fieldTitle, a.Title, true)
		for _, q := range a.Questions {
			add(fieldQuestions, q, true)
		}
		for _, t := range a.Tags {
			add(fieldTags, t, false)
		}
		add(fieldTags, a.Category, false)
		add(fieldAnswer, a.Answer, false)

		seen := map[string]bool{}
		for f := range tf {
			for stem, n := range tf[f] {
				ti := ix.terms[stem]
				if ti == nil {
					ti = &termInfo{}
					ix.terms[stem] = ti
				}
				if !seen[stem] {
					seen[stem] = true
					ti.post = append(ti.post, posting{doc: int32(d)})
				}
				ti.post[len(ti.post)-1].tf[f] = n
			}
		}
		for f := range nFields {
			ix.avgLen[f] += float64(ix.docLen[d][f])
		}
	}

	n := float64(len(articles))
	for f := range nFields {
		if n > 0 {
			ix.avgLen[f] /= n
		}
		if ix.avgLen[f] == 0 {
			ix.avgLen[f] = 1
		}
	}
	// A word's rarity is judged by its family: "увольнялся" is as common
	// as "увольнение" even when only one article says it that way, or a
	// chance spelling would outweigh the words that matter.
	family := map[string]map[int32]bool{}
	for stem, ti := range ix.terms {
		k := familyKey(stem)
		if k == "" {
			continue
		}
		if family[k] == nil {
			family[k] = map[int32]bool{}
		}
		for _, p := range ti.post {
			family[k][p.doc] = true
		}
	}
	for stem, ti := range ix.terms {
		df := float64(len(ti.post))
		if k := familyKey(stem); k != "" {
			df = max(df, familyShare*float64(len(family[k])))
		}
		ti.idf = math.Log(1 + (n-df+0.5)/(df+0.5))
	}
	ix.idfMax = math.Log(1 + (n+0.5)/0.5)
	ix.stems = make([]string, 0, len(ix.terms))
	for stem := range ix.terms {
		ix.stems = append(ix.stems, stem)
	}
	sort.Strings(ix.stems)
	// Units: each keeps its distinct terms, weighted by idf.
	ix.units = make([]unit, len(units))
	for u, ut := range units {
		sort.Strings(ut.stems)
		var sum float64
		prev := ""
		for _, s := range ut.stems {
			if s == prev {
				continue
			}
			prev = s
			ti := ix.terms[s]
			ti.units = append(ti.units, int32(u))
			sum += ti.idf * ti.idf
		}
		ix.units[u] = unit{doc: ut.doc, norm: math.Sqrt(sum)}
	}

	// The lexicon's own Russian words may be typo targets too, but only
	// where they lead somewhere: a synonym that expands, or a term.
	for surf, stem := range l.ruWords {
		if _, ok := ix.terms[stem]; ok || l.expands[stem] {
			voc.add(surf, stem)
		}
	}
	voc.finish()
	ix.voc = voc
	return ix, nil
}

// Len returns the number of articles.
func (ix *Index) Len() int { return len(ix.articles) }

// Article returns the i-th article.
func (ix *Index) Article(i int) *Article { return &ix.articles[i] }

// Find returns the article with the id, or nil.
func (ix *Index) Find(id string) *Article {
	for i := range ix.articles {
		if ix.articles[i].ID == id {
			return &ix.articles[i]
		}
	}
	return nil
}

// knownStem reports whether a stem means something to this index: a term
// of some article, or a lexicon word that expands into others.
func (ix *Index) knownStem(stem string) bool {
	if _, ok := ix.terms[stem]; ok {
		return true
	}
	return ix.lex.expands[stem] || ix.lex.light[stem]
}

// familyKey is what stems of one word family share: their first
// familyLen letters, for Russian stems long enough to have them.
func familyKey(stem string) string {
	rs := []rune(stem)
	if len(rs) < familyLen || textnorm.ScriptOf(rs[0]) != textnorm.Cyrillic {
		return ""
	}
	return string(rs[:familyLen])
}

var (
	familyLen   = 5
	familyShare = 1.0
)
