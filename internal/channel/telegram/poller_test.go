package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
)

// recorder collects handled updates and can fail the first calls.
type recorder struct {
	mu       sync.Mutex
	handled  []channel.Incoming
	failures int
	changed  chan struct{}
}

func newRecorder(failures int) *recorder {
	return &recorder{failures: failures, changed: make(chan struct{}, 100)}
}

func (r *recorder) handle(ctx context.Context, in channel.Incoming) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		return errors.New("store unavailable")
	}
	r.handled = append(r.handled, in)
	r.changed <- struct{}{}
	return nil
}

func (r *recorder) wait(t *testing.T, n int) []channel.Incoming {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		got := append([]channel.Incoming(nil), r.handled...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.changed:
		case <-timeout:
			t.Fatalf("handled %d updates, want %d", len(got), n)
		}
	}
}

func newTestPoller(srv *telegramtest.Server, rec *recorder, logs *bytes.Buffer) *telegram.Poller {
	var logger *slog.Logger
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	p := telegram.NewPoller(telegram.NewClient(srv.URL(), testToken, nil), 7, rec.handle, logger)
	p.PollTimeout = time.Second
	p.MinBackoff, p.MaxBackoff = 20*time.Millisecond, 80*time.Millisecond
	return p
}

// run starts p and returns a function that stops it and returns Run's error.
func run(t *testing.T, p *telegram.Poller) func() error {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Error("poller did not stop")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func TestPoller_HandlesInOrderAndAdvancesOffset(t *testing.T) {
	srv, _, _ := newFake(t)
	rec := newRecorder(0)
	stop := run(t, newTestPoller(srv, rec, nil))

	texts := []string{"/start", "Привет", "/vacation 14"}
	for _, text := range texts {
		if err := srv.PushUpdate(testToken, srv.TextUpdate(700000001, text)); err != nil {
			t.Fatalf("PushUpdate: %v", err)
		}
	}
	got := rec.wait(t, 3)
	for i, in := range got {
		if in.Text != texts[i] || in.CompanyID != 7 {
			t.Errorf("update %d = %q of company %d, want %q of 7", i, in.Text, in.CompanyID, texts[i])
		}
	}

	// The next getUpdates confirms the batch.
	deadline := time.Now().Add(5 * time.Second)
	for srv.Pending(testToken) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.Pending(testToken); n != 0 {
		t.Fatalf("%d updates still pending, want 0", n)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := len(rec.wait(t, 3)); n != 3 {
		t.Fatalf("handled %d updates, want each once", n)
	}
}

func TestPoller_RetriesFailedUpdate(t *testing.T) {
	srv, _, _ := newFake(t)
	rec := newRecorder(2)
	run(t, newTestPoller(srv, rec, nil))

	first, second := srv.TextUpdate(700000001, "один"), srv.TextUpdate(700000001, "два")
	srv.PushUpdate(testToken, first)
	srv.PushUpdate(testToken, second)

	got := rec.wait(t, 2)
	if got[0].Text != "один" || got[1].Text != "два" {
		t.Fatalf("handled %q, %q; want один, два in order", got[0].Text, got[1].Text)
	}
}

func TestPoller_SkipsMalformedUpdate(t *testing.T) {
	srv, _, _ := newFake(t)
	rec := newRecorder(0)
	run(t, newTestPoller(srv, rec, nil))

	srv.PushUpdate(testToken, []byte(`{"update_id": 5, "message": "not an object"}`))
	srv.PushUpdate(testToken, []byte(`{"update_id": 6, "message": {"message_id": 1, "from": {"id": 1, "is_bot": false,`+
		` "first_name": "A"}, "chat": {"id": 1, "type": "private"}, "date": 1, "text": "ok"}}`))
	if got := rec.wait(t, 1); got[0].UpdateKey != "6" {
		t.Fatalf("handled %q, want update 6", got[0].UpdateKey)
	}
}

// Case 14 (14-tg-409-conflict-two-pollers): on 409 the poller backs off
// instead of spinning, warns, and escalates to an error when the conflict
// lasts.
func TestPoller_Case14ConflictBacksOff(t *testing.T) {
	var c recorded
	mustReadJSON(t, "testdata/14-tg-409-conflict-two-pollers.json", &c)
	var body struct {
		Description string `json:"description"`
	}
	mustUnmarshal(t, c.Response.Body, &body)

	srv, _, _ := newFake(t)
	for range 100 {
		srv.FailNext("getUpdates", c.Response.HTTPStatus, body.Description, nil)
	}
	logs := &bytes.Buffer{}
	p := newTestPoller(srv, newRecorder(0), logs)
	p.ConflictAlertAfter = 150 * time.Millisecond
	stop := run(t, p)

	time.Sleep(500 * time.Millisecond)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// 20, 40, 80, 80… ms pauses allow about 8 calls in 500 ms; a hot loop
	// makes hundreds.
	if n := srv.Calls("getUpdates"); n < 3 || n > 12 {
		t.Fatalf("getUpdates called %d times in 500 ms, want a backoff of 3 to 12 calls", n)
	}
	out := logs.String()
	if !strings.Contains(out, `level=WARN msg="Telegram polling conflict"`) ||
		!strings.Contains(out, `level=ERROR msg="Telegram polling conflict"`) {
		t.Fatalf("want warnings escalating to an error, got:\n%s", out)
	}
	if strings.Contains(out, testToken) {
		t.Fatalf("log leaks the token:\n%s", out)
	}
}

// Case 14 with the leader lock: two pollers of one token, only the lock
// holder polls, so nothing conflicts and every update is handled once.
func TestPoller_Case14LockAllowsOnePoller(t *testing.T) {
	srv, _, _ := newFake(t)
	var leader sync.Mutex
	lock := func(ctx context.Context) (func(), error) {
		leader.Lock()
		return leader.Unlock, nil
	}

	rec := newRecorder(0)
	a, b := newTestPoller(srv, rec, nil), newTestPoller(srv, rec, nil)
	a.Lock, b.Lock = lock, lock
	stopA := run(t, a)
	time.Sleep(50 * time.Millisecond)
	run(t, b)

	srv.PushUpdate(testToken, srv.TextUpdate(700000001, "раз"))
	rec.wait(t, 1)
	if err := stopA(); err != nil { // b takes over
		t.Fatalf("Run: %v", err)
	}
	srv.PushUpdate(testToken, srv.TextUpdate(700000001, "два"))
	rec.wait(t, 2)
	time.Sleep(100 * time.Millisecond)
	if got := rec.wait(t, 2); len(got) != 2 || got[1].Text != "два" {
		t.Fatalf("handled %d updates, want раз and два once each", len(got))
	}
}

// Two pollers without a lock terminate each other's requests with 409, as
// Telegram does; the fake shows it.
func TestPoller_TwoPollersConflict(t *testing.T) {
	srv, _, _ := newFake(t)
	logs := &lockedBuffer{}
	a := newTestPoller(srv, newRecorder(0), nil)
	b := telegram.NewPoller(telegram.NewClient(srv.URL(), testToken, nil), 7, newRecorder(0).handle,
		slog.New(slog.NewTextHandler(logs, nil)))
	b.PollTimeout, b.MinBackoff, b.MaxBackoff = time.Second, 20*time.Millisecond, 80*time.Millisecond
	run(t, a)
	run(t, b)

	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(logs.String(), "terminated by other getUpdates request") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no 409 conflict between two pollers")
}

func TestPoller_WaitsRetryAfter(t *testing.T) {
	srv, _, _ := newFake(t)
	srv.RateLimitNext("getUpdates", 1)
	rec := newRecorder(0)
	start := time.Now()
	run(t, newTestPoller(srv, rec, nil))
	srv.PushUpdate(testToken, srv.TextUpdate(700000001, "после паузы"))

	rec.wait(t, 1)
	if d := time.Since(start); d < time.Second {
		t.Fatalf("update handled after %s, want the 1 s retry_after waited", d)
	}
}

func TestPoller_StopsOnBadToken(t *testing.T) {
	srv, _, _ := newFake(t)
	p := telegram.NewPoller(telegram.NewClient(srv.URL(), "1:wrong", nil), 7, newRecorder(0).handle, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := p.Run(ctx); !errors.Is(err, telegram.ErrUnauthorized) {
		t.Fatalf("Run = %v, want ErrUnauthorized", err)
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
