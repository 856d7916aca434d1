// Package helpdesk turns employees' requests to HR into tickets
// ("обращения"): opened from the chat (or from a question the FAQ could
// not answer), routed to a queue per category and assigned to an
// operator, timed against SLA targets on the company's working calendar,
// escalated to a lead when a timer runs out, answered from the HR cabinet
// or the REST API into the messenger the employee wrote from, and rated by
// the employee once resolved.
//
// Every change to a ticket takes the ticket's row lock first, so two
// operators, or two server processes, replying at once get their messages
// numbered one after the other, never lost, doubled or swapped.
package helpdesk

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/calendar"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// FileFetcher downloads a file an employee sent, by the messenger's
// reference (Telegram's file_id).
type FileFetcher interface {
	Fetch(ctx context.Context, co *staffbot.Company, ref string) (name, contentType string, data []byte, err error)
}

// Service is the helpdesk.
type Service struct {
	Store  *store.Store
	Clock  staffbot.Clock
	Logger *slog.Logger

	// Auditor records reads (with a nil transaction) and writes (in
	// theirs). Every operator call is recorded.
	Auditor auth.Auditor

	// BaseURL is the cabinet's public address, for links sent to leads.
	BaseURL string

	// Files fetch attachments, by channel. A channel without one keeps
	// the reference only.
	Files map[staffbot.ChannelKind]FileFetcher

	// MaxFileSize bounds a stored attachment (20 MB, Telegram's own
	// limit for bots).
	MaxFileSize int64

	mu   sync.Mutex
	subs map[chan struct{}]staffbot.CompanyID

	// measured is set once no ticket lacks its working times.
	measured atomic.Bool
}

// maxSubject bounds the subject taken from the first line of a request.
const maxSubject = 100

// Subscribe returns a channel that receives a value whenever a ticket of
// the company changes in this process, and a function to stop. Changes
// made by other processes are not signalled; watchers also poll.
func (s *Service) Subscribe(companyID staffbot.CompanyID) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	if s.subs == nil {
		s.subs = map[chan struct{}]staffbot.CompanyID{}
	}
	s.subs[ch] = companyID
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}
}

// changed wakes the company's watchers. A change made in a transaction
// that commits later (the bot's) is signalled again shortly after, so a
// watcher that looked too early looks once more.
func (s *Service) changed(companyID staffbot.CompanyID, later bool) {
	s.signal(companyID)
	if later {
		time.AfterFunc(150*time.Millisecond, func() { s.signal(companyID) })
	}
}

