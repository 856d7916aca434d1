package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/api"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// fastArgon keeps the test users' password hashing cheap.
var fastArgon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}

// hdSay delivers an update from chat and returns the first message the
// bot sends after it.
func (h *harness) hdSay(chat int64, update []byte) telegramtest.Message {
	h.t.Helper()
	n := len(h.drain(chat))
	h.push(update)
	return h.waitSent(chat, n+1)[n]
}

// hdOperator is an HR operator with a cabinet account and an API token.
type hdOperator struct {
	t     *testing.T
	base  string
	token string
	user  *store.User
}

func (h *harness) hdOperator(email string, role auth.Role, employee *staffbot.Employee) *hdOperator {
	h.t.Helper()
	svc := auth.New(h.store(), h.clock, auth.Options{Logger: testLogger(), Argon2: fastArgon})
	nu := auth.NewUser{Email: email, Role: role, Password: "operator password 1"}
	if employee != nil {
		nu.EmployeeID = &employee.ID
	}
	u, _, err := svc.CreateUser(h.t.Context(), nil, h.co.ID, nu)
	if err != nil {
		h.t.Fatalf("CreateUser: %v", err)
	}
	token, _, err := svc.CreateToken(h.t.Context(), nil, h.co.ID, auth.NewToken{Name: email, Role: role})
	if err != nil {
		h.t.Fatalf("CreateToken: %v", err)
	}
	return &hdOperator{t: h.t, base: "http://" + h.ln.Addr().String(), token: token, user: u}
}

func (o *hdOperator) do(method, path string, body any, out any, header ...string) int {
	o.t.Helper()
	status, raw := o.raw(method, path, body, header...)
	if out != nil && status < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			o.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return status
}

// raw calls the API; it may run on any goroutine.
func (o *hdOperator) raw(method, path string, body any, header ...string) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, o.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+o.token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (o *hdOperator) ticket(id int64) api.TicketDetail {
	o.t.Helper()
	var d api.TicketDetail
	if st := o.do("GET", "/api/v1/tickets/"+strconv.FormatInt(id, 10), nil, &d); st != http.StatusOK {
		o.t.Fatalf("GET ticket %d = %d", id, st)
	}
	return d
}

// hdOpenTicket walks an employee through "Написать в HR": the menu entry,
// the text, the category the bot suggests. It returns the bot's
// confirmation.
func (h *harness) hdOpenTicket(chat int64, text, wantCategory string) telegramtest.Message {
	h.t.Helper()
	menu := h.hdSay(chat, h.tg.TextUpdate(chat, "/menu"))
	ask := h.hdSay(chat, h.tg.CallbackUpdate(chat, buttonData(h.t, menu, "Написать в HR")))
	if !strings.Contains(ask.Text, "Опишите вопрос") {
		h.t.Fatalf("after «Написать в HR»: %q", ask.Text)
	}
	choose := h.hdSay(chat, h.tg.TextUpdate(chat, text))
	if !strings.Contains(choose.Text, "«"+wantCategory+"»") {
		h.t.Fatalf("the bot suggests %q, want «%s»", choose.Text, wantCategory)
	}
	return h.hdSay(chat, h.tg.CallbackUpdate(chat, buttonData(h.t, choose, "✓ "+wantCategory)))
}

