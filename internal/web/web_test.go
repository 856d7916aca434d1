package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
	"github.com/staffbot/staffbot/internal/web"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 10, 0, time.UTC)

const password = "correct horse battery"

type fixture struct {
	t     *testing.T
	st    *store.Store
	clock *staffbot.ManualClock
	svc   *auth.Service
	srv   *httptest.Server
	co    *staffbot.Company

	// requests is HR's queue of self-service requests, on the pages
	// fixtures.
	requests *selfservice.Service
}

func newFixture(t *testing.T, st *store.Store, baseURL string) *fixture {
	t.Helper()
	f := &fixture{t: t, st: st, clock: staffbot.NewManualClock(t0)}
	logger := slog.New(slog.DiscardHandler)
	f.svc = auth.New(st, f.clock, auth.Options{Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}, Logger: logger})
	mux := http.NewServeMux()
	web.New(web.Config{Auth: f.svc, Clock: f.clock, Logger: logger, BaseURL: baseURL}).Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.co = &staffbot.Company{Slug: "acme", Name: "ООО Акме"}
	if err := st.CreateCompany(t.Context(), f.co); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) mustEmployee(co *staffbot.Company, number, name string, manager *staffbot.Employee) *staffbot.Employee {
	f.t.Helper()
	e := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: number, FullName: name, Position: "Инженер",
		Department: "ИТ", Phone: "+7912345" + number, HiredOn: staffbot.Date{Year: 2025, Month: 4, Day: 1}}
	if manager != nil {
		e.ManagerID = &manager.ID
	}
	if err := f.st.CreateEmployee(f.t.Context(), e, t0); err != nil {
		f.t.Fatal(err)
	}
	return e
}

// mustUser creates a user with the shared password; with totp it also
// enrols an authenticator and returns its secret.
func (f *fixture) mustUser(email string, role auth.Role, employee *staffbot.Employee, totp bool) (*store.User, string) {
	f.t.Helper()
	nu := auth.NewUser{Email: email, Role: role, Password: password}
	if employee != nil {
		nu.EmployeeID = &employee.ID
	}
	u, _, err := f.svc.CreateUser(f.t.Context(), nil, f.co.ID, nu)
	if err != nil {
		f.t.Fatal(err)
	}
	if !totp {
		return u, ""
	}
	g, err := f.svc.Login(f.t.Context(), f.co.ID, email, password, "")
	if err != nil {
		f.t.Fatal(err)
	}
	cur, err := f.svc.Authenticate(f.t.Context(), g.Token, "")
	if err != nil {
		f.t.Fatal(err)
	}
	enr, err := f.svc.StartEnrolment(f.t.Context(), cur)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, _, err := f.svc.ConfirmEnrolment(f.t.Context(), cur, f.code(enr.Secret)); err != nil {
		f.t.Fatal(err)
	}
	f.clock.Advance(30 * time.Second)
	return u, enr.Secret
}

func (f *fixture) code(secret string) string {
	f.t.Helper()
	c, err := auth.TOTPCode(secret, f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// client is one browser: a cookie jar, redirects not followed.
type client struct {
	t  *testing.T
	f  *fixture
	hc *http.Client
}

func (f *fixture) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: f.t, f: f, hc: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b), header: resp.Header}
}

func (c *client) get(path string) page {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.f.srv.URL+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values, headers ...string) page {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the first form on the page at path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	p := c.get(path)
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		c.t.Fatalf("GET %s (%d): no CSRF field in the page", path, p.status)
	}
	return m[1]
}

// signIn goes through the sign-in pages and returns where it ended.
func (c *client) signIn(email, secret string) page {
	c.t.Helper()
	p := c.post("/hr/login", url.Values{"csrf": {c.csrf("/hr/login")}, "company": {"acme"}, "email": {email}, "password": {password}})
	if p.status != http.StatusSeeOther {
		c.t.Fatalf("POST /hr/login = %d, want 303:\n%s", p.status, p.body)
	}
	if p.location == "/hr/login/code" {
		p = c.post("/hr/login/code", url.Values{"csrf": {c.csrf("/hr/login/code")}, "code": {c.f.code(secret)}})
	}
	return p
}

