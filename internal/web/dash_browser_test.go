package web_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/xuri/excelize/v2"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/browsertest"
	"github.com/staffbot/staffbot/internal/demo"
	"github.com/staffbot/staffbot/internal/report"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// screenshotDir is where the browser test leaves its screenshots: the
// repository's docs/screenshots when STAFFBOT_UPDATE_SCREENSHOTS is set,
// a temporary directory otherwise.
func screenshotDir(t *testing.T) string {
	if os.Getenv("STAFFBOT_UPDATE_SCREENSHOTS") != "" {
		dir, err := filepath.Abs("../../docs/screenshots")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// newDemoFixture serves the cabinet over the demo company with half a year
// of synthetic history and 250 more employees.
func newDemoFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.MustOpen(t, storetest.SQLiteDSN(t))
	f, eng := newPagesServer(t, st, "")
	co, _, err := demo.Ensure(t.Context(), st, t0)
	if err != nil {
		t.Fatal(err)
	}
	f.co = co
	o := shippedSeed(t, eng, staffbot.DateOf(t0.In(co.Location())), 180, 250)
	o.Skip = []string{demo.NewcomerNumber, demo.MentorNumber, demo.ManagerNumber}
	o.Departments = []string{"ИТ-отдел", "Бухгалтерия", "Отдел продаж", "Склад", "HR-служба"}
	o.Offices = []string{"Москва, Лесная 5", "Подольск, склад"}
	if _, err := st.SeedActivity(t.Context(), co.ID, o); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBrowser_Cabinet drives the cabinet in headless Chromium over the
// demo data: sign in with a password and an authenticator code, find an
// employee and invite them, import a bad staff file and read its problems,
// follow a newcomer's onboarding, open every dashboard and download a
// chart's XLSX, whose numbers must be the chart's. It saves screenshots of
// the main pages on the way.
func TestBrowser_Cabinet(t *testing.T) {
	browsertest.Require(t)
	f := newDemoFixture(t)
	_, secret := f.mustUser("hr@demo.ru", auth.RoleOwner, nil, true)
	shots := screenshotDir(t)
	downloads := t.TempDir()

	ctx := browsertest.New(t, browsertest.WindowSize(1280, 800))
	problems := browsertest.Watch(ctx).Errors
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Sign in: password, then the authenticator's code.
	do(t, ctx, "open the sign-in page",
		chromedp.Navigate(f.srv.URL+"/hr/login?company=demo"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
	)
	do(t, ctx, "type the password",
		chromedp.SendKeys(chromedp.CSS(`#email`), "hr@demo.ru"),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`#submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#code`)),
	)
	do(t, ctx, "type the code",
		chromedp.SendKeys(chromedp.CSS(`#code`), f.code(secret)),
		chromedp.Click(chromedp.CSS(`#submit`)),
		chromedp.WaitVisible(chromedp.CSS(`table#employees`)),
	)

	// Keyboard: the first Tab reaches the skip link, which leads to the
	// page's content.
	do(t, ctx, "tab to the skip link", chromedp.KeyEvent(kb.Tab))
	if got := value[string](t, ctx, `document.activeElement.className`); got != "skip" {
		t.Errorf("first Tab focuses %q, want the skip link", got)
	}

	// Find an employee by name and invite her.
	do(t, ctx, "search for the newcomer",
		chromedp.Click(chromedp.CSS(`header nav a[href="/hr/employees"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#q`)),
		chromedp.SendKeys(chromedp.CSS(`#q`), "кузнецова дарья андреевна"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#q[value="кузнецова дарья андреевна"]`)),
	)
	numbers := value[[]string](t, ctx, `Array.from(document.querySelectorAll('#employees tbody tr td:first-child'), td => td.textContent.trim())`)
	if !slices.Contains(numbers, demo.NewcomerNumber) {
		t.Fatalf("search found %v, want %s among them", numbers, demo.NewcomerNumber)
	}
	shot("employees")
	do(t, ctx, "open her card",
		chromedp.Evaluate[chromedp.Void](`Array.from(document.querySelectorAll('#employees tbody tr')).find(tr => tr.cells[0].textContent.trim() === '`+demo.NewcomerNumber+`').querySelector('a').click()`),
		chromedp.WaitVisible(chromedp.CSS(`#bot-status`)),
	)
	if got := text(t, ctx, `#bot-state`); got != "не приглашён" {
		t.Errorf("bot status before the invite = %q", got)
	}
	do(t, ctx, "send an invite",
		chromedp.Click(chromedp.CSS(`#send-invite`)),
		chromedp.WaitVisible(chromedp.CSS(`#invite-web`)),
	)
	link := value[string](t, ctx, `document.querySelector('#invite-web').value`)
	if !strings.HasPrefix(link, f.srv.URL+"/join/") {
		t.Errorf("invite link = %q", link)
	}
	if got := text(t, ctx, `#bot-state`); got != "приглашён" {
		t.Errorf("bot status after the invite = %q", got)
	}
	shot("employee-card")

	// Import a bad file: the problems by line, nothing written.
	before, err := f.st.EmployeeNumbers(t.Context(), f.co.ID)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := filepath.Abs("../importer/testdata/employees-bad.csv")
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "upload a bad staff file",
		chromedp.Navigate(f.srv.URL+"/hr/employees/import"),
		chromedp.WaitVisible(chromedp.CSS(`#file`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{bad}),
		chromedp.Click(chromedp.CSS(`#check`)),
		chromedp.WaitVisible(chromedp.CSS(`#problems`)),
	)
	lines := value[[]string](t, ctx, `Array.from(document.querySelectorAll('#problems tbody tr td:first-child'), td => td.textContent.trim())`)
	if len(lines) < 3 || !slices.Contains(lines, "2") {
		t.Errorf("problem lines = %v, want several with line 2 among them", lines)
	}
	if value[bool](t, ctx, `!!document.querySelector('#confirm')`) {
		t.Error("a file with problems can be confirmed")
	}
	if after, _ := f.st.EmployeeNumbers(t.Context(), f.co.ID); len(after) != len(before) {
		t.Errorf("employees after a bad file: %d, before %d", len(after), len(before))
	}
	shot("import-problems")

	// A newcomer's onboarding progress, from the list of those stuck.
	do(t, ctx, "open the onboarding list",
		chromedp.Click(chromedp.CSS(`header nav a[href="/hr/onboarding"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table#newcomers`)),
	)
	shot("onboarding")
	do(t, ctx, "open a newcomer in progress",
		chromedp.Click(chromedp.CSS(`#status-in_progress`)),
		chromedp.WaitVisible(chromedp.CSS(`table#newcomers`)),
		chromedp.Click(chromedp.CSS(`#newcomers tbody tr:first-child td:first-child a`)),
		chromedp.WaitVisible(chromedp.CSS(`#onb-progress`)),
	)
	pct := value[int](t, ctx, `Number(document.querySelector('#onb-progress').value)`)
	reached := value[int](t, ctx, `document.querySelectorAll('#milestones li.reached').length`)
	if text(t, ctx, `#onb-status`) != "в процессе" || pct <= 0 || pct >= 100 {
		t.Errorf("newcomer in progress: status %q, progress %d%%", text(t, ctx, `#onb-status`), pct)
	}
	t.Logf("newcomer's progress %d%%, milestones reached %d", pct, reached)
	shot("onboarding-newcomer")

	// Every dashboard, and each one's first chart downloaded as XLSX.
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	do(t, ctx, "open the dashboards",
		chromedp.Click(chromedp.CSS(`header nav a[href="/hr/dashboards"]`)),
		chromedp.WaitVisible(chromedp.CSS(`svg.chart`)),
	)
	for _, d := range report.Dashboards {
		do(t, ctx, "open the "+d.ID+" dashboard",
			chromedp.Click(chromedp.CSS(`#tab-`+d.ID)),
			chromedp.WaitVisible(chromedp.CSS(`a#tab-`+d.ID+`[aria-current=page]`)),
			chromedp.WaitVisible(chromedp.CSS(`svg.chart[data-chart="`+d.Charts[0]+`"]`)),
		)
		if n := value[int](t, ctx, `document.querySelectorAll('svg.chart').length`); n != len(d.Charts) {
			t.Errorf("dashboard %s draws %d charts, want %d", d.ID, n, len(d.Charts))
		}
		shot("dashboard-" + d.ID)
		for _, chart := range d.Charts {
			if chart == "top_articles" {
				continue
			}
			mustDownloadMatches(t, ctx, downloads, chart)
		}
	}

	// HR's queue of requests: the overdue ones, a card with its deadline
	// and history, taken and declined with a reason. One request is sure
	// to be overdue: made on Friday 20 February, due Wednesday 25th.
	newcomer, err := f.st.FindEmployeeByNumber(t.Context(), f.co.ID, demo.NewcomerNumber)
	if err != nil {
		t.Fatal(err)
	}
	f.mustRequest(newcomer, selfservice.KeyWorkRecordCopy, map[string]string{"form": "book_copy", "copies": "2"},
		time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC))
	f.mustDeadlines()
	do(t, ctx, "open the requests",
		chromedp.Click(chromedp.CSS(`#nav-requests`)),
		chromedp.WaitVisible(chromedp.CSS(`table#requests`)),
	)
	if n := value[int](t, ctx, `document.querySelectorAll('#requests tbody tr').length`); n == 0 {
		t.Fatal("the requests list is empty over the demo history")
	}
	shot("requests")
	do(t, ctx, "show the overdue ones",
		chromedp.Navigate(f.srv.URL+"/hr/requests?status=open&overdue=1"),
		chromedp.WaitVisible(chromedp.CSS(`table#requests`)),
	)
	overdue := value[int](t, ctx, `document.querySelectorAll('#requests tbody tr.tk-escalated').length`)
	all := value[int](t, ctx, `document.querySelectorAll('#requests tbody tr').length`)
	if overdue == 0 || overdue != all {
		t.Fatalf("overdue filter: %d rows, %d marked overdue", all, overdue)
	}
	do(t, ctx, "open an overdue request",
		chromedp.Click(chromedp.CSS(`#requests tbody tr:first-child td:first-child a`)),
		chromedp.WaitVisible(chromedp.CSS(`#request-due .tk-overdue`)),
	)
	shot("request-card")
	if value[bool](t, ctx, `!!document.querySelector('#take')`) {
		do(t, ctx, "take it",
			chromedp.Click(chromedp.CSS(`#take`)),
			chromedp.WaitVisible(chromedp.CSS(`#request-taken`)),
		)
	}
	do(t, ctx, "decline it with a reason",
		chromedp.SendKeys(chromedp.CSS(`#reject-reason`), "Нужен оригинал заявления с подписью"),
		chromedp.Click(chromedp.CSS(`#reject`)),
		chromedp.WaitVisible(chromedp.CSS(`#history .rq-ev-rejected`)),
	)
	if got := text(t, ctx, `#request-status`); got != "отклонена" {
		t.Errorf("declined request's status = %q", got)
	}
	history := text(t, ctx, `#history`)
	if !strings.Contains(history, "Нужен оригинал заявления с подписью") {
		t.Error("the reason is not in the history")
	}

	// A longer period switches the points to weeks; English works too.
	do(t, ctx, "choose 180 days",
		chromedp.Click(chromedp.CSS(`header nav a[href="/hr/dashboards"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#tab-adoption`)),
		chromedp.Click(chromedp.CSS(`#tab-adoption`)),
		chromedp.WaitVisible(chromedp.CSS(`#period`)),
		chromedp.SetValue(chromedp.CSS(`#period`), "180"),
		chromedp.Click(chromedp.CSS(`#apply`)),
		chromedp.WaitReady(chromedp.CSS(`#period option[value="180"][selected]`)),
	)
	mustDownloadMatches(t, ctx, downloads, "active")
	do(t, ctx, "switch to English",
		chromedp.Click(chromedp.CSS(`#lang`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=en] svg.chart`)),
	)
	if got := text(t, ctx, `h1`); got != "Adoption and activity" {
		t.Errorf("English heading = %q", got)
	}

	if p := problems(); len(p) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(p, "\n"))
	}
}

// mustDownloadMatches clicks the chart's XLSX link, waits for the file and
// compares its numbers with the values the SVG chart draws, series by
// series and point by point.
func mustDownloadMatches(t *testing.T, ctx context.Context, dir, chart string) {
	t.Helper()
	for _, e := range mustReadDir(t, dir) {
		os.Remove(filepath.Join(dir, e))
	}
	do(t, ctx, "download "+chart, chromedp.Click(chromedp.CSS(`#card-`+chart+` a.xlsx`)))
	var file string
	deadline := time.Now().Add(10 * time.Second)
	for file == "" && time.Now().Before(deadline) {
		for _, name := range mustReadDir(t, dir) {
			if strings.HasSuffix(name, ".xlsx") {
				file = filepath.Join(dir, name)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if file == "" {
		t.Fatalf("%s: no XLSX downloaded", chart)
	}

	// Each series' marks as [point index, value]; a point without a value
	// has no mark and an empty cell.
	drawn := value[[][][2]string](t, ctx, `Array.from(document.querySelectorAll('svg.chart[data-chart="`+chart+`"] g.series'),
		g => Array.from(g.querySelectorAll('[data-v]'), m => [m.getAttribute('data-i'), m.getAttribute('data-v')]))`)
	wb, err := excelize.OpenFile(file)
	if err != nil {
		t.Fatalf("%s: open %s: %v", chart, file, err)
	}
	defer wb.Close()
	rows, err := wb.GetRows(report.SheetName)
	if err != nil {
		t.Fatal(err)
	}
	if len(drawn) == 0 || len(drawn[0]) == 0 {
		t.Fatalf("%s: the chart draws no values", chart)
	}
	points := value[int](t, ctx, `document.querySelectorAll('table.chart-data[data-chart="`+chart+`"] tbody tr').length`)
	if len(rows) < report.HeaderRow+points {
		t.Fatalf("%s: XLSX has %d rows for %d points", chart, len(rows)-report.HeaderRow, points)
	}
	for s, marks := range drawn {
		seen := map[int]bool{}
		for _, m := range marks {
			i, err := strconv.Atoi(m[0])
			if err != nil || i < 0 || i >= points {
				t.Fatalf("%s series %d: mark at point %q of %d", chart, s, m[0], points)
			}
			seen[i] = true
			want, _ := strconv.ParseFloat(m[1], 64)
			row := rows[report.HeaderRow+i]
			cell := ""
			if s+1 < len(row) {
				cell = row[s+1]
			}
			got, err := strconv.ParseFloat(cell, 64)
			if err != nil || roundTo2(got) != want {
				t.Fatalf("%s series %d point %d: chart %s, XLSX %q", chart, s, i, m[1], cell)
			}
		}
		// Points the chart leaves out have no value in the workbook.
		for i := 0; i < points && points <= 62; i++ {
			row := rows[report.HeaderRow+i]
			if !seen[i] && s+1 < len(row) && row[s+1] != "" {
				t.Fatalf("%s series %d point %d: no mark, XLSX %q", chart, s, i, row[s+1])
			}
		}
	}
}

func mustReadDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
