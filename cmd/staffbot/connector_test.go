package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/hris/rest/resttest"
	"github.com/staffbot/staffbot/internal/hris/successfactors/sftest"
)

// TestConnector_AddSyncList: a 1C connector is saved only after its
// connection test passes, with the password sealed; sync creates, updates
// and revokes employees and prints what changed; a failing 1C leaves the
// staff list alone and the failure shows in connector list and runs.
func TestConnector_AddSyncList(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		fake := onectest.NewServer(t)
		fake.AddEmployee(onectest.Employee{Code: "0001", Name: "Иванова Анна Петровна", HiredOn: "2020-03-01", Position: "Бухгалтер"})
		fake.AddEmployee(onectest.Employee{Code: "0002", Name: "Петров Пётр Петрович", HiredOn: "2021-04-05", Position: "Кладовщик"})
		fake.AddEmployee(onectest.Employee{Code: "0003", Name: "Дубль Записи", HiredOn: "2021-04-05", DeletionMark: true})
		c.mustRun("company", "create", "--slug", "acme", "--name", "ООО Акме")

		add := []string{"connector", "add", "--company", "acme", "--type", "1c", "--url", fake.URL(),
			"--user", onectest.DefaultUser, "--service-path", onectest.ServicePath}
		r := c.run(append(add, "--password", "wrong")...)
		if r.code != 1 || !strings.Contains(r.stderr, "Connection test failed; nothing saved") || !strings.Contains(r.stderr, "--user and --password") {
			t.Errorf("wrong password: %s", r)
		}
		fake.SetPublished(false)
		r = c.run(append(add, "--password", onectest.DefaultPassword)...)
		if r.code != 1 || !strings.Contains(r.stderr, "standardOdata") {
			t.Errorf("not published: %s", r)
		}
		fake.SetPublished(true)
		if r := c.run("connector", "add", "--company", "acme", "--type", "1c", "--url", fake.URL()); r.code != 2 {
			t.Errorf("no login: %s", r)
		}

		t.Setenv(envConnectorPassword, onectest.DefaultPassword)
		r = c.mustRun(add...)
		if !strings.Contains(r.stdout, "1c connector for acme added (connection checked; sync every 1h0m0s") ||
			!strings.Contains(r.stdout, "self-service actions: vacation_balance, payslip, certificate") {
			t.Errorf("add: %s", r)
		}

		r = c.mustRun("sync", "--company", "acme")
		if !strings.Contains(r.stdout, "sync acme from 1c: 3 listed, 2 new, 0 updated, 0 access revoked, 0 unchanged, 1 skipped") ||
			!strings.Contains(r.stdout, "skipped   0003 (deletion_mark)") {
			t.Errorf("first sync: %s", r)
		}
		if e := c.employee("acme", "0002"); e.Position != "Кладовщик" || e.DismissedOn != nil {
			t.Errorf("0002 = %+v", e)
		}

		fake.UpdateEmployee("0002", func(e *onectest.Employee) { e.DismissedOn = "2025-01-31" })
		fake.UpdateEmployee("0001", func(e *onectest.Employee) { e.Position = "Главный бухгалтер" })
		r = c.mustRun("sync", "--company", "acme")
		if !strings.Contains(r.stdout, "1 updated, 1 access revoked") || !strings.Contains(r.stdout, "revoked   0002 (dismissed_on)") ||
			!strings.Contains(r.stdout, "updated   0001 (position)") {
			t.Errorf("second sync: %s", r)
		}
		if d := c.employee("acme", "0002").DismissedOn; d == nil || d.String() != "2025-01-31" {
			t.Errorf("0002 dismissed %v", d)
		}

		fake.UpdateEmployee("0001", func(e *onectest.Employee) { e.DismissedOn = "2025-01-31" })
		fake.Fail(http.StatusInternalServerError, nil, 0)
		r = c.run("sync", "--company", "acme", "--retries", "1", "--retry-wait", "1ms")
		if r.code != 1 || !strings.Contains(r.stderr, "nothing changed") || strings.Count(r.stderr, "retrying") != 1 {
			t.Errorf("failing sync: %s", r)
		}
		if c.employee("acme", "0001").DismissedOn != nil {
			t.Error("a failed sync changed 0001")
		}

		r = c.mustRun("connector", "list")
		if !strings.Contains(r.stdout, "acme") || !strings.Contains(r.stdout, "basic staffbot") ||
			!strings.Contains(r.stdout, "failed") || !strings.Contains(r.stdout, "HTTP 500") || strings.Contains(r.stdout, onectest.DefaultPassword) {
			t.Errorf("list: %s", r)
		}
		r = c.mustRun("connector", "runs", "--company", "acme")
		if strings.Count(r.stdout, "failed") != 2 || strings.Count(r.stdout, "ok ") != 2 {
			t.Errorf("runs: %s", r)
		}
	})
}

