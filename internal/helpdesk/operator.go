package helpdesk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// MaxPage is the most tickets one list call returns.
const MaxPage = 200

// MaxReply bounds the text of a reply or note, in characters.
const MaxReply = 10000

// Filter picks tickets for a queue view.
type Filter struct {
	Statuses   []store.TicketStatus
	CategoryID int64

	// Assignee is "me", "none" or a user id; empty for anyone.
	Assignee string

	Escalated bool

	// Search matches the ticket number, the employee's name or personnel
	// number, and the subject.
	Search string

	BeforeID int64
	Limit    int
}

// searchWindow is how many of the newest tickets a text search looks
// through: subjects are sealed, so they are matched after decryption.
const searchWindow = 2000

func need(p *auth.Principal, perm auth.Permission) error {
	if !p.Can(perm) {
		return fmt.Errorf("role lacks %s: %w", perm, staffbot.ErrForbidden)
	}
	return nil
}

// List returns the tickets p may see that the filter picks, newest first.
// The read is recorded with the ids shown.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]*store.Ticket, error) {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = MaxPage
	}
	sf := store.TicketFilter{Statuses: f.Statuses, CategoryID: f.CategoryID, Escalated: f.Escalated,
		Scope: p.Scope(), BeforeID: f.BeforeID, Limit: f.Limit}
	switch f.Assignee {
	case "":
	case "me":
		if p.UserID == 0 {
			return nil, fmt.Errorf("assignee me without a user: %w", staffbot.ErrInvalid)
		}
		me := p.UserID
		sf.AssigneeID = &me
	case "none":
		sf.Unassigned = true
	default:
		n, err := strconv.ParseInt(f.Assignee, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("assignee %q: %w", f.Assignee, staffbot.ErrInvalid)
		}
		u := store.UserID(n)
		sf.AssigneeID = &u
	}

	search := strings.TrimSpace(f.Search)
	numeric := false
	if search != "" {
		_, err := strconv.ParseInt(strings.TrimLeft(search, "№# "), 10, 64)
		numeric = err == nil
	}
	var list []*store.Ticket
	var err error
	switch {
	case search == "":
		list, err = s.Store.FindTickets(ctx, p.CompanyID, sf)
	case numeric:
		sf.Search = search
		list, err = s.Store.FindTickets(ctx, p.CompanyID, sf)
	default:
		sf.Limit = searchWindow
		var all []*store.Ticket
		all, err = s.Store.FindTickets(ctx, p.CompanyID, sf)
		needle := strings.ToLower(search)
		for _, tk := range all {
			if strings.Contains(strings.ToLower(tk.Subject), needle) || strings.Contains(strings.ToLower(tk.EmployeeName), needle) {
				list = append(list, tk)
				if len(list) == f.Limit {
					break
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}

	ids := make([]string, len(list))
	for i, tk := range list {
		ids[i] = strconv.FormatInt(tk.ID, 10)
	}
	rec := staffbot.AuditRecord{CompanyID: p.CompanyID, At: s.Clock.Now(), Actor: p.Actor(), Action: AuditList,
		ObjectType: ObjectTicket, ObjectID: strings.Join(ids, ",")}
	if err := s.auditor().Record(ctx, nil, rec); err != nil {
		return nil, fmt.Errorf("audit ticket list: %w", err)
	}
	return list, nil
}

// View is a ticket as an operator opens it.
type View struct {
	Ticket      *store.Ticket
	Category    *store.TicketCategory
	Employee    *staffbot.Employee
	Messages    []*store.TicketMessage
	Attachments []*store.TicketAttachment
}

// AttachmentsOf returns the attachments sent with message seq.
func (v *View) AttachmentsOf(seq int64) []*store.TicketAttachment {
	var out []*store.TicketAttachment
	for _, a := range v.Attachments {
		if a.MessageSeq == seq {
			out = append(out, a)
		}
	}
	return out
}

// find returns a ticket p may see: of p's company and scope. Anything
// else wraps ErrNotFound, so another company's ticket looks missing.
func (s *Service) find(ctx context.Context, p *auth.Principal, id int64) (*store.Ticket, error) {
	return s.Store.FindTicketInScope(ctx, p.CompanyID, p.Scope(), id)
}

// Get returns a ticket with its whole conversation, internal notes and
// events included. The read is recorded.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (*View, error) {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return nil, err
	}
	tk, err := s.find(ctx, p, id)
	if err != nil {
		return nil, err
	}
	v := &View{Ticket: tk}
	if v.Messages, err = s.Store.FindTicketMessages(ctx, p.CompanyID, id, 0, true); err != nil {
		return nil, err
	}
	if v.Attachments, err = s.Store.FindTicketAttachments(ctx, p.CompanyID, id); err != nil {
		return nil, err
	}
	if v.Employee, err = s.Store.FindEmployeeByID(ctx, p.CompanyID, tk.EmployeeID); err != nil {
		return nil, err
	}
	if !p.Can(auth.PermEmployeesContacts) {
		v.Employee.Phone, v.Employee.Email = "", ""
	}
	cats, err := s.categories(ctx, nil, p.CompanyID)
	if err != nil {
		return nil, err
	}
	v.Category = categoryByID(cats, tk.CategoryID)
	if err := s.recordRead(ctx, p, tk, 0); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Service) recordRead(ctx context.Context, p *auth.Principal, tk *store.Ticket, afterSeq int64) error {
	rec := staffbot.AuditRecord{CompanyID: p.CompanyID, At: s.Clock.Now(), Actor: p.Actor(), Action: AuditRead,
		ObjectType: ObjectTicket, ObjectID: strconv.FormatInt(tk.ID, 10), SubjectID: &tk.EmployeeID}
	if afterSeq > 0 {
		rec.After = auditJSON(map[string]any{"after_seq": afterSeq, "last_seq": tk.LastSeq})
	}
	if err := s.auditor().Record(ctx, nil, rec); err != nil {
		return fmt.Errorf("audit ticket read: %w", err)
	}
	return nil
}

