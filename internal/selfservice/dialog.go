package selfservice

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// Button data of the catalogue. Every one starts with DataPrefix, which
// the bot routes here.
const (
	DataPrefix   = "v:"
	dataMenu     = "v:m"
	dataRequests = "v:l"
	dataStart    = "v:s:" // + service key
	dataAnswer   = "v:a:" // + request id : step : value
	dataCancel   = "v:x:" // + request id
)

// Command opens the catalogue.
const Command = "/services"

// chat is one event's conversation: who talks, where replies go, and the
// transaction everything happens in.
type chat struct {
	tx    *store.Tx
	co    *staffbot.Company
	emp   *staffbot.Employee
	acct  *staffbot.ChannelAccount
	lang  locale.Lang
	now   time.Time
	today staffbot.Date
}

func (c *chat) send(ctx context.Context, msg channel.Outgoing) error {
	return c.tx.EnqueueToAccount(ctx, c.acct, msg, c.now)
}

func (c *chat) say(ctx context.Context, key string, args ...any) error {
	return c.send(ctx, channel.Outgoing{Text: tr(c.lang, key, args...)})
}

// MenuButton is the main menu's entry to the catalogue.
func (s *Service) MenuButton(lang locale.Lang) channel.Button {
	return channel.Button{Text: tr(lang, "menu.button"), Data: dataMenu}
}

// Handle takes an event of a registered employee who has consented: the
// /services command, a press on a catalogue button, a typed answer to the
// question being asked, or a typed message that names a service. It
// reports whether the event was one of these; the bot passes on the rest.
// Everything happens in tx; no call leaves the process, so the
// transaction stays short. Requests are checked and fulfilled by Run once
// tx commits.
func (s *Service) Handle(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee, acct *staffbot.ChannelAccount, in channel.Incoming, lang locale.Lang) (bool, error) {
	s.init()
	now := s.Clock.Now()
	c := &chat{tx: tx, co: co, emp: emp, acct: acct, lang: lang, now: now,
		today: staffbot.DateOf(now.In(co.Location()))}

	switch {
	case strings.HasPrefix(in.Data, DataPrefix):
		return true, s.button(ctx, c, in.Data)
	case in.Kind != channel.KindText:
		return false, nil
	}
	text := strings.TrimSpace(in.Text)
	if word, _, _ := strings.Cut(text, " "); strings.HasPrefix(word, "/") {
		word, _, _ = strings.Cut(word, "@")
		switch strings.ToLower(word) {
		case Command:
			return true, s.showMenu(ctx, c)
		case cancelCommand:
			// Cancels the draft being filled in, if any; other modules may
			// have their own use for it otherwise.
			d, err := tx.FindDraftServiceRequest(ctx, co.ID, emp.ID)
			switch {
			case err == nil && now.Sub(d.UpdatedAt) < DraftTTL:
				return true, s.cancelDraft(ctx, c, d)
			case err != nil && !errors.Is(err, staffbot.ErrNotFound):
				return false, err
			}
		}
		return false, nil
	}

	// An answer to the question being asked comes first.
	d, err := tx.FindDraftServiceRequest(ctx, co.ID, emp.ID)
	switch {
	case err == nil && now.Sub(d.UpdatedAt) < DraftTTL:
		return s.typedAnswer(ctx, c, d, text)
	case err != nil && !errors.Is(err, staffbot.ErrNotFound):
		return false, err
	}

	// Matching against every service first spares the catalogue's queries
	// for the many messages that name none.
	if Match(text, func(string) bool { return true }) == "" {
		return false, nil
	}
	cat, conn, err := s.catalog(ctx, tx, co.ID)
	if err != nil {
		return false, err
	}
	key, text := match(text, func(key string) bool {
		svc := cat.Find(key)
		return svc != nil && svc.Offered(supports(conn, svc)) && svc.Audience.Allows(emp)
	})
	switch key {
	case "":
		return false, nil
	case keyMenu:
		return true, s.sendMenu(ctx, c, cat, conn)
	}
	if s.FAQ != nil && !NamesOnly(text, key) {
		svc := cat.Find(key)
		button := channel.Button{Text: svc.Title.In(lang), Data: dataStart + key}
		if handled, err := s.FAQ.AnswerIfSure(ctx, tx, co, emp, acct, in, button); err != nil || handled {
			return handled, err
		}
	}
	return true, s.start(ctx, c, cat, conn, key, text)
}

