package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/demo"
	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
	"github.com/staffbot/staffbot/internal/web"
	"github.com/staffbot/staffbot/scenarios"
)

// BenchmarkPages times every page of the cabinet, server side, on the
// demo company with the history the browser test uses (SQLite), the
// helpdesk dashboard and HR's queue of requests included. The goal is
// under 300 ms a page.
func BenchmarkPages(b *testing.B) {
	ctx := context.Background()
	sealer, err := secret.NewSealer(storetest.TestKey)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sealer)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	clock := staffbot.NewManualClock(t0)
	logger := slog.New(slog.DiscardHandler)
	svc := auth.New(st, clock, auth.Options{Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}, Logger: logger})
	defs, err := scenario.LoadFS(scenarios.FS)
	if err != nil {
		b.Fatal(err)
	}
	eng := scenario.NewEngine(st, clock, defs, logger)
	eng.Catalog = &scenario.StoreCatalog{Store: st}
	mux := http.NewServeMux()
	cab := web.New(web.Config{Auth: svc, Clock: clock, Logger: logger, Pages: web.Pages{Engine: eng}})
	requests := &selfservice.Service{Store: st, Clock: clock, Logger: logger,
		Links: &securelink.Service{Store: st, Clock: clock, Logger: logger, DataDir: filepath.Join(b.TempDir(), "links")}}
	cab.AddServiceRequests(requests)
	cab.Register(mux)
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)

	co, _, err := demo.Ensure(ctx, st, t0)
	if err != nil {
		b.Fatal(err)
	}
	def := eng.Scenario("onboarding")
	o := store.SeedOptions{Today: staffbot.DateOf(t0.In(co.Location())), Days: 180, Employees: 250, Scenario: def.ID,
		Marks: map[string]string{}, Seed: 11, Skip: []string{demo.NewcomerNumber, demo.MentorNumber, demo.ManagerNumber},
		Articles: map[string]string{"vacation": "Как оформить отпуск", "salary": "Когда приходит зарплата"},
		Tickets:  2, Requests: 3, RequestServices: requestServices()}
	for _, s := range def.Steps {
		o.Steps = append(o.Steps, s.ID)
		if s.Mark != nil {
			o.Marks[s.ID] = s.Mark.Name
		}
	}
	if _, err := st.SeedActivity(ctx, co.ID, o); err != nil {
		b.Fatal(err)
	}
	if _, _, err := svc.CreateUser(ctx, nil, co.ID, auth.NewUser{Email: "hr@demo.ru", Role: auth.RoleAdmin, Password: password}); err != nil {
		b.Fatal(err)
	}
	// An admin must enrol a second factor; the grant after it is signed in.
	g, err := svc.Login(ctx, co.ID, "hr@demo.ru", password, "")
	if err != nil {
		b.Fatal(err)
	}
	cur, err := svc.Authenticate(ctx, g.Token, "")
	if err != nil {
		b.Fatal(err)
	}
	enr, err := svc.StartEnrolment(ctx, cur)
	if err != nil {
		b.Fatal(err)
	}
	code, _ := auth.TOTPCode(enr.Secret, clock.Now())
	_, full, err := svc.ConfirmEnrolment(ctx, cur, code)
	if err != nil {
		b.Fatal(err)
	}
	newcomer, err := st.FindEmployeeByNumber(ctx, co.ID, demo.NewcomerNumber)
	if err != nil {
		b.Fatal(err)
	}
	list, _, err := st.FindNewcomers(ctx, co.ID, store.NewcomerFilter{Scenario: "onboarding", Status: store.OnboardingInProgress, Limit: 1}, t0)
	if err != nil || len(list) == 0 {
		b.Fatalf("no newcomer in progress: %v", err)
	}
	inProgress := strconv.FormatInt(int64(list[0].EmployeeID), 10)
	reqs, err := st.FindServiceQueue(ctx, co.ID, store.ServiceQueueFilter{Status: store.ServiceQueueAll, Limit: 1})
	if err != nil || len(reqs) == 0 {
		b.Fatalf("no request: %v", err)
	}
	request := strconv.FormatInt(reqs[0].ID, 10)

	pages := []string{
		"/hr/employees",
		"/hr/employees?q=" + "%D0%BA%D1%83%D0%B7%D0%BD%D0%B5%D1%86%D0%BE%D0%B2%D0%B0",
		"/hr/employees/" + strconv.FormatInt(int64(newcomer.ID), 10),
		"/hr/employees/import",
		"/hr/onboarding",
		"/hr/onboarding?status=stuck",
		"/hr/employees/" + inProgress + "/onboarding",
		"/hr/dashboards/adoption",
		"/hr/dashboards/adoption?period=365",
		"/hr/dashboards/onboarding",
		"/hr/dashboards/faq",
		"/hr/dashboards/helpdesk",
		"/hr/dashboards/helpdesk?period=365",
		"/hr/dashboards/export?chart=messages&format=xlsx&period=90",
		"/hr/dashboards/export?chart=ticket_times&format=xlsx&period=180",
		"/hr/requests",
		"/hr/requests?status=all&overdue=1",
		"/hr/requests/" + request,
		"/hr/scenarios",
		"/hr/settings",
		"/hr/audit",
	}
	hc := srv.Client()
	for _, path := range pages {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest("GET", srv.URL+path, nil)
				req.AddCookie(&http.Cookie{Name: "staffbot_session", Value: full.Token})
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s = %d", path, resp.StatusCode)
				}
			}
		})
	}
}
