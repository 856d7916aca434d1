package web_test

import (
	"bytes"
	"html"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
	"github.com/staffbot/staffbot/internal/report"
	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
	"github.com/staffbot/staffbot/internal/web"
	"github.com/staffbot/staffbot/scenarios"
)

// newPagesFixture is newFixture with the working pages switched on: the
// shipped scenarios with a store catalog, and Telegram at tgURL.
func newPagesFixture(t *testing.T, st *store.Store, tgURL string) (*fixture, *scenario.Engine) {
	t.Helper()
	f, eng := newPagesServer(t, st, tgURL)
	f.co = &staffbot.Company{Slug: "acme", Name: "ООО Акме", TimeZone: "Europe/Moscow"}
	if err := st.CreateCompany(t.Context(), f.co); err != nil {
		t.Fatal(err)
	}
	return f, eng
}

// newPagesServer serves the cabinet with its pages, without a company.
func newPagesServer(t *testing.T, st *store.Store, tgURL string) (*fixture, *scenario.Engine) {
	t.Helper()
	f := &fixture{t: t, st: st, clock: staffbot.NewManualClock(t0)}
	logger := slog.New(slog.DiscardHandler)
	f.svc = auth.New(st, f.clock, auth.Options{Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}, Logger: logger})
	defs, err := scenario.LoadFS(scenarios.FS)
	if err != nil {
		t.Fatal(err)
	}
	eng := scenario.NewEngine(st, f.clock, defs, logger)
	eng.Catalog = &scenario.StoreCatalog{Store: st}
	mux := http.NewServeMux()
	cab := web.New(web.Config{Auth: f.svc, Clock: f.clock, Logger: logger, Pages: web.Pages{
		Engine: eng, TelegramAPIURL: tgURL, HTTPClient: &http.Client{Timeout: 5 * time.Second},
	}})
	links := &securelink.Service{Store: st, Clock: f.clock, Logger: logger, DataDir: filepath.Join(t.TempDir(), "links")}
	f.requests = &selfservice.Service{Store: st, Clock: f.clock, Logger: logger, Links: links}
	cab.AddServiceRequests(f.requests)
	cab.Register(mux)
	links.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	links.BaseURL, f.requests.BaseURL = f.srv.URL, f.srv.URL
	return f, eng
}

// shippedSeed is seed options that follow the shipped onboarding scenario.
func shippedSeed(t *testing.T, eng *scenario.Engine, today staffbot.Date, days, employees int) store.SeedOptions {
	t.Helper()
	def := eng.Scenario("onboarding")
	o := store.SeedOptions{Today: today, Days: days, Employees: employees, Scenario: def.ID, Marks: map[string]string{}, Seed: 11,
		Articles: map[string]string{"vacation": "Как оформить отпуск", "salary": "Когда приходит зарплата", "dms": "Полис ДМС"},
		Tickets:  2, Requests: 3, RequestServices: requestServices()}
	for _, st := range def.Steps {
		o.Steps = append(o.Steps, st.ID)
		if st.Mark != nil {
			o.Marks[st.ID] = st.Mark.Name
		}
	}
	return o
}

// requestServices are the default catalogue's services HR fulfils, with
// their legal deadlines, for seeding requests.
func requestServices() map[string]int {
	out := map[string]int{}
	for _, svc := range selfservice.DefaultServices() {
		if svc.HR {
			out[svc.Key] = svc.DueDays
		}
	}
	return out
}

