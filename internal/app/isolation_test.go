package app_test

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// isoTenant is one company with an object of every kind that a route can
// name, and markers that must never show up in another company's answers.
type isoTenant struct {
	co       *staffbot.Company
	objects  map[string]string // object kind → id
	markers  []string
	session  string // cookie of a signed-in owner
	csrf     string
	apiToken string // an admin token
}

// TestIsolation_EveryObjectRoute walks the route tables of the HR cabinet
// and the REST API. For every route whose path names an object, a user of
// company A (an owner, for the cabinet; an admin token, for the API) asks
// for company B's object and must get 404 with none of B's data, while the
// same request for A's own object must not be 404. A route naming a kind
// of object this test cannot make fails the test, so a new route cannot
// slip through untested. Every guarded route must also refuse a visitor
// who is not signed in.
func TestIsolation_EveryObjectRoute(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			clock := staffbot.NewManualClock(time.Date(2026, 3, 2, 9, 0, 10, 0, time.UTC))
			dsn := op.DSN(t)
			if op.Name == "SQLite" {
				dsn = "sqlite://" + dsn
			}
			cfg := config.Config{
				Addr: "127.0.0.1:0", DataDir: t.TempDir(), DatabaseURL: dsn, TelegramAPIURL: "http://127.0.0.1:9",
				TelegramMode: "poll", MasterKey: hex.EncodeToString(storetest.TestKey), LogLevel: "error", LogFormat: "json",
			}
			a, err := app.Open(context.Background(), cfg, app.Options{Clock: clock, Logger: testLogger()})
			if err != nil {
				t.Fatalf("app.Open: %v", err)
			}
			t.Cleanup(func() { a.Close() })
			srv := httptest.NewServer(a.Handler())
			t.Cleanup(srv.Close)
			svc := auth.New(a.Store, clock, auth.Options{Logger: testLogger()})

			tenantA := isoMustTenant(t, a, svc, clock, "alpha", "Альфа")
			tenantB := isoMustTenant(t, a, svc, clock, "beta", "Бета")
			hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

			wildcard := regexp.MustCompile(`\{[^}]+\}`)
			covered := 0
			for _, rt := range a.CabinetRoutes() {
				if rt.Public {
					continue
				}
				path := strings.ReplaceAll(rt.Path, "{$}", "")
				// Nobody signed in: the cabinet sends to the sign-in page,
				// the API answers 401.
				anon := wildcard.ReplaceAllString(path, "1")
				if st, _ := isoDo(t, hc, srv.URL, rt, anon, nil); st != http.StatusSeeOther && st != http.StatusUnauthorized {
					t.Errorf("%s without signing in = %d, want 303 or 401", rt.Pattern(), st)
				}

				if !wildcard.MatchString(path) {
					continue
				}
				foreign, ok := tenantB.objects[rt.Object]
				if !ok {
					t.Errorf("%s names object %q, which this test cannot make: add it to isoMustTenant", rt.Pattern(), rt.Object)
					continue
				}
				covered++
				status, body := isoDo(t, hc, srv.URL, rt, wildcard.ReplaceAllString(path, foreign), tenantA)
				if status != http.StatusNotFound {
					t.Errorf("%s for company B's %s as company A = %d, want 404", rt.Pattern(), rt.Object, status)
				}
				for _, m := range tenantB.markers {
					if strings.Contains(body, m) {
						t.Errorf("%s for company B's %s shows %q", rt.Pattern(), rt.Object, m)
					}
				}

				// The same request for A's own object is served, so the 404
				// above is isolation and not a broken route.
				own := tenantA.objects[rt.Object]
				if status, _ := isoDo(t, hc, srv.URL, rt, wildcard.ReplaceAllString(path, own), tenantA); status == http.StatusNotFound || status >= 500 {
					t.Errorf("%s for company A's own %s = %d", rt.Pattern(), rt.Object, status)
				}
			}
			if covered == 0 {
				t.Error("no route names an object; the route tables were not walked")
			}

			// The reads above went to company A's audit log, each naming
			// the employee read; company B's log has none of them.
			reads, err := a.Store.FindAudit(t.Context(), tenantA.co.ID, store.AuditFilter{Action: auth.AuditEmployeeRead})
			if err != nil || len(reads) == 0 || reads[0].SubjectID == nil || reads[0].Actor.Kind == "" {
				t.Errorf("company A's employee.read records = %v, %v", reads, err)
			}
			if leaked, _ := a.Store.FindAudit(t.Context(), tenantB.co.ID, store.AuditFilter{Action: auth.AuditEmployeeRead}); len(leaked) != 0 {
				t.Errorf("company B's log holds %d reads made by company A", len(leaked))
			}
		})
	}
}

