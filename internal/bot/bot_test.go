package bot_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/bot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
	"github.com/staffbot/staffbot/internal/delivery"
	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
	"github.com/staffbot/staffbot/scenarios"
)

const testToken = "7000001:AAtest-token"

var moscow = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		panic(err)
	}
	return loc
}()

// The company's data that a stranger must never see.
var companySecrets = []string{"Акме", "Кузнецова", "Дарья", "Инженер", "ИТ-отдел", "Москва, ул. Тверская", "00030"}

// fixture runs the bot with the shipped scenarios on a real store, and
// delivers what it queues through the dispatcher to the fake Bot API. Each
// update goes through telegram.ParseUpdate as the webhook would pass it.
type fixture struct {
	t     *testing.T
	st    *store.Store
	tg    *telegramtest.Server
	clock *staffbot.ManualClock
	co    *staffbot.Company
	bot   *bot.Bot
	eng   *scenario.Engine
	d     *delivery.Dispatcher
}

func testLogger() *slog.Logger {
	if os.Getenv("STAFFBOT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	tg := telegramtest.NewServer(t)
	tg.AddBot(testToken, "acme_hr_bot")
	co := &staffbot.Company{
		Slug: "acme", Name: "Акме", TimeZone: "Europe/Moscow",
		TelegramBotUsername: "acme_hr_bot", TelegramToken: testToken, TelegramWebhookSecret: "s3cr3t",
	}
	if err := st.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	// Monday 2 March 2026, noon in Moscow.
	clock := staffbot.NewManualClock(time.Date(2026, 3, 2, 12, 0, 0, 0, moscow))
	defs, err := scenario.LoadFS(scenarios.FS)
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	log := testLogger()
	eng := scenario.NewEngine(st, clock, defs, log)
	return &fixture{
		t: t, st: st, tg: tg, clock: clock, co: co, eng: eng,
		bot: &bot.Bot{Store: st, Engine: eng, Clock: clock, Logger: log, BaseURL: "http://127.0.0.1:8080"},
		d:   delivery.New(st, []channel.Sender{telegram.NewSender(tg.URL(), nil)}, clock, log, nil),
	}
}

// mustEmployee adds an employee hired on hired, dismissed on dismissed
// when it is not nil.
func (f *fixture) mustEmployee(number, name string, hired staffbot.Date, dismissed *staffbot.Date) *staffbot.Employee {
	f.t.Helper()
	e := &staffbot.Employee{
		CompanyID: f.co.ID, PersonnelNumber: number, FullName: name,
		Position: "Инженер", Department: "ИТ-отдел", Office: "Москва, ул. Тверская, 1",
		HiredOn: hired, DismissedOn: dismissed,
	}
	if err := f.st.CreateEmployee(f.t.Context(), e, f.clock.Now()); err != nil {
		f.t.Fatalf("CreateEmployee: %v", err)
	}
	return e
}

func (f *fixture) mustInvite(e *staffbot.Employee) string {
	f.t.Helper()
	code := staffbot.NewInviteCode()
	_, err := f.st.CreateInvite(f.t.Context(), f.co.ID, e.ID, staffbot.HashInviteCode(code), f.clock.Now(), staffbot.DefaultInviteTTL)
	if err != nil {
		f.t.Fatalf("CreateInvite: %v", err)
	}
	return code
}

// push hands a raw update to the bot as the webhook does and delivers
// whatever it queued.
func (f *fixture) push(raw []byte) {
	f.t.Helper()
	in, err := telegram.ParseUpdate(raw)
	if err != nil {
		f.t.Fatalf("ParseUpdate: %v", err)
	}
	in.CompanyID = f.co.ID
	if err := f.bot.Handle(f.t.Context(), in); err != nil {
		f.t.Fatalf("Handle %s update: %v", in.Kind, err)
	}
	f.deliver()
}

func (f *fixture) deliver() {
	f.t.Helper()
	for range 50 {
		n, err := f.d.DeliverOnce(f.t.Context())
		if err != nil {
			f.t.Fatalf("DeliverOnce: %v", err)
		}
		if n == 0 {
			return
		}
	}
	f.t.Fatal("outbox never ran dry")
}

// sent returns the messages chat got since it had from.
func (f *fixture) sent(chat int64, from int) []telegramtest.Message {
	return f.tg.SentTo(chat)[from:]
}

// mustRegister takes chat through "/start CODE" and consent, and returns
// how many messages the chat has by then.
func (f *fixture) mustRegister(chat int64, e *staffbot.Employee) int {
	f.t.Helper()
	f.push(f.tg.TextUpdate(chat, "/start "+f.mustInvite(e)))
	ask := f.tg.SentTo(chat)
	if len(ask) != 1 || !strings.Contains(ask[0].Text, "согласие") {
		f.t.Fatalf("after /start got %q, want the consent question", texts(ask))
	}
	f.push(f.tg.CallbackUpdate(chat, buttonData(f.t, ask[0], "согласие")))
	return len(f.tg.SentTo(chat))
}

func (f *fixture) account(chat int64) (*staffbot.ChannelAccount, error) {
	return f.st.FindAccount(f.t.Context(), f.co.ID, staffbot.ChannelTelegram, fmt.Sprint(chat))
}

func (f *fixture) outboxCount() int {
	f.t.Helper()
	var n int
	err := f.st.DB().QueryRowContext(f.t.Context(),
		fmt.Sprintf("SELECT count(*) FROM outbox WHERE company_id = %d", f.co.ID)).Scan(&n)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// runState is what must not move when the employee only asks for help.
func (f *fixture) runState(e *staffbot.Employee) string {
	f.t.Helper()
	r, err := f.st.FindRunOfEmployee(f.t.Context(), f.co.ID, e.ID, "onboarding")
	if err != nil {
		f.t.Fatalf("FindRunOfEmployee: %v", err)
	}
	due := "none"
	if r.DueAt != nil {
		due = r.DueAt.UTC().String()
	}
	vars, _ := json.Marshal(r.Vars)
	return fmt.Sprintf("step=%s state=%s due=%s updated=%s vars=%s", r.Step, r.State, due, r.UpdatedAt.UTC(), vars)
}

func texts(msgs []telegramtest.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

func buttonData(t *testing.T, m telegramtest.Message, label string) string {
	t.Helper()
	if m.ReplyMarkup != nil {
		for _, row := range m.ReplyMarkup.InlineKeyboard {
			for _, b := range row {
				if strings.Contains(strings.ToLower(b.Text), strings.ToLower(label)) && b.CallbackData != "" {
					return b.CallbackData
				}
			}
		}
	}
	t.Fatalf("no button %q under %q", label, m.Text)
	return ""
}

func lastWithButtons(t *testing.T, msgs []telegramtest.Message) telegramtest.Message {
	t.Helper()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].ReplyMarkup != nil && len(msgs[i].ReplyMarkup.InlineKeyboard) > 0 {
			return msgs[i]
		}
	}
	t.Fatalf("no message with buttons in %q", texts(msgs))
	return telegramtest.Message{}
}

func date(y int, m time.Month, d int) *staffbot.Date {
	return &staffbot.Date{Year: y, Month: m, Day: d}
}

// A stranger gets exactly one short refusal for each message or button
// press, whatever it is, and nothing about the company; edits and block
// notices get no answer at all.
func TestBot_StrangerGetsOneRefusalPerMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		f := newFixture(t, open(t))
		f.mustEmployee("00030", "Кузнецова Дарья Андреевна", *date(2026, 3, 5), nil)
		const chat = 555

		answered := [][]byte{
			f.tg.TextUpdate(chat, "привет"),
			f.tg.TextUpdate(chat, "/start"),
			f.tg.TextUpdate(chat, "/start AAAAAAAAAAAAAAAAAAAAAA"),
			f.tg.TextUpdate(chat, "/start ../../etc/passwd"),
			f.tg.TextUpdate(chat, "/help"),
			f.tg.TextUpdate(chat, "/menu"),
			f.tg.CallbackUpdate(chat, "m:data"),
			f.tg.CallbackUpdate(chat, "c:yes"),
			f.tg.ContactUpdate(chat, "+79123456789"),
			f.tg.DocumentUpdate(chat, "resume.pdf"),
		}
		for i, u := range answered {
			f.push(u)
			if got := len(f.tg.SentTo(chat)); got != i+1 {
				t.Fatalf("after %d messages the stranger has %d answers, want one each: %q", i+1, got, texts(f.tg.SentTo(chat)))
			}
		}
		silent := [][]byte{
			f.tg.EditedTextUpdate(chat, "/start AAAAAAAAAAAAAAAAAAAAAA"),
			f.tg.MyChatMemberUpdate(chat, "member", "kicked"),
			f.tg.MyChatMemberUpdate(chat, "kicked", "member"),
		}
		for _, u := range silent {
			f.push(u)
		}

		got := f.tg.SentTo(chat)
		if len(got) != len(answered) {
			t.Errorf("stranger got %d messages, want %d", len(got), len(answered))
		}
		for _, m := range got {
			if !strings.Contains(m.Text, "закрытый бот") || m.ReplyMarkup != nil {
				t.Errorf("stranger got %q (buttons %v), want the bare closed-bot refusal", m.Text, m.ReplyMarkup)
			}
			for _, s := range companySecrets {
				if strings.Contains(m.Text, s) {
					t.Errorf("stranger learned %q from %q", s, m.Text)
				}
			}
		}
		if _, err := f.account(chat); !errors.Is(err, staffbot.ErrNotFound) {
			t.Errorf("stranger's account: %v, want none", err)
		}
	})
}

