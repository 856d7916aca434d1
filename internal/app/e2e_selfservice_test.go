package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestSelfService_Telegram walks the single window end to end, through the
// fake Telegram Bot API and a fake 1C: an employee asks for her vacation
// balance and reads the number 1C holds behind a link; orders a payslip
// and an income certificate; opens the certificate's link in headless
// Chromium, which asks for the one-time code sent to her chat and then
// downloads the PDF; the link refuses one open past its limit; after
// expiry the files are gone from disk and their keys from the database.
// Once 1C says she is dismissed, the next request is refused live. None of
// what 1C returned is in any table or in the log.
func TestSelfService_Telegram(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			logs := &secureLinkLogs{}
			logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			h := newLoggedHarness(t, op, time.Date(2026, 3, 2, 12, 0, 0, 0, moscow), logger)
			const chat = 801

			fake := onectest.NewServer(t)
			fake.AddEmployee(onectest.Employee{Code: "00700", Name: "Соколова Мария Игоревна", HiredOn: "2024-01-10",
				Position: "Кладовщик", Department: "Склад"})
			fake.SetVacationBalance("00700", onectest.VacationBalance{Days: 23.67,
				Kinds: []onectest.VacationKind{{Name: "Основной", Days: 20}, {Name: "За вредность", Days: 3.67}}})
			fake.SetPayslip("00700", "2026-02", onectest.Payslip{Accrued: 98765.43, Withheld: 12839.51, Paid: 85925.92,
				Lines: []onectest.PayslipLine{{Kind: "accrual", Name: "Оклад по дням", Amount: 98765.43}}})
			h.mustConnect1C(fake)

			emp := h.mustEmployee("00700", "Соколова Мария Игоревна", staffbot.Date{Year: 2024, Month: 1, Day: 10}, nil, nil)
			h.push(h.tg.TextUpdate(chat, "/start "+h.mustInvite(emp)))
			ask := h.waitSent(chat, 1)[0]
			h.push(h.tg.CallbackUpdate(chat, buttonData(t, ask, "согласи")))
			n := len(h.drain(chat))

			// The menu has the catalogue.
			h.push(h.tg.TextUpdate(chat, "/menu"))
			menu := h.waitSent(chat, n+1)[n]
			n++
			h.push(h.tg.CallbackUpdate(chat, buttonData(t, menu, "Сервисы")))
			catalogue := h.waitSent(chat, n+1)[n]
			n++
			buttonData(t, catalogue, "Справка с места работы")

			// The vacation balance: the number 1C holds, behind a link.
			h.push(h.tg.TextUpdate(chat, "сколько у меня отпуска"))
			got := h.waitSent(chat, n+2)
			if !strings.Contains(got[n].Text, "Запрашиваю") {
				t.Errorf("first answer %q, want the note that 1C is asked", got[n].Text)
			}
			balanceLink := selfServiceLink(t, got[n+1])
			n += 2
			status, body := fetchLink(t, balanceLink, "")
			if status != http.StatusOK || !strings.Contains(body, "Остаток отпуска на 02.03.2026: 23,67 дня.") {
				t.Fatalf("balance link: %d %q, want the balance 1C holds", status, body)
			}

			// A payslip, by name and month in one message.
			h.push(h.tg.TextUpdate(chat, "расчётный листок за февраль"))
			got = h.waitSent(chat, n+2)
			selfServiceLink(t, got[n+1])
			n += 2

			// The income certificate: two questions, then a link with a code.
			h.push(h.tg.TextUpdate(chat, "нужна справка 2-НДФЛ"))
			ask = h.waitSent(chat, n+1)[n]
			n++
			h.push(h.tg.CallbackUpdate(chat, buttonData(t, ask, "2025")))
			ask = h.waitSent(chat, n+1)[n]
			n++
			h.push(h.tg.CallbackUpdate(chat, buttonData(t, ask, "ссылке")))
			got = h.waitSent(chat, n+2)
			certLink := selfServiceLink(t, got[n+1])
			if !strings.Contains(got[n+1].Text, "Справка о доходах за 2025 год.pdf") || !strings.Contains(got[n+1].Text, "одноразовый код") {
				t.Errorf("certificate message %q", got[n+1].Text)
			}
			n += 2

			dir := filepath.Join(h.cfg.DataDir, "securelinks")
			needles := []string{"23,67", "23.67", "3,67", "98765", "98 765", "85925", "85 925", "12839",
				"Income and tax certificate", "Paid 85925", "%PDF", "Оклад по дням", "За вредность"}
			assertNoSecrets(t, "files on disk", readDir(t, dir), needles)

			// Chromium opens the certificate: the code, then the PDF.
			code := openInChromium(t, h, chat, &n, certLink,
				onectest.PDF("Income and tax certificate", "Employee 00700", "Year 2025"))

			// Two more opens are allowed (three by default); the fourth is refused.
			for i := 2; i <= 3; i++ {
				status, body := fetchLink(t, certLink, "code", func() string {
					msgs := h.waitSent(chat, n+1)
					n++
					return lastCode(t, msgs[len(msgs)-1].Text)
				})
				if status != http.StatusOK || !strings.HasPrefix(body, "%PDF") {
					t.Fatalf("open %d: %d %.60q", i, status, body)
				}
			}
			if status, body := fetchLink(t, certLink, ""); status != http.StatusGone || !strings.Contains(body, "Ссылка уже использована") {
				t.Errorf("fourth open: %d, want 410 and the used-up page\n%s", status, body)
			}

			// Expiry takes the remaining files and keys.
			h.clock.Advance(25 * time.Hour)
			if _, err := h.app.SecureLinks.Cleanup(t.Context()); err != nil {
				t.Fatal(err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("after expiry the link folder holds %d files", len(entries))
			}
			var live int
			err := h.store().DB().QueryRowContext(t.Context(), `SELECT count(*) FROM secure_links
				WHERE state = 'active' OR file_key_sealed <> '' OR file_name_sealed <> ''`).Scan(&live)
			if err != nil || live != 0 {
				t.Errorf("after expiry %d links keep a key or a name (%v)", live, err)
			}
			if status, _ := fetchLink(t, balanceLink, ""); status != http.StatusGone {
				t.Errorf("expired balance link: %d, want 410", status)
			}

			// 1C now says she left; staffbot does not know yet. The live check refuses.
			fake.UpdateEmployee("00700", func(e *onectest.Employee) { e.DismissedOn = "2026-03-03" })
			h.push(h.tg.TextUpdate(chat, "остаток отпуска"))
			got = h.waitSent(chat, n+2)
			if !strings.Contains(got[n+1].Text, "не числитесь работающим") {
				t.Errorf("dismissed employee got %q, want the refusal", got[n+1].Text)
			}
			n += 2
			reqs, err := h.store().FindServiceRequests(t.Context(), h.co.ID, store.ServiceRequestFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var outcomes []string
			for _, r := range reqs {
				outcomes = append(outcomes, r.ServiceKey+":"+r.Outcome)
			}
			want := "vacation_balance:refused_dismissed income_certificate:delivered payslip:delivered vacation_balance:delivered"
			if strings.Join(outcomes, " ") != want {
				t.Errorf("requests %v, want %s", outcomes, want)
			}

			h.drain(chat)
			assertNoSecrets(t, "tables", dumpTables(t, h.store()), needles)
			assertNoSecrets(t, "log", logs.String(), append(needles, "Соколова"))
			if regexp.MustCompile(`(^|[^0-9])` + code + `([^0-9]|$)`).MatchString(logs.String()) {
				t.Error("the log holds the one-time code")
			}
			if !strings.Contains(logs.String(), `"msg":"Service request handled"`) {
				t.Error("the log has no line for a handled request")
			}
		})
	}
}

