package faq

import (
	"bufio"
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/staffbot/staffbot/internal/faq/textnorm"
)

//go:embed lexicon/*.txt
var lexiconFS embed.FS

// phrase is a run of stems that, when found, adds out to the text.
type phrase struct {
	seq []string
	out []tok
}

// phraseTable finds phrases by their first stem; each list is sorted
// longest first so the longest match wins.
type phraseTable map[string][]phrase

func (pt phraseTable) add(p phrase) {
	if len(p.seq) == 0 {
		return
	}
	pt[p.seq[0]] = append(pt[p.seq[0]], p)
}

func (pt phraseTable) sort() {
	for _, ps := range pt {
		sort.SliceStable(ps, func(i, j int) bool { return len(ps[i].seq) > len(ps[j].seq) })
	}
}

// match returns the longest phrase starting at toks[i], or nil.
func (pt phraseTable) match(toks []tok, i int, key func(tok) string) *phrase {
	ps := pt[key(toks[i])]
	for k := range ps {
		p := &ps[k]
		if i+len(p.seq) > len(toks) {
			continue
		}
		ok := true
		for j, s := range p.seq {
			if key(toks[i+j]) != s || toks[i+j].sent != toks[i].sent {
				ok = false
				break
			}
		}
		if ok {
			return p
		}
	}
	return nil
}

// maxGap is how many little words may stand between the words of a
// multi-word synonym: "задерживаться и после работы" still says
// "задерживаться после работы".
const maxGap = 2

// matchLoose is match for synonyms: the phrase's words must come in order
// within one sentence, but up to maxGap stop words may stand between
// them in all. It returns the positions of the matched words.
func (pt phraseTable) matchLoose(toks []tok, i int, key func(tok) string) (*phrase, []int) {
	ps := pt[key(toks[i])]
	for k := range ps {
		p := &ps[k]
		at := []int{i}
		gap := 0
		j := i + 1
		for _, s := range p.seq[1:] {
			for j < len(toks) && toks[j].sent == toks[i].sent && key(toks[j]) != s && toks[j].stop && gap < maxGap {
				j++
				gap++
			}
			if j >= len(toks) || toks[j].sent != toks[i].sent || key(toks[j]) != s {
				at = nil
				break
			}
			at = append(at, j)
			j++
		}
		if at != nil {
			return p, at
		}
	}
	return nil, nil
}

// lexicon is the language knowledge shared by every knowledge base:
// Russian HR synonyms, the English glossary, small talk.
type lexicon struct {
	synonyms phraseTable // Russian variant stems → canonical stems
	english  phraseTable // English stems → Russian stems
	small    phraseTable // small-talk phrases → kind (in out[0].stem)

	// enWords are English words the engine recognises, to tell an English
	// message from Russian in Latin letters.
	enWords map[string]bool

	// enCommon are everyday English words (common_en.txt): they tell an
	// English message apart, and say nothing about its topic.
	enCommon map[string]bool

	// ruWords are the Russian words the lexicon itself knows, with the
	// stems they stand for; typo correction may land on them.
	ruWords map[string]string

	// light holds the stems of everyday words (common_ru.txt): known,
	// but saying little about the question.
	light map[string]bool
	// lightWords are those words as written.
	lightWords map[string]bool

	// expands holds stems that a synonym line turns into other stems, so
	// they count as understood even when no article uses them.
	expands map[string]bool
}

var (
	lexOnce sync.Once
	lex     *lexicon
	lexErr  error
)

// sharedLexicon parses the embedded files once.
func sharedLexicon() (*lexicon, error) {
	lexOnce.Do(func() { lex, lexErr = loadLexicon() })
	return lex, lexErr
}

func loadLexicon() (*lexicon, error) {
	l := &lexicon{
		synonyms: phraseTable{},
		english:  phraseTable{},
		small:    phraseTable{},
		enWords:  map[string]bool{},
		enCommon: map[string]bool{},
		ruWords:  map[string]string{},
		expands:  map[string]bool{},
		light:    map[string]bool{},

		lightWords: map[string]bool{},
	}

	err := eachLine("lexicon/synonyms_ru.txt", func(line string) error {
		canon, variants, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("no '=' in %q", line)
		}
		out := l.ruTokens(canon)
		for _, v := range strings.Split(variants, ",") {
			seq := l.ruTokens(v)
			if len(seq) == 0 {
				continue
			}
			stems := stemsOf(seq)
			if strings.Join(stems, " ") == strings.Join(stemsOf(out), " ") {
				continue
			}
			l.synonyms.add(phrase{seq: stems, out: out})
			if len(seq) == 1 {
				l.expands[stems[0]] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = eachLine("lexicon/glossary_en.txt", func(line string) error {
		en, ru, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("no '=' in %q", line)
		}
		var seq []string
		for _, t := range textnorm.Tokenize(textnorm.Fold(en)) {
			l.enWords[t.Text] = true
			seq = append(seq, textnorm.StemEN(t.Text))
		}
		l.english.add(phrase{seq: seq, out: l.ruTokens(ru)})
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = eachLine("lexicon/common_ru.txt", func(line string) error {
		for _, t := range l.ruTokens(line) {
			if t.script == textnorm.Cyrillic && !t.stop {
				l.light[t.stem] = true
				l.lightWords[t.surf] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = eachLine("lexicon/common_en.txt", func(line string) error {
		for _, w := range strings.Fields(textnorm.Fold(line)) {
			l.enWords[w] = true
			l.enCommon[w] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	for kind, phrases := range smallTalkPhrases {
		for _, p := range phrases {
			var seq []string
			for _, t := range textnorm.Tokenize(textnorm.Fold(p)) {
				if t.Script == textnorm.Latin {
					l.enWords[t.Text] = true
					seq = append(seq, t.Text)
					continue
				}
				l.ruWords[t.Text] = textnorm.StemRU(t.Text)
				seq = append(seq, textnorm.StemRU(t.Text))
			}
			l.small.add(phrase{seq: seq, out: []tok{{stem: string(kind)}}})
		}
	}

	l.synonyms.sort()
	l.english.sort()
	l.small.sort()
	return l, nil
}

// ruTokens analyses a piece of lexicon Russian and remembers its words.
func (l *lexicon) ruTokens(s string) []tok {
	toks := docTokens(s)
	for _, t := range toks {
		if t.script == textnorm.Cyrillic {
			l.ruWords[t.surf] = t.stem
		}
	}
	return toks
}

func stemsOf(toks []tok) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.stem
	}
	return out
}

func eachLine(name string, fn func(line string) error) error {
	f, err := lexiconFS.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	return sc.Err()
}
