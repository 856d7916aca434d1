package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/calendar"
)

// seedCategories are the ticket categories a seeded company without any
// gets: the helpdesk's defaults without their keywords.
var seedCategories = []TicketCategory{
	{Slug: "hr", NameRU: "Кадры", NameEN: "Personnel", FirstResponse: "4h", Resolution: "3d"},
	{Slug: "pay", NameRU: "Зарплата", NameEN: "Pay", FirstResponse: "4h", Resolution: "3d"},
	{Slug: "leave", NameRU: "Отпуск", NameEN: "Leave", FirstResponse: "4h", Resolution: "3d"},
	{Slug: "docs", NameRU: "Справки", NameEN: "Certificates", FirstResponse: "4h", Resolution: "3d"},
	{Slug: "access", NameRU: "Доступы и оборудование", NameEN: "Access and equipment", FirstResponse: "2h", Resolution: "1d"},
	{Slug: "other", NameRU: "Другое", NameEN: "Other", FirstResponse: "8h", Resolution: "5d"},
}

// seedWorkTime draws a working time with the given median, lognormal
// with spread sigma, at most limit.
func seedWorkTime(rng *rand.Rand, median time.Duration, sigma float64, limit time.Duration) time.Duration {
	d := time.Duration(float64(median) * math.Exp(sigma*rng.NormFloat64()))
	return max(time.Minute, min(d, limit))
}

// seedCount draws how many events a rate per year gives over days.
func seedCount(rng *rand.Rand, perYear float64, days int) int {
	want := perYear * float64(days) / 365
	n := int(want)
	if rng.Float64() < want-float64(n) {
		n++
	}
	return n
}

// seedWorkInstant returns an instant in the working hours of day, or of
// the first working day after it; false when none is near.
func seedWorkInstant(rng *rand.Rand, cal *calendar.Calendar, day staffbot.Date, loc *time.Location) (time.Time, bool) {
	spans := cal.Spans(day)
	for i := 0; len(spans) == 0 && i < 14; i++ {
		day = day.AddDays(1)
		spans = cal.Spans(day)
	}
	if len(spans) == 0 {
		return time.Time{}, false
	}
	sp := spans[rng.IntN(len(spans))]
	m := sp.From + rng.IntN(max(sp.To-sp.From, 1))
	return time.Date(day.Year, day.Month, day.Day, 0, m, rng.IntN(60), 0, loc), true
}