// newLoggedHarness is newHarness with the app logging to logger.
func newLoggedHarness(t *testing.T, op storetest.Opener, start time.Time, logger *slog.Logger) *harness {
	t.Helper()
	h := &harness{t: t, tg: telegramtest.NewServer(t), clock: staffbot.NewManualClock(start)}
	h.tg.AddBot(botToken, botUsername)
	dsn := op.DSN(t)
	if op.Name == "SQLite" {
		dsn = "sqlite://" + dsn
	}
	h.cfg = config.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), DatabaseURL: dsn, TelegramAPIURL: h.tg.URL(),
		TelegramMode: "webhook", MasterKey: fmt.Sprintf("%x", storetest.TestKey), LogLevel: "debug", LogFormat: "json",
	}
	h.startLogged(logger)
	t.Cleanup(h.stop)
	co := &staffbot.Company{Slug: "acme", Name: "Акме", TimeZone: "Europe/Moscow",
		TelegramBotUsername: botUsername, TelegramToken: botToken, TelegramWebhookSecret: hookSecret}
	if err := h.app.Store.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	h.co = co
	h.stop()
	h.startLogged(logger)
	return h
}

var selfServiceLinkRe = regexp.MustCompile(`http://\S+/l/[A-Za-z0-9_-]+`)

func selfServiceLink(t *testing.T, m telegramtest.Message) string {
	t.Helper()
	l := selfServiceLinkRe.FindString(m.Text)
	if l == "" {
		t.Fatalf("no secure link in %q", m.Text)
	}
	return l
}

var (
	linkFormRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	codeRe     = regexp.MustCompile(`\b(\d{6})\b`)
)

