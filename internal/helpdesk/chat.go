package helpdesk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// Button data of the helpdesk in the chat. Telegram allows 64 bytes.
const (
	dataPrefix   = "hd:"
	dataNew      = "hd:new"
	dataList     = "hd:list"
	dataCancel   = "hd:cancel"
	dataSkip     = "hd:skip"
	dataCategory = "hd:cat:"  // + category id
	dataReply    = "hd:rep:"  // + ticket id
	dataReopen   = "hd:re:"   // + ticket id
	dataRate     = "hd:rate:" // + ticket id + ":" + 1…5
)

// draftTTL is how long a started request (or an addition, or a comment)
// waits for the employee's message: after it, a message is no longer
// taken as part of it.
const draftTTL = time.Hour

// followUpWindow is how long a ticket waiting for the employee takes
// their plain messages as answers.
const followUpWindow = 14 * 24 * time.Hour

// MenuButtons are the helpdesk's rows of the bot's menu.
func (s *Service) MenuButtons(lang locale.Lang) [][]channel.Button {
	return [][]channel.Button{
		{{Text: t(lang, "menu.write"), Data: dataNew}},
		{{Text: t(lang, "menu.list"), Data: dataList}},
	}
}

// chatEvent is one incoming event with who it came from.
type chatEvent struct {
	co   *staffbot.Company
	emp  *staffbot.Employee
	acct *staffbot.ChannelAccount
	in   channel.Incoming
	lang locale.Lang
	now  time.Time
}

func (e *chatEvent) actor() staffbot.Actor {
	return staffbot.Actor{Kind: staffbot.ActorEmployee, ID: strconv.FormatInt(int64(e.emp.ID), 10)}
}

func (s *Service) say(ctx context.Context, tx *store.Tx, e *chatEvent, msg channel.Outgoing) error {
	return tx.EnqueueToAccount(ctx, e.acct, msg, e.now)
}

