package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// The helpdesk charts read the tickets themselves, by the day something
// happened to each (created, first answered, resolved, a timer ran out),
// as a day of the company's zone. The first three days are kept on the
// ticket (created_day, first_response_day, resolved_day) in the zone the
// company had at the time, and each read is a range of an index of
// migration 0012 in its own order, so that a year of a large company's
// tickets is grouped without sorting and read from the index alone.
// Departments and offices are the employees' current ones.

// TicketCount is how many tickets of a category something happened to on
// a day.
type TicketCount struct {
	Day        staffbot.Date
	CategoryID int64
	N          int64
}

// ticketPlaces appends the condition that keeps tickets of employees in
// the filter's departments and offices.
func (f DashFilter) ticketPlaces(b *strings.Builder, args []any, companyID staffbot.CompanyID) []any {
	if len(f.Departments) == 0 && len(f.Offices) == 0 {
		return args
	}
	b.WriteString(" AND t.employee_id IN (SELECT e.id FROM employees e WHERE e.company_id = ?")
	args = f.placeFilter(b, append(args, companyID), "e.")
	b.WriteString(")")
	return args
}

// ticketDays starts a query over tickets whose day column falls within
// the filter's days: SELECT the day, then cols. The bounds go to
// PostgreSQL as numbers, as instant does, so that each query is planned
// for its own range.
func (s *Store) ticketDays(companyID staffbot.CompanyID, f DashFilter, column, cols string) (*strings.Builder, []any) {
	args := []any{companyID}
	lo, args := s.instant(dayNumber(f.From), args)
	hi, args := s.instant(dayNumber(f.To), args)
	b := &strings.Builder{}
	b.WriteString("SELECT t." + column + ", " + cols + " FROM tickets t WHERE t.company_id = ? AND t." + column + " >= " + lo +
		" AND t." + column + " <= " + hi)
	return b, f.ticketPlaces(b, args, companyID)
}

// CountTickets counts the tickets created (on "created") or resolved (on
// "resolved") per day of the company's zone and category. A reopened
// ticket counts as resolved on the day it was last resolved.
func (s *Store) CountTickets(ctx context.Context, companyID staffbot.CompanyID, f DashFilter, on string) ([]TicketCount, error) {
	column := map[string]string{"created": "created_day", "resolved": "resolved_day"}[on]
	if column == "" {
		return nil, fmt.Errorf("bug: count tickets on %q", on)
	}
	b, args := s.ticketDays(companyID, f, column, "t.category_id, count(*)")
	b.WriteString(" GROUP BY t." + column + ", t.category_id")
	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("count tickets %s: %w", on, err)
	}
	defer rows.Close()
	var out []TicketCount
	for rows.Next() {
		var (
			c   TicketCount
			day int64
		)
		if err := rows.Scan(&day, &c.CategoryID, &c.N); err != nil {
			return nil, err
		}
		c.Day = dayOfNumber(day)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CountActiveTickets counts the tickets HR still owes something (new,
// open, waiting for the employee) within the filter's departments and
// offices, now.
func (s *Store) CountActiveTickets(ctx context.Context, companyID staffbot.CompanyID, f DashFilter) (int64, error) {
	var b strings.Builder
	b.WriteString("SELECT count(*) FROM tickets t WHERE t.company_id = ? AND t.status IN ('new', 'open', 'waiting')")
	args := f.ticketPlaces(&b, []any{companyID}, companyID)
	var n int64
	if err := s.queryRow(ctx, b.String(), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count active tickets: %w", err)
	}
	return n, nil
}

// TicketTime is one ticket's working time to an event, filed under the
// day of the event as days since 1 January 1970 (DayNumber).
type TicketTime struct {
	Day  int64
	Secs int64
}

// DayNumber is a calendar day as days since 1 January 1970, as
// TicketTime files it.
func DayNumber(d staffbot.Date) int64 { return dayNumber(d) }

// ticketEvents are the events the helpdesk charts time, with the
// columns of their instant and working time, and the SQL that says
// whether the event came by its SLA due time.
var ticketEvents = map[string]struct{ day, secs, onTime, timed string }{
	"first_response": {"first_response_day", "first_response_secs",
		"t.first_response_at <= t.first_response_due_at", "t.first_response_due_at IS NOT NULL"},
	"resolution": {"resolved_day", "resolution_secs",
		"t.resolution_breached_at IS NULL AND t.resolved_at <= t.resolution_due_at", "t.resolution_due_at IS NOT NULL"},
}

// TicketTimes returns the working times of the tickets first answered
// (of "first_response") or resolved (of "resolution") within the filter's
// days, by day. Tickets from before the times were kept, not yet
// measured, are left out. Each day's times come as one row, joined into
// a text by the database: a year of a large company's tickets is then a
// few hundred rows to read instead of one per ticket.
func (s *Store) TicketTimes(ctx context.Context, companyID staffbot.CompanyID, f DashFilter, of string) ([]TicketTime, error) {
	ev, ok := ticketEvents[of]
	if !ok {
		return nil, fmt.Errorf("bug: ticket times of %q", of)
	}
	join := "group_concat(t." + ev.secs + ")"
	if s.dialect == Postgres {
		join = "string_agg(t." + ev.secs + "::text, ',')"
	}
	b, args := s.ticketDays(companyID, f, ev.day, join)
	b.WriteString(" AND t." + ev.secs + " IS NOT NULL GROUP BY t." + ev.day)
	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("ticket %s times: %w", of, err)
	}
	defer rows.Close()
	out := make([]TicketTime, 0, 1024)
	for rows.Next() {
		var (
			day  int64
			list string
		)
		if err := rows.Scan(&day, &list); err != nil {
			return nil, err
		}
		for v := range strings.SplitSeq(list, ",") {
			secs, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("ticket %s times of day %d: %w", of, day, err)
			}
			out = append(out, TicketTime{Day: day, Secs: secs})
		}
	}
	return out, rows.Err()
}