// Five wrong codes within 15 minutes stop the checking of codes from that
// account: the sixth attempt is refused with the throttle message even
// with a valid code, which still works once the window has passed.
func TestBot_WrongCodesAreThrottled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		f := newFixture(t, open(t))
		emp := f.mustEmployee("00030", "Кузнецова Дарья Андреевна", *date(2026, 3, 5), nil)
		code := f.mustInvite(emp)
		const chat = 556
		t0 := f.clock.Now()

		for i := range bot.MaxCodeFailures {
			f.clock.Set(t0.Add(time.Duration(i) * time.Minute))
			f.push(f.tg.TextUpdate(chat, "/start "+staffbot.NewInviteCode()))
		}
		for i, m := range f.tg.SentTo(chat) {
			if !strings.Contains(m.Text, "закрытый бот") {
				t.Errorf("wrong code %d answered %q, want the refusal", i+1, m.Text)
			}
		}

		f.clock.Set(t0.Add(5 * time.Minute))
		f.push(f.tg.TextUpdate(chat, "/start "+code))
		got := f.sent(chat, bot.MaxCodeFailures)
		if len(got) != 1 || !strings.Contains(got[0].Text, "Слишком много попыток") {
			t.Fatalf("sixth attempt with a valid code answered %q, want only the throttle message", texts(got))
		}
		if _, err := f.account(chat); !errors.Is(err, staffbot.ErrNotFound) {
			t.Fatalf("throttled attempt registered the account (%v)", err)
		}

		// All five still inside the window: still throttled.
		f.clock.Set(t0.Add(bot.CodeFailureWindow - time.Second))
		f.push(f.tg.TextUpdate(chat, "/start "+code))
		if got := f.sent(chat, bot.MaxCodeFailures+1); len(got) != 1 || !strings.Contains(got[0].Text, "Слишком много попыток") {
			t.Fatalf("inside the window answered %q, want the throttle message", texts(got))
		}

		f.clock.Set(t0.Add(4*time.Minute + bot.CodeFailureWindow + time.Second))
		f.push(f.tg.TextUpdate(chat, "/start "+code))
		got = f.sent(chat, bot.MaxCodeFailures+2)
		if len(got) != 1 || !strings.Contains(got[0].Text, "согласие") {
			t.Fatalf("after the window a valid code answered %q, want the consent question", texts(got))
		}
		acct, err := f.account(chat)
		if err != nil || acct.EmployeeID != emp.ID {
			t.Fatalf("account after the window = %+v, %v; want bound to employee %d", acct, err, emp.ID)
		}
	})
}