func (s *Service) button(ctx context.Context, c *chat, data string) error {
	switch {
	case data == dataMenu:
		return s.showMenu(ctx, c)
	case data == dataRequests:
		return s.listRequests(ctx, c)
	case strings.HasPrefix(data, dataStart):
		cat, conn, err := s.catalog(ctx, c.tx, c.co.ID)
		if err != nil {
			return err
		}
		return s.start(ctx, c, cat, conn, strings.TrimPrefix(data, dataStart), "")
	case strings.HasPrefix(data, dataCancel):
		id, err := strconv.ParseInt(strings.TrimPrefix(data, dataCancel), 10, 64)
		if err != nil {
			return c.say(ctx, "stale")
		}
		return s.cancel(ctx, c, id)
	case strings.HasPrefix(data, dataAnswer):
		parts := strings.SplitN(strings.TrimPrefix(data, dataAnswer), ":", 3)
		if len(parts) != 3 {
			return c.say(ctx, "stale")
		}
		id, err1 := strconv.ParseInt(parts[0], 10, 64)
		step, err2 := strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil {
			return c.say(ctx, "stale")
		}
		return s.buttonAnswer(ctx, c, id, step, parts[2])
	}
	return c.say(ctx, "stale")
}

func (s *Service) showMenu(ctx context.Context, c *chat) error {
	cat, conn, err := s.catalog(ctx, c.tx, c.co.ID)
	if err != nil {
		return err
	}
	return s.sendMenu(ctx, c, cat, conn)
}

// sendMenu shows the services the employee may order, one button each.
func (s *Service) sendMenu(ctx context.Context, c *chat, cat *Catalog, conn hris.Connector) error {
	var rows [][]channel.Button
	for _, svc := range cat.Services {
		if svc.Offered(supports(conn, svc)) && svc.Audience.Allows(c.emp) {
			rows = append(rows, []channel.Button{{Text: svc.Title.In(c.lang), Data: dataStart + svc.Key}})
		}
	}
	if len(rows) == 0 {
		return c.say(ctx, "menu.empty")
	}
	rows = append(rows, []channel.Button{{Text: tr(c.lang, "menu.requests"), Data: dataRequests}})
	return c.send(ctx, channel.Outgoing{Text: tr(c.lang, "menu.title"), Buttons: rows})
}

// listRequests shows the employee's latest requests and where they stand.
func (s *Service) listRequests(ctx context.Context, c *chat) error {
	reqs, err := s.Store.FindServiceRequests(ctx, c.co.ID, store.ServiceRequestFilter{EmployeeID: c.emp.ID, Limit: 10})
	if err != nil {
		return err
	}
	cat := NewCatalog(nil)
	loc := c.co.Location()
	var b strings.Builder
	n := 0
	for _, r := range reqs {
		if r.Status == store.ServiceRequestDraft || r.Outcome == outcomeAbandoned || n == 5 {
			continue
		}
		title := r.ServiceKey
		if svc := cat.Find(r.ServiceKey); svc != nil {
			title = svc.Title.In(c.lang)
		}
		fmt.Fprintf(&b, "\n№%d %s (%s) — %s", r.ID, title, staffbot.DateOf(r.CreatedAt.In(loc)).Russian(),
			statusLabel(c.lang, r))
		n++
	}
	if n == 0 {
		return c.say(ctx, "requests.none")
	}
	return c.send(ctx, channel.Outgoing{Text: tr(c.lang, "requests.title") + b.String()})
}

