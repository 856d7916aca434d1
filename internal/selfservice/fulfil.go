package selfservice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/store"
)

// Outcomes of a request, as service_requests.outcome records them.
const (
	outcomeDelivered        = "delivered"         // the answer went out
	outcomeDone             = "done"              // HR closed it as done
	outcomeRejected         = "rejected"          // HR declined it
	outcomeRefusedDismissed = "refused_dismissed" // the system says the employee no longer works
	outcomeRefusedNotFound  = "refused_not_found" // the system does not know the employee
	outcomeRefusedRights    = "refused_rights"    // staffbot's own rights said no
	outcomeUnavailable      = "unavailable"       // the system did not answer, or nobody can fulfil it
	outcomeNotReady         = "not_ready"         // the document does not exist yet (payslip)
	outcomeFailed           = "failed"            // anything else; the error says what
	outcomeUnreachable      = "unreachable"       // the employee has no chat to deliver to
	outcomeCancelled        = "cancelled"         // the employee cancelled it
	outcomeAbandoned        = "abandoned"         // the employee stopped answering
)

var systemActor = staffbot.Actor{Kind: staffbot.ActorSystem, ID: "selfservice"}

// Run checks and fulfils submitted requests until ctx is done: when woken
// after a request is submitted, and every PollInterval for requests left
// by a process that stopped. Drafts nobody answers are closed hourly.
func (s *Service) Run(ctx context.Context) {
	s.init()
	t := time.NewTicker(s.PollInterval)
	defer t.Stop()
	var lastSweep time.Time
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.Logger.ErrorContext(ctx, "Service requests not fulfilled", slog.String("error", err.Error()))
		}
		if _, err := s.RunDeadlines(ctx); err != nil && ctx.Err() == nil {
			s.Logger.ErrorContext(ctx, "Request deadlines not checked", slog.String("error", err.Error()))
		}
		if now := s.Clock.Now(); now.Sub(lastSweep) > time.Hour {
			lastSweep = now
			if n, err := s.Store.ExpireServiceDrafts(ctx, now.Add(-DraftTTL), now); err != nil && ctx.Err() == nil {
				s.Logger.WarnContext(ctx, "Service drafts not expired", slog.String("error", err.Error()))
			} else if n > 0 {
				s.Logger.InfoContext(ctx, "Service drafts expired", slog.Int("count", n))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// RunDue checks and fulfils every request that is waiting, up to Workers
// at a time, and returns how many it handled.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	s.init()
	total := 0
	for {
		reqs, err := s.Store.ClaimServiceRequests(ctx, s.Clock.Now(), lease, 4*s.Workers)
		if err != nil {
			return total, err
		}
		if len(reqs) == 0 {
			return total, nil
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, s.Workers)
		for _, r := range reqs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				s.Fulfil(ctx, r)
			}()
		}
		wg.Wait()
		total += len(reqs)
	}
}

// result is what one fulfilment learned, held in memory until it is
// delivered and then wiped.
type result struct {
	outcome string
	err     error  // the connector's error, for HR
	message string // what to tell the employee instead of a result
	chat    string // a class B answer the company lets into the chat
	file    *securelink.FileSpec
	class   Class
	doc     *hris.Document // the system's file, wiped with the result
}

func (r *result) wipe() {
	if r.file != nil {
		clear(r.file.Data)
		r.file = nil
	}
	r.doc.Wipe()
	r.chat = ""
}

// Fulfil runs one claimed request: the rights check, the live status
// check, the connector's action and the delivery, and records how it
// ended. A request for HR stops after the checks, in HR's queue.
func (s *Service) Fulfil(ctx context.Context, r *store.ServiceRequest) {
	s.init()
	start := time.Now()
	ctx = staffbot.WithActor(ctx, systemActor)
	res := s.check(ctx, r)
	defer res.wipe()

	err := s.finish(ctx, r, res)
	attrs := []any{slog.Int64("company_id", int64(r.CompanyID)), slog.Int64("employee_id", int64(r.EmployeeID)),
		slog.Int64("request_id", r.ID), slog.String("service", r.ServiceKey), slog.String("outcome", res.outcome),
		slog.Duration("duration", time.Since(start))}
	switch {
	case err != nil:
		s.Logger.ErrorContext(ctx, "Service request not finished", append(attrs, slog.String("error", err.Error()))...)
	case res.err != nil:
		s.Logger.WarnContext(ctx, "Service request failed in the accounting system",
			append(attrs, slog.String("error_kind", hris.KindName(res.err)), slog.String("error", res.err.Error()))...)
	default:
		s.Logger.InfoContext(ctx, "Service request handled", attrs...)
	}
}

