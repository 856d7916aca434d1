package retention_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/retention"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

const (
	leaverName  = "Петрова Анна Сергеевна"
	leaverPhone = "+79123456789"
	leaverEmail = "anna.petrova@example.com"
)

var dismissedOn = staffbot.Date{Year: 2026, Month: 5, Day: 29}

// fixture is a company with a mentor and a newcomer who went through some
// onboarding, left a trail everywhere, and is dismissed on dismissedOn.
type fixture struct {
	t      *testing.T
	s      *store.Store
	clock  *staffbot.ManualClock
	co     *staffbot.Company
	leaver *staffbot.Employee
	mentor *staffbot.Employee
	acct   *staffbot.ChannelAccount
	runID  int64
}

func newFixture(t *testing.T, s *store.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, s: s, clock: staffbot.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))}
	ctx := t.Context()
	f.co = &staffbot.Company{Slug: "acme", Name: "Акме", TimeZone: "Europe/Moscow"}
	if err := s.CreateCompany(ctx, f.co); err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	now := f.clock.Now()
	f.mentor = &staffbot.Employee{CompanyID: f.co.ID, PersonnelNumber: "0001", FullName: "Иванов Иван Иванович",
		HiredOn: staffbot.Date{Year: 2020, Month: 1, Day: 1}}
	if err := s.CreateEmployee(ctx, f.mentor, now); err != nil {
		t.Fatal(err)
	}
	f.leaver = &staffbot.Employee{CompanyID: f.co.ID, PersonnelNumber: "0002", FullName: leaverName,
		Phone: leaverPhone, Email: leaverEmail, Position: "Аналитик", Department: "ИТ",
		HiredOn: staffbot.Date{Year: 2026, Month: 3, Day: 2}, MentorID: &f.mentor.ID,
		Custom: map[string]string{"Паспорт": "4510 123456"}}
	if err := s.CreateEmployee(ctx, f.leaver, now); err != nil {
		t.Fatal(err)
	}
	code := staffbot.NewInviteCode()
	if _, err := s.CreateInvite(ctx, f.co.ID, f.leaver.ID, staffbot.HashInviteCode(code), now, staffbot.DefaultInviteTTL); err != nil {
		t.Fatal(err)
	}
	mentorAcct := &staffbot.ChannelAccount{Kind: staffbot.ChannelTelegram, ExternalID: "500", ChatID: "500"}
	mentorCode := staffbot.NewInviteCode()
	if _, err := s.CreateInvite(ctx, f.co.ID, f.mentor.ID, staffbot.HashInviteCode(mentorCode), now, staffbot.DefaultInviteTTL); err != nil {
		t.Fatal(err)
	}

	f.acct = &staffbot.ChannelAccount{Kind: staffbot.ChannelTelegram, ExternalID: "4242", ChatID: "4242"}
	err := s.InTx(ctx, func(tx *store.Tx) error {
		today := staffbot.DateOf(now)
		if _, err := tx.RedeemInvite(ctx, f.co.ID, staffbot.HashInviteCode(code), f.acct, now, today); err != nil {
			return err
		}
		if _, err := tx.RedeemInvite(ctx, f.co.ID, staffbot.HashInviteCode(mentorCode), mentorAcct, now, today); err != nil {
			return err
		}
		if err := tx.GiveConsent(ctx, f.acct, staffbot.ConsentTextVersion, now); err != nil {
			return err
		}
		if err := tx.GiveConsent(ctx, mentorAcct, staffbot.ConsentTextVersion, now); err != nil {
			return err
		}
		if err := tx.RecordRegistrationFailure(ctx, f.co.ID, staffbot.ChannelTelegram, "4242", now); err != nil {
			return err
		}
		run := &store.Run{CompanyID: f.co.ID, EmployeeID: f.leaver.ID, Scenario: "onboarding", Step: "week1",
			State: store.RunAsking, Vars: map[string]string{"about": "Я " + leaverName + ", пишите " + leaverEmail},
			StartedAt: now, UpdatedAt: now}
		if _, err := tx.CreateRun(ctx, run); err != nil {
			return err
		}
		f.runID = run.ID
		for _, v := range []string{"Звоните 8 912 345-67-89, спросите Анну Петрову", "всё отлично"} {
			if err := tx.AddRunEvent(ctx, f.co.ID, run.ID, store.RunEvent{Step: "week1", Kind: store.EventAnswer, Name: "how", Value: v, At: now}); err != nil {
				return err
			}
		}
		if err := tx.CreateTask(ctx, &store.Task{CompanyID: f.co.ID, RunID: &run.ID, SubjectID: f.leaver.ID,
			AssigneeID: &f.mentor.ID, Role: "mentor", Title: "Встретить " + leaverName + " в первый день", CreatedAt: now}); err != nil {
			return err
		}
		if err := tx.EnqueueToAccount(ctx, f.acct, channel.Outgoing{Text: "Анна, добро пожаловать!"}, now); err != nil {
			return err
		}
		return tx.EnqueueToAccount(ctx, mentorAcct, channel.Outgoing{Text: "Сегодня первый день у " + leaverName + " (Аналитик)"}, now)
	})
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}

	// The dismissal arrives with the next import.
	f.leaver.DismissedOn = &dismissedOn
	in := []store.EmployeeImport{
		{Employee: *f.mentor},
		{Employee: *f.leaver, MentorNumber: "0001"},
	}
	if _, err := s.UpsertEmployees(ctx, f.co.ID, in, now); err != nil {
		t.Fatalf("import dismissal: %v", err)
	}
	return f
}

