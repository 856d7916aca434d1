// Package calendar counts working time: the hours a company works on each
// weekday, the days the production calendar ("производственный календарь")
// makes holidays, working days or shortened pre-holiday days, and the
// company's own changes on top. Helpdesk SLA timers run on it, so a ticket
// opened on the Friday before a holiday is not overdue on the holiday.
package calendar

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// DayKind says how the production calendar treats a day.
type DayKind string

// The kinds of day. A day not listed is Regular: its weekday's hours.
const (
	Regular DayKind = ""        // the weekday decides
	Holiday DayKind = "holiday" // a non-working day: a holiday or a day off moved onto a weekday
	Workday DayKind = "workday" // a working day on a weekend, moved from elsewhere
	Short   DayKind = "short"   // a working day one hour shorter, before a holiday
)

// ParseDayKind checks a stored or typed kind.
func ParseDayKind(s string) (DayKind, error) {
	switch k := DayKind(s); k {
	case Regular, Holiday, Workday, Short:
		return k, nil
	}
	return "", fmt.Errorf("day kind %q: use holiday, workday or short: %w", s, staffbot.ErrInvalid)
}

// Span is a stretch of working time within a day, in minutes from
// midnight: From inclusive, To exclusive.
type Span struct {
	From, To int
}

// String formats the span as 09:00-18:00.
func (s Span) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.From/60, s.From%60, s.To/60, s.To%60)
}

// Hours are the working spans of each weekday, indexed by time.Weekday.
type Hours [7][]Span

// DefaultHours is Monday to Friday, 09:00 to 18:00.
func DefaultHours() Hours {
	var h Hours
	for wd := time.Monday; wd <= time.Friday; wd++ {
		h[wd] = []Span{{From: 9 * 60, To: 18 * 60}}
	}
	return h
}

var weekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseSpans reads a day's spans written as "09:00-13:00, 14:00-18:00";
// the empty string is a day off. Spans must be in order and not overlap.
func ParseSpans(s string) ([]Span, error) {
	var out []Span
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, b, ok := strings.Cut(part, "-")
		if !ok {
			return nil, fmt.Errorf("hours %q: want HH:MM-HH:MM: %w", part, staffbot.ErrInvalid)
		}
		from, err := parseClock(a)
		if err != nil {
			return nil, err
		}
		to, err := parseClock(b)
		if err != nil {
			return nil, err
		}
		if to <= from || (len(out) > 0 && from < out[len(out)-1].To) {
			return nil, fmt.Errorf("hours %q: spans must run forward without overlapping: %w", part, staffbot.ErrInvalid)
		}
		out = append(out, Span{From: from, To: to})
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, fmt.Errorf("time %q: want HH:MM: %w", s, staffbot.ErrInvalid)
	}
	return hh*60 + mm, nil
}

// FormatSpans writes spans the way ParseSpans reads them.
func FormatSpans(spans []Span) string {
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

// MarshalJSON writes the hours as {"mon": "09:00-18:00", …}.
func (h Hours) MarshalJSON() ([]byte, error) {
	m := map[string]string{}
	for wd, spans := range h {
		m[weekdayKeys[wd]] = FormatSpans(spans)
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (h *Hours) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var out Hours
	for wd, key := range weekdayKeys {
		spans, err := ParseSpans(m[key])
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		out[wd] = spans
	}
	*h = out
	return nil
}

// Empty reports whether no weekday has working hours.
func (h Hours) Empty() bool {
	for _, spans := range h {
		if len(spans) > 0 {
			return false
		}
	}
	return true
}

// Calendar is a company's working time in its time zone.
type Calendar struct {
	loc   *time.Location
	hours Hours
	days  map[staffbot.Date]DayKind
}

// New returns a calendar with the given hours and day kinds. Hours with no
// working time at all count every hour of every day, so that timers still
// run.
func New(loc *time.Location, hours Hours, days map[staffbot.Date]DayKind) *Calendar {
	if loc == nil {
		loc = time.UTC
	}
	if hours.Empty() {
		for wd := range hours {
			hours[wd] = []Span{{From: 0, To: 24 * 60}}
		}
	}
	c := &Calendar{loc: loc, hours: hours, days: map[staffbot.Date]DayKind{}}
	for d, k := range days {
		if k != Regular {
			c.days[d] = k
		}
	}
	return c
}

// Russian returns the calendar of a company on the Russian production
// calendar (see russia.go) with its own changes on top: a change of kind
// Regular removes the production calendar's entry for that day.
func Russian(loc *time.Location, hours Hours, changes map[staffbot.Date]DayKind) *Calendar {
	days := RussianDays()
	for d, k := range changes {
		if k == Regular {
			delete(days, d)
			continue
		}
		days[d] = k
	}
	return New(loc, hours, days)
}

// Company returns the calendar a company works by: its working week as
// the helpdesk settings keep it (JSON, see Hours.MarshalJSON; empty for
// DefaultHours), on the Russian production calendar with the company's
// own changes.
func Company(loc *time.Location, hoursJSON string, changes map[staffbot.Date]DayKind) (*Calendar, error) {
	hours := DefaultHours()
	if hoursJSON != "" {
		if err := json.Unmarshal([]byte(hoursJSON), &hours); err != nil {
			return nil, fmt.Errorf("working hours: %w", err)
		}
	}
	return Russian(loc, hours, changes), nil
}

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Hours returns the weekly hours.
func (c *Calendar) Hours() Hours { return c.hours }

// Kind returns how the calendar lists day d; Regular when it does not.
func (c *Calendar) Kind(d staffbot.Date) DayKind { return c.days[d] }

// IsWorkingDay reports whether day d has working hours.
func (c *Calendar) IsWorkingDay(d staffbot.Date) bool { return len(c.Spans(d)) > 0 }

// Spans returns the working spans of day d: none on a holiday; on a
// working weekend day, the hours of the first weekday that has any; on a
// short day, the last span ends an hour earlier (art. 95 of the Labour
// Code).
func (c *Calendar) Spans(d staffbot.Date) []Span {
	kind := c.days[d]
	wd := d.In(time.UTC).Weekday()
	spans := c.hours[wd]
	switch kind {
	case Holiday:
		return nil
	case Workday, Short:
		if len(spans) == 0 {
			for i := 1; i <= 7; i++ {
				if s := c.hours[(int(time.Monday)+i-1)%7]; len(s) > 0 {
					spans = s
					break
				}
			}
		}
	}
	if kind == Short && len(spans) > 0 {
		spans = slices.Clone(spans)
		last := &spans[len(spans)-1]
		if last.To-last.From > 60 {
			last.To -= 60
		}
	}
	return spans
}

// horizon bounds the walk over days: past it the calendar is assumed to
// have no working time left, which New's fallback makes impossible.
const horizon = 3 * 366

// at returns minute m of day d in the calendar's zone.
func (c *Calendar) at(d staffbot.Date, m int) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, m, 0, 0, c.loc)
}