// Handle takes what is meant for the helpdesk before anything else sees
// it: its buttons, /tickets, and the messages of a request being written.
// It reports whether the event was one of those.
func (s *Service) Handle(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, in channel.Incoming) (bool, error) {
	e := &chatEvent{co: co, emp: emp, acct: acct, in: in, lang: locale.FromCode(in.LanguageCode), now: s.Clock.Now()}
	switch {
	case in.Kind == channel.KindButton && strings.HasPrefix(in.Data, dataPrefix):
		return true, s.button(ctx, tx, e)
	case in.Kind == channel.KindText && isCommand(in.Text, "/tickets"):
		return true, s.list(ctx, tx, e)
	case in.Kind == channel.KindButton, in.Kind == channel.KindText && strings.HasPrefix(strings.TrimSpace(in.Text), "/"):
		// Another button or command: the employee went elsewhere, so a
		// request being written is dropped rather than swallowing their
		// next message.
		return false, s.dropDraft(ctx, tx, co.ID, emp.ID)
	case in.Kind != channel.KindText && in.Kind != channel.KindFile:
		return false, nil
	}

	d, err := tx.FindTicketDraft(ctx, co.ID, emp.ID)
	if err == nil && e.now.Sub(d.UpdatedAt) > draftTTL {
		if err := tx.DeleteTicketDraft(ctx, co.ID, emp.ID); err != nil {
			return false, err
		}
		err = staffbot.ErrNotFound
	}
	if errors.Is(err, staffbot.ErrNotFound) {
		if in.Kind == channel.KindFile {
			// Files are never the FAQ's or a scenario's: they go to the
			// employee's open ticket, if any.
			return s.toLatest(ctx, tx, e, store.TicketNew, store.TicketOpen, store.TicketWaiting)
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch d.State {
	case store.DraftCompose:
		return true, s.compose(ctx, tx, e, d)
	case store.DraftReply:
		if d.TicketID == nil {
			return false, tx.DeleteTicketDraft(ctx, co.ID, emp.ID)
		}
		if err := tx.DeleteTicketDraft(ctx, co.ID, emp.ID); err != nil {
			return false, err
		}
		return true, s.addToTicket(ctx, tx, e, *d.TicketID)
	case store.DraftComment:
		if in.Kind != channel.KindText || d.TicketID == nil {
			return false, nil
		}
		if err := tx.DeleteTicketDraft(ctx, co.ID, emp.ID); err != nil {
			return false, err
		}
		return true, s.comment(ctx, tx, e, *d.TicketID)
	}
	return false, nil
}

// FollowUp takes what no scenario took before the FAQ sees it: a message
// while a ticket of the employee waits for their answer. It reports
// whether it took the event.
func (s *Service) FollowUp(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, in channel.Incoming) (bool, error) {
	text := strings.TrimSpace(in.Text)
	if in.Kind != channel.KindText || text == "" || strings.HasPrefix(text, "/") {
		return false, nil
	}
	e := &chatEvent{co: co, emp: emp, acct: acct, in: in, lang: locale.FromCode(in.LanguageCode), now: s.Clock.Now()}
	return s.toLatest(ctx, tx, e, store.TicketWaiting)
}

// toLatest adds the event to the employee's most recently changed ticket
// in one of the statuses, if it changed within followUpWindow.
func (s *Service) toLatest(ctx context.Context, tx *store.Tx, e *chatEvent, statuses ...store.TicketStatus) (bool, error) {
	tk, err := tx.FindLatestTicketOfEmployee(ctx, e.co.ID, e.emp.ID, statuses...)
	if errors.Is(err, staffbot.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if e.now.Sub(tk.UpdatedAt) > followUpWindow {
		return false, nil
	}
	return true, s.addToTicket(ctx, tx, e, tk.ID)
}

// OpenFromEscalation opens a ticket from a question the bot could not
// answer, in the caller's transaction, in the category named by slug or
// name (or one suggested from the text, or "other"). The employee is told
// the ticket's number.
func (s *Service) OpenFromEscalation(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	text, category string) (*store.Ticket, error) {
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("escalation without text: %w", staffbot.ErrInvalid)
	}
	cats, err := s.categories(ctx, tx, co.ID)
	if err != nil {
		return nil, err
	}
	cat := categoryBySlug(cats, category)
	if cat == nil {
		cat = Suggest(cats, text)
	}
	if cat == nil {
		cat = fallbackCategory(cats)
	}
	if cat == nil {
		return nil, fmt.Errorf("bug: company %d has no ticket category", co.ID)
	}
	actor := staffbot.Actor{Kind: staffbot.ActorEmployee, ID: strconv.FormatInt(int64(emp.ID), 10)}
	return s.open(ctx, tx, openRequest{co: co, emp: emp, cat: cat, text: strings.TrimSpace(text), source: "faq",
		actor: actor, now: s.Clock.Now()})
}

// dropDraft forgets a request being written or an addition, keeping a
// rating's comment, which the employee may still send.
func (s *Service) dropDraft(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID) error {
	d, err := tx.FindTicketDraft(ctx, companyID, employeeID)
	if errors.Is(err, staffbot.ErrNotFound) || (err == nil && d.State == store.DraftComment) {
		return nil
	}
	if err != nil {
		return err
	}
	return tx.DeleteTicketDraft(ctx, companyID, employeeID)
}

func isCommand(text, cmd string) bool {
	word, _, _ := strings.Cut(strings.TrimSpace(text), " ")
	word, _, _ = strings.Cut(word, "@")
	return strings.EqualFold(word, cmd)
}

// button handles a press on one of the helpdesk's buttons.
func (s *Service) button(ctx context.Context, tx *store.Tx, e *chatEvent) error {
	data := e.in.Data
	switch {
	case data == dataNew:
		d := &store.TicketDraft{CompanyID: e.co.ID, EmployeeID: e.emp.ID, State: store.DraftCompose, UpdatedAt: e.now}
		if err := tx.SaveTicketDraft(ctx, d); err != nil {
			return err
		}
		return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "compose.ask"),
			Buttons: [][]channel.Button{{{Text: t(e.lang, "compose.cancel"), Data: dataCancel}}}})
	case data == dataList:
		return s.list(ctx, tx, e)
	case data == dataCancel:
		if err := tx.DeleteTicketDraft(ctx, e.co.ID, e.emp.ID); err != nil {
			return err
		}
		return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "compose.cancelled")})
	case data == dataSkip:
		return tx.DeleteTicketDraft(ctx, e.co.ID, e.emp.ID)
	case strings.HasPrefix(data, dataCategory):
		id, _ := strconv.ParseInt(strings.TrimPrefix(data, dataCategory), 10, 64)
		return s.submit(ctx, tx, e, id)
	case strings.HasPrefix(data, dataReply):
		tk, ok, err := s.ownTicket(ctx, tx, e, strings.TrimPrefix(data, dataReply))
		if err != nil || !ok {
			return err
		}
		if tk.Status == store.TicketClosed {
			return s.say(ctx, tx, e, closedNotice(tk, e.lang))
		}
		d := &store.TicketDraft{CompanyID: e.co.ID, EmployeeID: e.emp.ID, State: store.DraftReply, TicketID: &tk.ID, UpdatedAt: e.now}
		if err := tx.SaveTicketDraft(ctx, d); err != nil {
			return err
		}
		return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "reply.prompt", tk.Number)})
	case strings.HasPrefix(data, dataReopen):
		tk, ok, err := s.ownTicket(ctx, tx, e, strings.TrimPrefix(data, dataReopen))
		if err != nil || !ok {
			return err
		}
		if tk.Status != store.TicketResolved {
			return nil
		}
		if err := s.employeeReopens(ctx, tx, e, tk.ID); err != nil {
			return err
		}
		d := &store.TicketDraft{CompanyID: e.co.ID, EmployeeID: e.emp.ID, State: store.DraftReply, TicketID: &tk.ID, UpdatedAt: e.now}
		if err := tx.SaveTicketDraft(ctx, d); err != nil {
			return err
		}
		return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "reply.prompt", tk.Number)})
	case strings.HasPrefix(data, dataRate):
		idPart, score, _ := strings.Cut(strings.TrimPrefix(data, dataRate), ":")
		n, err := strconv.Atoi(score)
		if err != nil || n < 1 || n > 5 {
			return nil
		}
		tk, ok, err := s.ownTicket(ctx, tx, e, idPart)
		if err != nil || !ok {
			return err
		}
		return s.rate(ctx, tx, e, tk.ID, n)
	}
	return nil
}

