package selfservice

import (
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/locale"
)

var today = staffbot.Date{Year: 2026, Month: 3, Day: 2}

func TestParseMonth(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" when refused
	}{
		{"2026-02", "2026-02"},
		{"март", "2026-03"},
		{"за март", "2026-03"},
		{"расчётный листок за февраль", "2026-02"},
		{"декабрь", "2025-12"},
		{"в декабре 2024", "2024-12"},
		{"мая", "2025-05"},
		{"03.2026", "2026-03"},
		{"1/2026", "2026-01"},
		{"1.2026", "2026-01"},
		{"2025-11", "2025-11"},
		{"March", "2026-03"},
		{"sept 2025", "2025-09"},
		{"апрель 2026", ""}, // later than this month
		{"январь 2020", ""}, // more than 36 months back
		{"13.2025", ""},
		{"на следующей неделе", ""},
	}
	for _, tt := range tests {
		m, ok := parseMonth(tt.in, today, 36)
		got := ""
		if ok {
			got = m.String()
		}
		if got != tt.want {
			t.Errorf("parseMonth(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseYear(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"2025", 2025},
		{"за 2024 год", 2024},
		{"прошлый год", 2025},
		{"за этот год", 2026},
		{"last year", 2025},
		{"2027", 0},
		{"2020", 0},
		{"год", 0},
	}
	for _, tt := range tests {
		got, ok := parseYear(tt.in, today, 3)
		if !ok {
			got = 0
		}
		if got != tt.want {
			t.Errorf("parseYear(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"15.06.2026", "2026-06-15"},
		{"15.06.26", "2026-06-15"},
		{"15.06", "2026-06-15"},
		{"01.02", "2027-02-01"}, // already past this year
		{"2026-03-02", "2026-03-02"},
		{"01.03.2026", ""}, // yesterday
		{"31.02.2026", ""},
		{"завтра", ""},
		{"15.06.2030", ""},
	}
	for _, tt := range tests {
		d, ok := parseDate(tt.in, today)
		got := ""
		if ok {
			got = d.String()
		}
		if got != tt.want {
			t.Errorf("parseDate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseNumberAndText(t *testing.T) {
	if n, ok := parseNumber("2 экземпляра", 1, 10); !ok || n != 2 {
		t.Errorf("parseNumber(2 экземпляра) = %d, %v", n, ok)
	}
	if _, ok := parseNumber("20", 1, 10); ok {
		t.Error("parseNumber took 20 for 1..10")
	}
	if _, ok := parseNumber("два", 1, 10); ok {
		t.Error("parseNumber took a word")
	}
	if got, ok := parseText("  во   Францию \n"); !ok || got != "во Францию" {
		t.Errorf("parseText = %q, %v", got, ok)
	}
	if _, ok := parseText("/start"); ok {
		t.Error("parseText took a command")
	}
}

func TestMatchChoice(t *testing.T) {
	q := &Question{Choices: yesNo}
	for in, want := range map[string]string{"да": "yes", "Нет": "no", "YES": "yes", "no": "no", "может быть": ""} {
		got, _ := matchChoice(q, in)
		if got != want {
			t.Errorf("matchChoice(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatDays(t *testing.T) {
	tests := []struct {
		lang locale.Lang
		in   float64
		want string
	}{
		{locale.RU, 23.67, "23,67 дня"},
		{locale.RU, 28, "28 дней"},
		{locale.RU, 21, "21 день"},
		{locale.RU, 3, "3 дня"},
		{locale.RU, 11, "11 дней"},
		{locale.RU, 0.5, "0,5 дня"},
		{locale.EN, 23.67, "23.67 days"},
		{locale.EN, 1, "1 day"},
	}
	for _, tt := range tests {
		if got := formatDays(tt.lang, tt.in); got != tt.want {
			t.Errorf("formatDays(%s, %v) = %q, want %q", tt.lang, tt.in, got, tt.want)
		}
	}
}
