package app_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestServer_LimitsKeepStreamsAndCutSlowBodies runs the whole app with
// read and write timeouts far shorter than its waits: the cabinet's event
// stream of the ticket queue, opened by a signed-in operator, stays open
// past both and delivers the event of a ticket an employee opens in
// Telegram later; meanwhile a client trickling the body of a web chat form
// is cut off.
func TestServer_LimitsKeepStreamsAndCutSlowBodies(t *testing.T) {
	limits := app.ServerLimits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond}
	h := newHarnessWith(t, storetest.Openers()[0], time.Date(2026, 3, 4, 10, 0, 0, 0, moscow), limits)
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
