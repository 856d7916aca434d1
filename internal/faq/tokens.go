package faq

import (
	"github.com/staffbot/staffbot/internal/faq/textnorm"
)

// tok is one word on its way to becoming a search term.
type tok struct {
	surf   string // folded surface form
	stem   string // the term: a Russian stem, a Latin word or a number
	script textnorm.Script
	stop   bool
	sent   int // sentence number within the message

	// covered is set on words a synonym or small-talk phrase consumed:
	// they are understood even when no article uses them.
	covered bool

	// english marks a word read as English, before the glossary turns it
	// into Russian.
	english bool

	// damp lowers the word's weight: a repaired spelling is less certain
	// than a word typed right, and a light word says little.
	damp float64
}

// docTokens analyses clean text (an article or a lexicon entry): fold,
// split, stem. No spelling repair: articles are assumed well written.
func docTokens(s string) []tok {
	ts := textnorm.Tokenize(textnorm.Fold(s))
	out := make([]tok, 0, len(ts))
	for _, t := range ts {
		out = append(out, wordTok(t.Text, t.Script))
	}
	return out
}

// docTokensCached is docTokens with a cache of analysed words, for
// indexing many articles that share their vocabulary.
func docTokensCached(s string, cache map[string]tok) []tok {
	ts := textnorm.Tokenize(textnorm.Fold(s))
	out := make([]tok, 0, len(ts))
	for _, t := range ts {
		w, ok := cache[t.Text]
		if !ok {
			w = wordTok(t.Text, t.Script)
			cache[t.Text] = w
		}
		out = append(out, w)
	}
	return out
}

func wordTok(surf string, sc textnorm.Script) tok {
	t := tok{surf: surf, stem: surf, script: sc}
	switch sc {
	case textnorm.Cyrillic:
		t.stem = textnorm.StemRU(surf)
		t.stop = textnorm.IsStopRU(surf)
	case textnorm.Latin:
		// Latin words in Russian articles are terms (VPN, HR, e-mail);
		// only one-letter ones are noise.
		t.stop = len(surf) < 2
	}
	return t
}

// expand applies the synonym table: the canonical words of each matched
// phrase are added at the end, and the phrase's own words are marked
// covered, so a variant no article uses does not count as unknown.
func (l *lexicon) expand(toks []tok) []tok {
	out := make([]tok, len(toks), len(toks)+4)
	copy(out, toks)
	var extra []tok
	for i := 0; i < len(out); i++ {
		if out[i].covered || (out[i].stop && len(l.synonyms[out[i].stem]) == 0) {
			continue
		}
		p, at := l.synonyms.matchLoose(out, i, stemKey)
		if p == nil {
			continue
		}
		for _, j := range at {
			out[j].covered = true
		}
		for _, o := range p.out {
			o.sent = out[i].sent
			extra = append(extra, o)
		}
	}
	return append(out, extra...)
}

func stemKey(t tok) string { return t.stem }
