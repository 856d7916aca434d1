package telegram

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/staffbot/staffbot/internal/channel"
)

const parseModeHTML = "HTML"

var (
	htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	mdv2Escaper = func() *strings.Replacer {
		var pairs []string
		for _, c := range "\\_*[]()~`>#+-=|{}.!" {
			pairs = append(pairs, string(c), `\`+string(c))
		}
		return strings.NewReplacer(pairs...)
	}()
)

// EscapeHTML escapes &, < and > so that s shows as typed in a message sent
// with parse_mode HTML.
func EscapeHTML(s string) string { return htmlEscaper.Replace(s) }

// EscapeMarkdownV2 escapes every character MarkdownV2 reserves, so that a
// dynamic fragment (a date, "2-НДФЛ", a closing "!") shows as typed outside
// an entity. It is not for text inside code blocks or link URLs.
func EscapeMarkdownV2(s string) string { return mdv2Escaper.Replace(s) }

// render turns an Outgoing into the text and parse_mode to send: markup
// becomes Telegram HTML, anything else goes as plain text.
func render(msg channel.Outgoing) (text, parseMode string) {
	if msg.Format == channel.FormatMarkup {
		return MarkupToHTML(msg.Text), parseModeHTML
	}
	return msg.Text, ""
}

// MarkupToHTML renders staffbot markup (*bold*, _italic_, [text](url)) as
// Telegram HTML and escapes everything else. A marker counts only at a word
// edge and on one line, so "2*3", "snake_case" and a lone "*" stay as typed;
// a backslash before a markup character (\* \_ \[ \] \( \) \\) makes it
// literal, as in the web chat. Links are kept only for http, https, tg and
// mailto addresses; their URL may hold balanced parentheses or an escaped
// "\)". The result is always well-formed: every tag it opens it closes.
func MarkupToHTML(s string) string {
	var b strings.Builder
	renderMarkup(&b, s, 0)
	return b.String()
}

// Flags of the elements open around a fragment; the same element is not
// nested in itself.
const (
	inBold = 1 << iota
	inItalic
	inLink
)

// escapable reports whether a backslash before c escapes it; elsewhere a
// backslash is an ordinary character ("C:\Temp").
func escapable(c byte) bool { return strings.IndexByte(`*_[]()\`, c) >= 0 }

// escapeAt reports whether s[i] is a backslash escaping the next byte.
func escapeAt(s string, i int) bool {
	return s[i] == '\\' && i+1 < len(s) && escapable(s[i+1])
}

func renderMarkup(b *strings.Builder, s string, open int) {
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case escapeAt(s, i):
			b.WriteString(htmlEscaper.Replace(s[i+1 : i+2]))
			i += 2
			continue
		case c == '*' && open&inBold == 0, c == '_' && open&inItalic == 0:
			if j := closingMarker(s, i); j > 0 {
				tag, flag := "b", inBold
				if c == '_' {
					tag, flag = "i", inItalic
				}
				b.WriteString("<" + tag + ">")
				renderMarkup(b, s[i+1:j], open|flag)
				b.WriteString("</" + tag + ">")
				i = j + 1
				continue
			}
		case c == '[' && open&inLink == 0:
			if text, url, end, ok := parseLink(s, i); ok {
				b.WriteString(`<a href="` + attrEscaper.Replace(url) + `">`)
				renderMarkup(b, text, open|inLink)
				b.WriteString("</a>")
				i = end
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		b.WriteString(htmlEscaper.Replace(s[i : i+size]))
		i += size
	}
}

// closingMarker returns the index of the marker closing the one at i, or -1
// when s[i] does not open an emphasis. An escaped marker closes nothing.
func closingMarker(s string, i int) int {
	c := s[i]
	if prev, _ := utf8.DecodeLastRuneInString(s[:i]); i > 0 && isWordRune(prev) {
		return -1
	}
	if next, _ := utf8.DecodeRuneInString(s[i+1:]); i+1 >= len(s) || unicode.IsSpace(next) {
		return -1
	}
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\n':
			return -1
		case escapeAt(s, j):
			j++
			continue
		case s[j] != c || j == i+1:
			continue
		}
		prev, _ := utf8.DecodeLastRuneInString(s[:j])
		next, _ := utf8.DecodeRuneInString(s[j+1:])
		if !unicode.IsSpace(prev) && (j+1 == len(s) || !isWordRune(next)) {
			return j
		}
	}
	return -1
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// parseLink reads "[text](url)" at i. The text ends at the first unescaped
// "]" and holds no "[" or line break; the URL ends at the ")" that balances
// its "(", and "\)" in it stands for ")".
func parseLink(s string, i int) (text, url string, end int, ok bool) {
	mid := -1
	for j := i + 1; j < len(s) && mid < 0; j++ {
		switch {
		case escapeAt(s, j):
			j++
		case s[j] == '[' || s[j] == '\n':
			return "", "", 0, false
		case s[j] == ']':
			mid = j
		}
	}
	if mid < i+2 || mid+1 >= len(s) || s[mid+1] != '(' {
		return "", "", 0, false
	}
	text = s[i+1 : mid]
	var u strings.Builder
	depth := 0
	for j := mid + 2; j < len(s); j++ {
		switch c := s[j]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return "", "", 0, false
		case escapeAt(s, j):
			u.WriteByte(s[j+1])
			j++
		case c == '(':
			depth++
			u.WriteByte(c)
		case c == ')' && depth > 0:
			depth--
			u.WriteByte(c)
		case c == ')':
			url = u.String()
			if url == "" || !allowedLink(url) {
				return "", "", 0, false
			}
			return text, url, j + 1, true
		default:
			u.WriteByte(c)
		}
	}
	return "", "", 0, false
}

func allowedLink(url string) bool {
	lower := strings.ToLower(url)
	for _, p := range []string{"https://", "http://", "tg://", "mailto:"} {
		if strings.HasPrefix(lower, p) && len(url) > len(p) {
			return true
		}
	}
	return false
}

// htmlToPlain drops the tags of Telegram HTML and decodes its entities: the
// text a reader would see, for a plain-text resend.
func htmlToPlain(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:lt])
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			b.WriteString(s[lt:])
			break
		}
		s = s[lt+gt+1:]
	}
	return html.UnescapeString(b.String())
}