// TestHelpdesk_TelegramWalk is the helpdesk's whole path through the fake
// Telegram: an employee opens a ticket from the menu, an operator replies
// through the REST API, the employee gets the reply in Telegram and
// answers, sends a file, the operator resolves the ticket, and the
// employee's rating and comment are stored. Internal notes never reach the
// employee, and every step is in the audit log.
func TestHelpdesk_TelegramWalk(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			// Wednesday 18 February 2026, 10:00 in Moscow.
			h := newHarness(t, op, time.Date(2026, 2, 18, 10, 0, 0, 0, moscow))
			emp := h.mustEmployee("00101", "Смирнова Анна Петровна", staffbot.Date{Year: 2024, Month: 9, Day: 2}, nil, nil)
			const chat = 4101
			h.caseRegister(chat, emp)
			hr := h.hdOperator("operator@acme.ru", auth.RoleHROperator, nil)

			created := h.hdOpenTicket(chat, "Когда придут отпускные? Ухожу в отпуск с 10 марта", "Отпуск")
			for _, want := range []string{"№1", "Отпуск", "18.02.2026 14:00", "/tickets"} {
				if !strings.Contains(created.Text, want) {
					t.Errorf("confirmation %q lacks %q", created.Text, want)
				}
			}

			var list api.TicketList
			if st := hr.do("GET", "/api/v1/tickets?status=new", nil, &list); st != http.StatusOK || len(list.Data) != 1 {
				t.Fatalf("new tickets = %d %+v", st, list)
			}
			tk := list.Data[0]
			if tk.Category != "leave" || tk.AssigneeID == nil || *tk.AssigneeID != int64(hr.user.ID) || tk.Channel != "telegram" {
				t.Errorf("ticket = %+v; want leave, assigned round-robin to the only operator, from telegram", tk)
			}
			id := strconv.FormatInt(tk.ID, 10)

			// The operator answers through the API; the employee reads it
			// in Telegram, under a reply button.
			n := len(h.drain(chat))
			var reply api.TicketMessage
			if st := hr.do("POST", "/api/v1/tickets/"+id+"/replies", map[string]any{"text": "Отпускные придут 5 марта. Заявление уже подписали?"}, &reply); st != http.StatusCreated {
				t.Fatalf("reply = %d", st)
			}
			got := h.waitSent(chat, n+1)[n]
			if !strings.Contains(got.Text, "Отпускные придут 5 марта") || !strings.Contains(got.Text, "№1") {
				t.Errorf("employee got %q, want the reply with the ticket's number", got.Text)
			}
			buttonData(t, got, "Ответить")

			// A note stays inside HR.
			if st := hr.do("POST", "/api/v1/tickets/"+id+"/replies", map[string]any{"text": "Проверить в 1С расчёт", "internal": true}, nil); st != http.StatusCreated {
				t.Fatalf("note = %d", st)
			}

			// The employee answers with a plain message, then sends a
			// scan: both join the ticket, which is open again.
			ack := h.hdSay(chat, h.tg.TextUpdate(chat, "Да, подписала вчера"))
			if !strings.Contains(ack.Text, "Добавлено к обращению №1") {
				t.Errorf("after the answer: %q", ack.Text)
			}
			if !strings.Contains(h.hdSay(chat, h.tg.DocumentUpdate(chat, "заявление.pdf")).Text, "№1") {
				t.Error("the file was not added to the ticket")
			}
			d := hr.ticket(tk.ID)
			if d.Status != "open" || d.FirstResponseAt == nil {
				t.Errorf("after the employee's answer: status %s, first response %v; want open and set", d.Status, d.FirstResponseAt)
			}
			var texts []string
			for i, m := range d.Messages {
				if m.Seq != int64(i+1) {
					t.Errorf("message %d has seq %d", i, m.Seq)
				}
				if m.Kind != "event" {
					texts = append(texts, m.Kind+":"+m.Text)
				}
			}
			want := []string{"employee:Когда придут отпускные? Ухожу в отпуск с 10 марта", "reply:Отпускные придут 5 марта. Заявление уже подписали?",
				"note:Проверить в 1С расчёт", "employee:Да, подписала вчера", "employee:📎 заявление.pdf"}
			if !slices.Equal(texts, want) {
				t.Errorf("conversation = %q, want %q", texts, want)
			}
			if last := d.Messages[len(d.Messages)-1]; len(last.Attachments) != 1 || last.Attachments[0].Name != "заявление.pdf" {
				t.Errorf("the file message has attachments %+v", last.Attachments)
			}

			// Resolved: the employee is asked to rate, rates 5 and comments.
			n = len(h.drain(chat))
			if st := hr.do("POST", "/api/v1/tickets/"+id+"/status", map[string]any{"status": "resolved"}, nil); st != http.StatusOK {
				t.Fatalf("resolve = %d", st)
			}
			ask := h.waitSent(chat, n+1)[n]
			if !strings.Contains(ask.Text, "решено") {
				t.Errorf("on resolution the employee got %q", ask.Text)
			}
			thanks := h.hdSay(chat, h.tg.CallbackUpdate(chat, buttonData(t, ask, "5")))
			if !strings.Contains(thanks.Text, "Спасибо за оценку") {
				t.Errorf("after rating: %q", thanks.Text)
			}
			if done := h.hdSay(chat, h.tg.TextUpdate(chat, "Быстро и понятно")); !strings.Contains(done.Text, "Спасибо за отзыв") {
				t.Errorf("after the comment: %q", done.Text)
			}
			d = hr.ticket(tk.ID)
			if d.Status != "resolved" || d.Rating == nil || *d.Rating != 5 || d.RatingComment != "Быстро и понятно" {
				t.Errorf("after rating: status %s, rating %v %q", d.Status, d.Rating, d.RatingComment)
			}

			// The employee's list, and nothing internal ever reached them.
			mine := h.hdSay(chat, h.tg.TextUpdate(chat, "/tickets"))
			for _, want := range []string{"№1", "Отпуск", "решено", "оценка 5"} {
				if !strings.Contains(mine.Text, want) {
					t.Errorf("/tickets = %q lacks %q", mine.Text, want)
				}
			}
			if all := joinTexts(h.drain(chat)); strings.Contains(all, "Проверить в 1С") {
				t.Error("the internal note reached the employee")
			}

			for _, action := range []string{helpdesk.AuditCreate, helpdesk.AuditReply, helpdesk.AuditNote, helpdesk.AuditMessage,
				helpdesk.AuditStatus, helpdesk.AuditRate, helpdesk.AuditRead, helpdesk.AuditList} {
				recs, err := h.store().FindAudit(t.Context(), h.co.ID, store.AuditFilter{Action: action})
				if err != nil || len(recs) == 0 {
					t.Errorf("audit %s: %d records, %v", action, len(recs), err)
				}
			}
			files, err := h.store().FindTicketAttachments(t.Context(), h.co.ID, tk.ID)
			if err != nil || len(files) != 1 || files[0].Name != "заявление.pdf" || files[0].FileRef == "" {
				t.Errorf("attachments = %+v, %v; want the file's reference kept for fetching", files, err)
			}
		})
	}
}

