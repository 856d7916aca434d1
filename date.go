package staffbot

import (
	"fmt"
	"time"
)

// Date is a calendar day without a time zone, such as a hire date. It gets a
// zone only when a company's zone is applied to it.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads a day written as YYYY-MM-DD and rejects impossible days
// such as 2025-02-31.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: %w", s, ErrInvalid)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD, the form stored in the database.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Russian formats d as DD.MM.YYYY, the form Russian documents use.
func (d Date) Russian() string {
	return fmt.Sprintf("%02d.%02d.%04d", d.Day, d.Month, d.Year)
}

// In returns the start of the day d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the day n days after d (before, when n is negative).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.String() < o.String() }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return o.Before(d) }
