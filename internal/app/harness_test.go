package app_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

const (
	botToken    = "7000001:AAtest-token"
	botUsername = "acme_hr_bot"
	hookSecret  = "s3cr3t-webhook-token"
)

// moscow is where the test company lives; the scenario's times are local.
var moscow = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		panic(err)
	}
	return loc
}()

// harness runs a whole staffbot against a fake Telegram Bot API, with a
// clock the test moves, and can stop and start it again on the same
// database.
type harness struct {
	t     *testing.T
	tg    *telegramtest.Server
	clock *staffbot.ManualClock
	cfg   config.Config
	ln    net.Listener

	// limits are the server's; zero takes the defaults.
	limits app.ServerLimits

	runningApp

	co *staffbot.Company
}

func newHarness(t *testing.T, op storetest.Opener, start time.Time) *harness {
	t.Helper()
	return newHarnessWith(t, op, start, nil)
}

// newHarnessWith is newHarness where tune may change the configuration
// and the server limits before the app first starts.
func newHarnessWith(t *testing.T, op storetest.Opener, start time.Time, tune func(h *harness)) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		tg:    telegramtest.NewServer(t),
		clock: staffbot.NewManualClock(start),
	}
	h.tg.AddBot(botToken, botUsername)

	dsn := op.DSN(t)
	if op.Name == "SQLite" {
		dsn = "sqlite://" + dsn
	}
	h.cfg = config.Config{
		Addr:           "127.0.0.1:0",
		DataDir:        t.TempDir(),
		DatabaseURL:    dsn,
		TelegramAPIURL: h.tg.URL(),
		TelegramMode:   "webhook",
		MasterKey:      hex.EncodeToString(storetest.TestKey),
		LogLevel:       "info",
		LogFormat:      "json",
	}
	if tune != nil {
		tune(h)
	}
	h.start()
	t.Cleanup(h.stop)

	co := &staffbot.Company{
		Slug: "acme", Name: "Акме", TimeZone: "Europe/Moscow",
		TelegramBotUsername: botUsername, TelegramToken: botToken, TelegramWebhookSecret: hookSecret,
	}
	if err := h.app.Store.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	h.co = co
	// The company appeared after start; connect its bot as a restart would.
	h.restart()
	return h
}

