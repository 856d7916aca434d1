package calendar_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/calendar"
)

var moscow = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		panic(err)
	}
	return loc
}()

// eightHours is the usual 40-hour week: 09:00–18:00 with an hour for
// lunch, the week the official norms of hours are counted for.
func eightHours(t *testing.T) calendar.Hours {
	t.Helper()
	spans, err := calendar.ParseSpans("09:00-13:00, 14:00-18:00")
	if err != nil {
		t.Fatal(err)
	}
	var h calendar.Hours
	for wd := time.Monday; wd <= time.Friday; wd++ {
		h[wd] = spans
	}
	return h
}

// TestRussian_OfficialTotals checks the table against the published
// figures: working days per month and the yearly norm of hours for a
// 40-hour week (1972 in both years: 247 days × 8 hours less 4 short days).
func TestRussian_OfficialTotals(t *testing.T) {
	tests := []struct {
		year   int
		months [12]int
		hours  int
	}{
		{2025, [12]int{17, 20, 21, 22, 18, 19, 23, 21, 22, 23, 19, 22}, 1972},
		{2026, [12]int{15, 19, 21, 22, 19, 21, 23, 21, 22, 22, 20, 22}, 1972},
	}
	for _, tt := range tests {
		cal := calendar.Russian(moscow, eightHours(t), nil)
		var months [12]int
		var total time.Duration
		for d := (staffbot.Date{Year: tt.year, Month: 1, Day: 1}); d.Year == tt.year; d = d.AddDays(1) {
			if cal.IsWorkingDay(d) {
				months[d.Month-1]++
			}
			for _, sp := range cal.Spans(d) {
				total += time.Duration(sp.To-sp.From) * time.Minute
			}
		}
		if months != tt.months {
			t.Errorf("%d working days by month = %v, want %v", tt.year, months, tt.months)
		}
		if got := int(total.Hours()); got != tt.hours {
			t.Errorf("%d norm of hours = %d, want %d", tt.year, got, tt.hours)
		}
		if !calendar.Decreed(tt.year) {
			t.Errorf("Decreed(%d) = false", tt.year)
		}
	}
}

// TestRussian_LabourCodeRule checks a year without a decree: weekend
// holidays move to the next working day, the day before a holiday is
// short, and New Year weekends stay where they are.
func TestRussian_LabourCodeRule(t *testing.T) {
	days := calendar.YearDays(2027)
	want := map[string]calendar.DayKind{
		"2027-01-04": calendar.Holiday, "2027-01-08": calendar.Holiday, "2027-01-11": calendar.Regular,
		"2027-02-22": calendar.Short, "2027-02-23": calendar.Holiday,
		"2027-04-30": calendar.Short, "2027-05-03": calendar.Holiday,
		"2027-05-10": calendar.Holiday, "2027-06-11": calendar.Short, "2027-06-14": calendar.Holiday,
		"2027-11-03": calendar.Short, "2027-11-04": calendar.Holiday, "2027-12-31": calendar.Short,
	}
	for s, k := range want {
		d, _ := staffbot.ParseDate(s)
		if days[d] != k {
			t.Errorf("%s = %q, want %q", s, days[d], k)
		}
	}
	if calendar.Decreed(2027) {
		t.Error("Decreed(2027) = true; the table has no 2027 decree")
	}
}

func TestCalendar_Add(t *testing.T) {
	cal := calendar.Russian(moscow, calendar.DefaultHours(), nil)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, moscow)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		start string
		d     time.Duration
		want  string
	}{
		{"SameDay", "2026-02-18 10:00", 4 * time.Hour, "2026-02-18 14:00"},
		{"BeforeOpening", "2026-02-18 07:30", time.Hour, "2026-02-18 10:00"},
		{"EndsExactlyAtClosing", "2026-02-18 14:00", 4 * time.Hour, "2026-02-18 18:00"},
		// Friday before Defender of the Fatherland Day: the weekend and
		// Monday the 23rd do not count.
		{"FridayBeforeHoliday", "2026-02-20 16:00", 4 * time.Hour, "2026-02-24 11:00"},
		{"AfterHoursFriday", "2026-02-20 19:00", 4 * time.Hour, "2026-02-24 13:00"},
		// 30 April is an hour short; May 1–3 are off.
		{"ShortDay", "2026-04-30 16:00", 2 * time.Hour, "2026-05-04 10:00"},
		// 8 March 2026 is a Sunday; the day off moves to Monday the 9th.
		{"MovedDayOff", "2026-03-06 17:00", 2 * time.Hour, "2026-03-10 10:00"},
		// New Year holidays 2025/2026 run from 31 December to 11 January.
		{"NewYear", "2025-12-30 17:30", time.Hour, "2026-01-12 09:30"},
		// Saturday 1 November 2025 was worked, an hour short.
		{"WorkedSaturday", "2025-11-01 16:30", time.Hour, "2025-11-05 09:30"},
	}
	for _, tt := range tests {
		got := cal.Add(at(tt.start), tt.d)
		if want := at(tt.want); !got.Equal(want) {
			t.Errorf("%s: Add(%s, %s) = %s, want %s", tt.name, tt.start, tt.d, got.In(moscow).Format("2006-01-02 15:04"), tt.want)
		}
		if back := cal.Between(at(tt.start), got); back != tt.d {
			t.Errorf("%s: Between = %s, want %s", tt.name, back, tt.d)
		}
	}
}

