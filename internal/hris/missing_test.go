package hris_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/hris/rest"
	"github.com/staffbot/staffbot/internal/hris/rest/resttest"
	"github.com/staffbot/staffbot/internal/hris/successfactors"
	"github.com/staffbot/staffbot/internal/hris/successfactors/sftest"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// actions returns the audit actions recorded about an employee, oldest
// first.
func (e *env) actions(t *testing.T, id staffbot.EmployeeID) []string {
	t.Helper()
	recs, err := e.st.FindAudit(t.Context(), e.co.ID, store.AuditFilter{SubjectID: &id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Action)
	}
	return out
}

func (e *env) listing(t *testing.T, number string) *store.UnlistedEmployee {
	t.Helper()
	list, err := e.st.FindUnlisted(t.Context(), e.co.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range list {
		if u.Employee.PersonnelNumber == number {
			return u
		}
	}
	return nil
}

func changeOf(res *hris.Result, number string) *hris.Change {
	for i := range res.Changes {
		if res.Changes[i].PersonnelNumber == number {
			return &res.Changes[i]
		}
	}
	return nil
}

// TestSync_MissingEmployees (1C): an employee 1C stops listing keeps bot
// access and is marked missing; listed again, the mark goes; missing from
// three full syncs in a row, they are dismissed that day. Employees 1C never
// listed are left alone. Every step is in the audit log.
func TestSync_MissingEmployees(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		e := newEnv(t, open(t), t0)
		if e.conn.Policy != (store.ConnectorPolicy{DismissAfter: 3, MaxMissingPercent: 20}) {
			t.Fatalf("new connector's policy = %+v, want the defaults", e.conn.Policy)
		}
		fake := onectest.NewServer(t)
		for i := 1; i <= 20; i++ {
			fake.AddEmployee(onectest.Employee{Code: fmt.Sprintf("%04d", i), Name: fmt.Sprintf("Сотрудник Номер %d", i),
				HiredOn: "2020-03-01", Position: "Инженер", Department: "Цех"})
		}
		handMade := &staffbot.Employee{CompanyID: e.co.ID, PersonnelNumber: "X-77", FullName: "Внештатный Сотрудник", HiredOn: day(2024, 1, 1)}
		if err := e.st.CreateEmployee(t.Context(), handMade, t0); err != nil {
			t.Fatal(err)
		}
		conn := mustOneC(t, fake, 5*time.Second)
		e.mustSync(t, conn)

		// 0007 disappears: marked, not dismissed.
		fake.RemoveEmployees("0007")
		e.clock.Advance(time.Hour)
		res := e.mustSync(t, conn)
		if ch := changeOf(res, "0007"); ch == nil || ch.Kind != hris.ChangeMissing {
			t.Errorf("0007 change = %+v, want missing", ch)
		}
		if res.Run.Revoked != 0 || res.Run.Missing != 2 {
			t.Errorf("run: %s; want nothing revoked and 2 missing (0007, X-77)", counts(res.Run))
		}
		u := e.listing(t, "0007")
		if u == nil || u.MissingRuns != 1 || u.MissingSince == nil || !u.MissingSince.Equal(e.clock.Now()) || u.Employee.DismissedOn != nil {
			t.Fatalf("0007 after one sync without it: %+v", u)
		}

		// Back in the list: the mark goes.
		fake.AddEmployee(onectest.Employee{Code: "0007", Name: "Сотрудник Номер 7", HiredOn: "2020-03-01", Position: "Инженер", Department: "Цех"})
		e.clock.Advance(time.Hour)
		e.mustSync(t, conn)
		if u := e.listing(t, "0007"); u != nil {
			t.Errorf("0007 listed again is still marked: %+v", u)
		}

		// Gone for three syncs in a row: dismissed on the third.
		fake.RemoveEmployees("0007")
		for i := 1; i <= 3; i++ {
			e.clock.Advance(24 * time.Hour)
			res = e.mustSync(t, conn)
			emp := e.employees(t)["0007"]
			switch {
			case i < 3 && emp.DismissedOn != nil:
				t.Fatalf("0007 dismissed after %d sync(s)", i)
			case i == 3:
				today := staffbot.DateOf(e.clock.Now().In(e.co.Location()))
				if emp.DismissedOn == nil || *emp.DismissedOn != today || emp.Active(today) {
					t.Fatalf("0007 after three syncs without it: dismissed %v, want today %s", emp.DismissedOn, today)
				}
				if ch := changeOf(res, "0007"); ch == nil || ch.Kind != hris.ChangeRevoked || ch.Reason != hris.ReasonNotListed {
					t.Errorf("0007 change = %+v, want revoked, not listed", ch)
				}
				if res.Run.Revoked != 1 {
					t.Errorf("third sync: %s, want 1 revoked", counts(res.Run))
				}
			}
		}
		// A fourth sync leaves the dismissed employee alone.
		e.clock.Advance(24 * time.Hour)
		if res := e.mustSync(t, conn); changeOf(res, "0007") != nil || res.Run.Revoked != 0 {
			t.Errorf("fourth sync touched 0007 again: %+v", res.Changes)
		}

		emps := e.employees(t)
		got := strings.Join(e.actions(t, emps["0007"].ID), " ")
		want := "employee.create employee.unlisted employee.relisted employee.unlisted employee.update employee.dismiss_unlisted"
		if got != want {
			t.Errorf("0007 audit:\n got %s\nwant %s", got, want)
		}
		if x := emps["X-77"]; x.DismissedOn != nil || e.listing(t, "X-77") != nil {
			t.Errorf("the employee 1C never listed was touched: %+v", x)
		}
		if got := strings.Join(e.actions(t, handMade.ID), " "); got != "employee.create" {
			t.Errorf("X-77 audit = %s", got)
		}
		for _, n := range []string{"0001", "0020"} {
			if emps[n].DismissedOn != nil {
				t.Errorf("%s dismissed", n)
			}
		}
	})
}

