package hris_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/hris/onec"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/hris/successfactors"
	"github.com/staffbot/staffbot/internal/hris/successfactors/sftest"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

var t0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// env is a company with a connector, a clock and a syncer whose log is
// captured.
type env struct {
	st     *store.Store
	co     *staffbot.Company
	conn   *store.Connector
	clock  *staffbot.ManualClock
	syncer *hris.Syncer
	log    *bytes.Buffer
}

func newEnv(t *testing.T, s *store.Store, now time.Time) *env {
	t.Helper()
	co := &staffbot.Company{Slug: "acme", Name: "ООО Акме"}
	if err := s.CreateCompany(t.Context(), co); err != nil {
		t.Fatal(err)
	}
	c := &store.Connector{CompanyID: co.ID, Kind: string(hris.KindOneC), URL: "http://127.0.0.1/zup", SyncEvery: time.Hour}
	if _, err := s.SaveConnector(t.Context(), c, now); err != nil {
		t.Fatal(err)
	}
	clock := staffbot.NewManualClock(now)
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &env{st: s, co: co, conn: c, clock: clock, log: &buf,
		syncer: &hris.Syncer{Store: s, Clock: clock, Logger: logger}}
}

func mustOneC(t *testing.T, fake *onectest.Server, timeout time.Duration) *onec.Client {
	t.Helper()
	c, err := onec.New(onec.Config{URL: fake.URL(), Timeout: timeout,
		Credentials: hris.Credentials{User: onectest.DefaultUser, Password: onectest.DefaultPassword}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) mustSync(t *testing.T, conn hris.Connector) *hris.Result {
	t.Helper()
	res, err := e.syncer.Sync(t.Context(), e.co, e.conn, conn, hris.TriggerManual)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return res
}

func (e *env) employees(t *testing.T) map[string]*staffbot.Employee {
	t.Helper()
	list, err := e.st.FindEmployees(t.Context(), e.co.ID, store.EmployeeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*staffbot.Employee{}
	for _, x := range list {
		out[x.PersonnelNumber] = x
	}
	return out
}

func counts(r *store.ConnectorRun) string {
	return fmt.Sprintf("fetched %d created %d updated %d revoked %d unchanged %d skipped %d missing %d",
		r.Fetched, r.Created, r.Updated, r.Revoked, r.Unchanged, r.Skipped, r.Missing)
}

func day(y int, m time.Month, d int) staffbot.Date { return staffbot.Date{Year: y, Month: m, Day: d} }

func TestSync_OneC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		e := newEnv(t, open(t), t0)
		fake := onectest.NewServer(t)
		fake.AddEmployee(onectest.Employee{Code: "0001", Name: "Иванова Анна Петровна", HiredOn: "2020-03-01", Position: "Бухгалтер", Department: "Бухгалтерия"})
		fake.AddEmployee(onectest.Employee{Code: "0002", Name: "Петров Пётр Петрович", HiredOn: "2021-04-05", Position: "Кладовщик", Department: "Склад"})
		fake.AddEmployee(onectest.Employee{Code: "0003", Name: "Сидоров Иван Ильич", HiredOn: "2022-01-10", Position: "Водитель", Department: "Склад"})
		fake.AddEmployee(onectest.Employee{Code: "0004", Name: "Дубль Записи", HiredOn: "2022-01-10", DeletionMark: true})
		// Entered by HR from a staff file, with a phone 1C does not give.
		imported := &staffbot.Employee{CompanyID: e.co.ID, PersonnelNumber: "0002", FullName: "Петров Пётр Петрович",
			Phone: "+79123456789", Email: "p@acme.example", HiredOn: day(2021, 4, 5)}
		if err := e.st.CreateEmployee(t.Context(), imported, t0); err != nil {
			t.Fatal(err)
		}
		other := &staffbot.Employee{CompanyID: e.co.ID, PersonnelNumber: "X-77", FullName: "Внештатный Сотрудник", HiredOn: day(2024, 1, 1)}
		if err := e.st.CreateEmployee(t.Context(), other, t0); err != nil {
			t.Fatal(err)
		}
		conn := mustOneC(t, fake, 5*time.Second)

		var stages []string
		ctx := hris.WithProgress(t.Context(), func(stage string, done, total int) { stages = append(stages, stage) })
		res, err := e.syncer.Sync(ctx, e.co, e.conn, conn, hris.TriggerManual)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := counts(res.Run), "fetched 4 created 2 updated 1 revoked 0 unchanged 0 skipped 1 missing 1"; got != want {
			t.Errorf("first sync: %s, want %s", got, want)
		}
		emps := e.employees(t)
		if a := emps["0001"]; a == nil || a.Position != "Бухгалтер" || a.Department != "Бухгалтерия" || a.HiredOn != day(2020, 3, 1) || a.DismissedOn != nil {
			t.Errorf("0001 = %+v", a)
		}
		if p := emps["0002"]; p.Phone != "+79123456789" || p.Email != "p@acme.example" || p.Position != "Кладовщик" {
			t.Errorf("0002 lost staffbot's own fields: %+v", p)
		}
		if emps["0004"] != nil {
			t.Error("a record marked for deletion was created")
		}
		if !strings.Contains(strings.Join(stages, ","), "write") {
			t.Errorf("progress stages %v lack the write stage", stages)
		}

		// 1C changes: a transfer, a dismissal, a deletion mark.
		fake.UpdateEmployee("0001", func(x *onectest.Employee) { x.Position = "Главный бухгалтер" })
		fake.UpdateEmployee("0002", func(x *onectest.Employee) { x.DismissedOn = "2025-02-28" })
		fake.UpdateEmployee("0003", func(x *onectest.Employee) { x.DeletionMark = true })
		e.clock.Advance(time.Hour)
		res = e.mustSync(t, conn)
		if got, want := counts(res.Run), "fetched 4 created 0 updated 1 revoked 2 unchanged 0 skipped 1 missing 1"; got != want {
			t.Errorf("second sync: %s, want %s", got, want)
		}
		emps = e.employees(t)
		today := staffbot.DateOf(e.clock.Now().In(e.co.Location()))
		if emps["0001"].Position != "Главный бухгалтер" || !emps["0001"].Active(today) {
			t.Errorf("0001 = %+v", emps["0001"])
		}
		if d := emps["0002"].DismissedOn; d == nil || *d != day(2025, 2, 28) || emps["0002"].Active(today) {
			t.Errorf("0002 dismissed %v, want 2025-02-28 and no access", d)
		}
		if d := emps["0003"].DismissedOn; d == nil || *d != today || emps["0003"].Active(today) {
			t.Errorf("0003 dismissed %v, want today %v", d, today)
		}
		if emps["X-77"].DismissedOn != nil {
			t.Error("an employee 1C does not list was dismissed")
		}
		var revoked []string
		for _, c := range res.Changes {
			if c.Kind == hris.ChangeRevoked {
				revoked = append(revoked, c.PersonnelNumber)
			}
		}
		if strings.Join(revoked, ",") != "0002,0003" {
			t.Errorf("revoked %v, want 0002,0003", revoked)
		}

		// Idempotent: the same data again changes nothing.
		e.clock.Advance(time.Hour)
		before := e.employees(t)
		res = e.mustSync(t, conn)
		if got, want := counts(res.Run), "fetched 4 created 0 updated 0 revoked 0 unchanged 3 skipped 1 missing 1"; got != want {
			t.Errorf("third sync: %s, want %s", got, want)
		}
		for n, b := range before {
			if a := e.employees(t)[n]; !a.UpdatedAt.Equal(b.UpdatedAt) {
				t.Errorf("%s rewritten by an idempotent sync", n)
			}
		}

		// A rehire clears the dismissal.
		fake.UpdateEmployee("0002", func(x *onectest.Employee) { x.DismissedOn = "" })
		res = e.mustSync(t, conn)
		if res.Run.Updated != 1 || e.employees(t)["0002"].DismissedOn != nil {
			t.Errorf("rehire: %s, 0002 dismissed %v", counts(res.Run), e.employees(t)["0002"].DismissedOn)
		}

		runs, _ := e.st.FindConnectorRuns(t.Context(), e.co.ID, 10)
		if len(runs) != 4 || runs[0].Status != store.ConnectorRunOK {
			t.Errorf("runs = %d, latest %+v", len(runs), runs[0])
		}
		assertNoPersonalData(t, e.log.String(), "Иванова", "Петров", "Сидоров", "+7912")
	})
}

