package helpdesk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/calendar"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// dueBatch bounds how many tickets one pass handles of each kind.
const dueBatch = 100

// Report tells what a pass of RunDue did.
type Report struct {
	Escalated int // tickets whose timer ran out
	Closed    int // resolved or waiting tickets closed after silence
	Requests  int // questions from the FAQ made into tickets
	Measured  int // tickets from before working times were kept, measured now
}

// RunDue escalates tickets whose SLA timer ran out, closes tickets left
// silent past the company's period, and makes tickets of questions the
// FAQ passed to HR. Each ticket is handled in a transaction of its own
// under its row lock, so passes running in two processes at once do the
// work once.
func (s *Service) RunDue(ctx context.Context) (Report, error) {
	var rep Report
	now := s.Clock.Now()
	breached, closing, err := s.Store.FindTicketsDue(ctx, now, dueBatch)
	if err != nil {
		return rep, err
	}
	for _, ref := range breached {
		ok, err := s.escalate(ctx, ref, now)
		if err != nil {
			return rep, fmt.Errorf("escalate ticket %d: %w", ref.ID, err)
		}
		if ok {
			rep.Escalated++
		}
	}
	for _, ref := range closing {
		ok, err := s.autoClose(ctx, ref, now)
		if err != nil {
			return rep, fmt.Errorf("close ticket %d: %w", ref.ID, err)
		}
		if ok {
			rep.Closed++
		}
	}
	reqs, err := s.Store.FindOpenHRRequests(ctx, dueBatch)
	if err != nil {
		return rep, err
	}
	for _, ref := range reqs {
		ok, err := s.fromHRRequest(ctx, ref, now)
		if err != nil {
			return rep, fmt.Errorf("ticket from request %d: %w", ref.ID, err)
		}
		if ok {
			rep.Requests++
		}
	}
	n, err := s.measureOld(ctx)
	rep.Measured = n
	return rep, err
}

// measureOld fills in the working times to the first reply and to the
// resolution of tickets answered or resolved before they were kept, a
// batch per pass. Once a pass finds none it stops looking: every newer
// ticket is measured as it moves.
func (s *Service) measureOld(ctx context.Context) (int, error) {
	if s.measured.Load() {
		return 0, nil
	}
	list, err := s.Store.FindUnmeasuredTickets(ctx, dueBatch)
	if err != nil || len(list) == 0 {
		s.measured.Store(err == nil)
		return 0, err
	}
	cals := map[staffbot.CompanyID]*calendar.Calendar{}
	for _, u := range list {
		cal := cals[u.CompanyID]
		if cal == nil {
			co, err := s.Store.FindCompanyByID(ctx, u.CompanyID)
			if err != nil {
				return 0, err
			}
			if cal, err = s.Calendar(ctx, co); err != nil {
				return 0, err
			}
			cals[u.CompanyID] = cal
		}
		var first, resolution *int64
		if u.FirstResponseAt != nil {
			first = workSecs(cal, u.CreatedAt, *u.FirstResponseAt)
		}
		if u.ResolvedAt != nil {
			resolution = workSecs(cal, u.CreatedAt, *u.ResolvedAt)
		}
		if err := s.Store.SetTicketTimes(ctx, u, first, resolution); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}

// escalate marks the timers of a ticket that ran out, notes it in the
// conversation and the audit log, and tells the category's lead (or the
// company's HR managers) in their messenger, when they are employees
// with one.
func (s *Service) escalate(ctx context.Context, ref store.TicketRef, now time.Time) (bool, error) {
	co, err := s.Store.FindCompanyByID(ctx, ref.CompanyID)
	if err != nil {
		return false, err
	}
	done := false
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		tk, err := tx.LockTicket(ctx, ref.CompanyID, ref.ID)
		if err != nil {
			return err
		}
		if tk.Status != store.TicketNew && tk.Status != store.TicketOpen {
			return nil
		}
		var timers []string
		if tk.FirstResponseAt == nil && tk.FirstResponseBreachedAt == nil && tk.FirstResponseDueAt != nil && !now.Before(*tk.FirstResponseDueAt) {
			tk.FirstResponseBreachedAt = &now
			timers = append(timers, "first_response")
		}
		if tk.ResolutionBreachedAt == nil && tk.ResolutionDueAt != nil && !now.Before(*tk.ResolutionDueAt) {
			tk.ResolutionBreachedAt = &now
			timers = append(timers, "resolution")
		}
		if len(timers) == 0 {
			return nil
		}
		done = true
		tk.UpdatedAt = now
		for _, timer := range timers {
			if err := s.event(ctx, tx, tk, systemActor, "escalated", timer, now); err != nil {
				return err
			}
		}
		if err := tx.UpdateTicket(ctx, tk); err != nil {
			return err
		}
		leads, err := s.notifyLeads(ctx, tx, co, tk, timers, now)
		if err != nil {
			return err
		}
		rec := staffbot.AuditRecord{CompanyID: co.ID, At: now, Actor: systemActor, Action: AuditEscalate, ObjectType: ObjectTicket,
			ObjectID: strconv.FormatInt(tk.ID, 10), SubjectID: &tk.EmployeeID,
			After: auditJSON(map[string]any{"timers": timers, "leads": leads})}
		return s.auditor().Record(ctx, tx, rec)
	})
	if err != nil || !done {
		return false, err
	}
	s.logger().InfoContext(ctx, "Ticket escalated", slog.Int64("company_id", int64(ref.CompanyID)), slog.Int64("ticket_id", ref.ID))
	s.changed(ref.CompanyID, false)
	return true, nil
}

