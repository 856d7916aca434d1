package audit_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func TestRecorder_WithAndWithoutTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		s := open(t)
		co := &staffbot.Company{Slug: "acme"}
		if err := s.CreateCompany(t.Context(), co); err != nil {
			t.Fatal(err)
		}
		clock := staffbot.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		r := &audit.Recorder{Store: s, Clock: clock}
		ctx := staffbot.WithActor(t.Context(), staffbot.Actor{Kind: staffbot.ActorUser, ID: "12", IP: "203.0.113.5"})

		// A read, outside any transaction.
		if err := r.Record(ctx, nil, staffbot.AuditRecord{CompanyID: co.ID, Action: "employee.list", ObjectType: "employees"}); err != nil {
			t.Fatalf("Record without tx: %v", err)
		}
		// A change, in its transaction, which then rolls back.
		_ = s.InTx(ctx, func(tx *store.Tx) error {
			if err := r.Record(ctx, tx, staffbot.AuditRecord{CompanyID: co.ID, Action: "employee.update"}); err != nil {
				t.Fatalf("Record in tx: %v", err)
			}
			return staffbot.ErrConflict
		})

		recs, err := s.FindAudit(t.Context(), co.ID, store.AuditFilter{AfterSeq: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].Action != "employee.list" || recs[0].Actor.ID != "12" || recs[0].Actor.IP != "203.0.113.5" ||
			!recs[0].At.Equal(clock.Now()) {
			t.Errorf("records = %+v, want the read alone, by user 12 from 203.0.113.5 at the clock's time", recs)
		}
		if rep, err := audit.Verify(t.Context(), s, co.ID); err != nil || !rep.OK() {
			t.Errorf("chain after a rolled-back record: %v, %v", rep, err)
		}
	})
}

func TestExportCSV_DefusesFormulas(t *testing.T) {
	s := storetest.MustOpen(t, storetest.SQLiteDSN(t))
	co := &staffbot.Company{Slug: "acme", Name: "=HYPERLINK(\"http://x\")"}
	if err := s.CreateCompany(t.Context(), co); err != nil {
		t.Fatal(err)
	}
	err := s.InTx(t.Context(), func(tx *store.Tx) error {
		return audit.Record(t.Context(), tx, staffbot.AuditRecord{CompanyID: co.ID, Action: "user.create",
			Actor: staffbot.Actor{Kind: staffbot.ActorUser, ID: "=1+1"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	n, err := audit.ExportCSV(t.Context(), s, co.ID, time.Time{}, time.Time{}, &out)
	if err != nil || n != 2 {
		t.Fatalf("ExportCSV = %d, %v; want 2 records", n, err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		for _, cell := range row {
			if strings.HasPrefix(cell, "=") || strings.HasPrefix(cell, "+") {
				t.Errorf("cell %q would run as a formula", cell)
			}
		}
	}
	if rows[2][3] != "'=1+1" {
		t.Errorf("actor cell = %q, want it quoted", rows[2][3])
	}
}

func TestDiff(t *testing.T) {
	b, a, changed := audit.Diff(
		map[string]any{"name": "Анна", "phone": "+79123456789", "office": "Москва"},
		map[string]any{"name": "Анна", "phone": "+79990000000", "office": "Москва"},
	)
	if !changed || string(b) != `{"phone":"+79123456789"}` || string(a) != `{"phone":"+79990000000"}` {
		t.Errorf("Diff = %s, %s, %v", b, a, changed)
	}
	if _, _, changed := audit.Diff(map[string]any{"a": 1}, map[string]any{"a": 1}); changed {
		t.Error("Diff of equal objects reports a change")
	}
}