func assertNoPersonalData(t *testing.T, text string, values ...string) {
	t.Helper()
	for _, v := range values {
		if strings.Contains(text, v) {
			t.Errorf("%q appears in %s", v, text)
		}
	}
}

func TestSync_Case28EmptyDates(t *testing.T) {
	var c28 struct {
		Catalog struct {
			Value []map[string]any `json:"value"`
		} `json:"catalog_response"`
		HRData struct {
			Value []map[string]any `json:"value"`
		} `json:"current_hr_data_response"`
	}
	raw, err := os.ReadFile(filepath.Join("onec", "testdata", "28-1c-odata-employees-empty-dates.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &c28); err != nil {
		t.Fatal(err)
	}
	// The case's expectations are relative to 2024-12-04.
	caseDay := time.Date(2024, 12, 4, 9, 0, 0, 0, time.UTC)

	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		e := newEnv(t, open(t), caseDay)
		fake := onectest.NewServer(t)
		fake.SetRecords(onec.EntityEmployees, c28.Catalog.Value)
		fake.SetRecords(onec.EntityHRData, c28.HRData.Value)
		// 0004 already had bot access when 1C archived the record.
		archived := &staffbot.Employee{CompanyID: e.co.ID, PersonnelNumber: "00-0000004", FullName: "Смирнова-Кузнецова Ольга", HiredOn: day(2018, 9, 1)}
		if err := e.st.CreateEmployee(t.Context(), archived, caseDay); err != nil {
			t.Fatal(err)
		}

		res := e.mustSync(t, mustOneC(t, fake, 5*time.Second))
		if got, want := counts(res.Run), "fetched 5 created 3 updated 0 revoked 1 unchanged 0 skipped 1 missing 0"; got != want {
			t.Errorf("%s, want %s", got, want)
		}
		emps := e.employees(t)
		today := day(2024, 12, 4)
		if a := emps["00-0000001"]; a == nil || a.DismissedOn != nil || !a.Active(today) {
			t.Errorf("00-0000001 = %+v, want active without a dismissal date", a)
		}
		if b := emps["00-0000002"]; b == nil || b.DismissedOn == nil || *b.DismissedOn != day(2025, 1, 31) || !b.Active(today) || b.Active(day(2025, 1, 31)) {
			t.Errorf("00-0000002 = %+v, want employed until 2025-01-31", b)
		}
		if emps["00-0000003"] != nil {
			t.Error("00-0000003 (deletion mark) was created")
		}
		if d := emps["00-0000004"].DismissedOn; d == nil || *d != today {
			t.Errorf("00-0000004 (ВАрхиве) dismissed %v, want access revoked today", d)
		}
		if f := emps["00-0000005"]; f == nil || f.HiredOn != day(2025, 2, 3) || f.Position != "" || f.Department != "" {
			t.Errorf("00-0000005 = %+v, want hired 2025-02-03 without position or department", f)
		}
		var reasons []string
		for _, c := range res.Changes {
			if c.Kind == hris.ChangeSkipped {
				reasons = append(reasons, c.PersonnelNumber+":"+c.Reason)
			}
		}
		if strings.Join(reasons, ",") != "00-0000003:deletion_mark" {
			t.Errorf("skipped %v", reasons)
		}
	})
}

