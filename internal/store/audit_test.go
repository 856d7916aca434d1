package store_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// mustAudit appends n records to the company's chain, an hour apart from
// at, and returns them.
func mustAudit(t *testing.T, s *store.Store, companyID staffbot.CompanyID, n int, at time.Time) []*staffbot.AuditRecord {
	t.Helper()
	var recs []*staffbot.AuditRecord
	err := s.InTx(t.Context(), func(tx *store.Tx) error {
		for i := range n {
			rec := &staffbot.AuditRecord{
				CompanyID: companyID, At: at.Add(time.Duration(i) * time.Hour),
				Actor:  staffbot.Actor{Kind: staffbot.ActorUser, ID: "7", IP: "192.0.2.10"},
				Action: "employee.read", ObjectType: "employee", ObjectID: fmt.Sprint(i + 1),
			}
			if err := tx.AppendAudit(t.Context(), rec); err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	return recs
}

func mustVerify(t *testing.T, s *store.Store, companyID staffbot.CompanyID) *store.AuditReport {
	t.Helper()
	rep, err := s.VerifyAudit(t.Context(), companyID)
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	return rep
}

func mustExec(t *testing.T, s *store.Store, q string, args ...any) {
	t.Helper()
	if s.Dialect() == store.Postgres {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	if _, err := s.DB().ExecContext(t.Context(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// problemAt reports whether the report names a problem at seq containing
// the words.
func problemAt(rep *store.AuditReport, seq int64, words string) bool {
	for _, p := range rep.Problems {
		if p.Seq == seq && strings.Contains(p.Problem, words) {
			return true
		}
	}
	return false
}

func TestAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("ChainVerifies", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			mustCreateEmployee(t, s, co.ID, "0001")
			mustAudit(t, s, co.ID, 5, t0)

			rep := mustVerify(t, s, co.ID)
			if !rep.OK() {
				t.Fatalf("problems in an untouched chain: %v", rep.Problems)
			}
			// company.create, employee.create and five reads.
			if rep.Records != 7 || rep.HeadSeq != 7 {
				t.Errorf("records = %d, head = %d, want 7 and 7", rep.Records, rep.HeadSeq)
			}
			recs, err := s.FindAudit(t.Context(), co.ID, store.AuditFilter{Action: "employee.read"})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 5 || recs[0].Actor.IP != "192.0.2.10" || recs[0].Actor.Kind != staffbot.ActorUser {
				t.Errorf("FindAudit = %d records, first %+v", len(recs), recs[0])
			}
		})

		t.Run("EditedRecordDetected", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			mustAudit(t, s, co.ID, 5, t0)

			// Someone with write access to the database covers their tracks.
			mustExec(t, s, "UPDATE audit_log SET actor_id = '99' WHERE company_id = ? AND seq = 3", co.ID)
			mustExec(t, s, `UPDATE audit_log SET details = '{"ip":"10.0.0.1"}' WHERE company_id = ? AND seq = 5`, co.ID)

			rep := mustVerify(t, s, co.ID)
			if !problemAt(rep, 3, "altered") {
				t.Errorf("edited actor of record 3 not reported: %v", rep.Problems)
			}
			if !problemAt(rep, 5, "details do not match") {
				t.Errorf("edited details of record 5 not reported: %v", rep.Problems)
			}
			if problemAt(rep, 4, "") || problemAt(rep, 2, "") {
				t.Errorf("untouched records reported: %v", rep.Problems)
			}
		})

		t.Run("DeletedRecordDetected", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			mustAudit(t, s, co.ID, 5, t0)

			mustExec(t, s, "DELETE FROM audit_log WHERE company_id = ? AND seq = 3", co.ID)
			rep := mustVerify(t, s, co.ID)
			if !problemAt(rep, 3, "missing: deleted") {
				t.Errorf("deleted record 3 not reported: %v", rep.Problems)
			}
			if len(rep.Problems) != 1 {
				t.Errorf("problems = %v, want only record 3", rep.Problems)
			}
		})

		t.Run("DeletedTailDetected", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			mustAudit(t, s, co.ID, 5, t0)

			mustExec(t, s, "DELETE FROM audit_log WHERE company_id = ? AND seq >= 5", co.ID)
			rep := mustVerify(t, s, co.ID)
			if !problemAt(rep, 5, "deleted from the end") {
				t.Errorf("deleted last records not reported: %v", rep.Problems)
			}
		})

		t.Run("ReorderedRecordsDetected", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			mustAudit(t, s, co.ID, 5, t0)

			// Swap records 3 and 4.
			mustExec(t, s, "UPDATE audit_log SET seq = -1 WHERE company_id = ? AND seq = 3", co.ID)
			mustExec(t, s, "UPDATE audit_log SET seq = 3 WHERE company_id = ? AND seq = 4", co.ID)
			mustExec(t, s, "UPDATE audit_log SET seq = 4 WHERE company_id = ? AND seq = -1", co.ID)
			rep := mustVerify(t, s, co.ID)
			if !problemAt(rep, 3, "does not follow") || !problemAt(rep, 4, "does not follow") {
				t.Errorf("swapped records 3 and 4 not both reported: %v", rep.Problems)
			}
		})

		t.Run("RehashedRecordStillDetected", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			mustAudit(t, s, co.ID, 3, t0)

			// Copying another record's hashes onto an edited record does
			// not help without the key.
			mustExec(t, s, `UPDATE audit_log SET actor_id = '99',
				hash = (SELECT hash FROM audit_log a WHERE a.company_id = audit_log.company_id AND a.seq = 2)
				WHERE company_id = ? AND seq = 4`, co.ID)
			if rep := mustVerify(t, s, co.ID); !problemAt(rep, 4, "altered") {
				t.Errorf("rehashed record 4 not reported: %v", rep.Problems)
			}
		})

		t.Run("PruneKeepsChainVerifiable", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme") // record 1, stamped now
			old := time.Now().AddDate(-1, 0, 0)
			mustAudit(t, s, co.ID, 4, old) // records 2-5, a year ago
			mustAudit(t, s, co.ID, 2, time.Now())

			n, err := s.PruneAudit(t.Context(), co.ID, time.Now().AddDate(0, -6, 0), time.Now())
			if err != nil {
				t.Fatalf("PruneAudit: %v", err)
			}
			// Everything up to the last old record goes, the company
			// record included, since the chain cannot have holes.
			if n != 5 {
				t.Errorf("pruned %d records, want 5", n)
			}
			rep := mustVerify(t, s, co.ID)
			if !rep.OK() || rep.AnchorSeq != 5 || rep.Records != 3 {
				t.Fatalf("after pruning: anchor %d, %d records, problems %v; want anchor 5, 3 records, none",
					rep.AnchorSeq, rep.Records, rep.Problems)
			}

			// Deleting the oldest remaining record and moving the anchor
			// does not pass for pruning.
			mustExec(t, s, "DELETE FROM audit_log WHERE company_id = ? AND seq = 6", co.ID)
			mustExec(t, s, `UPDATE audit_chains SET anchor_seq = 6,
				anchor_hash = (SELECT prev_hash FROM audit_log WHERE company_id = ? AND seq = 7) WHERE company_id = ?`, co.ID, co.ID)
			if rep := mustVerify(t, s, co.ID); !problemAt(rep, 6, "pruning anchor") {
				t.Errorf("moved anchor not reported: %v", rep.Problems)
			}
		})

		t.Run("PruneRefusesBrokenChain", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			mustAudit(t, s, co.ID, 4, time.Now().AddDate(-1, 0, 0))
			mustExec(t, s, "UPDATE audit_log SET action = 'employee.list' WHERE company_id = ? AND seq = 2", co.ID)

			if _, err := s.PruneAudit(t.Context(), co.ID, time.Now().AddDate(0, -6, 0), time.Now()); err == nil {
				t.Fatal("PruneAudit deleted a broken part of the chain")
			}
			if rep := mustVerify(t, s, co.ID); !problemAt(rep, 2, "altered") {
				t.Errorf("evidence lost: %v", rep.Problems)
			}
		})

		t.Run("DeletedChainDetected", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			mustAudit(t, s, co.ID, 2, t0)
			mustExec(t, s, "DELETE FROM audit_log WHERE company_id = ?", co.ID)
			mustExec(t, s, "DELETE FROM audit_chains WHERE company_id = ?", co.ID)
			mustExec(t, s, "DELETE FROM company_keys WHERE company_id = ?", co.ID)
			if rep := mustVerify(t, s, co.ID); !problemAt(rep, 0, "whole audit chain is missing") {
				t.Errorf("a company without any chain passes: %v", rep.Problems)
			}
		})

		t.Run("UndeclaredRedactionDetected", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			mustAudit(t, s, co.ID, 3, t0)
			mustExec(t, s, `UPDATE audit_log SET details = '{"redacted":true}', redacted = 1 WHERE company_id = ? AND seq = 2`, co.ID)
			if rep := mustVerify(t, s, co.ID); !problemAt(rep, 2, "without an audit.redact") {
				t.Errorf("undeclared redaction not reported: %v", rep.Problems)
			}
		})

		t.Run("SecretsMasked", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			e := mustCreateEmployee(t, s, co.ID, "0001")
			if err := s.UpdateCompanyTelegram(t.Context(), co.ID, "acme_bot", "555:new-secret-token", "hook-secret-value"); err != nil {
				t.Fatal(err)
			}
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				return tx.AppendAudit(t.Context(), &staffbot.AuditRecord{
					CompanyID: co.ID, Action: "user.create", ObjectType: "user", ObjectID: "1",
					After: json.RawMessage(`{"email":"boss@acme.ru","password":"hunter2hunter2","note":"call +7 912 345-67-89",
						"nested":{"totp_secret":"JBSWY3DPEHPK3PXP"},"key_id":"abc"}`),
				})
			})
			if err != nil {
				t.Fatal(err)
			}

			recs, err := s.FindAudit(t.Context(), co.ID, store.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for _, r := range recs {
				fmt.Fprintf(&all, "%s %s %s\n", r.Action, r.Before, r.After)
			}
			for _, secret := range []string{"555:new-secret-token", "hook-secret-value", "hunter2", "JBSWY3DPEHPK3PXP",
				"9123456789", "912 345-67-89", e.Phone, e.Email, "boss@"} {
				if strings.Contains(all.String(), secret) {
					t.Errorf("audit log holds %q:\n%s", secret, all.String())
				}
			}
			for _, hint := range []string{`"phone":"***89"`, `"email":"p***@example.com"`, `"key_id":"abc"`, `"telegram_token":"***"`} {
				if !strings.Contains(all.String(), hint) {
					t.Errorf("audit log lacks %s:\n%s", hint, all.String())
				}
			}
		})

		t.Run("ConcurrentAppendsStayChained", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Go(func() {
					for range 5 {
						err := s.InTx(t.Context(), func(tx *store.Tx) error {
							return tx.AppendAudit(t.Context(), &staffbot.AuditRecord{CompanyID: co.ID, Action: "employee.list"})
						})
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("append: %v", err)
			}
			rep := mustVerify(t, s, co.ID)
			if !rep.OK() || rep.Records != 41 {
				t.Errorf("records = %d, problems %v; want 41 and none", rep.Records, rep.Problems)
			}
		})
	})
}