// notifyLeads queues the escalation notice for the category's lead, or
// for the company's HR managers (owners and admins when it has none), and
// returns the ids of the users told.
func (s *Service) notifyLeads(
	ctx context.Context, tx *store.Tx, co *staffbot.Company, tk *store.Ticket, timers []string, now time.Time,
) ([]store.UserID, error) {
	cats, err := s.categories(ctx, tx, co.ID)
	if err != nil {
		return nil, err
	}
	cat := categoryByID(cats, tk.CategoryID)
	users, err := s.users(ctx, tx, co.ID)
	if err != nil {
		return nil, err
	}
	var leads []store.TicketUser
	for _, u := range users {
		if !u.Disabled && cat != nil && cat.LeadUserID != nil && u.ID == *cat.LeadUserID {
			leads = append(leads, u)
		}
	}
	for _, role := range []auth.Role{auth.RoleHRManager, auth.RoleOwner, auth.RoleAdmin} {
		if len(leads) > 0 {
			break
		}
		for _, u := range users {
			if !u.Disabled && auth.Role(u.Role) == role {
				leads = append(leads, u)
			}
		}
	}

	lang := locale.RU
	name := ""
	if cat != nil {
		name = cat.Name(string(lang))
	}
	link := s.BaseURL + "/hr/tickets/" + strconv.FormatInt(tk.ID, 10)
	var told []store.UserID
	for _, u := range leads {
		told = append(told, u.ID)
		if u.EmployeeID == nil {
			continue
		}
		for _, timer := range timers {
			due := tk.FirstResponseDueAt
			if timer == "resolution" {
				due = tk.ResolutionDueAt
			}
			text := t(lang, "lead."+timer, tk.Number, name, formatDue(*due, co.Location()), link)
			if _, err := tx.EnqueueToEmployee(ctx, co.ID, *u.EmployeeID, channel.Outgoing{Text: text}, now); err != nil {
				return nil, err
			}
		}
	}
	return told, nil
}

// autoClose closes a resolved ticket, or one waiting for the employee,
// after the company's days of silence.
func (s *Service) autoClose(ctx context.Context, ref store.TicketRef, now time.Time) (bool, error) {
	co, err := s.Store.FindCompanyByID(ctx, ref.CompanyID)
	if err != nil {
		return false, err
	}
	set, err := s.Store.FindHelpdeskSettings(ctx, co.ID)
	if err != nil || set.AutoCloseDays <= 0 {
		return false, err
	}
	cal, err := s.Calendar(ctx, co)
	if err != nil {
		return false, err
	}
	done := false
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		tk, err := tx.LockTicket(ctx, co.ID, ref.ID)
		if err != nil {
			return err
		}
		silent := now.Sub(tk.UpdatedAt) >= time.Duration(set.AutoCloseDays)*24*time.Hour
		if (tk.Status != store.TicketResolved && tk.Status != store.TicketWaiting) || !silent {
			return nil
		}
		from := tk.Status
		if _, err := s.transition(ctx, tx, cal, tk, store.TicketClosed, systemActor, now); err != nil {
			return err
		}
		if err := tx.UpdateTicket(ctx, tk); err != nil {
			return err
		}
		done = true
		rec := staffbot.AuditRecord{CompanyID: co.ID, At: now, Actor: systemActor, Action: AuditStatus, ObjectType: ObjectTicket,
			ObjectID: strconv.FormatInt(tk.ID, 10), SubjectID: &tk.EmployeeID,
			Before: auditJSON(map[string]any{"status": from}),
			After:  auditJSON(map[string]any{"status": tk.Status, "reason": "silence", "days": set.AutoCloseDays})}
		if err := s.auditor().Record(ctx, tx, rec); err != nil {
			return err
		}
		return s.tell(ctx, tx, tk, statusNotice(tk, from, locale.RU), now)
	})
	if done {
		s.changed(co.ID, false)
	}
	return done, err
}

// fromHRRequest makes a ticket of a question the FAQ passed to HR.
func (s *Service) fromHRRequest(ctx context.Context, ref store.TicketRef, now time.Time) (bool, error) {
	co, err := s.Store.FindCompanyByID(ctx, ref.CompanyID)
	if err != nil {
		return false, err
	}
	done := false
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		req, err := tx.TakeHRRequest(ctx, co.ID, ref.ID)
		if errors.Is(err, staffbot.ErrConflict) {
			return nil
		}
		if err != nil {
			return err
		}
		emp, err := tx.FindEmployeeByID(ctx, co.ID, req.EmployeeID)
		if err != nil {
			return err
		}
		cats, err := s.categories(ctx, tx, co.ID)
		if err != nil {
			return err
		}
		cat := Suggest(cats, req.Text)
		if cat == nil {
			cat = fallbackCategory(cats)
		}
		actor := staffbot.Actor{Kind: staffbot.ActorEmployee, ID: strconv.FormatInt(int64(emp.ID), 10)}
		_, err = s.open(ctx, tx, openRequest{co: co, emp: emp, cat: cat, text: req.Text, source: "faq", hrReqID: &req.ID,
			actor: actor, now: now})
		done = err == nil
		return err
	})
	return done, err
}

// Loop runs RunDue and FetchFiles every tick until ctx ends.
func (s *Service) Loop(ctx context.Context, tick time.Duration) {
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.logger().ErrorContext(ctx, "Helpdesk timers not run", slog.String("error", err.Error()))
		}
		if _, err := s.FetchFiles(ctx); err != nil && ctx.Err() == nil {
			s.logger().WarnContext(ctx, "Ticket files not fetched", slog.String("error", err.Error()))
		}
	}
}
