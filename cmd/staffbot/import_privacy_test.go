package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// case36 is shared/cases input 36: a birth date and a salary among the
// columns.
var case36 = filepath.Join("..", "..", "internal", "importer", "testdata", "36-csv-utf8-bom-semicolon.csv")

// TestImport_PayAndPersonalColumns: importing case 36 says the salary
// column was skipped, stores neither the salary nor the birth date in the
// clear, in the employees table or the audit log, and the export of a
// person still shows their birth date.
func TestImport_PayAndPersonalColumns(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme")

		dry := c.mustRun("import", "employees", "--company", "acme", "--dry-run", case36)
		r := c.mustRun("import", "employees", "--company", "acme", case36)
		for _, out := range []result{dry, r} {
			if !strings.Contains(out.stdout, "«Оклад»: столбец пропущен: оплата труда хранится в учётной системе") {
				t.Errorf("import does not say the pay column was skipped: %s", out)
			}
		}
		if !strings.Contains(r.stdout, "5 new, 0 updated, 0 unchanged") {
			t.Errorf("import: %s", r)
		}
		if e := c.employee("acme", "00-0000002"); e.DismissedOn == nil || e.DismissedOn.String() != "2025-01-31" {
			t.Errorf("00-0000002 dismissed on %v, want 2025-01-31", e.DismissedOn)
		}

		for _, table := range []string{"employees", "audit_log"} {
			text := c.tableText(table)
			for _, secret := range []string{"120 500", "120\u00a0500", "120500", "05.11.1979", "1979-11-05"} {
				if strings.Contains(text, secret) {
					t.Errorf("table %s holds %q in the clear", table, secret)
				}
			}
		}

		exp := c.mustRun("employee", "export", "--company", "acme", "--employee", "00-0000002")
		if !strings.Contains(exp.stdout, "05.11.1979") {
			t.Errorf("the export lacks the birth date:\n%s", exp.stdout)
		}
		if strings.Contains(exp.stdout, "120") && strings.Contains(exp.stdout, "500,50") {
			t.Errorf("the export holds the salary:\n%s", exp.stdout)
		}
	})
}

// tableText returns every row of a table, each value as text.
func (c *cli) tableText(table string) string {
	c.t.Helper()
	rows, err := c.store().DB().QueryContext(c.t.Context(), "SELECT * FROM "+table)
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		c.t.Fatal(err)
	}
	var b strings.Builder
	n := 0
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			c.t.Fatal(err)
		}
		for _, v := range vals {
			b.Write(v)
			b.WriteByte('|')
		}
		b.WriteByte('\n')
		n++
	}
	if err := rows.Err(); err != nil {
		c.t.Fatal(err)
	}
	if n == 0 {
		c.t.Fatalf("table %s has no rows; a search in it proves nothing", table)
	}
	return b.String()
}
