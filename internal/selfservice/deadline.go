package selfservice

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/calendar"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// Deadlines. A request HR fulfils for a service with DueDays (documents
// and copies: three working days, art. 62 of the Labour Code) is due at
// the end of the DueDays-th working day counted from the day it was
// made, which is the first when it is a working day (DOMAIN.md §8). The
// working days are the company's, as the helpdesk's SLA timers count
// them: the Russian production calendar with the company's changes and
// working hours. On the morning of the last day, HR is reminded in the
// bot, once, while the request is not ready.

// deadlineBatch bounds how many requests one pass reminds HR of.
const deadlineBatch = 100

// Deadline returns when a request for the service made at made is due
// and when HR is reminded of it: the end of the service's last working
// day and the start of that day's working hours. Both are zero when no
// deadline applies.
func Deadline(cal *calendar.Calendar, svc *CatalogService, made time.Time) (due, warn time.Time) {
	if svc == nil || svc.DueDays <= 0 {
		return time.Time{}, time.Time{}
	}
	due = cal.EndOfWorkingDay(made, svc.DueDays)
	day := staffbot.DateOf(due.In(cal.Location()))
	warn = due
	if spans := cal.Spans(day); len(spans) > 0 {
		warn = time.Date(day.Year, day.Month, day.Day, 0, spans[0].From, 0, 0, cal.Location())
	}
	return due, warn
}

// queue puts a request into HR's queue, in tx: new, with its deadline
// worked out and an event that says so.
func (s *Service) queue(ctx context.Context, tx *store.Tx, co *staffbot.Company, r *store.ServiceRequest, svc *CatalogService, now time.Time) error {
	r.Status = store.ServiceRequestNew
	made := now
	if r.SubmittedAt != nil {
		made = *r.SubmittedAt
	}
	if svc != nil && svc.DueDays > 0 {
		cal, err := s.Store.WorkingCalendar(ctx, tx, co)
		if err != nil {
			return err
		}
		due, warn := Deadline(cal, svc, made)
		r.DueAt, r.WarnAt = &due, &warn
	}
	return s.event(ctx, tx, r, store.ServiceEventQueued, "", now)
}

// event records a step of a request by the actor of ctx (the system's
// when none).
func (s *Service) event(ctx context.Context, tx *store.Tx, r *store.ServiceRequest, kind, note string, now time.Time) error {
	actor, ok := staffbot.ActorFrom(ctx)
	if !ok {
		actor = systemActor
	}
	return tx.AddServiceRequestEvent(ctx, &store.ServiceRequestEvent{CompanyID: r.CompanyID, RequestID: r.ID,
		EmployeeID: r.EmployeeID, Kind: kind, ActorKind: string(actor.Kind), ActorID: actor.ID, Note: note, At: now})
}

