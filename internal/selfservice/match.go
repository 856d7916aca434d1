package selfservice

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"

	"github.com/staffbot/staffbot/internal/faq/textnorm"
)

// A typed message names a service when every word of one of its synonyms
// appears in it, in any order and form: "сколько у меня отпуска" holds
// "сколько отпуска". Words are compared by their Snowball stems, and two
// stems also match when they share all but one letter of the shorter
// (листок, листка → листок, листк). The longest synonym found wins, so
// "заявление на отпуск" is the application, not the balance. Long
// messages are left to the FAQ: a service is rarely asked for in a
// paragraph.

// maxMatchWords is the longest message the matcher reads.
const maxMatchWords = 12

// keyMenu is the pseudo-service of words that ask for the catalogue itself.
const keyMenu = "menu"

var menuSynonyms = []string{"справка", "справки", "услуги", "сервисы", "каталог услуг", "services", "certificate"}

// word is one token of a text: its folded form and its stem.
type word struct {
	text string
	stem string
}

// words splits a text into folded words and their stems: runs of Cyrillic
// letters, of Latin letters, or of digits; anything else separates them.
func words(s string) []word {
	var (
		out  []word
		cur  strings.Builder
		kind int // 0 none, 1 Cyrillic, 2 Latin, 3 digits
	)
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		t := cur.String()
		cur.Reset()
		stem := t
		switch kind {
		case 1:
			stem = russian.Stem(t, true)
		case 2:
			stem = english.Stem(t, true)
		}
		out = append(out, word{text: t, stem: stem})
	}
	for _, r := range s {
		r = unicode.ToLower(r)
		if r == 'ё' {
			r = 'е'
		}
		k := 0
		switch {
		case r >= 'а' && r <= 'я':
			k = 1
		case r >= 'a' && r <= 'z':
			k = 2
		case r >= '0' && r <= '9':
			k = 3
		}
		if k != kind {
			flush()
			kind = k
		}
		if k != 0 {
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

// sameStem reports whether two stems are forms of one word.
func sameStem(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
	shorter := min(la, lb)
	if shorter < 4 {
		return false
	}
	common := 0
	ra, rb := []rune(a), []rune(b)
	for common < shorter && ra[common] == rb[common] {
		common++
	}
	return common >= 4 && common >= shorter-1
}

type phrase struct {
	key   string
	stems []string
}

var (
	phrasesOnce sync.Once
	phrases     []phrase
)

// defaultPhrases are the synonyms of the default catalogue and of the menu,
// stemmed once. Companies rename titles, not synonyms, so one set serves all.
func defaultPhrases() []phrase {
	phrasesOnce.Do(func() {
		add := func(key, text string) {
			var stems []string
			for _, w := range words(text) {
				stems = append(stems, w.stem)
			}
			if len(stems) > 0 {
				phrases = append(phrases, phrase{key: key, stems: stems})
			}
		}
		for _, s := range DefaultServices() {
			for _, syn := range s.Synonyms {
				add(s.Key, syn)
			}
		}
		for _, syn := range menuSynonyms {
			add(keyMenu, syn)
		}
	})
	return phrases
}

// Match returns the key of the service a typed message names, keyMenu for
// a message that asks for the catalogue as a whole, or "" when it names
// nothing. Only keys for which offered returns true are considered. A
// message typed on the English layout by someone who meant Russian
// ("hfcxtnysq kbcnjr") is read as the Russian it stands for, but only when
// the message as typed names nothing.
func Match(text string, offered func(key string) bool) string {
	key, _ := match(text, offered)
	return key
}

// match is Match that also returns the text it read: text itself, or its
// Russian when the wrong layout was undone.
func match(text string, offered func(key string) bool) (key, read string) {
	if key := matchWords(words(text), offered); key != "" {
		return key, text
	}
	if alt, ok := wrongLayout(text); ok {
		if key := matchWords(words(alt), offered); key != "" {
			return key, alt
		}
	}
	return "", text
}

// wrongLayout returns text as typed on the Russian layout, when it holds
// Latin letters that might have been meant as Russian ones.
func wrongLayout(text string) (string, bool) {
	for _, r := range text {
		if textnorm.ScriptOf(r) == textnorm.Latin {
			return textnorm.LayoutToRussian(text), true
		}
	}
	return "", false
}

func matchWords(ws []word, offered func(key string) bool) string {
	if len(ws) == 0 || len(ws) > maxMatchWords {
		return ""
	}
	best, bestLen := "", 0
	for _, p := range defaultPhrases() {
		if len(p.stems) <= bestLen || (p.key != keyMenu && !offered(p.key)) {
			continue
		}
		if containsAll(ws, p.stems) {
			best, bestLen = p.key, len(p.stems)
		}
	}
	return best
}

func containsAll(ws []word, stems []string) bool {
	for _, s := range stems {
		found := false
		for _, w := range ws {
			if sameStem(w.stem, s) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// requestWords ask for something without saying what: "хочу", "дайте",
// "покажи". With them a message still only names its service.
var requestWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range words("хочу хотел бы нужна нужен нужно надо дайте дай выдайте покажи покажите пришлите " +
		"заказать закажи получить узнать посмотреть оформить сделать взять запросить пожалуйста please want need get show order my") {
		m[w.stem] = true
	}
	return m
}()

// NamesOnly reports whether a message says nothing but the names of the
// service key and a request for it ("расчётка за март", "хочу справку
// 2-НДФЛ", "сколько у меня отпуска"): every word of substance is a word of
// one of its synonyms. A message with more in it ("сколько дней отпуска
// положено?") may be a question about the rules, which the FAQ answers
// better.
func NamesOnly(text, key string) bool {
	ws := words(text)
	var vocab []string
	named := false
	for _, p := range defaultPhrases() {
		if p.key != key {
			continue
		}
		vocab = append(vocab, p.stems...)
		named = named || containsAll(ws, p.stems)
	}
	if !named {
		return false
	}
	for _, w := range ws {
		if !filler(w) && !slices.ContainsFunc(vocab, func(s string) bool { return sameStem(w.stem, s) }) {
			return false
		}
	}
	return true
}

// filler reports whether a word adds nothing to the name of a service.
func filler(w word) bool {
	return textnorm.IsStopRU(w.text) || textnorm.IsStopEN(w.text) || requestWords[w.stem] || isNumber(w.text) ||
		monthStems[w.stem]
}

func isNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// monthStems are months and years, which a request for a payslip or a
// certificate often carries.
var monthStems = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range words("январь январе января февраль феврале февраля март марте марта апрель апреле апреля май мае мая " +
		"июнь июне июня июль июле июля август августе августа сентябрь сентябре сентября октябрь октябре октября " +
		"ноябрь ноябре ноября декабрь декабре декабря год года году прошлый прошлом прошлого текущий этот этом") {
		m[w.stem] = true
	}
	return m
}()