// A dismissed employee gets the closed-bot answer: one registered before,
// from the dismissal day on, whatever they send; one dismissed before,
// when trying to register with a valid code.
func TestBot_DismissedEmployeeIsClosedOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		f := newFixture(t, open(t))
		leaving := f.mustEmployee("00040", "Смирнов Павел Олегович", *date(2021, 6, 1), date(2026, 3, 3))
		gone := f.mustEmployee("00041", "Орлова Вера Игоревна", *date(2019, 4, 1), date(2026, 3, 2))
		const leavingChat, goneChat = 601, 602

		base := f.mustRegister(leavingChat, leaving)
		f.push(f.tg.TextUpdate(leavingChat, "/help"))
		if got := f.sent(leavingChat, base); len(got) != 1 || !strings.Contains(got[0].Text, "/menu") {
			t.Fatalf("the day before dismissal /help answered %q", texts(got))
		}
		base++

		// The dismissal day, and a day after it.
		for _, at := range []time.Time{
			time.Date(2026, 3, 3, 0, 0, 1, 0, moscow),
			time.Date(2026, 3, 4, 10, 0, 0, 0, moscow),
		} {
			f.clock.Set(at)
			for _, u := range [][]byte{
				f.tg.TextUpdate(leavingChat, "/help"),
				f.tg.TextUpdate(leavingChat, "/menu"),
				f.tg.CallbackUpdate(leavingChat, "m:data"),
				f.tg.TextUpdate(leavingChat, "привет"),
			} {
				f.push(u)
				got := f.sent(leavingChat, base)
				if len(got) != 1 || !strings.Contains(got[0].Text, "закрытый бот") {
					t.Fatalf("%s: dismissed employee got %q, want one closed-bot answer", at, texts(got))
				}
				if strings.Contains(got[0].Text, "00040") || strings.Contains(got[0].Text, "Павел") {
					t.Errorf("dismissed employee got personal data: %q", got[0].Text)
				}
				base++
			}
		}

		// Dismissed today: a valid code does not register.
		f.clock.Set(time.Date(2026, 3, 2, 12, 0, 0, 0, moscow))
		f.push(f.tg.TextUpdate(goneChat, "/start "+f.mustInvite(gone)))
		if got := f.tg.SentTo(goneChat); len(got) != 1 || !strings.Contains(got[0].Text, "закрытый бот") {
			t.Errorf("dismissed employee's /start answered %q, want the closed-bot answer", texts(got))
		}
		if _, err := f.account(goneChat); !errors.Is(err, staffbot.ErrNotFound) {
			t.Errorf("dismissed employee registered (%v)", err)
		}
	})
}

