package backup_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/backup"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// mustPopulate fills a store with a bit of everything: two companies, a
// report created before their manager (a reference forward in the same
// table), invites, accounts, consents, a run with answers, a task,
// messages, settings, keys and audit records.
func mustPopulate(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := t.Context()
	for _, slug := range []string{"acme", "beta"} {
		co := &staffbot.Company{Slug: slug, Name: "ООО «" + slug + "»", TelegramToken: "700:" + slug + "-token",
			TelegramWebhookSecret: "hook-" + slug}
		if err := s.CreateCompany(ctx, co); err != nil {
			t.Fatalf("CreateCompany: %v", err)
		}
		in := []store.EmployeeImport{
			{Employee: staffbot.Employee{PersonnelNumber: "0002", FullName: "Петрова Анна Сергеевна", Phone: "+79123456789",
				Email: "anna@example.com", HiredOn: staffbot.Date{Year: 2026, Month: 3, Day: 2},
				Custom: map[string]string{"Табель": "А-1"}}, ManagerNumber: "0001"},
			{Employee: staffbot.Employee{PersonnelNumber: "0001", FullName: "Иванов Иван Иванович",
				HiredOn: staffbot.Date{Year: 2020, Month: 1, Day: 1}}},
		}
		if _, err := s.UpsertEmployees(ctx, co.ID, in, t0); err != nil {
			t.Fatalf("UpsertEmployees: %v", err)
		}
		emp, err := s.FindEmployeeByNumber(ctx, co.ID, "0002")
		if err != nil {
			t.Fatal(err)
		}
		code := staffbot.NewInviteCode()
		if _, err := s.CreateInvite(ctx, co.ID, emp.ID, staffbot.HashInviteCode(code), t0, staffbot.DefaultInviteTTL); err != nil {
			t.Fatal(err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			acct := &staffbot.ChannelAccount{Kind: staffbot.ChannelTelegram, ExternalID: "42", ChatID: "42"}
			if _, err := tx.RedeemInvite(ctx, co.ID, staffbot.HashInviteCode(code), acct, t0, staffbot.DateOf(t0)); err != nil {
				return err
			}
			if err := tx.GiveConsent(ctx, acct, staffbot.ConsentTextVersion, t0); err != nil {
				return err
			}
			run := &store.Run{CompanyID: co.ID, EmployeeID: emp.ID, Scenario: "onboarding", Step: "day1", State: store.RunWaiting,
				DueAt: &t0, Vars: map[string]string{"mood": "хорошо"}, StartedAt: t0, UpdatedAt: t0}
			if _, err := tx.CreateRun(ctx, run); err != nil {
				return err
			}
			if err := tx.AddRunEvent(ctx, co.ID, run.ID, store.RunEvent{Step: "day1", Kind: store.EventAnswer, Name: "mood",
				Value: "хорошо \"в кавычках\"\nи с переводом строки", At: t0}); err != nil {
				return err
			}
			if err := tx.CreateTask(ctx, &store.Task{CompanyID: co.ID, RunID: &run.ID, SubjectID: emp.ID, Role: "hr",
				Title: "Позвонить", CreatedAt: t0}); err != nil {
				return err
			}
			return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: "Привет 👋", Buttons: [][]channel.Button{{{Text: "Да", Data: "y"}}}}, t0)
		})
		if err != nil {
			t.Fatalf("populate: %v", err)
		}
		if err := s.SetRetention(ctx, co.ID, store.Retention{AuditDays: 365, AnonymizeAfterDays: 60}, t0); err != nil {
			t.Fatal(err)
		}
	}
}

func mustSums(t *testing.T, s *store.Store) map[string]backup.TableSum {
	t.Helper()
	sums, err := backup.Checksums(t.Context(), s)
	if err != nil {
		t.Fatalf("Checksums: %v", err)
	}
	return sums
}