func TestCabinet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("SignInWithTOTPAndSeeEmployees", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t), "")
			f.mustEmployee(f.co, "0001", "Иванова Анна Сергеевна", nil)
			other := &staffbot.Company{Slug: "other", Name: "Другая"}
			f.st.CreateCompany(t.Context(), other)
			f.mustEmployee(other, "0002", "Чужой Сотрудник", nil)
			_, secret := f.mustUser("hr@acme.ru", auth.RoleHRManager, nil, true)

			c := f.client()
			if p := c.get("/hr/"); p.status != http.StatusSeeOther || p.location != "/hr/login" {
				t.Fatalf("GET /hr/ signed out = %d %s, want 303 to /hr/login", p.status, p.location)
			}
			p := c.post("/hr/login", url.Values{"csrf": {c.csrf("/hr/login")}, "company": {"acme"}, "email": {"HR@acme.ru"}, "password": {password}})
			if p.location != "/hr/login/code" {
				t.Fatalf("after the password: %d %s, want the code page", p.status, p.location)
			}
			if p := c.get("/hr/"); p.location != "/hr/login/code" {
				t.Errorf("GET /hr/ before the code = %d %s, want the code page", p.status, p.location)
			}
			csrf := c.csrf("/hr/login/code")
			if p := c.post("/hr/login/code", url.Values{"csrf": {csrf}, "code": {"000000"}}); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Неверный код") {
				t.Errorf("wrong code = %d, want 401 with a message", p.status)
			}
			p = c.post("/hr/login/code", url.Values{"csrf": {csrf}, "code": {f.code(secret)}})
			if p.status != http.StatusSeeOther || p.location != "/hr/" {
				t.Fatalf("after the code: %d %s", p.status, p.location)
			}
			setCookie := strings.Join(p.header.Values("Set-Cookie"), "\n")
			if !strings.Contains(setCookie, "staffbot_session=") || !strings.Contains(setCookie, "HttpOnly") ||
				!strings.Contains(setCookie, "SameSite=Strict") || strings.Contains(setCookie, "Secure") {
				t.Errorf("session cookie over http: %s", setCookie)
			}

			home := c.get("/hr/")
			if home.status != http.StatusOK || !strings.Contains(home.body, "Кабинет HR") || !strings.Contains(home.body, "Иванова Анна Сергеевна") {
				t.Fatalf("home = %d:\n%s", home.status, home.body)
			}
			if strings.Contains(home.body, "Чужой") {
				t.Error("the home page shows another company's employee")
			}
			for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
				if home.header.Get(h) == "" {
					t.Errorf("home page lacks %s", h)
				}
			}
			if got := home.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
		})

		t.Run("OwnerIsForcedThroughPasswordChangeAndEnrolment", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t), "")
			_, initial, err := f.svc.CreateUser(t.Context(), nil, f.co.ID, auth.NewUser{Email: "boss@acme.ru", Role: auth.RoleOwner})
			if err != nil {
				t.Fatal(err)
			}
			c := f.client()
			p := c.post("/hr/login", url.Values{"csrf": {c.csrf("/hr/login")}, "company": {"acme"}, "email": {"boss@acme.ru"}, "password": {initial}})
			if p.location != "/hr/password" {
				t.Fatalf("owner with a one-time password went to %q, want /hr/password", p.location)
			}
			for _, path := range []string{"/hr/", "/hr/users", "/hr/2fa"} {
				if p := c.get(path); p.location != "/hr/password" {
					t.Errorf("GET %s before the password change = %d %s, want /hr/password", path, p.status, p.location)
				}
			}
			csrf := c.csrf("/hr/password")
			if p := c.post("/hr/password", url.Values{"csrf": {csrf}, "new": {"new password 1"}, "repeat": {"new password 2"}}); p.status != http.StatusUnprocessableEntity {
				t.Errorf("mismatched passwords = %d, want 422", p.status)
			}
			p = c.post("/hr/password", url.Values{"csrf": {csrf}, "new": {"new password 1"}, "repeat": {"new password 1"}})
			if p.location != "/hr/2fa" {
				t.Fatalf("after the password change: %d %s, want /hr/2fa", p.status, p.location)
			}
			if p := c.get("/hr/"); p.location != "/hr/2fa" {
				t.Errorf("GET /hr/ before enrolment = %d %s, want /hr/2fa", p.status, p.location)
			}
			enrol := c.get("/hr/2fa")
			secret := regexp.MustCompile(`id="secret">([A-Z2-7]+)<`).FindStringSubmatch(enrol.body)
			if enrol.status != http.StatusOK || secret == nil || !strings.Contains(enrol.body, `src="data:image/png;base64,`) {
				t.Fatalf("enrolment page = %d without a QR code or secret:\n%s", enrol.status, enrol.body)
			}
			csrf = csrfRE.FindStringSubmatch(enrol.body)[1]
			p = c.post("/hr/2fa", url.Values{"csrf": {csrf}, "code": {f.code(secret[1])}})
			codes := regexp.MustCompile(`<li><code>([a-z2-9-]+)</code></li>`).FindAllStringSubmatch(p.body, -1)
			if p.status != http.StatusOK || len(codes) != auth.RecoveryCodeCount {
				t.Fatalf("enrolment = %d with %d recovery codes:\n%s", p.status, len(codes), p.body)
			}
			if p := c.get("/hr/"); p.status != http.StatusOK {
				t.Errorf("home after enrolment = %d %s", p.status, p.location)
			}
		})

		t.Run("CSRF", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t), "")
			f.mustUser("op@acme.ru", auth.RoleHROperator, nil, false)
			c := f.client()
			if p := c.post("/hr/login", url.Values{"company": {"acme"}, "email": {"op@acme.ru"}, "password": {password}}); p.status != http.StatusForbidden {
				t.Errorf("sign-in without a CSRF token = %d, want 403", p.status)
			}
			if p := c.post("/hr/login", url.Values{"csrf": {"forged"}, "company": {"acme"}, "email": {"op@acme.ru"}, "password": {password}}); p.status != http.StatusForbidden {
				t.Errorf("sign-in with a wrong CSRF token = %d, want 403", p.status)
			}
			if p := c.signIn("op@acme.ru", ""); p.location != "/hr/" {
				t.Fatalf("sign-in = %d %s", p.status, p.location)
			}
			good := c.csrf("/hr/")
			for _, form := range []url.Values{{}, {"csrf": {"forged"}}, {"csrf": {auth.CSRFToken("another session")}}} {
				if p := c.post("/hr/logout-all", form); p.status != http.StatusForbidden {
					t.Errorf("POST /hr/logout-all with %v = %d, want 403", form, p.status)
				}
			}
			if p := c.post("/hr/logout-all", url.Values{"csrf": {good}}, "Sec-Fetch-Site", "cross-site"); p.status != http.StatusForbidden {
				t.Errorf("cross-site POST with the right token = %d, want 403", p.status)
			}
			if p := c.post("/hr/logout-all", url.Values{"csrf": {good}}, "Origin", "https://evil.example"); p.status != http.StatusForbidden {
				t.Errorf("POST from another origin = %d, want 403", p.status)
			}
			if p := c.get("/hr/"); p.status != http.StatusOK {
				t.Errorf("the refused forms signed the user out: GET /hr/ = %d", p.status)
			}
			if p := c.post("/hr/logout-all", url.Values{"csrf": {good}}, "Sec-Fetch-Site", "same-origin"); p.location != "/hr/login?m=out_all" {
				t.Errorf("POST with the right token = %d %s", p.status, p.location)
			}
		})

		t.Run("LogoutEverywhereAndExpiry", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t), "")
			f.mustUser("op@acme.ru", auth.RoleHROperator, nil, false)
			phone, laptop := f.client(), f.client()
			phone.signIn("op@acme.ru", "")
			laptop.signIn("op@acme.ru", "")

			p := laptop.post("/hr/logout-all", url.Values{"csrf": {laptop.csrf("/hr/2fa")}})
			if p.location != "/hr/login?m=out_all" {
				t.Fatalf("log out everywhere = %d %s", p.status, p.location)
			}
			for name, c := range map[string]*client{"phone": phone, "laptop": laptop} {
				if p := c.get("/hr/"); p.location != "/hr/login" {
					t.Errorf("%s after log out everywhere: %d %s, want /hr/login", name, p.status, p.location)
				}
			}

			phone.signIn("op@acme.ru", "")
			f.clock.Advance(31 * time.Minute)
			if p := phone.get("/hr/"); p.location != "/hr/login?m=expired" {
				t.Errorf("after 31 idle minutes: %d %s, want /hr/login?m=expired", p.status, p.location)
			}
		})

		t.Run("Throttling", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t), "")
			f.mustUser("op@acme.ru", auth.RoleHROperator, nil, false)
			c := f.client()
			csrf := c.csrf("/hr/login")
			form := url.Values{"csrf": {csrf}, "company": {"acme"}, "email": {"op@acme.ru"}, "password": {"wrong"}}
			statuses := map[int]int{}
			for range 6 {
				statuses[c.post("/hr/login", form).status]++
			}
			// Four wrong passwords, then the fifth locks for 15 minutes.
			if statuses[http.StatusUnauthorized] != 4 || statuses[http.StatusTooManyRequests] != 2 {
				t.Errorf("six wrong passwords gave %v, want 4×401 then 429", statuses)
			}
			if p := c.post("/hr/login", url.Values{"csrf": {csrf}, "company": {"acme"}, "email": {"op@acme.ru"}, "password": {password}}); !strings.Contains(p.body, "заблокирован") {
				t.Errorf("right password while locked = %d without the lock message", p.status)
			}

			// Per address: 20 attempts at once, then 429 with Retry-After,
			// whatever the account.
			var last page
			for i := range 20 {
				last = c.post("/hr/login", url.Values{"csrf": {csrf}, "company": {"acme"}, "email": {"n" + string(rune('a'+i)) + "@acme.ru"}, "password": {"x"}})
			}
			if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
				t.Errorf("after 27 attempts from one address: %d, Retry-After %q; want 429", last.status, last.header.Get("Retry-After"))
			}
			f.clock.Advance(time.Minute)
			if p := c.post("/hr/login", url.Values{"csrf": {csrf}, "company": {"acme"}, "email": {"new@acme.ru"}, "password": {"x"}}); p.status != http.StatusUnauthorized {
				t.Errorf("a minute later: %d, want 401", p.status)
			}
		})

		t.Run("RolesOnPages", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t), "")
			boss := f.mustEmployee(f.co, "0001", "Начальников Борис", nil)
			lead := f.mustEmployee(f.co, "0002", "Ведущий Лев", boss)
			dev := f.mustEmployee(f.co, "0003", "Разработчик Денис", lead)
			f.mustUser("analyst@acme.ru", auth.RoleAnalyst, nil, false)
			f.mustUser("lead@acme.ru", auth.RoleLineManager, lead, false)

			an := f.client()
			an.signIn("analyst@acme.ru", "")
			if p := an.get("/hr/"); p.status != http.StatusOK || !strings.Contains(p.body, `id="no-access"`) || strings.Contains(p.body, "Денис") {
				t.Errorf("analyst home = %d, want the no-access note and no names", p.status)
			}
			if p := an.get("/hr/employees/" + itoa(dev.ID)); p.status != http.StatusForbidden {
				t.Errorf("analyst opens an employee = %d, want 403", p.status)
			}
			if p := an.get("/hr/users"); p.status != http.StatusForbidden {
				t.Errorf("analyst opens users = %d, want 403", p.status)
			}
			if p := an.post("/hr/users", url.Values{"csrf": {an.csrf("/hr/")}, "email": {"x@acme.ru"}, "role": {"analyst"}}); p.status != http.StatusForbidden {
				t.Errorf("analyst creates a user = %d, want 403", p.status)
			}

			lm := f.client()
			lm.signIn("lead@acme.ru", "")
			home := lm.get("/hr/")
			if !strings.Contains(home.body, "Разработчик Денис") || strings.Contains(home.body, "Начальников") || strings.Contains(home.body, "Ведущий Лев") {
				t.Errorf("line manager's home shows the wrong people:\n%s", home.body)
			}
			if p := lm.get("/hr/employees/" + itoa(boss.ID)); p.status != http.StatusNotFound || strings.Contains(p.body, "Начальников") {
				t.Errorf("line manager opens their manager = %d, want 404 without the name", p.status)
			}
			if p := lm.get("/hr/employees/" + itoa(dev.ID)); p.status != http.StatusOK || !strings.Contains(p.body, "79123450003") {
				t.Errorf("line manager opens their report = %d", p.status)
			}
		})

		t.Run("EnglishAndSecureCookies", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t), "https://hr.example.ru")
			c := f.client()
			p := c.get("/hr/login")
			setCookie := strings.Join(p.header.Values("Set-Cookie"), "\n")
			if !strings.Contains(setCookie, "__Host-staffbot_pre=") || !strings.Contains(setCookie, "Secure") || !strings.Contains(setCookie, "SameSite=Strict") {
				t.Errorf("cookies under an https base URL: %s", setCookie)
			}
			if !strings.Contains(p.body, "Вход в кабинет HR") || !strings.Contains(p.body, `lang="ru"`) {
				t.Errorf("login page is not Russian by default")
			}
			p = c.get("/hr/lang?to=en&next=%2F%2Fevil.example%2F")
			if p.location != "/hr/" {
				t.Errorf("language switch to //evil.example redirected to %q", p.location)
			}
			lang := p.header.Get("Set-Cookie")
			if !strings.Contains(lang, "staffbot_lang=en") {
				t.Fatalf("language cookie: %s", lang)
			}
			req, _ := http.NewRequest("GET", f.srv.URL+"/hr/login", nil)
			req.Header.Set("Cookie", "__Host-staffbot_lang=en")
			if p := c.do(req); !strings.Contains(p.body, "Sign in to the HR cabinet") || !strings.Contains(p.body, `lang="en"`) {
				t.Errorf("login page in English:\n%s", p.body)
			}
		})
	})
}

func itoa(id staffbot.EmployeeID) string { return strconv.FormatInt(int64(id), 10) }
