package helpdesk_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

var moscow = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		panic(err)
	}
	return loc
}()

// Tuesday 3 March 2026, 10:00 in Moscow.
var t0 = time.Date(2026, 3, 3, 10, 0, 0, 0, moscow)

type fixture struct {
	t     *testing.T
	st    *store.Store
	clock *staffbot.ManualClock
	hd    *helpdesk.Service
	co    *staffbot.Company
}

func newFixture(t *testing.T, open func(t *testing.T) *store.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, st: open(t), clock: staffbot.NewManualClock(t0)}
	f.hd = &helpdesk.Service{Store: f.st, Clock: f.clock, Logger: slog.New(slog.DiscardHandler),
		Auditor: &audit.Recorder{Store: f.st, Clock: f.clock}}
	f.co = &staffbot.Company{Slug: "acme", Name: "Акме", TimeZone: "Europe/Moscow"}
	if err := f.st.CreateCompany(t.Context(), f.co); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) mustEmployee(number, dept string) *staffbot.Employee {
	f.t.Helper()
	e := &staffbot.Employee{CompanyID: f.co.ID, PersonnelNumber: number, FullName: "Сотрудник " + number, Department: dept,
		HiredOn: staffbot.Date{Year: 2024, Month: 1, Day: 9}}
	if err := f.st.CreateEmployee(f.t.Context(), e, t0); err != nil {
		f.t.Fatal(err)
	}
	return e
}

func (f *fixture) mustUser(email string, role auth.Role, depts ...string) *auth.Principal {
	f.t.Helper()
	u := &store.User{CompanyID: f.co.ID, Email: email, PasswordHash: "x", Role: string(role), Departments: depts,
		CreatedAt: t0, UpdatedAt: t0}
	if err := f.st.InTx(f.t.Context(), func(tx *store.Tx) error { return tx.CreateUser(f.t.Context(), u) }); err != nil {
		f.t.Fatal(err)
	}
	return &auth.Principal{CompanyID: f.co.ID, Role: role, UserID: u.ID, Departments: depts}
}

func (f *fixture) mustOpen(e *staffbot.Employee, text, category string) *store.Ticket {
	f.t.Helper()
	var tk *store.Ticket
	err := f.st.InTx(f.t.Context(), func(tx *store.Tx) error {
		var err error
		tk, err = f.hd.OpenFromEscalation(f.t.Context(), tx, f.co, e, text, category)
		return err
	})
	if err != nil {
		f.t.Fatalf("open ticket: %v", err)
	}
	return tk
}

func (f *fixture) ticket(id int64) *store.Ticket {
	f.t.Helper()
	tk, err := f.st.FindTicket(f.t.Context(), f.co.ID, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return tk
}

func TestSuggest(t *testing.T) {
	var cats []*store.TicketCategory
	for i := range helpdesk.DefaultCategories {
		c := helpdesk.DefaultCategories[i]
		cats = append(cats, &c)
	}
	tests := []struct{ text, want string }{
		{"Когда придут отпускные?", "leave"},
		{"Нужна справка 2-НДФЛ для банка", "docs"},
		{"не пришла зарплата за март", "pay"},
		{"Забыл пароль от почты, не могу войти", "access"},
		{"Хочу перевестись в другой отдел, как оформить перевод?", "hr"},
		{"Где столовая?", ""},
		// "карт" (a pay card) is no stem of "картридж": the printer wins.
		{"где заправить картридж в принтере", "access"},
		{"Не пришли деньги на карту", "pay"},
		{"Потерял пропуск, а на карте нет зарплаты", "pay"},
		// One keyword each for pay and leave: a tie suggests nothing, and
		// the ticket goes to the fallback category.
		{"Аванс или отгул?", ""},
	}
	for _, tt := range tests {
		got := helpdesk.Suggest(cats, tt.text)
		slug := ""
		if got != nil {
			slug = got.Slug
		}
		if slug != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.text, slug, tt.want)
		}
	}
}

