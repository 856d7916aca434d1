package locale_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/locale"
)

// keys are the texts the bot uses; each must exist in both languages.
var keys = []string{
	"stranger", "throttled",
	"consent.ask", "consent.yes", "consent.no", "consent.declined", "consent.thanks",
	"help", "menu", "menu.help", "menu.mydata", "menu.consent", "welcome.back",
	"not.understood", "unsupported", "mydata",
}

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

func TestFromCode(t *testing.T) {
	tests := []struct {
		code string
		want locale.Lang
	}{
		{"ru", locale.RU},
		{"", locale.RU},
		{"uk", locale.RU},
		{"de", locale.RU},
		{"en", locale.EN},
		{"en-US", locale.EN},
		{"EN", locale.EN},
	}
	for _, tt := range tests {
		if got := locale.FromCode(tt.code); got != tt.want {
			t.Errorf("FromCode(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

func TestT_BothLanguages(t *testing.T) {
	for _, key := range keys {
		ru, en := locale.T(locale.RU, key), locale.T(locale.EN, key)
		if ru == key || en == key {
			t.Errorf("%s: missing (ru %q, en %q)", key, ru, en)
			continue
		}
		if ru == en {
			t.Errorf("%s: English text equals the Russian one: %q", key, ru)
		}
		if !regexp.MustCompile(`[А-Яа-яЁё]`).MatchString(ru) {
			t.Errorf("%s: Russian text has no Cyrillic: %q", key, ru)
		}
		if regexp.MustCompile(`[А-Яа-яЁё]`).MatchString(en) {
			t.Errorf("%s: English text has Cyrillic: %q", key, en)
		}
		// The same arguments fill both, so the verbs must match in order.
		if rv, ev := verb.FindAllString(ru, -1), verb.FindAllString(en, -1); strings.Join(rv, " ") != strings.Join(ev, " ") {
			t.Errorf("%s: verbs differ: ru %v, en %v", key, rv, ev)
		}
	}
}

func TestT_Formats(t *testing.T) {
	got := locale.T(locale.RU, "welcome.back", "Дарья")
	if got != "С возвращением, Дарья! Чем помочь? Откройте /menu." {
		t.Errorf("welcome.back = %q", got)
	}
	got = locale.T(locale.EN, "consent.ask", "Daria", "Акме", "2026-01", "http://localhost:8080/consent")
	for _, want := range []string{"Daria", "«Акме»", "version 2026-01", "http://localhost:8080/consent"} {
		if !strings.Contains(got, want) {
			t.Errorf("consent.ask lacks %q: %q", want, got)
		}
	}
	if strings.Contains(got, "%!") {
		t.Errorf("consent.ask has a bad verb: %q", got)
	}
}

func TestT_UnknownKeyAndLanguage(t *testing.T) {
	if got := locale.T(locale.RU, "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key = %q, want the key itself", got)
	}
	// An unknown language falls back to Russian, the first language.
	if got, want := locale.T(locale.Lang("de"), "menu"), locale.T(locale.RU, "menu"); got != want {
		t.Errorf("T(de, menu) = %q, want the Russian %q", got, want)
	}
}

// The refusal to strangers says nothing about the company or its people.
func TestT_StrangerRevealsNothing(t *testing.T) {
	for _, lang := range []locale.Lang{locale.RU, locale.EN} {
		s := locale.T(lang, "stranger")
		if strings.Contains(s, "%") {
			t.Errorf("%s stranger text takes arguments: %q", lang, s)
		}
	}
}
