package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// The helpdesk charts read the tickets themselves, by the day something
// happened to each (created, first answered, resolved, a timer ran out),
// as a day of the company's zone. Every read is a range of one of the
// indexes of migration 0012, so a year of a large company's tickets is
// read from an index alone. Departments and offices are the employees'
// current ones.

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

// ticketRange starts a query over tickets whose column (an instant) falls
// within the filter's days: SELECT day number, then cols.
func (s *Store) ticketRange(companyID staffbot.CompanyID, f DashFilter, loc *time.Location, column, cols string) (*strings.Builder, []any) {
	from, to, off := dayBounds(f, loc)
	args := []any{off, companyID}
	lo, args := s.instant(from, args)
	hi, args := s.instant(to, args)
	b := &strings.Builder{}
	b.WriteString("SELECT (t." + column + " + ?) / 86400000, " + cols + " FROM tickets t WHERE t.company_id = ? AND t." +
		column + " >= " + lo + " AND t." + column + " < " + hi)
	return b, f.ticketPlaces(b, args, companyID)
}

// CountTickets counts the tickets created (on "created") or resolved (on
// "resolved") per day of the company's zone and category. A reopened
// ticket counts as resolved on the day it was last resolved.
func (s *Store) CountTickets(ctx context.Context, companyID staffbot.CompanyID, f DashFilter, loc *time.Location, on string) ([]TicketCount, error) {
	column := map[string]string{"created": "created_at", "resolved": "resolved_at"}[on]
	if column == "" {
		return nil, fmt.Errorf("bug: count tickets on %q", on)
	}
	b, args := s.ticketRange(companyID, f, loc, column, "t.category_id, count(*)")
	b.WriteString(" GROUP BY 1, 2 ORDER BY 1, 2")
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
// day of the event.
type TicketTime struct {
	Day  staffbot.Date
	Secs int64

	// OnTime reports whether the event came by its SLA due time; Timed
	// whether there was one.
	OnTime, Timed bool
}

// TicketTimes returns the working times of the tickets first answered
// (of "first_response") or resolved (of "resolution") within the filter's
// days, in no order. Tickets from before the times were kept, not yet
// measured, are left out.
func (s *Store) TicketTimes(ctx context.Context, companyID staffbot.CompanyID, f DashFilter, loc *time.Location, of string) ([]TicketTime, error) {
	var cols string
	var b *strings.Builder
	var args []any
	switch of {
	case "first_response":
		cols = `t.first_response_secs, CASE WHEN t.first_response_due_at IS NULL THEN 0
			WHEN t.first_response_at <= t.first_response_due_at THEN 2 ELSE 1 END`
		b, args = s.ticketRange(companyID, f, loc, "first_response_at", cols)
		b.WriteString(" AND t.first_response_secs IS NOT NULL")
	case "resolution":
		cols = `t.resolution_secs, CASE WHEN t.resolution_due_at IS NULL THEN 0
			WHEN t.resolution_breached_at IS NULL AND t.resolved_at <= t.resolution_due_at THEN 2 ELSE 1 END`
		b, args = s.ticketRange(companyID, f, loc, "resolved_at", cols)
		b.WriteString(" AND t.resolution_secs IS NOT NULL")
	default:
		return nil, fmt.Errorf("bug: ticket times of %q", of)
	}
	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("ticket %s times: %w", of, err)
	}
	defer rows.Close()
	var out []TicketTime
	for rows.Next() {
		var (
			t         TicketTime
			day, kind int64
		)
		if err := rows.Scan(&day, &t.Secs, &kind); err != nil {
			return nil, err
		}
		t.Day, t.Timed, t.OnTime = dayOfNumber(day), kind > 0, kind == 2
		out = append(out, t)
	}
	return out, rows.Err()
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
	b, args := s.ticketRange(companyID, f, loc, column, "count(*)")
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
func (s *Store) TicketRatings(ctx context.Context, companyID staffbot.CompanyID, f DashFilter, loc *time.Location) ([6]int64, error) {
	var out [6]int64
	b, args := s.ticketRange(companyID, f, loc, "resolved_at", "coalesce(t.rating, 0), count(*)")
	b.WriteString(" GROUP BY 1, 2")
	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return out, fmt.Errorf("count ticket ratings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day, rating, n int64
		if err := rows.Scan(&day, &rating, &n); err != nil {
			return out, err
		}
		if rating >= 0 && rating <= 5 {
			out[rating] += n
		}
	}
	return out, rows.Err()
}

// UnmeasuredTicket is a ticket answered or resolved before its working
// times were kept.
type UnmeasuredTicket struct {
	CompanyID       staffbot.CompanyID
	ID              int64
	CreatedAt       time.Time
	FirstResponseAt *time.Time // set when its time is missing
	ResolvedAt      *time.Time // set when its time is missing
}

// FindUnmeasuredTickets returns up to limit tickets, in every company,
// with a first reply or a resolution whose working time is missing.
func (s *Store) FindUnmeasuredTickets(ctx context.Context, limit int) ([]UnmeasuredTicket, error) {
	rows, err := s.query(ctx, `SELECT company_id, id, created_at,
			CASE WHEN first_response_secs IS NULL THEN first_response_at END,
			CASE WHEN resolution_secs IS NULL THEN resolved_at END
		FROM tickets
		WHERE (first_response_at IS NOT NULL AND first_response_secs IS NULL)
			OR (resolved_at IS NOT NULL AND resolution_secs IS NULL)
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

// SetTicketTimes fills in a ticket's missing working times, in seconds; a
// time is written only while the event it measures is still the one
// found (at), so a ticket reopened meanwhile keeps none.
func (s *Store) SetTicketTimes(ctx context.Context, u UnmeasuredTicket, firstSecs, resolutionSecs *int64) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if u.FirstResponseAt != nil && firstSecs != nil {
			_, err := tx.exec(ctx, `UPDATE tickets SET first_response_secs = ?
				WHERE company_id = ? AND id = ? AND first_response_secs IS NULL AND first_response_at = ?`,
				*firstSecs, u.CompanyID, u.ID, millis(*u.FirstResponseAt))
			if err != nil {
				return fmt.Errorf("measure ticket %d: %w", u.ID, err)
			}
		}
		if u.ResolvedAt != nil && resolutionSecs != nil {
			_, err := tx.exec(ctx, `UPDATE tickets SET resolution_secs = ?
				WHERE company_id = ? AND id = ? AND resolution_secs IS NULL AND resolved_at = ?`,
				*resolutionSecs, u.CompanyID, u.ID, millis(*u.ResolvedAt))
			if err != nil {
				return fmt.Errorf("measure ticket %d: %w", u.ID, err)
			}
		}
		return nil
	})
}
