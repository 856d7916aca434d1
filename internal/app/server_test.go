package app_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestServer_LimitsKeepStreamsAndCutSlowBodies runs the whole app with
// read and write timeouts far shorter than its waits: the cabinet's event
// stream of the ticket queue, opened by a signed-in operator, stays open
// past both and delivers the event of a ticket an employee opens in
// Telegram later; meanwhile a client trickling the body of a web chat form
// is cut off.
func TestServer_LimitsKeepStreamsAndCutSlowBodies(t *testing.T) {
	h := newHarnessWith(t, storetest.Openers()[0], time.Date(2026, 3, 4, 10, 0, 0, 0, moscow), func(h *harness) {
		h.limits = app.ServerLimits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond}
	})
	base := "http://" + h.ln.Addr().String()
	emp := h.mustEmployee("00601", "Орлова Мария Игоревна", staffbot.Date{Year: 2024, Month: 2, Day: 5}, nil, nil)
	const chat = 4601
	h.caseRegister(chat, emp)

	svc := auth.New(h.store(), h.clock, auth.Options{Logger: testLogger(), Argon2: fastArgon})
	const email, password = "operator@acme.ru", "operator password 1"
	if _, _, err := svc.CreateUser(t.Context(), nil, h.co.ID, auth.NewUser{Email: email, Role: auth.RoleHROperator, Password: password}); err != nil {
		t.Fatal(err)
	}
	g, err := svc.Login(t.Context(), h.co.ID, email, password, "127.0.0.1")
	if err != nil || g.Session.Stage != auth.StageFull {
		t.Fatalf("Login: %v, %v", g, err)
	}

	req, _ := http.NewRequestWithContext(t.Context(), "GET", base+"/hr/tickets/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.AddCookie(&http.Cookie{Name: "staffbot_session", Value: g.Token})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	// Wait past every timeout with the stream idle.
	time.Sleep(1 * time.Second)

	// A slow client meanwhile.
	if sent, total := trickleForm(t, h.ln.Addr().String(), "/chat/join"); sent >= total {
		t.Errorf("the server took all %d bytes of a trickled body", total)
	}

	h.hdOpenTicket(chat, "Не пришла премия за февраль", "Зарплата")
	deadline := time.After(15 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended before the ticket's event")
			}
			if line == "event: changed" {
				return
			}
		case <-deadline:
			t.Fatal("no event for the new ticket")
		}
	}
}

// trickleForm posts a form body to path a byte every 50 ms and returns how
// many bytes went before the server answered or closed the connection,
// and how many the body had.
func trickleForm(t *testing.T, addr, path string) (sent, total int) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	total = 100
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", path, addr, total)
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, conn)
		close(done)
	}()
	for sent < total {
		select {
		case <-done:
			return sent, total
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := conn.Write([]byte("c")); err != nil {
			return sent, total
		}
		sent++
	}
	return sent, total
}

// TestServer_WebhookUnknownCompanyAnswersAsWrongSecret: through the whole
// app, a delivery for a company that does not exist gets the answer of a
// delivery with a wrong secret.
func TestServer_WebhookUnknownCompanyAnswersAsWrongSecret(t *testing.T) {
	h := newHarness(t, storetest.Openers()[0], time.Date(2026, 3, 4, 10, 0, 0, 0, moscow))
	base := "http://" + h.ln.Addr().String()
	post := func(slug, secret string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/telegram/webhook/"+slug, strings.NewReader(`{"update_id": 1}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(telegram.SecretHeader, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	want := post("acme", "wrong")
	if !strings.HasPrefix(want, "403 ") {
		t.Fatalf("wrong secret: %s", want)
	}
	for _, slug := range []string{"nobody", "acme2", "ACME"} {
		if got := post(slug, hookSecret); got != want {
			t.Errorf("unknown company %q: %s, want %s", slug, got, want)
		}
	}
}

// TestServer_TrustedProxies: behind a proxy the operator trusts, the
// cabinet's sign-in failures are audited and throttled under the address
// in X-Forwarded-For; a client that is not a trusted proxy cannot choose
// its address with the same header.
func TestServer_TrustedProxies(t *testing.T) {
	for _, c := range []struct {
		name, trusted, wantIP string
	}{
		{"Trusted", "127.0.0.0/8", "198.51.100.23"},
		{"NotTrusted", "", "127.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarnessWith(t, storetest.Openers()[0], time.Date(2026, 3, 4, 10, 0, 0, 0, moscow), func(h *harness) {
				h.cfg.TrustedProxies = c.trusted
			})
			base := "http://" + h.ln.Addr().String()

			// The sign-in form with its pre-session token.
			resp, err := http.Get(base + "/hr/login?company=acme")
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			_, rest, _ := strings.Cut(string(page), `name="csrf" value="`)
			csrf, _, _ := strings.Cut(rest, `"`)
			if csrf == "" {
				t.Fatalf("no CSRF token on the sign-in page")
			}
			form := url.Values{"company": {"acme"}, "email": {"hr@acme.ru"}, "password": {"wrong password"}, "csrf": {csrf}}
			req, _ := http.NewRequest("POST", base+"/hr/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", base)
			req.Header.Set("X-Forwarded-For", "10.1.1.1, 198.51.100.23")
			for _, ck := range resp.Cookies() {
				req.AddCookie(ck)
			}
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d, want 401", resp.StatusCode)
			}

			recs, err := h.store().FindAudit(t.Context(), h.co.ID, store.AuditFilter{Action: auth.AuditLoginFailed})
			if err != nil || len(recs) != 1 {
				t.Fatalf("login_fail records: %d, %v", len(recs), err)
			}
			if recs[0].Actor.IP != c.wantIP {
				t.Errorf("audited address = %q, want %q", recs[0].Actor.IP, c.wantIP)
			}
			counters, err := h.store().FindLoginCounters(t.Context(), h.co.ID,
				store.LoginSubject{Scope: store.ThrottleClient, Client: c.wantIP + "/32"})
			if err != nil || len(counters) != 1 {
				t.Errorf("failures counted for %s: %+v, %v", c.wantIP, counters, err)
			}
		})
	}
}