// TestConnector_RESTAndSuccessFactors adds the other two kinds from the
// command line and syncs them.
func TestConnector_RESTAndSuccessFactors(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme")
		c.mustRun("company", "create", "--slug", "globex")

		hr := resttest.NewServer(t)
		hr.Put(resttest.Employee{Number: "R1", Last: "Иванова", First: "Анна", Hired: "2020-01-15", Active: true, Title: "Инженер"})
		hr.Put(resttest.Employee{Number: "R2", Last: "Петров", First: "Пётр", Hired: "2020-01-15", Active: false})
		mapping, _ := json.Marshal(resttest.Mapping())
		file := filepath.Join(t.TempDir(), "mapping.json")
		if err := os.WriteFile(file, mapping, 0o600); err != nil {
			t.Fatal(err)
		}
		if r := c.run("connector", "add", "--company", "acme", "--type", "rest", "--url", hr.URL(), "--token", resttest.Token); r.code != 2 {
			t.Errorf("rest without a mapping: %s", r)
		}
		c.mustRun("connector", "add", "--company", "acme", "--type", "rest", "--url", hr.URL(), "--token", resttest.Token, "--mapping", file)
		r := c.mustRun("sync", "--company", "acme")
		if !strings.Contains(r.stdout, "2 listed, 1 new") || c.employee("acme", "R1").Position != "Инженер" {
			t.Errorf("rest sync: %s", r)
		}

		sf := sftest.NewServer(t)
		sf.AddEmployees(sftest.Employee{UserID: "emp1", FirstName: "Анна", LastName: "Иванова", HireDate: "2020-01-15"})
		c.mustRun("connector", "add", "--company", "globex", "--type", "successfactors", "--url", sf.URL(), "--token", sftest.DefaultToken, "--sync-every", "0")
		r = c.mustRun("sync", "--company", "globex")
		if !strings.Contains(r.stdout, "sync globex from successfactors: 1 listed, 1 new") {
			t.Errorf("successfactors sync: %s", r)
		}
		r = c.mustRun("connector", "list", "--company", "globex")
		if !strings.Contains(r.stdout, "successfactors") || !strings.Contains(r.stdout, "bearer") || strings.Contains(r.stdout, "acme") ||
			strings.Contains(r.stdout, sftest.DefaultToken) {
			t.Errorf("list: %s", r)
		}

		co := c.company("acme")
		stored, err := c.store().FindConnector(t.Context(), co.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Auth != app.AuthBearer || stored.Secret != resttest.Token || !strings.Contains(stored.Settings, `"mapping"`) {
			t.Errorf("stored connector %+v", stored)
		}
	})
}

func TestRenderBar(t *testing.T) {
	tests := []struct {
		stage       string
		done, total int
		want        string
	}{
		{"Catalog_Сотрудники", 5000, 10000, "[" + strings.Repeat("█", 15) + strings.Repeat("░", 15) + "] 5000/10000"},
		{"write", 10, 10, "[" + strings.Repeat("█", 30) + "] 10/10"},
		{"employees", 350, 0, " 350"},
	}
	for _, tt := range tests {
		got := renderBar(tt.stage, tt.done, tt.total)
		if !strings.HasPrefix(got, tt.stage) || !strings.HasSuffix(got, tt.want) {
			t.Errorf("renderBar(%s, %d, %d) = %q, want …%q", tt.stage, tt.done, tt.total, got, tt.want)
		}
	}
	// Not a terminal: nothing is drawn.
	var buf strings.Builder
	bar := newProgressBar(&buf)
	bar.update("write", 1, 2)
	bar.finish()
	if buf.Len() != 0 {
		t.Errorf("progress drawn into a pipe: %q", buf.String())
	}
}
