package main

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
)

// TestImport_BadFileRejected: a file with bad rows is refused as a whole,
// with every problem listed by line and column, and nothing is written,
// neither into an empty company nor over one that has staff.
func TestImport_BadFileRejected(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme")
		c.mustRun("company", "create", "--slug", "empty")
		c.mustRun("import", "employees", "--company", "acme", employees1C)
		before := updatedAt(c.employees("acme"))

		for _, slug := range []string{"empty", "acme"} {
			r := c.run("import", "employees", "--company", slug, employeesBad)
			if r.code != 1 {
				t.Fatalf("import into %s: %s; want exit 1", slug, r)
			}
			if !strings.Contains(r.stderr, "6 problem(s); nothing was imported") {
				t.Errorf("import into %s: stderr lacks the summary:\n%s", slug, r.stderr)
			}
			// One problem of each kind, on its line, under its column as
			// the file names it.
			for _, want := range []string{
				"строка 2, «Дата приема»: такой даты нет: 31.02.2025",
				"строка 3, «ФИО»:",
				"строка 4, «Электронная почта»:",
				"строка 5, «Табельный номер»: табельный номер 00903 уже есть в строке 4",
				"строка 6, «Дата увольнения»: дата увольнения 01.02.2024 раньше даты приема 15.05.2024",
				"строка 7, «Руководитель (таб. №)»:",
			} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("import into %s: stderr lacks %q:\n%s", slug, want, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("import into %s printed a summary on stdout: %q", slug, r.stdout)
			}
		}

		if n := len(c.employees("empty")); n != 0 {
			t.Errorf("empty company has %d employees after the refused import", n)
		}
		after := updatedAt(c.employees("acme"))
		if !maps.Equal(after, before) {
			t.Errorf("the refused import changed acme's staff: %d employees before, %d after", len(before), len(after))
		}
		for _, n := range []string{"00901", "00903", "00904", "00905"} {
			if _, ok := after[n]; ok {
				t.Errorf("employee %s from the refused file was written", n)
			}
		}
	})
}

// TestImport_1C: the windows-1251 export of 1C:ZUP imports whole and
// right, and importing it again changes nothing.
func TestImport_1C(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme")
		r := c.mustRun("import", "employees", "--company", "acme", employees1C)
		if !strings.Contains(r.stdout, "50 new, 0 updated, 0 unchanged") {
			t.Errorf("first import: %s", r)
		}
		emps := c.employees("acme")
		if len(emps) != 50 {
			t.Fatalf("%d employees, want 50", len(emps))
		}

		byID := map[staffbot.EmployeeID]*staffbot.Employee{}
		for _, e := range emps {
			byID[e.ID] = e
		}
		first := c.employee("acme", "00001")
		second := c.employee("acme", "00002")
		if first.FullName != "Иванов Егор Андреевич" || first.Position != "Генеральный директор" || first.Department != "Дирекция" {
			t.Errorf("00001 = %q, %q, %q", first.FullName, first.Position, first.Department)
		}
		if second.FullName != "Иванова Алёна Андреевна" {
			t.Errorf("00002 name = %q, want Иванова Алёна Андреевна (ё intact)", second.FullName)
		}
		if first.Phone != "+79128857607" {
			t.Errorf("00001 phone 89128857607 stored as %q, want +79128857607", first.Phone)
		}
		if second.Phone != "+79489893611" {
			t.Errorf("00002 phone +7 (948) 989-36-11 stored as %q, want +79489893611", second.Phone)
		}
		if first.Email != "e.ivanov@severny-veter.example" {
			t.Errorf("00001 email = %q", first.Email)
		}
		if want := (staffbot.Date{Year: 2024, Month: 7, Day: 21}); first.HiredOn != want {
			t.Errorf("00001 hired %v, want %v", first.HiredOn, want)
		}
		if second.ManagerID == nil || *second.ManagerID != first.ID {
			t.Errorf("00002 manager = %v, want 00001 (id %d)", second.ManagerID, first.ID)
		}
		if first.ManagerID != nil {
			t.Errorf("00001 has a manager: %v", *first.ManagerID)
		}
		mentee := c.employee("acme", "00205")
		if mentee.MentorID == nil || byID[*mentee.MentorID].PersonnelNumber != "00198" {
			t.Errorf("00205 mentor = %v, want 00198", mentee.MentorID)
		}
		if got := c.employee("acme", "00226").FullName; got != "Павлов Егор Алексеевич" {
			t.Errorf("00226 name = %q, want the surplus spaces gone", got)
		}
		dismissed := c.employee("acme", "00149")
		if dismissed.DismissedOn == nil || *dismissed.DismissedOn != (staffbot.Date{Year: 2025, Month: 9, Day: 30}) {
			t.Errorf("00149 dismissed on %v, want 2025-09-30", dismissed.DismissedOn)
		}
		for _, e := range emps {
			if e.ManagerID != nil && byID[*e.ManagerID] == nil {
				t.Errorf("%s: manager id %d is not an employee", e.PersonnelNumber, *e.ManagerID)
			}
			if strings.ContainsAny(e.FullName, "ÀÁÂÃ�") {
				t.Errorf("%s: name %q is mis-decoded", e.PersonnelNumber, e.FullName)
			}
		}

		// Again: nothing new, nothing updated, not even a timestamp.
		before := updatedAt(emps)
		time.Sleep(5 * time.Millisecond)
		r = c.mustRun("import", "employees", "--company", "acme", employees1C)
		if !strings.Contains(r.stdout, "0 new, 0 updated, 50 unchanged") {
			t.Errorf("second import: %s", r)
		}
		if after := updatedAt(c.employees("acme")); !maps.Equal(after, before) {
			t.Error("the second import touched employees")
		}
	})
}

