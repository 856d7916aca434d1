package telegramtest

import (
	"encoding/json"
	"fmt"
	"html"
	"reflect"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

const maxTextLen = 4096

// checkText refuses a message text the way Telegram does: markup that does
// not parse, nothing left after parsing, more than 4096 UTF-16 code units
// after parsing.
func checkText(text, parseMode string) *Failure {
	var visible string
	var err error
	switch parseMode {
	case "":
		visible = text
	case "HTML":
		visible, err = parseHTML(text)
	case "MarkdownV2":
		visible, err = parseMarkdownV2(text)
	case "Markdown":
		visible = text
	default:
		return badRequest("unsupported parse_mode")
	}
	switch {
	case err != nil:
		return badRequest("can't parse entities: " + err.Error())
	case strings.TrimSpace(visible) == "":
		return badRequest("message text is empty")
	case utf16Len(visible) > maxTextLen:
		return badRequest("message is too long")
	}
	return nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++
		}
	}
	return n
}

var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "a": true, "code": true, "pre": true,
	"span": true, "tg-spoiler": true, "tg-emoji": true, "blockquote": true,
}

// parseHTML checks Telegram HTML: only the supported tags, properly nested,
// and only the entities Telegram knows. It returns the visible text.
func parseHTML(s string) (string, error) {
	var b strings.Builder
	var stack []string
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "", fmt.Errorf("Unclosed start tag at byte offset %d", i)
			}
			tag := s[i+1 : i+end]
			closing := strings.HasPrefix(tag, "/")
			name := strings.ToLower(strings.TrimPrefix(tag, "/"))
			if k := strings.IndexAny(name, " \t\n"); k >= 0 {
				name = name[:k]
			}
			switch {
			case !htmlTags[name] && closing:
				return "", fmt.Errorf("Unexpected end tag at byte offset %d", i)
			case !htmlTags[name]:
				return "", fmt.Errorf("Unsupported start tag %q at byte offset %d", name, i)
			case closing && (len(stack) == 0 || stack[len(stack)-1] != name):
				return "", fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"",
					i, last(stack), name)
			case closing:
				stack = stack[:len(stack)-1]
			default:
				stack = append(stack, name)
			}
			i += end + 1
		case '&':
			end := strings.IndexByte(s[i:], ';')
			if end < 0 || !validEntity(s[i:i+end+1]) {
				return "", fmt.Errorf("Unsupported HTML entity at byte offset %d", i)
			}
			b.WriteString(html.UnescapeString(s[i : i+end+1]))
			i += end + 1
		default:
			_, size := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", last(stack))
	}
	return b.String(), nil
}

func last(stack []string) string {
	if len(stack) == 0 {
		return ""
	}
	return stack[len(stack)-1]
}

func validEntity(e string) bool {
	switch e {
	case "&lt;", "&gt;", "&amp;", "&quot;":
		return true
	}
	body := strings.TrimSuffix(strings.TrimPrefix(e, "&#"), ";")
	if len(body) == len(e)-3 && body != "" {
		digits := "0123456789"
		if body[0] == 'x' || body[0] == 'X' {
			body, digits = body[1:], "0123456789abcdefABCDEF"
		}
		return body != "" && strings.Trim(body, digits) == ""
	}
	return false
}

// parseMarkdownV2 checks that every reserved character outside markup is
// escaped and that emphasis markers pair up. It returns the visible text.
func parseMarkdownV2(s string) (string, error) {
	var b strings.Builder
	open := map[rune]int{} // marker -> byte offset where it opened
	names := map[rune]string{'*': "Bold", '_': "Italic", '~': "Strikethrough", '`': "Code"}
	inLinkText, inLinkURL := false, false
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == '\\':
			next, size := utf8.DecodeRuneInString(s[i+1:])
			if i+1 >= len(s) {
				return "", fmt.Errorf("Character '\\' is reserved and must be escaped with the preceding '\\'")
			}
			b.WriteRune(next)
			w = 1 + size
		case inLinkURL:
			if r == ')' {
				inLinkURL = false
			}
		case names[r] != "":
			if _, ok := open[r]; ok {
				delete(open, r)
			} else {
				open[r] = i
			}
		case r == '[' && !inLinkText:
			inLinkText = true
		case r == ']' && inLinkText:
			inLinkText = false
			if strings.HasPrefix(s[i+1:], "(") {
				inLinkURL, w = true, 2
			}
		case r == '|' && strings.HasPrefix(s[i:], "||"):
			w = 2
		case r == '>' && (i == 0 || s[i-1] == '\n'):
		case strings.ContainsRune("_*[]()~`>#+-=|{}.!", r):
			return "", fmt.Errorf("Character '%c' is reserved and must be escaped with the preceding '\\'", r)
		default:
			b.WriteRune(r)
		}
	}
	for r, at := range open {
		return "", fmt.Errorf("Can't find end of %s entity at byte offset %d", names[r], at)
	}
	return b.String(), nil
}

// parseKeyboard reads reply_markup and checks every button.
func parseKeyboard(raw string) (*Keyboard, *Failure) {
	if raw == "" {
		return nil, nil
	}
	var kb Keyboard
	if err := json.Unmarshal([]byte(raw), &kb); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	for _, row := range kb.InlineKeyboard {
		for _, btn := range row {
			switch {
			case btn.Text == "":
				return nil, badRequest("BUTTON_TEXT_EMPTY")
			case btn.CallbackData == "" && btn.URL == "":
				return nil, badRequest("can't parse inline keyboard button: " +
					"Text buttons are unallowed in the inline keyboard")
			case len(btn.CallbackData) > 64:
				return nil, badRequest("BUTTON_DATA_INVALID")
			}
		}
	}
	return &kb, nil
}

func sameKeyboard(a, b *Keyboard) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return reflect.DeepEqual(a, b)
}
