package telegram_test

import (
	"encoding/json"
	"os"
	"testing"

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
