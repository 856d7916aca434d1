package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

var runT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func mustRunSetup(t *testing.T, s *store.Store, slug string) (*staffbot.Company, *staffbot.Employee, *staffbot.Employee) {
	t.Helper()
	co := &staffbot.Company{Slug: slug, Name: slug}
	if err := s.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	var emps []*staffbot.Employee
	for _, n := range []string{"0001", "0002"} {
		e := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: n, FullName: "Сотрудник " + n,
			HiredOn: staffbot.Date{Year: 2026, Month: 3, Day: 2}}
		if err := s.CreateEmployee(t.Context(), e, runT0); err != nil {
			t.Fatalf("CreateEmployee: %v", err)
		}
		emps = append(emps, e)
	}
	return co, emps[0], emps[1]
}

func mustCreateRun(t *testing.T, s *store.Store, r *store.Run) {
	t.Helper()
	err := s.InTx(t.Context(), func(tx *store.Tx) error {
		created, err := tx.CreateRun(t.Context(), r)
		if err == nil && !created {
			t.Errorf("CreateRun: not created")
		}
		return err
	})
	if err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
}

func TestRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("CreateIsOncePerEmployeeAndScenario", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, emp, _ := mustRunSetup(t, s, "acme")
			r := &store.Run{CompanyID: co.ID, EmployeeID: emp.ID, Scenario: "onboarding", Version: 3, Step: "a",
				State: store.RunActive, Vars: map[string]string{"x": "1"}, StartedAt: runT0, UpdatedAt: runT0}
			mustCreateRun(t, s, r)

			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				again := *r
				created, err := tx.CreateRun(t.Context(), &again)
				if created {
					t.Errorf("second CreateRun created a run")
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}

			got, err := s.FindRun(t.Context(), co.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != 3 || got.Vars["x"] != "1" || got.EmployeeID != emp.ID || !got.StartedAt.Equal(runT0) {
				t.Errorf("FindRun = %+v", got)
			}
		})

		t.Run("RunOfAnotherCompanyIsNotFound", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme, emp, _ := mustRunSetup(t, s, "acme")
			other, _, _ := mustRunSetup(t, s, "other")
			r := &store.Run{CompanyID: acme.ID, EmployeeID: emp.ID, Scenario: "onboarding", Step: "a",
				State: store.RunActive, StartedAt: runT0, UpdatedAt: runT0}
			mustCreateRun(t, s, r)

			if _, err := s.FindRun(t.Context(), other.ID, r.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("FindRun from another company: err = %v, want ErrNotFound", err)
			}
			if runs, err := s.FindRuns(t.Context(), other.ID, store.RunFilter{}); err != nil || len(runs) != 0 {
				t.Errorf("FindRuns from another company = %d, %v", len(runs), err)
			}
		})

		t.Run("DueRunsAndLocking", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, a, b := mustRunSetup(t, s, "acme")
			due := runT0.Add(time.Hour)
			later := runT0.Add(48 * time.Hour)
			ra := &store.Run{CompanyID: co.ID, EmployeeID: a.ID, Scenario: "s", Step: "w", State: store.RunWaiting,
				DueAt: &due, StartedAt: runT0, UpdatedAt: runT0}
			rb := &store.Run{CompanyID: co.ID, EmployeeID: b.ID, Scenario: "s", Step: "w", State: store.RunWaiting,
				DueAt: &later, StartedAt: runT0, UpdatedAt: runT0}
			mustCreateRun(t, s, ra)
			mustCreateRun(t, s, rb)

			refs, err := s.FindDueRuns(t.Context(), runT0.Add(2*time.Hour), 10)
			if err != nil || len(refs) != 1 || refs[0].ID != ra.ID {
				t.Fatalf("FindDueRuns = %v, %v; want run %d", refs, err, ra.ID)
			}

			// Once a transaction moves the run on, it is no longer due.
			err = s.InTx(t.Context(), func(tx *store.Tx) error {
				r, err := tx.LockDueRun(t.Context(), co.ID, ra.ID, runT0.Add(2*time.Hour))
				if err != nil {
					return err
				}
				r.State, r.DueAt, r.Step = store.RunDone, nil, ""
				r.UpdatedAt = runT0.Add(2 * time.Hour)
				return tx.UpdateRun(t.Context(), r)
			})
			if err != nil {
				t.Fatal(err)
			}
			err = s.InTx(t.Context(), func(tx *store.Tx) error {
				_, err := tx.LockDueRun(t.Context(), co.ID, ra.ID, runT0.Add(2*time.Hour))
				return err
			})
			if !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("LockDueRun on a finished run: err = %v, want ErrNotFound", err)
			}

			// A delayed run stays out of the due list until the delay ends.
			if err := s.DelayRun(t.Context(), co.ID, rb.ID, later.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if refs, _ := s.FindDueRuns(t.Context(), later, 10); len(refs) != 0 {
				t.Errorf("delayed run is due: %v", refs)
			}
			if refs, _ := s.FindDueRuns(t.Context(), later.Add(time.Hour), 10); len(refs) != 1 {
				t.Errorf("run not due after its delay: %v", refs)
			}
		})

		t.Run("EventsMarksAndSummaries", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, emp, _ := mustRunSetup(t, s, "acme")
			r := &store.Run{CompanyID: co.ID, EmployeeID: emp.ID, Scenario: "onboarding", Step: "a",
				State: store.RunAsking, StartedAt: runT0, UpdatedAt: runT0}
			mustCreateRun(t, s, r)
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				for _, ev := range []store.RunEvent{
					{Step: "a", Kind: store.EventAnswer, Name: "mood", Value: "ok", At: runT0},
					{Step: "b", Kind: store.EventMark, Name: "day1_done", Value: "yes", At: runT0},
				} {
					if err := tx.AddRunEvent(t.Context(), co.ID, r.ID, ev); err != nil {
						return err
					}
				}
				runs, err := tx.LockAskingRuns(t.Context(), co.ID, emp.ID)
				if err != nil || len(runs) != 1 {
					t.Errorf("LockAskingRuns = %d, %v", len(runs), err)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}

			marks, err := s.FindRunEvents(t.Context(), co.ID, r.ID, store.EventMark)
			if err != nil || len(marks) != 1 || marks[0].Name != "day1_done" {
				t.Errorf("marks = %+v, %v", marks, err)
			}
			all, _ := s.FindRunEvents(t.Context(), co.ID, r.ID)
			if len(all) != 2 {
				t.Errorf("events = %d, want 2", len(all))
			}
			runs, err := s.FindRuns(t.Context(), co.ID, store.RunFilter{State: store.RunAsking})
			if err != nil || len(runs) != 1 {
				t.Fatalf("FindRuns = %d, %v", len(runs), err)
			}
			if got := runs[0]; got.EmployeeName != emp.FullName || got.Marks["day1_done"] != "yes" || got.Step != "a" {
				t.Errorf("summary = %+v", got)
			}
		})

		t.Run("TasksOpenAndDone", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, newcomer, mentor := mustRunSetup(t, s, "acme")
			var assigned, unassigned store.Task
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				assigned = store.Task{CompanyID: co.ID, SubjectID: newcomer.ID, AssigneeID: &mentor.ID, Role: "mentor",
					Title: "Встретить", Step: "d1", CreatedAt: runT0}
				unassigned = store.Task{CompanyID: co.ID, SubjectID: newcomer.ID, Role: "hr", Title: "Позвонить", CreatedAt: runT0}
				if err := tx.CreateTask(t.Context(), &assigned); err != nil {
					return err
				}
				return tx.CreateTask(t.Context(), &unassigned)
			})
			if err != nil {
				t.Fatal(err)
			}

			mine, err := s.FindTasks(t.Context(), co.ID, store.TaskFilter{AssigneeID: mentor.ID, Status: store.TaskOpen})
			if err != nil || len(mine) != 1 || mine[0].ID != assigned.ID || mine[0].Step != "d1" {
				t.Fatalf("mentor's open tasks = %+v, %v", mine, err)
			}
			hr, _ := s.FindTasks(t.Context(), co.ID, store.TaskFilter{Role: "hr", Unassigned: true})
			if len(hr) != 1 || hr[0].ID != unassigned.ID {
				t.Errorf("HR tasks = %+v", hr)
			}

			done, err := s.CompleteTask(t.Context(), co.ID, assigned.ID, runT0.Add(time.Hour))
			if err != nil || !done {
				t.Fatalf("CompleteTask = %v, %v", done, err)
			}
			done, err = s.CompleteTask(t.Context(), co.ID, assigned.ID, runT0.Add(2*time.Hour))
			if err != nil || done {
				t.Errorf("second CompleteTask = %v, %v; want false", done, err)
			}
			tk, err := s.FindTask(t.Context(), co.ID, assigned.ID)
			if err != nil || tk.Status != store.TaskDone || !tk.DoneAt.Equal(runT0.Add(time.Hour)) {
				t.Errorf("task = %+v, %v", tk, err)
			}
			if open, _ := s.FindTasks(t.Context(), co.ID, store.TaskFilter{Status: store.TaskOpen}); len(open) != 1 {
				t.Errorf("open tasks = %d, want 1", len(open))
			}
			other := &staffbot.Company{Slug: "other"}
			if err := s.CreateCompany(t.Context(), other); err != nil {
				t.Fatal(err)
			}
			if _, err := s.FindTask(t.Context(), other.ID, assigned.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("task from another company: err = %v", err)
			}
		})
	})
}