// start opens a request for a service: it asks the first question, or
// submits at once when there is nothing to ask. text, when the employee
// typed one, may already answer some questions ("листок за март").
func (s *Service) start(ctx context.Context, c *chat, cat *Catalog, conn hris.Connector, key, text string) error {
	svc := cat.Find(key)
	switch {
	case svc == nil || !svc.Offered(supports(conn, svc)):
		return c.say(ctx, "unavailable.service")
	case !svc.Audience.Allows(c.emp):
		return c.say(ctx, "not.allowed")
	}
	if _, err := c.tx.CloseServiceDrafts(ctx, c.co.ID, c.emp.ID, c.now); err != nil {
		return err
	}

	acctID := c.acct.ID
	r := &store.ServiceRequest{
		CompanyID: c.co.ID, EmployeeID: c.emp.ID, AccountID: &acctID, ServiceKey: svc.Key,
		Status: store.ServiceRequestDraft, Lang: string(c.lang), Answers: prefill(svc, text, c.today),
		CreatedAt: c.now, UpdatedAt: c.now,
	}
	r.Step = nextStep(svc, r.Answers, 0)
	if r.Step == len(svc.Questions) {
		return s.submit(ctx, c, svc, conn, r)
	}
	if err := c.tx.CreateServiceRequest(ctx, r); err != nil {
		return err
	}
	return s.ask(ctx, c, svc, r, "")
}

// prefill takes from the message that named a service the answers it
// already holds: a month or a year.
func prefill(svc *CatalogService, text string, today staffbot.Date) map[string]string {
	answers := map[string]string{}
	if text == "" {
		return answers
	}
	for _, q := range svc.Questions {
		switch q.Kind {
		case AskMonth:
			if m, ok := parseMonth(text, today, q.Max); ok {
				answers[q.Key] = m.String()
			}
		case AskYear:
			if y, ok := parseYear(text, today, q.Max); ok {
				answers[q.Key] = strconv.Itoa(y)
			}
		}
	}
	return answers
}

// nextStep is the first question from step on that is asked and not yet
// answered, or len(svc.Questions).
func nextStep(svc *CatalogService, answers map[string]string, step int) int {
	for ; step < len(svc.Questions); step++ {
		q := &svc.Questions[step]
		if _, done := answers[q.Key]; !done && q.asked(answers) {
			return step
		}
	}
	return step
}

// ask sends the question of r's step, after a note (why the last answer
// did not fit) when there is one.
func (s *Service) ask(ctx context.Context, c *chat, svc *CatalogService, r *store.ServiceRequest, note string) error {
	q := &svc.Questions[r.Step]
	text := q.Prompt.In(c.lang)
	if r.Step == nextStep(svc, map[string]string{}, 0) && note == "" {
		text = svc.Title.In(c.lang) + ".\n" + text
	}
	if note != "" {
		text = note + "\n\n" + text
	}

	data := func(value string) string { return fmt.Sprintf("%s%d:%d:%s", dataAnswer, r.ID, r.Step, value) }
	var rows [][]channel.Button
	switch q.Kind {
	case AskChoice:
		for _, ch := range q.Choices {
			rows = append(rows, []channel.Button{{Text: ch.Label.In(c.lang), Data: data(ch.Value)}})
		}
	case AskNumber:
		var row []channel.Button
		for _, ch := range q.Choices {
			row = append(row, channel.Button{Text: ch.Label.In(c.lang), Data: data(ch.Value)})
		}
		rows = append(rows, row)
	case AskMonth:
		var row []channel.Button
		for _, m := range recentMonths(c.today, 3) {
			row = append(row, channel.Button{Text: monthLabel(c.lang, m), Data: data(m.String())})
		}
		rows = append(rows, row)
	case AskYear:
		var row []channel.Button
		for y := c.today.Year - 1; y <= c.today.Year; y++ {
			row = append(row, channel.Button{Text: strconv.Itoa(y), Data: data(strconv.Itoa(y))})
		}
		rows = append(rows, row)
	}
	rows = append(rows, []channel.Button{{Text: tr(c.lang, "cancel"), Data: fmt.Sprintf("%s%d", dataCancel, r.ID)}})
	return c.send(ctx, channel.Outgoing{Text: text, Buttons: rows})
}