// check runs the layered checks and, for a request the system fulfils,
// the action.
func (s *Service) check(ctx context.Context, r *store.ServiceRequest) *result {
	lang := locale.Lang(r.Lang)
	if r.Attempts > MaxAttempts {
		return &result{outcome: outcomeFailed, message: tr(lang, "failed"),
			err: fmt.Errorf("request %d claimed %d times: %w", r.ID, r.Attempts, staffbot.ErrUnavailable)}
	}

	// First staffbot's own rights: still employed here, the service still
	// on and open to the employee.
	co, err := s.Store.FindCompanyByID(ctx, r.CompanyID)
	if err != nil {
		return &result{outcome: outcomeFailed, err: err}
	}
	emp, err := s.Store.FindEmployeeByID(ctx, r.CompanyID, r.EmployeeID)
	if err != nil {
		return &result{outcome: outcomeFailed, err: err}
	}
	today := staffbot.DateOf(s.Clock.Now().In(co.Location()))
	cat, conn, err := s.catalog(ctx, nil, r.CompanyID)
	if err != nil {
		return &result{outcome: outcomeFailed, message: tr(lang, "failed"), err: err}
	}
	svc := cat.Find(r.ServiceKey)
	if !emp.Active(today) || svc == nil || !svc.Enabled || !svc.Audience.Allows(emp) {
		return &result{outcome: outcomeRefusedRights, message: tr(lang, "refused.rights")}
	}
	if conn == nil {
		if r.Fulfilment == store.FulfilHR {
			return &result{outcome: ""} // nothing to ask; straight to HR
		}
		return &result{outcome: outcomeUnavailable, message: tr(lang, "unavailable.service"),
			err: fmt.Errorf("company has no connector: %w", hris.ErrUnsupported)}
	}

	// Then the accounting system, asked live.
	cctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	st, err := conn.Status(cctx, emp.PersonnelNumber)
	switch {
	case errors.Is(err, hris.ErrNotFound):
		return &result{outcome: outcomeRefusedNotFound, message: tr(lang, "refused.not_found")}
	case err != nil && r.Fulfilment == store.FulfilHR:
		// HR can still check by hand; the request goes on with a note.
		return &result{outcome: "", err: fmt.Errorf("status not checked: %w", err)}
	case err != nil:
		return failure(lang, err)
	case st.State(today) != hris.StateActive:
		return &result{outcome: outcomeRefusedDismissed, message: tr(lang, "refused.dismissed")}
	}
	if r.Fulfilment == store.FulfilHR {
		return &result{outcome: ""}
	}
	if !supports(conn, svc) {
		return &result{outcome: outcomeUnavailable, message: tr(lang, "unavailable.service"),
			err: fmt.Errorf("connector %s cannot %s: %w", conn.Kind(), svc.Action, hris.ErrUnsupported)}
	}
	return s.act(cctx, r, svc, conn, emp.PersonnelNumber, today, lang)
}

// failure is the result of a connector error.
func failure(lang locale.Lang, err error) *result {
	if errors.Is(err, hris.ErrUnavailable) {
		return &result{outcome: outcomeUnavailable, message: tr(lang, "unavailable"), err: err}
	}
	return &result{outcome: outcomeFailed, message: tr(lang, "failed"), err: err}
}

