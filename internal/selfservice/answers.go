package selfservice

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/locale"
)

// Parsing of typed answers. Each parser takes what a button sends as well
// as what an employee might type, and says no rather than guess.

var monthNamesRU = [...]string{"", "январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
	"сентябрь", "октябрь", "ноябрь", "декабрь"}

// monthPrefixes begin the Russian month words in any case ("марта", "в
// марте"); monthShort are the short and the irregular forms, taken only
// whole.
var (
	monthPrefixes = [...]string{"", "январ", "феврал", "март", "апрел", "", "июн", "июл", "август", "сентябр",
		"октябр", "ноябр", "декабр"}
	monthShort = map[string]time.Month{"янв": 1, "фев": 2, "мар": 3, "апр": 4, "май": 5, "мая": 5, "мае": 5,
		"авг": 8, "сен": 9, "сент": 9, "окт": 10, "ноя": 11, "дек": 12, "sept": 9}
)

// monthWord returns the month a folded word names, or 0.
func monthWord(w string) time.Month {
	if m, ok := monthShort[w]; ok {
		return m
	}
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		if w == name || w == name[:3] {
			return m
		}
		if p := monthPrefixes[m]; p != "" && strings.HasPrefix(w, p) {
			return m
		}
	}
	return 0
}

var (
	reMonthYear = regexp.MustCompile(`(?:^|[^0-9])([0-9]{1,2})[./-]([0-9]{4})(?:$|[^0-9])`)
	reYearMonth = regexp.MustCompile(`(?:^|[^0-9])([0-9]{4})-([0-9]{1,2})(?:$|[^0-9])`)
)

// parseMonth reads a month from a button ("2026-03") or typed text
// ("март", "за март 2025", "03.2026"). A month without a year is the last
// such month up to today's. The month must not be later than today's nor
// more than back months before it.
func parseMonth(text string, today staffbot.Date, back int) (hris.Month, bool) {
	m, ok := findMonth(text, today)
	if !ok {
		return hris.Month{}, false
	}
	cur := today.Year*12 + int(today.Month) - 1
	got := m.Year*12 + int(m.Month) - 1
	if got > cur || cur-got > back {
		return hris.Month{}, false
	}
	return m, true
}

func findMonth(text string, today staffbot.Date) (hris.Month, bool) {
	text = strings.TrimSpace(text)
	if m, err := hris.ParseMonth(text); err == nil {
		return m, true
	}
	for _, re := range []*regexp.Regexp{reMonthYear, reYearMonth} {
		if sub := re.FindStringSubmatch(text); sub != nil {
			a, _ := strconv.Atoi(sub[1])
			b, _ := strconv.Atoi(sub[2])
			if re == reYearMonth {
				a, b = b, a
			}
			if a >= 1 && a <= 12 {
				return hris.Month{Year: b, Month: time.Month(a)}, true
			}
		}
	}

	var (
		month time.Month
		year  int
	)
	for _, w := range words(text) {
		if mw := monthWord(w.text); mw != 0 && month == 0 {
			month = mw
		}
		if y, err := strconv.Atoi(w.text); err == nil && len(w.text) == 4 && y >= 2000 && y <= 2100 {
			year = y
		}
	}
	if month == 0 {
		return hris.Month{}, false
	}
	if year == 0 {
		year = today.Year
		if month > today.Month {
			year--
		}
	}
	return hris.Month{Year: year, Month: month}, true
}

// monthLabel names a month for people: "март 2026", "March 2026".
func monthLabel(lang locale.Lang, m hris.Month) string {
	if lang == locale.EN {
		return fmt.Sprintf("%s %d", m.Month, m.Year)
	}
	return fmt.Sprintf("%s %d", monthNamesRU[m.Month], m.Year)
}

// recentMonths are the last n months up to today's, newest first.
func recentMonths(today staffbot.Date, n int) []hris.Month {
	out := make([]hris.Month, 0, n)
	y, m := today.Year, today.Month
	for range n {
		out = append(out, hris.Month{Year: y, Month: m})
		m--
		if m == 0 {
			y, m = y-1, time.December
		}
	}
	return out
}

// parseYear reads a year from a button or typed text ("2025", "за 2025
// год", "прошлый год"), from back years ago up to this year.
func parseYear(text string, today staffbot.Date, back int) (int, bool) {
	y := 0
	ws := words(text)
	for i, w := range ws {
		if n, err := strconv.Atoi(w.text); err == nil && len(w.text) == 4 {
			y = n
			break
		}
		next := ""
		if i+1 < len(ws) {
			next = ws[i+1].stem
		}
		switch {
		case (w.stem == "прошл" || w.stem == "last") && (next == "год" || next == "year"):
			y = today.Year - 1
		case (w.stem == "этот" || w.stem == "текущ" || w.stem == "this" || w.stem == "current") &&
			(next == "год" || next == "year"):
			y = today.Year
		}
		if y != 0 {
			break
		}
	}
	if y == 0 || y > today.Year || y < today.Year-back {
		return 0, false
	}
	return y, true
}

// parseNumber reads a whole number from min to max: "2", "2 экземпляра".
func parseNumber(text string, lo, hi int) (int, bool) {
	for _, w := range words(text) {
		if n, err := strconv.Atoi(w.text); err == nil {
			return n, n >= lo && n <= hi
		}
	}
	return 0, false
}

var reDate = regexp.MustCompile(`^([0-9]{1,2})[./]([0-9]{1,2})(?:[./]([0-9]{2}|[0-9]{4}))?$`)

// parseDate reads a day from today to two years ahead: "15.06.2026",
// "15.06" (the next such day), "2026-06-15".
func parseDate(text string, today staffbot.Date) (staffbot.Date, bool) {
	text = strings.TrimSpace(text)
	d, err := staffbot.ParseDate(text)
	if err != nil {
		sub := reDate.FindStringSubmatch(text)
		if sub == nil {
			return staffbot.Date{}, false
		}
		day, _ := strconv.Atoi(sub[1])
		month, _ := strconv.Atoi(sub[2])
		year := today.Year
		if sub[3] != "" {
			year, _ = strconv.Atoi(sub[3])
			if year < 100 {
				year += 2000
			}
		}
		if d, err = staffbot.ParseDate(fmt.Sprintf("%04d-%02d-%02d", year, month, day)); err != nil {
			return staffbot.Date{}, false
		}
		if sub[3] == "" && d.Before(today) {
			d.Year++
		}
	}
	if d.Before(today) || d.After(today.AddDays(2*366)) {
		return staffbot.Date{}, false
	}
	return d, true
}

// parseText takes a typed answer of up to MaxTextLen characters.
func parseText(text string) (string, bool) {
	text = strings.Join(strings.Fields(text), " ")
	n := utf8.RuneCountInString(text)
	if n == 0 || n > MaxTextLen || strings.HasPrefix(text, "/") {
		return "", false
	}
	return text, true
}

// matchChoice finds the choice a typed text names by its label in either
// language or its value.
func matchChoice(q *Question, text string) (string, bool) {
	t := fold(strings.TrimSpace(text))
	for _, c := range q.Choices {
		if t == c.Value || t == fold(c.Label.RU) || t == fold(c.Label.EN) {
			return c.Value, true
		}
	}
	return "", false
}

func fold(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "ё", "е")
}