// Add returns the instant when d of working time has passed since t: the
// end of the working stretch that uses up the last of it. Non-positive d
// returns t.
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	day := staffbot.DateOf(t.In(c.loc))
	for range horizon {
		for _, sp := range c.Spans(day) {
			from, to := c.at(day, sp.From), c.at(day, sp.To)
			if !to.After(t) {
				continue
			}
			if from.Before(t) {
				from = t
			}
			if avail := to.Sub(from); avail >= d {
				return from.Add(d)
			} else {
				d -= avail
			}
		}
		day = day.AddDays(1)
	}
	return t.Add(d)
}

// Between returns the working time from a to b; zero when b is not after a.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	var sum time.Duration
	day := staffbot.DateOf(a.In(c.loc))
	last := staffbot.DateOf(b.In(c.loc))
	for i := 0; i < horizon && !day.After(last); i++ {
		for _, sp := range c.Spans(day) {
			from, to := c.at(day, sp.From), c.at(day, sp.To)
			if from.Before(a) {
				from = a
			}
			if to.After(b) {
				to = b
			}
			if to.After(from) {
				sum += to.Sub(from)
			}
		}
		day = day.AddDays(1)
	}
	return sum
}

// EndOfWorkingDay returns the end of the n-th working day counted from
// t's day, which is the first when it is a working day (the day a request
// is filed counts, as courts read art. 62 of the Labour Code).
func (c *Calendar) EndOfWorkingDay(t time.Time, n int) time.Time {
	day := staffbot.DateOf(t.In(c.loc))
	count := 0
	for range horizon {
		if spans := c.Spans(day); len(spans) > 0 {
			count++
			if count >= max(n, 1) {
				return c.at(day, spans[len(spans)-1].To)
			}
		}
		day = day.AddDays(1)
	}
	return t.Add(time.Duration(n) * 24 * time.Hour)
}

// Target is an SLA target in working time: either a number of working
// minutes, or a number of working days that ends with the last of them.
type Target struct {
	Minutes int
	Days    int
}

// IsZero reports whether no target is set.
func (t Target) IsZero() bool { return t.Minutes <= 0 && t.Days <= 0 }

// ParseTarget reads "4h", "90m", "1h30m" (working hours and minutes) or
// "3d" (working days); the empty string is no target.
func ParseTarget(s string) (Target, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return Target{}, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > 365 {
			return Target{}, fmt.Errorf("target %q: want a number of days such as 3d: %w", s, staffbot.ErrInvalid)
		}
		return Target{Days: days}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Minute || d > 365*24*time.Hour || d%time.Minute != 0 {
		return Target{}, fmt.Errorf("target %q: want hours and minutes such as 4h or 1h30m: %w", s, staffbot.ErrInvalid)
	}
	return Target{Minutes: int(d / time.Minute)}, nil
}

// String writes the target as ParseTarget reads it.
func (t Target) String() string {
	switch {
	case t.Days > 0:
		return strconv.Itoa(t.Days) + "d"
	case t.Minutes <= 0:
		return ""
	case t.Minutes%60 == 0:
		return strconv.Itoa(t.Minutes/60) + "h"
	case t.Minutes < 60:
		return strconv.Itoa(t.Minutes) + "m"
	}
	return fmt.Sprintf("%dh%dm", t.Minutes/60, t.Minutes%60)
}

// Due returns when a timer started at start with target t runs out; the
// zero time when t is zero.
func (c *Calendar) Due(start time.Time, t Target) time.Time {
	switch {
	case t.Days > 0:
		return c.EndOfWorkingDay(start, t.Days)
	case t.Minutes > 0:
		return c.Add(start, time.Duration(t.Minutes)*time.Minute)
	}
	return time.Time{}
}