func (f *fixture) runner() *retention.Runner {
	return &retention.Runner{Store: f.s, Clock: f.clock, Logger: testLogger()}
}

func testLogger() *slog.Logger {
	if os.Getenv("STAFFBOT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// at moves the clock to noon, Moscow time, of a day.
func (f *fixture) at(d staffbot.Date) {
	f.clock.Set(d.In(f.co.Location()).Add(12 * time.Hour))
}

func (f *fixture) mustRun() retention.Report {
	f.t.Helper()
	rep, err := f.runner().RunOnce(f.t.Context())
	if err != nil {
		f.t.Fatalf("RunOnce: %v", err)
	}
	return rep
}

func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	if f.s.Dialect() == store.Postgres {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	var n int
	if err := f.s.DB().QueryRowContext(f.t.Context(), q, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// allText returns every text column the company's rows hold.
func (f *fixture) allText() string {
	f.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT full_name || ' ' || personnel_number || ' ' || custom FROM employees",
		"SELECT payload FROM outbox", "SELECT title FROM tasks", "SELECT vars FROM scenario_runs",
		"SELECT value FROM run_events", "SELECT details FROM audit_log", "SELECT external_id FROM channel_accounts",
		"SELECT external_id FROM registration_failures",
	} {
		rows, err := f.s.DB().QueryContext(f.t.Context(), q)
		if err != nil {
			f.t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			b.WriteString(s + "\n")
		}
		rows.Close()
	}
	return b.String()
}

func TestRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("AnonymizesAfterThePeriod", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))

			// 29 days after the dismissal nothing happens yet.
			f.at(dismissedOn.AddDays(store.DefaultAnonymizeAfterDays - 1))
			if rep := f.mustRun(); rep.Anonymized != 0 {
				t.Fatalf("anonymised %d employees before the period ended", rep.Anonymized)
			}
			if !strings.Contains(f.allText(), leaverName) {
				t.Fatal("the name is gone before the period ended")
			}

			f.at(dismissedOn.AddDays(store.DefaultAnonymizeAfterDays))
			if rep := f.mustRun(); rep.Anonymized != 1 {
				t.Fatalf("anonymised %d employees, want 1", rep.Anonymized)
			}

			e, err := f.s.FindEmployeeByID(t.Context(), f.co.ID, f.leaver.ID)
			if err != nil {
				t.Fatal(err)
			}
			if e.FullName == leaverName || e.Phone != "" || e.Email != "" || e.PersonnelNumber == "0002" ||
				len(e.Custom) != 0 || e.MentorID != nil {
				t.Errorf("employee after anonymisation = %+v", e)
			}
			// Kept for HR's statistics.
			if e.Department != "ИТ" || e.Position != "Аналитик" || e.DismissedOn == nil || *e.DismissedOn != dismissedOn {
				t.Errorf("department, position or dismissal date lost: %+v", e)
			}
			all := f.allText()
			for _, pd := range []string{leaverName, "Петрова", "Анну Петрову", "912 345-67-89", leaverEmail, "4510 123456", "4242"} {
				if strings.Contains(all, pd) {
					t.Errorf("%q is still stored after anonymisation", pd)
				}
			}
			if !strings.Contains(all, "всё отлично") {
				t.Error("an answer without personal data was lost")
			}
			for _, c := range []struct {
				q    string
				want int
			}{
				{"SELECT count(*) FROM channel_accounts WHERE employee_id = ?", 0},
				{"SELECT count(*) FROM invites WHERE employee_id = ?", 0},
				{"SELECT count(*) FROM consents WHERE employee_id = ?", 1},
				{"SELECT count(*) FROM scenario_runs WHERE employee_id = ? AND state = 'done'", 1},
				{`SELECT count(*) FROM run_events WHERE kind = 'answer'
					AND run_id IN (SELECT id FROM scenario_runs WHERE employee_id = ?)`, 2},
				{"SELECT count(*) FROM tasks WHERE subject_id = ? AND status = 'done'", 1},
			} {
				if got := f.count(c.q, f.leaver.ID); got != c.want {
					t.Errorf("%s = %d, want %d", c.q, got, c.want)
				}
			}
			if got := f.count("SELECT count(*) FROM outbox WHERE chat_id = '4242'"); got != 0 {
				t.Errorf("%d messages to the anonymised employee remain", got)
			}
			if got := f.count("SELECT count(*) FROM outbox WHERE chat_id = '500'"); got != 1 {
				t.Errorf("the mentor's message count = %d, want 1 (kept, name cut out)", got)
			}
			// The mentor is untouched.
			m, err := f.s.FindEmployeeByID(t.Context(), f.co.ID, f.mentor.ID)
			if err != nil || m.FullName != f.mentor.FullName {
				t.Errorf("mentor = %+v, %v", m, err)
			}

			// The act: an audit record without personal data, and a chain
			// that still verifies after redaction.
			recs, err := f.s.FindAudit(t.Context(), f.co.ID, store.AuditFilter{Action: "employee.anonymize"})
			if err != nil || len(recs) != 1 {
				t.Fatalf("anonymisation records = %v, %v; want one", recs, err)
			}
			var act store.AnonymizeReport
			if err := json.Unmarshal(recs[0].After, &act); err != nil {
				t.Fatal(err)
			}
			if act.Reason != store.ReasonDismissed || act.Accounts != 1 || act.Messages != 1 || act.AuditRedacted == 0 ||
				recs[0].Actor.ID != "retention" {
				t.Errorf("act = %+v by %+v", act, recs[0].Actor)
			}
			if rep, err := f.s.VerifyAudit(t.Context(), f.co.ID); err != nil || !rep.OK() {
				t.Errorf("audit chain after anonymisation: %v, %v", rep.Problems, err)
			}

			// A second pass has nothing to do.
			f.clock.Advance(48 * time.Hour)
			if rep := f.mustRun(); rep.Anonymized != 0 {
				t.Errorf("second pass anonymised %d", rep.Anonymized)
			}
		})

		t.Run("CompanyPeriodRespected", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			if err := f.s.SetRetention(t.Context(), f.co.ID, store.Retention{AuditDays: 365, AnonymizeAfterDays: 90}, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			f.at(dismissedOn.AddDays(89))
			if rep := f.mustRun(); rep.Anonymized != 0 {
				t.Errorf("anonymised after 89 of 90 days")
			}
			f.at(dismissedOn.AddDays(90))
			if rep := f.mustRun(); rep.Anonymized != 1 {
				t.Errorf("not anonymised after 90 days")
			}
		})

		t.Run("LoopAnonymizesWhenTheClockMoves", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.at(dismissedOn)
			loopCtx, stop := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() { f.runner().Loop(loopCtx, 5*time.Millisecond); close(done) }()
			defer func() { stop(); <-done }()

			time.Sleep(50 * time.Millisecond)
			f.clock.Advance(31 * 24 * time.Hour)
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				if f.count("SELECT count(*) FROM employees WHERE anonymized_at IS NOT NULL") == 1 {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Error("the daily loop did not anonymise after the clock moved past the period")
		})

		t.Run("WithdrawnConsentAnonymizesAtOnce", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			now := f.clock.Now()
			var rep *store.AnonymizeReport
			err := f.s.InTx(t.Context(), func(tx *store.Tx) error {
				var err error
				rep, err = retention.WithdrawConsent(t.Context(), tx, f.co, f.leaver, now)
				return err
			})
			if err != nil {
				t.Fatalf("WithdrawConsent: %v", err)
			}
			if rep.Reason != store.ReasonConsentWithdrawn || rep.Accounts != 1 {
				t.Errorf("report = %+v", rep)
			}
			if strings.Contains(f.allText(), leaverName) {
				t.Error("the name is still stored after consent was withdrawn")
			}
			if got := f.count("SELECT count(*) FROM consents WHERE employee_id = ? AND withdrawn_at IS NOT NULL", f.leaver.ID); got != 1 {
				t.Errorf("withdrawn consents = %d, want the record kept with its withdrawal", got)
			}
		})

		t.Run("ExportHoldsEverything", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			exp, err := retention.Export(t.Context(), f.s, f.co, f.leaver.ID, f.clock.Now())
			if err != nil {
				t.Fatalf("Export: %v", err)
			}
			b, err := json.Marshal(exp)
			if err != nil {
				t.Fatal(err)
			}
			js := string(b)
			for _, want := range []string{leaverName, leaverPhone, leaverEmail, "4510 123456", `"consents"`, `"channel_accounts"`,
				`"scenario_runs"`, `"run_events"`, "всё отлично", `"tasks"`, "Анна, добро пожаловать!", `"registration_failures"`,
				`"invites"`, `"employee.create"`, `"invite.create"`} {
				if !strings.Contains(js, want) {
					t.Errorf("export lacks %s", want)
				}
			}
			// Not someone else's mail, and no hashes of codes.
			for _, not := range []string{"Сегодня первый день у", `"code_hash":"` + "0"} {
				if strings.Contains(js, not) {
					t.Errorf("export holds %s", not)
				}
			}
			if len(exp.Tables["invites"]) != 1 || exp.Tables["invites"][0]["code_hash"] != "***" {
				t.Errorf("invites = %v, want one with its hash masked", exp.Tables["invites"])
			}
			recs, _ := f.s.FindAudit(t.Context(), f.co.ID, store.AuditFilter{Action: "employee.export"})
			if len(recs) != 1 {
				t.Errorf("export not recorded in the audit log")
			}
		})

		t.Run("EraseRemovesEverything", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			rep, err := retention.Erase(t.Context(), f.s, f.co, f.leaver.ID, f.clock.Now())
			if err != nil {
				t.Fatalf("Erase: %v", err)
			}
			if rep.Accounts != 1 || rep.Runs != 1 || rep.Answers != 2 || rep.Consents != 1 {
				t.Errorf("report = %+v", rep)
			}
			if _, err := f.s.FindEmployeeByID(t.Context(), f.co.ID, f.leaver.ID); err == nil {
				t.Error("the employee is still there")
			}
			all := f.allText()
			for _, pd := range []string{leaverName, "Анну Петрову", "912 345-67-89", leaverEmail, "4242", "Анна, добро"} {
				if strings.Contains(all, pd) {
					t.Errorf("%q is still stored after erasure", pd)
				}
			}
			for _, q := range []string{
				"SELECT count(*) FROM consents WHERE employee_id = ?",
				"SELECT count(*) FROM invites WHERE employee_id = ?",
				"SELECT count(*) FROM scenario_runs WHERE employee_id = ?",
				"SELECT count(*) FROM channel_accounts WHERE employee_id = ?",
				"SELECT count(*) FROM tasks WHERE subject_id = ?",
			} {
				if n := f.count(q, f.leaver.ID); n != 0 {
					t.Errorf("%s = %d, want 0", q, n)
				}
			}
			if n := f.count("SELECT count(*) FROM run_events WHERE run_id = ?", f.runID); n != 0 {
				t.Errorf("%d answers and events of the erased employee remain", n)
			}
			if rep, err := f.s.VerifyAudit(t.Context(), f.co.ID); err != nil || !rep.OK() {
				t.Errorf("audit chain after erasure: %v, %v", rep.Problems, err)
			}
			recs, _ := f.s.FindAudit(t.Context(), f.co.ID, store.AuditFilter{Action: "employee.erase"})
			if len(recs) != 1 || strings.Contains(string(recs[0].After), "Петрова") {
				t.Errorf("erase record = %v", recs)
			}
		})
	})
}

func TestErase_RawSQLiteFileForgets(t *testing.T) {
	dsn := storetest.SQLiteDSN(t)
	s := storetest.MustOpen(t, dsn)
	f := newFixture(t, s)
	raw := func() []byte {
		var all []byte
		for _, suffix := range []string{"", "-wal"} {
			b, _ := os.ReadFile(dsn + suffix)
			all = append(all, b...)
		}
		return all
	}
	if !bytes.Contains(raw(), []byte(leaverName)) {
		t.Fatal("the name is not in the file before erasure; the search proves nothing")
	}
	if _, err := retention.Erase(t.Context(), s, f.co, f.leaver.ID, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, pd := range []string{leaverName, "Анну Петрову", "4510 123456", "Анна, добро"} {
		if bytes.Contains(raw(), []byte(pd)) {
			t.Errorf("the SQLite file still holds %q after erasure", pd)
		}
	}
}
