package textnorm

import "strings"

// People write Russian in Latin letters in many ways: "zh" or "j" for ж,
// "kh", "h" or "x" for х, "ya", "ja" or "ia" for я, "y", "i" or "iy" for ый.
// Rather than guess one reading, both the Russian vocabulary and the Latin
// word are reduced to a coarse key in which those spellings meet; the
// caller then looks the key up, with an edit distance for what is left.

var cyrToLatin = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e",
	'ж': "zh", 'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m",
	'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
	'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
}

// ToLatin transliterates folded Cyrillic text with a common passport-like
// scheme; other characters pass through.
func ToLatin(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 2)
	for _, r := range s {
		if l, ok := cyrToLatin[r]; ok {
			b.WriteString(l)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// keyRules reduce a lower-case Latin spelling, longest patterns first.
// The right-hand sides use capitals for sounds that need two Latin
// letters, so that later rules cannot split them again.
var keyRules = strings.NewReplacer(
	"shch", "S", "sch", "S", "shh", "S",
	"zh", "Z", "kh", "h", "ch", "C", "sh", "S", "tch", "C",
	"ts", "c", "tz", "c",
	"yu", "U", "ju", "U", "iu", "U",
	"ya", "A", "ja", "A", "ia", "A",
	"yo", "e", "jo", "e", "ye", "e", "je", "e",
	"x", "h", "w", "v", "q", "k", "'", "", "`", "", "\"", "",
)

// Key reduces a word in either script to its coarse transliteration key.
// "ispytatelny", "ispytatelnyj" and "испытательный" share a key, as do
// "rebenkom" and "ребёнком".
func Key(word string) string {
	w := Fold(word)
	if strings.ContainsFunc(w, func(r rune) bool { return ScriptOf(r) == Cyrillic }) {
		w = ToLatin(w)
	}
	w = keyRules.Replace(w)

	// Vowel-like letters collapse: y, j and i all end up as "i", and a run
	// of them counts once, so "iy", "yy", "ij" and "y" endings agree.
	var b strings.Builder
	b.Grow(len(w))
	var prev rune
	for _, r := range w {
		switch r {
		case 'y', 'j':
			r = 'i'
		case 'U':
			r = 'u'
		}
		if r == 'i' && prev == 'i' {
			continue
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}