// Messages returns the ticket and its messages after afterSeq, for a live
// view. Only a call that returns messages is recorded, so a view that
// polls does not fill the audit log with empty reads.
func (s *Service) Messages(ctx context.Context, p *auth.Principal, id, afterSeq int64) (*store.Ticket, []*store.TicketMessage, error) {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return nil, nil, err
	}
	tk, err := s.find(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	if tk.LastSeq <= afterSeq {
		return tk, nil, nil
	}
	msgs, err := s.Store.FindTicketMessages(ctx, p.CompanyID, id, afterSeq, true)
	if err != nil {
		return nil, nil, err
	}
	if err := s.recordRead(ctx, p, tk, afterSeq); err != nil {
		return nil, nil, err
	}
	return tk, msgs, nil
}

// Reply is an operator's message on a ticket.
type Reply struct {
	Text string

	// Internal makes it a note the employee never sees.
	Internal bool

	// Status, when set, is where the ticket goes with the reply. A public
	// reply without one puts the ticket in waiting for the employee.
	Status store.TicketStatus

	// IdemKey makes a retried reply land once.
	IdemKey string
}

// Reply adds an operator's reply or internal note to a ticket. A reply
// goes to the employee in the messenger the ticket came from, counts as
// the first response when it is one, and moves the ticket on; a note only
// joins the conversation. A retry with the same IdemKey returns the first
// message and changes nothing.
func (s *Service) Reply(ctx context.Context, p *auth.Principal, id int64, r Reply) (*store.TicketMessage, error) {
	if err := need(p, auth.PermTicketsWrite); err != nil {
		return nil, err
	}
	tk, err := s.find(ctx, p, id)
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(r.Text)
	if text == "" || utf8.RuneCountInString(text) > MaxReply {
		return nil, fmt.Errorf("reply of %d characters: %w", utf8.RuneCountInString(text), staffbot.ErrInvalid)
	}
	if r.Status == "" && !r.Internal {
		r.Status = store.TicketWaiting
	}
	if r.Status == store.TicketNew {
		return nil, fmt.Errorf("status new: %w", staffbot.ErrInvalid)
	}
	co, err := s.Store.FindCompanyByID(ctx, p.CompanyID)
	if err != nil {
		return nil, err
	}
	cal, err := s.Calendar(ctx, co)
	if err != nil {
		return nil, err
	}
	actor := p.Actor()
	now := s.Clock.Now()

	var msg *store.TicketMessage
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		tk, err = tx.LockTicket(ctx, p.CompanyID, tk.ID)
		if err != nil {
			return err
		}
		if !r.Internal && tk.Status == store.TicketClosed && r.Status != store.TicketOpen {
			return fmt.Errorf("ticket %d is closed; reopen it to reply: %w", tk.ID, staffbot.ErrConflict)
		}
		kind := store.MessageReply
		if r.Internal {
			kind = store.MessageNote
		}
		msg = &store.TicketMessage{CompanyID: p.CompanyID, TicketID: tk.ID, Kind: kind, AuthorKind: string(actor.Kind),
			AuthorID: actor.ID, Body: text, IdemKey: r.IdemKey, CreatedAt: now}
		if dup, err := tx.AppendTicketMessage(ctx, msg); err != nil || dup {
			return err
		}
		tk.LastSeq, tk.UpdatedAt = msg.Seq, now

		from := tk.Status
		if !r.Internal {
			if tk.FirstResponseAt == nil {
				tk.FirstResponseAt = &now
				tk.FirstResponseSecs = workSecs(cal, tk.CreatedAt, now)
			}
			if tk.AssigneeID == nil && p.UserID != 0 {
				u := p.UserID
				tk.AssigneeID = &u
				if err := s.event(ctx, tx, tk, actor, "assigned", strconv.FormatInt(int64(u), 10), now); err != nil {
					return err
				}
			}
		}
		if r.Status != "" {
			if _, err := s.transition(ctx, tx, cal, tk, r.Status, actor, now); err != nil {
				return err
			}
		}
		if err := tx.UpdateTicket(ctx, tk); err != nil {
			return err
		}

		action := AuditReply
		if r.Internal {
			action = AuditNote
		}
		rec := staffbot.AuditRecord{CompanyID: p.CompanyID, At: now, Actor: actor, Action: action, ObjectType: ObjectTicket,
			ObjectID: strconv.FormatInt(tk.ID, 10), SubjectID: &tk.EmployeeID,
			After: auditJSON(map[string]any{"seq": msg.Seq, "status": tk.Status, "from": from})}
		if err := s.auditor().Record(ctx, tx, rec); err != nil {
			return err
		}
		if r.Internal {
			return nil
		}

		lang := locale.RU
		out := channel.Outgoing{Text: t(lang, "reply", tk.Number, text)}
		if tk.Status == store.TicketWaiting {
			out.Text += t(lang, "reply.wait")
		}
		if tk.Status.Active() {
			out.Buttons = [][]channel.Button{{{Text: t(lang, "btn.reply"), Data: dataReply + strconv.FormatInt(tk.ID, 10)}}}
		}
		if err := s.tell(ctx, tx, tk, out, now); err != nil {
			return err
		}
		if tk.Status != from && (tk.Status == store.TicketResolved || tk.Status == store.TicketClosed) {
			if notice := statusNotice(tk, from, lang); notice.Text != "" {
				return s.tell(ctx, tx, tk, notice, now)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.changed(p.CompanyID, false)
	return msg, nil
}

// SetStatus moves a ticket to a status and tells the employee.
func (s *Service) SetStatus(ctx context.Context, p *auth.Principal, id int64, to store.TicketStatus) (*store.Ticket, error) {
	if err := need(p, auth.PermTicketsWrite); err != nil {
		return nil, err
	}
	tk, err := s.find(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if to == store.TicketNew {
		return nil, fmt.Errorf("status new: %w", staffbot.ErrInvalid)
	}
	co, err := s.Store.FindCompanyByID(ctx, p.CompanyID)
	if err != nil {
		return nil, err
	}
	cal, err := s.Calendar(ctx, co)
	if err != nil {
		return nil, err
	}
	actor, now := p.Actor(), s.Clock.Now()
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if tk, err = tx.LockTicket(ctx, p.CompanyID, tk.ID); err != nil {
			return err
		}
		from := tk.Status
		changed, err := s.transition(ctx, tx, cal, tk, to, actor, now)
		if err != nil || !changed {
			return err
		}
		if err := tx.UpdateTicket(ctx, tk); err != nil {
			return err
		}
		rec := staffbot.AuditRecord{CompanyID: p.CompanyID, At: now, Actor: actor, Action: AuditStatus, ObjectType: ObjectTicket,
			ObjectID: strconv.FormatInt(tk.ID, 10), SubjectID: &tk.EmployeeID,
			Before: auditJSON(map[string]any{"status": from}), After: auditJSON(map[string]any{"status": tk.Status})}
		if err := s.auditor().Record(ctx, tx, rec); err != nil {
			return err
		}
		if notice := statusNotice(tk, from, locale.RU); notice.Text != "" {
			return s.tell(ctx, tx, tk, notice, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.changed(p.CompanyID, false)
	return tk, nil
}

// Assign gives a ticket to an operator, or takes it from whoever has it
// when user is nil. The operator must be an active user who may answer
// tickets.
func (s *Service) Assign(ctx context.Context, p *auth.Principal, id int64, user *store.UserID) (*store.Ticket, error) {
	if err := need(p, auth.PermTicketsWrite); err != nil {
		return nil, err
	}
	tk, err := s.find(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if user != nil {
		ops, err := s.operators(ctx, nil, p.CompanyID, nil)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ops, *user) {
			return nil, fmt.Errorf("user %d cannot take tickets: %w", *user, staffbot.ErrInvalid)
		}
	}
	actor, now := p.Actor(), s.Clock.Now()
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if tk, err = tx.LockTicket(ctx, p.CompanyID, tk.ID); err != nil {
			return err
		}
		before := tk.AssigneeID
		if (before == nil && user == nil) || (before != nil && user != nil && *before == *user) {
			return nil
		}
		tk.AssigneeID, tk.UpdatedAt = user, now
		value := "none"
		if user != nil {
			value = strconv.FormatInt(int64(*user), 10)
		}
		if err := s.event(ctx, tx, tk, actor, "assigned", value, now); err != nil {
			return err
		}
		if err := tx.UpdateTicket(ctx, tk); err != nil {
			return err
		}
		rec := staffbot.AuditRecord{CompanyID: p.CompanyID, At: now, Actor: actor, Action: AuditAssign, ObjectType: ObjectTicket,
			ObjectID: strconv.FormatInt(tk.ID, 10), SubjectID: &tk.EmployeeID,
			Before: auditJSON(map[string]any{"assignee_id": before}), After: auditJSON(map[string]any{"assignee_id": user})}
		return s.auditor().Record(ctx, tx, rec)
	})
	if err != nil {
		return nil, err
	}
	s.changed(p.CompanyID, false)
	return tk, nil
}

// Operators returns the company's active users who may answer tickets.
func (s *Service) Operators(ctx context.Context, p *auth.Principal) ([]*store.User, error) {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return nil, err
	}
	users, err := s.Store.FindUsers(ctx, p.CompanyID)
	if err != nil {
		return nil, err
	}
	var out []*store.User
	for _, u := range users {
		if u.DisabledAt == nil && auth.Role(u.Role).Has(auth.PermTicketsWrite) {
			out = append(out, u)
		}
	}
	return out, nil
}

// Categories returns the company's categories, the defaults on first use.
func (s *Service) Categories(ctx context.Context, p *auth.Principal) ([]*store.TicketCategory, error) {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return nil, err
	}
	return s.categories(ctx, nil, p.CompanyID)
}

// Attachment returns a file of a ticket p may see, with its content (nil
// while it is not fetched yet). The read is recorded.
func (s *Service) Attachment(ctx context.Context, p *auth.Principal, id int64) (*store.TicketAttachment, []byte, error) {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return nil, nil, err
	}
	a, data, err := s.Store.FindTicketAttachment(ctx, p.CompanyID, id)
	if err != nil {
		return nil, nil, err
	}
	tk, err := s.find(ctx, p, a.TicketID)
	if err != nil {
		return nil, nil, err
	}
	rec := staffbot.AuditRecord{CompanyID: p.CompanyID, At: s.Clock.Now(), Actor: p.Actor(), Action: AuditFileRead,
		ObjectType: "ticket_attachment", ObjectID: strconv.FormatInt(a.ID, 10), SubjectID: &tk.EmployeeID}
	if err := s.auditor().Record(ctx, nil, rec); err != nil {
		return nil, nil, err
	}
	return a, data, nil
}