// act performs the service's action and shapes what came back for
// delivery.
func (s *Service) act(ctx context.Context, r *store.ServiceRequest, svc *CatalogService, conn hris.Connector, number string, today staffbot.Date, lang locale.Lang) *result {
	class := svc.ClassFor(r.Answers)
	switch svc.Action {
	case hris.ActionVacationBalance:
		b, err := conn.VacationBalance(ctx, number, today)
		if err != nil {
			return failure(lang, err)
		}
		if b.On.IsZero() {
			b.On = today
		}
		text := balanceText(lang, b)
		return &result{outcome: outcomeDelivered, class: class, chat: text, file: &securelink.FileSpec{
			Name: tr(lang, "balance.file"), ContentType: "text/plain; charset=utf-8", Data: []byte(text + "\n"),
		}}

	case hris.ActionPayslip:
		month, err := hris.ParseMonth(r.Answers[keyMonth])
		if err != nil {
			return &result{outcome: outcomeFailed, message: tr(lang, "failed"), err: err}
		}
		p, err := conn.Payslip(ctx, number, month)
		if errors.Is(err, hris.ErrNotFound) {
			return &result{outcome: outcomeNotReady, message: tr(lang, "not_ready.payslip", monthLabel(lang, month))}
		}
		if err != nil {
			return failure(lang, err)
		}
		res := &result{outcome: outcomeDelivered, class: class, doc: p.File}
		if p.File != nil && len(p.File.Body) > 0 {
			res.file = &securelink.FileSpec{Name: tr(lang, "payslip.pdf", month), ContentType: p.File.ContentType,
				Data: p.File.Body}
		} else {
			res.file = &securelink.FileSpec{Name: tr(lang, "payslip.file", month), ContentType: "text/plain; charset=utf-8",
				Data: []byte(payslipText(lang, p))}
		}
		clear(p.Lines)
		return res

	case hris.ActionCertificate:
		params := hris.CertificateParams{Purpose: purpose(svc, r.Answers), Copies: 1,
			IncludeSalary: r.Answers[keySalary] == "yes"}
		if n, err := strconv.Atoi(r.Answers[keyCopies]); err == nil && n > 0 {
			params.Copies = n
		}
		name := tr(lang, "employment.file")
		if svc.Certificate == hris.CertificateIncome {
			params.Year, _ = strconv.Atoi(r.Answers[keyYear])
			name = tr(lang, "income.file", params.Year)
		}
		doc, err := conn.Certificate(ctx, number, svc.Certificate, params)
		if err != nil {
			return failure(lang, err)
		}
		return &result{outcome: outcomeDelivered, class: class, doc: doc,
			file: &securelink.FileSpec{Name: name, ContentType: doc.ContentType, Data: doc.Body}}
	}
	return &result{outcome: outcomeFailed, message: tr(lang, "failed"),
		err: fmt.Errorf("service %s: action %q: %w", svc.Key, svc.Action, hris.ErrUnsupported)}
}

// purpose is the certificate's purpose as 1C prints it: the Russian label
// of the chosen button, or what the employee typed.
func purpose(svc *CatalogService, answers map[string]string) string {
	v := answers[keyPurpose]
	for _, q := range svc.Questions {
		if q.Key != keyPurpose {
			continue
		}
		for _, ch := range q.Choices {
			if ch.Value == v {
				return ch.Label.RU
			}
		}
	}
	return v
}