// TestHelpdesk_SLAOverWeekendAndHoliday opens a ticket on Friday 20
// February 2026 at 16:00, before a weekend and Defender of the Fatherland
// Day (Monday the 23rd). Its first response (4 working hours) is due on
// Tuesday at 11:00, not on Monday, and its resolution (3 working days,
// the Friday counting) on Wednesday at 18:00. The lead hears of each
// breach in Telegram exactly once.
func TestHelpdesk_SLAOverWeekendAndHoliday(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, op, time.Date(2026, 2, 20, 16, 0, 0, 0, moscow))
			emp := h.mustEmployee("00201", "Орлов Игорь Сергеевич", staffbot.Date{Year: 2023, Month: 4, Day: 3}, nil, nil)
			lead := h.mustEmployee("00202", "Зайцева Марина Олеговна", staffbot.Date{Year: 2019, Month: 1, Day: 14}, nil, nil)
			const chat, leadChat = 4201, 4202
			h.caseRegister(chat, emp)
			h.caseRegister(leadChat, lead)
			h.hdOperator("lead@acme.ru", auth.RoleHRManager, lead)

			h.hdOpenTicket(chat, "Нужна справка с места работы для банка", "Справки")
			list, err := h.store().FindTickets(t.Context(), h.co.ID, store.TicketFilter{})
			if err != nil || len(list) != 1 {
				t.Fatalf("tickets = %d, %v", len(list), err)
			}
			tk := list[0]
			firstDue := time.Date(2026, 2, 24, 11, 0, 0, 0, moscow)
			resDue := time.Date(2026, 2, 25, 18, 0, 0, 0, moscow)
			if tk.FirstResponseDueAt == nil || !tk.FirstResponseDueAt.Equal(firstDue) {
				t.Errorf("first response due %v, want %v (Monday 23 February is a holiday)", tk.FirstResponseDueAt, firstDue)
			}
			if tk.ResolutionDueAt == nil || !tk.ResolutionDueAt.Equal(resDue) {
				t.Errorf("resolution due %v, want %v", tk.ResolutionDueAt, resDue)
			}
			// The lead's chat gets other news too (the weekly summary);
			// only the escalation notices count.
			notices := func() []string {
				var out []string
				for _, m := range h.drain(leadChat) {
					if strings.HasPrefix(m.Text, "⚠️") {
						out = append(out, m.Text)
					}
				}
				return out
			}
			if n := notices(); len(n) != 0 {
				t.Fatalf("the lead has notices before the ticket is late: %q", n)
			}

			step := func(at time.Time) *store.Ticket {
				t.Helper()
				h.clock.Set(at)
				if _, err := h.app.RunHelpdesk(t.Context()); err != nil {
					t.Fatalf("RunHelpdesk: %v", err)
				}
				got, err := h.store().FindTicket(t.Context(), h.co.ID, tk.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}

			// A calendar that knew only weekends would escalate on Monday
			// at 11:00.
			for _, at := range []time.Time{
				time.Date(2026, 2, 23, 11, 0, 0, 0, moscow),
				time.Date(2026, 2, 23, 17, 59, 0, 0, moscow),
				firstDue.Add(-time.Minute),
			} {
				if got := step(at); got.Escalated() {
					t.Fatalf("escalated at %s, before its time", at)
				}
			}
			if n := notices(); len(n) != 0 {
				t.Errorf("the lead got %q before any breach", n)
			}

			got := step(firstDue)
			if got.FirstResponseBreachedAt == nil || got.ResolutionBreachedAt != nil {
				t.Fatalf("at %s: first response breached %v, resolution %v", firstDue, got.FirstResponseBreachedAt, got.ResolutionBreachedAt)
			}
			waitFor(t, func() bool { return len(notices()) == 1 }, "the lead's first notice")
			notice := notices()[0]
			for _, want := range []string{"Просрочен первый ответ", "№1", "Справки", "24.02.2026 11:00", "/hr/tickets/"} {
				if !strings.Contains(notice, want) {
					t.Errorf("lead's notice %q lacks %q", notice, want)
				}
			}
			step(firstDue.Add(time.Hour))
			if n := notices(); len(n) != 1 {
				t.Errorf("the lead has %d notices, want 1: %q", len(n), n)
			}

			if got := step(resDue.Add(-time.Minute)); got.ResolutionBreachedAt != nil {
				t.Error("resolution escalated a minute early")
			}
			if got := step(resDue); got.ResolutionBreachedAt == nil {
				t.Error("resolution not escalated when due")
			}
			waitFor(t, func() bool { return len(notices()) == 2 }, "the lead's second notice")
			if n := notices(); !strings.Contains(n[1], "Просрочено решение") {
				t.Errorf("second notice = %q", n[1])
			}
			recs, err := h.store().FindAudit(t.Context(), h.co.ID, store.AuditFilter{Action: helpdesk.AuditEscalate})
			if err != nil || len(recs) != 2 {
				t.Errorf("escalation records = %d, %v; want 2", len(recs), err)
			}
		})
	}
}