// ownTicket finds a ticket named in button data that belongs to the
// employee; a stale or foreign id is ignored.
func (s *Service) ownTicket(ctx context.Context, tx *store.Tx, e *chatEvent, idText string) (*store.Ticket, bool, error) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return nil, false, nil
	}
	tk, err := tx.FindTicket(ctx, e.co.ID, id)
	if errors.Is(err, staffbot.ErrNotFound) || (err == nil && tk.EmployeeID != e.emp.ID) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return tk, true, nil
}

func closedNotice(tk *store.Ticket, lang locale.Lang) channel.Outgoing {
	return channel.Outgoing{Text: t(lang, "closed.new", tk.Number),
		Buttons: [][]channel.Button{{{Text: t(lang, "menu.write"), Data: dataNew}}}}
}

// compose takes a message of a request being written: its text, more
// text, or a file; then asks for the category, suggesting one.
func (s *Service) compose(ctx context.Context, tx *store.Tx, e *chatEvent, d *store.TicketDraft) error {
	text := strings.TrimSpace(e.in.Text)
	note := ""
	if d.Text != "" && text != "" {
		note = t(e.lang, "compose.more") + "\n"
	}
	if text != "" {
		d.Text = strings.TrimSpace(d.Text + "\n" + text)
	}
	if e.in.Kind == channel.KindFile {
		d.Files = append(d.Files, store.DraftFile{Channel: e.in.Channel, Ref: e.in.FileID, Name: e.in.FileName})
		note = t(e.lang, "compose.file") + "\n"
	}
	d.UpdatedAt = e.now
	if err := tx.SaveTicketDraft(ctx, d); err != nil {
		return err
	}
	if d.Text == "" {
		return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "compose.need_text"),
			Buttons: [][]channel.Button{{{Text: t(e.lang, "compose.cancel"), Data: dataCancel}}}})
	}

	cats, err := s.categories(ctx, tx, e.co.ID)
	if err != nil {
		return err
	}
	suggested := Suggest(cats, d.Text)
	msg := channel.Outgoing{Text: note + t(e.lang, "compose.category")}
	if suggested != nil {
		msg.Text = note + t(e.lang, "compose.suggested", suggested.Name(string(e.lang)))
		msg.Buttons = append(msg.Buttons, []channel.Button{{
			Text: t(e.lang, "suggest.mark", suggested.Name(string(e.lang))), Data: dataCategory + strconv.FormatInt(suggested.ID, 10)}})
	}
	var row []channel.Button
	for _, c := range cats {
		if c.Archived || c == suggested {
			continue
		}
		row = append(row, channel.Button{Text: c.Name(string(e.lang)), Data: dataCategory + strconv.FormatInt(c.ID, 10)})
		if len(row) == 2 {
			msg.Buttons = append(msg.Buttons, row)
			row = nil
		}
	}
	if len(row) > 0 {
		msg.Buttons = append(msg.Buttons, row)
	}
	msg.Buttons = append(msg.Buttons, []channel.Button{{Text: t(e.lang, "compose.cancel"), Data: dataCancel}})
	return s.say(ctx, tx, e, msg)
}