// /help, /menu, the menu buttons and a second /start work in the middle
// of the onboarding scenario and leave the run exactly where it was; the
// question asked before still takes its answer afterwards.
func TestBot_HelpAndMenuMidScenario(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		f := newFixture(t, open(t))
		emp := f.mustEmployee("00030", "Кузнецова Дарья Андреевна", *date(2026, 3, 5), nil)
		const chat = 101
		base := f.mustRegister(chat, emp)
		question := lastWithButtons(t, f.tg.SentTo(chat))

		before := f.runState(emp)
		if !strings.Contains(before, "state="+store.RunAsking) {
			t.Fatalf("run = %s, want it waiting for an answer", before)
		}

		checks := []struct {
			update []byte
			want   string
		}{
			{f.tg.TextUpdate(chat, "/help"), "/menu"},
			{f.tg.TextUpdate(chat, "/menu@acme_hr_bot"), "Меню"},
			{f.tg.CallbackUpdate(chat, "m:help"), "/menu"},
			{f.tg.CallbackUpdate(chat, "m:data"), "00030"},
			{f.tg.TextUpdate(chat, "/start"), "С возвращением, Дарья"},
		}
		for _, c := range checks {
			f.push(c.update)
			got := f.sent(chat, base)
			if len(got) != 1 || !strings.Contains(got[0].Text, c.want) {
				t.Errorf("got %q, want one message with %q", texts(got), c.want)
			}
			base = len(f.tg.SentTo(chat))
			if after := f.runState(emp); after != before {
				t.Errorf("run moved:\n before %s\n after  %s", before, after)
			}
		}

		f.push(f.tg.CallbackUpdate(chat, question.ReplyMarkup.InlineKeyboard[0][0].CallbackData))
		if after := f.runState(emp); after == before {
			t.Errorf("the pending question took no answer after /help and /menu: %s", after)
		}
	})
}

