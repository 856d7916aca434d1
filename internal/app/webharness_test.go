package app_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/browsertest"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// webHarness runs a whole staffbot for the web chat, with a clock the test
// moves. Unlike harness it keeps its address across restarts: a browser's
// session storage belongs to the origin, port included, so a reload after a
// restart must find the server where it was.
type webHarness struct {
	t     *testing.T
	clock *staffbot.ManualClock
	cfg   config.Config
	addr  string

	runningApp

	co *staffbot.Company
}

func newWebHarness(t *testing.T, op storetest.Opener, start time.Time) *webHarness {
	t.Helper()
	h := &webHarness{t: t, clock: staffbot.NewManualClock(start), addr: "127.0.0.1:0"}

	dsn := op.DSN(t)
	if op.Name == "SQLite" {
		dsn = "sqlite://" + dsn
	}
	h.cfg = config.Config{
		DataDir:     t.TempDir(),
		DatabaseURL: dsn,
		// No company has a bot token, so nothing ever calls this; it
		// points at loopback so that no default can reach Telegram.
		TelegramAPIURL: "http://127.0.0.1:1",
		TelegramMode:   "poll",
		MasterKey:      hex.EncodeToString(storetest.TestKey),
		LogLevel:       "info",
		LogFormat:      "json",
	}
	h.start()
	t.Cleanup(h.stop)

	co := &staffbot.Company{Slug: "acme", Name: "Акме", TimeZone: "Europe/Moscow"}
	if err := h.app.Store.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	h.co = co
	return h
}

func (h *webHarness) start() {
	h.t.Helper()
	ln := h.listen()
	h.addr = ln.Addr().String()
	cfg := h.cfg
	cfg.Addr = h.addr
	cfg.BaseURL = "http://" + h.addr

	h.runningApp = runApp(h.t, cfg, app.Options{Clock: h.clock, Logger: testLogger(), Tick: 20 * time.Millisecond}, ln)
}

// listen takes the harness's address again; the old listener may take a
// moment to let go of it.
func (h *webHarness) listen() net.Listener {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", h.addr)
		if err == nil {
			return ln
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			h.t.Fatalf("listen on %s: %v", h.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *webHarness) stop() { h.runningApp.stop(h.t) }

func (h *webHarness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

func (h *webHarness) store() *store.Store { return h.app.Store }

func (h *webHarness) url(path string) string { return "http://" + h.addr + path }

func (h *webHarness) mustEmployee(number, name string, hired staffbot.Date, manager, mentor *staffbot.Employee) *staffbot.Employee {
	h.t.Helper()
	return mustCreateEmployee(h.t, h.store(), h.co, h.clock.Now(), number, name, hired, manager, mentor)
}

func (h *webHarness) mustInvite(e *staffbot.Employee) string {
	h.t.Helper()
	return mustCreateInvite(h.t, h.store(), h.co, h.clock.Now(), e)
}

// advanceTo moves the clock to t and runs what came due.
func (h *webHarness) advanceTo(t time.Time) {
	h.t.Helper()
	h.clock.Set(t)
	if err := h.app.RunDue(h.t.Context()); err != nil {
		h.t.Fatalf("RunDue: %v", err)
	}
}

// waitOutbox waits until every queued message has been delivered.
func (h *webHarness) waitOutbox() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		depth, err := h.store().OutboxDepth(h.t.Context())
		if err != nil {
			h.t.Fatal(err)
		}
		if depth == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatal("the outbox never drained")
}

// ---- The browser ------------------------------------------------------

// newChromium starts one headless Chromium for the test, or skips the test
// when Chromium is missing and STAFFBOT_REQUIRE_BROWSER is unset. Tabs made
// with newTab share it.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	return browsertest.New(t,
		browsertest.Timeout(0),
		// A Russian phone: the page and the bot speak Russian.
		browsertest.Flag("lang", "ru-RU"),
		browsertest.Flag("accept-lang", "ru-RU,ru"),
		browsertest.WindowSize(390, 844),
	)
}

// tab is one person's browser: a tab in a browser context of its own, so
// with its own cookies and storage, and a record of its console errors.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu sync.Mutex
	// allowNet lets network errors of the chat's poll through while the
	// server is down on purpose.
	allowNet bool
	// notFound holds pages the test opened knowing they answer 404.
	notFound map[string]bool
	console  *browsertest.Console
}

func newTab(t *testing.T, browser context.Context, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open %s's tab: %v", name, err)
	}
	b := &tab{t: t, name: name, ctx: ctx, notFound: map[string]bool{}}
	b.console = browsertest.Watch(ctx, func(m chromedp.ConsoleMessage) bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return m.Source == "network" &&
			(b.allowNet && strings.Contains(m.URL, "/chat/api/messages") ||
				b.notFound[m.URL] && strings.Contains(m.Text, "404"))
	})
	return b
}

// consoleErrors returns the console errors the tab has seen.
func (b *tab) consoleErrors() []string {
	return b.console.Errors()
}

func (b *tab) expectServerDown(down bool) {
	if !down {
		// Errors of the outage may still be on their way.
		time.Sleep(300 * time.Millisecond)
	}
	b.mu.Lock()
	b.allowNet = down
	b.mu.Unlock()
}