// sameRows compares two databases table by table; every table the source
// has must come back with the same rows.
func sameRows(t *testing.T, want, got map[string]backup.TableSum) {
	t.Helper()
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			t.Errorf("table %s: restored %d rows (%.12s…), want %d (%.12s…)", name, g.Rows, g.Checksum, w.Rows, w.Checksum)
		}
	}
	for _, name := range []string{"companies", "employees", "invites", "channel_accounts", "consents", "scenario_runs",
		"run_events", "tasks", "outbox", "company_keys", "audit_log", "audit_chains", "retention_settings"} {
		if want[name].Rows == 0 {
			t.Errorf("table %s is empty in the source: the round trip proves nothing for it", name)
		}
	}
}

func mustCreateBackup(t *testing.T, s *store.Store, now time.Time) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "staffbot.backup")
	if _, err := backup.CreateFile(t.Context(), s, path, now); err != nil {
		t.Fatalf("CreateFile: %v", err)
	}
	return path
}

func chainCheck(ctx context.Context, st *store.Store) ([]string, error) {
	reps, err := audit.VerifyAll(ctx, st)
	var out []string
	for _, r := range reps {
		for _, p := range r.Problems {
			out = append(out, fmt.Sprintf("company %d: %s", r.CompanyID, p))
		}
	}
	return out, err
}

func scratchFor(t *testing.T, op storetest.Opener) backup.Scratch {
	sealer, _ := secret.NewSealer(storetest.TestKey)
	if op.Name == "Postgres" {
		return backup.PostgresScratch(sealer, os.Getenv(storetest.EnvDatabaseURL))
	}
	return backup.SQLiteScratch(sealer, t.TempDir())
}