// Declining consent stops everything: later messages get only the consent
// question again, no scenario starts even days later, until /start and
// consent are given.
func TestBot_ConsentDeclined(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		f := newFixture(t, open(t))
		emp := f.mustEmployee("00030", "Кузнецова Дарья Андреевна", *date(2026, 3, 5), nil)
		const chat = 102

		f.push(f.tg.TextUpdate(chat, "/start "+f.mustInvite(emp)))
		ask := f.tg.SentTo(chat)[0]
		f.push(f.tg.CallbackUpdate(chat, buttonData(t, ask, "не согласен")))
		if got := f.sent(chat, 1); len(got) != 1 || !strings.Contains(got[0].Text, "/start") {
			t.Fatalf("after declining got %q, want one message pointing to /start", texts(got))
		}

		f.push(f.tg.TextUpdate(chat, "а что дальше?"))
		f.push(f.tg.TextUpdate(chat, "/help"))
		for _, m := range f.sent(chat, 2) {
			if !strings.Contains(m.Text, "согласие") || m.ReplyMarkup == nil {
				t.Errorf("before consent got %q, want only the consent question", m.Text)
			}
		}
		// Days pass: nothing is scheduled for someone who did not consent.
		f.clock.Set(time.Date(2026, 3, 5, 9, 30, 0, 0, moscow))
		if _, err := f.eng.RunDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		f.deliver()
		if n := len(f.tg.SentTo(chat)); n != 4 {
			t.Errorf("%d messages after declining, want 4: %q", n, texts(f.tg.SentTo(chat)))
		}
		if _, err := f.st.FindRunOfEmployee(t.Context(), f.co.ID, emp.ID, "onboarding"); !errors.Is(err, staffbot.ErrNotFound) {
			t.Errorf("a run exists without consent (%v)", err)
		}
		if cs, err := f.st.FindConsents(t.Context(), f.co.ID, emp.ID); err != nil || len(cs) != 0 {
			t.Errorf("consents = %v, %v; want none", cs, err)
		}

		f.push(f.tg.TextUpdate(chat, "/start"))
		got := f.sent(chat, 4)
		if len(got) != 1 || !strings.Contains(got[0].Text, "согласие") {
			t.Fatalf("/start after declining answered %q, want the consent question", texts(got))
		}
		f.push(f.tg.CallbackUpdate(chat, buttonData(t, got[0], "даю согласие")))
		if got := f.sent(chat, 5); len(got) < 2 || !strings.Contains(got[0].Text, "Спасибо") {
			t.Errorf("after consent got %q, want thanks and the scenario", texts(got))
		}
		if _, err := f.st.FindRunOfEmployee(t.Context(), f.co.ID, emp.ID, "onboarding"); err != nil {
			t.Errorf("no run after consent: %v", err)
		}
		if cs, err := f.st.FindConsents(t.Context(), f.co.ID, emp.ID); err != nil || len(cs) != 1 {
			t.Errorf("consents = %v, %v; want one", cs, err)
		}
	})
}

