package main

import (
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/store"
)

// TestServices_ListAndRequests: the catalogue shows what the company's
// connector can do, a service is turned off and on, and HR walks a
// request of its queue to ready and closed.
func TestServices_ListAndRequests(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme", "--name", "ООО Акме")
		r := c.mustRun("services", "list", "--company", "acme")
		if !strings.Contains(r.stdout, "vacation_balance") || !strings.Contains(r.stdout, "not offered: the connector cannot vacation_balance") {
			t.Errorf("list without a connector:\n%s", r.stdout)
		}

		fake := onectest.NewServer(t)
		c.mustRun("connector", "add", "--company", "acme", "--type", "1c", "--url", fake.URL(), "--user", onectest.DefaultUser,
			"--password", onectest.DefaultPassword, "--service-path", onectest.ServicePath, "--sync-every", "0")
		r = c.mustRun("services", "list", "--company", "acme")
		if !strings.Contains(r.stdout, "connector (payslip); HR for paper") || !strings.Contains(r.stdout, "Справка для визы") {
			t.Errorf("list with 1C:\n%s", r.stdout)
		}
		c.mustRun("services", "disable", "--company", "acme", "payslip")
		r = c.mustRun("services", "list", "--company", "acme")
		if line := lineWith(r.stdout, "payslip"); !strings.Contains(line, "off") {
			t.Errorf("disabled payslip: %q", line)
		}
		if r := c.run("services", "disable", "--company", "acme", "no_such_service"); r.code != 1 || !strings.Contains(r.stderr, "not in the catalogue") {
			t.Errorf("unknown service: %s", r)
		}

		co := c.company("acme")
		emp := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: "00042", FullName: "Иванова Анна", HiredOn: staffbot.Date{Year: 2024, Month: 1, Day: 9}}
		if err := c.store().CreateEmployee(t.Context(), emp, time.Now()); err != nil {
			t.Fatal(err)
		}
		req := &store.ServiceRequest{CompanyID: co.ID, EmployeeID: emp.ID, ServiceKey: "employment_certificate",
			Fulfilment: store.FulfilHR, Status: store.ServiceRequestNew, Answers: map[string]string{"delivery": "paper", "copies": "2"},
			CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := c.store().InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateServiceRequest(t.Context(), req) }); err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSpace(strings.Fields(lineWith(c.mustRun("services", "requests", "--company", "acme").stdout, "00042"))[0])
		if line := lineWith(c.mustRun("services", "requests", "--company", "acme", "--status", "new").stdout, "00042"); !strings.Contains(line, "copies=2; delivery=paper") {
			t.Errorf("requests line %q, want the answers", line)
		}
		c.mustRun("services", "take", "--company", "acme", "--request", id)
		if r := c.run("services", "ready", "--company", "acme", "--request", id, "--file", "/dev/null"); r.code != 1 || !strings.Contains(r.stderr, "no reachable chat") {
			t.Errorf("ready with a file for an employee without a chat: %s", r)
		}
		c.mustRun("services", "ready", "--company", "acme", "--request", id)
		c.mustRun("services", "close", "--company", "acme", "--request", id)
		if line := lineWith(c.mustRun("services", "requests", "--company", "acme").stdout, "00042"); !strings.Contains(line, "closed") || !strings.Contains(line, "done") {
			t.Errorf("closed request %q", line)
		}
		if r := c.run("services", "close", "--company", "acme", "--request", id); r.code != 1 || !strings.Contains(r.stderr, "conflict") {
			t.Errorf("closing twice: %s", r)
		}
		if r := c.run("services", "take", "--company", "acme"); r.code != 2 {
			t.Errorf("take without a request: %s", r)
		}
	})
}

func lineWith(out, part string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, part) {
			return l
		}
	}
	return ""
}