// parse reads an answer to q: a button's value, or typed text.
func parse(q *Question, raw string, button bool, today staffbot.Date) (string, bool) {
	switch q.Kind {
	case AskChoice:
		if button {
			for _, ch := range q.Choices {
				if ch.Value == raw {
					return raw, true
				}
			}
			return "", false
		}
		if v, ok := matchChoice(q, raw); ok {
			return v, true
		}
		if q.AllowText {
			return parseText(raw)
		}
	case AskMonth:
		if m, ok := parseMonth(raw, today, q.Max); ok {
			return m.String(), true
		}
	case AskYear:
		if y, ok := parseYear(raw, today, q.Max); ok {
			return strconv.Itoa(y), true
		}
	case AskNumber:
		if n, ok := parseNumber(raw, q.Min, q.Max); ok {
			return strconv.Itoa(n), true
		}
	case AskDate:
		if d, ok := parseDate(raw, today); ok {
			return d.String(), true
		}
	case AskText:
		return parseText(raw)
	}
	return "", false
}

// invalidNote says what a question expects.
func invalidNote(lang locale.Lang, q *Question) string {
	switch q.Kind {
	case AskMonth:
		return tr(lang, "invalid.month")
	case AskYear:
		return tr(lang, "invalid.year")
	case AskNumber:
		return tr(lang, "invalid.number", q.Min, q.Max)
	case AskDate:
		return tr(lang, "invalid.date")
	case AskText:
		return tr(lang, "invalid.text")
	}
	return tr(lang, "invalid.choice")
}

func (s *Service) buttonAnswer(ctx context.Context, c *chat, id int64, step int, value string) error {
	r, err := c.tx.FindServiceRequest(ctx, c.co.ID, id)
	if errors.Is(err, staffbot.ErrNotFound) {
		return c.say(ctx, "stale")
	}
	if err != nil {
		return err
	}
	if r.EmployeeID != c.emp.ID || r.Status != store.ServiceRequestDraft || r.Step != step ||
		c.now.Sub(r.UpdatedAt) >= DraftTTL {
		return c.say(ctx, "stale")
	}
	cat, conn, err := s.catalog(ctx, c.tx, c.co.ID)
	if err != nil {
		return err
	}
	svc := cat.Find(r.ServiceKey)
	if svc == nil || step >= len(svc.Questions) {
		return c.say(ctx, "stale")
	}
	v, ok := parse(&svc.Questions[step], value, true, c.today)
	if !ok {
		return s.ask(ctx, c, svc, r, invalidNote(c.lang, &svc.Questions[step]))
	}
	return s.advance(ctx, c, svc, conn, r, v)
}

