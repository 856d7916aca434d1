package telegram_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/channel/telegram"
)

const testSecret = "stfb_test_secret_0001"

// webhookEnv is a webhook handler behind a mux, with the updates it passed
// on and its log.
type webhookEnv struct {
	mux  *http.ServeMux
	logs *bytes.Buffer

	mu      sync.Mutex
	handled []channel.Incoming
	fail    error
	lookups int
}

func newWebhookEnv(t *testing.T) *webhookEnv {
	t.Helper()
	return newWebhookEnvWith(t, nil)
}

// newWebhookEnvWith lets tune set the handler's limits before it serves.
func newWebhookEnvWith(t testing.TB, tune func(h *telegram.WebhookHandler)) *webhookEnv {
	t.Helper()
	env := &webhookEnv{mux: http.NewServeMux(), logs: &bytes.Buffer{}}
	lookup := func(ctx context.Context, slug string) (*staffbot.Company, error) {
		env.mu.Lock()
		env.lookups++
		env.mu.Unlock()
		if slug == "nosecret" {
			return &staffbot.Company{ID: 8, Slug: "nosecret", TelegramToken: testToken}, nil
		}
		if slug != "acme" {
			return nil, fmt.Errorf("find company %q: %w", slug, staffbot.ErrNotFound)
		}
		return &staffbot.Company{ID: 7, Slug: "acme", TelegramToken: testToken, TelegramWebhookSecret: testSecret}, nil
	}
	handle := func(ctx context.Context, in channel.Incoming) error {
		env.mu.Lock()
		defer env.mu.Unlock()
		if env.fail != nil {
			return env.fail
		}
		env.handled = append(env.handled, in)
		return nil
	}
	logger := slog.New(slog.NewTextHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := telegram.NewWebhookHandler(lookup, handle, logger)
	if tune != nil {
		tune(h)
	}
	env.mux.Handle("POST /telegram/webhook/{slug}", h)
	return env
}

func (env *webhookEnv) post(path, secret, body string) int {
	return env.postFrom("192.0.2.1:443", path, secret, body).Code
}

// postFrom delivers from the given client address.
func (env *webhookEnv) postFrom(addr, path, secret, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.RemoteAddr = addr
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(telegram.SecretHeader, secret)
	}
	rec := httptest.NewRecorder()
	env.mux.ServeHTTP(rec, req)
	return rec
}

func (env *webhookEnv) handledCount() int {
	env.mu.Lock()
	defer env.mu.Unlock()
	return len(env.handled)
}

func TestWebhookHandler(t *testing.T) {
	const update = `{"update_id": 42, "message": {"message_id": 1, "from": {"id": 700000001, "is_bot": false,` +
		` "first_name": "Анна"}, "chat": {"id": 700000001, "type": "private"}, "date": 1733300300, "text": "Привет"}}`
	tests := []struct {
		name, path, secret, body string
		want                     int
		handled                  int
	}{
		{"OK", "/telegram/webhook/acme", testSecret, update, 200, 1},
		{"NoSecret", "/telegram/webhook/acme", "", update, 403, 0},
		{"WrongSecret", "/telegram/webhook/acme", "stfb_test_secret_0002", update, 403, 0},
		{"SecretPrefix", "/telegram/webhook/acme", testSecret[:10], update, 403, 0},
		{"MalformedBody", "/telegram/webhook/acme", testSecret, `{"update_id": 42, "message":`, 200, 0},
		{"UnknownSlug", "/telegram/webhook/other", testSecret, update, 403, 0},
		{"TooLarge", "/telegram/webhook/acme", testSecret, `{"x":"` + strings.Repeat("a", 1<<20) + `"}`, 413, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newWebhookEnv(t)
			if got := env.post(tt.path, tt.secret, tt.body); got != tt.want {
				t.Fatalf("status = %d, want %d", got, tt.want)
			}
			if got := env.handledCount(); got != tt.handled {
				t.Fatalf("handled %d updates, want %d", got, tt.handled)
			}
			if strings.Contains(env.logs.String(), "Привет") || strings.Contains(env.logs.String(), "Анна") {
				t.Errorf("log holds message text or names: %s", env.logs)
			}
		})
	}
}

