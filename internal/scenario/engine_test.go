package scenario_test

import (
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
	"github.com/staffbot/staffbot/scenarios"
)

var moscow = mustLocation("Europe/Moscow")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// msk returns a moment in Moscow time.
func msk(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, moscow)
}

// hired is a Monday.
var hired = staffbot.Date{Year: 2026, Month: 3, Day: 2}

type fixture struct {
	t      *testing.T
	s      *store.Store
	clock  *staffbot.ManualClock
	engine *scenario.Engine
	co     *staffbot.Company

	newcomer, mentor, manager *staffbot.Employee
	accounts                  map[staffbot.EmployeeID]*staffbot.ChannelAccount
}

func newFixture(t *testing.T, open func(t *testing.T) *store.Store, defs []*scenario.Scenario, now time.Time) *fixture {
	t.Helper()
	s := open(t)
	co := &staffbot.Company{Slug: "acme", Name: "Ромашка", TimeZone: "Europe/Moscow"}
	if err := s.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	if defs == nil {
		var err error
		if defs, err = scenario.LoadFS(scenarios.FS); err != nil {
			t.Fatalf("LoadFS: %v", err)
		}
	}
	clock := staffbot.NewManualClock(now)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &fixture{t: t, s: s, clock: clock, co: co, engine: scenario.NewEngine(s, clock, defs, logger),
		accounts: map[staffbot.EmployeeID]*staffbot.ChannelAccount{}}

	f.mentor = f.mustEmployee("0001", "Иванов Иван Иванович", nil, nil)
	f.manager = f.mustEmployee("0002", "Смирнова Ольга Петровна", nil, nil)
	f.newcomer = f.mustEmployee("0003", "Петрова Анна Сергеевна", &f.manager.ID, &f.mentor.ID)
	f.mustRegister(f.mentor, "101")
	f.mustRegister(f.manager, "102")
	return f
}

func (f *fixture) mustEmployee(number, name string, manager, mentor *staffbot.EmployeeID) *staffbot.Employee {
	f.t.Helper()
	e := &staffbot.Employee{CompanyID: f.co.ID, PersonnelNumber: number, FullName: name, Position: "Бухгалтер",
		Department: "Финансы", Office: "Москва, ул. Лесная, 5", HiredOn: hired, ManagerID: manager, MentorID: mentor}
	if number < "0003" {
		e.HiredOn = staffbot.Date{Year: 2020, Month: 1, Day: 9}
	}
	if err := f.s.CreateEmployee(f.t.Context(), e, f.clock.Now()); err != nil {
		f.t.Fatalf("CreateEmployee: %v", err)
	}
	return e
}

// mustRegister binds a Telegram account to the employee and gives consent.
func (f *fixture) mustRegister(e *staffbot.Employee, chat string) *staffbot.ChannelAccount {
	f.t.Helper()
	code := staffbot.NewInviteCode()
	if _, err := f.s.CreateInvite(f.t.Context(), f.co.ID, e.ID, staffbot.HashInviteCode(code), f.clock.Now(), staffbot.DefaultInviteTTL); err != nil {
		f.t.Fatalf("CreateInvite: %v", err)
	}
	acct := &staffbot.ChannelAccount{Kind: staffbot.ChannelTelegram, ExternalID: chat, ChatID: chat}
	err := f.s.InTx(f.t.Context(), func(tx *store.Tx) error {
		now := f.clock.Now()
		if _, err := tx.RedeemInvite(f.t.Context(), f.co.ID, staffbot.HashInviteCode(code), acct, now, staffbot.DateOf(now)); err != nil {
			return err
		}
		return tx.GiveConsent(f.t.Context(), acct, staffbot.ConsentTextVersion, now)
	})
	if err != nil {
		f.t.Fatalf("register: %v", err)
	}
	f.accounts[e.ID] = acct
	return acct
}

// start registers the newcomer and starts the scenarios, as the bot does
// after consent.
func (f *fixture) start() {
	f.t.Helper()
	if f.accounts[f.newcomer.ID] == nil {
		f.mustRegister(f.newcomer, "103")
	}
	f.mustStart()
}