// isoMustTenant makes a company with an employee, a cabinet user to act
// on, an API token to act on, a signed-in owner and an admin API token.
func isoMustTenant(t *testing.T, a *app.App, svc *auth.Service, clock *staffbot.ManualClock, slug, name string) *isoTenant {
	t.Helper()
	ctx := t.Context()
	co := &staffbot.Company{Slug: slug, Name: "ООО " + name}
	if err := a.Store.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	emp := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: "0001", FullName: name + "ева Секретная Ивановна",
		Phone: "+79990001122", HiredOn: staffbot.Date{Year: 2025, Month: 5, Day: 6}}
	if err := a.Store.CreateEmployee(ctx, emp, clock.Now()); err != nil {
		t.Fatal(err)
	}
	target, _, err := svc.CreateUser(ctx, nil, co.ID, auth.NewUser{Email: "target@" + slug + ".ru", Role: auth.RoleHROperator})
	if err != nil {
		t.Fatal(err)
	}
	_, tk, err := svc.CreateToken(ctx, nil, co.ID, auth.NewToken{Name: "victim-" + slug, Role: auth.RoleAnalyst})
	if err != nil {
		t.Fatal(err)
	}
	apiToken, _, err := svc.CreateToken(ctx, nil, co.ID, auth.NewToken{Role: auth.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}

	// A signed-in owner: password, then the mandatory enrolment.
	if _, _, err := svc.CreateUser(ctx, nil, co.ID, auth.NewUser{Email: "owner@" + slug + ".ru", Role: auth.RoleOwner, Password: "owner password 1"}); err != nil {
		t.Fatal(err)
	}
	g, err := svc.Login(ctx, co.ID, "owner@"+slug+".ru", "owner password 1", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := svc.Authenticate(ctx, g.Token, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	enr, err := svc.StartEnrolment(ctx, cur)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := auth.TOTPCode(enr.Secret, clock.Now())
	_, full, err := svc.ConfirmEnrolment(ctx, cur, code)
	if err != nil || full.Session.Stage != auth.StageFull {
		t.Fatalf("owner enrolment: %v", err)
	}

	tn := &isoTenant{
		co: co,
		objects: map[string]string{
			auth.ObjectEmployee: strconv.FormatInt(int64(emp.ID), 10),
			auth.ObjectUser:     strconv.FormatInt(int64(target.ID), 10),
			auth.ObjectAPIToken: strconv.FormatInt(tk.ID, 10),
		},
		markers:  []string{emp.FullName, "79990001122", target.Email, "victim-" + slug, co.Name},
		session:  full.Token,
		csrf:     auth.CSRFToken(full.Token),
		apiToken: apiToken,
	}
	isoHelpdeskObjects(t, a, tn, emp)
	isoRequestObjects(t, a, tn, emp)
	isoKBObjects(t, a, tn, emp)
	return tn
}

// isoDo sends the route's request for path as the tenant (nil: nobody):
// with the owner's session cookie and CSRF token in the cabinet, with the
// admin token in the API.
func isoDo(t *testing.T, hc *http.Client, base string, rt auth.Route, path string, as *isoTenant) (int, string) {
	t.Helper()
	var body io.Reader
	if rt.Method == http.MethodPost {
		form := url.Values{}
		if as != nil {
			form.Set("csrf", as.csrf)
		}
		form.Set("blocked", "1")
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(rt.Method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if rt.Method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if as != nil {
		if strings.HasPrefix(rt.Path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+as.apiToken)
		} else {
			req.AddCookie(&http.Cookie{Name: "staffbot_session", Value: as.session})
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