func TestCalendar_Due(t *testing.T) {
	fri := time.Date(2026, 3, 6, 15, 0, 0, 0, moscow)
	cal := calendar.Russian(moscow, calendar.DefaultHours(), nil)

	// A certificate asked for on Friday 6 March 2026 is due within three
	// working days, the Friday counting as the first: 6, 10, 11 March.
	got := cal.Due(fri, calendar.Target{Days: 3})
	if want := time.Date(2026, 3, 11, 18, 0, 0, 0, moscow); !got.Equal(want) {
		t.Errorf("3 working days from %s = %s, want %s", fri, got, want)
	}
	// A company that also rests on 10 March moves the due day.
	extra := calendar.Russian(moscow, calendar.DefaultHours(), map[staffbot.Date]calendar.DayKind{
		{Year: 2026, Month: 3, Day: 10}: calendar.Holiday,
	})
	if got, want := extra.Due(fri, calendar.Target{Days: 3}), time.Date(2026, 3, 12, 18, 0, 0, 0, moscow); !got.Equal(want) {
		t.Errorf("with 10 March off = %s, want %s", got, want)
	}
	// A company may also undo a day of the production calendar.
	undo := calendar.Russian(moscow, calendar.DefaultHours(), map[staffbot.Date]calendar.DayKind{
		{Year: 2026, Month: 3, Day: 9}: calendar.Regular,
	})
	if got, want := undo.Due(fri, calendar.Target{Minutes: 240}), time.Date(2026, 3, 9, 10, 0, 0, 0, moscow); !got.Equal(want) {
		t.Errorf("with 9 March worked = %s, want %s", got, want)
	}
	if got := cal.Due(fri, calendar.Target{}); !got.IsZero() {
		t.Errorf("no target = %s, want the zero time", got)
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want calendar.Target
		out  string
	}{
		{"4h", calendar.Target{Minutes: 240}, "4h"},
		{"90m", calendar.Target{Minutes: 90}, "1h30m"},
		{"45m", calendar.Target{Minutes: 45}, "45m"},
		{" 3D ", calendar.Target{Days: 3}, "3d"},
		{"", calendar.Target{}, ""},
	}
	for _, tt := range tests {
		got, err := calendar.ParseTarget(tt.in)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want || got.String() != tt.out {
			t.Errorf("ParseTarget(%q) = %+v (%q), want %+v (%q)", tt.in, got, got.String(), tt.want, tt.out)
		}
	}
	for _, bad := range []string{"0d", "-4h", "30s", "abc", "400d"} {
		if _, err := calendar.ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
}

func TestHours_JSON(t *testing.T) {
	h := calendar.DefaultHours()
	h[time.Saturday] = []calendar.Span{{From: 10 * 60, To: 14 * 60}}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back calendar.Hours
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal %s: %v", b, err)
	}
	if got, want := calendar.FormatSpans(back[time.Saturday]), "10:00-14:00"; got != want {
		t.Errorf("Saturday = %q, want %q", got, want)
	}
	if got, want := calendar.FormatSpans(back[time.Monday]), "09:00-18:00"; got != want {
		t.Errorf("Monday = %q, want %q", got, want)
	}
	for _, bad := range []string{"18:00-09:00", "09:00-13:00, 12:00-18:00", "9-18", "25:00-26:00"} {
		if _, err := calendar.ParseSpans(bad); err == nil {
			t.Errorf("ParseSpans(%q) accepted", bad)
		}
	}
}