// typedAnswer takes a typed message as the answer to the draft's
// question. "Отмена" and its like cancel the draft. A message that does
// not fit but names another service starts that one; one that plainly is
// no answer (a question, or a sentence) drops the draft with a note and is
// passed on; anything else is asked again, and after maxInvalid such
// messages the draft is dropped and the message passed on.
func (s *Service) typedAnswer(ctx context.Context, c *chat, r *store.ServiceRequest, text string) (bool, error) {
	if isCancelWord(text) {
		return true, s.cancelDraft(ctx, c, r)
	}
	cat, conn, err := s.catalog(ctx, c.tx, c.co.ID)
	if err != nil {
		return false, err
	}
	svc := cat.Find(r.ServiceKey)
	if svc == nil || r.Step >= len(svc.Questions) {
		return false, nil
	}
	q := &svc.Questions[r.Step]
	if v, ok := parse(q, text, false, c.today); ok {
		return true, s.advance(ctx, c, svc, conn, r, v)
	}

	key, read := match(text, func(key string) bool {
		other := cat.Find(key)
		return other != nil && other.Offered(supports(conn, other)) && other.Audience.Allows(c.emp)
	})
	switch {
	case key == keyMenu:
		return true, s.sendMenu(ctx, c, cat, conn)
	case key != "" && key != r.ServiceKey:
		return true, s.start(ctx, c, cat, conn, key, read)
	}

	if notAnAnswer(text) {
		s.closeDraft(r, outcomeAbandoned, c.now)
		if err := c.tx.UpdateServiceRequest(ctx, r); err != nil {
			return false, err
		}
		return false, c.say(ctx, "dropped", svc.Title.In(c.lang))
	}

	r.InvalidAnswers++
	r.UpdatedAt = c.now
	if r.InvalidAnswers >= maxInvalid {
		s.closeDraft(r, outcomeAbandoned, c.now)
		return false, c.tx.UpdateServiceRequest(ctx, r)
	}
	if err := c.tx.UpdateServiceRequest(ctx, r); err != nil {
		return false, err
	}
	return true, s.ask(ctx, c, svc, r, invalidNote(c.lang, q))
}

// advance records an answer and asks the next question, or submits.
func (s *Service) advance(ctx context.Context, c *chat, svc *CatalogService, conn hris.Connector, r *store.ServiceRequest, value string) error {
	r.Answers[svc.Questions[r.Step].Key] = value
	r.InvalidAnswers = 0
	r.UpdatedAt = c.now
	r.Step = nextStep(svc, r.Answers, r.Step+1)
	if r.Step == len(svc.Questions) {
		return s.submit(ctx, c, svc, conn, r)
	}
	if err := c.tx.UpdateServiceRequest(ctx, r); err != nil {
		return err
	}
	return s.ask(ctx, c, svc, r, "")
}

func (s *Service) cancel(ctx context.Context, c *chat, id int64) error {
	r, err := c.tx.FindServiceRequest(ctx, c.co.ID, id)
	if errors.Is(err, staffbot.ErrNotFound) {
		return c.say(ctx, "stale")
	}
	if err != nil {
		return err
	}
	if r.EmployeeID != c.emp.ID || r.Status != store.ServiceRequestDraft {
		return c.say(ctx, "stale")
	}
	return s.cancelDraft(ctx, c, r)
}

// cancelDraft closes the employee's draft r at their word.
func (s *Service) cancelDraft(ctx context.Context, c *chat, r *store.ServiceRequest) error {
	s.closeDraft(r, outcomeCancelled, c.now)
	if err := c.tx.UpdateServiceRequest(ctx, r); err != nil {
		return err
	}
	return c.say(ctx, "cancelled")
}

// cancelCommand cancels the draft being filled in.
const cancelCommand = "/cancel"

// cancelWords, typed alone, cancel the draft being filled in.
var cancelWords = map[string]bool{"отменить": true, "отмена": true, "отмени": true, "отменяю": true,
	"cancel": true, "stop": true, "стоп": true, cancelCommand: true}

// isCancelWord reports whether text is one of cancelWords, in any case
// and with any closing punctuation.
func isCancelWord(text string) bool {
	w := strings.TrimRight(strings.ToLower(strings.TrimSpace(text)), ".!)")
	return cancelWords[strings.TrimSpace(w)]
}

// notAnAnswer reports whether text, which did not parse as the answer,
// plainly is something else: a question, or a sentence of four or more
// words. Such a message goes on to the FAQ rather than being asked about.
func notAnAnswer(text string) bool {
	text = strings.TrimSpace(text)
	return strings.HasSuffix(text, "?") || len(strings.Fields(text)) >= 4
}

