package successfactors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/staffbot/staffbot"
)

// DateTime is an OData v2 date as SuccessFactors writes it in JSON:
// "/Date(<ms since 1970 UTC>)/" for Edm.DateTime and
// "/Date(<ms>+0180)/" for Edm.DateTimeOffset, where the suffix is an offset
// in minutes and the milliseconds are still UTC. Values before 1970 are
// negative; 9999-12-31 means open-ended [case 32]. A JSON null or an empty
// string is no value (Valid false).
type DateTime struct {
	Time  time.Time
	Valid bool
}

var dateRE = regexp.MustCompile(`^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$`)

// ParseDateTime reads a /Date(…)/ value.
func ParseDateTime(s string) (DateTime, error) {
	if s == "" {
		return DateTime{}, nil
	}
	m := dateRE.FindStringSubmatch(s)
	if m == nil {
		return DateTime{}, fmt.Errorf("date %q: want /Date(ms)/: %w", s, staffbot.ErrInvalid)
	}
	ms, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return DateTime{}, fmt.Errorf("date %q: %w", s, staffbot.ErrInvalid)
	}
	t := time.UnixMilli(ms).UTC()
	if m[2] != "" {
		mins, _ := strconv.Atoi(m[3])
		if m[2] == "-" {
			mins = -mins
		}
		t = t.In(time.FixedZone("", mins*60))
	}
	return DateTime{Time: t, Valid: true}, nil
}

// Open reports whether the value is SuccessFactors' "no end": 9999-12-31.
func (d DateTime) Open() bool { return d.Valid && d.Time.UTC().Year() == 9999 }

// Date returns the calendar day in UTC, or nil when there is no value or
// the value is the open end.
func (d DateTime) Date() *staffbot.Date {
	if !d.Valid || d.Open() {
		return nil
	}
	day := staffbot.DateOf(d.Time.UTC())
	return &day
}

// UnmarshalJSON accepts "/Date(…)/" and null.
func (d *DateTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = DateTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date: want a string: %w", staffbot.ErrInvalid)
	}
	v, err := ParseDateTime(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes "/Date(ms)/", the only form SuccessFactors accepts on
// writes: an ISO string is refused with "Illegal datetime format" [case 35].
func (d DateTime) MarshalJSON() ([]byte, error) {
	if !d.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(FormatDateTime(d.Time))
}

// FormatDateTime writes t as /Date(ms)/, milliseconds since 1970 UTC.
func FormatDateTime(t time.Time) string {
	return "/Date(" + strconv.FormatInt(t.UnixMilli(), 10) + ")/"
}
