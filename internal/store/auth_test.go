package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func mustCreateUser(t *testing.T, s *store.Store, companyID staffbot.CompanyID, email string) *store.User {
	t.Helper()
	u := &store.User{
		CompanyID: companyID, Email: email, PasswordHash: "$argon2id$test", Role: "hr_manager",
		Departments: []string{"ИТ"}, TOTPPending: "JBSWY3DPEHPK3PXP", CreatedAt: t0,
	}
	err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateUser(t.Context(), u) })
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

// mustStaff creates an employee in a department and office, reporting to
// manager when given.
func mustStaff(t *testing.T, s *store.Store, companyID staffbot.CompanyID, number, dept, office string, manager *staffbot.Employee) *staffbot.Employee {
	t.Helper()
	e := &staffbot.Employee{
		CompanyID: companyID, PersonnelNumber: number, FullName: "Сотрудник " + number,
		Department: dept, Office: office, HiredOn: staffbot.Date{Year: 2025, Month: 1, Day: 10},
	}
	if manager != nil {
		e.ManagerID = &manager.ID
	}
	if err := s.CreateEmployee(t.Context(), e, t0); err != nil {
		t.Fatalf("CreateEmployee(%s): %v", number, err)
	}
	return e
}

func numbers(list []*staffbot.Employee) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.PersonnelNumber)
	}
	slices.Sort(out)
	return out
}

