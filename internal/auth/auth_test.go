package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 10, 0, time.UTC)

// cheap keeps argon2id fast in tests; TestHashPassword checks the real
// settings.
var cheap = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}

// recorder is an Auditor that keeps what it is given.
type recorder struct {
	mu   sync.Mutex
	recs []staffbot.AuditRecord
}

func (r *recorder) Record(_ context.Context, _ *store.Tx, rec staffbot.AuditRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	return nil
}

// actions returns the recorded actions in order.
func (r *recorder) actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		out = append(out, rec.Action)
	}
	return out
}

func (r *recorder) count(action string) int {
	n := 0
	for _, a := range r.actions() {
		if a == action {
			n++
		}
	}
	return n
}

type fixture struct {
	t     *testing.T
	st    *store.Store
	clock *staffbot.ManualClock
	svc   *auth.Service
	audit *recorder
	co    *staffbot.Company
}

func newFixture(t *testing.T, open func(t *testing.T) *store.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, st: open(t), clock: staffbot.NewManualClock(t0), audit: &recorder{}}
	f.svc = auth.New(f.st, f.clock, auth.Options{Auditor: f.audit, Argon2: cheap, Logger: slog.New(slog.DiscardHandler)})
	f.co = f.mustCompany("acme")
	return f
}

func (f *fixture) mustCompany(slug string) *staffbot.Company {
	f.t.Helper()
	co := &staffbot.Company{Slug: slug, Name: slug}
	if err := f.st.CreateCompany(f.t.Context(), co); err != nil {
		f.t.Fatalf("CreateCompany: %v", err)
	}
	return co
}

// mustUser creates a user of the company with a chosen password, so no
// password change is due.
func (f *fixture) mustUser(co *staffbot.Company, email string, role auth.Role, employee *staffbot.Employee) *store.User {
	f.t.Helper()
	nu := auth.NewUser{Email: email, Role: role, Password: "correct horse battery"}
	if employee != nil {
		nu.EmployeeID = &employee.ID
	}
	u, generated, err := f.svc.CreateUser(f.t.Context(), nil, co.ID, nu)
	if err != nil {
		f.t.Fatalf("CreateUser(%s): %v", email, err)
	}
	if generated != "" {
		f.t.Fatalf("CreateUser with a password returned a generated one")
	}
	return u
}

func (f *fixture) mustEmployee(co *staffbot.Company, number, dept string, manager *staffbot.Employee) *staffbot.Employee {
	f.t.Helper()
	e := &staffbot.Employee{
		CompanyID: co.ID, PersonnelNumber: number, FullName: "Сотрудник " + number, Department: dept,
		Phone: "+7912000" + number, Email: number + "@acme.ru", HiredOn: staffbot.Date{Year: 2025, Month: 2, Day: 3},
	}
	if manager != nil {
		e.ManagerID = &manager.ID
	}
	if err := f.st.CreateEmployee(f.t.Context(), e, t0); err != nil {
		f.t.Fatalf("CreateEmployee: %v", err)
	}
	return e
}

func (f *fixture) current(g *auth.Grant) *auth.Current {
	f.t.Helper()
	cur, err := f.svc.Authenticate(f.t.Context(), g.Token, "192.0.2.1")
	if err != nil {
		f.t.Fatalf("Authenticate: %v", err)
	}
	return cur
}

func (f *fixture) login(u *store.User, password string) (*auth.Grant, error) {
	return f.svc.Login(f.t.Context(), u.CompanyID, u.Email, password, "192.0.2.1")
}

func (f *fixture) mustLogin(u *store.User) *auth.Grant {
	f.t.Helper()
	g, err := f.login(u, "correct horse battery")
	if err != nil {
		f.t.Fatalf("Login(%s): %v", u.Email, err)
	}
	return g
}

func (f *fixture) code(secret string) string {
	f.t.Helper()
	c, err := auth.TOTPCode(secret, f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// mustEnrol turns 2FA on for a signed-in (or enrolling) session and
// returns the secret, the recovery codes and the session to go on with
// (an enrolling session is replaced). The clock moves past the code's
// time step, so the next code differs.
func (f *fixture) mustEnrol(g *auth.Grant) (string, []string, *auth.Grant) {
	f.t.Helper()
	cur := f.current(g)
	enr, err := f.svc.StartEnrolment(f.t.Context(), cur)
	if err != nil {
		f.t.Fatalf("StartEnrolment: %v", err)
	}
	codes, next, err := f.svc.ConfirmEnrolment(f.t.Context(), cur, f.code(enr.Secret))
	if err != nil {
		f.t.Fatalf("ConfirmEnrolment: %v", err)
	}
	f.clock.Advance(30 * time.Second)
	if next == nil {
		next = g
	}
	return enr.Secret, codes, next
}

func TestHashPassword(t *testing.T) {
	h, err := auth.HashPassword("пароль-из-кириллицы", auth.DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not carry the default argon2id settings", h)
	}
	for _, tt := range []struct {
		password string
		want     bool
	}{{"пароль-из-кириллицы", true}, {"пароль-из-кириллицЫ", false}, {"", false}} {
		if got, err := auth.VerifyPassword(h, tt.password); err != nil || got != tt.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tt.password, got, err, tt.want)
		}
	}
	if _, err := auth.VerifyPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("VerifyPassword accepted a bcrypt hash")
	}
	h2, _ := auth.HashPassword("пароль-из-кириллицы", cheap)
	if h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
}