func TestWebhookHandler_SetsCompany(t *testing.T) {
	env := newWebhookEnv(t)
	body := `{"update_id": 42, "callback_query": {"id": "q", "from": {"id": 1, "is_bot": false, "first_name": "A"}, "data": "d"}}`
	if got := env.post("/telegram/webhook/acme", testSecret, body); got != 200 {
		t.Fatalf("status = %d, want 200", got)
	}
	in := env.handled[0]
	if in.CompanyID != 7 || in.UpdateKey != "42" || in.Kind != channel.KindButton || in.ReceivedAt.IsZero() {
		t.Fatalf("incoming = %+v, want company 7, key 42, a button and a time", in)
	}
}

func TestWebhookHandler_HandleErrorIs500(t *testing.T) {
	env := newWebhookEnv(t)
	env.fail = errors.New("database is locked")
	body := `{"update_id": 43, "message": {"message_id": 1, "from": {"id": 1, "is_bot": false, "first_name": "A"},` +
		` "chat": {"id": 1, "type": "private"}, "date": 1, "text": "x"}}`
	if got := env.post("/telegram/webhook/acme", testSecret, body); got != 500 {
		t.Fatalf("status = %d, want 500 so that Telegram redelivers", got)
	}
}

// Case 13 (13-tg-webhook-forged-no-secret): both forged requests, without
// the header and with a wrong secret, get 403, run nothing and are logged
// with the slug only.
func TestWebhookHandler_Case13Forged(t *testing.T) {
	reqs := readHTTPCase(t, "testdata/13-tg-webhook-forged-no-secret.http")
	if len(reqs) != 2 {
		t.Fatalf("case has %d requests, want 2", len(reqs))
	}
	env := newWebhookEnv(t)
	for i, r := range reqs {
		if got := env.post("/telegram/webhook/acme", r.header[telegram.SecretHeader], r.body); got != 403 {
			t.Errorf("request %d: status = %d, want 403", i, got)
		}
	}
	if n := env.handledCount(); n != 0 {
		t.Fatalf("handled %d forged updates, want 0", n)
	}

	logs := env.logs.String()
	if strings.Count(logs, "level=WARN msg=\"Webhook rejected\" slug=acme") != 2 {
		t.Errorf("want two warnings with the slug, got:\n%s", logs)
	}
	for _, secret := range []string{"stfb_test_secret_0002", testSecret, "export_salaries", "HR-admin", "700000777"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds %q:\n%s", secret, logs)
		}
	}
}

// TestWebhookHandler_UnknownCompanyLooksLikeWrongSecret: a delivery for a
// company that does not exist gets, byte for byte, the answer of a known
// company's delivery with a wrong or missing secret, so probing the
// address tells nobody which companies are there. Both go through the
// lookup and a secret comparison (BenchmarkWebhookHandler_Refusals
// compares their cost).
func TestWebhookHandler_UnknownCompanyLooksLikeWrongSecret(t *testing.T) {
	const body = `{"update_id": 1, "message": {"message_id": 1, "chat": {"id": 1, "type": "private"}, "date": 1, "text": "x"}}`
	env := newWebhookEnv(t)
	answer := func(path, secret string) string {
		rec := env.postFrom("192.0.2.1:443", path, secret, body)
		rec.Header().Del("Date")
		var b strings.Builder
		rec.Header().Write(&b)
		return fmt.Sprintf("%d\n%s\n%s", rec.Code, b.String(), rec.Body.String())
	}
	want := answer("/telegram/webhook/acme", "stfb_test_secret_0002")
	if !strings.HasPrefix(want, "403\n") {
		t.Fatalf("wrong secret: %s", want)
	}
	for _, c := range []struct{ name, path, secret string }{
		{"unknown company, the real secret", "/telegram/webhook/other", testSecret},
		{"unknown company, no secret", "/telegram/webhook/other", ""},
		{"unknown company, a long slug", "/telegram/webhook/" + strings.Repeat("x", 200), "stfb_test_secret_0002"},
		{"known company, no secret", "/telegram/webhook/acme", ""},
		{"company without a webhook secret", "/telegram/webhook/nosecret", ""},
	} {
		if got := answer(c.path, c.secret); got != want {
			t.Errorf("%s:\n%s\nwant the wrong-secret answer:\n%s", c.name, got, want)
		}
	}
	if env.lookups != 6 {
		t.Errorf("lookups = %d, want one per delivery (6)", env.lookups)
	}
	if n := env.handledCount(); n != 0 {
		t.Errorf("handled %d deliveries, want 0", n)
	}
}

