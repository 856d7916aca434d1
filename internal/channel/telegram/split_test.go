package telegram_test

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/staffbot/staffbot/internal/channel/telegram"
)

func TestUTF16Len(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"Привет", 6},
		{"📄", 2},
		{"a📄b", 4},
		{"👩‍💻", 5}, // woman, zero-width joiner, laptop
		{"\xff", 1},
	}
	for _, tt := range tests {
		if got := telegram.UTF16Len(tt.in); got != tt.want {
			t.Errorf("UTF16Len(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		limit  int
		isHTML bool
		want   []string
	}{
		{"Short", "коротко", 10, false, []string{"коротко"}},
		{"Exact", "0123456789", 10, false, []string{"0123456789"}},
		{"AtSpace", "один два три", 8, false, []string{"один ", "два три"}},
		{"AtLine", "первая строка\nвторая", 16, false, []string{"первая строка\n", "вторая"}},
		{"AtParagraph", "абв где\n\nжзи клм", 12, false, []string{"абв где\n\n", "жзи клм"}},
		{"ParagraphOverLaterSpace", "abcd ef\n\ngh ij kl", 12, false, []string{"abcd ef\n\n", "gh ij kl"}},
		{"EarlyParagraphLosesToSpace", "ab\n\ncd ef gh", 10, false, []string{"ab\n\ncd ef ", "gh"}},
		{"HardCut", "abcdefghij", 4, false, []string{"abcd", "efgh", "ij"}},
		{"EmojiNotCut", "abc📄de", 4, false, []string{"abc", "📄de"}},
		{"EmojiOnly", "📄📄📄", 3, false, []string{"📄", "📄", "📄"}},
		{"BlankPieceDropped", "abcd    efgh", 4, false, []string{"abcd", "efgh"}},
		{"EntityNotCut", "ab &amp; cd", 5, true, []string{"ab ", "&amp;", " cd"}},
		{"TagClosedAndReopened", "<b>один два</b>", 14, true, []string{"<b>один </b>", "<b>два</b>"}},
		{"LinkReopened", `<a href="u">aa bb</a>`, 19, true, []string{`<a href="u">aa </a>`, `<a href="u">bb</a>`}},
		{"CutOutsideTag", "aa <i>bb</i> cc", 13, true, []string{"aa <i>bb</i> ", "cc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := telegram.SplitText(tt.in, tt.limit, tt.isHTML)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("SplitText(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
			for _, p := range got {
				if n := telegram.UTF16Len(p); n > tt.limit {
					t.Errorf("piece %q has %d units, want <= %d", p, n, tt.limit)
				}
			}
		})
	}
}

// Case 09 (09-tg-long-text-4097-emoji-boundary): 4097 code points, 4098
// UTF-16 units, with 📄 on units 4096-4097. Two messages, each within the
// limit, the emoji whole, nothing lost or repeated.
func TestSplitText_Case09(t *testing.T) {
	raw, err := os.ReadFile("testdata/09-tg-long-text-4097-emoji-boundary.txt")
	if err != nil {
		t.Fatalf("read input: %v", err)
	}
	text := string(raw)
	if n := telegram.UTF16Len(text); n != 4098 {
		t.Fatalf("input has %d UTF-16 units, want 4098", n)
	}

	for _, isHTML := range []bool{false, true} {
		in := text
		if isHTML {
			in = telegram.EscapeHTML(text)
		}
		pieces := telegram.SplitText(in, telegram.MaxTextLen, isHTML)
		if len(pieces) != 2 {
			t.Fatalf("html=%v: got %d pieces, want 2", isHTML, len(pieces))
		}
		checkPieces(t, in, pieces, telegram.MaxTextLen)
	}
}

// Without spaces to cut at, the cut falls before the emoji, never inside.
func TestSplitText_Case09NoSpaces(t *testing.T) {
	text := strings.Repeat("ж", 4095) + "📄!"
	pieces := telegram.SplitText(text, telegram.MaxTextLen, false)
	want := []string{strings.Repeat("ж", 4095), "📄!"}
	if strings.Join(pieces, "|") != strings.Join(want, "|") {
		t.Fatalf("got %d pieces ending %q, want the emoji to open the second", len(pieces), pieces[0][len(pieces[0])-6:])
	}
}

func TestSplitText_LongHTML(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 40000; i++ {
		b.WriteString("Абзац с <b>жирным &amp; важным</b> и <a href=\"https://hr.example/x\">ссылкой 📄</a>.\n")
		if i%7 == 0 {
			b.WriteString("<i>" + strings.Repeat("длинный курсив ", 400) + "</i>\n\n")
		}
	}
	pieces := telegram.SplitText(b.String(), telegram.MaxTextLen, true)
	if len(pieces) < 2 {
		t.Fatalf("got %d pieces, want several", len(pieces))
	}
	for i, p := range pieces {
		if n := telegram.UTF16Len(p); n > telegram.MaxTextLen {
			t.Errorf("piece %d has %d units", i, n)
		}
		if !balancedHTML(p) {
			t.Errorf("piece %d has unbalanced tags or a cut entity: ...%q", i, p[max(0, len(p)-40):])
		}
	}
}

// checkPieces asserts that pieces of a plain or escaped text are valid
// UTF-8 within limit and join back to the text.
func checkPieces(t *testing.T, text string, pieces []string, limit int) {
	t.Helper()
	for i, p := range pieces {
		if n := telegram.UTF16Len(p); n > limit {
			t.Errorf("piece %d has %d UTF-16 units, want <= %d", i, n, limit)
		}
		if !utf8.ValidString(p) {
			t.Errorf("piece %d is not valid UTF-8", i)
		}
	}
	if got := strings.Join(pieces, ""); got != text {
		t.Errorf("joined pieces differ from the text (%d vs %d bytes)", len(got), len(text))
	}
	if n := strings.Count(strings.Join(pieces, ""), "📄"); n != strings.Count(text, "📄") {
		t.Errorf("emoji count = %d, want %d", n, strings.Count(text, "📄"))
	}
}

// balancedHTML reports whether every tag in s is closed in order and no
// entity is cut.
func balancedHTML(s string) bool {
	var stack []string
	for len(s) > 0 {
		switch s[0] {
		case '<':
			end := strings.IndexByte(s, '>')
			if end < 0 {
				return false
			}
			tag := s[1:end]
			if name, ok := strings.CutPrefix(tag, "/"); ok {
				if len(stack) == 0 || stack[len(stack)-1] != name {
					return false
				}
				stack = stack[:len(stack)-1]
			} else {
				name, _, _ := strings.Cut(tag, " ")
				stack = append(stack, name)
			}
			s = s[end+1:]
		case '&':
			end := strings.IndexByte(s, ';')
			if end < 0 || end > 8 {
				return false
			}
			s = s[end+1:]
		default:
			s = s[1:]
		}
	}
	return len(stack) == 0
}
