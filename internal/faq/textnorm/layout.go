package textnorm

import "strings"

// The Russian ЙЦУКЕН layout over the US QWERTY one, key by key, unshifted
// and shifted. Punctuation keys carry letters on the Russian side, so text
// typed in the wrong layout keeps its б, ю, ж, э, х, ъ and ё in ",.;'[]`".
const (
	qwertyKeys = "qwertyuiop[]asdfghjkl;'zxcvbnm,./`" + `QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>?~` + "@#$^&"
	jcukenKeys = "йцукенгшщзхъфывапролджэячсмитьбю.ё" + "ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,Ё" + "\"№;:?"
)

var (
	toRussian = map[rune]rune{}
	toLatin   = map[rune]rune{}
)

func init() {
	q, j := []rune(qwertyKeys), []rune(jcukenKeys)
	if len(q) != len(j) {
		panic("textnorm: keyboard tables differ in length")
	}
	for i := range q {
		toRussian[q[i]] = j[i]
		// Only letters go back: a "." typed on the Russian layout is a
		// full stop far more often than a "/".
		if ScriptOf(j[i]) == Cyrillic {
			toLatin[j[i]] = q[i]
		}
	}
}

// LayoutToRussian rewrites text typed on the English layout by someone who
// meant Russian: "rfr jajhvbnm jngecr" becomes "как оформить отпуск".
// Characters with no key on the layout pass through.
func LayoutToRussian(s string) string {
	return mapRunes(s, toRussian)
}

// LayoutToLatin rewrites text typed on the Russian layout by someone who
// meant English or a Latin term: "мзт" becomes "vpn".
func LayoutToLatin(s string) string {
	return mapRunes(s, toLatin)
}

func mapRunes(s string, m map[rune]rune) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if to, ok := m[r]; ok {
			r = to
		}
		b.WriteRune(r)
	}
	return b.String()
}