// TestWebhookHandler_RateLimits: an address that keeps failing is turned
// away before any lookup, while Telegram's own address delivers a
// backlog of 1,500 updates over 40 connections at the same instant and
// every one is taken; a configured lower limit answers 429 with
// Retry-After past its burst and lets the next second through.
func TestWebhookHandler_RateLimits(t *testing.T) {
	t.Run("FloodAndForger", func(t *testing.T) {
		clock := staffbot.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		env := newWebhookEnvWith(t, func(h *telegram.WebhookHandler) { h.Clock = clock })
		const forger, tg = "203.0.113.9:5000", "149.154.167.220:443"

		var wg sync.WaitGroup
		var refused, taken, other atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				switch env.postFrom(forger, "/telegram/webhook/acme", "guess", "{}").Code {
				case http.StatusTooManyRequests:
					refused.Add(1)
				case http.StatusForbidden:
				default:
					other.Add(1)
				}
			}
		}()
		const updates, conns = 1500, 40
		next := make(chan int)
		for range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range next {
					body := fmt.Sprintf(`{"update_id": %d, "message": {"message_id": %d, "from": {"id": 1, "is_bot": false, "first_name": "A"},`+
						` "chat": {"id": 1, "type": "private"}, "date": 1, "text": "x"}}`, id, id)
					if env.postFrom(tg, "/telegram/webhook/acme", testSecret, body).Code == http.StatusOK {
						taken.Add(1)
					} else {
						other.Add(1)
					}
				}
			}()
		}
		for id := range updates {
			next <- id + 1
		}
		close(next)
		wg.Wait()

		if taken.Load() != updates || env.handledCount() != updates {
			t.Errorf("Telegram's flood: %d of %d answered 200, %d handled", taken.Load(), updates, env.handledCount())
		}
		if refused.Load() != 200-telegram.RefusedPerMinute || other.Load() != 0 {
			t.Errorf("forger: %d answered 429 (want %d), %d unexpected answers", refused.Load(), 200-telegram.RefusedPerMinute, other.Load())
		}
		if env.lookups != updates+telegram.RefusedPerMinute {
			t.Errorf("lookups = %d, want %d: none for a forger past its refusals", env.lookups, updates+telegram.RefusedPerMinute)
		}
		// The forger's address gets its refusals back with time.
		clock.Advance(time.Minute)
		if code := env.postFrom(forger, "/telegram/webhook/acme", "guess", "{}").Code; code != http.StatusForbidden {
			t.Errorf("forger a minute later: %d, want 403", code)
		}
	})

	t.Run("ConfiguredLimit", func(t *testing.T) {
		clock := staffbot.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		env := newWebhookEnvWith(t, func(h *telegram.WebhookHandler) { h.Clock, h.Limit = clock, 10 })
		const body = `{"update_id": 1, "message": {"message_id": 1, "chat": {"id": 1, "type": "private"}, "date": 1, "text": "x"}}`
		for i := range 100 {
			if code := env.postFrom("149.154.167.220:443", "/telegram/webhook/acme", testSecret, body).Code; code != http.StatusOK {
				t.Fatalf("delivery %d of the burst: %d", i+1, code)
			}
		}
		rec := env.postFrom("149.154.167.220:443", "/telegram/webhook/acme", testSecret, body)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
			t.Fatalf("past the burst: %d, Retry-After %q; want 429, 1", rec.Code, rec.Header().Get("Retry-After"))
		}
		if code := env.postFrom("149.154.167.221:443", "/telegram/webhook/acme", testSecret, body).Code; code != http.StatusOK {
			t.Errorf("another address: %d, want 200", code)
		}
		clock.Advance(time.Second)
		for i := range 10 {
			if code := env.postFrom("149.154.167.220:443", "/telegram/webhook/acme", testSecret, body).Code; code != http.StatusOK {
				t.Fatalf("delivery %d of the next second: %d", i+1, code)
			}
		}
	})
}