func testLogger() *slog.Logger {
	if os.Getenv("STAFFBOT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (h *harness) start() {
	h.t.Helper()
	h.startLogged(testLogger())
}

// startLogged is start with the app writing its log to logger.
func (h *harness) startLogged(logger *slog.Logger) {
	h.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	cfg := h.cfg
	cfg.BaseURL = "http://" + ln.Addr().String()

	h.runningApp = runApp(h.t, cfg, app.Options{Clock: h.clock, Logger: logger, Tick: 20 * time.Millisecond,
		ServerLimits: h.limits}, ln)
	h.ln = ln

	if h.co != nil {
		h.waitWebhook()
	}
}

// waitWebhook waits until the app has told the fake where to post updates.
func (h *harness) waitWebhook() {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if url, _ := h.tg.Webhook(botToken); url != "" && strings.Contains(url, h.ln.Addr().String()) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatal("webhook was never set")
}

func (h *harness) stop() { h.runningApp.stop(h.t) }

// runningApp is a staffbot serving on a listener until it is stopped;
// both end-to-end harnesses run theirs this way.
type runningApp struct {
	app    *app.App
	cancel context.CancelFunc
	done   chan error
}

// runApp opens a staffbot with cfg and serves it on ln.
func runApp(t *testing.T, cfg config.Config, opts app.Options, ln net.Listener) runningApp {
	t.Helper()
	a, err := app.Open(context.Background(), cfg, opts)
	if err != nil {
		ln.Close()
		t.Fatalf("app.Open: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	return runningApp{app: a, cancel: cancel, done: done}
}

// stop stops the app, waiting at most 15 s, and closes it.
func (r *runningApp) stop(t *testing.T) {
	if r.app == nil {
		return
	}
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("app did not stop")
	}
	r.app.Close()
	r.app = nil
}

func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

func (h *harness) store() *store.Store { return h.app.Store }

func (h *harness) mustEmployee(number, name string, hired staffbot.Date, manager, mentor *staffbot.Employee) *staffbot.Employee {
	h.t.Helper()
	return mustCreateEmployee(h.t, h.store(), h.co, h.clock.Now(), number, name, hired, manager, mentor)
}

func (h *harness) mustInvite(e *staffbot.Employee) string {
	h.t.Helper()
	return mustCreateInvite(h.t, h.store(), h.co, h.clock.Now(), e)
}

// push delivers an update to the app's webhook and fails the test unless
// the app accepted it.
func (h *harness) push(update []byte) {
	h.t.Helper()
	if err := h.tg.PushUpdate(botToken, update); err != nil {
		h.t.Fatalf("PushUpdate: %v", err)
	}
}

// waitSent waits until chat has received n messages in all and returns them.
func (h *harness) waitSent(chat int64, n int) []telegramtest.Message {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := h.tg.WaitSent(ctx, chat, n)
	if err != nil {
		got := h.tg.SentTo(chat)
		h.t.Fatalf("chat %d: waiting for %d messages, have %d: %v\n%s", chat, n, len(got), err, dump(got))
	}
	return msgs
}

// settle waits for the outbox to drain and then checks that chat has
// exactly n messages: nothing more is on its way.
func (h *harness) settle(chat int64, n int) []telegramtest.Message {
	h.t.Helper()
	h.waitSent(chat, n)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		depth, err := h.store().OutboxDepth(h.t.Context())
		if err != nil {
			h.t.Fatal(err)
		}
		if depth == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	got := h.tg.SentTo(chat)
	if len(got) != n {
		h.t.Fatalf("chat %d: %d messages, want exactly %d:\n%s", chat, len(got), n, dump(got))
	}
	return got
}

// advance moves the clock and runs what came due.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.clock.Advance(d)
	if err := h.app.RunDue(h.t.Context()); err != nil {
		h.t.Fatalf("RunDue: %v", err)
	}
}

// advanceTo moves the clock to t and runs what came due.
func (h *harness) advanceTo(t time.Time) {
	h.t.Helper()
	h.advance(t.Sub(h.clock.Now()))
}

func dump(msgs []telegramtest.Message) string {
	var b strings.Builder
	for i, m := range msgs {
		fmt.Fprintf(&b, "  [%d] ", i)
		b.WriteString(strings.ReplaceAll(m.Text, "\n", " ⏎ "))
		if m.ReplyMarkup != nil {
			for _, row := range m.ReplyMarkup.InlineKeyboard {
				for _, btn := range row {
					b.WriteString(" {" + btn.Text + "|" + btn.CallbackData + btn.URL + "}")
				}
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// buttonData finds the callback data of the button whose label contains
// label in message m.
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
	t.Fatalf("no button %q in message %q", label, m.Text)
	return ""
}

// drain waits until the outbox is empty and chat's message count has stood
// still for a moment, and returns everything chat received.
func (h *harness) drain(chat int64) []telegramtest.Message {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	last, stable := -1, 0
	for time.Now().Before(deadline) {
		depth, err := h.store().OutboxDepth(h.t.Context())
		if err != nil {
			h.t.Fatal(err)
		}
		n := len(h.tg.SentTo(chat))
		if depth == 0 && n == last {
			stable++
			if stable >= 5 {
				return h.tg.SentTo(chat)
			}
		} else {
			stable = 0
		}
		last = n
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("chat %d never settled", chat)
	return nil
}

// mustCreateEmployee adds an engineer of the company, with an optional
// manager and mentor; both harnesses use it.
func mustCreateEmployee(t *testing.T, st *store.Store, co *staffbot.Company, now time.Time, number, name string,
	hired staffbot.Date, manager, mentor *staffbot.Employee) *staffbot.Employee {
	t.Helper()
	e := &staffbot.Employee{
		CompanyID: co.ID, PersonnelNumber: number, FullName: name,
		Position: "Инженер", Department: "ИТ-отдел", Office: "Москва", HiredOn: hired,
	}
	if manager != nil {
		e.ManagerID = &manager.ID
	}
	if mentor != nil {
		e.MentorID = &mentor.ID
	}
	if err := st.CreateEmployee(t.Context(), e, now); err != nil {
		t.Fatalf("CreateEmployee: %v", err)
	}
	return e
}

// mustCreateInvite makes a fresh invite for e and returns its code.
func mustCreateInvite(t *testing.T, st *store.Store, co *staffbot.Company, now time.Time, e *staffbot.Employee) string {
	t.Helper()
	code := staffbot.NewInviteCode()
	_, err := st.CreateInvite(t.Context(), co.ID, e.ID, staffbot.HashInviteCode(code), now, staffbot.DefaultInviteTTL)
	if err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	return code
}