// RunDeadlines works out the deadlines of requests that reached HR before
// deadlines were kept, then reminds HR of every request due today that is
// not ready, and returns how many reminders it sent.
func (s *Service) RunDeadlines(ctx context.Context) (int, error) {
	s.init()
	if err := s.backfillDeadlines(ctx); err != nil {
		return 0, err
	}
	refs, err := s.Store.FindServiceRequestsToWarn(ctx, s.Clock.Now(), deadlineBatch)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, ref := range refs {
		ok, err := s.warn(ctx, ref)
		if err != nil {
			return sent, fmt.Errorf("remind of request %d: %w", ref.ID, err)
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// backfillDeadlines gives the requests HR had before deadlines were kept
// their due dates, once per process: every later request gets its own as
// it reaches HR.
func (s *Service) backfillDeadlines(ctx context.Context) error {
	if s.backfilled.Load() {
		return nil
	}
	var after int64
	for {
		refs, err := s.Store.FindServiceRequestsWithoutDue(ctx, after, deadlineBatch)
		if err != nil {
			return err
		}
		if len(refs) == 0 {
			s.backfilled.Store(true)
			return nil
		}
		for _, ref := range refs {
			after = ref.ID
			co, err := s.Store.FindCompanyByID(ctx, ref.CompanyID)
			if err != nil {
				return err
			}
			err = s.Store.InTx(ctx, func(tx *store.Tx) error {
				r, err := tx.FindServiceRequest(ctx, ref.CompanyID, ref.ID)
				if err != nil || r.DueAt != nil || !r.WithHR() {
					return err
				}
				overrides, err := tx.FindCatalogOverrides(ctx, r.CompanyID)
				if err != nil {
					return err
				}
				svc := NewCatalog(overrides).Find(r.ServiceKey)
				if svc == nil || svc.DueDays <= 0 {
					return nil
				}
				cal, err := s.Store.WorkingCalendar(ctx, tx, co)
				if err != nil {
					return err
				}
				made := r.CreatedAt
				if r.SubmittedAt != nil {
					made = *r.SubmittedAt
				}
				due, warn := Deadline(cal, svc, made)
				r.DueAt, r.WarnAt = &due, &warn
				return tx.UpdateServiceRequest(ctx, r)
			})
			if err != nil {
				return fmt.Errorf("deadline of request %d: %w", ref.ID, err)
			}
		}
	}
}

// warn reminds HR, in the bot, that a request is due today: the person
// who took it when the bot can reach them, else everyone who works HR's
// queue and may see the employee. The reminder names the request, the
// service and the deadline, never the employee. It is sent once.
func (s *Service) warn(ctx context.Context, ref store.ServiceRequestRef) (bool, error) {
	co, err := s.Store.FindCompanyByID(ctx, ref.CompanyID)
	if err != nil {
		return false, err
	}
	users, err := s.Store.FindUsers(ctx, co.ID)
	if err != nil {
		return false, err
	}
	now := s.Clock.Now()
	done := false
	var told int
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		r, err := tx.FindServiceRequest(ctx, co.ID, ref.ID)
		if err != nil {
			return err
		}
		if !r.WithHR() || r.WarnedAt != nil || r.WarnAt == nil || r.WarnAt.After(now) || r.DueAt == nil {
			return nil
		}
		emp, err := tx.FindEmployeeByID(ctx, co.ID, r.EmployeeID)
		if err != nil {
			return err
		}
		overrides, err := tx.FindCatalogOverrides(ctx, co.ID)
		if err != nil {
			return err
		}
		title := r.ServiceKey
		if svc := NewCatalog(overrides).Find(r.ServiceKey); svc != nil {
			title = svc.Title.In(locale.RU)
		}
		text := tr(locale.RU, "hr.due_today", r.ID, title, r.DueAt.In(co.Location()).Format("02.01.2006 15:04"),
			s.BaseURL+"/hr/requests/"+strconv.FormatInt(r.ID, 10))
		if r.Overdue(now) {
			text = tr(locale.RU, "hr.overdue", r.ID, title, r.DueAt.In(co.Location()).Format("02.01.2006 15:04"),
				s.BaseURL+"/hr/requests/"+strconv.FormatInt(r.ID, 10))
		}
		for _, u := range recipients(users, r, emp) {
			n, err := tx.EnqueueToEmployee(ctx, co.ID, *u.EmployeeID, channel.Outgoing{Text: text}, now)
			if err != nil {
				return err
			}
			if n > 0 {
				told++
			}
		}
		r.WarnedAt, r.UpdatedAt = &now, now
		if err := tx.UpdateServiceRequest(ctx, r); err != nil {
			return err
		}
		note := ""
		if told == 0 {
			note = tr(locale.RU, "hr.nobody_reached")
		}
		ctx := staffbot.WithActor(ctx, systemActor)
		if err := s.event(ctx, tx, r, store.ServiceEventWarned, note, now); err != nil {
			return err
		}
		done = true
		return s.record(ctx, tx, r, "service_request.remind", now)
	})
	if err != nil || !done {
		return false, err
	}
	level := slog.LevelInfo
	if told == 0 {
		level = slog.LevelWarn
	}
	s.Logger.Log(ctx, level, "HR reminded of a request due today", slog.Int64("company_id", int64(co.ID)),
		slog.Int64("request_id", ref.ID), slog.Int("recipients", told))
	return true, nil
}

// recipients are the users to remind of a request: the one who took it,
// when the bot can reach them; else every active user who works HR's
// queue, whose scope holds the employee and who is an employee the bot
// can write to.
func recipients(users []*store.User, r *store.ServiceRequest, emp *staffbot.Employee) []*store.User {
	var all []*store.User
	for _, u := range users {
		if u.DisabledAt != nil || u.EmployeeID == nil || !auth.Role(u.Role).Has(auth.PermTicketsWrite) {
			continue
		}
		if len(u.Departments) > 0 && !slices.Contains(u.Departments, emp.Department) {
			continue
		}
		if len(u.Offices) > 0 && !slices.Contains(u.Offices, emp.Office) {
			continue
		}
		if r.TakenBy != nil && u.ID == *r.TakenBy {
			return []*store.User{u}
		}
		all = append(all, u)
	}
	return all
}