// submit opens the ticket of the employee's draft in the category chosen.
func (s *Service) submit(ctx context.Context, tx *store.Tx, e *chatEvent, categoryID int64) error {
	d, err := tx.FindTicketDraft(ctx, e.co.ID, e.emp.ID)
	if errors.Is(err, staffbot.ErrNotFound) || (err == nil && (d.State != store.DraftCompose || d.Text == "")) {
		return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "compose.stale"),
			Buttons: [][]channel.Button{{{Text: t(e.lang, "menu.write"), Data: dataNew}}}})
	}
	if err != nil {
		return err
	}
	cats, err := s.categories(ctx, tx, e.co.ID)
	if err != nil {
		return err
	}
	cat := categoryByID(cats, categoryID)
	if cat == nil || cat.Archived {
		cat = fallbackCategory(cats)
	}
	if err := tx.DeleteTicketDraft(ctx, e.co.ID, e.emp.ID); err != nil {
		return err
	}
	_, err = s.open(ctx, tx, openRequest{co: e.co, emp: e.emp, acct: e.acct, cat: cat, text: d.Text, files: d.Files,
		source: "chat", actor: e.actor(), now: e.now})
	return err
}

// addToTicket adds the employee's message (and file) to a ticket: a
// waiting or resolved ticket opens again. A closed ticket takes nothing;
// the employee is offered a new request.
func (s *Service) addToTicket(ctx context.Context, tx *store.Tx, e *chatEvent, id int64) error {
	tk, err := tx.LockTicket(ctx, e.co.ID, id)
	if err != nil {
		return err
	}
	if tk.EmployeeID != e.emp.ID {
		return fmt.Errorf("bug: ticket %d is not employee %d's", id, e.emp.ID)
	}
	if tk.Status == store.TicketClosed {
		return s.say(ctx, tx, e, closedNotice(tk, e.lang))
	}
	text := strings.TrimSpace(e.in.Text)
	if text == "" && e.in.Kind == channel.KindFile {
		text = "📎 " + e.in.FileName
	}
	msg := &store.TicketMessage{CompanyID: e.co.ID, TicketID: tk.ID, Kind: store.MessageEmployee,
		AuthorKind: string(staffbot.ActorEmployee), AuthorID: strconv.FormatInt(int64(e.emp.ID), 10), Body: text, CreatedAt: e.now}
	if _, err := tx.AppendTicketMessage(ctx, msg); err != nil {
		return err
	}
	tk.LastSeq, tk.UpdatedAt = msg.Seq, e.now
	if e.in.Kind == channel.KindFile {
		files := []store.DraftFile{{Channel: e.in.Channel, Ref: e.in.FileID, Name: e.in.FileName}}
		if err := s.attach(ctx, tx, tk, msg.Seq, files, e.now); err != nil {
			return err
		}
	}
	from := tk.Status
	if from == store.TicketWaiting || from == store.TicketResolved {
		cal, err := s.Store.WorkingCalendar(ctx, tx, e.co)
		if err != nil {
			return err
		}
		if _, err := s.transition(ctx, tx, cal, tk, store.TicketOpen, e.actor(), e.now); err != nil {
			return err
		}
	}
	if err := tx.UpdateTicket(ctx, tk); err != nil {
		return err
	}
	rec := staffbot.AuditRecord{CompanyID: e.co.ID, At: e.now, Actor: e.actor(), Action: AuditMessage, ObjectType: ObjectTicket,
		ObjectID: strconv.FormatInt(tk.ID, 10), SubjectID: &e.emp.ID,
		After: auditJSON(map[string]any{"seq": msg.Seq, "status": tk.Status, "from": from})}
	if err := s.auditor().Record(ctx, tx, rec); err != nil {
		return err
	}
	s.changed(e.co.ID, true)
	return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "added", tk.Number)})
}