func lastCode(t *testing.T, text string) string {
	t.Helper()
	m := codeRe.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no one-time code in %q", text)
	}
	return m[1]
}

// fetchLink opens a link as a plain HTTP client: the page, then the
// download form. With mode "code" it has a code sent first and types what
// readCode returns.
func fetchLink(t *testing.T, link, mode string, readCode ...func() string) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := linkFormRe.FindSubmatch(page)
	if m == nil {
		return resp.StatusCode, string(page)
	}
	form := url.Values{"csrf": {string(m[1])}}
	post := func(target string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if mode == "code" {
		if status, body := post(link + "/code"); status != http.StatusSeeOther {
			t.Fatalf("send code: %d\n%s", status, body)
		}
		form.Set("code", readCode[0]())
	}
	return post(link)
}

// openInChromium opens a link that asks for a code on a phone-sized
// headless Chromium: the page asks for the code, the code comes to the
// chat, and typing it downloads want. It returns the code.
func openInChromium(t *testing.T, h *harness, chat int64, n *int, link string, want []byte) string {
	t.Helper()
	b := newTab(t, newChromium(t), "employee")
	dir := t.TempDir()
	b.do("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		events := true
		// The tab has a browser context of its own, which needs saying.
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, EventsEnabled: &events,
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
		})
		return err
	}))
	b.do("open the link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#send-code`)))
	if got := browserValue[string](b, `document.querySelector('#title').textContent.trim()`); got != "Защищённый документ" {
		t.Errorf("title %q, want Защищённый документ", got)
	}
	if browserValue[bool](b, `document.querySelector('#code') !== null`) {
		t.Error("the code field shows before a code was sent")
	}
	if page := browserValue[string](b, `document.body.innerText`); strings.Contains(page, "Справка о доходах") {
		t.Error("the page names the file before the code")
	}

	b.do("ask for the code", chromedp.Click(chromedp.CSS(`#send-code`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#code`)))
	msgs := h.waitSent(chat, *n+1)
	*n++
	code := lastCode(t, msgs[len(msgs)-1].Text)

	waitCtx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	progress := chromedp.Events(waitCtx, browser.DownloadProgress)
	b.do("type the code", chromedp.SendKeys(chromedp.CSS(`#code`), code),
		chromedp.Click(chromedp.CSS(`#verify`), chromedp.NodeVisible))
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
	got, err := os.ReadFile(filepath.Join(dir, "Справка о доходах за 2025 год.pdf"))
	if err != nil {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("downloaded file under its name: %v (folder holds %v)", err, entries)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("downloaded %d bytes, want the %d 1C made", len(got), len(want))
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	return code
}

// dumpTables returns every value of every column of every table, as text.
func dumpTables(t *testing.T, st *store.Store) string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if st.Dialect() == store.Postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	db := st.DB()
	rows, err := db.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}

	var b strings.Builder
	for _, table := range tables {
		dumpTable(t, db, table, &b)
	}
	return b.String()
}

func dumpTable(t *testing.T, db *sql.DB, table string, b *strings.Builder) {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT * FROM "`+table+`"`)
	if err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		fmt.Fprintf(b, "%s:", table)
		for i, v := range vals {
			switch v := v.(type) {
			case []byte:
				fmt.Fprintf(b, " %s=%s", cols[i], v)
			case nil:
			default:
				fmt.Fprintf(b, " %s=%v", cols[i], v)
			}
		}
		b.WriteString("\n")
	}
}

func readDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no files behind the links")
	}
	var b strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

func assertNoSecrets(t *testing.T, where, haystack string, needles []string) {
	t.Helper()
	if len(haystack) < 100 {
		t.Fatalf("%s: only %d bytes to search", where, len(haystack))
	}
	for _, s := range needles {
		// A number counts only standing alone: random ids and ports
		// ("f0368592…") may hold any run of digits.
		re := regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(s) + `([^0-9A-Za-z]|$)`)
		if loc := re.FindStringIndex(haystack); loc != nil {
			lo, hi := max(0, loc[0]-120), min(len(haystack), loc[1]+40)
			t.Errorf("%s hold %q: …%s…", where, s, haystack[lo:hi])
		}
	}
}

// mustConnect1C makes the fake 1C the company's connector.
func (h *harness) mustConnect1C(fake *onectest.Server) {
	h.t.Helper()
	settings, _ := json.Marshal(app.ConnectorSettings{ServicePath: onectest.ServicePath})
	_, err := h.store().SaveConnector(h.t.Context(), &store.Connector{CompanyID: h.co.ID, Kind: "1c", URL: fake.URL(),
		Username: onectest.DefaultUser, Secret: onectest.DefaultPassword, Auth: app.AuthBasic,
		Settings: string(settings)}, h.clock.Now())
	if err != nil {
		h.t.Fatal(err)
	}
}