// TestSync_FailuresLeaveDataUntouched breaks the fake 1C in every way a
// real one breaks, after changing data there: the sync must fail, write
// nothing, record the failure for HR without personal data, and schedule a
// retry.
func TestSync_FailuresLeaveDataUntouched(t *testing.T) {
	tests := []struct {
		name      string
		breakIt   func(f *onectest.Server)
		kind      string
		retryIn   time.Duration // from the failure; the interval when not retryable
		errSubstr string
	}{
		{"ServerError", func(f *onectest.Server) {
			f.Fail(http.StatusInternalServerError, []byte(`{"odata.error":{"code":"-1","message":{"lang":"ru-RU","value":"Сотрудник Иванова Анна Петровна: ошибка"}}}`), 0)
		}, "unavailable", time.Minute, "HTTP 500"},
		{"Timeout", func(f *onectest.Server) { f.SetDelay(3 * time.Second) }, "unavailable", time.Minute, "timeout"},
		{"PublicationNotPublished", func(f *onectest.Server) { f.SetPublished(false) }, "not_published", time.Hour, onec.EntityEmployees},
		{"EntityNotInComposition", func(f *onectest.Server) { f.Unpublish(onec.EntityDepartments, nil) }, "not_published", time.Hour, onec.EntityDepartments},
		{"WrongLogin", func(f *onectest.Server) { f.SetCredentials("staffbot", "changed", "") }, "auth", time.Hour, "HTTP 401"},
		{"EmptyList", func(f *onectest.Server) {
			f.SetRecords(onec.EntityEmployees, nil)
			f.SetRecords(onec.EntityHRData, nil)
		}, "protocol", time.Hour, "listed no employees"},
	}
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, open(t), t0)
				fake := onectest.NewServer(t)
				fake.AddEmployee(onectest.Employee{Code: "0001", Name: "Иванова Анна Петровна", HiredOn: "2020-03-01", Department: "Бухгалтерия"})
				fake.AddEmployee(onectest.Employee{Code: "0002", Name: "Петров Пётр Петрович", HiredOn: "2021-04-05", Department: "Склад"})
				conn := mustOneC(t, fake, 200*time.Millisecond)
				e.mustSync(t, conn)
				before := e.employees(t)

				fake.UpdateEmployee("0002", func(x *onectest.Employee) { x.DismissedOn = "2025-02-28" })
				fake.AddEmployee(onectest.Employee{Code: "0003", Name: "Новикова Нина", HiredOn: "2025-03-01"})
				tt.breakIt(fake)
				e.clock.Advance(time.Hour)
				failedAt := e.clock.Now()

				res, err := e.syncer.Sync(t.Context(), e.co, e.conn, conn, hris.TriggerSchedule)
				if err == nil || hris.KindName(err) != tt.kind {
					t.Fatalf("err = %v (%s), want kind %s", err, hris.KindName(err), tt.kind)
				}
				after := e.employees(t)
				if len(after) != len(before) {
					t.Errorf("employees %d → %d", len(before), len(after))
				}
				for n, b := range before {
					a := after[n]
					if a == nil || !a.UpdatedAt.Equal(b.UpdatedAt) || (a.DismissedOn == nil) != (b.DismissedOn == nil) {
						t.Errorf("%s changed by a failed sync: %+v", n, a)
					}
				}

				runs, _ := e.st.FindConnectorRuns(t.Context(), e.co.ID, 10)
				if len(runs) != 2 || runs[0].Status != store.ConnectorRunFailed || runs[0].ErrorKind != tt.kind || runs[0].ID != res.Run.ID {
					t.Fatalf("runs = %+v", runs)
				}
				if !strings.Contains(runs[0].Error, tt.errSubstr) {
					t.Errorf("recorded error %q does not say %q", runs[0].Error, tt.errSubstr)
				}
				assertNoPersonalData(t, runs[0].Error, "Иванова", "Петров", "Новикова")
				assertNoPersonalData(t, e.log.String(), "Иванова", "Петров", "Новикова")

				c, _ := e.st.FindConnector(t.Context(), e.co.ID)
				if c.Failures != 1 || c.NextSyncAt == nil || !c.NextSyncAt.Equal(failedAt.Add(tt.retryIn)) {
					t.Errorf("next sync %v after %d failures, want %v", c.NextSyncAt, c.Failures, failedAt.Add(tt.retryIn))
				}
			})
		}
	})
}

