package selfservice

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/store"
)

// Desk is HR's queue of requests as the cabinet works it. Every call
// takes the signed-in user's principal: reading needs tickets:read,
// acting tickets:write (HR's queue is the helpdesk operators' work), and
// only requests of employees in the principal's scope exist for it;
// another company's request is not found. Reads are recorded in the
// audit log with the requests shown; every step of a request is recorded
// with its history.
type Desk struct {
	s *Service
}

// Desk returns the cabinet's view of HR's queue.
func (s *Service) Desk() *Desk { return &Desk{s: s} }

// Limits of what HR types.
const (
	MaxNote   = 2000 // a note kept in the history
	MaxReason = 1000 // a reason told to the employee
)

// QueueFilter picks the requests the cabinet lists.
type QueueFilter struct {
	// Status is a request status, store.ServiceQueueOpen (new or taken)
	// or store.ServiceQueueAll.
	Status string

	// By is store.FulfilHR (the default), store.FulfilAuto, or "all".
	By string

	Service string

	// Overdue keeps requests HR still has past their deadline.
	Overdue bool

	BeforeID int64
	Limit    int
}

// MaxPage is the most requests one list call returns.
const MaxPage = 200

func need(p *auth.Principal, perm auth.Permission) error {
	if !p.Can(perm) {
		return fmt.Errorf("role lacks %s: %w", perm, staffbot.ErrForbidden)
	}
	return nil
}

// List returns the requests p may see that the filter picks, newest
// first, with the employees' names. The read is recorded with the ids
// shown.
func (d *Desk) List(ctx context.Context, p *auth.Principal, f QueueFilter) ([]*store.ServiceRequest, error) {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return nil, err
	}
	d.s.init()
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = MaxPage
	}
	sf := store.ServiceQueueFilter{Scope: p.Scope(), Status: f.Status, Service: f.Service, Overdue: f.Overdue,
		Now: d.s.Clock.Now(), BeforeID: f.BeforeID, Limit: f.Limit}
	switch f.By {
	case "", store.FulfilHR:
		sf.Fulfilment = store.FulfilHR
	case store.FulfilAuto:
		sf.Fulfilment = store.FulfilAuto
	}
	list, err := d.s.Store.FindServiceQueue(ctx, p.CompanyID, sf)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, r := range list {
		ids[i] = strconv.FormatInt(r.ID, 10)
	}
	err = d.s.Store.InTx(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, staffbot.AuditRecord{CompanyID: p.CompanyID, At: d.s.Clock.Now(), Actor: p.Actor(),
			Action: "service_request.list", ObjectType: "service_request", ObjectID: strings.Join(ids, ",")})
	})
	if err != nil {
		return nil, fmt.Errorf("audit request list: %w", err)
	}
	return list, nil
}

// Counts returns how many requests in p's scope HR has, and how many of
// them are past their deadline.
func (d *Desk) Counts(ctx context.Context, p *auth.Principal) (open, overdue int64, err error) {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return 0, 0, err
	}
	d.s.init()
	return d.s.Store.ServiceQueueCounts(ctx, p.CompanyID, p.Scope(), d.s.Clock.Now())
}

// Answer is one answer of the employee as HR reads it: the question and
// the answer in words.
type Answer struct {
	Question string
	Value    string
}

// RequestView is a request as the cabinet opens it.
type RequestView struct {
	Request  *store.ServiceRequest
	Service  *CatalogService // nil for a service no longer in the catalogue
	Employee *staffbot.Employee
	Answers  []Answer
	Events   []*store.ServiceRequestEvent
}

// find returns a request p may see: of p's company and scope, not a
// draft. Anything else wraps ErrNotFound.
func (d *Desk) find(ctx context.Context, p *auth.Principal, id int64) (*store.ServiceRequest, error) {
	return d.s.Store.FindServiceRequestInScope(ctx, p.CompanyID, p.Scope(), id)
}

// Check reports whether p may see the request: nil, or an error wrapping
// ErrNotFound (another company's request, one out of scope) or
// ErrForbidden. Nothing is read, so nothing is recorded.
func (d *Desk) Check(ctx context.Context, p *auth.Principal, id int64) error {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return err
	}
	_, err := d.find(ctx, p, id)
	return err
}

// Get returns a request with the employee's answers and its history. The
// read is recorded.
func (d *Desk) Get(ctx context.Context, p *auth.Principal, id int64, lang locale.Lang) (*RequestView, error) {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return nil, err
	}
	d.s.init()
	r, err := d.find(ctx, p, id)
	if err != nil {
		return nil, err
	}
	v := &RequestView{Request: r}
	if v.Employee, err = d.s.Store.FindEmployeeByID(ctx, p.CompanyID, r.EmployeeID); err != nil {
		return nil, err
	}
	if !p.Can(auth.PermEmployeesContacts) {
		v.Employee.Phone, v.Employee.Email = "", ""
	}
	cat, _, err := d.s.catalog(ctx, nil, p.CompanyID)
	if err != nil {
		return nil, err
	}
	v.Service = cat.Find(r.ServiceKey)
	v.Answers = answersOf(v.Service, r.Answers, lang)
	if v.Events, err = d.s.Store.FindServiceRequestEvents(ctx, p.CompanyID, id); err != nil {
		return nil, err
	}
	subject := r.EmployeeID
	err = d.s.Store.InTx(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, staffbot.AuditRecord{CompanyID: p.CompanyID, At: d.s.Clock.Now(), Actor: p.Actor(),
			Action: "service_request.read", ObjectType: "service_request", ObjectID: strconv.FormatInt(id, 10),
			SubjectID: &subject})
	})
	if err != nil {
		return nil, fmt.Errorf("audit request read: %w", err)
	}
	return v, nil
}

