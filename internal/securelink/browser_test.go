package securelink_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/staffbot/staffbot/internal/browsertest"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestBrowser_CodeAndDownload opens a link that asks for a one-time code in
// headless Chromium on a phone-sized window: the page asks for the code,
// the code arrives in the employee's chat, typing it downloads the PDF
// under its Cyrillic name, and the next open is refused as used.
func TestBrowser_CodeAndDownload(t *testing.T) {
	browsertest.Require(t)

	f := newFixture(t, storetest.MustOpen(t, storetest.SQLiteDSN(t)))
	link := f.mustCreate(f.emp, securelink.Options{RequireCode: true, MaxOpens: 1})
	dir := t.TempDir()

	ctx := browsertest.New(t)
	problems := browsertest.Watch(ctx).Errors
	do(t, ctx, "allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		events := true
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior:      browser.SetDownloadBehaviorBehaviorAllow,
			DownloadPath:  dir,
			EventsEnabled: &events,
		})
		return err
	}))

	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(link))
	if err != nil {
		t.Fatalf("open link: %v", err)
	}
	if resp.Status != 200 {
		t.Errorf("link status = %d, want 200", resp.Status)
	}
	if got := text(t, ctx, `#title`); got != "Защищённый документ" {
		t.Errorf("title = %q, want Защищённый документ", got)
	}
	if value[bool](t, ctx, `document.querySelector('#code') !== null`) {
		t.Error("the code field shows before a code was sent")
	}
	if got, inner := value[int](t, ctx, `document.documentElement.scrollWidth`), value[int](t, ctx, `window.innerWidth`); got > inner {
		t.Errorf("page is %d px wide in a %d px window", got, inner)
	}

	do(t, ctx, "send code",
		chromedp.Click(chromedp.CSS(`#send-code`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#code`)),
	)
	if got := text(t, ctx, `#notice`); !strings.Contains(got, "Код отправлен в чат") {
		t.Errorf("notice = %q, want the code-sent note", got)
	}
	code := f.lastCode()

	waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	progress := chromedp.Events(waitCtx, browser.DownloadProgress)
	do(t, ctx, "type code",
		chromedp.SendKeys(chromedp.CSS(`#code`), code),
		chromedp.Click(chromedp.CSS(`#verify`), chromedp.NodeVisible),
	)
	done := false
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download events: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			done = true
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("download canceled")
		}
	}
	if !done {
		t.Fatal("the download never completed")
	}

	got, err := os.ReadFile(filepath.Join(dir, pdfName))
	if err != nil {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("downloaded file under its own name: %v (folder holds %v)", err, entries)
	}
	if !bytes.Equal(got, pdf) {
		t.Errorf("downloaded %d bytes, want the %d stored", len(got), len(pdf))
	}
	if files := f.files(); len(files) != 0 {
		t.Errorf("the server keeps files after the only open: %v", files)
	}

	resp, err = chromedp.Run(ctx, chromedp.NavigateResponse(link))
	if err != nil {
		t.Fatalf("open link again: %v", err)
	}
	if resp.Status != 410 {
		t.Errorf("second open status = %d, want 410", resp.Status)
	}
	if got := text(t, ctx, `#title`); got != "Ссылка уже использована" {
		t.Errorf("second open title = %q, want Ссылка уже использована", got)
	}
	do(t, ctx, "switch to English",
		chromedp.Click(chromedp.CSS(`#lang`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #title`)),
	)
	if got := text(t, ctx, `#title`); got != "This link has already been used" {
		t.Errorf("English title = %q", got)
	}

	// The refused page itself is logged as a failed load; nothing else may be.
	var unexpected []string
	for _, p := range problems() {
		if !strings.Contains(p, "status of 410") {
			unexpected = append(unexpected, p)
		}
	}
	if len(unexpected) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(unexpected, "\n"))
	}
}

func do(t *testing.T, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", step, err)
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