func TestBackup(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Run("CreateVerifyRestoreRoundTrip", func(t *testing.T) {
				t.Parallel()
				src := op.Open(t)
				mustPopulate(t, src)
				path := mustCreateBackup(t, src, time.Now())
				want := mustSums(t, src)

				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				rep, err := backup.Verify(t.Context(), f, scratchFor(t, op), chainCheck)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if len(rep.Problems) > 0 || rep.Manifest.Rows() == 0 {
					t.Errorf("verify: %d rows, problems %v", rep.Manifest.Rows(), rep.Problems)
				}

				dst := op.Open(t)
				mustRestore(t, dst, path, false)
				sameRows(t, want, mustSums(t, dst))

				// The restored database works: secrets open, chains verify,
				// new rows get fresh ids.
				co, err := dst.FindCompanyBySlug(t.Context(), "acme")
				if err != nil || co.TelegramToken != "700:acme-token" {
					t.Fatalf("restored company = %+v, %v", co, err)
				}
				emp, err := dst.FindEmployeeByNumber(t.Context(), co.ID, "0002")
				if err != nil || emp.Phone != "+79123456789" || emp.ManagerID == nil {
					t.Errorf("restored employee = %+v, %v", emp, err)
				}
				if probs, err := chainCheck(t.Context(), dst); err != nil || len(probs) > 0 {
					t.Errorf("restored audit chains: %v, %v", probs, err)
				}
				fresh := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: "0003", FullName: "Новый",
					HiredOn: staffbot.Date{Year: 2026, Month: 4, Day: 1}}
				if err := dst.CreateEmployee(t.Context(), fresh, t0); err != nil {
					t.Errorf("a new employee after restore: %v", err)
				}
			})

			t.Run("NonEmptyTargetRefusedUnlessForced", func(t *testing.T) {
				t.Parallel()
				src := op.Open(t)
				mustPopulate(t, src)
				path := mustCreateBackup(t, src, time.Now())

				dst := op.Open(t)
				if err := dst.CreateCompany(t.Context(), &staffbot.Company{Slug: "other"}); err != nil {
					t.Fatal(err)
				}
				f, _ := os.Open(path)
				_, err := backup.Restore(t.Context(), dst, f, backup.RestoreOptions{})
				f.Close()
				if !errors.Is(err, backup.ErrNotEmpty) {
					t.Fatalf("restore into a non-empty database: err = %v, want ErrNotEmpty", err)
				}
				if _, err := dst.FindCompanyBySlug(t.Context(), "other"); err != nil {
					t.Errorf("the refused restore changed the target: %v", err)
				}
				mustRestore(t, dst, path, true)
				sameRows(t, mustSums(t, src), mustSums(t, dst))
				if _, err := dst.FindCompanyBySlug(t.Context(), "other"); err == nil {
					t.Error("forced restore kept the target's own rows")
				}
			})

			t.Run("SnapshotIsConsistentUnderWrites", func(t *testing.T) {
				t.Parallel()
				src := op.Open(t)
				mustPopulate(t, src)
				co, err := src.FindCompanyBySlug(t.Context(), "acme")
				if err != nil {
					t.Fatal(err)
				}
				var stop atomic.Bool
				var wg sync.WaitGroup
				var writeErr atomic.Value
				for w := range 2 {
					wg.Go(func() {
						for i := 0; !stop.Load(); i++ {
							e := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: fmt.Sprintf("w%d-%d", w, i),
								FullName: "Сотрудник", Phone: "+79001112233", HiredOn: staffbot.Date{Year: 2026, Month: 5, Day: 1}}
							// Each employee comes with its audit record and the
							// chain's head in one transaction: a torn snapshot
							// would not verify.
							if err := src.CreateEmployee(t.Context(), e, t0); err != nil {
								writeErr.Store(err)
								return
							}
						}
					})
				}
				time.Sleep(20 * time.Millisecond)
				var paths []string
				for range 3 {
					paths = append(paths, mustCreateBackup(t, src, time.Now()))
				}
				stop.Store(true)
				wg.Wait()
				if err, _ := writeErr.Load().(error); err != nil {
					t.Fatalf("writer: %v", err)
				}
				for _, p := range paths {
					f, _ := os.Open(p)
					rep, err := backup.Verify(t.Context(), f, scratchFor(t, op), chainCheck)
					f.Close()
					if err != nil || len(rep.Problems) > 0 {
						t.Errorf("backup taken under writes: %v, %v", err, rep)
					}
				}
			})

			t.Run("DamagedBackupRejected", func(t *testing.T) {
				t.Parallel()
				src := op.Open(t)
				mustPopulate(t, src)
				path := mustCreateBackup(t, src, time.Now())
				good, _ := os.ReadFile(path)
				if bytes.Contains(good, []byte("Петрова")) || bytes.Contains(good, []byte("acme-token")) {
					t.Fatal("the backup file holds data in the clear")
				}

				for name, b := range map[string][]byte{
					"byte flipped": func() []byte { c := bytes.Clone(good); c[len(c)/2] ^= 1; return c }(),
					"truncated":    good[:len(good)-40],
					"header edited": bytes.Replace(good, []byte(`"dialect":"`+string(src.Dialect())),
						[]byte(`"dialect":"x`+string(src.Dialect())[1:]), 1),
				} {
					rep, err := backup.Verify(t.Context(), bytes.NewReader(b), scratchFor(t, op), chainCheck)
					if err == nil {
						t.Errorf("%s: Verify = %+v, want an error", name, rep)
					}
				}

				other, _ := secret.NewSealer([]byte("fedcba9876543210fedcba9876543210"))
				dst, err := store.Open(t.Context(), storetest.SQLiteDSN(t), other)
				if err != nil {
					t.Fatal(err)
				}
				defer dst.Close()
				dst.Migrate(t.Context())
				_, err = backup.Restore(t.Context(), dst, bytes.NewReader(good), backup.RestoreOptions{})
				if !errors.Is(err, staffbot.ErrForbidden) || !strings.Contains(err.Error(), "master key") {
					t.Errorf("restore under another master key: err = %v, want one naming the master key", err)
				}
			})
		})
	}
}

