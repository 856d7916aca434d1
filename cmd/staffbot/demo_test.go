package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot/internal/demo"
)

// TestDemo_Smoke runs the demo as a user would, twice on the same data:
// it prints a web link for the newcomer, serves the health, readiness and
// metrics endpoints, lets the newcomer in, stops cleanly when cancelled,
// and the second start finds the demo company instead of making another.
func TestDemo_Smoke(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		first := startDemo(t)
		if !strings.Contains(first.out(), "Demo company") || !strings.Contains(first.out(), "created") {
			t.Errorf("first start does not say it created the demo company:\n%s", first.out())
		}
		// The cabinet's sign-in form asks for the company code.
		for _, want := range []string{"company code " + demo.Slug + ", hr@demo.local (an HR manager)", "one-time password ",
			"staffbot admin create --company " + demo.Slug + " --email you@example.com --role owner"} {
			if !strings.Contains(first.out(), want) {
				t.Errorf("demo output lacks %q:\n%s", want, first.out())
			}
		}
		join := first.link(t, "Newcomer")
		first.link(t, "mentor")

		for _, path := range []string{"/healthz", "/readyz"} {
			if code, body := httpGet(t, first.base+path); code != http.StatusOK {
				t.Errorf("GET %s = %d %q, want 200", path, code, body)
			}
		}

		// The newcomer's link opens her chat.
		noRedirect := &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		open := func(method, userAgent string) *http.Response {
			t.Helper()
			req, err := http.NewRequest(method, join, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("User-Agent", userAgent)
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}

		// Opening the link, as a messenger's preview or as a browser,
		// shows a button and uses up nothing; the button's POST lets her
		// in.
		const browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
		for _, ua := range []string{"TelegramBot (like TwitterBot)", browser} {
			if resp := open(http.MethodGet, ua); resp.StatusCode != http.StatusOK || len(resp.Cookies()) != 0 {
				t.Errorf("GET the link as %q: %d with %d cookie(s); want the page with the button and no session",
					ua, resp.StatusCode, len(resp.Cookies()))
			}
		}
		resp := open(http.MethodPost, browser)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/chat" || len(resp.Cookies()) == 0 {
			t.Errorf("POST the newcomer's link: %d to %q with %d cookie(s); want 303 to /chat with a session",
				resp.StatusCode, resp.Header.Get("Location"), len(resp.Cookies()))
		}

		_, metrics := httpGet(t, first.base+"/metrics")
		for _, want := range []string{`staffbot_messages_in_total{channel="webchat"} 1`, "staffbot_outbox_depth"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}

		invites, err := os.Stat(filepath.Join(c.dataDir, "demo-invites.tsv"))
		if err != nil || invites.Mode().Perm() != 0o600 {
			t.Errorf("demo-invites.tsv: %v, %v; want a file only its owner reads", invites, err)
		}
		// Let the welcome be delivered before stopping: a stop in the
		// middle of a delivery is logged as a failure (see the report).
		waitOutboxEmpty(t, c)
		first.stop(t)
		employees := len(c.employees(demo.Slug))

		second := startDemo(t)
		if strings.Contains(second.out(), "created") {
			t.Errorf("second start created the company again:\n%s", second.out())
		}
		second.link(t, "mentor")
		if code, _ := httpGet(t, second.base+"/readyz"); code != http.StatusOK {
			t.Errorf("second start: /readyz = %d", code)
		}
		second.stop(t)

		list := c.mustRun("company", "list").stdout
		if n := regexp.MustCompile(`(?m)^demo\s`).FindAllStringIndex(list, -1); len(n) != 1 {
			t.Errorf("company list shows the demo company %d times:\n%s", len(n), list)
		}
		if n := len(c.employees(demo.Slug)); n != employees {
			t.Errorf("demo staff: %d employees after the second start, %d after the first", n, employees)
		}
	})
}

type demoRun struct {
	base   string
	stdout *lockedBuffer
	stderr *lockedBuffer
	cancel context.CancelFunc
	done   chan int
}

func (d *demoRun) out() string { return d.stdout.String() }

// startDemo runs "staffbot demo" on a free loopback port until stop, and
// waits until it serves.
func startDemo(t *testing.T) *demoRun {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	d := &demoRun{base: "http://" + addr, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() { d.done <- run(ctx, []string{"demo", "--addr", addr}, d.stdout, d.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-d.done:
		case <-time.After(20 * time.Second):
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-d.done:
			t.Fatalf("demo exited with %d before serving:\nstdout:\n%s\nstderr:\n%s", code, d.stdout, d.stderr)
		default:
		}
		if strings.Contains(d.out(), "Press Ctrl+C") {
			resp, err := http.Get(d.base + "/healthz")
			if err == nil {
				resp.Body.Close()
				return d
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("demo never served:\nstdout:\n%s\nstderr:\n%s", d.stdout, d.stderr)
	return nil
}

// link returns the web link printed below the line that mentions who.
func (d *demoRun) link(t *testing.T, who string) string {
	t.Helper()
	lines := strings.Split(d.out(), "\n")
	for i, l := range lines {
		if strings.Contains(l, who) && i+1 < len(lines) {
			link := strings.TrimSpace(lines[i+1])
			if strings.HasPrefix(link, d.base+"/join/") {
				return link
			}
		}
	}
	t.Fatalf("demo printed no %s/join/ link for %s:\n%s", d.base, who, d.out())
	return ""
}

func (d *demoRun) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case code := <-d.done:
		d.done <- code // for the cleanup
		if code != 0 {
			t.Errorf("demo exited with %d after cancel:\n%s", code, d.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("demo did not stop when cancelled")
	}
	if strings.Contains(d.stderr.String(), "level=ERROR") {
		t.Errorf("demo logged errors:\n%s", d.stderr)
	}
}

func waitOutboxEmpty(t *testing.T, c *cli) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, err := c.store().OutboxDepth(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the demo never delivered its messages")
}

// freeAddr returns a loopback address with a port nobody listens on now.
// The demo prints links with the port it was given, so port 0 will not do.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}
