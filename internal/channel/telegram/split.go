package telegram

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxTextLen is the longest message text Telegram accepts, in UTF-16 code
// units.
const MaxTextLen = 4096

// UTF16Len returns the length of s in UTF-16 code units, the unit Telegram
// counts text in: characters outside the Basic Multilingual Plane, emoji
// among them, count two.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++ // invalid UTF-8 is sent as U+FFFD
		}
	}
	return n
}

// Kinds of token, and of the places between them where a text may be cut,
// from worst to best.
const (
	tokText = iota
	tokOpen
	tokClose
)

const (
	cutAny = iota
	cutSpace
	cutLine
	cutParagraph
	cutKinds
)

type token struct {
	s     string
	units int
	kind  int
	name  string // tag name of tokOpen and tokClose
}

// SplitText cuts text into pieces of at most limit UTF-16 code units,
// counting the raw text (tags and entities included, so the real limit,
// counted after parsing, always holds). It prefers to cut after a blank
// line, then after a line break, then after a space, and never cuts a code
// point. Joined together the pieces give text back.
//
// With isHTML, text is Telegram HTML: a cut never falls inside a tag or an
// entity, and elements open at a cut are closed at the end of the piece and
// opened again at the start of the next. Pieces with nothing but blanks
// are left out.
func SplitText(text string, limit int, isHTML bool) []string {
	if UTF16Len(text) <= limit {
		return []string{text}
	}
	toks := tokenize(text, isHTML)

	var pieces []string
	var open []token // elements open where the next piece starts
	for i := 0; i < len(toks); {
		end, after := nextCut(toks, i, open, limit)

		var b strings.Builder
		for _, t := range open {
			b.WriteString(t.s)
		}
		for _, t := range toks[i:end] {
			b.WriteString(t.s)
		}
		for k := len(after) - 1; k >= 0; k-- {
			b.WriteString("</" + after[k].name + ">")
		}

		piece, visible := b.String(), b.String()
		if isHTML {
			visible = htmlToPlain(piece)
		}
		if strings.TrimSpace(visible) != "" {
			pieces = append(pieces, piece)
		}
		open, i = after, end
	}
	return pieces
}

// nextCut finds where the piece starting at token i with elements open
// ends. It returns the end (exclusive) and the elements open there.
func nextCut(toks []token, i int, open []token, limit int) (int, []token) {
	units := 0
	for _, t := range open {
		units += t.units
	}

	var best [cutKinds]int
	var bestUnits [cutKinds]int
	stack := append([]token(nil), open...)
	stacks := map[int][]token{}
	j := i
	for ; j < len(toks); j++ {
		t := toks[j]
		next := applyTag(stack, t)
		if units+t.units+closersLen(next) > limit && j > i {
			break
		}
		units += t.units
		stack = next

		kind := cutKind(toks, j+1)
		if kind < 0 {
			continue
		}
		stacks[j+1] = append([]token(nil), stack...)
		best[kind], bestUnits[kind] = j+1, units
		best[cutAny], bestUnits[cutAny] = j+1, units
	}
	if j == len(toks) {
		return j, stack
	}

	// A good cut in the second half of the piece beats a worse one later;
	// failing that, any space beats cutting a word.
	for kind := cutParagraph; kind > cutAny; kind-- {
		if best[kind] > i && bestUnits[kind] >= limit/2 {
			return best[kind], stacks[best[kind]]
		}
	}
	if best[cutSpace] > i {
		return best[cutSpace], stacks[best[cutSpace]]
	}
	if best[cutAny] > i {
		return best[cutAny], stacks[best[cutAny]]
	}
	return j, stack // tags alone fill the limit; cut anywhere
}

// cutKind rates a cut before token j: -1 when it would leave an empty
// element behind.
func cutKind(toks []token, j int) int {
	prev := toks[j-1]
	switch {
	case prev.kind == tokOpen:
		return -1
	case j < len(toks) && toks[j].kind == tokClose:
		return -1
	case prev.s == "\n" && j >= 2 && toks[j-2].s == "\n":
		return cutParagraph
	case prev.s == "\n":
		return cutLine
	case prev.s == " ":
		return cutSpace
	}
	return cutAny
}

func applyTag(stack []token, t token) []token {
	switch t.kind {
	case tokOpen:
		return append(stack[:len(stack):len(stack)], t)
	case tokClose:
		for k := len(stack) - 1; k >= 0; k-- {
			if stack[k].name == t.name {
				return append(stack[:k:k], stack[k+1:]...)
			}
		}
	}
	return stack
}

func closersLen(stack []token) int {
	n := 0
	for _, t := range stack {
		n += len("</>") + len(t.name)
	}
	return n
}

// tokenize cuts text into code points and, with isHTML, whole tags and
// entities.
func tokenize(text string, isHTML bool) []token {
	var toks []token
	for i := 0; i < len(text); {
		if isHTML {
			if t, ok := htmlToken(text[i:]); ok {
				toks = append(toks, t)
				i += len(t.s)
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		units := utf16.RuneLen(r)
		if units < 0 {
			units = 1
		}
		toks = append(toks, token{s: text[i : i+size], units: units})
		i += size
	}
	return toks
}

func htmlToken(s string) (token, bool) {
	var end int
	switch s[0] {
	case '<':
		end = strings.IndexByte(s, '>')
	case '&':
		end = strings.IndexByte(s, ';')
		if end > 12 || strings.ContainsAny(s[:max(end, 0)], " <&") {
			end = -1
		}
	default:
		return token{}, false
	}
	if end < 0 {
		return token{}, false
	}
	t := token{s: s[:end+1], units: UTF16Len(s[:end+1])}
	if s[0] == '<' {
		t.kind, t.name = tokOpen, tagName(t.s)
		if strings.HasPrefix(t.s, "</") {
			t.kind = tokClose
		}
	}
	return t, true
}

func tagName(tag string) string {
	name := strings.TrimLeft(strings.Trim(tag, "<>"), "/")
	if k := strings.IndexAny(name, " \t\n/"); k >= 0 {
		name = name[:k]
	}
	return strings.ToLower(name)
}
