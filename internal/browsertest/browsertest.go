// Package browsertest starts headless Chromium for tests the one way all
// our browser tests do: Debian's /usr/bin/chromium, a fresh profile, no
// network chatter of its own, and a record of the page's console errors.
// Only tests import it.
package browsertest

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where the tests look for Chromium.
const ChromiumPath = "/usr/bin/chromium"

// EnvRequire names the variable that turns a missing Chromium from a
// skipped test into a failed one.
const EnvRequire = "STAFFBOT_REQUIRE_BROWSER"

// Require skips the test when Chromium is missing, or fails it when
// STAFFBOT_REQUIRE_BROWSER is set. New calls it; tests call it first
// themselves to skip before building their fixtures.
func Require(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		if os.Getenv(EnvRequire) == "" {
			t.Skip(ChromiumPath + " is missing; install Debian's chromium or set " + EnvRequire + " to fail instead")
		}
		t.Fatalf("%s is set but %s is missing", EnvRequire, ChromiumPath)
	}
}

type config struct {
	width, height int
	timeout       time.Duration
	flags         []chromedp.ExecAllocatorOption
}

// An Option changes how New starts Chromium.
type Option func(*config)

// WindowSize sets the window's size; the default is a phone's 390×844.
func WindowSize(width, height int) Option {
	return func(c *config) { c.width, c.height = width, height }
}

// Timeout bounds the whole browser context; the default is 60 seconds and
// 0 means no bound.
func Timeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// Flag passes one more command-line flag to Chromium.
func Flag(name string, value any) Option {
	return func(c *config) { c.flags = append(c.flags, chromedp.Flag(name, value)) }
}

// New starts one headless Chromium with a fresh profile in a temporary
// directory, or skips the test as Require does, and returns a context of
// its first tab. The browser stops when the test ends.
func New(t testing.TB, opts ...Option) context.Context {
	t.Helper()
	Require(t)
	c := config{width: 390, height: 844, timeout: 60 * time.Second}
	for _, o := range opts {
		o(&c)
	}
	flags := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(ChromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	)
	flags = append(flags, c.flags...)
	flags = append(flags, chromedp.WindowSize(c.width, c.height))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	cancelTimeout := context.CancelFunc(func() {})
	if c.timeout > 0 {
		ctx, cancelTimeout = context.WithTimeout(ctx, c.timeout)
	}
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Console collects a tab's console errors, uncaught exceptions and browser
// log errors (failed loads, CSP violations).
type Console struct {
	mu   sync.Mutex
	seen []string
}

// Watch starts collecting the errors of the tab in ctx. A message for
// which one of the ignore functions reports true is left out.
func Watch(ctx context.Context, ignore ...func(chromedp.ConsoleMessage) bool) *Console {
	c := &Console{}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && !m.IsException() {
				continue
			}
			if slices.ContainsFunc(ignore, func(f func(chromedp.ConsoleMessage) bool) bool { return f(m) }) {
				continue
			}
			c.mu.Lock()
			c.seen = append(c.seen, m.String()+" at "+m.URL)
			c.mu.Unlock()
		}
	}()
	return c
}

// Errors returns the errors seen so far, each as the message and the
// page's address.
func (c *Console) Errors() []string {
	// Messages arrive on another goroutine; give the last ones a moment.
	time.Sleep(300 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.seen)
}