// upload posts a file as multipart form data with the page's CSRF token.
func (c *client) upload(path, csrf, name string, data []byte) page {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", c.f.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

var tableCellRE = regexp.MustCompile(`<t[hd][^>]*>([^<]*)</t[hd]>`)

// chartTable reads the data table of a chart from a dashboard page.
func chartTable(t *testing.T, body, chart string) [][]string {
	t.Helper()
	start := strings.Index(body, `<table class="chart-data" data-chart="`+chart+`">`)
	if start < 0 {
		t.Fatalf("no data table for %s", chart)
	}
	end := strings.Index(body[start:], "</table>") + start
	var out [][]string
	for _, tr := range strings.Split(body[start:end], "<tr>")[1:] {
		var row []string
		for _, m := range tableCellRE.FindAllStringSubmatch(tr, -1) {
			row = append(row, html.UnescapeString(m[1]))
		}
		out = append(out, row)
	}
	return out
}

var hrefRE = regexp.MustCompile(`href="(/hr/dashboards/export\?[^"]*chart=CHART[^"]*format=xlsx[^"]*)"`)

func TestCabinetPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("DashboardsAndDownloads", func(t *testing.T) {
			t.Parallel()
			f, eng := newPagesFixture(t, open(t), "")
			if _, err := f.st.SeedActivity(t.Context(), f.co.ID, shippedSeed(t, eng, staffbot.DateOf(t0.In(f.co.Location())), 200, 500)); err != nil {
				t.Fatal(err)
			}
			_, secret := f.mustUser("hr@acme.ru", auth.RoleHRManager, nil, true)
			c := f.client()
			c.signIn("hr@acme.ru", secret)

			for _, d := range report.Dashboards {
				p := c.get("/hr/dashboards/" + d.ID)
				if p.status != http.StatusOK {
					t.Fatalf("dashboard %s = %d:\n%s", d.ID, p.status, p.body)
				}
				for _, id := range d.Charts {
					if !strings.Contains(p.body, `<svg class="chart"`) || !strings.Contains(p.body, `data-chart="`+id+`"`) {
						t.Errorf("dashboard %s lacks the chart %s", d.ID, id)
					}
					rows := chartTable(t, p.body, id)
					m := regexp.MustCompile(strings.Replace(hrefRE.String(), "CHART", id, 1)).FindStringSubmatch(p.body)
					if m == nil {
						t.Fatalf("no XLSX link for %s", id)
					}
					x := c.get(html.UnescapeString(m[1]))
					if x.status != http.StatusOK || !strings.Contains(x.header.Get("Content-Disposition"), ".xlsx") {
						t.Fatalf("XLSX of %s = %d %v", id, x.status, x.header)
					}
					mustSameNumbers(t, id, rows, []byte(x.body))
				}
			}

			// The filter narrows: a department nobody has gives no data.
			p := c.get("/hr/dashboards/adoption?period=custom&from=2025-09-01&to=2026-03-02&department=" + url.QueryEscape("Нет такого"))
			if p.status != http.StatusOK || strings.Contains(p.body, `data-v="1"`) {
				t.Errorf("a department nobody has: %d, has data %v", p.status, strings.Contains(p.body, `data-v="1"`))
			}
			// Dates changed in the form make a custom period.
			p = c.get("/hr/dashboards/adoption?period=30&from=2026-01-01&to=2026-01-31&from0=2026-02-01&to0=2026-03-02")
			if !strings.Contains(p.body, `<option value="custom" selected>`) || !strings.Contains(p.body, `value="2026-01-31"`) {
				t.Errorf("edited dates did not make a custom period")
			}
			p = c.get("/hr/dashboards/adoption?period=90&from=2026-02-01&to=2026-03-02&from0=2026-02-01&to0=2026-03-02")
			if !strings.Contains(p.body, `<option value="90" selected>`) {
				t.Errorf("a new preset with untouched dates was not kept")
			}
			csv := c.get("/hr/dashboards/export?chart=messages&format=csv&period=90")
			if csv.status != http.StatusOK || !strings.HasPrefix(csv.body, "\ufeff") || !strings.Contains(csv.body, ";") {
				t.Errorf("CSV = %d %q", csv.status, csv.body[:min(80, len(csv.body))])
			}
			if p := c.get("/hr/dashboards/export?chart=nope&format=xlsx"); p.status != http.StatusNotFound {
				t.Errorf("unknown chart = %d, want 404", p.status)
			}
		})

		t.Run("RolesAndScope", func(t *testing.T) {
			t.Parallel()
			f, eng := newPagesFixture(t, open(t), "")
			if _, err := f.st.SeedActivity(t.Context(), f.co.ID, shippedSeed(t, eng, staffbot.DateOf(t0), 60, 200)); err != nil {
				t.Fatal(err)
			}
			boss := f.mustEmployee(f.co, "9001", "Начальник Склада", nil)
			_, secret := f.mustUser("an@acme.ru", auth.RoleAnalyst, nil, true)
			f.mustUser("lm@acme.ru", auth.RoleLineManager, boss, false)
			_, _, err := f.svc.CreateUser(t.Context(), nil, f.co.ID, auth.NewUser{Email: "sklad@acme.ru", Role: auth.RoleHRManager,
				Password: password, Departments: []string{"Склад"}})
			if err != nil {
				t.Fatal(err)
			}

			an := f.client()
			an.signIn("an@acme.ru", secret)
			if p := an.get("/hr/dashboards/adoption"); p.status != http.StatusOK {
				t.Errorf("analyst dashboards = %d", p.status)
			}
			if p := an.get("/hr/dashboards/helpdesk"); p.status != http.StatusOK || !strings.Contains(p.body, `data-chart="csat"`) {
				t.Errorf("analyst helpdesk dashboard = %d", p.status)
			}
			if p := an.get("/hr/dashboards/export?chart=ticket_times&format=csv"); p.status != http.StatusOK {
				t.Errorf("analyst helpdesk download = %d", p.status)
			}
			for _, path := range []string{"/hr/employees", "/hr/onboarding", "/hr/settings", "/hr/scenarios", "/hr/audit", "/hr/requests"} {
				if p := an.get(path); p.status != http.StatusForbidden {
					t.Errorf("analyst %s = %d, want 403", path, p.status)
				}
			}
			lm := f.client()
			lm.signIn("lm@acme.ru", "")
			if p := lm.get("/hr/dashboards/adoption"); p.status != http.StatusForbidden {
				t.Errorf("line manager dashboards = %d, want 403", p.status)
			}
			if p := lm.get("/hr/dashboards/helpdesk"); p.status != http.StatusForbidden {
				t.Errorf("line manager helpdesk dashboard = %d, want 403", p.status)
			}
			if p := lm.get("/hr/dashboards/export?chart=csat&format=xlsx"); p.status != http.StatusForbidden {
				t.Errorf("line manager helpdesk download = %d, want 403", p.status)
			}

			sk := f.client()
			sk.signIn("sklad@acme.ru", "")
			p := sk.get("/hr/dashboards/adoption?period=90")
			if strings.Contains(p.body, "<option>Бухгалтерия</option>") {
				t.Error("a user scoped to Склад is offered Бухгалтерия")
			}
			other := sk.get("/hr/dashboards/adoption?period=90&department=" + url.QueryEscape("Бухгалтерия"))
			if strings.Contains(other.body, `data-v="1"`) || strings.Contains(other.body, `data-v="2"`) {
				t.Error("a user scoped to Склад sees Бухгалтерия's numbers")
			}
			own := sk.get("/hr/dashboards/helpdesk?period=90")
			other = sk.get("/hr/dashboards/helpdesk?period=90&department=" + url.QueryEscape("Бухгалтерия"))
			if !regexp.MustCompile(`data-v="[1-9]`).MatchString(own.body) || regexp.MustCompile(`data-v="[1-9]`).MatchString(other.body) {
				t.Error("the helpdesk dashboard does not keep a user scoped to Склад to Склад")
			}
			list := sk.get("/hr/employees?status=all")
			if list.status != http.StatusOK || strings.Contains(list.body, "<td>Бухгалтерия</td>") || !strings.Contains(list.body, "<td>Склад</td>") {
				t.Errorf("scoped employee list = %d", list.status)
			}
			if p := sk.get("/hr/employees/import"); strings.Contains(p.body, `id="import-form"`) {
				t.Errorf("a scoped user is offered the import")
			}
		})

		t.Run("EmployeesInviteAndImport", func(t *testing.T) {
			t.Parallel()
			f, _ := newPagesFixture(t, open(t), "")
			anna := f.mustEmployee(f.co, "0001", "Иванова Анна Сергеевна", nil)
			f.mustEmployee(f.co, "0002", "Петров Пётр Петрович", nil)
			_, secret := f.mustUser("hr@acme.ru", auth.RoleHRManager, nil, true)
			c := f.client()
			c.signIn("hr@acme.ru", secret)

			p := c.get("/hr/employees?q=" + url.QueryEscape("иванова"))
			if p.status != http.StatusOK || !strings.Contains(p.body, "Иванова Анна Сергеевна") || strings.Contains(p.body, "Петров") {
				t.Fatalf("search = %d:\n%s", p.status, p.body)
			}
			card := "/hr/employees/" + strconv.FormatInt(int64(anna.ID), 10)
			p = c.post(card+"/invite", url.Values{"csrf": {c.csrf(card)}})
			link := regexp.MustCompile(`/join/([A-Za-z0-9_-]+)`).FindStringSubmatch(p.body)
			if p.status != http.StatusOK || link == nil {
				t.Fatalf("invite = %d:\n%s", p.status, p.body)
			}
			if _, err := f.st.FindInviteCompany(t.Context(), staffbot.HashInviteCode(link[1])); err != nil {
				t.Errorf("the shown code is not stored: %v", err)
			}
			again := c.get(card)
			if !strings.Contains(again.body, `id="bot-state">приглашён`) || strings.Contains(again.body, link[1]) {
				t.Errorf("the card after the invite shows the status %v and the code %v", strings.Contains(again.body, "приглашён"), strings.Contains(again.body, link[1]))
			}
			recs, err := f.st.FindAudit(t.Context(), f.co.ID, store.AuditFilter{Action: "invite.create"})
			if err != nil || len(recs) != 1 || recs[0].Actor.Kind != staffbot.ActorUser {
				t.Errorf("invite audit = %v, %v", recs, err)
			}

			// A bad file: every problem by line, nothing written.
			bad, err := os.ReadFile("../importer/testdata/employees-bad.csv")
			if err != nil {
				t.Fatal(err)
			}
			csrf := c.csrf("/hr/employees/import")
			p = c.upload("/hr/employees/import", csrf, "employees-bad.csv", bad)
			if p.status != http.StatusOK || !strings.Contains(p.body, `id="problems"`) || !strings.Contains(p.body, "<td>2</td>") {
				t.Fatalf("bad file = %d:\n%s", p.status, p.body)
			}
			if strings.Contains(p.body, `id="confirm"`) {
				t.Error("a bad file can be confirmed")
			}
			if n, _ := f.st.EmployeeNumbers(t.Context(), f.co.ID); len(n) != 2 {
				t.Errorf("employees after a bad file = %d, want 2", len(n))
			}

			// A good file: a preview, then the confirmation writes it. Its
			// pay column is skipped with a notice, and rejects nothing.
			good := "Табельный номер;ФИО;Подразделение;Должность;Дата приема;Оклад\n0003;Сидорова Вера;Бухгалтерия;Бухгалтер;01.03.2026;91 000\n0001;Иванова Анна Сергеевна;ИТ;Инженер;01.04.2025;88 000\n"
			p = c.upload("/hr/employees/import", csrf, "good.csv", []byte(good))
			token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(p.body)
			if p.status != http.StatusOK || token == nil || !strings.Contains(p.body, "Сидорова Вера") {
				t.Fatalf("good file = %d:\n%s", p.status, p.body)
			}
			if !strings.Contains(p.body, `<ul id="notices" class="hint"><li>«Оклад»: столбец пропущен: оплата труда хранится в учётной системе`) {
				t.Errorf("the preview does not say the pay column is skipped:\n%s", p.body)
			}
			if n, _ := f.st.EmployeeNumbers(t.Context(), f.co.ID); len(n) != 2 {
				t.Error("the preview wrote employees")
			}
			p = c.post("/hr/employees/import/confirm", url.Values{"csrf": {csrf}, "token": {token[1]}})
			if p.status != http.StatusOK {
				t.Fatalf("confirm = %d:\n%s", p.status, p.body)
			}
			if n, _ := f.st.EmployeeNumbers(t.Context(), f.co.ID); len(n) != 3 {
				t.Errorf("employees after the import = %d, want 3", len(n))
			}
			if p := c.post("/hr/employees/import/confirm", url.Values{"csrf": {csrf}, "token": {token[1]}}); !strings.Contains(p.body, "Проверка устарела") {
				t.Errorf("a second confirmation = %d, not refused", p.status)
			}
		})

		t.Run("OnboardingAndNudge", func(t *testing.T) {
			t.Parallel()
			f, eng := newPagesFixture(t, open(t), "")
			today := staffbot.DateOf(t0.In(f.co.Location()))
			if _, err := f.st.SeedActivity(t.Context(), f.co.ID, shippedSeed(t, eng, today, 150, 800)); err != nil {
				t.Fatal(err)
			}
			_, secret := f.mustUser("hr@acme.ru", auth.RoleHRManager, nil, true)
			c := f.client()
			c.signIn("hr@acme.ru", secret)

			p := c.get("/hr/onboarding?status=stuck")
			if p.status != http.StatusOK || !strings.Contains(p.body, `id="newcomers"`) {
				t.Fatalf("stuck newcomers = %d:\n%s", p.status, p.body)
			}
			m := regexp.MustCompile(`action="/hr/employees/(\d+)/nudge"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"><input type="hidden" name="task" value="(\d+)">`).FindStringSubmatch(p.body)
			if m == nil {
				t.Fatalf("no nudge button among the stuck:\n%s", p.body)
			}
			detail := c.get("/hr/employees/" + m[1] + "/onboarding")
			if detail.status != http.StatusOK || !strings.Contains(detail.body, `id="onb-progress"`) || !strings.Contains(detail.body, `id="milestones"`) {
				t.Fatalf("newcomer's onboarding = %d", detail.status)
			}

			// The mentor has no account in the seed, so the reminder
			// cannot be delivered and HR is told so.
			r := c.post("/hr/employees/"+m[1]+"/nudge", url.Values{"csrf": {m[2]}, "task": {m[3]}, "back": {"/hr/onboarding?status=stuck"}})
			if r.status != http.StatusSeeOther || !strings.Contains(r.location, "m=") {
				t.Fatalf("nudge = %d %s", r.status, r.location)
			}
			task, err := strconv.ParseInt(m[3], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			tk, err := f.st.FindTask(t.Context(), f.co.ID, task)
			if err != nil || tk.AssigneeID == nil {
				t.Fatalf("task %d: %+v %v", task, tk, err)
			}
			// Once the mentor joins, the reminder goes to their chat.
			mentor, err := f.st.FindEmployeeByID(t.Context(), f.co.ID, *tk.AssigneeID)
			if err != nil {
				t.Fatal(err)
			}
			mustJoinChat(t, f, mentor, "m")
			r = c.post("/hr/employees/"+m[1]+"/nudge", url.Values{"csrf": {m[2]}, "task": {m[3]}, "back": {"/hr/onboarding?status=stuck"}})
			if !strings.HasSuffix(r.location, "m=nudged") {
				t.Fatalf("nudge to a joined mentor = %d %s", r.status, r.location)
			}
			msgs, err := f.st.FindChatMessages(t.Context(), f.co.ID, staffbot.ChannelWebchat, "m", 0, 10)
			if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].Message.Text, "Напоминание от HR") || len(msgs[0].Message.Buttons) != 1 {
				t.Fatalf("the mentor's chat = %v, %v", msgs, err)
			}
		})

		t.Run("ScenariosSettingsAudit", func(t *testing.T) {
			t.Parallel()
			tg := telegramtest.NewServer(t)
			tg.AddBot("123:good", "acme_hr_bot")
			f, eng := newPagesFixture(t, open(t), tg.URL())
			_, secret := f.mustUser("owner@acme.ru", auth.RoleOwner, nil, true)
			c := f.client()
			c.signIn("owner@acme.ru", secret)

			// Turning the shipped onboarding off.
			csrf := c.csrf("/hr/scenarios")
			p := c.post("/hr/scenarios/toggle", url.Values{"csrf": {csrf}, "scenario": {"onboarding"}, "enabled": {"0"}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("toggle = %d", p.status)
			}
			if _, off, err := eng.CompanyScenarios(t.Context(), f.co.ID); err != nil || !off["onboarding"] {
				t.Errorf("after turning it off the engine has off = %v, %v", off, err)
			}

			// A broken scenario: problems with their lines, nothing saved.
			broken := "id: own\nversion: 1\ntitle: {ru: Свой}\ntrigger: registration\nsteps:\n  - id: a\n    send: {text: {ru: Привет}}\n  - id: b\n    goto: nowhere\n"
			p = c.upload("/hr/scenarios/upload", csrf, "own.yaml", []byte(broken))
			if p.status != http.StatusOK || !strings.Contains(p.body, "<td>9</td>") || strings.Contains(p.body, "scn.uploaded") {
				t.Fatalf("broken scenario = %d:\n%s", p.status, p.body)
			}
			fixed := strings.Replace(broken, "goto: nowhere", "end: true", 1)
			p = c.upload("/hr/scenarios/upload", csrf, "own.yaml", []byte(fixed))
			if p.status != http.StatusSeeOther {
				t.Fatalf("fixed scenario = %d:\n%s", p.status, p.body)
			}
			defs, _, err := eng.CompanyScenarios(t.Context(), f.co.ID)
			if err != nil || len(defs) != 2 || defs[1].ID != "own" {
				t.Errorf("company scenarios after the upload = %d, %v", len(defs), err)
			}

			// Settings: the company's zone, then the Telegram check.
			p = c.post("/hr/settings/company", url.Values{"csrf": {csrf}, "name": {"ООО Акме-2"}, "time_zone": {"Asia/Yekaterinburg"}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("save company = %d:\n%s", p.status, p.body)
			}
			co, _ := f.st.FindCompanyByID(t.Context(), f.co.ID)
			if co.Name != "ООО Акме-2" || co.TimeZone != "Asia/Yekaterinburg" {
				t.Errorf("company = %q %q", co.Name, co.TimeZone)
			}
			p = c.post("/hr/settings/telegram", url.Values{"csrf": {csrf}, "token": {"123:wrong"}})
			if !strings.Contains(p.body, "Telegram не принял токен") {
				t.Errorf("a wrong token = %d, not refused", p.status)
			}
			p = c.post("/hr/settings/telegram", url.Values{"csrf": {csrf}, "token": {"123:good"}})
			if p.status != http.StatusOK || !strings.Contains(p.body, "@acme_hr_bot") {
				t.Fatalf("a good token = %d:\n%s", p.status, p.body)
			}
			p = c.post("/hr/settings/telegram/test", url.Values{"csrf": {csrf}})
			if !strings.Contains(p.body, `id="test-result"`) || !strings.Contains(p.body, "Подключение работает: @acme_hr_bot") {
				t.Errorf("test connection:\n%s", p.body)
			}
			if tg.Calls("getMe") < 2 {
				t.Errorf("getMe calls = %d", tg.Calls("getMe"))
			}
			p = c.post("/hr/settings/retention", url.Values{"csrf": {csrf}, "audit_days": {"10"}, "anonymize_after_days": {"30"}})
			if !strings.Contains(p.body, `role="alert"`) {
				t.Errorf("10 days of audit = %d, not refused", p.status)
			}
			if r, _ := f.st.FindRetention(t.Context(), f.co.ID); r.AuditDays == 10 {
				t.Error("10 days of audit were saved")
			}
			p = c.post("/hr/settings/reports", url.Values{"csrf": {csrf}, "digest": {"0"}})
			if on, _ := f.st.DigestEnabled(t.Context(), f.co.ID); p.status != http.StatusSeeOther || on {
				t.Errorf("digest off = %d, still on %v", p.status, on)
			}

			// The audit log shows all of it, filtered.
			p = c.get("/hr/audit?action=scenario.")
			if p.status != http.StatusOK || !strings.Contains(p.body, "scenario.upload") || !strings.Contains(p.body, "scenario.disable") ||
				strings.Contains(p.body, "company.update") {
				t.Errorf("audit filtered by scenario. = %d:\n%s", p.status, p.body)
			}
			if p := c.get("/hr/audit?object=company"); !strings.Contains(p.body, "company.update") || !strings.Contains(p.body, "owner@acme.ru") {
				t.Errorf("audit of the company's changes lacks the change or its author")
			}
		})
	})
}