func (f *fixture) mustStart() {
	f.t.Helper()
	err := f.s.InTx(f.t.Context(), func(tx *store.Tx) error {
		return f.engine.Start(f.t.Context(), tx, f.co, f.newcomer)
	})
	if err != nil {
		f.t.Fatalf("Start: %v", err)
	}
}

// messages returns everything queued for the employee so far.
func (f *fixture) messages(e *staffbot.Employee) []channel.Outgoing {
	f.t.Helper()
	acct := f.accounts[e.ID]
	items, err := f.s.FindChatMessages(f.t.Context(), f.co.ID, staffbot.ChannelTelegram, acct.ChatID, 0, 1000)
	if err != nil {
		f.t.Fatalf("FindChatMessages: %v", err)
	}
	var out []channel.Outgoing
	for _, it := range items {
		out = append(out, it.Message)
	}
	return out
}

func (f *fixture) press(e *staffbot.Employee, data string) bool {
	f.t.Helper()
	return f.input(e, channel.Incoming{Kind: channel.KindButton, Data: data})
}

func (f *fixture) say(e *staffbot.Employee, text string) bool {
	f.t.Helper()
	return f.input(e, channel.Incoming{Kind: channel.KindText, Text: text})
}

func (f *fixture) input(e *staffbot.Employee, in channel.Incoming) bool {
	f.t.Helper()
	acct := f.accounts[e.ID]
	in.Channel, in.CompanyID, in.ExternalID, in.ChatID = acct.Kind, f.co.ID, acct.ExternalID, acct.ChatID
	var handled bool
	err := f.s.InTx(f.t.Context(), func(tx *store.Tx) error {
		var err error
		handled, err = f.engine.Handle(f.t.Context(), tx, f.co, e, acct, in)
		return err
	})
	if err != nil {
		f.t.Fatalf("Handle(%q %q): %v", in.Data, in.Text, err)
	}
	return handled
}

func (f *fixture) runDue() int {
	f.t.Helper()
	n, err := f.engine.RunDue(f.t.Context())
	if err != nil {
		f.t.Fatalf("RunDue: %v", err)
	}
	return n
}

func (f *fixture) run() *store.Run {
	f.t.Helper()
	r, err := f.s.FindRunOfEmployee(f.t.Context(), f.co.ID, f.newcomer.ID, "onboarding")
	if err != nil {
		f.t.Fatalf("FindRunOfEmployee: %v", err)
	}
	return r
}

func (f *fixture) events(kinds ...string) []store.RunEvent {
	f.t.Helper()
	evs, err := f.s.FindRunEvents(f.t.Context(), f.co.ID, f.run().ID, kinds...)
	if err != nil {
		f.t.Fatalf("FindRunEvents: %v", err)
	}
	return evs
}

// button finds the data of a button whose label contains label.
func button(msgs []channel.Outgoing, label string) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons {
			for _, b := range row {
				if strings.Contains(b.Text, label) && b.Data != "" {
					return b.Data
				}
			}
		}
	}
	return ""
}

func joined(msgs []channel.Outgoing) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Text)
		b.WriteString("\n---\n")
	}
	return b.String()
}