// openNotFound opens a page that is meant to answer 404, which the
// browser logs as a failed load, and returns the page's status.
func (b *tab) openNotFound(url string) int64 {
	b.t.Helper()
	b.mu.Lock()
	b.notFound[url] = true
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		b.t.Fatalf("%s: open %s: %v", b.name, url, err)
	}
	return resp.Status
}

// join opens an invite link and presses its button: opening alone
// redeems nothing.
func (b *tab) join(url string) {
	b.t.Helper()
	b.do("open the invite link", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`#join`)))
	b.do("join", chromedp.Click(chromedp.CSS(`#join`), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.CSS(`#messages`)))
}

func (b *tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %s: %v\ntranscript:\n%s", b.name, step, err, b.dumpQuietly())
	}
}

func browserValue[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s: evaluate %s: %v", b.name, expr, err)
	}
	return v
}

// chatLine is one message as the chat page shows it.
type chatLine struct {
	Bot     bool     `json:"bot"`
	Key     string   `json:"key"`
	Text    string   `json:"text"`
	Buttons []string `json:"buttons"`
}

func (l chatLine) String() string {
	who := "user"
	if l.Bot {
		who = "bot"
	}
	s := fmt.Sprintf("%s#%s: %s", who, l.Key, strings.ReplaceAll(l.Text, "\n", " ⏎ "))
	if len(l.Buttons) > 0 {
		s += " {" + strings.Join(l.Buttons, "|") + "}"
	}
	return s
}

const transcriptJS = `Array.from(document.querySelectorAll('#messages > li'), li => ({
	bot: li.classList.contains('bot'),
	key: li.dataset.key || '',
	text: (li.querySelector('.bubble > span:not(.sr-only)') || {textContent: ''}).textContent,
	buttons: Array.from(li.querySelectorAll('.chips .chip'), c => c.textContent),
}))`

// transcript returns every message on the page, the bot's and the user's.
func (b *tab) transcript() []chatLine {
	b.t.Helper()
	return browserValue[[]chatLine](b, transcriptJS)
}

// botLines returns the bot's messages on the page.
func (b *tab) botLines() []chatLine {
	b.t.Helper()
	var out []chatLine
	for _, l := range b.transcript() {
		if l.Bot {
			out = append(out, l)
		}
	}
	return out
}

func (b *tab) dumpQuietly() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	lines, err := chromedp.Run(ctx, chromedp.Evaluate[[]chatLine](transcriptJS))
	if err != nil {
		return "  (unreadable: " + err.Error() + ")"
	}
	return dumpLines(lines)
}

func dumpLines(lines []chatLine) string {
	var s strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&s, "  [%d] %s\n", i, l)
	}
	return s.String()
}

// waitBot waits until the page shows at least n messages from the bot.
func (b *tab) waitBot(n int) []chatLine {
	b.t.Helper()
	expr := fmt.Sprintf(`document.querySelectorAll('#messages > li.bot').length >= %d`, n)
	b.do(fmt.Sprintf("wait for %d bot messages", n),
		chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(20*time.Second)))
	return b.botLines()
}

// waitBotText waits until a message of the bot contains want.
func (b *tab) waitBotText(want string) {
	b.t.Helper()
	expr := fmt.Sprintf(`Array.from(document.querySelectorAll('#messages > li.bot')).some(li => li.textContent.includes(%q))`, want)
	b.do("wait for "+want, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(20*time.Second)))
}

// settle waits until the outbox is empty and the page has stopped
// changing, and returns the bot's messages.
func (b *tab) settle(h *webHarness) []chatLine {
	b.t.Helper()
	h.waitOutbox()
	deadline := time.Now().Add(15 * time.Second)
	last, stable := -1, 0
	for time.Now().Before(deadline) {
		n := len(b.transcript())
		if n == last {
			stable++
			if stable >= 5 {
				return b.botLines()
			}
		} else {
			stable = 0
		}
		last = n
		time.Sleep(60 * time.Millisecond)
	}
	b.t.Fatalf("%s: the page never settled:\n%s", b.name, b.dumpQuietly())
	return nil
}

// press clicks the newest chip whose label contains label, with the mouse.
func (b *tab) press(label string) {
	b.t.Helper()
	sel := chromedp.JSPath(fmt.Sprintf(
		`Array.from(document.querySelectorAll('#messages > li.bot .chips button.chip')).filter(c => c.textContent.includes(%q)).slice(-1)`,
		label))
	b.do("press "+label, chromedp.Click(sel, chromedp.NodeVisible))
}

// typeText types a message into the composer and sends it with Enter.
func (b *tab) typeText(text string) {
	b.t.Helper()
	b.do("type "+text,
		chromedp.Click(chromedp.CSS(`#text`), chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.CSS(`#text`), text),
		chromedp.SendKeys(chromedp.CSS(`#text`), kb.Enter),
	)
}

func sameLines(a, b []chatLine) bool {
	return slices.EqualFunc(a, b, func(x, y chatLine) bool {
		return x.Bot == y.Bot && x.Key == y.Key && x.Text == y.Text && slices.Equal(x.Buttons, y.Buttons)
	})
}

func joinLines(lines []chatLine) string {
	var s strings.Builder
	for _, l := range lines {
		s.WriteString(l.Text)
		s.WriteString("\n")
	}
	return s.String()
}

func countContaining(lines []chatLine, part string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l.Text, part) {
			n++
		}
	}
	return n
}