// mustJoinChat binds a web chat account with consent to the employee, as
// registration does.
func mustJoinChat(t *testing.T, f *fixture, e *staffbot.Employee, chat string) {
	t.Helper()
	code := staffbot.NewInviteCode()
	if _, err := f.st.CreateInvite(t.Context(), f.co.ID, e.ID, staffbot.HashInviteCode(code), t0, staffbot.DefaultInviteTTL); err != nil {
		t.Fatal(err)
	}
	acct := &staffbot.ChannelAccount{Kind: staffbot.ChannelWebchat, ExternalID: chat, ChatID: chat}
	err := f.st.InTx(t.Context(), func(tx *store.Tx) error {
		if _, err := tx.RedeemInvite(t.Context(), f.co.ID, staffbot.HashInviteCode(code), acct, t0, staffbot.DateOf(t0)); err != nil {
			return err
		}
		return tx.GiveConsent(t.Context(), acct, staffbot.ConsentTextVersion, t0)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// mustSameNumbers checks that a downloaded workbook holds the numbers of
// the page's data table.
func mustSameNumbers(t *testing.T, chart string, table [][]string, xlsx []byte) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatalf("%s: open XLSX: %v", chart, err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetName)
	if err != nil {
		t.Fatal(err)
	}
	body := table[1:]
	for i, row := range body {
		x := rows[report.HeaderRow+i]
		for j := 1; j < len(row); j++ {
			cell := ""
			if j < len(x) {
				cell = x[j]
			}
			if row[j] == "—" {
				// A point without a value: an empty cell.
				if cell != "" {
					t.Fatalf("%s row %d column %d: page —, XLSX %q", chart, i, j, cell)
				}
				continue
			}
			page, _ := strconv.ParseFloat(strings.Replace(row[j], ",", ".", 1), 64)
			got, err := strconv.ParseFloat(cell, 64)
			if err != nil || roundTo2(got) != page {
				t.Fatalf("%s row %d column %d: page %q, XLSX %q", chart, i, j, row[j], cell)
			}
		}
	}
	if len(rows) < report.HeaderRow+len(body) {
		t.Fatalf("%s: XLSX has %d rows for %d points", chart, len(rows), len(body))
	}
}

func roundTo2(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
	return f
}