func TestEngine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("StartSendsPreboarding", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(2, 27, 12, 0))
			f.start()

			msgs := f.messages(f.newcomer)
			text := joined(msgs)
			for _, want := range []string{"Анна, здравствуйте", "02.03.2026", "паспорт", "СНИЛС", "Смирнова Ольга Петровна", "Всё понятно?"} {
				if !strings.Contains(text, want) {
					t.Errorf("pre-boarding messages lack %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "Петрова") {
				t.Errorf("newcomer messages carry the full name:\n%s", text)
			}
			if button(msgs, "Да, всё понятно") == "" {
				t.Errorf("no answer buttons under the question")
			}
			if r := f.run(); r.State != store.RunAsking || r.Step != "pre_clear" {
				t.Errorf("run at %s/%s, want asking at pre_clear", r.State, r.Step)
			}
			if got := f.messages(f.manager); len(got) != 1 || button(got, "Готово") == "" {
				t.Errorf("manager got %d messages, want one with a task button", len(got))
			}
		})

		t.Run("StartWaitsUntilPreboarding", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(2, 20, 12, 0))
			f.start()

			if got := f.messages(f.newcomer); len(got) != 0 {
				t.Fatalf("sent %d messages a week ahead, want none", len(got))
			}
			r := f.run()
			if want := msk(2, 27, 10, 0); r.State != store.RunWaiting || r.DueAt == nil || !r.DueAt.Equal(want) {
				t.Fatalf("run %s due %v, want waiting until %v", r.State, r.DueAt, want)
			}

			f.clock.Set(msk(2, 27, 9, 59))
			if n := f.runDue(); n != 0 {
				t.Errorf("RunDue before time = %d, want 0", n)
			}
			f.clock.Set(msk(2, 27, 10, 0))
			if n := f.runDue(); n != 1 {
				t.Errorf("RunDue = %d, want 1", n)
			}
			sent := len(f.messages(f.newcomer))
			if sent == 0 {
				t.Fatal("nothing sent when pre-boarding came")
			}
			if n := f.runDue(); n != 0 {
				t.Errorf("second RunDue = %d, want 0", n)
			}
			if got := len(f.messages(f.newcomer)); got != sent {
				t.Errorf("second RunDue sent %d more messages", got-sent)
			}
		})

		t.Run("ConcurrentRunDueRunsAStepOnce", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(2, 20, 12, 0))
			f.start()
			f.clock.Set(msk(2, 27, 10, 0))

			// Two engines on one database, as two processes would be.
			defs, _ := scenario.LoadFS(scenarios.FS)
			other := scenario.NewEngine(f.s, f.clock, defs, slog.New(slog.NewTextHandler(io.Discard, nil)))
			var wg sync.WaitGroup
			counts := make([]int, 2)
			for i, e := range []*scenario.Engine{f.engine, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := e.RunDue(t.Context())
					if err != nil {
						t.Errorf("RunDue: %v", err)
					}
					counts[i] = n
				}()
			}
			wg.Wait()
			if counts[0]+counts[1] != 1 {
				t.Errorf("runs advanced = %v, want 1 in total", counts)
			}
			if got := strings.Count(joined(f.messages(f.newcomer)), "здравствуйте"); got != 1 {
				t.Errorf("welcome sent %d times, want 1", got)
			}
		})

		t.Run("AnswerAdvancesAndStalePressIsIgnored", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(2, 27, 12, 0))
			f.start()
			data := button(f.messages(f.newcomer), "Да, всё понятно")

			// Someone else pressing the newcomer's button changes nothing.
			if !f.press(f.mentor, data) {
				t.Errorf("press by another employee not handled")
			}
			if r := f.run(); r.Step != "pre_clear" {
				t.Fatalf("after a stranger's press run is at %s", r.Step)
			}

			before := len(f.messages(f.newcomer))
			if !f.press(f.newcomer, data) {
				t.Fatal("press not handled")
			}
			msgs := f.messages(f.newcomer)
			if len(msgs) != before+1 || !strings.Contains(msgs[len(msgs)-1].Text, "До встречи") {
				t.Errorf("after the answer got %q", joined(msgs[before:]))
			}
			r := f.run()
			if r.State != store.RunWaiting || r.Vars["preboarding_clear"] != "clear" || r.Step != "d1_welcome" {
				t.Errorf("run = %s at %s vars %v, want waiting at d1_welcome with the answer", r.State, r.Step, r.Vars)
			}
			if evs := f.events(store.EventMark); len(evs) != 1 || evs[0].Name != "preboarding_done" {
				t.Errorf("marks = %+v, want preboarding_done", evs)
			}

			// Pressing again, or the other option, is stale.
			if !f.press(f.newcomer, data) || !f.press(f.newcomer, button(msgs, "позвоните")) {
				t.Errorf("stale press not handled")
			}
			if got := len(f.messages(f.newcomer)); got != before+1 {
				t.Errorf("stale presses sent %d messages", got-before-1)
			}
			if evs := f.events(store.EventAnswer); len(evs) != 1 {
				t.Errorf("answers = %d, want 1", len(evs))
			}
			tasks, err := f.s.FindTasks(t.Context(), f.co.ID, store.TaskFilter{Role: scenario.RoleHR})
			if err != nil || len(tasks) != 0 {
				t.Errorf("HR tasks = %d, %v; want none", len(tasks), err)
			}
		})

		t.Run("QuestionsGiveHRATask", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(2, 27, 12, 0))
			f.start()
			f.press(f.newcomer, button(f.messages(f.newcomer), "позвоните"))

			tasks, err := f.s.FindTasks(t.Context(), f.co.ID, store.TaskFilter{Role: scenario.RoleHR, Status: store.TaskOpen})
			if err != nil {
				t.Fatal(err)
			}
			if len(tasks) != 1 || tasks[0].AssigneeID != nil || tasks[0].SubjectID != f.newcomer.ID ||
				!strings.Contains(tasks[0].Title, "Позвонить новому сотруднику (Петрова Анна Сергеевна)") {
				t.Fatalf("HR tasks = %+v, want one unassigned call task", tasks)
			}
			if text := joined(f.messages(f.newcomer)); !strings.Contains(text, "передал вашу просьбу") {
				t.Errorf("newcomer not told HR will call:\n%s", text)
			}
		})

		t.Run("DayOneMentorTask", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(2, 27, 12, 0))
			f.start()
			f.press(f.newcomer, button(f.messages(f.newcomer), "Да, всё понятно"))
			mentorBefore := len(f.messages(f.mentor))

			f.clock.Set(msk(3, 2, 9, 0))
			if n := f.runDue(); n != 1 {
				t.Fatalf("RunDue on day 1 = %d, want 1", n)
			}
			if n := f.runDue(); n != 0 {
				t.Errorf("second RunDue = %d, want 0", n)
			}
			text := joined(f.messages(f.newcomer))
			for _, want := range []string{"добро пожаловать в Ромашка", "Ваш наставник — *Иванов Иван Иванович*", "Охрана труда"} {
				if !strings.Contains(text, want) {
					t.Errorf("day-1 messages lack %q", want)
				}
			}

			mentorMsgs := f.messages(f.mentor)[mentorBefore:]
			if len(mentorMsgs) != 1 || !strings.Contains(mentorMsgs[0].Text, "Петрова Анна Сергеевна") {
				t.Fatalf("mentor got %q, want the day-1 notification", joined(mentorMsgs))
			}
			done := button(mentorMsgs, "Готово")
			tasks, err := f.s.FindTasks(t.Context(), f.co.ID, store.TaskFilter{AssigneeID: f.mentor.ID, Status: store.TaskOpen})
			if err != nil || len(tasks) != 1 || tasks[0].Role != scenario.RoleMentor {
				t.Fatalf("mentor tasks = %+v, %v; want one open", tasks, err)
			}

			// The newcomer cannot close the mentor's task.
			if !f.press(f.newcomer, done) {
				t.Errorf("refused press not handled")
			}
			if tk, _ := f.s.FindTask(t.Context(), f.co.ID, tasks[0].ID); tk.Status != store.TaskOpen {
				t.Fatalf("newcomer closed the mentor's task")
			}

			if !f.press(f.mentor, done) {
				t.Fatal("task press not handled")
			}
			tk, err := f.s.FindTask(t.Context(), f.co.ID, tasks[0].ID)
			if err != nil || tk.Status != store.TaskDone || tk.DoneAt == nil {
				t.Fatalf("task = %+v, %v; want done", tk, err)
			}
			after := len(f.messages(f.mentor))
			f.press(f.mentor, done)
			if got := len(f.messages(f.mentor)); got != after {
				t.Errorf("second press sent %d more messages", got-after)
			}
			if evs := f.events(store.EventTaskDone); len(evs) != 1 {
				t.Errorf("task_done events = %d, want 1", len(evs))
			}
		})

		t.Run("RegisteringOnDayTenStartsAtWeekOne", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(3, 11, 12, 0))
			f.start()

			text := joined(f.messages(f.newcomer))
			if !strings.Contains(text, "позади первая неделя") {
				t.Errorf("no week-1 check-in:\n%s", text)
			}
			for _, unwanted := range []string{"здравствуйте", "паспорт", "добро пожаловать"} {
				if strings.Contains(text, unwanted) {
					t.Errorf("late newcomer got an earlier stage (%q):\n%s", unwanted, text)
				}
			}
			skipped := f.events(store.EventSkipped)
			if len(skipped) != 2 || skipped[0].Step != "pre_welcome" || skipped[1].Step != "d1_welcome" {
				t.Errorf("skipped = %+v, want pre_welcome and d1_welcome", skipped)
			}
			if got := joined(f.messages(f.mentor)); !strings.Contains(got, "Первая неделя") || strings.Contains(got, "первый рабочий день") {
				t.Errorf("mentor got:\n%s", got)
			}

			// A second Start changes nothing.
			before := len(f.messages(f.newcomer))
			f.mustStart()
			if got := len(f.messages(f.newcomer)); got != before {
				t.Errorf("second Start sent %d messages", got-before)
			}
			runs, err := f.s.FindRuns(t.Context(), f.co.ID, store.RunFilter{})
			if err != nil || len(runs) != 1 {
				t.Fatalf("runs = %d, %v; want 1", len(runs), err)
			}
		})

		t.Run("FreeTextAnswerAndExpiry", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(3, 11, 12, 0))
			f.start()

			if f.say(f.newcomer, "как оформить отпуск?") {
				t.Errorf("text while a button question waits was handled")
			}
			f.press(f.newcomer, button(f.messages(f.newcomer), "Нормально"))
			if r := f.run(); r.Step != "w1_better" || r.State != store.RunAsking {
				t.Fatalf("run at %s/%s, want asking at w1_better", r.State, r.Step)
			}
			if f.say(f.newcomer, "/help") {
				t.Errorf("/help was taken as an answer")
			}
			if !f.say(f.newcomer, "Больше примеров в документации") {
				t.Fatal("answer not handled")
			}
			r := f.run()
			if r.Vars["week1_better"] != "Больше примеров в документации" || r.Step != "m1_manager" {
				t.Errorf("run at %s vars %v", r.Step, r.Vars)
			}
			if f.say(f.newcomer, "ещё одно") {
				t.Errorf("text with no question waiting was handled")
			}
			runs, err := f.s.FindRuns(t.Context(), f.co.ID, store.RunFilter{Scenario: "onboarding"})
			if err != nil || len(runs) != 1 || runs[0].Marks["week1_checkin"] != "yes" || runs[0].EmployeeName != f.newcomer.FullName {
				t.Errorf("FindRuns = %+v, %v", runs, err)
			}
		})

		t.Run("UnansweredQuestionMovesOn", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(3, 11, 12, 0))
			f.start()
			f.press(f.newcomer, button(f.messages(f.newcomer), "Отлично"))

			f.clock.Advance(73 * time.Hour)
			if n := f.runDue(); n != 1 {
				t.Fatalf("RunDue after the answer window = %d, want 1", n)
			}
			r := f.run()
			if r.Step != "m1_manager" || r.State != store.RunWaiting {
				t.Errorf("run at %s/%s, want waiting at m1_manager", r.State, r.Step)
			}
			if evs := f.events(store.EventUnanswered); len(evs) != 1 || evs[0].Step != "w1_better" {
				t.Errorf("unanswered = %+v", evs)
			}
			if strings.Contains(joined(f.messages(f.newcomer)), "Спасибо! Ваш ответ") {
				t.Errorf("thanked for an answer never given")
			}
		})

		t.Run("WholeScenarioToTheEnd", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(2, 20, 12, 0))
			f.start()
			answers := map[string]string{"pre_clear": "Да, всё понятно", "w1_ask": "Отлично", "m1_score": "5", "p_recommend": "Да, порекомендую"}
			for day := 0; day < 110; day++ {
				f.clock.Advance(24 * time.Hour)
				f.runDue()
				r := f.run()
				if label, ok := answers[r.Step]; ok && r.State == store.RunAsking {
					f.press(f.newcomer, button(f.messages(f.newcomer), label))
				}
			}
			r := f.run()
			if r.State != store.RunDone {
				t.Fatalf("run %s at %s, want done", r.State, r.Step)
			}
			marks := map[string]bool{}
			for _, ev := range f.events(store.EventMark) {
				marks[ev.Name] = true
			}
			if len(marks) != 6 {
				t.Errorf("marks = %v, want all six", marks)
			}
			if r.Vars["would_recommend"] != "yes" || r.Vars["month1_score"] != "5" {
				t.Errorf("vars = %v", r.Vars)
			}
			text := joined(f.messages(f.manager))
			if !strings.Contains(text, "заканчивается *01.06.2026*") {
				t.Errorf("manager not reminded of the probation end:\n%s", text)
			}
		})

		t.Run("InputValidationAndReminder", func(t *testing.T) {
			t.Parallel()
			sc, err := scenario.Parse("t.yaml", []byte(`id: t
version: 1
title: T
trigger: registration
steps:
  - id: age
    ask:
      text: Сколько лет опыта?
      input: number
      min: 0
      max: 60
      retry: Нужно число от 0 до 60.
      remind_after: 24h
  - id: pause
    wait: {for: 2d}
  - id: bye
    send: {text: "Опыт {{first_name}} учтён"}
`))
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, open, []*scenario.Scenario{sc}, msk(3, 2, 12, 0))
			f.start()
			if !f.say(f.newcomer, "много") {
				t.Fatal("invalid answer not handled")
			}
			msgs := f.messages(f.newcomer)
			if last := msgs[len(msgs)-1].Text; last != "Нужно число от 0 до 60." {
				t.Errorf("reply to an invalid answer = %q", last)
			}

			f.clock.Advance(25 * time.Hour)
			if n := f.runDue(); n != 1 {
				t.Errorf("RunDue for the reminder = %d", n)
			}
			f.clock.Advance(25 * time.Hour)
			f.runDue()
			if got := strings.Count(joined(f.messages(f.newcomer)), "Сколько лет опыта?"); got != 2 {
				t.Errorf("question sent %d times, want 2 (one reminder)", got)
			}

			if !f.say(f.newcomer, " 7,5 ") {
				t.Fatal("valid answer not handled")
			}
			r, err := f.s.FindRunOfEmployee(t.Context(), f.co.ID, f.newcomer.ID, "t")
			if err != nil || r.Vars["age"] != "7.5" || r.State != store.RunWaiting {
				t.Fatalf("run = %+v, %v", r, err)
			}
			f.clock.Advance(48 * time.Hour)
			f.runDue()
			msgs = f.messages(f.newcomer)
			if last := msgs[len(msgs)-1].Text; last != "Опыт Анна учтён" {
				t.Errorf("last message = %q", last)
			}
		})

		t.Run("MissingMentorGoesToHR", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(3, 2, 10, 0))
			// A second newcomer whose manager never registered and who has
			// no mentor.
			lone := f.mustEmployee("0004", "Сидоров Олег", &f.newcomer.ID, nil)
			f.newcomer = lone
			f.start()

			if text := joined(f.messages(lone)); !strings.Contains(text, "Наставника вам представят") {
				t.Errorf("no word about the mentor:\n%s", text)
			}
			tasks, err := f.s.FindTasks(t.Context(), f.co.ID, store.TaskFilter{SubjectID: lone.ID, Unassigned: true})
			if err != nil {
				t.Fatal(err)
			}
			roles := map[string]bool{}
			for _, tk := range tasks {
				roles[tk.Role] = true
			}
			if !roles[scenario.RoleHR] || !roles[scenario.RoleManager] {
				t.Errorf("unassigned tasks by role = %v, want hr and manager", roles)
			}
			if evs := f.events(store.EventUnassigned); len(evs) == 0 {
				t.Errorf("no unassigned event for HR to see")
			}
		})
	})
}
