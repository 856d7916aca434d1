package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/api"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	st    *store.Store
	clock *staffbot.ManualClock
	svc   *auth.Service
	srv   *httptest.Server
	co    *staffbot.Company
}

func newFixture(t *testing.T, open func(t *testing.T) *store.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, st: open(t), clock: staffbot.NewManualClock(t0)}
	logger := slog.New(slog.DiscardHandler)
	f.svc = auth.New(f.st, f.clock, auth.Options{Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}, Logger: logger})
	mux := http.NewServeMux()
	api.New(api.Config{Auth: f.svc, Clock: f.clock, Logger: logger}).Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.co = f.mustCompany("acme")
	return f
}

func (f *fixture) mustCompany(slug string) *staffbot.Company {
	f.t.Helper()
	co := &staffbot.Company{Slug: slug, Name: slug}
	if err := f.st.CreateCompany(f.t.Context(), co); err != nil {
		f.t.Fatal(err)
	}
	return co
}

func (f *fixture) mustEmployee(co *staffbot.Company, number string, manager *staffbot.Employee) *staffbot.Employee {
	f.t.Helper()
	e := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: number, FullName: "Сотрудник " + number,
		Phone: "+7900" + number, HiredOn: staffbot.Date{Year: 2025, Month: 1, Day: 9}}
	if manager != nil {
		e.ManagerID = &manager.ID
	}
	if err := f.st.CreateEmployee(f.t.Context(), e, t0); err != nil {
		f.t.Fatal(err)
	}
	return e
}

func (f *fixture) mustToken(co *staffbot.Company, nt auth.NewToken) (string, *store.APIToken) {
	f.t.Helper()
	token, tk, err := f.svc.CreateToken(f.t.Context(), nil, co.ID, nt)
	if err != nil {
		f.t.Fatal(err)
	}
	return token, tk
}

func (f *fixture) get(path, token string) (int, string, http.Header) {
	f.t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("TokenAuth", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			f.mustEmployee(f.co, "0001", nil)
			token, tk := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHRManager, TTL: time.Hour})

			status, body, hdr := f.get("/api/v1/employees", "")
			if status != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") == "" || !strings.Contains(body, `"code":"unauthorized"`) {
				t.Errorf("no token = %d %s", status, body)
			}
			if status, _, _ := f.get("/api/v1/employees", token+"x"); status != http.StatusUnauthorized {
				t.Errorf("altered token = %d, want 401", status)
			}
			status, body, hdr = f.get("/api/v1/employees", token)
			if status != http.StatusOK || hdr.Get("Content-Type") != "application/json; charset=utf-8" || hdr.Get("Cache-Control") != "no-store" {
				t.Fatalf("valid token = %d %s", status, body)
			}
			var list api.EmployeeList
			if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Data) != 1 || list.Data[0].Phone != "+79000001" {
				t.Errorf("list = %s (%v)", body, err)
			}

			if err := f.svc.RevokeToken(t.Context(), nil, f.co.ID, tk.ID); err != nil {
				t.Fatal(err)
			}
			if status, _, _ := f.get("/api/v1/employees", token); status != http.StatusUnauthorized {
				t.Errorf("revoked token = %d, want 401", status)
			}
			expiring, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHRManager, TTL: time.Hour})
			f.clock.Advance(time.Hour)
			if status, _, _ := f.get("/api/v1/employees", expiring); status != http.StatusUnauthorized {
				t.Errorf("expired token = %d, want 401", status)
			}
		})

		t.Run("BadTokensAreThrottled", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			token, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHRManager})
			for range 20 {
				f.get("/api/v1/employees", "sbt_guess")
			}
			status, _, hdr := f.get("/api/v1/employees", token)
			if status != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
				t.Errorf("after 20 bad tokens a good one = %d, want 429 with Retry-After", status)
			}
			f.clock.Advance(time.Minute)
			if status, _, _ := f.get("/api/v1/employees", token); status != http.StatusOK {
				t.Errorf("a minute later = %d, want 200", status)
			}
		})

		t.Run("PermissionsAndScope", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			boss := f.mustEmployee(f.co, "0001", nil)
			lead := f.mustEmployee(f.co, "0002", boss)
			dev := f.mustEmployee(f.co, "0003", lead)
			other := f.mustCompany("other")
			stranger := f.mustEmployee(other, "0001", nil)

			analyst, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleAnalyst})
			if status, body, _ := f.get("/api/v1/employees", analyst); status != http.StatusForbidden || strings.Contains(body, "Сотрудник") {
				t.Errorf("analyst lists employees = %d %s, want 403", status, body)
			}
			lm, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleLineManager, EmployeeID: &lead.ID})
			_, body, _ := f.get("/api/v1/employees", lm)
			var list api.EmployeeList
			json.Unmarshal([]byte(body), &list)
			if len(list.Data) != 1 || list.Data[0].ID != int64(dev.ID) {
				t.Errorf("line manager token lists %s, want only 0003", body)
			}
			if status, _, _ := f.get("/api/v1/employees/"+strconv.FormatInt(int64(boss.ID), 10), lm); status != http.StatusNotFound {
				t.Errorf("line manager token reads the boss = %d, want 404", status)
			}

			hr, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHRManager})
			status, body, _ := f.get("/api/v1/employees/"+strconv.FormatInt(int64(dev.ID), 10), hr)
			var e api.Employee
			if err := json.Unmarshal([]byte(body), &e); status != http.StatusOK || err != nil || e.PersonnelNumber != "0003" || e.ManagerID == nil || *e.ManagerID != int64(lead.ID) {
				t.Errorf("GET employee = %d %s", status, body)
			}
			status, body, _ = f.get("/api/v1/employees/"+strconv.FormatInt(int64(stranger.ID), 10), hr)
			if status != http.StatusNotFound || strings.Contains(body, "Сотрудник") || !strings.Contains(body, `"not_found"`) {
				t.Errorf("another company's employee = %d %s, want 404 and no data", status, body)
			}
			for _, path := range []string{"/api/v1/employees/abc", "/api/v1/employees/-1", "/api/v1/employees?limit=0", "/api/v1/employees?after=x"} {
				if status, _, _ := f.get(path, hr); status != http.StatusNotFound && status != http.StatusBadRequest {
					t.Errorf("GET %s = %d, want 404 or 400", path, status)
				}
			}
		})

		t.Run("Pagination", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			for i := 1; i <= 5; i++ {
				f.mustEmployee(f.co, "000"+strconv.Itoa(i), nil)
			}
			token, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHROperator})
			var seen []string
			path := "/api/v1/employees?limit=2"
			for pages := 0; pages < 5; pages++ {
				_, body, _ := f.get(path, token)
				var list api.EmployeeList
				if err := json.Unmarshal([]byte(body), &list); err != nil {
					t.Fatal(err)
				}
				for _, e := range list.Data {
					seen = append(seen, e.PersonnelNumber)
				}
				if list.NextAfter == nil {
					break
				}
				path = "/api/v1/employees?limit=2&after=" + strconv.FormatInt(*list.NextAfter, 10)
			}
			if strings.Join(seen, ",") != "0001,0002,0003,0004,0005" {
				t.Errorf("pages gave %v", seen)
			}
		})
	})
}