// seedTickets gives registered employees helpdesk tickets on working days
// since they joined: first replies and resolutions after working times
// drawn around the targets, timers run out where they were missed, and
// ratings for about half of the resolved ones, lower where the timer ran
// out.
func (s *Store) seedTickets(ctx context.Context, companyID staffbot.CompanyID, o SeedOptions, rng *rand.Rand,
	emps []*seedEmployee, first staffbot.Date, loc *time.Location, rep *SeedReport) error {
	cats, err := s.FindTicketCategories(ctx, companyID)
	if err != nil {
		return err
	}
	if len(cats) == 0 {
		err := s.InTx(ctx, func(tx *Tx) error {
			for i, c := range seedCategories {
				c.CompanyID, c.Position, c.AssignMode = companyID, i+1, AssignRoundRobin
				if _, err := tx.CreateTicketCategory(ctx, &c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if cats, err = s.FindTicketCategories(ctx, companyID); err != nil {
			return err
		}
	}
	// Some queues are busier than others.
	weights := make([]float64, len(cats))
	var total float64
	for i := range cats {
		weights[i] = 1 / float64(i+1)
		total += weights[i]
	}
	pick := func() *TicketCategory {
		x := rng.Float64() * total
		for i, w := range weights {
			if x < w {
				return cats[i]
			}
			x -= w
		}
		return cats[len(cats)-1]
	}

	cal := calendar.Russian(loc, calendar.DefaultHours(), nil)
	now := o.Today.In(loc).Add(12 * time.Hour)
	var number int64
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.ensureHelpdeskSettings(ctx, companyID); err != nil {
			return err
		}
		return tx.queryRow(ctx, "SELECT last_number FROM helpdesk_settings WHERE company_id = ?", companyID).Scan(&number)
	})
	if err != nil {
		return err
	}
	var subject string
	err = s.InTx(ctx, func(tx *Tx) error {
		var err error
		subject, err = tx.SealValue(ctx, companyID, fieldTicketSubject, "Обращение из демонстрационных данных")
		return err
	})
	if err != nil {
		return err
	}

	nullAt := func(t time.Time, ok bool) sql.NullInt64 {
		if !ok {
			return sql.NullInt64{}
		}
		return sql.NullInt64{Int64: millis(t), Valid: true}
	}
	dayIf := func(t time.Time, ok bool) sql.NullInt64 {
		if !ok {
			return sql.NullInt64{}
		}
		return sql.NullInt64{Int64: localDay(t, loc), Valid: true}
	}
	secs := func(d time.Duration, ok bool) sql.NullInt64 {
		if !ok {
			return sql.NullInt64{}
		}
		return sql.NullInt64{Int64: int64(d / time.Second), Valid: true}
	}
	var rows [][]any
	for _, e := range emps {
		if e.registered < 0 {
			continue
		}
		span := o.Days - e.registered
		for range seedCount(rng, o.Tickets, span) {
			day := first.AddDays(e.registered + rng.IntN(span))
			if e.dismissed != nil && !day.Before(*e.dismissed) {
				continue
			}
			created, ok := seedWorkInstant(rng, cal, day, loc)
			if !ok || !created.Before(now) {
				continue
			}
			cat := pick()
			frTarget, _ := calendar.ParseTarget(cat.FirstResponse)
			resTarget, _ := calendar.ParseTarget(cat.Resolution)
			frDue, resDue := cal.Due(created, frTarget), cal.Due(created, resTarget)

			frWork := seedWorkTime(rng, 90*time.Minute, 1.0, 40*time.Hour)
			resWork := frWork + seedWorkTime(rng, 5*time.Hour, 1.1, 120*time.Hour)
			frAt, resAt := cal.Add(created, frWork), cal.Add(created, resWork)
			answered, resolved := !frAt.After(now), !resAt.After(now)

			status := TicketOpen
			switch {
			case !answered:
				status = TicketNew
			case resolved && now.Sub(resAt) > 7*24*time.Hour:
				status = TicketClosed
			case resolved:
				status = TicketResolved
			case rng.Float64() < 0.3:
				status = TicketWaiting
			}
			var frBreach, resBreach sql.NullInt64
			if !frDue.IsZero() && frDue.Before(now) && (!answered || frAt.After(frDue)) {
				frBreach = nullAt(frDue.Add(time.Minute), true)
			}
			if !resDue.IsZero() && resDue.Before(now) && (!resolved || resAt.After(resDue)) {
				resBreach = nullAt(resDue.Add(time.Minute), true)
			}
			var rating, ratedAt sql.NullInt64
			if resolved && rng.Float64() < 0.55 {
				dist := []float64{0.03, 0.04, 0.11, 0.32, 0.5}
				if resBreach.Valid {
					dist = []float64{0.12, 0.13, 0.25, 0.3, 0.2}
				}
				x, r := rng.Float64(), 5
				for i, p := range dist {
					if x < p {
						r = i + 1
						break
					}
					x -= p
				}
				rating = sql.NullInt64{Int64: int64(r), Valid: true}
				ratedAt = nullAt(resAt.Add(time.Duration(5+rng.IntN(600))*time.Minute), true)
			}
			updated := created
			if answered {
				updated = frAt
			}
			var closedAt, paused sql.NullInt64
			if resolved {
				updated, paused = resAt, nullAt(resAt, true)
				if status == TicketClosed {
					closedAt = nullAt(resAt.Add(7*24*time.Hour), true)
					updated = resAt.Add(7 * 24 * time.Hour)
				}
			}
			number++
			rows = append(rows, []any{companyID, number, e.id, cat.ID, subject, string(status), "chat", e.channel,
				millis(created), millis(updated), nullAt(frAt, answered), nullAt(frDue, !frDue.IsZero()),
				nullAt(resDue, !resDue.IsZero()), paused, frBreach, resBreach, nullAt(resAt, resolved), closedAt,
				rating, ratedAt, secs(cal.Between(created, frAt), answered), secs(cal.Between(created, resAt), resolved),
				localDay(created, loc), dayIf(frAt, answered), dayIf(resAt, resolved)})
		}
	}
	// Tickets are numbered in the order they came.
	slices.SortStableFunc(rows, func(a, b []any) int { return int(a[8].(int64) - b[8].(int64)) })
	for i, r := range rows {
		r[1] = number - int64(len(rows)) + int64(i) + 1
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		err := tx.bulkInsert(ctx, "tickets", `company_id, number, employee_id, category_id, subject_sealed, status, source,
			channel, created_at, updated_at, first_response_at, first_response_due_at, resolution_due_at, paused_since,
			first_response_breached_at, resolution_breached_at, resolved_at, closed_at, rating, rated_at,
			first_response_secs, resolution_secs, created_day, first_response_day, resolved_day`, rows)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, "UPDATE helpdesk_settings SET last_number = ? WHERE company_id = ?", number, companyID)
		return err
	})
	if err != nil {
		return fmt.Errorf("seed tickets: %w", err)
	}
	rep.Tickets = len(rows)
	return nil
}

