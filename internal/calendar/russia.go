package calendar

import (
	"fmt"
	"maps"
	"time"

	"github.com/staffbot/staffbot"
)

// The Russian production calendar for a five-day week. Non-working
// holidays are those of art. 112 of the Labour Code; every year a
// government decree moves some days off ("перенос выходных дней"), and the
// working day before a holiday is an hour shorter (art. 95).
//
// 2025: decree of 04.10.2024 No. 1335 — days off moved from Sat 4 January
// to Fri 2 May, from Sun 5 January to Wed 31 December, from Sun 23
// February to Thu 8 May, from Sat 8 March to Fri 13 June, from Sat 1
// November to Mon 3 November (Saturday 1 November is worked, shortened).
// 247 working days.
//
// 2026: decree of September 2025 — days off moved from Sat 3 January to
// Fri 9 January and from Sun 4 January to Thu 31 December; 8 March (Sun)
// and 9 May (Sat) move by art. 112 to Mon 9 March and Mon 11 May. 247
// working days; 30 April, 8 May, 11 June and 3 November are short.
//
// Other years, 2027 included, follow the Labour Code alone: a holiday on
// a weekend moves the day off to the next working day, except in the New
// Year holidays, whose weekend days only a decree moves.
//
// NOTE: the 2027 decree was not yet published when this table was made;
// its moves of 2 and 3 January (and any others) must be added here, and a
// company can enter them in its own calendar meanwhile.
var decrees = map[int]map[string]DayKind{
	2025: {
		"01-01": Holiday, "01-02": Holiday, "01-03": Holiday, "01-04": Holiday,
		"01-05": Holiday, "01-06": Holiday, "01-07": Holiday, "01-08": Holiday,
		"02-23": Holiday, "03-07": Short, "03-08": Holiday,
		"04-30": Short, "05-01": Holiday, "05-02": Holiday, "05-08": Holiday, "05-09": Holiday,
		"06-11": Short, "06-12": Holiday, "06-13": Holiday,
		"11-01": Short, "11-03": Holiday, "11-04": Holiday,
		"12-31": Holiday,
	},
	2026: {
		"01-01": Holiday, "01-02": Holiday, "01-03": Holiday, "01-04": Holiday,
		"01-05": Holiday, "01-06": Holiday, "01-07": Holiday, "01-08": Holiday, "01-09": Holiday,
		"02-23": Holiday, "03-08": Holiday, "03-09": Holiday,
		"04-30": Short, "05-01": Holiday, "05-08": Short, "05-09": Holiday, "05-11": Holiday,
		"06-11": Short, "06-12": Holiday,
		"11-03": Short, "11-04": Holiday,
		"12-31": Holiday,
	},
}

// holidays are the non-working holidays of art. 112, as MM-DD.
var holidays = []string{
	"01-01", "01-02", "01-03", "01-04", "01-05", "01-06", "01-07", "01-08",
	"02-23", "03-08", "05-01", "05-09", "06-12", "11-04",
}

// FirstYear and LastYear bound the years RussianDays covers.
const (
	FirstYear = 2025
	LastYear  = 2027
)

// Decreed reports whether the year's days come from a published decree
// rather than from the Labour Code's rule alone.
func Decreed(year int) bool { return decrees[year] != nil }

// RussianDays returns the days of the production calendar from FirstYear
// to LastYear that are not ordinary weekdays and weekends. The map is the
// caller's.
func RussianDays() map[staffbot.Date]DayKind {
	out := map[staffbot.Date]DayKind{}
	for y := FirstYear; y <= LastYear; y++ {
		maps.Copy(out, YearDays(y))
	}
	return out
}

// YearDays returns one year's production calendar: the decree's when
// there is one, otherwise the Labour Code's rule.
func YearDays(year int) map[staffbot.Date]DayKind {
	out := map[staffbot.Date]DayKind{}
	if d, ok := decrees[year]; ok {
		for md, k := range d {
			out[mustDate(year, md)] = k
		}
		return out
	}

	isWeekend := func(d staffbot.Date) bool {
		wd := d.In(time.UTC).Weekday()
		return wd == time.Saturday || wd == time.Sunday
	}
	for _, md := range holidays {
		out[mustDate(year, md)] = Holiday
	}
	// A weekend that falls on a holiday moves to the next working day,
	// New Year holidays aside.
	for _, md := range holidays[8:] {
		h := mustDate(year, md)
		if !isWeekend(h) {
			continue
		}
		d := h.AddDays(1)
		for isWeekend(d) || out[d] == Holiday {
			d = d.AddDays(1)
		}
		out[d] = Holiday
	}
	// The working day right before a holiday is short.
	for _, md := range append(holidays[:1:1], holidays[8:]...) {
		h := mustDate(year, md)
		if md == "01-01" {
			h = mustDate(year+1, md)
		}
		prev := h.AddDays(-1)
		if !isWeekend(prev) && out[prev] == Regular && prev.Year == year {
			out[prev] = Short
		}
	}
	return out
}

func mustDate(year int, md string) staffbot.Date {
	d, err := staffbot.ParseDate(fmt.Sprintf("%04d-%s", year, md))
	if err != nil {
		panic(err)
	}
	return d
}
