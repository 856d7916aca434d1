package faq

import (
	"math/bits"
	"strings"

	"github.com/staffbot/staffbot/internal/faq/textnorm"
)

// vocabulary is every Russian word the knowledge base and the lexicon use,
// the ground truth for repairing a misspelt or transliterated word.
type vocabulary struct {
	words map[string]*vocWord
	byLen map[int][]*vocWord // by length in runes, for the typo scan

	// keys maps a transliteration key to the most frequent word having
	// it; Russian stop words are included so "dlya" and "na" are read.
	keys  map[string]*vocWord
	byKey map[int][]*vocWord // by key length, for fuzzy key matching
}

type vocWord struct {
	surf  string
	stem  string
	runes []rune
	grams uint64 // bigram signature, see signature
	key   string
	keyRs []rune
	count int
	stop  bool
}

func newVocabulary() *vocabulary {
	return &vocabulary{words: map[string]*vocWord{}}
}

func (v *vocabulary) add(surf, stem string) {
	if w := v.words[surf]; w != nil {
		w.count++
		return
	}
	rs := []rune(surf)
	v.words[surf] = &vocWord{surf: surf, stem: stem, runes: rs, grams: signature(rs), count: 1, stop: textnorm.IsStopRU(surf)}
}

// signature sets one bit of 64 for each letter pair of a word, the word's
// ends included. An edit changes at most two pairs, so a word that lacks
// more than twice as many of a misspelling's pairs as the edits allowed
// cannot be the word meant; the check costs one instruction.
func signature(rs []rune) uint64 {
	var sig uint64
	prev := rune('^')
	for _, r := range rs {
		sig |= 1 << ((uint64(prev)*31 + uint64(r)) % 64)
		prev = r
	}
	return sig | 1<<((uint64(prev)*31+'$')%64)
}

func (v *vocabulary) finish() {
	for _, s := range stopWordsForKeys {
		if v.words[s] == nil {
			rs := []rune(s)
			v.words[s] = &vocWord{surf: s, stem: textnorm.StemRU(s), runes: rs, grams: signature(rs), count: 1, stop: true}
		}
	}
	v.byLen = map[int][]*vocWord{}
	v.keys = map[string]*vocWord{}
	v.byKey = map[int][]*vocWord{}
	for _, w := range v.words {
		v.byLen[len(w.runes)] = append(v.byLen[len(w.runes)], w)
		w.key = textnorm.Key(w.surf)
		w.keyRs = []rune(w.key)
		if old := v.keys[w.key]; old == nil || w.count > old.count || (w.count == old.count && w.surf < old.surf) {
			v.keys[w.key] = w
		}
	}
	for _, w := range v.keys {
		n := len(w.key)
		v.byKey[n] = append(v.byKey[n], w)
	}
}

// typoBudget is how far, in half-edits, a word of n letters may be from
// the word it was meant to be.
func typoBudget(n int) int {
	switch {
	case n <= 4:
		return 0
	case n <= 6:
		return 2
	case n <= 9:
		return 3
	default:
		return 4
	}
}

// nearest finds the known word closest to a misspelt one, preferring the
// smaller distance, then the more frequent word. It returns the distance
// in half-edits too.
func (v *vocabulary) nearest(surf string) (*vocWord, int) {
	rs := []rune(surf)
	budget := typoBudget(len(rs))
	if budget == 0 {
		return nil, 0
	}
	var (
		best     *vocWord
		bestDist = budget + 1
		sig      = signature(rs)
	)
	for n := len(rs) - budget/2; n <= len(rs)+budget/2; n++ {
		for _, w := range v.byLen[n] {
			if bits.OnesCount64(sig&^w.grams) > 2*budget || !sameStart(rs, w.runes) || (len(rs) <= 5 && n < len(rs)) {
				continue
			}
			d := textnorm.Distance(rs, w.runes, min(budget, bestDist))
			if d < bestDist || (d == bestDist && best != nil && w.count > best.count) {
				if d <= budget {
					best, bestDist = w, d
				}
			}
		}
	}
	return best, bestDist
}

// translit finds the Russian word a Latin-letter word stands for, exactly
// by key or within a small distance of it. It also returns how sure the
// match is: 1 for an exact key, less for a near one.
func (v *vocabulary) translit(latin string) (*vocWord, float64) {
	key := textnorm.Key(latin)
	if w := v.keys[key]; w != nil {
		return w, 1
	}
	budget := 0
	switch n := len(key); {
	case n >= 9:
		budget = 4
	case n >= 5:
		budget = 2
	}
	if budget == 0 {
		return nil, 0
	}
	rs := []rune(key)
	var (
		best     *vocWord
		bestDist = budget + 1
	)
	for n := len(rs) - budget/2; n <= len(rs)+budget/2; n++ {
		for _, w := range v.byKey[n] {
			d := textnorm.Distance(rs, w.keyRs, min(budget, bestDist))
			if d < bestDist || (d == bestDist && best != nil && w.count > best.count) {
				if d <= budget {
					best, bestDist = w, d
				}
			}
		}
	}
	if best == nil {
		return nil, 0
	}
	return best, 0.6
}

// stopWordsForKeys are Russian function words as people write them in
// Latin letters ("kak", "dlya", "po").
var stopWordsForKeys = []string{
	"и", "в", "во", "не", "что", "на", "я", "с", "со", "как", "а", "то", "все", "так", "но", "да", "ты",
	"к", "у", "же", "вы", "за", "бы", "по", "только", "мне", "от", "меня", "еще", "нет", "о", "из",
	"когда", "ли", "если", "уже", "или", "ни", "до", "вас", "там", "где", "есть", "надо", "для", "мы",
	"их", "чем", "без", "кто", "этот", "какой", "мой", "куда", "зачем", "можно", "при", "об", "после",
	"над", "через", "про", "перед", "нужно", "почему", "сколько", "это", "ко", "мои", "моя", "моё",
	"чтобы", "под", "какие", "каких", "какая", "свой", "нам", "вам", "им", "вот",
}

// A short word is not read as a shorter one: one letter too many is
// rarer than one missing, and "бланк" is a word, not a misspelt "банк".

// sameStart reports whether a misspelling may stand for a word: people
// rarely get the first letter of a short word wrong, unless it is a vowel
// they hear as another ("атпуск"). Without this, real words nobody listed
// turn into listed ones: "погода" into "года", "бросить" into "сбросить".
func sameStart(typed, word []rune) bool {
	if len(typed) >= 8 || typed[0] == word[0] {
		return true
	}
	return isVowelRU(typed[0]) && isVowelRU(word[0])
}

func isVowelRU(r rune) bool {
	return strings.ContainsRune("аеиоуыэюя", r)
}