// TicketsOnTime counts the tickets first answered (of "first_response")
// or resolved (of "resolution") within the filter's days that had an SLA
// due time, and those of them whose event came by it.
func (s *Store) TicketsOnTime(ctx context.Context, companyID staffbot.CompanyID, f DashFilter, of string) (onTime, timed int64, err error) {
	ev, ok := ticketEvents[of]
	if !ok {
		return 0, 0, fmt.Errorf("bug: tickets on time of %q", of)
	}
	args := []any{companyID}
	lo, args := s.instant(dayNumber(f.From), args)
	hi, args := s.instant(dayNumber(f.To), args)
	var b strings.Builder
	b.WriteString(`SELECT coalesce(sum(CASE WHEN ` + ev.onTime + ` THEN 1 ELSE 0 END), 0), count(*) FROM tickets t
		WHERE t.company_id = ? AND t.` + ev.day + ` >= ` + lo + ` AND t.` + ev.day + ` <= ` + hi + ` AND ` + ev.timed)
	args = f.ticketPlaces(&b, args, companyID)
	if err := s.queryRow(ctx, b.String(), args...).Scan(&onTime, &timed); err != nil {
		return 0, 0, fmt.Errorf("count tickets on time: %w", err)
	}
	return onTime, timed, nil
}

// TicketBreaches counts per day the SLA timers that ran out: first
// replies (of "first_response") or resolutions (of "resolution") that
// came too late or had not come when their time was up, on the day the
// time was up.
func (s *Store) TicketBreaches(ctx context.Context, companyID staffbot.CompanyID, f DashFilter, loc *time.Location, of string) (map[staffbot.Date]int64, error) {
	column := map[string]string{"first_response": "first_response_breached_at", "resolution": "resolution_breached_at"}[of]
	if column == "" {
		return nil, fmt.Errorf("bug: ticket breaches of %q", of)
	}
	from, to, off := dayBounds(f, loc)
	args := []any{off, companyID}
	lo, args := s.instant(from, args)
	hi, args := s.instant(to, args)
	b := &strings.Builder{}
	b.WriteString("SELECT (t." + column + " + ?) / 86400000, count(*) FROM tickets t WHERE t.company_id = ? AND t." +
		column + " >= " + lo + " AND t." + column + " < " + hi)
	args = f.ticketPlaces(b, args, companyID)
	b.WriteString(" GROUP BY 1")
	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("count %s breaches: %w", of, err)
	}
	defer rows.Close()
	out := map[staffbot.Date]int64{}
	for rows.Next() {
		var day, n int64
		if err := rows.Scan(&day, &n); err != nil {
			return nil, err
		}
		out[dayOfNumber(day)] = n
	}
	return out, rows.Err()
}