// BenchmarkWebhookHandler_Refusals measures a refused delivery for an
// unknown company and for a known company with a wrong secret; the two
// should cost about the same.
func BenchmarkWebhookHandler_Refusals(b *testing.B) {
	for _, c := range []struct{ name, path string }{
		{"UnknownCompany", "/telegram/webhook/other"},
		{"WrongSecret", "/telegram/webhook/acme"},
	} {
		b.Run(c.name, func(b *testing.B) {
			env := newWebhookEnvWith(b, func(h *telegram.WebhookHandler) { h.Limit = -1 })
			for i := 0; b.Loop(); i++ {
				// A new address each time, so the refusal limit never
				// answers first.
				env.postFrom(fmt.Sprintf("10.%d.%d.%d:1", i>>16&255, i>>8&255, i&255), c.path, "stfb_test_secret_0002", "{}")
			}
		})
	}
}

type httpCase struct {
	header map[string]string
	body   string
}

// readHTTPCase reads the requests of a .http case file: a request line,
// headers, a blank line and a one-line body; "#" lines are comments.
func readHTTPCase(t *testing.T, name string) []httpCase {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()

	var out []httpCase
	var cur *httpCase
	inBody := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "POST "):
			out = append(out, httpCase{header: map[string]string{}})
			cur, inBody = &out[len(out)-1], false
		case cur == nil:
		case line == "":
			inBody = true
		case inBody:
			cur.body += line
		default:
			k, v, _ := strings.Cut(line, ":")
			cur.header[http.CanonicalHeaderKey(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// Case 12 through the fake: Telegram's redelivery of the same update over
// the webhook reaches handle with the same UpdateKey, so the caller's
// duplicate guard can drop it and acknowledge it with 200.
func TestWebhookHandler_Case12Redelivery(t *testing.T) {
	srv, _, _ := newFake(t)
	env := newWebhookEnv(t)
	seen := map[string]bool{}
	var mu sync.Mutex
	env.mux = http.NewServeMux()
	env.mux.Handle("POST /telegram/webhook/{slug}", telegram.NewWebhookHandler(
		func(ctx context.Context, slug string) (*staffbot.Company, error) {
			return &staffbot.Company{ID: 7, TelegramWebhookSecret: testSecret}, nil
		},
		func(ctx context.Context, in channel.Incoming) error {
			mu.Lock()
			defer mu.Unlock()
			if !seen[in.UpdateKey] {
				seen[in.UpdateKey] = true
				env.handled = append(env.handled, in)
			}
			return nil
		}, nil))
	hs := httptest.NewServer(env.mux)
	t.Cleanup(hs.Close)

	client := telegram.NewClient(srv.URL(), testToken, nil)
	if err := client.SetWebhook(t.Context(), hs.URL+"/telegram/webhook/acme", testSecret, nil); err != nil {
		t.Fatalf("SetWebhook: %v", err)
	}
	upd := srv.TextUpdate(700000001, "/vacation 2025-01-13 14")
	for range 2 {
		if err := srv.PushUpdate(testToken, upd); err != nil {
			t.Fatalf("PushUpdate: %v", err)
		}
	}
	if err := srv.PushUpdate(testToken, srv.TextUpdate(700000001, "Спасибо")); err != nil {
		t.Fatalf("PushUpdate: %v", err)
	}
	if n := env.handledCount(); n != 2 {
		t.Fatalf("handled %d updates, want 2", n)
	}
}