// openBench opens a fresh SQLite store for a benchmark.
func openBench(b *testing.B) *store.Store {
	b.Helper()
	sealer, err := secret.NewSealer(storetest.TestKey)
	if err != nil {
		b.Fatal(err)
	}
	s, err := store.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sealer)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAudit_Append measures one record appended in a transaction of
// its own, as a cabinet read is recorded (SQLite).
func BenchmarkAudit_Append(b *testing.B) {
	s := openBench(b)
	co := &staffbot.Company{Slug: "acme"}
	if err := s.CreateCompany(b.Context(), co); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		err := s.InTx(b.Context(), func(tx *store.Tx) error {
			return tx.AppendAudit(b.Context(), &staffbot.AuditRecord{CompanyID: co.ID, Action: "employee.read",
				ObjectType: "employee", ObjectID: "1", Actor: staffbot.Actor{Kind: staffbot.ActorUser, ID: "1", IP: "192.0.2.1"}})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAudit_Verify measures checking a chain of 10,000 records
// (SQLite).
func BenchmarkAudit_Verify(b *testing.B) {
	s := openBench(b)
	co := &staffbot.Company{Slug: "acme"}
	if err := s.CreateCompany(b.Context(), co); err != nil {
		b.Fatal(err)
	}
	err := s.InTx(b.Context(), func(tx *store.Tx) error {
		recs := make([]*staffbot.AuditRecord, 9999)
		for i := range recs {
			recs[i] = &staffbot.AuditRecord{CompanyID: co.ID, Action: "employee.read", ObjectType: "employee", ObjectID: fmt.Sprint(i)}
		}
		return tx.AppendAudit(b.Context(), recs...)
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := s.VerifyAudit(b.Context(), co.ID)
		if err != nil || !rep.OK() || rep.Records != 10000 {
			b.Fatalf("verify: %v, %v", rep, err)
		}
	}
}