// Case 01 (01-tg-edited-message-only): an update with only edited_message
// crashes nothing and runs nothing. An edited "/start CODE" neither
// registers a stranger nor registers anyone again, and an edited answer
// does not answer the scenario's question.
func TestBot_Case01EditsNeverRunAnything(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		raw, err := os.ReadFile("testdata/01-tg-edited-message-only.json")
		if err != nil {
			t.Fatal(err)
		}
		in, err := telegram.ParseUpdate(raw)
		if err != nil {
			t.Fatalf("ParseUpdate: %v", err)
		}
		chat := int64(700000001)
		if in.Kind != channel.KindEdited || in.ExternalID != fmt.Sprint(chat) {
			t.Fatalf("case update parsed as %+v, want an edit from %d", in, chat)
		}

		f := newFixture(t, open(t))
		emp := f.mustEmployee("00030", "Кузнецова Дарья Андреевна", *date(2026, 3, 5), nil)
		code := f.mustInvite(emp)

		// Before registration: the case's edit and an edited "/start CODE".
		f.push(raw)
		f.push(f.tg.EditedTextUpdate(chat, "/start "+code))
		if n := f.outboxCount(); n != 0 {
			t.Fatalf("edits from a stranger queued %d messages", n)
		}
		if _, err := f.account(chat); !errors.Is(err, staffbot.ErrNotFound) {
			t.Fatalf("an edited /start registered the account (%v)", err)
		}

		// The code was not spent by the edit: the real /start works.
		f.push(f.tg.TextUpdate(chat, "/start "+code))
		ask := f.tg.SentTo(chat)
		if len(ask) != 1 || !strings.Contains(ask[0].Text, "согласие") {
			t.Fatalf("/start after the edit answered %q, want the consent question", texts(ask))
		}
		f.push(f.tg.CallbackUpdate(chat, buttonData(t, ask[0], "согласие")))
		acct, err := f.account(chat)
		if err != nil {
			t.Fatal(err)
		}
		run := f.runState(emp)
		messages := f.outboxCount()

		// After registration: edits of the command and of an answer.
		f.clock.Set(f.clock.Now().Add(time.Minute))
		for _, u := range [][]byte{
			raw,
			f.tg.EditedTextUpdate(chat, "/start "+code),
			f.tg.EditedTextUpdate(chat, "/start"),
			f.tg.EditedTextUpdate(chat, "Да, всё понятно"),
		} {
			f.push(u)
		}
		if n := f.outboxCount(); n != messages {
			t.Errorf("edits queued %d messages", n-messages)
		}
		again, err := f.account(chat)
		if err != nil || !again.RegisteredAt.Equal(acct.RegisteredAt) || again.ConsentedAt == nil {
			t.Errorf("account after edits = %+v, %v; want it untouched (registered %s, consented)", again, err, acct.RegisteredAt)
		}
		if cs, err := f.st.FindConsents(t.Context(), f.co.ID, emp.ID); err != nil || len(cs) != 1 {
			t.Errorf("consents = %d, %v; want one", len(cs), err)
		}
		if after := f.runState(emp); after != run {
			t.Errorf("edits moved the run:\n before %s\n after  %s", run, after)
		}
	})
}

// Case 12 (12-tg-duplicate-update-webhook): the same update delivered
// twice is answered once; the next update is answered as usual.
func TestBot_Case12DuplicateUpdateAnsweredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		bodies := readCase12(t, "testdata/12-tg-duplicate-update-webhook.jsonl")

		f := newFixture(t, open(t))
		// Hired years ago: no onboarding questions to take the text.
		emp := f.mustEmployee("00050", "Иванова Анна Петровна", *date(2019, 4, 1), nil)
		const chat = 700000001
		base := f.mustRegister(chat, emp)

		f.push(bodies[0])
		f.clock.Set(f.clock.Now().Add(65 * time.Second))
		f.push(bodies[1])
		got := f.sent(chat, base)
		if len(got) != 1 {
			t.Fatalf("an update delivered twice got %d answers, want 1: %q", len(got), texts(got))
		}
		f.push(bodies[2])
		if got := f.sent(chat, base); len(got) != 2 {
			t.Errorf("the next update got %d answers in all, want 2: %q", len(got), texts(got))
		}
	})
}

// readCase12 returns the bodies of the deliveries in the case file.
func readCase12(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Body json.RawMessage `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, line.Body)
	}
	if len(out) != 3 {
		t.Fatalf("%s has %d deliveries, want 3", path, len(out))
	}
	return out
}