func TestAssign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		f := newFixture(t, open)
		e := f.mustEmployee("0001", "ИТ")
		ops := []*auth.Principal{f.mustUser("a@acme.ru", auth.RoleHROperator), f.mustUser("b@acme.ru", auth.RoleHROperator),
			f.mustUser("c@acme.ru", auth.RoleHRManager)}
		f.mustUser("analyst@acme.ru", auth.RoleAnalyst)

		// Round robin, the default: each operator in turn, analysts never.
		var got []store.UserID
		for i := range 4 {
			tk := f.mustOpen(e, fmt.Sprint("Вопрос про отпуск ", i), "leave")
			got = append(got, *tk.AssigneeID)
		}
		want := []store.UserID{ops[0].UserID, ops[1].UserID, ops[2].UserID, ops[0].UserID}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("round robin = %v, want %v", got, want)
		}

		// By load: operator b has one active leave ticket, c one, a two.
		cats, _ := f.hd.Categories(t.Context(), ops[2])
		var pay *store.TicketCategory
		for _, c := range cats {
			if c.Slug == "pay" {
				pay = c
			}
		}
		mode := store.AssignByLoad
		if _, err := f.hd.UpdateCategory(t.Context(), ops[2], pay.ID, helpdesk.CategoryUpdate{AssignMode: &mode}); err != nil {
			t.Fatal(err)
		}
		if tk := f.mustOpen(e, "Зарплата", "pay"); *tk.AssigneeID != ops[1].UserID {
			t.Errorf("by load = %d, want the least loaded, %d", *tk.AssigneeID, ops[1].UserID)
		}

		// By hand: nobody.
		manual := store.AssignManual
		if _, err := f.hd.UpdateCategory(t.Context(), ops[2], pay.ID, helpdesk.CategoryUpdate{AssignMode: &manual}); err != nil {
			t.Fatal(err)
		}
		if tk := f.mustOpen(e, "Зарплата", "pay"); tk.AssigneeID != nil {
			t.Errorf("manual assignment gave it to %d", *tk.AssigneeID)
		}
		// An operator may not change the queues.
		if _, err := f.hd.UpdateCategory(t.Context(), ops[0], pay.ID, helpdesk.CategoryUpdate{AssignMode: &mode}); !errors.Is(err, staffbot.ErrForbidden) {
			t.Errorf("operator changes a category: %v, want ErrForbidden", err)
		}
	})
}

// TestStatus_WaitingPausesResolution: time spent waiting for the employee
// does not count against the resolution target.
func TestStatus_WaitingPausesResolution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		f := newFixture(t, open)
		op := f.mustUser("a@acme.ru", auth.RoleHROperator)
		tk := f.mustOpen(f.mustEmployee("0001", "ИТ"), "Сломался ноутбук", "access")
		due := *tk.ResolutionDueAt
		if want := time.Date(2026, 3, 3, 18, 0, 0, 0, moscow); !due.Equal(want) {
			t.Fatalf("resolution due %s, want %s (1 working day)", due, want)
		}

		if _, err := f.hd.Reply(t.Context(), op, tk.ID, helpdesk.Reply{Text: "Какая модель?"}); err != nil {
			t.Fatal(err)
		}
		if got := f.ticket(tk.ID); got.Status != store.TicketWaiting || got.PausedSince == nil || got.FirstResponseAt == nil {
			t.Fatalf("after a reply: %+v; want waiting, paused, first response set", got)
		}
		// Three working hours later (and an evening and a night), back to open.
		f.clock.Set(time.Date(2026, 3, 4, 10, 0, 0, 0, moscow))
		if _, err := f.hd.SetStatus(t.Context(), op, tk.ID, store.TicketOpen); err != nil {
			t.Fatal(err)
		}
		// Paused from 10:00 on the 3rd to 10:00 on the 4th: 9 working hours.
		got := f.ticket(tk.ID)
		if want := time.Date(2026, 3, 4, 18, 0, 0, 0, moscow); got.PausedSince != nil || !got.ResolutionDueAt.Equal(want) {
			t.Errorf("resolution due after the pause = %s, want %s", got.ResolutionDueAt, want)
		}

		// Resolved tickets close after seven silent days, not before.
		if _, err := f.hd.SetStatus(t.Context(), op, tk.ID, store.TicketResolved); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(6 * 24 * time.Hour)
		if rep, err := f.hd.RunDue(t.Context()); err != nil || rep.Closed != 0 {
			t.Errorf("after 6 days: %+v, %v", rep, err)
		}
		f.clock.Advance(25 * time.Hour)
		if rep, err := f.hd.RunDue(t.Context()); err != nil || rep.Closed != 1 {
			t.Errorf("after 7 days: %+v, %v", rep, err)
		}
		if got := f.ticket(tk.ID); got.Status != store.TicketClosed || got.ClosedAt == nil {
			t.Errorf("status = %s, want closed", got.Status)
		}
		if _, err := f.hd.Reply(t.Context(), op, tk.ID, helpdesk.Reply{Text: "ещё"}); !errors.Is(err, staffbot.ErrConflict) {
			t.Errorf("reply to a closed ticket: %v, want ErrConflict", err)
		}
		if _, err := f.hd.Reply(t.Context(), op, tk.ID, helpdesk.Reply{Text: "для себя", Internal: true}); err != nil {
			t.Errorf("a note on a closed ticket: %v", err)
		}
	})
}

func TestPermissionsAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		f := newFixture(t, open)
		it := f.mustOpen(f.mustEmployee("0001", "ИТ"), "Вопрос из ИТ", "")
		sales := f.mustOpen(f.mustEmployee("0002", "Продажи"), "Вопрос из продаж", "")
		analyst := f.mustUser("an@acme.ru", auth.RoleAnalyst)
		scoped := f.mustUser("op@acme.ru", auth.RoleHROperator, "ИТ")
		ctx := t.Context()

		if _, err := f.hd.List(ctx, analyst, helpdesk.Filter{}); !errors.Is(err, staffbot.ErrForbidden) {
			t.Errorf("analyst List: %v, want ErrForbidden", err)
		}
		if _, err := f.hd.Reply(ctx, analyst, it.ID, helpdesk.Reply{Text: "x"}); !errors.Is(err, staffbot.ErrForbidden) {
			t.Errorf("analyst Reply: %v, want ErrForbidden", err)
		}
		list, err := f.hd.List(ctx, scoped, helpdesk.Filter{})
		if err != nil || len(list) != 1 || list[0].ID != it.ID {
			t.Errorf("scoped operator lists %v, %v; want only the IT ticket", list, err)
		}
		for _, call := range []func() error{
			func() error { _, err := f.hd.Get(ctx, scoped, sales.ID); return err },
			func() error { _, err := f.hd.Reply(ctx, scoped, sales.ID, helpdesk.Reply{Text: "x"}); return err },
			func() error { _, err := f.hd.SetStatus(ctx, scoped, sales.ID, store.TicketResolved); return err },
			func() error { _, err := f.hd.Assign(ctx, scoped, sales.ID, nil); return err },
		} {
			if err := call(); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("out of scope: %v, want ErrNotFound", err)
			}
		}
		if got := f.ticket(sales.ID); got.LastSeq != 1 || got.Status != store.TicketNew {
			t.Errorf("the out-of-scope ticket changed: %+v", got)
		}
		// Searching by words finds the subject and the name, in scope only.
		for q, want := range map[string]int{"из ИТ": 1, "продаж": 0, "0001": 1, "Сотрудник": 1} {
			list, err := f.hd.List(ctx, scoped, helpdesk.Filter{Search: q})
			if err != nil || len(list) != want {
				t.Errorf("search %q = %d tickets, %v; want %d", q, len(list), err, want)
			}
		}
	})
}

// fetcher is a messenger's file store for tests.
type fetcher struct {
	files map[string][]byte
	calls int
}

func (f *fetcher) Fetch(_ context.Context, _ *staffbot.Company, ref string) (string, string, []byte, error) {
	f.calls++
	data, ok := f.files[ref]
	if !ok {
		return "", "", nil, errors.New("no such file")
	}
	return "photo.jpg", "", data, nil
}

func TestFetchFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		f := newFixture(t, open)
		tk := f.mustOpen(f.mustEmployee("0001", "ИТ"), "Скан паспорта", "")
		fake := &fetcher{files: map[string][]byte{"AgAD-good": []byte("\xff\xd8\xff\xe0 секретный скан паспорта")}}
		f.hd.Files = map[staffbot.ChannelKind]helpdesk.FileFetcher{staffbot.ChannelTelegram: fake}
		err := f.st.InTx(t.Context(), func(tx *store.Tx) error {
			for _, ref := range []string{"AgAD-good", "AgAD-gone"} {
				a := &store.TicketAttachment{CompanyID: f.co.ID, TicketID: tk.ID, MessageSeq: 1, Channel: staffbot.ChannelTelegram,
					FileRef: ref, CreatedAt: t0}
				if err := tx.CreateTicketAttachment(t.Context(), a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		if n, err := f.hd.FetchFiles(t.Context()); err != nil || n != 1 {
			t.Fatalf("FetchFiles = %d, %v; want 1 stored", n, err)
		}
		files, _ := f.st.FindTicketAttachments(t.Context(), f.co.ID, tk.ID)
		good, gone := files[0], files[1]
		if good.Status != store.AttachmentStored || good.FileRef != "" || good.Name != "photo.jpg" || good.ContentType != "image/jpeg" {
			t.Errorf("stored file = %+v", good)
		}
		_, data, err := f.st.FindTicketAttachment(t.Context(), f.co.ID, good.ID)
		if err != nil || string(data) != "\xff\xd8\xff\xe0 секретный скан паспорта" {
			t.Errorf("content = %q, %v", data, err)
		}
		var raw string
		f.st.DB().QueryRow("SELECT data_sealed FROM ticket_attachments WHERE data_sealed <> ''").Scan(&raw)
		if raw == "" || strings.Contains(raw, "секретный") {
			t.Errorf("content at rest = %q, want it sealed", raw)
		}

		// The missing file is tried again with growing waits, then given up.
		for range 10 {
			f.clock.Advance(time.Hour)
			if _, err := f.hd.FetchFiles(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		files, _ = f.st.FindTicketAttachments(t.Context(), f.co.ID, tk.ID)
		if files[1].Status != store.AttachmentFailed || files[1].Attempts != 5 || files[1].FileRef != gone.FileRef {
			t.Errorf("missing file = %+v; want failed after 5 attempts with its reference kept", files[1])
		}
		if fake.calls != 6 {
			t.Errorf("fetches = %d, want 6 (1 good, 5 tries of the missing one)", fake.calls)
		}
	})
}
