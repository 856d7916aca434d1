package telegram_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/staffbot/staffbot/internal/channel/telegram"
)

func TestEscapeHTML(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"обычный текст", "обычный текст"},
		{"a < b > c", "a &lt; b &gt; c"},
		{"ООО «Рога & Копыта»", "ООО «Рога &amp; Копыта»"},
		{"&amp;", "&amp;amp;"},
		{"<b>не жирный</b>", "&lt;b&gt;не жирный&lt;/b&gt;"},
		{`"кавычки" остаются`, `"кавычки" остаются`},
	}
	for _, tt := range tests {
		if got := telegram.EscapeHTML(tt.in); got != tt.want {
			t.Errorf("EscapeHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeMarkdownV2(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"01.07.2025", `01\.07\.2025`},
		{"2-НДФЛ", `2\-НДФЛ`},
		{"готово!", `готово\!`},
		{"(с учётом переноса)", `\(с учётом переноса\)`},
		{"3,5 дня", "3,5 дня"},
		{`a\b`, `a\\b`},
		{"_*[]()~`>#+-=|{}.!", "\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!"},
	}
	for _, tt := range tests {
		if got := telegram.EscapeMarkdownV2(tt.in); got != tt.want {
			t.Errorf("EscapeMarkdownV2(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkupToHTML(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"*жирный*", "<b>жирный</b>"},
		{"_курсив_", "<i>курсив</i>"},
		{"*жирный _и курсив_*", "<b>жирный <i>и курсив</i></b>"},
		{"[портал](https://hr.example/a?b=1&c=2)", `<a href="https://hr.example/a?b=1&amp;c=2">портал</a>`},
		{"[*важно*](https://hr.example)", `<a href="https://hr.example"><b>важно</b></a>`},
		{"[опасно](javascript:alert(1))", "[опасно](javascript:alert(1))"},
		{`[x](https://a.example/"onclick=)`, `<a href="https://a.example/&quot;onclick=">x</a>`},
		{"2*3*4 = 24", "2*3*4 = 24"},
		{"file_name_here", "file_name_here"},
		{"* пункт списка", "* пункт списка"},
		{"*не закрыт", "*не закрыт"},
		{"*через\nстроку*", "*через\nстроку*"},
		{"a < b & c > d", "a &lt; b &amp; c &gt; d"},
		{"*<script>*", "<b>&lt;script&gt;</b>"},
		{"Привет, *Анна*! 📄", "Привет, <b>Анна</b>! 📄"},
		// Backslash escapes, as faqbot writes titles and the web chat reads them.
		{`*snake\_case title*`, "<b>snake_case title</b>"},
		{`\*экран\*`, "*экран*"},
		{`*звёздочка \* внутри*`, "<b>звёздочка * внутри</b>"},
		{`\[не ссылка\](https://hr.example)`, "[не ссылка](https://hr.example)"},
		{`[a\]b](https://hr.example)`, `<a href="https://hr.example">a]b</a>`},
		{`\\`, `\`},
		{`*конец\\*`, `<b>конец\</b>`},
		{`C:\Temp\new <dir>`, `C:\Temp\new &lt;dir&gt;`},
		{`\<b\>`, `\&lt;b\&gt;`},
		// Parentheses in a link's URL: balanced, or escaped.
		{"[Закон](https://ru.wikipedia.org/wiki/ТК_(РФ)) действует",
			`<a href="https://ru.wikipedia.org/wiki/ТК_(РФ)">Закон</a> действует`},
		{`[Закон](https://hr.example/a_\)_b)`, `<a href="https://hr.example/a_)_b">Закон</a>`},
		{"([портал](https://hr.example/x))", `(<a href="https://hr.example/x">портал</a>)`},
		{"[не закрыта](https://hr.example/(a)", "[не закрыта](https://hr.example/(a)"},
	}
	for _, tt := range tests {
		if got := telegram.MarkupToHTML(tt.in); got != tt.want {
			t.Errorf("MarkupToHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// case08 is testdata/08-tg-markdownv2-unescaped.json.
type case08 struct {
	Request struct {
		Params struct {
			ParseMode string `json:"parse_mode"`
			Text      string `json:"text"`
		} `json:"params"`
	} `json:"request"`
	Response struct {
		Body json.RawMessage `json:"body"`
	} `json:"response"`
	CorrectlyEscapedText string `json:"correctly_escaped_text"`
	HTMLAlternative      struct {
		ParseMode string `json:"parse_mode"`
		Text      string `json:"text"`
	} `json:"html_alternative"`
}

func readCase08(t *testing.T) case08 {
	t.Helper()
	var c case08
	mustReadJSON(t, "testdata/08-tg-markdownv2-unescaped.json", &c)
	return c
}

// Case 08 (08-tg-markdownv2-unescaped): escaping each dynamic fragment gives
// the text Telegram accepts, and the markup renderer gives the HTML
// alternative.
func TestCase08_Escaping(t *testing.T) {
	c := readCase08(t)

	const bold = "*Остаток отпуска*"
	dynamic := ": 14 дн. на 01.07.2025 (с учётом переноса)! Справка 2-НДФЛ готова."
	if got := bold + telegram.EscapeMarkdownV2(dynamic); got != c.CorrectlyEscapedText {
		t.Errorf("escaped = %q, want %q", got, c.CorrectlyEscapedText)
	}
	if got := telegram.MarkupToHTML(c.Request.Params.Text); got != c.HTMLAlternative.Text {
		t.Errorf("html = %q, want %q", got, c.HTMLAlternative.Text)
	}
}

func mustReadJSON(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
}

// FuzzMarkupToHTML checks that whatever the markup, the HTML is well formed
// for Telegram: only <b>, <i> and <a href="..."> tags, each closed in order,
// and no bare "<", ">" or "&" in the text.
func FuzzMarkupToHTML(f *testing.F) {
	for _, seed := range []string{
		"*жирный _и курсив_*", "[портал](https://hr.example/a?b=1&c=2)", `*snake\_case*`,
		`\*экран\*`, "[x](https://a.example/(b))", `[x](https://a.example/\))`, "[*a*](tg://x) _b_ <c> & d",
		`\`, `[\](https://a)`, "*_[", "_*a_*",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !utf8.ValidString(in) {
			t.Skip()
		}
		out := telegram.MarkupToHTML(in)
		if err := wellFormed(out); err != "" {
			t.Fatalf("MarkupToHTML(%q) = %q: %s", in, out, err)
		}
	})
}

// wellFormed returns what is wrong with Telegram HTML s, or "".
func wellFormed(s string) string {
	var stack []string
	for i := 0; i < len(s); {
		switch s[i] {
		case '>':
			return "bare >"
		case '&':
			ok := false
			for _, e := range []string{"&amp;", "&lt;", "&gt;", "&quot;"} {
				if strings.HasPrefix(s[i:], e) {
					ok, i = true, i+len(e)
					break
				}
			}
			if !ok {
				return "bare &"
			}
			continue
		case '<':
			gt := strings.IndexByte(s[i:], '>')
			if gt < 0 {
				return "bare <"
			}
			tag := s[i+1 : i+gt]
			i += gt + 1
			switch {
			case tag == "b" || tag == "i":
				stack = append(stack, tag)
			case strings.HasPrefix(tag, `a href="`) && strings.HasSuffix(tag, `"`):
				if strings.ContainsAny(tag[len(`a href="`):len(tag)-1], `"<`) {
					return "quote or < in href"
				}
				stack = append(stack, "a")
			case strings.HasPrefix(tag, "/"):
				if len(stack) == 0 || stack[len(stack)-1] != tag[1:] {
					return "unbalanced </" + tag[1:] + ">"
				}
				stack = stack[:len(stack)-1]
			default:
				return "unexpected tag <" + tag + ">"
			}
			continue
		}
		i++
	}
	if len(stack) > 0 {
		return "unclosed <" + stack[len(stack)-1] + ">"
	}
	return ""
}
