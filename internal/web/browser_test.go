package web_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/browsertest"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestBrowser_SignInWithTOTP drives the cabinet in headless Chromium: sign
// in with a password and an authenticator code, see the company's
// employees, switch to English, sign out.
func TestBrowser_SignInWithTOTP(t *testing.T) {
	browsertest.Require(t)

	f := newFixture(t, storetest.MustOpen(t, storetest.SQLiteDSN(t)), "")
	f.mustEmployee(f.co, "0001", "Иванова Анна Сергеевна", nil)
	f.mustEmployee(f.co, "0002", "Петров Пётр Петрович", nil)
	_, secret := f.mustUser("hr@acme.ru", auth.RoleHRManager, nil, true)

	ctx := browsertest.New(t, browsertest.WindowSize(1280, 800))
	problems := browsertest.Watch(ctx).Errors

	do(t, ctx, "open the sign-in page",
		chromedp.Navigate(f.srv.URL+"/hr/login?company=acme"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
	)
	if got := value[string](t, ctx, `document.querySelector('#company-slug').value`); got != "acme" {
		t.Errorf("company field = %q, want acme from the link", got)
	}
	do(t, ctx, "type the password",
		chromedp.SendKeys(chromedp.CSS(`#email`), "hr@acme.ru"),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`#submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#code`)),
	)
	do(t, ctx, "type the code",
		chromedp.SendKeys(chromedp.CSS(`#code`), f.code(secret)),
		chromedp.Click(chromedp.CSS(`#submit`)),
		chromedp.WaitVisible(chromedp.CSS(`table#employees`)),
	)
	if got := text(t, ctx, `h1`); got != "Сотрудники" {
		t.Errorf("heading = %q, want Сотрудники", got)
	}
	if got := text(t, ctx, `#company`); got != "ООО Акме" {
		t.Errorf("company = %q, want ООО Акме", got)
	}
	rows := value[[]string](t, ctx, `Array.from(document.querySelectorAll('#employees tbody tr td:nth-child(2)'), td => td.textContent.trim())`)
	if want := []string{"Иванова Анна Сергеевна", "Петров Пётр Петрович"}; !slices.Equal(rows, want) {
		t.Errorf("employee names = %v, want %v", rows, want)
	}
	if value[bool](t, ctx, `document.cookie.includes('staffbot_session')`) {
		t.Error("the session cookie is readable from scripts")
	}
	if shot := os.Getenv("STAFFBOT_SCREENSHOT_DIR"); shot != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(shot+"/cabinet-home.png", png, 0o644)
		}
	}

	do(t, ctx, "switch to English",
		chromedp.Click(chromedp.CSS(`#lang`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=en] table#employees`)),
	)
	if got := text(t, ctx, `h1`); got != "Employees" {
		t.Errorf("heading in English = %q, want Employees", got)
	}
	do(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`#logout`)),
		chromedp.WaitVisible(chromedp.CSS(`#password`)),
	)
	if got := text(t, ctx, `p.notice`); got != "You have signed out." {
		t.Errorf("after signing out: %q", got)
	}
	do(t, ctx, "the list is gone", chromedp.Navigate(f.srv.URL+"/hr/"), chromedp.WaitVisible(chromedp.CSS(`#password`)))
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(p, "\n"))
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
