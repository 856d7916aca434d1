package selfservice_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/calendar"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func moscow(s string) time.Time {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		panic(err)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// TestDeadline counts three working days by art. 62 on the production
// calendar, the day of the request being the first when it is a working
// day.
func TestDeadline(t *testing.T) {
	loc := moscow("2026-01-01 00:00").Location()
	svc := selfservice.NewCatalog(nil).Find(selfservice.KeyEmploymentCert)
	tests := []struct {
		name      string
		made      string
		changes   map[staffbot.Date]calendar.DayKind
		due, warn string
	}{
		// Friday 8 May is a short day; Saturday 9 May is Victory Day and
		// Monday 11 May its day off: Fri, Tue, Wed.
		{"FridayBeforeTheMayHolidays", "2026-05-08 14:00", nil, "2026-05-13 18:00", "2026-05-13 09:00"},
		// Made after hours on Friday: the Friday still counts.
		{"FridayEvening", "2026-05-08 21:30", nil, "2026-05-13 18:00", "2026-05-13 09:00"},
		// Monday 9 March is the day off for Sunday 8 March: Fri, Tue, Wed.
		{"FridayBeforeTheMarchHoliday", "2026-03-06 10:00", nil, "2026-03-11 18:00", "2026-03-11 09:00"},
		// Made on a holiday: the first working day after it is the first.
		{"OnAHoliday", "2026-05-09 12:00", nil, "2026-05-14 18:00", "2026-05-14 09:00"},
		{"OrdinaryWeek", "2026-03-02 10:00", nil, "2026-03-04 18:00", "2026-03-04 09:00"},
		// The company closed on Wednesday 13 May.
		{"CompanyDayOff", "2026-05-08 14:00", map[staffbot.Date]calendar.DayKind{{Year: 2026, Month: 5, Day: 13}: calendar.Holiday},
			"2026-05-14 18:00", "2026-05-14 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := calendar.Russian(loc, calendar.DefaultHours(), tt.changes)
			due, warn := selfservice.Deadline(cal, svc, moscow(tt.made))
			if !due.Equal(moscow(tt.due)) || !warn.Equal(moscow(tt.warn)) {
				t.Errorf("made %s: due %s, remind %s; want %s and %s", tt.made, due.In(loc).Format("2006-01-02 15:04"),
					warn.In(loc).Format("2006-01-02 15:04"), tt.due, tt.warn)
			}
		})
	}
	if due, _ := selfservice.Deadline(calendar.Russian(loc, calendar.DefaultHours(), nil),
		selfservice.NewCatalog(nil).Find(selfservice.KeyVacationApplication), moscow("2026-05-08 14:00")); !due.IsZero() {
		t.Errorf("a vacation application has a deadline %s; the law sets none", due)
	}
}

// hrUser is a cabinet user who is also an employee in the bot.
type hrUser struct {
	user *store.User
	chat string
	p    *auth.Principal
}

func (f *fixture) mustHRUser(email string, role auth.Role, chat, department string, scope []string) *hrUser {
	f.t.Helper()
	ctx := f.t.Context()
	emp := &staffbot.Employee{CompanyID: f.co.ID, PersonnelNumber: "hr-" + chat, FullName: "Петрова Ольга Игоревна",
		Department: department, HiredOn: staffbot.Date{Year: 2020, Month: 1, Day: 9}}
	if err := f.st.CreateEmployee(ctx, emp, t0); err != nil {
		f.t.Fatal(err)
	}
	mustTelegramAccount(f.t, f.st, emp, chat)
	svc := auth.New(f.st, f.clock, auth.Options{Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}})
	u, _, err := svc.CreateUser(ctx, nil, f.co.ID, auth.NewUser{Email: email, Role: role, Password: "hr password 1",
		EmployeeID: &emp.ID, Departments: scope})
	if err != nil {
		f.t.Fatal(err)
	}
	return &hrUser{user: u, chat: chat, p: &auth.Principal{CompanyID: f.co.ID, Role: role, UserID: u.ID, Departments: scope}}
}

// chat returns the texts sent to a chat so far.
func (f *fixture) chat(chat string) []string {
	f.t.Helper()
	items, err := f.st.FindChatMessages(f.t.Context(), f.co.ID, staffbot.ChannelTelegram, chat, 0, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Message.Text)
	}
	return out
}