// TestHelpdesk_ConcurrentReplies has two operators answer one ticket at
// once through two server processes on the same database. Every reply is
// stored once, numbered without gaps, each operator's in the order they
// were sent, and the employee receives them in Telegram in that order.
func TestHelpdesk_ConcurrentReplies(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, op, time.Date(2026, 3, 3, 10, 0, 0, 0, moscow))
			emp := h.mustEmployee("00301", "Ким Виктор Алексеевич", staffbot.Date{Year: 2022, Month: 2, Day: 1}, nil, nil)
			const chat = 4301
			h.caseRegister(chat, emp)
			ops := []*hdOperator{h.hdOperator("a@acme.ru", auth.RoleHROperator, nil), h.hdOperator("b@acme.ru", auth.RoleHRManager, nil)}
			h.hdOpenTicket(chat, "Не работает пропуск в офис", "Доступы и оборудование")
			list, _ := h.store().FindTickets(t.Context(), h.co.ID, store.TicketFilter{})
			id := strconv.FormatInt(list[0].ID, 10)
			base := len(h.drain(chat))

			// The second process: another App on the same database, serving
			// the API but running nothing in the background.
			cfg := h.cfg
			cfg.BaseURL = "http://" + h.ln.Addr().String()
			second, err := app.Open(context.Background(), cfg, app.Options{Clock: h.clock, Logger: testLogger()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { second.Close() })
			srv := httptest.NewServer(second.Handler())
			t.Cleanup(srv.Close)
			ops[1].base = srv.URL

			const each = 10
			var wg sync.WaitGroup
			errs := make(chan string, 2*each)
			for w, o := range ops {
				wg.Go(func() {
					for i := range each {
						body := map[string]any{"text": fmt.Sprintf("оператор %d, ответ %d", w, i), "status": "open"}
						key := fmt.Sprintf("op%d-%d", w, i)
						status, raw := o.raw("POST", "/api/v1/tickets/"+id+"/replies", body, "Idempotency-Key", key)
						if status != http.StatusCreated {
							errs <- fmt.Sprintf("reply %s = %d %s", key, status, raw)
						}
						if i%3 == 0 { // a client retrying after a lost answer
							if status, raw := o.raw("POST", "/api/v1/tickets/"+id+"/replies", body, "Idempotency-Key", key); status != http.StatusCreated {
								errs <- fmt.Sprintf("retry %s = %d %s", key, status, raw)
							}
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
			}

			d := ops[0].ticket(list[0].ID)
			var replies []string
			for i, m := range d.Messages {
				if m.Seq != int64(i+1) {
					t.Fatalf("message %d has seq %d", i, m.Seq)
				}
				if m.Kind == "reply" {
					replies = append(replies, m.Text)
				}
			}
			if len(replies) != 2*each {
				t.Fatalf("replies stored = %d, want %d", len(replies), 2*each)
			}
			next := []int{0, 0}
			for _, r := range replies {
				var w, i int
				fmt.Sscanf(r, "оператор %d, ответ %d", &w, &i)
				if i != next[w] {
					t.Errorf("operator %d's reply %d stored where %d was due", w, i, next[w])
				}
				next[w] = i + 1
			}

			// The dispatcher of the first process delivers them all, in
			// the order of the conversation.
			h.app.Dispatcher.Wake()
			msgs := h.settle(chat, base+2*each)
			for i, m := range msgs[base:] {
				if !strings.Contains(m.Text, replies[i]) {
					t.Errorf("Telegram message %d = %q, want %q", i, m.Text, replies[i])
				}
			}
		})
	}
}

// TestHelpdesk_FAQRequestBecomesTicket: a question the FAQ passed to HR
// (an hr_requests row) becomes a ticket once, and the employee learns its
// number.
func TestHelpdesk_FAQRequestBecomesTicket(t *testing.T) {
	h := newHarness(t, storetest.Openers()[0], time.Date(2026, 3, 4, 12, 0, 0, 0, moscow))
	emp := h.mustEmployee("00401", "Белова Ольга Ивановна", staffbot.Date{Year: 2021, Month: 6, Day: 7}, nil, nil)
	const chat = 4401
	base := h.caseRegister(chat, emp)
	req := &store.HRRequest{CompanyID: h.co.ID, EmployeeID: emp.ID, Text: "Как перенести отпуск на июль?", CreatedAt: h.clock.Now()}
	if err := h.store().InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateHRRequest(t.Context(), req) }); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := h.app.RunHelpdesk(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	list, err := h.store().FindTickets(t.Context(), h.co.ID, store.TicketFilter{})
	if err != nil || len(list) != 1 || list[0].Source != "faq" || list[0].HRRequestID == nil || *list[0].HRRequestID != req.ID {
		t.Fatalf("tickets = %+v, %v; want one from the request", list, err)
	}
	msg := h.waitSent(chat, base+1)[base]
	if !strings.Contains(msg.Text, "обращение №1") || !strings.Contains(msg.Text, "Отпуск") {
		t.Errorf("employee told %q", msg.Text)
	}
	open, _ := h.store().FindHRRequests(t.Context(), h.co.ID, store.HRRequestOpen)
	if len(open) != 0 {
		t.Errorf("%d requests still open", len(open))
	}
}

