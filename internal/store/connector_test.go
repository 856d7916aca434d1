package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func mustSaveConnector(t *testing.T, s *store.Store, companyID staffbot.CompanyID, secret string) *store.Connector {
	t.Helper()
	c := &store.Connector{CompanyID: companyID, Kind: "1c", URL: "http://127.0.0.1:1/zup", Username: "staffbot",
		Secret: secret, Auth: "basic", Settings: `{"service_path":"hs/staffbot/v1"}`, SyncEvery: time.Hour}
	if _, err := s.SaveConnector(t.Context(), c, t0); err != nil {
		t.Fatalf("SaveConnector: %v", err)
	}
	return c
}

func TestConnectors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("SaveSealsSecretAndReplaces", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			c := mustSaveConnector(t, s, co.ID, "p@ssw0rd-1c")

			var raw string
			if err := s.DB().QueryRow("SELECT secret_sealed FROM connectors").Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if raw == "" || strings.Contains(raw, "p@ssw0rd") {
				t.Errorf("stored secret %q is not sealed", raw)
			}

			got, err := s.FindConnector(t.Context(), co.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Secret != "p@ssw0rd-1c" || got.Kind != "1c" || got.SyncEvery != time.Hour || got.NextSyncAt == nil || !got.NextSyncAt.Equal(t0) {
				t.Errorf("got %+v", got)
			}

			again := &store.Connector{CompanyID: co.ID, Kind: "successfactors", URL: "https://api.sf.example", Secret: "token", Auth: "bearer"}
			created, err := s.SaveConnector(t.Context(), again, t0.Add(time.Hour))
			if err != nil || created {
				t.Fatalf("SaveConnector again = %v, %v; want replaced", created, err)
			}
			if again.ID != c.ID {
				t.Errorf("id changed from %d to %d", c.ID, again.ID)
			}
			got, _ = s.FindConnector(t.Context(), co.ID)
			if got.Kind != "successfactors" || got.Secret != "token" || got.NextSyncAt != nil || got.Settings != "{}" {
				t.Errorf("after replace: %+v", got)
			}
		})

		t.Run("OtherCompanyHasNone", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			mustSaveConnector(t, s, acme.ID, "x")
			if _, err := s.FindConnector(t.Context(), other.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})

		t.Run("ClaimDueTakesALease", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			mustSaveConnector(t, s, acme.ID, "x")
			mustSaveConnector(t, s, other.ID, "y")

			got, err := s.ClaimDueConnectors(t.Context(), t0.Add(time.Minute), 10*time.Minute, 10)
			if err != nil || len(got) != 2 {
				t.Fatalf("ClaimDueConnectors = %d, %v; want 2", len(got), err)
			}
			got, err = s.ClaimDueConnectors(t.Context(), t0.Add(2*time.Minute), 10*time.Minute, 10)
			if err != nil || len(got) != 0 {
				t.Fatalf("second claim = %d, %v; want none while leased", len(got), err)
			}
			got, _ = s.ClaimDueConnectors(t.Context(), t0.Add(12*time.Minute), 10*time.Minute, 1)
			if len(got) != 1 {
				t.Errorf("after the lease: %d, want 1 (limit)", len(got))
			}
		})

		t.Run("SyncEmployeesWritesPlanAndRun", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			c := mustSaveConnector(t, s, co.ID, "x")
			mentor := mustCreateEmployee(t, s, co.ID, "0001")

			dismissed := staffbot.Date{Year: 2026, Month: 3, Day: 31}
			run := &store.ConnectorRun{ConnectorID: c.ID, TriggeredBy: "manual", Status: store.ConnectorRunOK, StartedAt: t0, FinishedAt: t0, Created: 1, Updated: 1}
			next := t0.Add(time.Hour)
			var seen int
			err := s.SyncEmployees(t.Context(), co.ID, func(existing []*staffbot.Employee, _ map[staffbot.EmployeeID]*store.Listing) (*store.SyncWrites, error) {
				seen = len(existing)
				upd := *existing[0]
				upd.DismissedOn = &dismissed
				return &store.SyncWrites{Employees: []store.EmployeeImport{
					{Employee: upd},
					{Employee: staffbot.Employee{PersonnelNumber: "0002", FullName: "Новиков Нил", HiredOn: staffbot.Date{Year: 2026, Month: 4, Day: 1}},
						ManagerNumber: "0001", MentorNumber: "0001"},
				}}, nil
			}, run, store.ConnectorSchedule{NextSyncAt: &next}, t0)
			if err != nil {
				t.Fatalf("SyncEmployees: %v", err)
			}
			if seen != 1 || run.ID == 0 {
				t.Errorf("plan saw %d employees, run id %d", seen, run.ID)
			}
			got, _ := s.FindEmployeeByNumber(t.Context(), co.ID, "0001")
			if got.DismissedOn == nil || *got.DismissedOn != dismissed || got.Phone != "+79123456789" {
				t.Errorf("0001 = %+v", got)
			}
			newbie, _ := s.FindEmployeeByNumber(t.Context(), co.ID, "0002")
			if newbie == nil || newbie.ManagerID == nil || *newbie.ManagerID != mentor.ID || *newbie.MentorID != mentor.ID {
				t.Errorf("0002 = %+v", newbie)
			}
			runs, _ := s.FindConnectorRuns(t.Context(), co.ID, 10)
			if len(runs) != 1 || runs[0].Created != 1 || runs[0].Status != store.ConnectorRunOK {
				t.Errorf("runs = %+v", runs)
			}
			cc, _ := s.FindConnector(t.Context(), co.ID)
			if cc.NextSyncAt == nil || !cc.NextSyncAt.Equal(next) {
				t.Errorf("next sync = %v, want %v", cc.NextSyncAt, next)
			}
		})

		t.Run("FailedPlanWritesNothing", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			c := mustSaveConnector(t, s, co.ID, "x")
			boom := errors.New("boom")
			run := &store.ConnectorRun{ConnectorID: c.ID, TriggeredBy: "manual", Status: store.ConnectorRunOK, StartedAt: t0, FinishedAt: t0}
			err := s.SyncEmployees(t.Context(), co.ID, func([]*staffbot.Employee, map[staffbot.EmployeeID]*store.Listing) (*store.SyncWrites, error) {
				return nil, boom
			}, run, store.ConnectorSchedule{}, t0)
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
			// A link to an unknown number rolls back the whole write.
			err = s.SyncEmployees(t.Context(), co.ID, func([]*staffbot.Employee, map[staffbot.EmployeeID]*store.Listing) (*store.SyncWrites, error) {
				return &store.SyncWrites{Employees: []store.EmployeeImport{{Employee: staffbot.Employee{PersonnelNumber: "0002", FullName: "Новиков Нил",
					HiredOn: staffbot.Date{Year: 2026, Month: 4, Day: 1}}, ManagerNumber: "0404"}}}, nil
			}, run, store.ConnectorSchedule{}, t0)
			if !errors.Is(err, staffbot.ErrNotFound) {
				t.Fatalf("unknown manager: err = %v, want ErrNotFound", err)
			}
			if n, _ := s.EmployeeNumbers(t.Context(), co.ID); len(n) != 0 {
				t.Errorf("employees written: %v", n)
			}
			if runs, _ := s.FindConnectorRuns(t.Context(), co.ID, 10); len(runs) != 0 {
				t.Errorf("runs recorded: %+v", runs)
			}
		})

		t.Run("RecordFailedRunNewestFirst", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			c := mustSaveConnector(t, s, co.ID, "x")
			mustSaveConnector(t, s, other.ID, "y")
			retry := t0.Add(time.Minute)
			for i, kind := range []string{"unavailable", "not_published"} {
				run := &store.ConnectorRun{ConnectorID: c.ID, CompanyID: co.ID, TriggeredBy: "schedule", Status: store.ConnectorRunFailed,
					StartedAt: t0, FinishedAt: t0, ErrorKind: kind, Error: "read Catalog_Сотрудники: " + kind}
				if err := s.RecordConnectorRun(t.Context(), run, store.ConnectorSchedule{NextSyncAt: &retry, Failures: i + 1}); err != nil {
					t.Fatal(err)
				}
			}
			runs, err := s.FindConnectorRuns(t.Context(), co.ID, 10)
			if err != nil || len(runs) != 2 || runs[0].ErrorKind != "not_published" || runs[1].ErrorKind != "unavailable" {
				t.Fatalf("runs = %+v, %v", runs, err)
			}
			if r, _ := s.FindConnectorRuns(t.Context(), other.ID, 10); len(r) != 0 {
				t.Errorf("other company sees %d runs", len(r))
			}
			cc, _ := s.FindConnector(t.Context(), co.ID)
			if cc.Failures != 2 || !cc.NextSyncAt.Equal(retry) {
				t.Errorf("connector = failures %d next %v", cc.Failures, cc.NextSyncAt)
			}
		})
	})
}
