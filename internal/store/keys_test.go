package store_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

var (
	rawToken    = "7000001:AAtest-secret-token-xyz"
	rawHook     = "webhook-secret-4f9c2a"
	rawPassword = "correct-horse-battery-9"
	rawTOTP     = "JBSWY3DPEHPK3PXP"
	rawPhone    = "+79123456789"
	rawEmail    = "anna.petrova@example.com"
	newKey      = []byte("fedcba9876543210fedcba9876543210")
)

// openWith opens the database at dsn with the given master keys, the
// current one first.
func openWith(t *testing.T, dsn string, keys ...[]byte) *store.Store {
	t.Helper()
	sealer, err := secret.NewSealer(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(t.Context(), dsn, sealer)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// mustSensitiveData fills a company with every kind of secret staffbot
// keeps: a bot token and webhook secret, an employee's phone and e-mail,
// and a cabinet user with a password and a TOTP secret.
func mustSensitiveData(t *testing.T, s *store.Store) (*staffbot.Company, *staffbot.Employee) {
	t.Helper()
	co := &staffbot.Company{Slug: "acme", Name: "Акме", TelegramToken: rawToken, TelegramWebhookSecret: rawHook}
	if err := s.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	e := &staffbot.Employee{
		CompanyID: co.ID, PersonnelNumber: "0001", FullName: "Петрова Анна Сергеевна",
		Phone: rawPhone, Email: rawEmail, HiredOn: staffbot.Date{Year: 2026, Month: 3, Day: 2},
	}
	if err := s.CreateEmployee(t.Context(), e, t0); err != nil {
		t.Fatalf("CreateEmployee: %v", err)
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	hash := "$argon2id$v=19$m=1024,t=1,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" +
		base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte(rawPassword), salt, 1, 1024, 1, 32))
	u := &store.User{CompanyID: co.ID, Email: "boss@acme.ru", PasswordHash: hash, Role: "owner",
		TOTPSecret: rawTOTP, CreatedAt: t0}
	if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateUser(t.Context(), u) }); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return co, e
}