// TicketRatings counts the tickets resolved within the filter's days by
// the rating their employee gave: index 0 holds those not rated, 1 to 5
// the ratings.
func (s *Store) TicketRatings(ctx context.Context, companyID staffbot.CompanyID, f DashFilter) ([6]int64, error) {
	var out [6]int64
	args := []any{companyID}
	lo, args := s.instant(dayNumber(f.From), args)
	hi, args := s.instant(dayNumber(f.To), args)
	var b strings.Builder
	// One pass with a sum per rating: no grouping, so no sorting.
	b.WriteString("SELECT count(*)")
	for r := 1; r <= 5; r++ {
		b.WriteString(fmt.Sprintf(", coalesce(sum(CASE WHEN t.rating = %d THEN 1 ELSE 0 END), 0)", r))
	}
	b.WriteString(" FROM tickets t WHERE t.company_id = ? AND t.resolved_day >= " + lo + " AND t.resolved_day <= " + hi)
	args = f.ticketPlaces(&b, args, companyID)
	var total int64
	if err := s.queryRow(ctx, b.String(), args...).Scan(&total, &out[1], &out[2], &out[3], &out[4], &out[5]); err != nil {
		return out, fmt.Errorf("count ticket ratings: %w", err)
	}
	out[0] = total - out[1] - out[2] - out[3] - out[4] - out[5]
	return out, nil
}

// UnmeasuredTicket is a ticket from before its working times and days
// were kept.
type UnmeasuredTicket struct {
	CompanyID       staffbot.CompanyID
	ID              int64
	CreatedAt       time.Time
	FirstResponseAt *time.Time // set when its time or day is missing
	ResolvedAt      *time.Time // set when its time or day is missing
}

// FindUnmeasuredTickets returns up to limit tickets, in every company,
// whose day of creation is missing, or that have a first reply or a
// resolution whose working time or day is missing.
func (s *Store) FindUnmeasuredTickets(ctx context.Context, limit int) ([]UnmeasuredTicket, error) {
	rows, err := s.query(ctx, `SELECT company_id, id, created_at,
			CASE WHEN first_response_secs IS NULL OR first_response_day IS NULL THEN first_response_at END,
			CASE WHEN resolution_secs IS NULL OR resolved_day IS NULL THEN resolved_at END
		FROM tickets
		WHERE created_day IS NULL
			OR (first_response_at IS NOT NULL AND (first_response_secs IS NULL OR first_response_day IS NULL))
			OR (resolved_at IS NOT NULL AND (resolution_secs IS NULL OR resolved_day IS NULL))
		ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("find unmeasured tickets: %w", err)
	}
	defer rows.Close()
	var out []UnmeasuredTicket
	for rows.Next() {
		var (
			u       UnmeasuredTicket
			created int64
			fr, res sql.NullInt64
		)
		if err := rows.Scan(&u.CompanyID, &u.ID, &created, &fr, &res); err != nil {
			return nil, err
		}
		u.CreatedAt, u.FirstResponseAt, u.ResolvedAt = fromMillis(created), fromNullMillis(fr), fromNullMillis(res)
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetTicketTimes fills in a ticket's missing days, in the company's zone,
// and working times, in seconds. A time and its day are written only
// while the event they measure is still the one found, so a ticket
// reopened meanwhile keeps none.
func (s *Store) SetTicketTimes(ctx context.Context, u UnmeasuredTicket, firstSecs, resolutionSecs *int64) error {
	return s.InTx(ctx, func(tx *Tx) error {
		loc, err := tx.companyLocation(ctx, u.CompanyID)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, "UPDATE tickets SET created_day = ? WHERE company_id = ? AND id = ? AND created_day IS NULL",
			localDay(u.CreatedAt, loc), u.CompanyID, u.ID)
		if err != nil {
			return fmt.Errorf("measure ticket %d: %w", u.ID, err)
		}
		if u.FirstResponseAt != nil && firstSecs != nil {
			_, err := tx.exec(ctx, `UPDATE tickets SET first_response_secs = coalesce(first_response_secs, ?), first_response_day = ?
				WHERE company_id = ? AND id = ? AND first_response_at = ?`,
				*firstSecs, localDay(*u.FirstResponseAt, loc), u.CompanyID, u.ID, millis(*u.FirstResponseAt))
			if err != nil {
				return fmt.Errorf("measure ticket %d: %w", u.ID, err)
			}
		}
		if u.ResolvedAt != nil && resolutionSecs != nil {
			_, err := tx.exec(ctx, `UPDATE tickets SET resolution_secs = coalesce(resolution_secs, ?), resolved_day = ?
				WHERE company_id = ? AND id = ? AND resolved_at = ?`,
				*resolutionSecs, localDay(*u.ResolvedAt, loc), u.CompanyID, u.ID, millis(*u.ResolvedAt))
			if err != nil {
				return fmt.Errorf("measure ticket %d: %w", u.ID, err)
			}
		}
		return nil
	})
}
