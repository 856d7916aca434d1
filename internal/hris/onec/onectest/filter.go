package onectest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A small $filter interpreter for OData v3 as 1C reads it: comparisons
// joined by and/or/not with parentheses, and typed literals. A GUID or a
// date without its v3 prefix is a syntax error, as on a real server.

type predicate func(rec map[string]any) bool

type token struct {
	kind string // "ident", "lit", "(", ")"
	text string
	lit  literal
}

type literal struct {
	typ string // "string", "guid", "datetime", "bool", "number", "null"
	val any
}

var (
	guidRE     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	identRE    = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}_]*`)
	numberRE   = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	dateTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)
)

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '(' || c == ')':
			out = append(out, token{kind: string(c)})
			i++
		case c == '\'':
			str, n, err := quoted(s[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, token{kind: "lit", lit: literal{"string", str}})
			i += n
		default:
			// guid'…' and datetime'…' are a prefix glued to a quote.
			if prefix, ok := typedPrefix(s[i:]); ok {
				str, n, err := quoted(s[i+len(prefix):])
				if err != nil {
					return nil, err
				}
				lit, err := typed(prefix, str)
				if err != nil {
					return nil, err
				}
				out = append(out, token{kind: "lit", lit: lit})
				i += len(prefix) + n
				continue
			}
			word := s[i:]
			if j := strings.IndexAny(word, " ()"); j >= 0 {
				word = word[:j]
			}
			switch {
			case word == "true" || word == "false":
				out = append(out, token{kind: "lit", lit: literal{"bool", word == "true"}})
			case word == "null":
				out = append(out, token{kind: "lit", lit: literal{"null", nil}})
			case numberRE.MatchString(word):
				f, _ := strconv.ParseFloat(word, 64)
				out = append(out, token{kind: "lit", lit: literal{"number", f}})
			case identRE.FindString(word) == word:
				out = append(out, token{kind: "ident", text: word})
			default:
				return nil, fmt.Errorf("syntax error at %q", word)
			}
			i += len(word)
		}
	}
	return out, nil
}

func typedPrefix(s string) (string, bool) {
	for _, p := range []string{"guid", "datetime"} {
		if strings.HasPrefix(s, p+"'") {
			return p, true
		}
	}
	return "", false
}

func quoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), i + 1, nil
	}
	return "", 0, fmt.Errorf("unterminated string")
}

func typed(prefix, s string) (literal, error) {
	switch prefix {
	case "guid":
		if !guidRE.MatchString(s) {
			return literal{}, fmt.Errorf("bad guid literal %q", s)
		}
		return literal{"guid", strings.ToLower(s)}, nil
	default:
		if _, err := time.Parse("2006-01-02T15:04:05", s); err != nil {
			return literal{}, fmt.Errorf("bad datetime literal %q", s)
		}
		return literal{"datetime", s}, nil
	}
}

type parser struct {
	toks  []token
	pos   int
	types map[string]string // field → type
}

func parseFilter(s string, types map[string]string) (predicate, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, types: types}
	pred, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected token after expression")
	}
	return pred, nil
}

func (p *parser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == "ident" && p.toks[p.pos].text == w
}

func (p *parser) or() (predicate, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peekWord("or") {
		p.pos++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(r map[string]any) bool { return l(r) || right(r) }
	}
	return left, nil
}

func (p *parser) and() (predicate, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peekWord("and") {
		p.pos++
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(r map[string]any) bool { return l(r) && right(r) }
	}
	return left, nil
}

func (p *parser) unary() (predicate, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("unexpected end of expression")
	}
	if p.peekWord("not") {
		p.pos++
		inner, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(r map[string]any) bool { return !inner(r) }, nil
	}
	if p.toks[p.pos].kind == "(" {
		p.pos++
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return inner, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (predicate, error) {
	if p.pos+3 > len(p.toks) {
		return nil, fmt.Errorf("incomplete comparison")
	}
	f, op, v := p.toks[p.pos], p.toks[p.pos+1], p.toks[p.pos+2]
	p.pos += 3
	if f.kind != "ident" || op.kind != "ident" || v.kind != "lit" {
		return nil, fmt.Errorf("want: field op literal")
	}
	typ, ok := p.types[f.text]
	if !ok {
		return nil, fmt.Errorf("unknown property %s", f.text)
	}
	if v.lit.typ != typ && v.lit.typ != "null" {
		return nil, fmt.Errorf("type mismatch: %s is %s, literal is %s", f.text, typ, v.lit.typ)
	}
	var cmp func(c int) bool
	switch op.text {
	case "eq":
		cmp = func(c int) bool { return c == 0 }
	case "ne":
		cmp = func(c int) bool { return c != 0 }
	case "gt":
		cmp = func(c int) bool { return c > 0 }
	case "ge":
		cmp = func(c int) bool { return c >= 0 }
	case "lt":
		cmp = func(c int) bool { return c < 0 }
	case "le":
		cmp = func(c int) bool { return c <= 0 }
	default:
		return nil, fmt.Errorf("operator %s not supported", op.text)
	}
	field, want := f.text, v.lit.val
	return func(r map[string]any) bool { return cmp(compare(r[field], want)) }, nil
}

func compare(a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return strings.Compare(strings.ToLower(x), strings.ToLower(y))
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case float64:
		y, _ := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case nil:
		if b == nil {
			return 0
		}
		return -1
	}
	return -1
}

// fieldType guesses a property's type the way the metadata would declare
// it: references end in _Key, dates look like dates.
func fieldType(name string, v any) string {
	switch x := v.(type) {
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		if strings.HasSuffix(name, "_Key") {
			return "guid"
		}
		if dateTimeRE.MatchString(x) {
			return "datetime"
		}
	}
	return "string"
}