// TestSync_TruncatedList (SuccessFactors): a list that lacks more than the
// policy's share of the employees listed before is refused whole, with an
// error HR sees in the run; nothing changes, other updates included.
// Accepted by HR, it applies and marks them missing.
func TestSync_TruncatedList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		e := newEnv(t, open(t), t0)
		fake := sftest.NewServer(t)
		for i := 1; i <= 20; i++ {
			fake.AddEmployees(sftest.Employee{UserID: fmt.Sprintf("emp%02d", i), FirstName: "Имя", LastName: fmt.Sprintf("Фамилия%d", i),
				HireDate: "2021-01-01", Title: "Инженер"})
		}
		conn, err := successfactors.New(successfactors.Config{URL: fake.URL(), Credentials: hris.Credentials{Token: sftest.DefaultToken}})
		if err != nil {
			t.Fatal(err)
		}
		e.mustSync(t, conn)

		// Five of twenty (25 %) gone at once, and a change for another.
		fake.Remove("emp01", "emp02", "emp03", "emp04", "emp05")
		fake.AddEmployees(sftest.Employee{UserID: "emp10", FirstName: "Имя", LastName: "Фамилия10", HireDate: "2021-01-01", Title: "Начальник"})
		e.clock.Advance(time.Hour)
		_, err = e.syncer.Sync(t.Context(), e.co, e.conn, conn, hris.TriggerSchedule)
		if !errors.Is(err, hris.ErrTooManyMissing) {
			t.Fatalf("sync of a list missing 25%%: err = %v, want ErrTooManyMissing", err)
		}
		runs, _ := e.st.FindConnectorRuns(t.Context(), e.co.ID, 1)
		if len(runs) != 1 || runs[0].Status != store.ConnectorRunFailed || runs[0].ErrorKind != "too_many_missing" ||
			!strings.Contains(runs[0].Error, "5 of the 20") || !strings.Contains(runs[0].Error, "20%") {
			t.Errorf("recorded run = %+v", runs[0])
		}
		if e.employees(t)["emp10"].Position != "Инженер" {
			t.Error("a refused sync changed an employee")
		}
		if u, _ := e.st.FindUnlisted(t.Context(), e.co.ID, true); len(u) != 0 {
			t.Errorf("a refused sync marked %d employees missing", len(u))
		}

		// A looser policy, or HR's acceptance, lets it through.
		e.clock.Advance(time.Hour)
		res, err := e.syncer.SyncWith(t.Context(), e.co, e.conn, conn, hris.TriggerManual, hris.SyncOptions{AcceptMissing: true})
		if err != nil {
			t.Fatalf("accepted sync: %v", err)
		}
		if res.Run.Updated != 1 || res.Run.Revoked != 0 {
			t.Errorf("accepted sync: %s", counts(res.Run))
		}
		if u, _ := e.st.FindUnlisted(t.Context(), e.co.ID, false); len(u) != 5 {
			t.Errorf("%d marked missing, want 5", len(u))
		}

		// The five missing before no longer count; two more at once is
		// under the fewest the check counts; the next sync is refused
		// again only when enough go missing at once.
		fake.Remove("emp06", "emp07")
		e.clock.Advance(time.Hour)
		e.mustSync(t, conn)
		fake.Remove("emp08", "emp09", "emp11", "emp12", "emp13")
		e.clock.Advance(time.Hour)
		if _, err := e.syncer.Sync(t.Context(), e.co, e.conn, conn, hris.TriggerSchedule); !errors.Is(err, hris.ErrTooManyMissing) {
			t.Errorf("5 of 20 more missing at once: err = %v, want ErrTooManyMissing", err)
		}
	})
}

