package securelink

import (
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/locale"
)

func TestCleanFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Справка 2-НДФЛ.pdf", "Справка 2-НДФЛ.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\hr\Расчётный листок.pdf`, "Расчётный листок.pdf"},
		{"  .hidden\x00\n.pdf ", "hidden.pdf"},
		{`a"b.pdf`, "ab.pdf"},
		{"", "file"},
		{"/", "file"},
		{strings.Repeat("я", 200) + ".pdf", strings.Repeat("я", maxNameRunes-4) + ".pdf"},
	}
	for _, tt := range tests {
		if got := cleanFileName(tt.in); got != tt.want {
			t.Errorf("cleanFileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a.pdf", `attachment; filename="a.pdf"; filename*=UTF-8''a.pdf`},
		{"Щука ёж.pdf", `attachment; filename="Shchuka ezh.pdf"; filename*=UTF-8''%D0%A9%D1%83%D0%BA%D0%B0%20%D1%91%D0%B6.pdf`},
		{"日本; x.pdf", `attachment; filename="__; x.pdf"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%3B%20x.pdf`},
		{`a\b.pdf`, `attachment; filename="a_b.pdf"; filename*=UTF-8''a%5Cb.pdf`},
	}
	for _, tt := range tests {
		if got := contentDisposition(tt.in); got != tt.want {
			t.Errorf("contentDisposition(%q) =\n%s\nwant\n%s", tt.in, got, tt.want)
		}
	}
}

func TestCleanContentType(t *testing.T) {
	tests := []struct{ in, want string }{
		{"application/pdf", "application/pdf"},
		{"Application/PDF", "application/pdf"},
		{"text/html; charset=utf-8", "application/octet-stream"},
		{"image/svg+xml", "application/octet-stream"},
		{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"", "application/octet-stream"},
		{"garbage/", "application/octet-stream"},
	}
	for _, tt := range tests {
		if got := cleanContentType(tt.in); got != tt.want {
			t.Errorf("cleanContentType(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCodeFromInput(t *testing.T) {
	tests := []struct{ in, want string }{
		{"123456", "123456"},
		{" 123 456 ", "123456"},
		{"123-456", "123456"},
		{"１２３４５６", "123456"},
		{"12345", ""},
		{"1234567", ""},
		{strings.Repeat("1", 100), ""},
	}
	for _, tt := range tests {
		if got := codeFromInput(tt.in); got != tt.want {
			t.Errorf("codeFromInput(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlural(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{1, "1 день"}, {2, "2 дня"}, {5, "5 дней"}, {11, "11 дней"}, {12, "12 дней"}, {21, "21 день"}, {22, "22 дня"}, {111, "111 дней"},
	}
	for _, tt := range tests {
		if got := plural(locale.RU, tt.n, "день", "дня", "дней"); got != tt.want {
			t.Errorf("plural(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestCodes(t *testing.T) {
	key := randomBytes(fileKeySize)
	seen := map[string]bool{}
	for range 50 {
		c := newCode()
		if len(c) != codeDigits || codeFromInput(c) != c {
			t.Fatalf("newCode() = %q, not six digits", c)
		}
		seen[c] = true
		h := hashCode(key, 7, c)
		if !codeMatches(key, 7, c, h) {
			t.Errorf("code %s does not match its own hash", c)
		}
		if codeMatches(key, 8, c, h) || codeMatches(randomBytes(fileKeySize), 7, c, h) {
			t.Errorf("code %s matches under another link or key", c)
		}
	}
	if len(seen) < 45 {
		t.Errorf("%d distinct codes of 50", len(seen))
	}
	tok, hash := newToken()
	if !validTokenShape(tok) || len(tok) != 32 || hash != hashToken(tok) || strings.Contains(hash, tok) {
		t.Errorf("newToken() = %q, %q", tok, hash)
	}
}
