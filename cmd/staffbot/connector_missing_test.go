package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
)

// TestConnector_MissingEmployees: employees 1C stops listing show in
// 'connector missing', are dismissed after the policy's number of syncs or
// when HR confirms, and a list that lacks too many at once is refused
// until HR accepts it.
func TestConnector_MissingEmployees(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		fake := onectest.NewServer(t)
		for i := 1; i <= 10; i++ {
			fake.AddEmployee(onectest.Employee{Code: fmt.Sprintf("%04d", i), Name: fmt.Sprintf("Сотрудник Номер %d", i),
				HiredOn: "2020-03-01", Position: "Инженер", Department: "Цех"})
		}
		c.mustRun("company", "create", "--slug", "acme")
		t.Setenv(envConnectorPassword, onectest.DefaultPassword)
		if r := c.run("connector", "add", "--company", "acme", "--type", "1c", "--url", fake.URL(), "--user", onectest.DefaultUser,
			"--max-missing-percent", "0"); r.code != 2 || !strings.Contains(r.stderr, "must be 1 to 100") {
			t.Errorf("add with a 0%% share: %s", r)
		}
		c.mustRun("connector", "add", "--company", "acme", "--type", "1c", "--url", fake.URL(), "--user", onectest.DefaultUser,
			"--dismiss-missing-after", "2", "--max-missing-percent", "25")
		if r := c.mustRun("connector", "policy", "--company", "acme"); !strings.Contains(r.stdout, "dismiss after 2 sync(s), refuse over 25%") {
			t.Errorf("policy: %s", r)
		}
		c.mustRun("sync", "--company", "acme")

		fake.RemoveEmployees("0003", "0004")
		r := c.mustRun("sync", "--company", "acme")
		if !strings.Contains(r.stdout, "2 marked missing, 0 dismissed for being missing") ||
			!strings.Contains(r.stdout, "missing   0003 (not listed in 1 sync(s))") {
			t.Errorf("sync without two: %s", r)
		}
		r = c.mustRun("connector", "missing", "--company", "acme")
		if !strings.Contains(r.stdout, "0003") || !strings.Contains(r.stdout, "Сотрудник Номер 4") ||
			!strings.Contains(r.stdout, "dismissed after 1 more sync(s)") || !strings.Contains(r.stderr, "2 employee(s) not listed") {
			t.Errorf("missing: %s", r)
		}

		// HR confirms one at once; the other goes with the next sync.
		if r := c.run("connector", "confirm-missing", "--company", "acme", "--employee", "0005"); r.code != 1 ||
			!strings.Contains(r.stderr, "0005 is not missing") {
			t.Errorf("confirm a listed employee: %s", r)
		}
		if r := c.run("connector", "confirm-missing", "--company", "acme"); r.code != 2 {
			t.Errorf("confirm without --employee or --all: %s", r)
		}
		r = c.mustRun("connector", "confirm-missing", "--company", "acme", "--employee", "0003")
		if !strings.Contains(r.stdout, "1 employee(s) dismissed today") || c.employee("acme", "0003").DismissedOn == nil {
			t.Errorf("confirm 0003: %s", r)
		}
		r = c.mustRun("sync", "--company", "acme")
		if !strings.Contains(r.stdout, "revoked   0004 (not listed by the system; dismissed today)") || c.employee("acme", "0004").DismissedOn == nil {
			t.Errorf("second sync without 0004: %s", r)
		}

		// Three of eight working employees (37 %) gone at once: refused.
		fake.RemoveEmployees("0005", "0006", "0007")
		r = c.run("sync", "--company", "acme", "--retries", "0")
		if r.code != 1 || !strings.Contains(r.stderr, "too many employees missing") || !strings.Contains(r.stderr, "staffbot connector missing --company acme") {
			t.Errorf("truncated list: %s", r)
		}
		if r := c.mustRun("connector", "runs", "--company", "acme", "--limit", "1"); !strings.Contains(r.stdout, "failed") ||
			!strings.Contains(r.stdout, "3 of the 8") {
			t.Errorf("runs after the refusal: %s", r)
		}
		r = c.mustRun("sync", "--company", "acme", "--accept-missing")
		if !strings.Contains(r.stdout, "3 marked missing") {
			t.Errorf("accepted: %s", r)
		}
		r = c.mustRun("audit", "export", "--company", "acme")
		for _, action := range []string{"connector.policy", "employee.unlisted", "employee.dismiss_unlisted"} {
			if !strings.Contains(r.stdout, action) {
				t.Errorf("audit export lacks %s", action)
			}
		}
	})
}