// TestImport_DryRun: --dry-run says what would change and writes nothing.
func TestImport_DryRun(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme")
		r := c.mustRun("import", "employees", "--company", "acme", "--dry-run", employees1C)
		if !strings.Contains(r.stdout, "dry run") || !strings.Contains(r.stdout, "50 new") {
			t.Errorf("dry run: %s", r)
		}
		if n := len(c.employees("acme")); n != 0 {
			t.Errorf("dry run wrote %d employees", n)
		}

		// A bad file fails the dry run just the same.
		if r := c.run("import", "employees", "--company", "acme", "--dry-run", employeesBad); r.code != 1 ||
			!strings.Contains(r.stderr, "6 problem(s)") {
			t.Errorf("dry run of the bad file: %s", r)
		}

		c.mustRun("import", "employees", "--company", "acme", employees1C)
		before := updatedAt(c.employees("acme"))
		r = c.mustRun("import", "employees", "--company", "acme", "--dry-run", employees1C)
		if !strings.Contains(r.stdout, "dry run") || !strings.Contains(r.stdout, "0 new") {
			t.Errorf("dry run over imported staff: %s", r)
		}
		if after := updatedAt(c.employees("acme")); !maps.Equal(after, before) {
			t.Error("dry run touched employees")
		}
	})
}

// TestImport_Refusals: an unknown company or a missing file writes nothing
// and says why.
func TestImport_Refusals(t *testing.T) {
	c := newCLI(t, "")
	c.mustRun("company", "create", "--slug", "acme")
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", "employees", "--company", "nope", employees1C}, 1, `company "nope" not found`},
		{[]string{"import", "employees", employees1C}, 2, "--company is required"},
		{[]string{"import", "employees", "--company", "acme", "no-such-file.csv"}, 1, "no-such-file.csv"},
	} {
		r := c.run(tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("staffbot %s: %s; want exit %d and %q", strings.Join(tt.args, " "), r, tt.code, tt.want)
		}
	}
	if n := len(c.employees("acme")); n != 0 {
		t.Errorf("%d employees written", n)
	}
}

// updatedAt maps personnel numbers to the time each employee last changed.
func updatedAt(emps []*staffbot.Employee) map[string]time.Time {
	m := make(map[string]time.Time, len(emps))
	for _, e := range emps {
		m[e.PersonnelNumber] = e.UpdatedAt
	}
	return m
}