// TestBackup_AcrossDatabases restores an SQLite backup into PostgreSQL and
// back: the format is the same for both.
func TestBackup_AcrossDatabases(t *testing.T) {
	if os.Getenv(storetest.EnvDatabaseURL) == "" {
		t.Skip(storetest.EnvDatabaseURL + " is not set")
	}
	lite := storetest.MustOpen(t, storetest.SQLiteDSN(t))
	mustPopulate(t, lite)
	pg := storetest.MustOpen(t, storetest.PostgresDSN(t))
	mustRestore(t, pg, mustCreateBackup(t, lite, time.Now()), false)
	sameRows(t, mustSums(t, lite), mustSums(t, pg))

	back := storetest.MustOpen(t, storetest.SQLiteDSN(t))
	mustRestore(t, back, mustCreateBackup(t, pg, time.Now()), false)
	sameRows(t, mustSums(t, lite), mustSums(t, back))
}

func TestPrune(t *testing.T) {
	s := storetest.MustOpen(t, storetest.SQLiteDSN(t))
	mustPopulate(t, s)
	dir := t.TempDir()
	now := time.Now()
	for name, age := range map[string]time.Duration{"old.backup": 61 * 24 * time.Hour, "recent.backup": 59 * 24 * time.Hour} {
		if _, err := backup.CreateFile(t.Context(), s, filepath.Join(dir, name), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("not a backup"), 0o600)
	old := time.Now().Add(-100 * 24 * time.Hour)
	os.Chtimes(notes, old, old)

	removed, err := backup.Prune(dir, backup.DefaultKeep, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || filepath.Base(removed[0]) != "old.backup" {
		t.Errorf("removed %v, want only old.backup", removed)
	}
	for _, keep := range []string{"recent.backup", "notes.txt"} {
		if _, err := os.Stat(filepath.Join(dir, keep)); err != nil {
			t.Errorf("%s: %v", keep, err)
		}
	}
}

func mustRestore(t *testing.T, dst *store.Store, path string, force bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := backup.Restore(t.Context(), dst, f, backup.RestoreOptions{Force: force}); err != nil {
		t.Fatalf("Restore: %v", err)
	}
}

// BenchmarkBackup measures a backup and a restore of a company of 2,000
// employees (with their 2,000 audit records) on SQLite, and reports the
// file size per row.
func BenchmarkBackup(b *testing.B) {
	sealer, _ := secret.NewSealer(storetest.TestKey)
	open := func() *store.Store {
		s, err := store.Open(b.Context(), filepath.Join(b.TempDir(), "b.db"), sealer)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(b.Context()); err != nil {
			b.Fatal(err)
		}
		return s
	}
	src := open()
	co := &staffbot.Company{Slug: "acme", TelegramToken: "700:token"}
	if err := src.CreateCompany(b.Context(), co); err != nil {
		b.Fatal(err)
	}
	in := make([]store.EmployeeImport, 2000)
	for i := range in {
		in[i].Employee = staffbot.Employee{PersonnelNumber: fmt.Sprintf("%05d", i), FullName: "Сотрудник Номер " + fmt.Sprint(i),
			Position: "Инженер", Department: "ИТ", Phone: fmt.Sprintf("+7912%07d", i), Email: fmt.Sprintf("e%d@example.com", i),
			HiredOn: staffbot.Date{Year: 2025, Month: 1, Day: 1}}
	}
	if _, err := src.UpsertEmployees(b.Context(), co.ID, in, t0); err != nil {
		b.Fatal(err)
	}

	b.Run("Create", func(b *testing.B) {
		var size int
		var rows int64
		for b.Loop() {
			var buf bytes.Buffer
			m, err := backup.Create(b.Context(), src, &buf, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			size, rows = buf.Len(), m.Rows()
		}
		b.ReportMetric(float64(size)/float64(rows), "bytes/row")
		b.ReportMetric(float64(rows), "rows")
	})
	b.Run("Restore", func(b *testing.B) {
		var buf bytes.Buffer
		if _, err := backup.Create(b.Context(), src, &buf, time.Now()); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			dst := open()
			if _, err := backup.Restore(b.Context(), dst, bytes.NewReader(buf.Bytes()), backup.RestoreOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