func TestPermissionTable(t *testing.T) {
	want := map[auth.Role][]auth.Permission{
		auth.RoleOwner: auth.Permissions,
		auth.RoleAdmin: auth.Permissions,
		auth.RoleHRManager: {auth.PermEmployeesRead, auth.PermEmployeesContacts, auth.PermEmployeesWrite,
			auth.PermTicketsRead, auth.PermTicketsWrite, auth.PermContentRead, auth.PermContentWrite, auth.PermReportsRead},
		auth.RoleHROperator: {auth.PermEmployeesRead, auth.PermEmployeesContacts, auth.PermTicketsRead, auth.PermTicketsWrite,
			auth.PermContentRead},
		auth.RoleAnalyst:     {auth.PermReportsRead},
		auth.RoleLineManager: {auth.PermEmployeesRead, auth.PermEmployeesContacts},
	}
	for _, role := range auth.Roles {
		for _, p := range auth.Permissions {
			if got, want := role.Has(p), slices.Contains(want[role], p); got != want {
				t.Errorf("%s has %s = %v, want %v", role, p, got, want)
			}
		}
	}
	// Nothing but owners and admins may change anything outside their
	// own work; the analyst changes nothing at all.
	for _, p := range []auth.Permission{auth.PermEmployeesWrite, auth.PermTicketsWrite, auth.PermContentWrite,
		auth.PermUsersManage, auth.PermTokensManage, auth.PermCompanyManage} {
		if auth.RoleAnalyst.Has(p) {
			t.Errorf("analyst has %s", p)
		}
	}
	if auth.Role("root").Has(auth.PermReportsRead) {
		t.Error("an unknown role has a permission")
	}
	if !auth.RoleOwner.RequiresTOTP() || !auth.RoleAdmin.RequiresTOTP() || auth.RoleHRManager.RequiresTOTP() {
		t.Error("2FA must be required for exactly owners and admins")
	}
	if auth.RoleAdmin.CanGrant(auth.RoleOwner) || !auth.RoleOwner.CanGrant(auth.RoleOwner) || auth.RoleHRManager.CanGrant(auth.RoleAnalyst) {
		t.Error("grant rules: admins below owners, HR managers grant nothing")
	}
}

