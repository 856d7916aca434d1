package main

import (
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/store"
)

// exec runs a statement on the test's database as someone with direct
// access to it would.
func (c *cli) exec(q string, args ...any) {
	c.t.Helper()
	st := c.store()
	if st.Dialect() == store.Postgres {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	if _, err := st.DB().ExecContext(c.t.Context(), q, args...); err != nil {
		c.t.Fatalf("%s: %v", q, err)
	}
}

// TestAudit_VerifyCatchesEditedAndDeletedRows: "staffbot audit verify"
// passes an untouched log, and names the record that was edited and the
// one that was deleted, with exit status 1.
func TestAudit_VerifyCatchesEditedAndDeletedRows(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme")
		c.mustRun("import", "employees", "--company", "acme", employees1C)

		r := c.mustRun("audit", "verify")
		if !strings.Contains(r.stdout, "acme: ") || !strings.Contains(r.stdout, "intact") {
			t.Fatalf("audit verify of an untouched log:\n%s", r)
		}

		co := c.company("acme")
		c.exec("UPDATE audit_log SET actor_id = 'cli:nobody' WHERE company_id = ? AND seq = 4", co.ID)
		c.exec("DELETE FROM audit_log WHERE company_id = ? AND seq = 7", co.ID)
		r = c.run("audit", "verify", "--company", "acme")
		if r.code != 1 {
			t.Fatalf("audit verify of a tampered log: %s; want exit 1", r)
		}
		for _, want := range []string{"record 4 (row id", "altered", "record 7: missing: deleted", "tampered with: 2 problem(s)"} {
			if !strings.Contains(r.stdout+r.stderr, want) {
				t.Errorf("audit verify output lacks %q:\n%s", want, r)
			}
		}
	})
}

// TestAudit_ExportCSV: the export is CSV with a header, holds the import's
// records by the administrator who ran it, masks phones, and is itself
// recorded.
func TestAudit_ExportCSV(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme")
		c.mustRun("import", "employees", "--company", "acme", employees1C)

		r := c.mustRun("audit", "export", "--company", "acme", "--from", "2000-01-01")
		rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil {
			t.Fatalf("export is not CSV: %v\n%s", err, r.stdout)
		}
		if len(rows) < 3 || strings.Join(rows[0], ",") != "seq,at,actor_kind,actor_id,ip,action,object_type,object_id,subject_id,before,after,redacted" {
			t.Fatalf("export = %q", rows)
		}
		var creates int
		for _, row := range rows[1:] {
			if row[5] == "employee.create" {
				creates++
				if row[2] != "system" || !strings.HasPrefix(row[3], "cli:") || row[8] == "" {
					t.Errorf("employee.create row = %q, want by cli: about the employee", row)
				}
			}
		}
		if creates == 0 {
			t.Error("no employee.create records in the export")
		}
		for _, phone := range []string{"89128857607", "9128857607", "948) 989-36-11"} {
			if strings.Contains(r.stdout, phone) {
				t.Errorf("export holds phone %s in the clear", phone)
			}
		}
		if !strings.Contains(r.stderr, "exported") {
			t.Errorf("no summary on stderr: %q", r.stderr)
		}

		r = c.mustRun("audit", "export", "--company", "acme")
		if !strings.Contains(r.stdout, "audit.export") {
			t.Error("the first export is not in the audit log")
		}
		if r := c.run("audit", "export", "--company", "acme", "--from", "31.12.2025"); r.code != 1 {
			t.Errorf("a bad date: %s; want exit 1", r)
		}
	})
}

// TestAudit_Retention: the command shows the defaults and sets a company's
// periods.
func TestAudit_Retention(t *testing.T) {
	c := newCLI(t, "")
	c.mustRun("company", "create", "--slug", "acme")
	r := c.mustRun("audit", "retention", "--company", "acme")
	if !strings.Contains(r.stdout, "kept 183 days") || !strings.Contains(r.stdout, "anonymised 30 days") {
		t.Errorf("defaults: %s", r)
	}
	c.mustRun("audit", "retention", "--company", "acme", "--audit-days", "365", "--anonymize-after-days", "0")
	r = c.mustRun("audit", "retention", "--company", "acme")
	if !strings.Contains(r.stdout, "kept 365 days") || !strings.Contains(r.stdout, "anonymised 0 days") {
		t.Errorf("after setting: %s", r)
	}
	if r := c.run("audit", "retention", "--company", "acme", "--audit-days", "7"); r.code != 1 {
		t.Errorf("7 days of audit log: %s; want refused", r)
	}
}