// isoHelpdeskObjects gives an isolation-test tenant a ticket with a
// stored file, a saved reply and its categories, for the console's and
// the API's object routes.
func isoHelpdeskObjects(t *testing.T, a *app.App, tn *isoTenant, emp *staffbot.Employee) {
	t.Helper()
	ctx := t.Context()
	text := "Секретный вопрос " + tn.co.Slug
	var tk *store.Ticket
	err := a.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if tk, err = a.Helpdesk.OpenFromEscalation(ctx, tx, tn.co, emp, text, "hr"); err != nil {
			return err
		}
		f := &store.TicketAttachment{CompanyID: tn.co.ID, TicketID: tk.ID, MessageSeq: 1, Channel: staffbot.ChannelTelegram,
			FileRef: "file-" + tn.co.Slug, Name: "скан.pdf", CreatedAt: time.Now()}
		if err := tx.CreateTicketAttachment(ctx, f); err != nil {
			return err
		}
		if err := tx.StoreTicketAttachment(ctx, f, []byte("%PDF-1.4 "+text), time.Now()); err != nil {
			return err
		}
		tn.objects["ticket_attachment"] = strconv.FormatInt(f.ID, 10)
		r := &store.SavedReply{CompanyID: tn.co.ID, Title: "Шаблон " + tn.co.Slug, Body: "Тайный шаблон " + tn.co.Slug, CreatedAt: time.Now()}
		if err := tx.CreateSavedReply(ctx, r); err != nil {
			return err
		}
		tn.objects["saved_reply"] = strconv.FormatInt(r.ID, 10)
		return nil
	})
	if err != nil {
		t.Fatalf("helpdesk objects: %v", err)
	}
	cats, err := a.Store.FindTicketCategories(ctx, tn.co.ID)
	if err != nil || len(cats) == 0 {
		t.Fatalf("categories: %v", err)
	}
	tn.objects[helpdesk.ObjectTicket] = strconv.FormatInt(tk.ID, 10)
	tn.objects["ticket_category"] = strconv.FormatInt(cats[0].ID, 10)
	tn.markers = append(tn.markers, text, "Тайный шаблон "+tn.co.Slug)
}
