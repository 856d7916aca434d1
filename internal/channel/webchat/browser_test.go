package webchat

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/staffbot/staffbot/internal/browsertest"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestBrowser_Conversation drives the page in headless Chromium: open the
// invite link (which redeems nothing), press its button to join, read the
// bot's greeting, press a chip, type a message and see the echo arrive
// without a reload.
func TestBrowser_Conversation(t *testing.T) {
	browsertest.Require(t)

	f := newFixture(t, storetest.MustOpen(t, storetest.SQLiteDSN(t)), true)
	srv := httptest.NewServer(f.register())
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t)
	problems := browsertest.Watch(ctx).Errors

	do(t, ctx, "open the link",
		chromedp.Navigate(srv.URL+"/join/"+f.code),
		chromedp.WaitVisible(chromedp.CSS(`#join`)),
	)
	if state := value[string](t, ctx, `document.body.dataset.state`); state != "confirm" {
		t.Errorf("the link's page is %q, want the confirm page", state)
	}
	if n := len(f.bot.received()); n != 0 {
		t.Fatalf("opening the link reached the bot %d times, want 0", n)
	}
	do(t, ctx, "reload the link", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#join`)))
	if n := len(f.bot.received()); n != 0 {
		t.Fatalf("reloading the link reached the bot %d times, want 0", n)
	}
	if got := text(t, ctx, `#join`); got != "Открыть чат" {
		t.Errorf("button = %q, want Открыть чат", got)
	}

	do(t, ctx, "greeting",
		chromedp.Click(chromedp.CSS(`#join`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`li.msg.bot .bubble strong`)),
		eval[bool](t, `(window.__noReload = true)`),
	)
	if got := text(t, ctx, `li.msg.bot .bubble strong`); got != "Добро пожаловать" {
		t.Errorf("bold text = %q, want Добро пожаловать", got)
	}
	if got := text(t, ctx, `li.msg.bot .bubble em`); got != "эхо" {
		t.Errorf("italic text = %q, want эхо", got)
	}
	if got := text(t, ctx, `li.msg.bot .bubble a`); got != "Справка" {
		t.Errorf("link text = %q, want Справка", got)
	}
	if got := value[string](t, ctx, `document.querySelector('li.msg.bot .bubble a').getAttribute('href')`); !strings.HasSuffix(got, "/chat?from=(greeting)") {
		t.Errorf("link href = %q, want the URL with its parentheses", got)
	}
	if value[bool](t, ctx, `document.querySelector('#messages img') !== null`) ||
		!strings.Contains(text(t, ctx, `li.msg.bot`), "<img src=x onerror=alert(1)>") {
		t.Error("the <img> in the message text became an element or vanished")
	}
	if got := text(t, ctx, `#company`); got != f.co.Name {
		t.Errorf("header = %q, want %q", got, f.co.Name)
	}

	do(t, ctx, "press chip",
		chromedp.Click(chromedp.CSS(`li.msg.bot button.chip`), chromedp.NodeVisible),
		waitText(`li.msg.bot:last-child`, "Вы нажали: yes"),
	)

	do(t, ctx, "type",
		chromedp.Click(chromedp.CSS(`#text`), chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.CSS(`#text`), "Привет, бот"),
		chromedp.SendKeys(chromedp.CSS(`#text`), kb.Enter),
		waitText(`li.msg.bot:last-child`, "Эхо: Привет, бот"),
	)
	if !value[bool](t, ctx, `window.__noReload === true`) {
		t.Error("the page reloaded to show the echo")
	}

	const transcriptJS = `Array.from(document.querySelectorAll('#messages > li'),
		li => (li.classList.contains('bot') ? 'bot: ' : 'user: ') +
			li.querySelector('.bubble > span:not(.sr-only)').textContent)`
	want := []string{
		"bot: Добро пожаловать, это эхо-бот. <img src=x onerror=alert(1)> Справка",
		"user: Да",
		"bot: Вы нажали: yes",
		"user: Привет, бот",
		"bot: Эхо: Привет, бот",
	}
	if got := value[[]string](t, ctx, transcriptJS); !slices.Equal(got, want) {
		t.Errorf("transcript:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The user's own messages come back in place after a reload.
	do(t, ctx, "reload",
		chromedp.Reload(),
		waitText(`li.msg.bot:last-child`, "Эхо: Привет, бот"),
	)
	if got := value[[]string](t, ctx, transcriptJS); !slices.Equal(got, want) {
		t.Errorf("transcript after reload:\n%s", strings.Join(got, "\n"))
	}

	do(t, ctx, "switch to English", chromedp.Click(chromedp.CSS(`#lang`), chromedp.NodeVisible))
	if got := value[string](t, ctx, `document.querySelector('#text').placeholder`); got != "Message" {
		t.Errorf("placeholder in English = %q, want Message", got)
	}
	if got := value[string](t, ctx, `localStorage.getItem('staffbot.lang')`); got != "en" {
		t.Errorf("stored language = %q, want en", got)
	}

	ins := f.bot.received()
	if len(ins) != 3 {
		t.Errorf("Handle calls = %d, want 3 (join, press, text)", len(ins))
	}
	// One language throughout: the page's, Russian, from the consent on.
	for _, in := range ins {
		if in.LanguageCode != "ru" {
			t.Errorf("%q reached the bot in language %q, want ru like the page", in.Text, in.LanguageCode)
		}
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(p, "\n"))
	}
}

// TestBrowser_JoinInEnglish switches the invite's page to English before
// joining: the bot's first message is asked for in English too.
func TestBrowser_JoinInEnglish(t *testing.T) {
	browsertest.Require(t)

	f := newFixture(t, storetest.MustOpen(t, storetest.SQLiteDSN(t)), true)
	srv := httptest.NewServer(f.register())
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t)
	do(t, ctx, "open the link in English",
		chromedp.Navigate(srv.URL+"/join/"+f.code),
		chromedp.WaitVisible(chromedp.CSS(`#join`)),
		chromedp.Click(chromedp.CSS(`#lang`), chromedp.NodeVisible),
	)
	if got := text(t, ctx, `#join`); got == "Открыть чат" {
		t.Fatalf("button = %q after switching to English", got)
	}
	do(t, ctx, "join",
		chromedp.Click(chromedp.CSS(`#join`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`li.msg.bot`)),
	)
	ins := f.bot.received()
	if len(ins) != 1 || ins[0].LanguageCode != "en" {
		t.Fatalf("incoming %+v, want the join in English", ins)
	}
}

func do(t *testing.T, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// eval is an action that evaluates a script and drops its value.
func eval[T any](t *testing.T, expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[T](expr)(ctx, tg)
		return chromedp.Void{}, err
	}
}

func value[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitText waits until the element's text contains want.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, sel, want)
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(15*time.Second))
}