func TestScheduler_RetriesWithBackoff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		e := newEnv(t, open(t), t0)
		fake := onectest.NewServer(t)
		fake.AddEmployee(onectest.Employee{Code: "0001", Name: "Иванова Анна Петровна", HiredOn: "2020-03-01"})
		fake.Fail(http.StatusServiceUnavailable, nil, 0)
		sc := &hris.Scheduler{Syncer: e.syncer, Open: func(c *store.Connector) (hris.Connector, error) {
			if c.ID != e.conn.ID {
				return nil, errors.New("wrong connector")
			}
			return mustOneC(t, fake, 5*time.Second), nil
		}}
		runDue := func(want int) {
			t.Helper()
			got, err := sc.RunDue(t.Context())
			if err != nil || got != want {
				t.Fatalf("RunDue at %v = %d, %v; want %d", e.clock.Now(), got, err, want)
			}
		}
		nextSync := func() (time.Time, int) {
			c, _ := e.st.FindConnector(t.Context(), e.co.ID)
			return *c.NextSyncAt, c.Failures
		}

		runDue(0) // due at once after saving; 1C answers 503
		if next, n := nextSync(); !next.Equal(t0.Add(time.Minute)) || n != 1 {
			t.Errorf("after 1 failure: next %v, failures %d", next, n)
		}
		e.clock.Advance(30 * time.Second)
		runDue(0)
		if runs, _ := e.st.FindConnectorRuns(t.Context(), e.co.ID, 10); len(runs) != 1 {
			t.Errorf("a sync ran before its retry time: %d runs", len(runs))
		}
		e.clock.Advance(30 * time.Second)
		runDue(0)
		if next, n := nextSync(); !next.Equal(e.clock.Now().Add(2*time.Minute)) || n != 2 {
			t.Errorf("after 2 failures: next %v, failures %d", next, n)
		}
		if len(e.employees(t)) != 0 {
			t.Error("a failing sync wrote employees")
		}

		fake.Heal()
		e.clock.Advance(2 * time.Minute)
		runDue(1)
		if next, n := nextSync(); !next.Equal(e.clock.Now().Add(time.Hour)) || n != 0 {
			t.Errorf("after success: next %v, failures %d", next, n)
		}
		if emps := e.employees(t); emps["0001"] == nil {
			t.Error("the retried sync did not create 0001")
		}
		runs, _ := e.st.FindConnectorRuns(t.Context(), e.co.ID, 10)
		if len(runs) != 3 || runs[0].TriggeredBy != hris.TriggerSchedule || runs[0].Status != store.ConnectorRunOK {
			t.Errorf("runs = %+v", runs)
		}
	})
}