func TestService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("OwnerEnrolsAtFirstSignIn", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			u, password, err := f.svc.CreateUser(t.Context(), nil, f.co.ID, auth.NewUser{Email: " Boss@Acme.RU ", Role: auth.RoleOwner})
			if err != nil {
				t.Fatal(err)
			}
			if u.Email != "boss@acme.ru" || password == "" || !u.MustChangePassword {
				t.Fatalf("created %q, password %q, must change %v", u.Email, password, u.MustChangePassword)
			}

			g, err := f.svc.Login(t.Context(), f.co.ID, "BOSS@acme.ru", password, "192.0.2.1")
			if err != nil || g.Session.Stage != auth.StagePassword {
				t.Fatalf("Login = %v, %v; want stage password", g, err)
			}
			if _, err := f.svc.StartEnrolment(t.Context(), f.current(g)); !errors.Is(err, staffbot.ErrForbidden) {
				t.Errorf("enrolment before the password change: err = %v, want ErrForbidden", err)
			}
			if _, err := f.svc.ChangePassword(t.Context(), f.current(g), "", "short"); !errors.Is(err, staffbot.ErrInvalid) {
				t.Errorf("short password: err = %v, want ErrInvalid", err)
			}
			g, err = f.svc.ChangePassword(t.Context(), f.current(g), "", "a much better password")
			if err != nil || g.Session.Stage != auth.StageEnrol {
				t.Fatalf("ChangePassword = %v, %v; want stage enrol", g, err)
			}

			cur := f.current(g)
			enr, err := f.svc.StartEnrolment(t.Context(), cur)
			if err != nil {
				t.Fatal(err)
			}
			again, err := f.svc.StartEnrolment(t.Context(), cur)
			if err != nil || again.Secret != enr.Secret {
				t.Errorf("a reload shows another secret: %v", err)
			}
			if !strings.HasPrefix(enr.URL, "otpauth://totp/") || !strings.Contains(enr.URL, "secret="+enr.Secret) ||
				len(enr.QRCode) < 100 || string(enr.QRCode[1:4]) != "PNG" {
				t.Errorf("enrolment URL %q, QR code of %d bytes", enr.URL, len(enr.QRCode))
			}
			if _, _, err := f.svc.ConfirmEnrolment(t.Context(), cur, "000000"); !errors.Is(err, staffbot.ErrInvalid) {
				t.Errorf("wrong enrolment code: err = %v, want ErrInvalid", err)
			}
			codes, g2, err := f.svc.ConfirmEnrolment(t.Context(), cur, f.code(enr.Secret))
			if err != nil {
				t.Fatal(err)
			}
			if len(codes) != auth.RecoveryCodeCount || g2 == nil || g2.Session.Stage != auth.StageFull {
				t.Fatalf("ConfirmEnrolment: %d codes, grant %+v", len(codes), g2)
			}
			if _, err := f.svc.Authenticate(t.Context(), g.Token, ""); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("the enrolment session still works after it moved on: %v", err)
			}
			if n, _ := f.st.CountRecoveryCodes(t.Context(), f.co.ID, u.ID); n != auth.RecoveryCodeCount {
				t.Errorf("stored recovery codes = %d", n)
			}
			var raw string
			f.st.DB().QueryRow("SELECT code_hash FROM recovery_codes LIMIT 1").Scan(&raw)
			if slices.ContainsFunc(codes, func(c string) bool { return strings.Contains(raw, c) }) || len(raw) != 64 {
				t.Errorf("recovery code stored as %q, want a SHA-256", raw)
			}
			want := []string{auth.AuditUserCreated, auth.AuditPasswordChanged, auth.AuditTOTPEnabled, auth.AuditLogin}
			if got := f.audit.actions(); !slices.Equal(got, want) {
				t.Errorf("audit = %v, want %v", got, want)
			}
		})

		t.Run("LoginWithTOTP", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			u := f.mustUser(f.co, "hr@acme.ru", auth.RoleHRManager, nil)
			secret, _, _ := f.mustEnrol(f.mustLogin(u))

			g := f.mustLogin(u)
			if g.Session.Stage != auth.StageTOTP {
				t.Fatalf("stage = %s, want totp", g.Session.Stage)
			}
			if _, err := f.svc.SecondFactor(t.Context(), f.current(g), "123456"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Errorf("wrong code: err = %v, want ErrBadCredentials", err)
			}
			code := f.code(secret)
			full, err := f.svc.SecondFactor(t.Context(), f.current(g), code)
			if err != nil || full.Session.Stage != auth.StageFull {
				t.Fatalf("SecondFactor = %v, %v", full, err)
			}

			// The same code does not work twice, even within its 30 s.
			g = f.mustLogin(u)
			if _, err := f.svc.SecondFactor(t.Context(), f.current(g), code); !errors.Is(err, auth.ErrBadCredentials) {
				t.Errorf("replayed code: err = %v, want ErrBadCredentials", err)
			}
			// A phone one step ahead is forgiven; two steps is too far.
			far, _ := auth.TOTPCode(secret, f.clock.Now().Add(time.Minute))
			if _, err := f.svc.SecondFactor(t.Context(), f.current(g), far); !errors.Is(err, auth.ErrBadCredentials) {
				t.Errorf("code two steps ahead: err = %v, want ErrBadCredentials", err)
			}
			ahead, _ := auth.TOTPCode(secret, f.clock.Now().Add(30*time.Second))
			if _, err := f.svc.SecondFactor(t.Context(), f.current(g), ahead); err != nil {
				t.Errorf("code one step ahead: %v", err)
			}
			if got := f.audit.count(auth.AuditLoginFailed); got != 3 {
				t.Errorf("login_fail records = %d, want 3", got)
			}
		})

		t.Run("RecoveryCodeWorksOnce", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			u := f.mustUser(f.co, "hr@acme.ru", auth.RoleHRManager, nil)
			_, codes, _ := f.mustEnrol(f.mustLogin(u))

			typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
			g, err := f.svc.SecondFactor(t.Context(), f.current(f.mustLogin(u)), typed)
			if err != nil || g.Session.Stage != auth.StageFull {
				t.Fatalf("recovery code %q: %v, %v", typed, g, err)
			}
			if _, err := f.svc.SecondFactor(t.Context(), f.current(f.mustLogin(u)), codes[3]); !errors.Is(err, auth.ErrBadCredentials) {
				t.Errorf("used recovery code again: err = %v, want ErrBadCredentials", err)
			}
			if n, _ := f.st.CountRecoveryCodes(t.Context(), f.co.ID, u.ID); n != auth.RecoveryCodeCount-1 {
				t.Errorf("unused codes = %d, want %d", n, auth.RecoveryCodeCount-1)
			}
			if f.audit.count(auth.AuditRecoveryUsed) != 1 {
				t.Errorf("recovery_code_use records = %d, want 1", f.audit.count(auth.AuditRecoveryUsed))
			}

			// New codes need a TOTP code, not a recovery code, and replace
			// the old ones.
			cur := f.current(g)
			if _, err := f.svc.RenewRecoveryCodes(t.Context(), cur, codes[4]); !errors.Is(err, staffbot.ErrInvalid) {
				t.Errorf("renew with a recovery code: err = %v, want ErrInvalid", err)
			}
		})

		t.Run("LockoutAfterFiveFailuresAndUnlock", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			u := f.mustUser(f.co, "hr@acme.ru", auth.RoleHRManager, nil)

			for i := 1; i <= 5; i++ {
				_, err := f.login(u, "wrong password")
				var locked *auth.LockedError
				if i < 5 && !errors.Is(err, auth.ErrBadCredentials) {
					t.Fatalf("failure %d: err = %v, want ErrBadCredentials", i, err)
				}
				if i == 5 && (!errors.As(err, &locked) || !locked.Until.Equal(f.clock.Now().Add(15*time.Minute))) {
					t.Fatalf("failure 5: err = %v, want a lock for 15 minutes", err)
				}
				f.clock.Advance(time.Second)
			}
			if _, err := f.login(u, "correct horse battery"); !errors.As(err, new(*auth.LockedError)) {
				t.Errorf("right password from the failing address while locked: err = %v, want LockedError", err)
			}
			// The lock is the failing client's: the same person elsewhere
			// signs in.
			if g, err := f.svc.Login(t.Context(), f.co.ID, u.Email, "correct horse battery", "198.51.100.7"); err != nil || g.Session.Stage != auth.StageFull {
				t.Errorf("right password from another address while the first is locked: %v, %v", g, err)
			}
			f.clock.Advance(15 * time.Minute)
			if g, err := f.login(u, "correct horse battery"); err != nil || g.Session.Stage != auth.StageFull {
				t.Errorf("after the lock: %v, %v", g, err)
			}
			// The success cleared the count: four failures do not lock.
			for range 4 {
				f.login(u, "wrong password")
			}
			if _, err := f.login(u, "correct horse battery"); err != nil {
				t.Errorf("four failures after a success locked the account: %v", err)
			}

			// An account that does not exist locks the same way, so a lock
			// tells nothing about which e-mails exist.
			for range 5 {
				f.svc.Login(t.Context(), f.co.ID, "ghost@acme.ru", "x", "192.0.2.1")
			}
			if _, err := f.svc.Login(t.Context(), f.co.ID, "ghost@acme.ru", "x", "192.0.2.1"); !errors.As(err, new(*auth.LockedError)) {
				t.Errorf("unknown account after 5 failures: err = %v, want LockedError", err)
			}
			for _, rec := range f.audit.recs {
				if (rec.Action == auth.AuditLoginFailed || rec.Action == auth.AuditLoginLocked) && strings.Contains(string(rec.After), "ghost") {
					t.Errorf("a failed sign-in recorded the typed account name: %s", rec.After)
				}
			}

			// Each lock is in the audit log, with the client's address.
			var locks []staffbot.AuditRecord
			for _, rec := range f.audit.recs {
				if rec.Action == auth.AuditLoginLocked {
					locks = append(locks, rec)
				}
			}
			if len(locks) != 2 {
				t.Fatalf("login_lock records = %d, want 2 (hr@ and ghost@ from 192.0.2.1)", len(locks))
			}
			if l := locks[0]; l.Actor.IP != "192.0.2.1" || l.ObjectID != userID(u) ||
				!strings.Contains(string(l.After), `"scope":"account_client"`) || !strings.Contains(string(l.After), `"locked_until"`) {
				t.Errorf("lock record = %+v %s", l, l.After)
			}
		})

		// An attacker who knows an HR person's e-mail fails on it from
		// many addresses, in a flood that goes on while the owner signs
		// in: the owner, from a place that has not failed, gets in with
		// the right password and code. The flood puts the account under
		// guard (audited once), where each new address gets two tries.
		t.Run("FloodFromElsewhereDoesNotLockTheOwnerOut", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			u := f.mustUser(f.co, "owner@acme.ru", auth.RoleOwner, nil)
			secret, _, _ := f.mustEnrol(f.mustLogin(u))

			// The flood: six guesses from each of a stream of addresses,
			// until the test has seen what it needs.
			stop, flooded := make(chan struct{}), make(chan int)
			go func() {
				n := 0
				defer func() { flooded <- n }()
				for a := 0; ; a++ {
					for range 6 {
						select {
						case <-stop:
							return
						default:
						}
						ip := fmt.Sprintf("203.0.113.%d", a%100+1)
						_, err := f.svc.Login(context.Background(), f.co.ID, "OWNER@acme.ru", "guess", ip)
						if !errors.Is(err, auth.ErrBadCredentials) && !errors.As(err, new(*auth.LockedError)) {
							t.Errorf("attack from %s: %v", ip, err)
							return
						}
						n++
					}
				}
			}()
			signIn := func(ip string) {
				t.Helper()
				g, err := f.svc.Login(t.Context(), f.co.ID, u.Email, "correct horse battery", ip)
				if err != nil || g.Session.Stage != auth.StageTOTP {
					t.Fatalf("owner's password from %s during the flood: %v, %v", ip, g, err)
				}
				cur, err := f.svc.Authenticate(t.Context(), g.Token, ip)
				if err != nil {
					t.Fatal(err)
				}
				if g, err = f.svc.SecondFactor(t.Context(), cur, f.code(secret)); err != nil || g.Session.Stage != auth.StageFull {
					t.Fatalf("owner's code from %s during the flood: %v, %v", ip, g, err)
				}
				f.clock.Advance(30 * time.Second)
			}
			signIn("192.0.2.10")

			// Once the flood has put the account under guard the owner
			// still gets in, from her usual place and from a new one.
			for f.audit.count(auth.AuditLoginGuarded) == 0 {
				time.Sleep(time.Millisecond)
			}
			signIn("192.0.2.10")
			signIn("2001:db8:1:2::5")
			close(stop)
			if n := <-flooded; n < 20 {
				t.Fatalf("the flood made %d attempts, want at least 20", n)
			}
			if n := f.audit.count(auth.AuditLoginGuarded); n != 1 {
				t.Errorf("login_guard records = %d, want 1", n)
			}

			// Under guard a new address is locked after its second
			// failure, for an hour.
			for i := 1; i <= 2; i++ {
				_, err := f.svc.Login(t.Context(), f.co.ID, u.Email, "guess", "203.0.113.200")
				var locked *auth.LockedError
				if i == 2 && (!errors.As(err, &locked) || !locked.Until.Equal(f.clock.Now().Add(time.Hour))) {
					t.Fatalf("second failure under guard: %v, want a lock for an hour", err)
				}
			}
			// Every attacking address is still locked out, even with the
			// right password.
			if _, err := f.svc.Login(t.Context(), f.co.ID, u.Email, "correct horse battery", "203.0.113.1"); !errors.As(err, new(*auth.LockedError)) {
				t.Errorf("right password from an attacking address: %v, want LockedError", err)
			}
			// The owner's own success did not lift the guard.
			f.clock.Advance(20 * time.Minute)
			for i := 1; i <= 2; i++ {
				_, err := f.svc.Login(t.Context(), f.co.ID, u.Email, "guess", "203.0.113.201")
				if i == 2 && !errors.As(err, new(*auth.LockedError)) {
					t.Fatalf("second failure under guard after the owner signed in: %v, want a lock", err)
				}
			}
			// Once an hour has passed without more failures the guard
			// lapses and an address gets five tries again.
			f.clock.Advance(2 * time.Hour)
			for i := 1; i <= 4; i++ {
				if _, err := f.svc.Login(t.Context(), f.co.ID, u.Email, "guess", "203.0.113.202"); !errors.Is(err, auth.ErrBadCredentials) {
					t.Fatalf("failure %d after the guard lapsed: %v, want no lock yet", i, err)
				}
			}
		})

		// One address trying many accounts is locked out of all of them
		// after 20 failures; other addresses are not.
		t.Run("ClientLockCoversEveryAccount", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			u := f.mustUser(f.co, "hr@acme.ru", auth.RoleHRManager, nil)
			const sprayer = "198.51.100.66"
			var err error
			for i := range 20 {
				_, err = f.svc.Login(t.Context(), f.co.ID, fmt.Sprintf("user%d@acme.ru", i), "Winter2026!", sprayer)
			}
			var locked *auth.LockedError
			if !errors.As(err, &locked) || !locked.Until.Equal(f.clock.Now().Add(15*time.Minute)) {
				t.Fatalf("twentieth failure: %v, want a lock for 15 minutes", err)
			}
			if _, err := f.svc.Login(t.Context(), f.co.ID, u.Email, "correct horse battery", sprayer); !errors.As(err, new(*auth.LockedError)) {
				t.Errorf("a real account from the locked address: %v, want LockedError", err)
			}
			if _, err := f.svc.Login(t.Context(), f.co.ID, u.Email, "correct horse battery", "198.51.100.67"); err != nil {
				t.Errorf("a real account from the next address: %v", err)
			}
			found := false
			for _, rec := range f.audit.recs {
				if rec.Action == auth.AuditLoginLocked && strings.Contains(string(rec.After), `"scope":"client"`) && rec.Actor.IP == sprayer {
					found = true
				}
			}
			if !found {
				t.Error("no login_lock record for the client")
			}
			// An IPv6 host is counted by its /64.
			for i := range 20 {
				f.svc.Login(t.Context(), f.co.ID, fmt.Sprintf("user%d@acme.ru", i), "x", fmt.Sprintf("2001:db8:5:6::%x", i+1))
			}
			if _, err := f.svc.Login(t.Context(), f.co.ID, u.Email, "correct horse battery", "2001:db8:5:6::ffff"); !errors.As(err, new(*auth.LockedError)) {
				t.Errorf("another address of the same /64: %v, want LockedError", err)
			}
		})

		t.Run("WrongCodesLockToo", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			u := f.mustUser(f.co, "hr@acme.ru", auth.RoleHRManager, nil)
			secret, _, _ := f.mustEnrol(f.mustLogin(u))
			cur := f.current(f.mustLogin(u))
			var err error
			for range 5 {
				_, err = f.svc.SecondFactor(t.Context(), cur, "000000")
			}
			if !errors.As(err, new(*auth.LockedError)) {
				t.Fatalf("fifth wrong code: err = %v, want LockedError", err)
			}
			if _, err := f.svc.SecondFactor(t.Context(), cur, f.code(secret)); !errors.As(err, new(*auth.LockedError)) {
				t.Errorf("right code while locked: err = %v, want LockedError", err)
			}
			// The same user from another address is not locked.
			g, err := f.svc.Login(t.Context(), f.co.ID, u.Email, "correct horse battery", "198.51.100.7")
			if err != nil {
				t.Fatal(err)
			}
			other, err := f.svc.Authenticate(t.Context(), g.Token, "198.51.100.7")
			if err != nil {
				t.Fatal(err)
			}
			if g, err := f.svc.SecondFactor(t.Context(), other, f.code(secret)); err != nil || g.Session.Stage != auth.StageFull {
				t.Errorf("right code from another address: %v, %v", g, err)
			}
		})

		t.Run("SessionIdleAndAbsoluteExpiry", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			u := f.mustUser(f.co, "hr@acme.ru", auth.RoleHROperator, nil)

			g := f.mustLogin(u)
			f.clock.Advance(29 * time.Minute)
			f.current(g)
			f.clock.Advance(29 * time.Minute) // activity moved the idle deadline
			f.current(g)
			f.clock.Advance(31 * time.Minute)
			if _, err := f.svc.Authenticate(t.Context(), g.Token, ""); !errors.Is(err, staffbot.ErrExpired) {
				t.Errorf("after 31 idle minutes: err = %v, want ErrExpired", err)
			}
			if _, err := f.svc.Authenticate(t.Context(), g.Token, ""); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("an expired session is not deleted: %v", err)
			}

			g = f.mustLogin(u)
			for range 40 { // 40 × 20 min > 12 h, never idle
				f.clock.Advance(20 * time.Minute)
				if _, err := f.svc.Authenticate(t.Context(), g.Token, ""); err != nil {
					if !errors.Is(err, staffbot.ErrExpired) || f.clock.Now().Sub(g.Session.CreatedAt) < 12*time.Hour {
						t.Fatalf("at %v: %v", f.clock.Now().Sub(g.Session.CreatedAt), err)
					}
					return
				}
			}
			t.Error("an active session outlived 12 hours")
		})

		t.Run("UnfinishedSignInExpires", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			u := f.mustUser(f.co, "admin@acme.ru", auth.RoleAdmin, nil)
			g := f.mustLogin(u)
			if g.Session.Stage != auth.StageEnrol {
				t.Fatalf("admin without 2FA at stage %s, want enrol", g.Session.Stage)
			}
			f.clock.Advance(10 * time.Minute)
			if _, err := f.svc.Authenticate(t.Context(), g.Token, ""); !errors.Is(err, staffbot.ErrExpired) {
				t.Errorf("enrolment session after 10 minutes: err = %v, want ErrExpired", err)
			}
		})

		t.Run("LogoutEverywhere", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			u := f.mustUser(f.co, "hr@acme.ru", auth.RoleHROperator, nil)
			other := f.mustUser(f.co, "op@acme.ru", auth.RoleHROperator, nil)
			phone, laptop, keep := f.mustLogin(u), f.mustLogin(u), f.mustLogin(other)

			n, err := f.svc.LogoutEverywhere(t.Context(), f.current(laptop))
			if err != nil || n != 2 {
				t.Fatalf("LogoutEverywhere = %d, %v; want 2", n, err)
			}
			for _, g := range []*auth.Grant{phone, laptop} {
				if _, err := f.svc.Authenticate(t.Context(), g.Token, ""); !errors.Is(err, staffbot.ErrNotFound) {
					t.Errorf("session after log out everywhere: err = %v, want ErrNotFound", err)
				}
			}
			f.current(keep)
		})

		t.Run("BlockedUserIsSignedOut", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			owner := f.mustUser(f.co, "boss@acme.ru", auth.RoleOwner, nil)
			_, _, g := f.mustEnrol(f.mustLogin(owner))
			boss := f.current(g).Principal
			u := f.mustUser(f.co, "hr@acme.ru", auth.RoleHRManager, nil)
			hr := f.mustLogin(u)

			if err := f.svc.SetUserBlocked(t.Context(), boss, u.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Authenticate(t.Context(), hr.Token, ""); err == nil {
				t.Error("a blocked user's session still works")
			}
			if _, err := f.login(u, "correct horse battery"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Errorf("blocked user signs in: err = %v, want ErrBadCredentials", err)
			}
			if err := f.svc.SetUserBlocked(t.Context(), boss, owner.ID, true); !errors.Is(err, staffbot.ErrInvalid) {
				t.Errorf("owner blocks themselves: err = %v, want ErrInvalid", err)
			}

			password, err := f.svc.ResetUser(t.Context(), boss, f.co.ID, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			f.svc.SetUserBlocked(t.Context(), boss, u.ID, false)
			g, err = f.login(u, password)
			if err != nil || g.Session.Stage != auth.StagePassword {
				t.Errorf("after reset: %v, %v; want stage password", g, err)
			}
		})

		t.Run("GrantRules", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			admin := f.mustUser(f.co, "admin@acme.ru", auth.RoleAdmin, nil)
			_, _, g := f.mustEnrol(f.mustLogin(admin))
			p := f.current(g).Principal
			hr := f.mustUser(f.co, "hr@acme.ru", auth.RoleHRManager, nil)
			hp := f.current(f.mustLogin(hr)).Principal

			if _, _, err := f.svc.CreateUser(t.Context(), p, f.co.ID, auth.NewUser{Email: "o@acme.ru", Role: auth.RoleOwner}); !errors.Is(err, staffbot.ErrForbidden) {
				t.Errorf("admin creates an owner: err = %v, want ErrForbidden", err)
			}
			if _, _, err := f.svc.CreateUser(t.Context(), hp, f.co.ID, auth.NewUser{Email: "a@acme.ru", Role: auth.RoleAnalyst}); !errors.Is(err, staffbot.ErrForbidden) {
				t.Errorf("HR manager creates a user: err = %v, want ErrForbidden", err)
			}
			if _, _, err := f.svc.CreateUser(t.Context(), p, f.co.ID, auth.NewUser{Email: "lm@acme.ru", Role: auth.RoleLineManager}); !errors.Is(err, staffbot.ErrInvalid) {
				t.Errorf("line manager without an employee: err = %v, want ErrInvalid", err)
			}
			other := f.mustCompany("other")
			if _, _, err := f.svc.CreateUser(t.Context(), p, other.ID, auth.NewUser{Email: "x@other.ru", Role: auth.RoleAnalyst}); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("admin creates a user in another company: err = %v, want ErrNotFound", err)
			}
			if _, err := f.svc.ListUsers(t.Context(), p, other.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("admin lists another company's users: err = %v, want ErrNotFound", err)
			}
		})

		t.Run("APITokens", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			token, tk, err := f.svc.CreateToken(t.Context(), nil, f.co.ID, auth.NewToken{Role: auth.RoleHRManager, Name: "crm", TTL: 2 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(token, auth.APITokenPrefix) || tk.TokenHash != auth.HashToken(token) {
				t.Errorf("token %q stored as %q", token, tk.TokenHash)
			}
			var raw string
			f.st.DB().QueryRow("SELECT token_hash FROM api_tokens").Scan(&raw)
			if strings.Contains(raw, token[len(auth.APITokenPrefix):]) {
				t.Error("the token is stored in clear")
			}
			p, err := f.svc.AuthenticateToken(t.Context(), token, "192.0.2.9")
			if err != nil || p.CompanyID != f.co.ID || p.Role != auth.RoleHRManager || p.TokenID != tk.ID {
				t.Fatalf("AuthenticateToken = %+v, %v", p, err)
			}
			if _, err := f.svc.AuthenticateToken(t.Context(), token+"x", ""); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("altered token: err = %v, want ErrNotFound", err)
			}
			if _, err := f.svc.AuthenticateToken(t.Context(), "", ""); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("empty token: err = %v, want ErrNotFound", err)
			}

			f.clock.Advance(2 * time.Hour)
			if _, err := f.svc.AuthenticateToken(t.Context(), token, ""); !errors.Is(err, staffbot.ErrExpired) {
				t.Errorf("expired token: err = %v, want ErrExpired", err)
			}

			token2, tk2, err := f.svc.CreateToken(t.Context(), nil, f.co.ID, auth.NewToken{Role: auth.RoleAnalyst})
			if err != nil || !tk2.ExpiresAt.Equal(f.clock.Now().Add(auth.DefaultTokenTTL)) {
				t.Fatalf("default lifetime: %v, %v", tk2, err)
			}
			if err := f.svc.RevokeToken(t.Context(), nil, f.co.ID, tk2.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.AuthenticateToken(t.Context(), token2, ""); !errors.Is(err, staffbot.ErrExpired) {
				t.Errorf("revoked token: err = %v, want ErrExpired", err)
			}
			other := f.mustCompany("other")
			if err := f.svc.RevokeToken(t.Context(), nil, other.ID, tk2.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("revoke through another company: err = %v, want ErrNotFound", err)
			}
			if _, _, err := f.svc.CreateToken(t.Context(), nil, f.co.ID, auth.NewToken{Role: auth.RoleOwner}); !errors.Is(err, staffbot.ErrInvalid) {
				t.Errorf("owner token: err = %v, want ErrInvalid", err)
			}
			if _, _, err := f.svc.CreateToken(t.Context(), p, f.co.ID, auth.NewToken{Role: auth.RoleAnalyst}); !errors.Is(err, staffbot.ErrForbidden) {
				t.Errorf("HR manager token makes a token: err = %v, want ErrForbidden", err)
			}
			if got := f.audit.actions(); !slices.Equal(got, []string{auth.AuditTokenCreated, auth.AuditTokenCreated, auth.AuditTokenRevoked}) {
				t.Errorf("audit = %v", got)
			}
		})

		t.Run("AuditLogChain", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			rec := &audit.Recorder{Store: f.st, Clock: f.clock}
			f.svc = auth.New(f.st, f.clock, auth.Options{Auditor: rec, Argon2: cheap, Logger: slog.New(slog.DiscardHandler)})
			u := f.mustUser(f.co, "hr@acme.ru", auth.RoleHRManager, nil)
			emp := f.mustEmployee(f.co, "0001", "ИТ", nil)
			f.login(u, "wrong password")
			g := f.mustLogin(u)
			if _, err := f.svc.Employee(t.Context(), f.current(g).Principal, emp.ID); err != nil {
				t.Fatal(err)
			}

			recs, err := f.st.FindAudit(t.Context(), f.co.ID, store.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				if r.ObjectType == auth.ObjectUser || r.Action == auth.AuditEmployeeRead {
					got = append(got, string(r.Actor.Kind)+" "+r.Action+" "+r.ObjectType)
				}
			}
			want := []string{
				"system user.create user", "anonymous user.login_fail user", "user user.login user", "user employee.read employee",
			}
			if !slices.Equal(got, want) {
				t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			rep, err := audit.Verify(t.Context(), f.st, f.co.ID)
			if err != nil || len(rep.Problems) != 0 || rep.Records != len(recs) {
				t.Errorf("audit verify: %+v, %v", rep, err)
			}
		})

		t.Run("RolesAndScopes", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open)
			boss := f.mustEmployee(f.co, "001", "ИТ", nil)
			lead := f.mustEmployee(f.co, "002", "ИТ", boss)
			dev := f.mustEmployee(f.co, "003", "ИТ", lead)
			sales := f.mustEmployee(f.co, "004", "Продажи", nil)

			principal := func(email string, role auth.Role, emp *staffbot.Employee, depts ...string) *auth.Principal {
				nu := auth.NewUser{Email: email, Role: role, Password: "correct horse battery", Departments: depts}
				if emp != nil {
					nu.EmployeeID = &emp.ID
				}
				u, _, err := f.svc.CreateUser(t.Context(), nil, f.co.ID, nu)
				if err != nil {
					t.Fatal(err)
				}
				return f.current(f.mustLogin(u)).Principal
			}
			see := func(p *auth.Principal) []string {
				list, err := f.svc.ListEmployees(t.Context(), p, store.EmployeePage{})
				if err != nil {
					t.Fatalf("ListEmployees as %s: %v", p.Role, err)
				}
				var out []string
				for _, e := range list {
					out = append(out, e.PersonnelNumber)
				}
				return out
			}

			hr := principal("hr@acme.ru", auth.RoleHRManager, nil)
			if got := see(hr); !slices.Equal(got, []string{"001", "002", "003", "004"}) {
				t.Errorf("HR manager sees %v", got)
			}
			lm := principal("lead@acme.ru", auth.RoleLineManager, lead)
			if got := see(lm); !slices.Equal(got, []string{"003"}) {
				t.Errorf("line manager sees %v, want only 003", got)
			}
			if _, err := f.svc.Employee(t.Context(), lm, boss.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("line manager reads their own manager: err = %v, want ErrNotFound", err)
			}
			if e, err := f.svc.Employee(t.Context(), lm, dev.ID); err != nil || e.Phone == "" {
				t.Errorf("line manager reads their report: %v, %v", e, err)
			}
			scoped := principal("sales-hr@acme.ru", auth.RoleHROperator, nil, "Продажи")
			if got := see(scoped); !slices.Equal(got, []string{"004"}) {
				t.Errorf("HR operator scoped to sales sees %v", got)
			}
			if _, err := f.svc.Employee(t.Context(), scoped, dev.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("scoped operator reads outside the scope: err = %v, want ErrNotFound", err)
			}
			an := principal("analyst@acme.ru", auth.RoleAnalyst, nil)
			if _, err := f.svc.ListEmployees(t.Context(), an, store.EmployeePage{}); !errors.Is(err, staffbot.ErrForbidden) {
				t.Errorf("analyst lists employees: err = %v, want ErrForbidden", err)
			}
			if _, err := f.svc.Employee(t.Context(), an, sales.ID); !errors.Is(err, staffbot.ErrForbidden) {
				t.Errorf("analyst reads an employee: err = %v, want ErrForbidden", err)
			}
			if _, _, err := f.svc.CreateToken(t.Context(), an, f.co.ID, auth.NewToken{Role: auth.RoleAnalyst}); !errors.Is(err, staffbot.ErrForbidden) {
				t.Errorf("analyst makes a token: err = %v, want ErrForbidden", err)
			}
			if _, _, err := f.svc.CreateUser(t.Context(), an, f.co.ID, auth.NewUser{Email: "x@acme.ru", Role: auth.RoleAnalyst}); !errors.Is(err, staffbot.ErrForbidden) {
				t.Errorf("analyst makes a user: err = %v, want ErrForbidden", err)
			}

			other := f.mustCompany("other")
			stranger := f.mustEmployee(other, "001", "ИТ", nil)
			if _, err := f.svc.Employee(t.Context(), hr, stranger.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("HR manager reads another company's employee: err = %v, want ErrNotFound", err)
			}

			var reads int
			for _, rec := range f.audit.recs {
				if rec.Action == auth.AuditEmployeeRead {
					reads++
					if rec.SubjectID == nil || rec.Actor.Kind != staffbot.ActorUser || rec.Actor.IP != "192.0.2.1" {
						t.Errorf("employee read record %+v lacks subject, actor or IP", rec)
					}
				}
			}
			if reads != 1 {
				t.Errorf("employee.read records = %d, want 1 (only the successful read)", reads)
			}
		})
	})
}

// BenchmarkVerifyPassword measures one sign-in's password check with the
// default argon2id settings.
func BenchmarkVerifyPassword(b *testing.B) {
	h, err := auth.HashPassword("correct horse battery", auth.DefaultArgon2)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _ := auth.VerifyPassword(h, "correct horse battery"); !ok {
			b.Fatal("no match")
		}
	}
}

func userID(u *store.User) string { return strconv.FormatInt(int64(u.ID), 10) }