// rawDatabase returns every byte the database holds: the SQLite file with
// its write-ahead log, or every row of every table of the PostgreSQL
// schema as text.
func rawDatabase(t *testing.T, s *store.Store, dsn string) []byte {
	t.Helper()
	if s.Dialect() == store.SQLite {
		var all []byte
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(dsn + suffix)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if len(all) == 0 {
			t.Fatalf("database file %s is empty", dsn)
		}
		return all
	}
	rows, err := s.DB().QueryContext(t.Context(), `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var all bytes.Buffer
	for _, tb := range tables {
		rows, err := s.DB().QueryContext(t.Context(), fmt.Sprintf(`SELECT t::text FROM %q t`, tb))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			rows.Scan(&line)
			all.WriteString(line + "\n")
		}
		rows.Close()
	}
	if all.Len() == 0 {
		t.Fatal("no rows read")
	}
	return all.Bytes()
}

func assertNoSecrets(t *testing.T, raw []byte, when string) {
	t.Helper()
	for _, needle := range []string{rawToken, "AAtest-secret-token", rawHook, rawPassword, rawTOTP, rawPhone,
		"9123456789", rawEmail, "anna.petrova"} {
		if bytes.Contains(raw, []byte(needle)) {
			t.Errorf("%s: the raw database holds %q in the clear", when, needle)
		}
	}
	// The search itself works: the name is stored in the clear.
	if !bytes.Contains(raw, []byte("Петрова Анна Сергеевна")) {
		t.Errorf("%s: the raw database does not hold the employee's name; the search proves nothing", when)
	}
}

func TestKeys(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Run("RawDatabaseHoldsNoSecrets", func(t *testing.T) {
				t.Parallel()
				dsn := op.DSN(t)
				s := storetest.MustOpen(t, dsn)
				co, e := mustSensitiveData(t, s)
				assertNoSecrets(t, rawDatabase(t, s, dsn), "after writing")

				if _, err := s.RotateDataKey(t.Context(), co.ID, 2, t0); err != nil {
					t.Fatalf("RotateDataKey: %v", err)
				}
				assertNoSecrets(t, rawDatabase(t, s, dsn), "after rotation")

				got, err := s.FindEmployeeByID(t.Context(), co.ID, e.ID)
				if err != nil || got.Phone != rawPhone || got.Email != rawEmail {
					t.Errorf("employee after rotation = %+v, %v", got, err)
				}
			})

			t.Run("LegacyValuesOpenAndRotateToDataKeys", func(t *testing.T) {
				t.Parallel()
				s := op.Open(t)
				co := mustCreateCompany(t, s, "acme")
				e := mustCreateEmployee(t, s, co.ID, "0001")

				// Values written before data keys: sealed with the master key.
				master, _ := secret.NewSealer(storetest.TestKey)
				token, _ := master.Seal("111:legacy-token")
				phone, _ := master.Seal("+79990001122")
				mustExec(t, s, "UPDATE companies SET telegram_token_sealed = ? WHERE id = ?", token, co.ID)
				mustExec(t, s, "UPDATE employees SET phone_sealed = ? WHERE id = ?", phone, e.ID)

				got, err := s.FindCompanyByID(t.Context(), co.ID)
				if err != nil || got.TelegramToken != "111:legacy-token" {
					t.Fatalf("legacy token = %q, %v", got.TelegramToken, err)
				}
				if n, _ := s.CountMasterSealed(t.Context()); len(n) != 2 {
					t.Errorf("CountMasterSealed = %v, want two columns", n)
				}

				rep, err := s.RotateDataKey(t.Context(), co.ID, 1, t0)
				if err != nil {
					t.Fatalf("RotateDataKey: %v", err)
				}
				// Token, webhook secret stays empty, phone and e-mail.
				if rep.Resealed != 3 || rep.Failed != 0 || rep.Version != 2 {
					t.Errorf("report = %+v, want 3 re-sealed, version 2", rep)
				}
				if n, _ := s.CountMasterSealed(t.Context()); len(n) != 0 {
					t.Errorf("after rotation CountMasterSealed = %v, want none", n)
				}
				var raw string
				s.DB().QueryRowContext(t.Context(), "SELECT telegram_token_sealed FROM companies").Scan(&raw)
				if !strings.HasPrefix(raw, secret.SealedWith(rep.KeyID)) {
					t.Errorf("token = %.30s…, want it under the new key %s", raw, rep.KeyID)
				}
				emp, err := s.FindEmployeeByID(t.Context(), co.ID, e.ID)
				if err != nil || emp.Phone != "+79990001122" || emp.Email != e.Email {
					t.Errorf("employee after rotation = %q %q, %v", emp.Phone, emp.Email, err)
				}
				keys, _ := s.FindKeys(t.Context())
				states := map[string]int{}
				for _, k := range keys {
					if k.CompanyID == co.ID && k.Purpose == "data" {
						states[k.State]++
					}
				}
				if states["active"] != 1 || states["retired"] != 1 {
					t.Errorf("data keys by state = %v, want one active, one retired", states)
				}
			})

			t.Run("ValueOfAnotherCompanyDoesNotOpen", func(t *testing.T) {
				t.Parallel()
				s := op.Open(t)
				acme := mustCreateCompany(t, s, "acme")
				other := mustCreateCompany(t, s, "other")
				a := mustCreateEmployee(t, s, acme.ID, "0001")
				b := mustCreateEmployee(t, s, other.ID, "0001")
				mustExec(t, s, "UPDATE employees SET phone_sealed = (SELECT phone_sealed FROM employees WHERE id = ?) WHERE id = ?", a.ID, b.ID)
				if got, err := s.FindEmployeeByID(t.Context(), other.ID, b.ID); err == nil {
					t.Errorf("another company's sealed phone opened: %q", got.Phone)
				}
				// Nor does a phone moved into the e-mail column of its own row.
				mustExec(t, s, "UPDATE employees SET email_sealed = phone_sealed WHERE id = ?", a.ID)
				if got, err := s.FindEmployeeByID(t.Context(), acme.ID, a.ID); err == nil {
					t.Errorf("a phone opened as the e-mail: %q", got.Email)
				}
			})

			t.Run("RotationWhileWriting", func(t *testing.T) {
				t.Parallel()
				s := op.Open(t)
				co := mustCreateCompany(t, s, "acme")
				for i := range 20 {
					mustCreateEmployee(t, s, co.ID, fmt.Sprintf("%04d", i))
				}
				var stop atomic.Bool
				done := make(chan error)
				go func() {
					i := 100
					for !stop.Load() {
						e := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: fmt.Sprint(i), FullName: "Новый Сотрудник",
							Phone: fmt.Sprintf("+7912000%04d", i), HiredOn: staffbot.Date{Year: 2026, Month: 4, Day: 1}}
						if err := s.CreateEmployee(t.Context(), e, t0); err != nil {
							done <- err
							return
						}
						i++
					}
					done <- nil
				}()
				rep, err := s.RotateDataKey(t.Context(), co.ID, 3, t0)
				stop.Store(true)
				if werr := <-done; werr != nil {
					t.Fatalf("writer: %v", werr)
				}
				if err != nil {
					t.Fatalf("RotateDataKey: %v", err)
				}
				// Anything written under the old key in the race is picked
				// up by another pass.
				if _, _, err := s.ResealValues(t.Context(), co.ID, 3); err != nil {
					t.Fatal(err)
				}
				emps, err := s.FindEmployees(t.Context(), co.ID, store.EmployeeFilter{})
				if err != nil {
					t.Fatalf("FindEmployees after rotation: %v", err)
				}
				var old int
				for _, sealed := range columnValues(t, s, "SELECT phone_sealed FROM employees") {
					if !strings.HasPrefix(sealed, secret.SealedWith(rep.KeyID)) {
						old++
					}
				}
				if old != 0 || len(emps) < 20 {
					t.Errorf("%d of %d phones not under the new key", old, len(emps))
				}
			})

			t.Run("MasterKeyRotation", func(t *testing.T) {
				t.Parallel()
				dsn := op.DSN(t)
				s := openWith(t, dsn, storetest.TestKey)
				co, e := mustSensitiveData(t, s)

				n, err := s.RewrapKeys(t.Context(), mustNewSealer(t, newKey), t0)
				if err != nil || n == 0 {
					t.Fatalf("RewrapKeys = %d, %v", n, err)
				}
				// A server still running with the old key, one restarted
				// with the new key first and the old one after.
				for name, st := range map[string]*store.Store{
					"old key":     openWith(t, dsn, storetest.TestKey),
					"new and old": openWith(t, dsn, newKey, storetest.TestKey),
				} {
					mustReadSecrets(t, st, co, e, name)
				}
				if _, err := openWith(t, dsn, newKey).FindCompanyByID(t.Context(), co.ID); err != nil {
					t.Errorf("new key alone cannot read the company after re-wrapping: %v", err)
				}

				both := openWith(t, dsn, newKey, storetest.TestKey)
				rep, err := both.PruneOldMasterKeys(t.Context(), 10, t0)
				if err != nil {
					t.Fatalf("PruneOldMasterKeys: %v", err)
				}
				// The TOTP secret is under the company's data key, so only
				// the wrappings of the keys change.
				if rep.Dropped == 0 || rep.Resealed != 0 {
					t.Errorf("prune report = %+v, want old wrappings dropped and nothing left to re-seal", rep)
				}
				mustReadSecrets(t, openWith(t, dsn, newKey), co, e, "new key only")
				if _, err := openWith(t, dsn, storetest.TestKey).FindCompanyByID(t.Context(), co.ID); !errors.Is(err, staffbot.ErrUnavailable) {
					t.Errorf("old key after pruning: err = %v, want ErrUnavailable", err)
				}
				if rep := mustVerify(t, openWith(t, dsn, newKey), co.ID); !rep.OK() {
					t.Errorf("audit chain after master rotation: %v", rep.Problems)
				}
			})
		})
	}
}

func mustNewSealer(t *testing.T, key []byte) *secret.Sealer {
	t.Helper()
	s, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustReadSecrets(t *testing.T, s *store.Store, co *staffbot.Company, e *staffbot.Employee, who string) {
	t.Helper()
	got, err := s.FindCompanyByID(t.Context(), co.ID)
	if err != nil || got.TelegramToken != rawToken || got.TelegramWebhookSecret != rawHook {
		t.Errorf("%s: company secrets = %q %q, %v", who, got.TelegramToken, got.TelegramWebhookSecret, err)
		return
	}
	emp, err := s.FindEmployeeByID(t.Context(), co.ID, e.ID)
	if err != nil || emp.Phone != rawPhone || emp.Email != rawEmail {
		t.Errorf("%s: employee contacts = %+v, %v", who, emp, err)
	}
	u, err := s.FindUserByEmail(t.Context(), co.ID, "boss@acme.ru")
	if err != nil || u.TOTPSecret != rawTOTP {
		t.Errorf("%s: TOTP secret = %+v, %v", who, u, err)
	}
}

func columnValues(t *testing.T, s *store.Store, q string) []string {
	t.Helper()
	rows, err := s.DB().QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}