// TestSync_ConfirmMissing (REST): with dismissal left to HR, missing
// employees keep access however many syncs miss them, until HR confirms;
// the confirmation is recorded as HR's.
func TestSync_ConfirmMissing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		e := newEnv(t, open(t), t0)
		ctx := staffbot.WithActor(t.Context(), staffbot.Actor{Kind: staffbot.ActorUser, ID: "hr@acme.example"})
		if err := e.st.SetConnectorPolicy(ctx, e.co.ID, store.ConnectorPolicy{DismissAfter: 0, MaxMissingPercent: 100}, t0); err != nil {
			t.Fatal(err)
		}
		if err := e.st.SetConnectorPolicy(ctx, e.co.ID, store.ConnectorPolicy{DismissAfter: -1, MaxMissingPercent: 20}, t0); !errors.Is(err, staffbot.ErrInvalid) {
			t.Errorf("a negative policy: err = %v", err)
		}
		c, err := e.st.FindConnector(t.Context(), e.co.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.conn = c
		fake := resttest.NewServer(t)
		for i := 1; i <= 6; i++ {
			fake.Put(resttest.Employee{Number: fmt.Sprintf("R%d", i), Last: "Фамилия", First: "Имя", Hired: "2022-05-01", Active: true})
		}
		conn, err := rest.New(rest.Config{URL: fake.URL(), Credentials: hris.Credentials{Token: resttest.Token}, Mapping: resttest.Mapping()})
		if err != nil {
			t.Fatal(err)
		}
		e.mustSync(t, conn)

		// Half the staff gone: no share limit, no dismissal by count.
		fake.Delete("R1", "R2", "R3")
		for range 5 {
			e.clock.Advance(24 * time.Hour)
			e.mustSync(t, conn)
		}
		list, err := e.st.FindUnlisted(t.Context(), e.co.ID, false)
		if err != nil || len(list) != 3 || list[0].MissingRuns != 5 {
			t.Fatalf("unlisted = %d (%v), want 3 missing from 5 syncs", len(list), err)
		}

		emps := e.employees(t)
		today := staffbot.DateOf(e.clock.Now().In(e.co.Location()))
		done, err := e.st.DismissUnlisted(ctx, e.co.ID, []staffbot.EmployeeID{emps["R1"].ID, emps["R4"].ID}, today, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(done) != 1 || done[0] != emps["R1"].ID {
			t.Errorf("dismissed %v, want only R1 (R4 is listed)", done)
		}
		emps = e.employees(t)
		if d := emps["R1"].DismissedOn; d == nil || *d != today {
			t.Errorf("R1 dismissed %v, want today", d)
		}
		if emps["R2"].DismissedOn != nil || emps["R4"].DismissedOn != nil {
			t.Error("an unconfirmed or listed employee was dismissed")
		}
		recs, _ := e.st.FindAudit(t.Context(), e.co.ID, store.AuditFilter{Action: "employee.dismiss_unlisted"})
		if len(recs) != 1 || recs[0].Actor.ID != "hr@acme.example" || *recs[0].SubjectID != emps["R1"].ID {
			t.Errorf("confirmation audit = %+v", recs)
		}
		recs, _ = e.st.FindAudit(t.Context(), e.co.ID, store.AuditFilter{Action: "connector.policy"})
		if len(recs) != 1 || !strings.Contains(string(recs[0].After), `"dismiss_missing_after":0`) {
			t.Errorf("policy audit = %+v", recs)
		}
	})
}