// mustBookCopyRequest orders a certified copy of the work record book in
// the chat and lets the checks pass it to HR.
func (f *fixture) mustBookCopyRequest() *store.ServiceRequest {
	f.t.Helper()
	_, msgs := f.say("копия трудовой книжки")
	t := f.t.(*testing.T)
	ask := wantOne(t, "start", msgs, "Что нужно?")
	ask = wantOne(t, "form", f.press(button(t, ask, "Заверенная копия")), "Сколько экземпляров")
	_, msgs = f.say("1")
	wantOne(t, "copies", msgs, "передана в отдел кадров")
	f.run()
	r := f.request()
	if r.Status != store.ServiceRequestNew {
		f.t.Fatalf("request is %s after the checks, want new", r.Status)
	}
	return r
}

func (f *fixture) events(id int64) []string {
	f.t.Helper()
	evs, err := f.st.FindServiceRequestEvents(f.t.Context(), f.co.ID, id)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		s := e.Kind
		if e.Note != "" {
			s += ":" + e.Note
		}
		out = append(out, s)
	}
	return out
}

func (f *fixture) audited(action string) int {
	f.t.Helper()
	recs, err := f.st.FindAudit(f.t.Context(), f.co.ID, store.AuditFilter{Action: action})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(recs)
}

// TestService_DeadlineReminder makes a request on the Friday before the
// May holidays and follows it to its last day: HR is reminded on the
// morning of Wednesday 13 May, once, in the bot, without the employee's
// name; past 18:00 it is overdue.
func TestService_DeadlineReminder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		f := newFixture(t, open(t))
		f.svc.BaseURL = "https://hr.example.ru"
		ctx := t.Context()
		operator := f.mustHRUser("op@acme.ru", auth.RoleHROperator, "7001", "HR", nil)
		other := f.mustHRUser("buh@acme.ru", auth.RoleHROperator, "7002", "HR", []string{"Бухгалтерия"})
		analyst := f.mustHRUser("an@acme.ru", auth.RoleAnalyst, "7003", "HR", nil)

		f.clock.Set(moscow("2026-05-08 15:10"))
		r := f.mustBookCopyRequest()
		if r.DueAt == nil || !r.DueAt.Equal(moscow("2026-05-13 18:00")) || r.WarnAt == nil || !r.WarnAt.Equal(moscow("2026-05-13 09:00")) {
			t.Fatalf("due %v, remind %v; want 13.05.2026 18:00 and 09:00", r.DueAt, r.WarnAt)
		}
		if got := f.events(r.ID); len(got) != 1 || got[0] != store.ServiceEventQueued {
			t.Errorf("history %v, want queued", got)
		}
		said := f.chat(chatID)
		if !strings.Contains(strings.Join(said, "\n"), "не позже чем через 3 рабочих дня — до 13.05.2026 включительно") {
			t.Errorf("the employee was not told the deadline:\n%s", strings.Join(said, "\n"))
		}

		for _, at := range []string{"2026-05-09 10:00", "2026-05-12 17:59"} {
			f.clock.Set(moscow(at))
			if n, err := f.svc.RunDeadlines(ctx); err != nil || n != 0 {
				t.Fatalf("RunDeadlines at %s = %d, %v; want no reminder yet", at, n, err)
			}
		}
		if open, overdue, _ := f.st.ServiceQueueCounts(ctx, f.co.ID, store.EmployeeScope{}, f.clock.Now()); open != 1 || overdue != 0 {
			t.Errorf("queue on 12.05: %d open, %d overdue; want 1 and 0", open, overdue)
		}

		f.clock.Set(moscow("2026-05-13 09:00"))
		if n, err := f.svc.RunDeadlines(ctx); err != nil || n != 1 {
			t.Fatalf("RunDeadlines on the last morning = %d, %v; want 1", n, err)
		}
		got := f.chat(operator.chat)
		id := strconv.FormatInt(r.ID, 10)
		if len(got) != 1 || !strings.Contains(got[0], "№"+id) || !strings.Contains(got[0], "13.05.2026 18:00") ||
			!strings.Contains(got[0], "https://hr.example.ru/hr/requests/"+id) || strings.Contains(got[0], "Иванова") {
			t.Errorf("operator was told %q; want the request, its deadline and its link, without the employee's name", got)
		}
		if got := f.chat(other.chat); len(got) != 0 {
			t.Errorf("an operator whose scope lacks the employee was told %q", got)
		}
		if got := f.chat(analyst.chat); len(got) != 0 {
			t.Errorf("an analyst, who does not work the queue, was told %q", got)
		}
		if n, err := f.svc.RunDeadlines(ctx); err != nil || n != 0 {
			t.Errorf("a second pass reminded %d times (%v); want once only", n, err)
		}
		if got := f.events(r.ID); len(got) != 2 || got[1] != store.ServiceEventWarned {
			t.Errorf("history %v, want queued and warned", got)
		}
		if n := f.audited("service_request.remind"); n != 1 {
			t.Errorf("%d service_request.remind records, want 1", n)
		}

		f.clock.Set(moscow("2026-05-13 18:01"))
		list, err := f.svc.Desk().List(ctx, operator.p, selfservice.QueueFilter{Status: store.ServiceQueueOpen, Overdue: true})
		if err != nil || len(list) != 1 || list[0].ID != r.ID || !list[0].Overdue(f.clock.Now()) {
			t.Fatalf("overdue list = %v, %v; want the request", list, err)
		}
		if _, overdue, _ := f.st.ServiceQueueCounts(ctx, f.co.ID, store.EmployeeScope{}, f.clock.Now()); overdue != 1 {
			t.Errorf("%d overdue, want 1", overdue)
		}
	})
}