func (s *Service) closeDraft(r *store.ServiceRequest, outcome string, now time.Time) {
	r.Status, r.Outcome = store.ServiceRequestClosed, outcome
	r.Answers = nil
	r.UpdatedAt, r.ClosedAt = now, &now
}

// submit hands a request over: to Run, which asks the accounting system
// about the employee live and then fulfils it or passes it to HR; or,
// when the company has no connector, straight to HR.
func (s *Service) submit(ctx context.Context, c *chat, svc *CatalogService, conn hris.Connector, r *store.ServiceRequest) error {
	f := svc.Fulfilment(r.Answers, supports(conn, svc))
	if f == "" {
		s.closeDraft(r, outcomeUnavailable, c.now)
		if err := s.save(ctx, c.tx, r); err != nil {
			return err
		}
		return c.say(ctx, "unavailable.service")
	}
	r.Fulfilment = f
	r.Status = store.ServiceRequestSubmitted
	r.SubmittedAt, r.UpdatedAt = &c.now, c.now
	if err := s.save(ctx, c.tx, r); err != nil {
		return err
	}
	if conn == nil {
		// Nothing to ask the accounting system: straight to HR's queue.
		if err := s.queue(ctx, c.tx, c.co, r, svc, c.now); err != nil {
			return err
		}
		if err := c.tx.UpdateServiceRequest(ctx, r); err != nil {
			return err
		}
	}
	if err := s.record(ctx, c.tx, r, "service_request.submit", c.now); err != nil {
		return err
	}
	if r.Status == store.ServiceRequestSubmitted {
		// Run is woken once the transaction commits (Wake).
		s.lastSubmit.Store(time.Now().UnixNano())
	}

	title := svc.Title.In(c.lang)
	if f == store.FulfilAuto {
		return c.say(ctx, "submitted.auto", title)
	}
	if svc.DueDays > 0 {
		// The law's deadline, as HR's queue will count it.
		cal, err := s.Store.WorkingCalendar(ctx, c.tx, c.co)
		if err != nil {
			return err
		}
		due, _ := Deadline(cal, svc, c.now)
		if err := c.say(ctx, "submitted.hr", r.ID, title, svc.DueDays, due.In(c.co.Location()).Format("02.01.2006")); err != nil {
			return err
		}
	} else if err := c.say(ctx, "submitted.hr_nodue", r.ID, title); err != nil {
		return err
	}
	if svc.Key == KeyPersonalDataChange {
		return c.say(ctx, "personal.notice")
	}
	return nil
}

func (s *Service) save(ctx context.Context, tx *store.Tx, r *store.ServiceRequest) error {
	if r.ID == 0 {
		return tx.CreateServiceRequest(ctx, r)
	}
	return tx.UpdateServiceRequest(ctx, r)
}

// record writes the audit record of a step of a request: which service,
// who fulfils it, the outcome. Never an answer, never a result.
func (s *Service) record(ctx context.Context, tx *store.Tx, r *store.ServiceRequest, action string, now time.Time) error {
	subject := r.EmployeeID
	actor, ok := staffbot.ActorFrom(ctx)
	if !ok {
		actor = staffbot.Actor{Kind: staffbot.ActorEmployee, ID: strconv.FormatInt(int64(r.EmployeeID), 10)}
	}
	after := map[string]any{"service": r.ServiceKey, "fulfilment": r.Fulfilment, "status": r.Status}
	if r.Outcome != "" {
		after["outcome"] = r.Outcome
	}
	return audit.Record(ctx, tx, staffbot.AuditRecord{
		CompanyID: r.CompanyID, At: now, Actor: actor, Action: action,
		ObjectType: "service_request", ObjectID: strconv.FormatInt(r.ID, 10), SubjectID: &subject,
		After: audit.JSON(after),
	})
}