// finish records how the request ended and delivers, in one transaction:
// the answer as a secure link (or in the chat, for class B where the
// company allows it), or why there is none.
func (s *Service) finish(ctx context.Context, claimed *store.ServiceRequest, res *result) error {
	co, err := s.Store.FindCompanyByID(ctx, claimed.CompanyID)
	if err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		now := s.Clock.Now()
		r, err := tx.FindServiceRequest(ctx, claimed.CompanyID, claimed.ID)
		if err != nil {
			return err
		}
		if r.Status != store.ServiceRequestInProgress || r.Attempts != claimed.Attempts {
			// Another worker took it over after our lease ran out.
			return nil
		}
		lang := locale.Lang(r.Lang)
		r.LeaseUntil, r.UpdatedAt = nil, now
		if res.err != nil {
			r.Error = truncate(res.err.Error(), 500)
		}

		// A request for HR that passed the checks waits in HR's queue,
		// with its deadline.
		if res.outcome == "" {
			overrides, err := tx.FindCatalogOverrides(ctx, r.CompanyID)
			if err != nil {
				return err
			}
			if err := s.queue(ctx, tx, co, r, NewCatalog(overrides).Find(r.ServiceKey), now); err != nil {
				return err
			}
			if err := tx.UpdateServiceRequest(ctx, r); err != nil {
				return err
			}
			return s.record(ctx, tx, r, "service_request.check", now)
		}

		if res.outcome == outcomeDelivered {
			if err := s.deliver(ctx, tx, r, res, lang); errors.Is(err, securelink.ErrUnreachable) {
				res.outcome = outcomeUnreachable
			} else if err != nil {
				return err
			}
		} else if res.message != "" {
			if err := s.tell(ctx, tx, r, channel.Outgoing{Text: res.message}, now); err != nil {
				return err
			}
		}
		r.Status, r.Outcome = store.ServiceRequestClosed, res.outcome
		r.Answers = nil
		r.ClosedAt = &now
		if err := tx.UpdateServiceRequest(ctx, r); err != nil {
			return err
		}
		return s.record(ctx, tx, r, "service_request.close", now)
	})
}

// deliver hands the result to the employee by the rule of its class.
func (s *Service) deliver(ctx context.Context, tx *store.Tx, r *store.ServiceRequest, res *result, lang locale.Lang) error {
	if res.class == ClassB && res.chat != "" {
		acct, err := s.account(ctx, tx, r)
		if err != nil {
			return err
		}
		cat, _, err := s.catalog(ctx, tx, r.CompanyID)
		if err != nil {
			return err
		}
		if svc := cat.Find(r.ServiceKey); acct != nil && svc != nil && slices.Contains(svc.ChatChannels, acct.Kind) {
			return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: res.chat}, s.Clock.Now())
		}
	}
	if res.file == nil {
		return fmt.Errorf("bug: request %d delivered without a file", r.ID)
	}
	return s.deliverFile(ctx, tx, r, *res.file, res.class, lang)
}

// deliverFile sends a file as a secure link, which asks for a one-time
// code when the file is class C. It fails with securelink.ErrUnreachable,
// having created nothing, when the employee has no chat to send it to.
func (s *Service) deliverFile(ctx context.Context, tx *store.Tx, r *store.ServiceRequest, file securelink.FileSpec, class Class, lang locale.Lang) error {
	accts, err := tx.FindAccountsOfEmployee(ctx, r.CompanyID, r.EmployeeID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(accts, func(a *staffbot.ChannelAccount) bool { return !a.Blocked && a.ConsentedAt != nil }) {
		return securelink.ErrUnreachable
	}
	opts := securelink.Options{RequireCode: class == ClassC}
	_, err = s.Links.Deliver(ctx, tx, r.CompanyID, r.EmployeeID, file, opts, lang)
	return err
}

// account returns the chat the request came from, or nil when it can no
// longer be written to.
func (s *Service) account(ctx context.Context, tx *store.Tx, r *store.ServiceRequest) (*staffbot.ChannelAccount, error) {
	if r.AccountID == nil {
		return nil, nil
	}
	accts, err := tx.FindAccountsOfEmployee(ctx, r.CompanyID, r.EmployeeID)
	if err != nil {
		return nil, err
	}
	for _, a := range accts {
		if a.ID == *r.AccountID && !a.Blocked && a.ConsentedAt != nil {
			return a, nil
		}
	}
	return nil, nil
}

// tell sends a class A message about the request to the chat it came
// from, or to every chat of the employee when that one is gone.
func (s *Service) tell(ctx context.Context, tx *store.Tx, r *store.ServiceRequest, msg channel.Outgoing, now time.Time) error {
	acct, err := s.account(ctx, tx, r)
	if err != nil {
		return err
	}
	if acct != nil {
		return tx.EnqueueToAccount(ctx, acct, msg, now)
	}
	_, err = tx.EnqueueToEmployee(ctx, r.CompanyID, r.EmployeeID, msg, now)
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