func (s *Service) signal(companyID staffbot.CompanyID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch, co := range s.subs {
		if co != companyID {
			continue
		}
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

func (s *Service) auditor() auth.Auditor {
	if s.Auditor == nil {
		return auth.NopAuditor{}
	}
	return s.Auditor
}

// Calendar returns the company's working calendar: its hours (Monday to
// Friday 09:00–18:00 unless set), the Russian production calendar and the
// company's changes to it, in the company's time zone.
func (s *Service) Calendar(ctx context.Context, co *staffbot.Company) (*calendar.Calendar, error) {
	return s.Store.WorkingCalendar(ctx, nil, co)
}

// subjectOf is the first line of a request, cut to maxSubject runes.
func subjectOf(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	line = strings.TrimSpace(line)
	if utf8.RuneCountInString(line) > maxSubject {
		r := []rune(line)
		line = strings.TrimSpace(string(r[:maxSubject-1])) + "…"
	}
	return line
}

// openRequest is what a new ticket is made from.
type openRequest struct {
	co       *staffbot.Company
	emp      *staffbot.Employee
	acct     *staffbot.ChannelAccount // nil: any account of the employee
	cat      *store.TicketCategory
	text     string
	files    []store.DraftFile
	source   string
	hrReqID  *int64
	actor    staffbot.Actor
	now      time.Time
	noNotice bool
}

// open creates a ticket with its first message and attachments, assigns
// it, starts its timers, records it and tells the employee its number.
func (s *Service) open(ctx context.Context, tx *store.Tx, r openRequest) (*store.Ticket, error) {
	cal, err := s.Store.WorkingCalendar(ctx, tx, r.co)
	if err != nil {
		return nil, err
	}
	tk := &store.Ticket{
		CompanyID: r.co.ID, EmployeeID: r.emp.ID, CategoryID: r.cat.ID, Subject: subjectOf(r.text),
		Status: store.TicketNew, Source: r.source, HRRequestID: r.hrReqID, CreatedAt: r.now,
	}
	if r.acct != nil {
		tk.Channel, tk.AccountID = r.acct.Kind, &r.acct.ID
	}
	if fr, err := calendar.ParseTarget(r.cat.FirstResponse); err == nil && !fr.IsZero() {
		due := cal.Due(r.now, fr)
		tk.FirstResponseDueAt = &due
	}
	if res, err := calendar.ParseTarget(r.cat.Resolution); err == nil && !res.IsZero() {
		due := cal.Due(r.now, res)
		tk.ResolutionDueAt = &due
	}
	assignee, err := s.pickAssignee(ctx, tx, r.co.ID, r.cat)
	if err != nil {
		return nil, err
	}
	tk.AssigneeID = assignee
	if err := tx.CreateTicket(ctx, tk); err != nil {
		return nil, err
	}

	msg := &store.TicketMessage{CompanyID: r.co.ID, TicketID: tk.ID, Kind: store.MessageEmployee,
		AuthorKind: string(staffbot.ActorEmployee), AuthorID: strconv.FormatInt(int64(r.emp.ID), 10), Body: r.text, CreatedAt: r.now}
	if _, err := tx.AppendTicketMessage(ctx, msg); err != nil {
		return nil, err
	}
	if err := s.attach(ctx, tx, tk, msg.Seq, r.files, r.now); err != nil {
		return nil, err
	}
	if assignee != nil {
		if err := s.event(ctx, tx, tk, systemActor, "assigned", strconv.FormatInt(int64(*assignee), 10), r.now); err != nil {
			return nil, err
		}
	}
	tk.LastSeq = msg.Seq

	rec := staffbot.AuditRecord{CompanyID: r.co.ID, At: r.now, Actor: r.actor, Action: AuditCreate,
		ObjectType: ObjectTicket, ObjectID: strconv.FormatInt(tk.ID, 10), SubjectID: &r.emp.ID,
		After: auditJSON(map[string]any{"number": tk.Number, "category": r.cat.Slug, "source": tk.Source,
			"assignee_id": assignee, "files": len(r.files)})}
	if err := s.auditor().Record(ctx, tx, rec); err != nil {
		return nil, err
	}

	if !r.noNotice {
		lang := locale.RU
		due := ""
		if tk.FirstResponseDueAt != nil {
			due = t(lang, "created.due", formatDue(*tk.FirstResponseDueAt, r.co.Location()))
		}
		text := t(lang, "created", tk.Number, r.cat.Name(string(lang)), due)
		if r.source == "faq" {
			text = t(lang, "from.faq", tk.Number, r.cat.Name(string(lang)))
		}
		if err := s.tell(ctx, tx, tk, channel.Outgoing{Text: text}, r.now); err != nil {
			return nil, err
		}
	}
	s.logger().InfoContext(ctx, "Ticket opened", slog.Int64("company_id", int64(r.co.ID)),
		slog.Int64("ticket_id", tk.ID), slog.Int64("employee_id", int64(r.emp.ID)), slog.String("source", tk.Source))
	s.changed(r.co.ID, true)
	return tk, nil
}

// attach records files sent with message seq, to be fetched.
func (s *Service) attach(ctx context.Context, tx *store.Tx, tk *store.Ticket, seq int64, files []store.DraftFile, now time.Time) error {
	for _, f := range files {
		a := &store.TicketAttachment{CompanyID: tk.CompanyID, TicketID: tk.ID, MessageSeq: seq, Channel: f.Channel,
			FileRef: f.Ref, Name: f.Name, CreatedAt: now}
		if err := tx.CreateTicketAttachment(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// systemActor is staffbot's own timers.
var systemActor = staffbot.Actor{Kind: staffbot.ActorSystem, ID: "helpdesk"}

// event adds an internal entry to the conversation: "status" with
// "open→resolved", "assigned" with a user id, "escalated" with the timer.
func (s *Service) event(ctx context.Context, tx *store.Tx, tk *store.Ticket, actor staffbot.Actor, what, value string, now time.Time) error {
	m := &store.TicketMessage{CompanyID: tk.CompanyID, TicketID: tk.ID, Kind: store.MessageEvent,
		AuthorKind: string(actor.Kind), AuthorID: actor.ID, Body: what + ":" + value, CreatedAt: now}
	if _, err := tx.AppendTicketMessage(ctx, m); err != nil {
		return err
	}
	tk.LastSeq = m.Seq
	return nil
}

// tell queues a message for the employee of a ticket: to the account the
// ticket came from while it can be reached, otherwise to every account of
// the employee.
func (s *Service) tell(ctx context.Context, tx *store.Tx, tk *store.Ticket, msg channel.Outgoing, now time.Time) error {
	if tk.AccountID != nil {
		accts, err := tx.FindAccountsOfEmployee(ctx, tk.CompanyID, tk.EmployeeID)
		if err != nil {
			return err
		}
		for _, a := range accts {
			if a.ID == *tk.AccountID && !a.Blocked && a.ConsentedAt != nil {
				return tx.EnqueueToAccount(ctx, a, msg, now)
			}
		}
	}
	n, err := tx.EnqueueToEmployee(ctx, tk.CompanyID, tk.EmployeeID, msg, now)
	if err == nil && n == 0 {
		s.logger().WarnContext(ctx, "Ticket notice undeliverable", slog.Int64("company_id", int64(tk.CompanyID)),
			slog.Int64("ticket_id", tk.ID))
	}
	return err
}

// pickAssignee chooses the operator for a new ticket of the category:
// nobody for manual assignment; otherwise among the category's operators
// (every active user who may answer tickets, when none are named) the next
// after the last one (round robin) or the one with the fewest active
// tickets (by load). The category's row is locked so that tickets arriving
// together take turns.
func (s *Service) pickAssignee(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID, cat *store.TicketCategory) (*store.UserID, error) {
	if cat.AssignMode == store.AssignManual {
		return nil, nil
	}
	locked, err := tx.LockTicketCategory(ctx, companyID, cat.ID)
	if err != nil {
		return nil, err
	}
	candidates, err := s.operators(ctx, tx, companyID, locked.Operators)
	if err != nil || len(candidates) == 0 {
		return nil, err
	}

	var pick store.UserID
	switch locked.AssignMode {
	case store.AssignByLoad:
		load, err := tx.CountActiveTickets(ctx, companyID)
		if err != nil {
			return nil, err
		}
		pick = candidates[0]
		for _, u := range candidates[1:] {
			if load[u] < load[pick] {
				pick = u
			}
		}
	default:
		pick = candidates[0]
		if locked.LastAssigneeID != nil {
			for _, u := range candidates {
				if u > *locked.LastAssigneeID {
					pick = u
					break
				}
			}
		}
	}
	if err := tx.SetCategoryLastAssignee(ctx, companyID, cat.ID, pick); err != nil {
		return nil, err
	}
	return &pick, nil
}

// operators returns, in id order, the active users who may answer
// tickets, limited to only when it is not empty; read in tx when there is
// one.
func (s *Service) operators(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID, only []store.UserID) ([]store.UserID, error) {
	users, err := s.users(ctx, tx, companyID)
	if err != nil {
		return nil, err
	}
	var out []store.UserID
	for _, u := range users {
		if u.Disabled || !auth.Role(u.Role).Has(auth.PermTicketsWrite) {
			continue
		}
		if len(only) > 0 && !containsUser(only, u.ID) {
			continue
		}
		out = append(out, u.ID)
	}
	sortUsers(out)
	return out, nil
}

// users returns the company's cabinet users, read in tx when there is one.
func (s *Service) users(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID) ([]store.TicketUser, error) {
	if tx != nil {
		return tx.FindTicketUsers(ctx, companyID)
	}
	list, err := s.Store.FindUsers(ctx, companyID)
	if err != nil {
		return nil, err
	}
	out := make([]store.TicketUser, len(list))
	for i, u := range list {
		out[i] = store.TicketUser{ID: u.ID, Role: u.Role, EmployeeID: u.EmployeeID, Disabled: u.DisabledAt != nil}
	}
	return out, nil
}

func containsUser(list []store.UserID, u store.UserID) bool {
	for _, x := range list {
		if x == u {
			return true
		}
	}
	return false
}

func sortUsers(list []store.UserID) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && list[j] < list[j-1]; j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

// formatDue shows an instant as the employee reads it: 24.02.2026 11:00.
func formatDue(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("02.01.2006 15:04")
}

func auditJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// The audited actions of the helpdesk, as object.verb.
const (
	AuditCreate   = "ticket.create"
	AuditList     = "ticket.list"
	AuditRead     = "ticket.read"
	AuditReply    = "ticket.reply"
	AuditNote     = "ticket.note"
	AuditMessage  = "ticket.message" // from the employee
	AuditStatus   = "ticket.status"
	AuditAssign   = "ticket.assign"
	AuditRate     = "ticket.rate"
	AuditEscalate = "ticket.escalate"
	AuditKB       = "ticket.kb"
	AuditFileRead = "ticket.file_read"
	AuditSettings = "helpdesk.settings"

	ObjectTicket = "ticket"
)