// SavedReplies returns the company's saved replies.
func (s *Service) SavedReplies(ctx context.Context, p *auth.Principal) ([]*store.SavedReply, error) {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return nil, err
	}
	return s.Store.FindSavedReplies(ctx, p.CompanyID)
}

// AddSavedReply stores a saved reply.
func (s *Service) AddSavedReply(ctx context.Context, p *auth.Principal, title, body string) (*store.SavedReply, error) {
	if err := need(p, auth.PermTicketsWrite); err != nil {
		return nil, err
	}
	title, body = strings.TrimSpace(title), strings.TrimSpace(body)
	if title == "" || body == "" || utf8.RuneCountInString(body) > MaxReply || utf8.RuneCountInString(title) > 200 {
		return nil, fmt.Errorf("saved reply: title and text are required: %w", staffbot.ErrInvalid)
	}
	r := &store.SavedReply{CompanyID: p.CompanyID, Title: title, Body: body, CreatedAt: s.Clock.Now()}
	if p.UserID != 0 {
		u := p.UserID
		r.CreatedBy = &u
	}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateSavedReply(ctx, r); err != nil {
			return err
		}
		return s.auditor().Record(ctx, tx, staffbot.AuditRecord{CompanyID: p.CompanyID, At: r.CreatedAt, Actor: p.Actor(),
			Action: "saved_reply.create", ObjectType: "saved_reply", ObjectID: strconv.FormatInt(r.ID, 10)})
	})
	return r, err
}

// DeleteSavedReply removes a saved reply of p's company.
func (s *Service) DeleteSavedReply(ctx context.Context, p *auth.Principal, id int64) error {
	if err := need(p, auth.PermTicketsWrite); err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteSavedReply(ctx, p.CompanyID, id); err != nil {
			return err
		}
		return s.auditor().Record(ctx, tx, staffbot.AuditRecord{CompanyID: p.CompanyID, At: s.Clock.Now(), Actor: p.Actor(),
			Action: "saved_reply.delete", ObjectType: "saved_reply", ObjectID: strconv.FormatInt(id, 10)})
	})
}

// IsClosed reports whether err is the refusal to reply on a closed
// ticket.
func IsClosed(err error) bool { return errors.Is(err, staffbot.ErrConflict) }

// Check reports whether p may see the ticket: nil, or an error wrapping
// ErrForbidden or ErrNotFound (another company's ticket included). It is
// not recorded; handlers call it to answer 404 before reading a body.
func (s *Service) Check(ctx context.Context, p *auth.Principal, id int64) error {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return err
	}
	_, err := s.find(ctx, p, id)
	return err
}