// seedServiceRequests gives registered employees requests for HR on
// working days since they joined: most done within the deadline, some
// late, some declined, the last days' still with HR, a few of those past
// their deadline.
func (s *Store) seedServiceRequests(ctx context.Context, companyID staffbot.CompanyID, o SeedOptions, rng *rand.Rand,
	emps []*seedEmployee, first staffbot.Date, loc *time.Location, rep *SeedReport) error {
	keys := make([]string, 0, len(o.RequestServices))
	for k := range o.RequestServices {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cal := calendar.Russian(loc, calendar.DefaultHours(), nil)
	now := o.Today.In(loc).Add(12 * time.Hour)
	at := func(t time.Time) sql.NullInt64 { return sql.NullInt64{Int64: millis(t), Valid: true} }

	var rows [][]any
	for _, e := range emps {
		if e.registered < 0 {
			continue
		}
		span := o.Days - e.registered
		for range seedCount(rng, o.Requests, span) {
			day := first.AddDays(e.registered + rng.IntN(span))
			if e.dismissed != nil && !day.Before(*e.dismissed) {
				continue
			}
			created, ok := seedWorkInstant(rng, cal, day, loc)
			if !ok || !created.Before(now) {
				continue
			}
			key := keys[rng.IntN(len(keys))]
			submitted := created.Add(time.Minute)
			var due, warn sql.NullInt64
			var dueAt time.Time
			if n := o.RequestServices[key]; n > 0 {
				dueAt = cal.EndOfWorkingDay(submitted, n)
				start := staffbot.DateOf(dueAt.In(loc))
				sp := cal.Spans(start)
				due = at(dueAt)
				warn = at(time.Date(start.Year, start.Month, start.Day, 0, sp[0].From, 0, 0, loc))
			}
			// Done after a working time around a day, a tenth after the
			// deadline; one in ten of the last month's is forgotten.
			doneAt := cal.Add(submitted, seedWorkTime(rng, 8*time.Hour, 0.9, 200*time.Hour))
			if now.Sub(created) < 30*24*time.Hour && rng.Float64() < 0.1 {
				doneAt = now.Add(time.Hour)
			}
			status, outcome := ServiceRequestClosed, "done"
			var ready, closed, warned sql.NullInt64
			switch {
			case doneAt.After(now):
				status, outcome = ServiceRequestNew, ""
				if rng.Float64() < 0.5 {
					status = ServiceRequestInProgress
				}
				if warn.Valid && warn.Int64 <= millis(now) {
					warned = warn
				}
			case rng.Float64() < 0.06:
				outcome = "rejected"
				closed = at(doneAt)
			default:
				ready, closed = at(doneAt), at(doneAt.Add(time.Duration(rng.IntN(48))*time.Hour))
				if !dueAt.IsZero() && doneAt.After(dueAt) {
					warned = warn
				}
			}
			if status == ServiceRequestClosed {
				warn = sql.NullInt64{}
			}
			updated := submitted
			if closed.Valid {
				updated = fromMillis(closed.Int64)
			}
			rows = append(rows, []any{companyID, e.id, key, FulfilHR, status, outcome, "ru", millis(created), millis(updated),
				at(submitted), ready, closed, due, warn, warned})
		}
	}
	slices.SortStableFunc(rows, func(a, b []any) int { return int(a[7].(int64) - b[7].(int64)) })
	err := s.InTx(ctx, func(tx *Tx) error {
		return tx.bulkInsert(ctx, "service_requests", `company_id, employee_id, service_key, fulfilment, status, outcome,
			lang, created_at, updated_at, submitted_at, ready_at, closed_at, due_at, warn_at, warned_at`, rows)
	})
	if err != nil {
		return fmt.Errorf("seed service requests: %w", err)
	}
	rep.Requests = len(rows)
	return nil
}