// TestService_RequestTakenRemindsItsTaker reminds only the person who
// took a request.
func TestService_RequestTakenRemindsItsTaker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		f := newFixture(t, open(t))
		a := f.mustHRUser("a@acme.ru", auth.RoleHROperator, "7101", "HR", nil)
		b := f.mustHRUser("b@acme.ru", auth.RoleHRManager, "7102", "HR", nil)
		f.clock.Set(moscow("2026-03-02 10:00"))
		r := f.mustBookCopyRequest()
		if err := f.svc.Desk().Take(t.Context(), b.p, r.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(moscow("2026-03-04 09:30"))
		if n, err := f.svc.RunDeadlines(t.Context()); err != nil || n != 1 {
			t.Fatalf("RunDeadlines = %d, %v", n, err)
		}
		if len(f.chat(a.chat)) != 0 || len(f.chat(b.chat)) != 1 {
			t.Errorf("told %q and %q; want only the one who took it", f.chat(a.chat), f.chat(b.chat))
		}
	})
}

// TestDesk works requests as the cabinet does: permissions, scope and
// another company, taking, declining with a reason the employee reads,
// a paper original, a document by secure link, and the history and audit
// records of each step.
func TestDesk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		f := newFixture(t, open(t))
		ctx := t.Context()
		desk := f.svc.Desk()
		op := f.mustHRUser("op@acme.ru", auth.RoleHROperator, "7201", "HR", nil)
		f.newMessages()

		r := f.mustBookCopyRequest()
		f.newMessages()

		list, err := desk.List(ctx, op.p, selfservice.QueueFilter{Status: store.ServiceQueueOpen})
		if err != nil || len(list) != 1 || list[0].EmployeeName != "Иванова Анна Сергеевна" {
			t.Fatalf("List = %v, %v", list, err)
		}
		if f.audited("service_request.list") != 1 {
			t.Error("the list read is not in the audit log")
		}
		view, err := desk.Get(ctx, op.p, r.ID, locale.RU)
		if err != nil || view.Service.Key != selfservice.KeyWorkRecordCopy || len(view.Answers) != 2 ||
			!strings.Contains(view.Answers[0].Value, "Заверенная копия") {
			t.Fatalf("Get = %+v, %v", view, err)
		}
		if f.audited("service_request.read") != 1 {
			t.Error("the card read is not in the audit log")
		}

		// Who may not.
		scoped := &auth.Principal{CompanyID: f.co.ID, Role: auth.RoleHROperator, UserID: op.user.ID, Departments: []string{"Бухгалтерия"}}
		if list, _ := desk.List(ctx, scoped, selfservice.QueueFilter{}); len(list) != 0 {
			t.Errorf("an operator of another department lists %d requests", len(list))
		}
		if _, err := desk.Get(ctx, scoped, r.ID, locale.RU); !errors.Is(err, staffbot.ErrNotFound) {
			t.Errorf("an operator of another department opens the request: %v", err)
		}
		if err := desk.Take(ctx, scoped, r.ID); !errors.Is(err, staffbot.ErrNotFound) {
			t.Errorf("an operator of another department takes the request: %v", err)
		}
		otherCo := &staffbot.Company{Slug: "other", Name: "ООО Другая"}
		if err := f.st.CreateCompany(ctx, otherCo); err != nil {
			t.Fatal(err)
		}
		stranger := &auth.Principal{CompanyID: otherCo.ID, Role: auth.RoleOwner}
		if _, err := desk.Get(ctx, stranger, r.ID, locale.RU); !errors.Is(err, staffbot.ErrNotFound) {
			t.Errorf("another company opens the request: %v", err)
		}
		if err := desk.Reject(ctx, stranger, r.ID, "чужая"); !errors.Is(err, staffbot.ErrNotFound) {
			t.Errorf("another company declines the request: %v", err)
		}
		analyst := &auth.Principal{CompanyID: f.co.ID, Role: auth.RoleAnalyst}
		if _, err := desk.List(ctx, analyst, selfservice.QueueFilter{}); !errors.Is(err, staffbot.ErrForbidden) {
			t.Errorf("an analyst lists requests: %v", err)
		}
		readOnly := &auth.Principal{CompanyID: f.co.ID, Role: auth.RoleLineManager}
		if err := desk.Take(ctx, readOnly, r.ID); !errors.Is(err, staffbot.ErrForbidden) {
			t.Errorf("a line manager takes a request: %v", err)
		}

		// Take, then decline with a reason that reaches the employee.
		if err := desk.Take(ctx, op.p, r.ID); err != nil {
			t.Fatalf("Take: %v", err)
		}
		if got := f.request(); got.Status != store.ServiceRequestInProgress || got.TakenBy == nil || *got.TakenBy != op.user.ID {
			t.Errorf("taken request: %s by %v", got.Status, got.TakenBy)
		}
		if err := desk.Take(ctx, op.p, r.ID); !errors.Is(err, staffbot.ErrConflict) {
			t.Errorf("taking twice: %v, want a conflict", err)
		}
		if err := desk.Reject(ctx, op.p, r.ID, "  "); !errors.Is(err, staffbot.ErrInvalid) {
			t.Errorf("declining without a reason: %v", err)
		}
		if err := desk.Reject(ctx, op.p, r.ID, "Трудовая книжка хранится у вас с 2021 года — копию заверить не можем."); err != nil {
			t.Fatalf("Reject: %v", err)
		}
		wantOne(t, "declined", f.newMessages(), "Причина: Трудовая книжка хранится у вас")
		if got := f.request(); got.Status != store.ServiceRequestClosed || got.Outcome != "rejected" || len(got.Answers) != 0 {
			t.Errorf("declined request %+v", got)
		}
		if got := f.events(r.ID); strings.Join(got, "|") !=
			"queued|taken|rejected:Трудовая книжка хранится у вас с 2021 года — копию заверить не можем." {
			t.Errorf("history %q", got)
		}
		if f.audited("service_request.take") != 1 || f.audited("service_request.reject") != 1 {
			t.Error("take and reject are not both in the audit log")
		}

		// A paper original: ready, then done with a note.
		r = f.mustBookCopyRequest()
		f.newMessages()
		if err := desk.Ready(ctx, op.p, r.ID, "Лежит в кабинете 214"); err != nil {
			t.Fatalf("Ready: %v", err)
		}
		wantOne(t, "ready", f.newMessages(), "Заберите, пожалуйста, документ в отделе кадров")
		if err := desk.Done(ctx, op.p, r.ID, "Выдана лично"); err != nil {
			t.Fatalf("Done: %v", err)
		}
		if got := f.request(); got.Status != store.ServiceRequestClosed || got.Outcome != "done" || got.WarnAt != nil {
			t.Errorf("done request %+v", got)
		}
		if got := f.events(r.ID); strings.Join(got, "|") != "queued|ready:Лежит в кабинете 214|done:Выдана лично" {
			t.Errorf("history %q", got)
		}

		// A document by secure link, which closes the request.
		r = f.mustBookCopyRequest()
		f.newMessages()
		pdf := securelink.FileSpec{Name: "Копия.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 копия")}
		if err := desk.Send(ctx, op.p, r.ID, pdf, ""); err != nil {
			t.Fatalf("Send: %v", err)
		}
		msgs := f.newMessages()
		if len(msgs) != 2 || !strings.Contains(msgs[0].Text, "готова") {
			t.Fatalf("got %s, want the notice and the link", texts(msgs))
		}
		if status, body := f.open(linkIn(t, msgs[1])); status != http.StatusOK || body != "%PDF-1.4 копия" {
			t.Errorf("download: %d %q", status, body)
		}
		if got := f.request(); got.Status != store.ServiceRequestClosed || got.Outcome != "delivered" {
			t.Errorf("sent request %s %s, want closed delivered", got.Status, got.Outcome)
		}
		if err := desk.Done(ctx, op.p, r.ID, ""); !errors.Is(err, staffbot.ErrConflict) {
			t.Errorf("closing a closed request: %v", err)
		}

		// An employee the bot cannot reach gets no link, and nothing
		// changes.
		r = f.mustBookCopyRequest()
		err = f.st.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetAccountBlocked(ctx, f.co.ID, staffbot.ChannelTelegram, chatID, true)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := desk.Send(ctx, op.p, r.ID, pdf, ""); !errors.Is(err, securelink.ErrUnreachable) {
			t.Errorf("Send to nobody: %v, want ErrUnreachable", err)
		}
		if got := f.request(); got.Status != store.ServiceRequestNew {
			t.Errorf("after a failed send the request is %s", got.Status)
		}
	})
}