// answersOf puts the answers in the order the service asks its
// questions, with the labels of chosen buttons; answers to questions the
// service no longer asks come last, as they are.
func answersOf(svc *CatalogService, answers map[string]string, lang locale.Lang) []Answer {
	var out []Answer
	seen := map[string]bool{}
	if svc != nil {
		for _, q := range svc.Questions {
			v, ok := answers[q.Key]
			if !ok {
				continue
			}
			seen[q.Key] = true
			for _, ch := range q.Choices {
				if ch.Value == v {
					v = ch.Label.In(lang)
				}
			}
			out = append(out, Answer{Question: q.Prompt.In(lang), Value: v})
		}
	}
	keys := make([]string, 0, len(answers))
	for k := range answers {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, Answer{Question: k, Value: answers[k]})
	}
	return out
}

// act checks that p may act on the request and runs fn as p.
func (d *Desk) act(ctx context.Context, p *auth.Principal, id int64, fn func(ctx context.Context, companyID staffbot.CompanyID) error) error {
	if err := need(p, auth.PermTicketsWrite); err != nil {
		return err
	}
	if _, err := d.find(ctx, p, id); err != nil {
		return err
	}
	return fn(staffbot.WithActor(ctx, p.Actor()), p.CompanyID)
}

func checkText(s string, limit int, what string) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > limit {
		return "", fmt.Errorf("%s of %d characters, over %d: %w", what, utf8.RuneCountInString(s), limit, staffbot.ErrInvalid)
	}
	return s, nil
}

// Take gives a new request to p.
func (d *Desk) Take(ctx context.Context, p *auth.Principal, id int64) error {
	return d.act(ctx, p, id, func(ctx context.Context, companyID staffbot.CompanyID) error {
		return d.s.Take(ctx, companyID, id)
	})
}

// Ready tells the employee to collect the paper original at the HR
// office; note stays in the history.
func (d *Desk) Ready(ctx context.Context, p *auth.Principal, id int64, note string) error {
	note, err := checkText(note, MaxNote, "note")
	if err != nil {
		return err
	}
	return d.act(ctx, p, id, func(ctx context.Context, companyID staffbot.CompanyID) error {
		return d.s.ReadyWithNote(ctx, companyID, id, nil, note)
	})
}

// Send delivers the document to the employee as a secure link (asking
// for a one-time code when the answer is class C) and closes the
// request; note stays in the history. An employee the bot cannot reach
// fails with securelink.ErrUnreachable, changing nothing.
func (d *Desk) Send(ctx context.Context, p *auth.Principal, id int64, file securelink.FileSpec, note string) error {
	note, err := checkText(note, MaxNote, "note")
	if err != nil {
		return err
	}
	if len(file.Data) == 0 {
		return fmt.Errorf("empty file: %w", staffbot.ErrInvalid)
	}
	return d.act(ctx, p, id, func(ctx context.Context, companyID staffbot.CompanyID) error {
		from := []string{store.ServiceRequestNew, store.ServiceRequestInProgress, store.ServiceRequestReady}
		return d.s.hrStep(ctx, companyID, id, from, "service_request.send",
			func(tx *store.Tx, r *store.ServiceRequest, svc *CatalogService, now time.Time) error {
				if err := d.s.ready(ctx, tx, r, svc, &file, note, now); err != nil {
					return err
				}
				r.Status, r.ClosedAt, r.Answers = store.ServiceRequestClosed, &now, nil
				return nil
			})
	})
}

// Done closes the request as done; note stays in the history.
func (d *Desk) Done(ctx context.Context, p *auth.Principal, id int64, note string) error {
	note, err := checkText(note, MaxNote, "note")
	if err != nil {
		return err
	}
	return d.act(ctx, p, id, func(ctx context.Context, companyID staffbot.CompanyID) error {
		return d.s.Done(ctx, companyID, id, note)
	})
}

// Reject declines the request; the reason, which is required, reaches
// the employee in the chat and stays in the history.
func (d *Desk) Reject(ctx context.Context, p *auth.Principal, id int64, reason string) error {
	reason, err := checkText(reason, MaxReason, "reason")
	if err != nil {
		return err
	}
	if reason == "" {
		return fmt.Errorf("a reason is required: %w", staffbot.ErrInvalid)
	}
	return d.act(ctx, p, id, func(ctx context.Context, companyID staffbot.CompanyID) error {
		return d.s.Reject(ctx, companyID, id, reason)
	})
}