func TestStore_Auth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("UserRoundTripAndSealedSecret", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			u := mustCreateUser(t, s, co.ID, "hr@acme.ru")

			got, err := s.FindUserByEmail(t.Context(), co.ID, "hr@acme.ru")
			if err != nil {
				t.Fatalf("FindUserByEmail: %v", err)
			}
			if got.ID != u.ID || got.Role != "hr_manager" || !slices.Equal(got.Departments, []string{"ИТ"}) || got.TOTPPending != "JBSWY3DPEHPK3PXP" {
				t.Errorf("got %+v", got)
			}
			var raw string
			if err := s.DB().QueryRow("SELECT totp_pending_sealed FROM users").Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if raw == "" || raw == "JBSWY3DPEHPK3PXP" {
				t.Errorf("pending TOTP secret stored as %q, want it sealed", raw)
			}

			dup := &store.User{CompanyID: co.ID, Email: "hr@acme.ru", PasswordHash: "x", Role: "analyst", CreatedAt: t0}
			err = s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateUser(t.Context(), dup) })
			if !errors.Is(err, staffbot.ErrConflict) {
				t.Errorf("second user with the same e-mail: err = %v, want ErrConflict", err)
			}
		})

		t.Run("UserOfAnotherCompanyIsNotFound", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			u := mustCreateUser(t, s, acme.ID, "hr@acme.ru")

			if _, err := s.FindUserByID(t.Context(), other.ID, u.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("FindUserByID in another company: err = %v, want ErrNotFound", err)
			}
			if _, err := s.FindUserByEmail(t.Context(), other.ID, u.Email); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("FindUserByEmail in another company: err = %v, want ErrNotFound", err)
			}
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				return tx.SetUserPassword(t.Context(), other.ID, u.ID, "x", false, t0)
			})
			if !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("SetUserPassword in another company: err = %v, want ErrNotFound", err)
			}
		})

		t.Run("RecoveryCodeWorksOnce", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			u := mustCreateUser(t, s, co.ID, "hr@acme.ru")
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				return tx.ReplaceRecoveryCodes(t.Context(), co.ID, u.ID, []string{"h1", "h2"}, t0)
			})
			if err != nil {
				t.Fatal(err)
			}
			use := func(h string) bool {
				var ok bool
				err := s.InTx(t.Context(), func(tx *store.Tx) error {
					var err error
					ok, err = tx.UseRecoveryCode(t.Context(), co.ID, u.ID, h, t0)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			if !use("h1") {
				t.Error("first use of h1 refused")
			}
			if use("h1") {
				t.Error("second use of h1 accepted")
			}
			if use("nope") {
				t.Error("unknown code accepted")
			}
			if n, _ := s.CountRecoveryCodes(t.Context(), co.ID, u.ID); n != 1 {
				t.Errorf("unused codes = %d, want 1", n)
			}
		})

		t.Run("TOTPStepOnlyMovesForward", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			u := mustCreateUser(t, s, co.ID, "hr@acme.ru")
			var got []bool
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				for _, step := range []int64{100, 100, 99, 101} {
					ok, err := tx.AdvanceTOTPStep(t.Context(), co.ID, u.ID, step)
					if err != nil {
						return err
					}
					got = append(got, ok)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := []bool{true, false, false, true}; !slices.Equal(got, want) {
				t.Errorf("steps 100, 100, 99, 101 accepted = %v, want %v", got, want)
			}
		})

		t.Run("LoginCounters", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			pair := store.LoginSubject{Scope: store.ThrottlePair, Account: "x@acme.ru", Client: "192.0.2.1"}
			client := store.LoginSubject{Scope: store.ThrottleClient, Client: "192.0.2.1"}
			account := store.LoginSubject{Scope: store.ThrottleAccount, Account: "x@acme.ru"}
			fail := func(sub store.LoginSubject, at time.Time) store.LoginCounter {
				var c store.LoginCounter
				err := s.InTx(t.Context(), func(tx *store.Tx) error {
					var err error
					c, err = tx.CountLoginFailure(t.Context(), co.ID, sub, at, 15*time.Minute)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			inTx := func(fn func(tx *store.Tx) error) {
				t.Helper()
				if err := s.InTx(t.Context(), fn); err != nil {
					t.Fatal(err)
				}
			}

			fail(pair, t0)
			if c := fail(pair, t0.Add(time.Minute)); c.Failures != 2 || !c.FirstAt.Equal(t0) || c.LockedUntil != nil {
				t.Fatalf("after 2 failures: %+v", c)
			}
			fail(client, t0)
			fail(account, t0)
			inTx(func(tx *store.Tx) error { return tx.LockLogin(t.Context(), co.ID, pair, t0.Add(17*time.Minute)) })
			got, err := s.FindLoginCounters(t.Context(), co.ID, pair, client, account,
				store.LoginSubject{Scope: store.ThrottlePair, Account: "x@acme.ru", Client: "192.0.2.2"})
			if err != nil || len(got) != 3 {
				t.Fatalf("FindLoginCounters = %+v, %v; want the three counted", got, err)
			}
			if got[0].LoginSubject != pair || got[0].LockedUntil == nil || !got[0].LockedUntil.Equal(t0.Add(17*time.Minute)) {
				t.Errorf("pair counter = %+v, want locked until +17m", got[0])
			}

			// A failure after the lock ran out, or past the window, starts
			// a fresh count.
			if c := fail(pair, t0.Add(18*time.Minute)); c.Failures != 1 || c.LockedUntil != nil {
				t.Errorf("failure after the lock: %+v, want a fresh count of 1", c)
			}
			if c := fail(client, t0.Add(16*time.Minute)); c.Failures != 1 {
				t.Errorf("failure past the window: %+v, want a fresh count of 1", c)
			}

			// Another company's counters of the same names are apart.
			other := mustCreateCompany(t, s, "other")
			if got, _ := s.FindLoginCounters(t.Context(), other.ID, pair, client, account); len(got) != 0 {
				t.Errorf("other company sees %+v", got)
			}

			// A reset of the account clears its pairs and its account-wide
			// count, not the client's count over every account.
			inTx(func(tx *store.Tx) error { return tx.ClearLoginFailures(t.Context(), co.ID, "x@acme.ru") })
			if got, _ := s.FindLoginCounters(t.Context(), co.ID, pair, client, account); len(got) != 1 || got[0].LoginSubject != client {
				t.Errorf("after the reset: %+v, want the client's counter only", got)
			}
			inTx(func(tx *store.Tx) error { return tx.ClearLoginCounter(t.Context(), co.ID, client) })
			if got, _ := s.FindLoginCounters(t.Context(), co.ID, client); len(got) != 0 {
				t.Errorf("after ClearLoginCounter: %+v", got)
			}

			// Pruning drops what no longer counts and keeps a lock in
			// force.
			fail(pair, t0)
			fail(account, t0)
			inTx(func(tx *store.Tx) error { return tx.LockLogin(t.Context(), co.ID, pair, t0.Add(3*time.Hour)) })
			var n int64
			inTx(func(tx *store.Tx) (err error) {
				n, err = tx.PruneLoginCounters(t.Context(), co.ID, t0.Add(time.Hour), t0.Add(2*time.Hour))
				return err
			})
			if got, _ := s.FindLoginCounters(t.Context(), co.ID, pair, account); n != 1 || len(got) != 1 || got[0].LoginSubject != pair {
				t.Errorf("prune removed %d, left %+v; want the account counter gone and the locked pair kept", n, got)
			}
			// And in every company at once, once the lock is over.
			fail(client, t0)
			n, err = s.PruneAllLoginCounters(t.Context(), t0.Add(time.Hour), t0.Add(4*time.Hour))
			if got, _ := s.FindLoginCounters(t.Context(), co.ID, pair, client, account); err != nil || n != 2 || len(got) != 0 {
				t.Errorf("PruneAllLoginCounters removed %d (%v), left %+v; want all 2 gone", n, err, got)
			}
		})

		t.Run("SessionsOfAUser", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			u := mustCreateUser(t, s, co.ID, "hr@acme.ru")
			for _, h := range []string{"a", "b"} {
				ss := &store.Session{CompanyID: co.ID, UserID: u.ID, TokenHash: h, Stage: "full",
					CreatedAt: t0, LastSeenAt: t0, IdleUntil: t0.Add(time.Hour), ExpiresAt: t0.Add(2 * time.Hour)}
				if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateSession(t.Context(), ss) }); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.FindSessionByHash(t.Context(), "b")
			if err != nil || got.UserID != u.ID || !got.ExpiresAt.Equal(t0.Add(2*time.Hour)) {
				t.Fatalf("FindSessionByHash = %+v, %v", got, err)
			}
			var n int64
			err = s.InTx(t.Context(), func(tx *store.Tx) error {
				var err error
				n, err = tx.DeleteUserSessions(t.Context(), co.ID, u.ID)
				return err
			})
			if err != nil || n != 2 {
				t.Errorf("DeleteUserSessions = %d, %v; want 2", n, err)
			}
			if _, err := s.FindSessionByHash(t.Context(), "a"); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("session after delete: err = %v, want ErrNotFound", err)
			}
		})

		t.Run("APITokenRevoke", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			tk := &store.APIToken{CompanyID: acme.ID, Name: "crm", TokenHash: "h", Role: "analyst", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
			if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateAPIToken(t.Context(), tk) }); err != nil {
				t.Fatal(err)
			}
			err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.RevokeAPIToken(t.Context(), other.ID, tk.ID, t0) })
			if !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("revoke from another company: err = %v, want ErrNotFound", err)
			}
			if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.RevokeAPIToken(t.Context(), acme.ID, tk.ID, t0) }); err != nil {
				t.Fatal(err)
			}
			got, err := s.FindAPITokenByHash(t.Context(), "h")
			if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(t0) {
				t.Errorf("after revoke: %+v, %v", got, err)
			}
			if list, _ := s.FindAPITokens(t.Context(), other.ID); len(list) != 0 {
				t.Errorf("other company lists %d tokens, want 0", len(list))
			}
		})

		t.Run("EmployeesInScope", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			boss := mustStaff(t, s, co.ID, "001", "ИТ", "Москва", nil)
			lead := mustStaff(t, s, co.ID, "002", "ИТ", "Москва", boss)
			dev := mustStaff(t, s, co.ID, "003", "ИТ", "Казань", lead)
			mustStaff(t, s, co.ID, "004", "Продажи", "Москва", nil)
			outsider := mustStaff(t, s, other.ID, "003", "ИТ", "Москва", nil)

			nobody := staffbot.EmployeeID(0)
			tests := []struct {
				name  string
				scope store.EmployeeScope
				want  []string
			}{
				{"Company", store.EmployeeScope{}, []string{"001", "002", "003", "004"}},
				{"Department", store.EmployeeScope{Departments: []string{"ИТ"}}, []string{"001", "002", "003"}},
				{"DepartmentAndOffice", store.EmployeeScope{Departments: []string{"ИТ"}, Offices: []string{"Казань"}}, []string{"003"}},
				{"TeamOfBoss", store.EmployeeScope{TeamOf: &boss.ID}, []string{"002", "003"}},
				{"TeamOfLead", store.EmployeeScope{TeamOf: &lead.ID}, []string{"003"}},
				{"TeamOfDev", store.EmployeeScope{TeamOf: &dev.ID}, nil},
				{"TeamOfNobody", store.EmployeeScope{TeamOf: &nobody}, nil},
				{"TeamAndOffice", store.EmployeeScope{TeamOf: &boss.ID, Offices: []string{"Москва"}}, []string{"002"}},
			}
			for _, tt := range tests {
				list, err := s.FindEmployeesInScope(t.Context(), co.ID, tt.scope, store.EmployeePage{})
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				if got := numbers(list); !slices.Equal(got, tt.want) {
					t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
				}
			}

			if _, err := s.FindEmployeeInScope(t.Context(), co.ID, store.EmployeeScope{TeamOf: &lead.ID}, boss.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("boss in lead's team: err = %v, want ErrNotFound", err)
			}
			if _, err := s.FindEmployeeInScope(t.Context(), co.ID, store.EmployeeScope{}, outsider.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("other company's employee: err = %v, want ErrNotFound", err)
			}
			got, err := s.FindEmployeeInScope(t.Context(), co.ID, store.EmployeeScope{TeamOf: &boss.ID}, dev.ID)
			if err != nil || got.ID != dev.ID {
				t.Errorf("dev in boss's team = %v, %v", got, err)
			}

			page, err := s.FindEmployeesInScope(t.Context(), co.ID, store.EmployeeScope{}, store.EmployeePage{AfterID: boss.ID, Limit: 2})
			if err != nil || len(page) != 2 || page[0].ID != lead.ID || page[1].ID != dev.ID {
				t.Errorf("page after boss, limit 2 = %v, %v", numbers(page), err)
			}
		})
	})
}