func TestSync_SuccessFactors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		e := newEnv(t, open(t), t0)
		fake := sftest.NewServer(t)
		fake.AddEmployees(
			sftest.Employee{UserID: "emp1001", FirstName: "Анна", LastName: "Иванова", Email: "A.Ivanova@acme.example", HireDate: "2020-01-15", Title: "Директор", Department: "Дирекция"},
			sftest.Employee{UserID: "emp1002", FirstName: "Сергей", LastName: "Петров", HireDate: "2021-02-01", Title: "Бухгалтер", Department: "Бухгалтерия", ManagerID: "emp1001"},
			sftest.Employee{UserID: "emp1003", FirstName: "Ольга", LastName: "Смирнова", HireDate: "2022-03-01", Title: "Юрист", ManagerID: "emp1001"},
			sftest.Employee{UserID: "emp1004", FirstName: "Иван", LastName: "Ушедший", HireDate: "2019-01-01", Status: "f", EndDate: "2024-01-31"},
		)
		conn, err := successfactors.New(successfactors.Config{URL: fake.URL(), Credentials: hris.Credentials{Token: sftest.DefaultToken}})
		if err != nil {
			t.Fatal(err)
		}

		res := e.mustSync(t, conn)
		if got, want := counts(res.Run), "fetched 4 created 3 updated 0 revoked 0 unchanged 0 skipped 1 missing 0"; got != want {
			t.Errorf("first sync: %s, want %s", got, want)
		}
		emps := e.employees(t)
		boss := emps["emp1001"]
		if boss == nil || boss.FullName != "Иванова Анна" || boss.Email != "a.ivanova@acme.example" || boss.HiredOn != day(2020, 1, 15) {
			t.Fatalf("emp1001 = %+v", boss)
		}
		if p := emps["emp1002"]; p.ManagerID == nil || *p.ManagerID != boss.ID || p.Position != "Бухгалтер" {
			t.Errorf("emp1002 = %+v, want manager emp1001", p)
		}

		fake.AddEmployees(
			sftest.Employee{UserID: "emp1002", FirstName: "Сергей", LastName: "Петров", HireDate: "2021-02-01", Title: "Бухгалтер", ManagerID: "emp1001", Status: "f", EndDate: "2025-02-28"},
			sftest.Employee{UserID: "emp1003", FirstName: "Ольга", LastName: "Смирнова", HireDate: "2022-03-01", Title: "Юрист", ManagerID: "emp1001", Status: "f"},
		)
		e.clock.Advance(time.Hour)
		res = e.mustSync(t, conn)
		if got, want := counts(res.Run), "fetched 4 created 0 updated 0 revoked 2 unchanged 1 skipped 1 missing 0"; got != want {
			t.Errorf("second sync: %s, want %s", got, want)
		}
		emps = e.employees(t)
		today := staffbot.DateOf(e.clock.Now().In(e.co.Location()))
		if d := emps["emp1002"].DismissedOn; d == nil || *d != day(2025, 2, 28) {
			t.Errorf("emp1002 dismissed %v, want 2025-02-28", d)
		}
		if d := emps["emp1003"].DismissedOn; d == nil || *d != today {
			t.Errorf("emp1003 (inactive, no end date) dismissed %v, want today", d)
		}

		fake.Fail(http.StatusInternalServerError, nil, 0)
		if _, err := e.syncer.Sync(t.Context(), e.co, e.conn, conn, hris.TriggerManual); !errors.Is(err, hris.ErrUnavailable) {
			t.Errorf("500: %v, want ErrUnavailable", err)
		}
	})
}