// employeeReopens brings a resolved ticket back to open at the
// employee's word.
func (s *Service) employeeReopens(ctx context.Context, tx *store.Tx, e *chatEvent, id int64) error {
	tk, err := tx.LockTicket(ctx, e.co.ID, id)
	if err != nil {
		return err
	}
	cal, err := s.Store.WorkingCalendar(ctx, tx, e.co)
	if err != nil {
		return err
	}
	from := tk.Status
	if changed, err := s.transition(ctx, tx, cal, tk, store.TicketOpen, e.actor(), e.now); err != nil || !changed {
		return err
	}
	if err := tx.UpdateTicket(ctx, tk); err != nil {
		return err
	}
	s.changed(e.co.ID, true)
	return s.auditor().Record(ctx, tx, staffbot.AuditRecord{CompanyID: e.co.ID, At: e.now, Actor: e.actor(), Action: AuditStatus,
		ObjectType: ObjectTicket, ObjectID: strconv.FormatInt(tk.ID, 10), SubjectID: &e.emp.ID,
		Before: auditJSON(map[string]any{"status": from}), After: auditJSON(map[string]any{"status": tk.Status})})
}

// rate stores the employee's rating of a resolved or closed ticket, once,
// and offers to add a comment.
func (s *Service) rate(ctx context.Context, tx *store.Tx, e *chatEvent, id int64, score int) error {
	tk, err := tx.LockTicket(ctx, e.co.ID, id)
	if err != nil {
		return err
	}
	switch {
	case tk.Rating != nil:
		return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "rate.already", tk.Number)})
	case tk.Status != store.TicketResolved && tk.Status != store.TicketClosed:
		return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "rate.too_soon")})
	}
	tk.Rating, tk.RatedAt = &score, &e.now
	if err := s.event(ctx, tx, tk, e.actor(), "rated", strconv.Itoa(score), e.now); err != nil {
		return err
	}
	if err := tx.UpdateTicket(ctx, tk); err != nil {
		return err
	}
	rec := staffbot.AuditRecord{CompanyID: e.co.ID, At: e.now, Actor: e.actor(), Action: AuditRate, ObjectType: ObjectTicket,
		ObjectID: strconv.FormatInt(tk.ID, 10), SubjectID: &e.emp.ID, After: auditJSON(map[string]any{"rating": score})}
	if err := s.auditor().Record(ctx, tx, rec); err != nil {
		return err
	}
	d := &store.TicketDraft{CompanyID: e.co.ID, EmployeeID: e.emp.ID, State: store.DraftComment, TicketID: &tk.ID, UpdatedAt: e.now}
	if err := tx.SaveTicketDraft(ctx, d); err != nil {
		return err
	}
	s.changed(e.co.ID, true)
	return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "rate.thanks"),
		Buttons: [][]channel.Button{{{Text: t(e.lang, "rate.skip"), Data: dataSkip}}}})
}

// comment stores the comment on a rating.
func (s *Service) comment(ctx context.Context, tx *store.Tx, e *chatEvent, id int64) error {
	tk, err := tx.LockTicket(ctx, e.co.ID, id)
	if err != nil {
		return err
	}
	if tk.EmployeeID != e.emp.ID || tk.Rating == nil {
		return nil
	}
	tk.RatingComment = strings.TrimSpace(e.in.Text)
	if err := s.event(ctx, tx, tk, e.actor(), "rating_comment", "", e.now); err != nil {
		return err
	}
	tk.UpdatedAt = e.now
	if err := tx.UpdateTicket(ctx, tk); err != nil {
		return err
	}
	s.changed(e.co.ID, true)
	return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "rate.done")})
}

// list answers /tickets: the employee's newest requests and their status.
func (s *Service) list(ctx context.Context, tx *store.Tx, e *chatEvent) error {
	list, err := tx.FindTicketsOfEmployee(ctx, e.co.ID, e.emp.ID, 10)
	if err != nil {
		return err
	}
	write := [][]channel.Button{{{Text: t(e.lang, "menu.write"), Data: dataNew}}}
	if len(list) == 0 {
		return s.say(ctx, tx, e, channel.Outgoing{Text: t(e.lang, "list.none"), Buttons: write})
	}
	cats, err := s.categories(ctx, tx, e.co.ID)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(t(e.lang, "list.head"))
	active := false
	for _, tk := range list {
		name := ""
		if c := categoryByID(cats, tk.CategoryID); c != nil {
			name = c.Name(string(e.lang))
		}
		b.WriteString("\n")
		b.WriteString(t(e.lang, "list.line", tk.Number, name, t(e.lang, "st."+string(tk.Status)), tk.Subject))
		if tk.Rating != nil {
			b.WriteString(t(e.lang, "list.rated", *tk.Rating))
		}
		active = active || tk.Status.Active()
	}
	if active {
		b.WriteString(t(e.lang, "list.active"))
	}
	return s.say(ctx, tx, e, channel.Outgoing{Text: b.String(), Buttons: write})
}
