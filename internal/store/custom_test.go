package store_test

import (
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/importer"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// tableText returns every row of a table, each value as text.
func tableText(t *testing.T, s *store.Store, table string) string {
	t.Helper()
	rows, err := s.DB().QueryContext(t.Context(), "SELECT * FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
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
			t.Fatal(err)
		}
		for _, v := range vals {
			b.Write(v)
			b.WriteByte('|')
		}
		b.WriteByte('\n')
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("table %s has no rows; a search in it proves nothing", table)
	}
	return b.String()
}

// mustImportCase36 imports shared/cases input 36 (a birth date and a salary
// among its columns) into the company.
func mustImportCase36(t *testing.T, s *store.Store, companyID staffbot.CompanyID) {
	t.Helper()
	f, err := os.Open("../importer/testdata/36-csv-utf8-bom-semicolon.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := importer.ParseAndValidate(f, "36.csv", nil)
	if err != nil {
		t.Fatalf("parse case 36: %v", err)
	}
	in := make([]store.EmployeeImport, len(rows))
	for i, r := range rows {
		in[i] = store.EmployeeImport{Employee: r.Employee}
		in[i].Employee.CompanyID = companyID
	}
	if _, err := s.UpsertEmployees(t.Context(), companyID, in, t0); err != nil {
		t.Fatalf("UpsertEmployees: %v", err)
	}
}

// The salary and the birth date of employee 00-0000002 in case 36, as the
// file writes them and as they might be normalised.
var case36Secrets = []string{"120 500", "120\u00a0500", "120500", "05.11.1979", "1979-11-05"}

func assertNoneOf(t *testing.T, text, where string, needles ...string) {
	t.Helper()
	for _, n := range needles {
		if strings.Contains(text, n) {
			t.Errorf("%s holds %q in the clear:\n%s", where, n, text)
		}
	}
}

// TestCustomFields: custom fields from a staff file are sealed at rest
// with the company's data key and masked in the audit log, yet read back
// whole; plain rows from before still read and are sealed by rotation.
func TestCustomFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("SealedAndMasked", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			mustImportCase36(t, s, co.ID)

			for _, tb := range []string{"employees", "audit_log"} {
				assertNoneOf(t, tableText(t, s, tb), "table "+tb, case36Secrets...)
			}
			for _, v := range columnValues(t, s, "SELECT custom FROM employees") {
				if !strings.HasPrefix(v, "v2:") {
					t.Errorf("employees.custom = %.40q, want a value sealed with the data key", v)
				}
			}

			e, err := s.FindEmployeeByNumber(t.Context(), co.ID, "00-0000002")
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Custom["Дата рождения"]; got != "05.11.1979" {
				t.Errorf("birth date read back = %q, want 05.11.1979", got)
			}
			if _, ok := e.Custom["Оклад"]; ok {
				t.Errorf("the salary was stored: %v", e.Custom)
			}

			// The audit record names the field and masks its value.
			recs, err := s.FindAudit(t.Context(), co.ID, store.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var created string
			for _, r := range recs {
				if r.Action == "employee.create" && r.ObjectID == fmt.Sprint(e.ID) {
					created = string(r.After)
				}
			}
			if !strings.Contains(created, `"custom":{"Дата рождения":"***79"}`) {
				t.Errorf("audit record of the creation = %s, want the birth date masked as ***79", created)
			}

			// A change of a custom field shows in the log, masked.
			e.Custom["Дата рождения"] = "06.11.1979"
			if _, err := s.UpsertEmployees(t.Context(), co.ID, []store.EmployeeImport{{Employee: *e}}, t0); err != nil {
				t.Fatal(err)
			}
			assertNoneOf(t, tableText(t, s, "audit_log"), "table audit_log", "06.11.1979", "05.11.1979")
			got, err := s.FindEmployeeByNumber(t.Context(), co.ID, "00-0000002")
			if err != nil || got.Custom["Дата рождения"] != "06.11.1979" {
				t.Errorf("after the change: %v, %v", got.Custom, err)
			}
		})

		t.Run("PlainRowsReadAndRotationSealsThem", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			e := mustCreateEmployee(t, s, co.ID, "0001")
			o := mustCreateEmployee(t, s, other.ID, "0001")
			empty := mustCreateEmployee(t, s, co.ID, "0002")
			// Rows written before custom fields were sealed.
			mustExec(t, s, "UPDATE employees SET custom = ? WHERE id = ?", `{"Дата рождения":"05.11.1979"}`, e.ID)
			mustExec(t, s, "UPDATE employees SET custom = ? WHERE id = ?", `{"Пропуск":"A-17"}`, o.ID)

			got, err := s.FindEmployeeByID(t.Context(), co.ID, e.ID)
			if err != nil || got.Custom["Дата рождения"] != "05.11.1979" {
				t.Fatalf("plain row = %v, %v", got, err)
			}

			rep, err := s.RotateDataKey(t.Context(), co.ID, 1, t0)
			if err != nil {
				t.Fatalf("RotateDataKey: %v", err)
			}
			if rep.Failed != 0 {
				t.Errorf("rotation failed on %d values", rep.Failed)
			}
			var raw, rawOther, rawEmpty string
			s.DB().QueryRowContext(t.Context(), "SELECT custom FROM employees WHERE id = "+fmt.Sprint(e.ID)).Scan(&raw)
			s.DB().QueryRowContext(t.Context(), "SELECT custom FROM employees WHERE id = "+fmt.Sprint(o.ID)).Scan(&rawOther)
			s.DB().QueryRowContext(t.Context(), "SELECT custom FROM employees WHERE id = "+fmt.Sprint(empty.ID)).Scan(&rawEmpty)
			if !strings.HasPrefix(raw, secret.SealedWith(rep.KeyID)) {
				t.Errorf("custom after rotation = %.40q, want it under the new key %s", raw, rep.KeyID)
			}
			if rawOther != `{"Пропуск":"A-17"}` {
				t.Errorf("the rotation of one company touched another's row: %q", rawOther)
			}
			if rawEmpty != "{}" {
				t.Errorf("empty custom fields = %q, want a plain {}", rawEmpty)
			}
			got, err = s.FindEmployeeByID(t.Context(), co.ID, e.ID)
			if err != nil || got.Custom["Дата рождения"] != "05.11.1979" {
				t.Errorf("after rotation = %v, %v", got, err)
			}

			// A second rotation moves the sealed value to the next key.
			rep2, err := s.RotateDataKey(t.Context(), co.ID, 1, t0)
			if err != nil || rep2.Failed != 0 {
				t.Fatalf("second rotation: %+v, %v", rep2, err)
			}
			s.DB().QueryRowContext(t.Context(), "SELECT custom FROM employees WHERE id = "+fmt.Sprint(e.ID)).Scan(&raw)
			if !strings.HasPrefix(raw, secret.SealedWith(rep2.KeyID)) {
				t.Errorf("custom after the second rotation = %.40q, want it under %s", raw, rep2.KeyID)
			}

			// Sealed custom fields of one company do not open in another.
			mustExec(t, s, "UPDATE employees SET custom = ? WHERE id = ?", raw, o.ID)
			if got, err := s.FindEmployeeByID(t.Context(), other.ID, o.ID); err == nil {
				t.Errorf("another company's custom fields opened: %v", got.Custom)
			}
		})
	})
}
