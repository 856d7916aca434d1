package scenario

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/store"
)

// Callback data of the engine's buttons. Step answers are
// "s:<run id>:<step id>:<option>", task buttons "t:<task id>".
const (
	stepPrefix = "s:"
	taskPrefix = "t:"

	nextOption = "_n" // a send step's "next" button
	skipOption = "_s" // a question's "skip" button
)

// Engine-owned run variables start with "_".
const (
	varReminded = "_reminded" // the ask step whose reminder went out
	varAskedAt  = "_asked_at" // when the current question was asked, unix ms
)

// maxStepsPerAdvance stops a scenario that loops through gotos and branches
// without ever waiting.
const maxStepsPerAdvance = 500

// retryDelay keeps a run whose step failed out of RunDue for a while.
const retryDelay = 5 * time.Minute

// dueBatch is how many due runs RunDue looks at per query.
const dueBatch = 200

func callbackData(runID, stepID, option string) string {
	return stepPrefix + runID + ":" + stepID + ":" + option
}

// IsCallback reports whether button data belongs to the engine, so the
// dispatcher can route a press without knowing the format.
func IsCallback(data string) bool {
	return strings.HasPrefix(data, stepPrefix) || strings.HasPrefix(data, taskPrefix)
}

// Engine runs scenarios for employees.
type Engine struct {
	st     *store.Store
	clock  staffbot.Clock
	logger *slog.Logger
	defs   map[string]*Scenario
	order  []*Scenario

	// Language picks the language of an employee's messages; nil means
	// DefaultLanguage for everyone.
	Language func(emp *staffbot.Employee) string

	// Catalog, when set, gives each company its own view of the
	// scenarios (catalog.go); nil runs the shipped ones everywhere.
	Catalog Catalog
}

// NewEngine returns an engine running the given scenarios.
func NewEngine(st *store.Store, clock staffbot.Clock, defs []*Scenario, logger *slog.Logger) *Engine {
	e := &Engine{st: st, clock: clock, logger: logger, defs: map[string]*Scenario{}}
	for _, d := range defs {
		e.defs[d.ID] = d
		e.order = append(e.order, d)
	}
	return e
}

// Scenario returns a loaded scenario by id, or nil.
func (e *Engine) Scenario(id string) *Scenario { return e.defs[id] }

func (e *Engine) lang(emp *staffbot.Employee) string {
	if e.Language != nil {
		if l := e.Language(emp); l != "" {
			return l
		}
	}
	return DefaultLanguage
}

// Start starts every registration scenario for the employee and runs each
// until it has to wait. A scenario the employee already has is left alone,
// so calling Start twice sends nothing twice.
func (e *Engine) Start(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee) error {
	now := e.clock.Now()
	defs, off := e.companyScenarios(ctx, co.ID)
	for _, def := range defs {
		if def.Trigger != TriggerRegistration || len(def.Steps) == 0 || off[def.ID] {
			continue
		}
		if def.StartWithinDays > 0 {
			today := staffbot.DateOf(now.In(co.Location()))
			if emp.HiredOn.AddDays(def.StartWithinDays).Before(today) {
				continue
			}
		}
		run := &store.Run{
			CompanyID:  co.ID,
			EmployeeID: emp.ID,
			Scenario:   def.ID,
			Version:    def.Version,
			Step:       def.Steps[0].ID,
			State:      store.RunActive,
			Vars:       map[string]string{},
			StartedAt:  now,
			UpdatedAt:  now,
		}
		created, err := tx.CreateRun(ctx, run)
		if err != nil {
			return fmt.Errorf("start %s: %w", def.ID, err)
		}
		if !created {
			continue
		}
		r := e.newRunner(tx, co, emp, run, def, now)
		if err := r.event(ctx, run.Step, store.EventStarted, "version", strconv.Itoa(def.Version)); err != nil {
			return err
		}
		if err := r.advance(ctx, false); err != nil {
			return fmt.Errorf("start %s: %w", def.ID, err)
		}
		e.logger.InfoContext(ctx, "Scenario started",
			slog.Int64("company_id", int64(co.ID)),
			slog.Int64("employee_id", int64(emp.ID)),
			slog.Int64("run_id", run.ID),
			slog.String("scenario", def.ID),
		)
	}
	return nil
}

// Handle takes a button press or a typed message from an employee. It
// reports handled=false when the input is not the engine's business: a
// press on someone else's button, or text while no question waits.
//
// A press on a button of a step that was answered already, or that the run
// has left, is handled and changes nothing. A press by anyone but the run's
// employee (for a task, its assignee) is refused the same way. Typed text
// that does not fit the question gets the retry text and the question stays.
func (e *Engine) Handle(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, in channel.Incoming) (bool, error) {
	switch in.Kind {
	case channel.KindButton:
		switch {
		case strings.HasPrefix(in.Data, stepPrefix):
			return true, e.handleStepButton(ctx, tx, co, emp, in.Data)
		case strings.HasPrefix(in.Data, taskPrefix):
			return true, e.handleTaskButton(ctx, tx, co, emp, acct, in.Data)
		}
		return false, nil
	case channel.KindText:
		text := strings.TrimSpace(in.Text)
		if text == "" || strings.HasPrefix(text, "/") {
			return false, nil
		}
		return e.handleText(ctx, tx, co, emp, acct, text)
	}
	return false, nil
}

func (e *Engine) handleStepButton(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee, data string) error {
	parts := strings.SplitN(strings.TrimPrefix(data, stepPrefix), ":", 3)
	if len(parts) != 3 {
		return nil
	}
	runID, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return nil
	}
	stepID, option := parts[1], parts[2]

	run, err := tx.LockRun(ctx, co.ID, runID)
	if errors.Is(err, staffbot.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if run.EmployeeID != emp.ID {
		e.logger.InfoContext(ctx, "Scenario button refused",
			slog.Int64("company_id", int64(co.ID)),
			slog.Int64("employee_id", int64(emp.ID)),
			slog.Int64("run_id", run.ID),
		)
		return nil
	}
	if run.State != store.RunAsking || run.Step != stepID {
		e.logger.DebugContext(ctx, "Stale scenario button",
			slog.Int64("company_id", int64(co.ID)),
			slog.Int64("run_id", run.ID),
			slog.String("step", stepID),
		)
		return nil
	}
	def := e.scenarioOf(ctx, co.ID, run.Scenario)
	if def == nil {
		return nil
	}
	step := def.Step(stepID)
	if step == nil {
		return nil
	}

	now := e.clock.Now()
	r := e.newRunner(tx, co, emp, run, def, now)
	switch {
	case step.Send != nil && option == nextOption && step.Send.waitsForNext():
		if err := r.event(ctx, step.ID, store.EventAnswer, "", nextOption); err != nil {
			return err
		}
	case step.Ask != nil && option == skipOption && len(step.Ask.Skip) > 0:
		if err := r.event(ctx, step.ID, store.EventAnswer, step.Ask.VarName(step.ID), ""); err != nil {
			return err
		}
	case step.Ask != nil && hasChoice(step.Ask, option):
		if err := r.answer(ctx, step, option); err != nil {
			return err
		}
	default:
		return nil
	}
	if err := r.moveOn(step); err != nil {
		return err
	}
	return r.advance(ctx, false)
}

func hasChoice(a *Ask, id string) bool {
	for _, o := range a.choices() {
		if o.ID == id && id != skipOption {
			return true
		}
	}
	return false
}

func (e *Engine) handleTaskButton(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, data string) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(data, taskPrefix), 10, 64)
	if err != nil {
		return nil
	}
	tk, err := tx.LockTask(ctx, co.ID, id)
	if errors.Is(err, staffbot.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if tk.AssigneeID == nil || *tk.AssigneeID != emp.ID {
		e.logger.InfoContext(ctx, "Task button refused",
			slog.Int64("company_id", int64(co.ID)),
			slog.Int64("employee_id", int64(emp.ID)),
			slog.Int64("task_id", tk.ID),
		)
		return nil
	}
	now := e.clock.Now()
	done, err := tx.CompleteTask(ctx, co.ID, tk.ID, now)
	if err != nil || !done {
		return err
	}
	if tk.RunID != nil {
		err := tx.AddRunEvent(ctx, co.ID, *tk.RunID, store.RunEvent{
			Step: tk.Step, Kind: store.EventTaskDone, Name: tk.Role, Value: strconv.FormatInt(tk.ID, 10), At: now,
		})
		if err != nil {
			return err
		}
	}
	msg := channel.Outgoing{Text: fmt.Sprintf(textTaskDone.In(e.lang(emp)), tk.Title)}
	if acct != nil {
		return tx.EnqueueToAccount(ctx, acct, msg, now)
	}
	_, err = tx.EnqueueToEmployee(ctx, co.ID, emp.ID, msg, now)
	return err
}

func (e *Engine) handleText(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, text string) (bool, error) {
	runs, err := tx.LockAskingRuns(ctx, co.ID, emp.ID)
	if err != nil {
		return false, err
	}
	for _, run := range runs {
		def := e.scenarioOf(ctx, co.ID, run.Scenario)
		if def == nil {
			continue
		}
		step := def.Step(run.Step)
		if step == nil || step.Ask == nil || step.Ask.Input == "" {
			continue
		}

		now := e.clock.Now()
		r := e.newRunner(tx, co, emp, run, def, now)
		value, ok := step.Ask.check(text)
		if !ok {
			retry := step.Ask.Retry
			if len(retry) == 0 {
				retry = textRetry
			}
			msg := r.message(retry, nil)
			msg.Buttons = r.choiceButtons(step)
			if acct != nil {
				return true, tx.EnqueueToAccount(ctx, acct, msg, now)
			}
			_, err := tx.EnqueueToEmployee(ctx, co.ID, emp.ID, msg, now)
			return true, err
		}
		if err := r.answer(ctx, step, value); err != nil {
			return true, err
		}
		if err := r.moveOn(step); err != nil {
			return true, err
		}
		return true, r.advance(ctx, false)
	}
	return false, nil
}

// RunDue advances every run, in any company, whose waiting time has come:
// each in a transaction of its own, so one broken run does not hold back
// the others. It returns how many runs advanced.
func (e *Engine) RunDue(ctx context.Context) (int, error) {
	advanced := 0
	failed := map[store.RunRef]bool{}
	for {
		now := e.clock.Now()
		refs, err := e.st.FindDueRuns(ctx, now, dueBatch)
		if err != nil {
			return advanced, err
		}
		progress := false
		for _, ref := range refs {
			if failed[ref] {
				continue
			}
			ok, err := e.runOne(ctx, ref, now)
			if err != nil {
				if ctx.Err() != nil {
					return advanced, ctx.Err()
				}
				failed[ref] = true
				e.logger.ErrorContext(ctx, "Scenario step failed",
					slog.Int64("company_id", int64(ref.CompanyID)),
					slog.Int64("run_id", ref.ID),
					slog.String("error", err.Error()),
				)
				if err := e.st.DelayRun(ctx, ref.CompanyID, ref.ID, now.Add(retryDelay)); err != nil {
					return advanced, err
				}
				continue
			}
			if ok {
				advanced++
				progress = true
			}
		}
		if len(refs) < dueBatch || !progress {
			return advanced, nil
		}
	}
}

// runOne advances one due run. It reports false when another process took
// the run first or it is no longer due.
func (e *Engine) runOne(ctx context.Context, ref store.RunRef, now time.Time) (bool, error) {
	ok := false
	err := e.st.InTx(ctx, func(tx *store.Tx) error {
		run, err := tx.LockDueRun(ctx, ref.CompanyID, ref.ID, now)
		if errors.Is(err, staffbot.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		co, err := e.st.FindCompanyByID(ctx, ref.CompanyID)
		if err != nil {
			return err
		}
		emp, err := tx.FindEmployeeByID(ctx, ref.CompanyID, run.EmployeeID)
		if err != nil {
			return err
		}
		def := e.scenarioOf(ctx, co.ID, run.Scenario)
		r := e.newRunner(tx, co, emp, run, def, now)
		if def == nil {
			return r.fail(ctx, "scenario "+run.Scenario+" is not loaded")
		}
		ok = true
		if run.State == store.RunAsking {
			return r.askTimeout(ctx)
		}
		return r.advance(ctx, true)
	})
	return ok, err
}

// runner advances one run inside one transaction.
type runner struct {
	e    *Engine
	tx   *store.Tx
	co   *staffbot.Company
	emp  *staffbot.Employee
	run  *store.Run
	def  *Scenario
	now  time.Time
	lang string

	facts  *Facts
	values map[string]string
}

func (e *Engine) newRunner(tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee, run *store.Run, def *Scenario, now time.Time) *runner {
	return &runner{e: e, tx: tx, co: co, emp: emp, run: run, def: def, now: now, lang: e.lang(emp)}
}

func (r *runner) logAttrs(step string) []any {
	return []any{
		slog.Int64("company_id", int64(r.co.ID)),
		slog.Int64("employee_id", int64(r.emp.ID)),
		slog.Int64("run_id", r.run.ID),
		slog.String("step", step),
	}
}

func (r *runner) event(ctx context.Context, step, kind, name, value string) error {
	return r.tx.AddRunEvent(ctx, r.co.ID, r.run.ID, store.RunEvent{Step: step, Kind: kind, Name: name, Value: value, At: r.now})
}

// loadFacts looks up the manager and mentor once per transaction.
func (r *runner) loadFacts(ctx context.Context) (*Facts, error) {
	if r.facts != nil {
		return r.facts, nil
	}
	f := &Facts{Employee: r.emp, Company: r.co}
	var err error
	if f.Manager, err = r.colleague(ctx, r.emp.ManagerID); err != nil {
		return nil, err
	}
	if f.Mentor, err = r.colleague(ctx, r.emp.MentorID); err != nil {
		return nil, err
	}
	r.facts = f
	r.values = f.Values(r.lang)
	return f, nil
}

// colleague returns the employee with the id, or nil when there is none or
// they no longer work at the company.
func (r *runner) colleague(ctx context.Context, id *staffbot.EmployeeID) (*staffbot.Employee, error) {
	if id == nil {
		return nil, nil
	}
	emp, err := r.tx.FindEmployeeByID(ctx, r.co.ID, *id)
	if errors.Is(err, staffbot.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !emp.Active(r.today()) {
		return nil, nil
	}
	return emp, nil
}

func (r *runner) today() staffbot.Date {
	return staffbot.DateOf(r.now.In(r.co.Location()))
}

// message renders a text for the newcomer with their facts.
func (r *runner) message(t Text, buttons []Button) channel.Outgoing {
	msg := channel.Outgoing{Text: Render(t, r.lang, r.values), Format: channel.FormatMarkup}
	for _, b := range buttons {
		if b.URL == "" {
			continue
		}
		msg.Buttons = append(msg.Buttons, []channel.Button{{Text: Render(b.Label, r.lang, r.values), URL: b.URL}})
	}
	return msg
}

func (r *runner) callback(stepID, option string) string {
	return callbackData(strconv.FormatInt(r.run.ID, 10), stepID, option)
}

// choiceButtons returns the answer buttons of an ask step.
func (r *runner) choiceButtons(step *Step) [][]channel.Button {
	if step.Ask == nil {
		return nil
	}
	var rows [][]channel.Button
	for _, o := range step.Ask.choices() {
		rows = append(rows, []channel.Button{{Text: Render(o.Label, r.lang, r.values), Data: r.callback(step.ID, o.ID)}})
	}
	return rows
}

// send queues a message to the newcomer and notes when nobody can get it.
func (r *runner) send(ctx context.Context, step string, msg channel.Outgoing) error {
	n, err := r.tx.EnqueueToEmployee(ctx, r.co.ID, r.emp.ID, msg, r.now)
	if err != nil {
		return err
	}
	if n == 0 {
		return r.event(ctx, step, store.EventUndelivered, "", "")
	}
	return nil
}

// save writes the run with the current time.
func (r *runner) save(ctx context.Context) error {
	r.run.UpdatedAt = r.now
	return r.tx.UpdateRun(ctx, r.run)
}

func (r *runner) fail(ctx context.Context, reason string) error {
	r.e.logger.ErrorContext(ctx, "Scenario run failed", append(r.logAttrs(r.run.Step), slog.String("error", reason))...)
	r.run.State = store.RunFailed
	r.run.DueAt = nil
	if err := r.event(ctx, r.run.Step, store.EventFailed, "", reason); err != nil {
		return err
	}
	return r.save(ctx)
}

func (r *runner) finish(ctx context.Context, step, reason string) error {
	r.run.State = store.RunDone
	r.run.DueAt = nil
	if err := r.event(ctx, step, store.EventDone, "", reason); err != nil {
		return err
	}
	return r.save(ctx)
}

// answer records an answer in the run's variables and history.
func (r *runner) answer(ctx context.Context, step *Step, value string) error {
	name := step.Ask.VarName(step.ID)
	r.run.Vars[name] = value
	return r.event(ctx, step.ID, store.EventAnswer, name, value)
}

// moveOn points the run at the step after the given one.
func (r *runner) moveOn(step *Step) error {
	i := r.def.stepIndex(step.ID)
	if i < 0 {
		return fmt.Errorf("bug: run %d is at unknown step %q", r.run.ID, step.ID)
	}
	delete(r.run.Vars, varReminded)
	r.run.State = store.RunActive
	r.run.DueAt = nil
	if i+1 < len(r.def.Steps) {
		r.run.Step = r.def.Steps[i+1].ID
	} else {
		r.run.Step = ""
	}
	return nil
}

// advance runs steps from the run's current one until the run has to wait
// for a time or an answer, or ends. resumed says that the run's timer on its
// current step has fired.
func (r *runner) advance(ctx context.Context, resumed bool) error {
	if _, err := r.loadFacts(ctx); err != nil {
		return err
	}
	for n := 0; ; n++ {
		if n >= maxStepsPerAdvance {
			return r.fail(ctx, "too many steps without a wait; is there a goto loop?")
		}
		if r.run.Step == "" {
			return r.finish(ctx, "", "")
		}
		if !r.emp.Active(r.today()) {
			return r.finish(ctx, r.run.Step, "dismissed")
		}
		step := r.def.Step(r.run.Step)
		if step == nil {
			return r.fail(ctx, "step "+r.run.Step+" is not in the scenario")
		}

		if u := step.Until(); u != nil {
			due := u.Time(r.emp.HiredOn, r.co.Location())
			if due.After(r.now) {
				return r.sleep(ctx, due)
			}
			// Catch-up: when the next stage is due too, this one is late
			// and no longer useful; only the latest due stage runs.
			i := r.def.stepIndex(step.ID)
			if next := r.def.nextTimed(i); next != nil && !next.Until().Time(r.emp.HiredOn, r.co.Location()).After(r.now) {
				if err := r.event(ctx, step.ID, store.EventSkipped, "", next.ID); err != nil {
					return err
				}
				r.run.Step = next.ID
				resumed = false
				continue
			}
		} else if step.Wait != nil && !resumed {
			return r.sleep(ctx, r.now.Add(step.Wait.For))
		}
		resumed = false

		r.e.logger.DebugContext(ctx, "Scenario step", r.logAttrs(step.ID)...)
		wait, err := r.exec(ctx, step)
		if err != nil {
			return fmt.Errorf("step %s: %w", step.ID, err)
		}
		if wait {
			return r.save(ctx)
		}
		if r.run.State == store.RunDone {
			return nil
		}
	}
}

func (r *runner) sleep(ctx context.Context, due time.Time) error {
	r.run.State = store.RunWaiting
	r.run.DueAt = &due
	return r.save(ctx)
}

// exec performs one step and points the run at what comes next. It reports
// true when the run now waits for an answer.
func (r *runner) exec(ctx context.Context, step *Step) (bool, error) {
	switch {
	case step.Send != nil:
		s := step.Send
		msg := r.message(s.Text, s.Buttons)
		if s.File != nil {
			msg.FileURL, msg.FileName = s.File.URL, s.File.Name
		}
		for _, b := range s.Buttons {
			if b.Next {
				msg.Buttons = append(msg.Buttons, []channel.Button{{Text: Render(b.Label, r.lang, r.values), Data: r.callback(step.ID, nextOption)}})
			}
		}
		if err := r.send(ctx, step.ID, msg); err != nil {
			return false, err
		}
		if s.waitsForNext() {
			r.ask(step)
			return true, nil
		}

	case step.Ask != nil:
		msg := r.message(step.Ask.Text, nil)
		msg.Buttons = r.choiceButtons(step)
		if err := r.send(ctx, step.ID, msg); err != nil {
			return false, err
		}
		r.ask(step)
		return true, nil

	case step.Branch != nil:
		target := step.Branch.Else
		for _, c := range step.Branch.Cases {
			if r.matches(c) {
				target = c.Goto
				break
			}
		}
		if target != "" {
			r.run.Step = target
			return false, nil
		}

	case step.Wait != nil:
		// The time has come; nothing to do.

	case step.Notify != nil:
		if err := r.notify(ctx, step); err != nil {
			return false, err
		}

	case step.Mark != nil:
		if err := r.event(ctx, step.ID, store.EventMark, step.Mark.Name, step.Mark.Value); err != nil {
			return false, err
		}

	case step.Goto != "":
		r.run.Step = step.Goto
		return false, nil

	case step.End:
		return false, r.finish(ctx, step.ID, "")
	}
	return false, r.moveOn(step)
}

// ask puts the run in the asking state on the step. It is due again when
// a reminder, the answer window or the next stage comes, whichever first.
func (r *runner) ask(step *Step) {
	r.run.State = store.RunAsking
	r.run.DueAt = nil
	var times []time.Time
	if a := step.Ask; a != nil {
		if a.RemindAfter > 0 {
			times = append(times, r.now.Add(a.RemindAfter))
		}
		if a.ExpireAfter > 0 {
			times = append(times, r.now.Add(a.ExpireAfter))
		}
	}
	if next := r.def.nextTimed(r.def.stepIndex(step.ID)); next != nil {
		times = append(times, next.Until().Time(r.emp.HiredOn, r.co.Location()))
	}
	for _, t := range times {
		if r.run.DueAt == nil || t.Before(*r.run.DueAt) {
			t := t
			r.run.DueAt = &t
		}
	}
	// A due time already past would fire at once; keep it a minute ahead.
	if r.run.DueAt != nil && !r.run.DueAt.After(r.now) {
		t := r.now.Add(time.Minute)
		r.run.DueAt = &t
	}
	r.run.Vars[varAskedAt] = strconv.FormatInt(r.now.UnixMilli(), 10)
}

// askTimeout handles a question whose due time came without an answer: the
// next stage has begun (the question is dropped and the run goes there),
// the answer window closed (the run moves on), or it is time to remind.
func (r *runner) askTimeout(ctx context.Context) error {
	if _, err := r.loadFacts(ctx); err != nil {
		return err
	}
	step := r.def.Step(r.run.Step)
	if step == nil {
		return r.fail(ctx, "step "+r.run.Step+" is not in the scenario")
	}
	askedMs, _ := strconv.ParseInt(r.run.Vars[varAskedAt], 10, 64)
	asked := time.UnixMilli(askedMs)

	next := r.def.nextTimed(r.def.stepIndex(step.ID))
	if next != nil && !next.Until().Time(r.emp.HiredOn, r.co.Location()).After(r.now) {
		if err := r.event(ctx, step.ID, store.EventUnanswered, "", next.ID); err != nil {
			return err
		}
		if err := r.moveOn(step); err != nil {
			return err
		}
		r.run.Step = next.ID
		return r.advance(ctx, false)
	}
	if a := step.Ask; a != nil && a.ExpireAfter > 0 && !asked.Add(a.ExpireAfter).After(r.now) {
		if err := r.event(ctx, step.ID, store.EventUnanswered, "", ""); err != nil {
			return err
		}
		if err := r.moveOn(step); err != nil {
			return err
		}
		return r.advance(ctx, false)
	}
	if a := step.Ask; a != nil && a.RemindAfter > 0 && r.run.Vars[varReminded] != step.ID {
		msg := r.message(a.Text, nil)
		msg.Buttons = r.choiceButtons(step)
		if err := r.send(ctx, step.ID, msg); err != nil {
			return err
		}
		if err := r.event(ctx, step.ID, store.EventReminded, "", ""); err != nil {
			return err
		}
		r.run.Vars[varReminded] = step.ID
	}

	// Next due time: whatever of the answer window and the next stage is
	// still ahead.
	r.run.DueAt = nil
	var times []time.Time
	if a := step.Ask; a != nil && a.ExpireAfter > 0 {
		times = append(times, asked.Add(a.ExpireAfter))
	}
	if next != nil {
		times = append(times, next.Until().Time(r.emp.HiredOn, r.co.Location()))
	}
	for _, t := range times {
		if t.After(r.now) && (r.run.DueAt == nil || t.Before(*r.run.DueAt)) {
			t := t
			r.run.DueAt = &t
		}
	}
	return r.save(ctx)
}

func (r *runner) matches(c Case) bool {
	var got string
	if c.Var != "" {
		got = r.run.Vars[c.Var]
	} else {
		got = r.facts.field(c.Field)
	}
	switch {
	case c.Equals != nil:
		return strings.EqualFold(got, *c.Equals)
	case c.NotEquals != nil:
		return !strings.EqualFold(got, *c.NotEquals)
	}
	for _, v := range c.In {
		if strings.EqualFold(got, v) {
			return true
		}
	}
	return false
}

// notify messages the manager, the mentor or HR and creates their task.
// Someone who is missing or cannot be reached in the bot does not stop the
// run: the task is then left to the role, and HR sees an event.
func (r *runner) notify(ctx context.Context, step *Step) error {
	nt := step.Notify
	var who *staffbot.Employee
	switch nt.To {
	case RoleManager:
		who = r.facts.Manager
	case RoleMentor:
		who = r.facts.Mentor
	}
	reachable := false
	if who != nil {
		accts, err := r.tx.FindAccountsOfEmployee(ctx, r.co.ID, who.ID)
		if err != nil {
			return err
		}
		for _, a := range accts {
			if !a.Blocked && a.ConsentedAt != nil {
				reachable = true
			}
		}
	}
	if nt.To != RoleHR && !reachable {
		if err := r.event(ctx, step.ID, store.EventUnassigned, nt.To, ""); err != nil {
			return err
		}
	}

	var task *store.Task
	if len(nt.Task) > 0 {
		runID := r.run.ID
		task = &store.Task{
			CompanyID: r.co.ID,
			RunID:     &runID,
			Step:      step.ID,
			SubjectID: r.emp.ID,
			Role:      nt.To,
			Title:     Render(nt.Task, DefaultLanguage, r.facts.Values(DefaultLanguage)),
			Status:    store.TaskOpen,
			CreatedAt: r.now,
		}
		if reachable {
			task.AssigneeID = &who.ID
		}
		if err := r.tx.CreateTask(ctx, task); err != nil {
			return err
		}
		if err := r.event(ctx, step.ID, store.EventTask, nt.To, strconv.FormatInt(task.ID, 10)); err != nil {
			return err
		}
	}
	if !reachable {
		return nil
	}

	lang := r.e.lang(who)
	values := r.facts.Values(lang)
	msg := channel.Outgoing{Text: Render(nt.Text, lang, values), Format: channel.FormatMarkup}
	for _, b := range nt.Buttons {
		msg.Buttons = append(msg.Buttons, []channel.Button{{Text: Render(b.Label, lang, values), URL: b.URL}})
	}
	if task != nil {
		msg.Buttons = append(msg.Buttons, []channel.Button{{Text: textDoneButton.In(lang), Data: taskPrefix + strconv.FormatInt(task.ID, 10)}})
	}
	_, err := r.tx.EnqueueToEmployee(ctx, r.co.ID, who.ID, msg, r.now)
	return err
}

// Texts of the engine itself.
var (
	textRetry      = Text{"ru": "Не получилось разобрать ответ. Попробуйте ещё раз, пожалуйста.", "en": "I could not read that answer. Please try again."}
	textDoneButton = Text{"ru": "Готово", "en": "Done"}
	textTaskDone   = Text{"ru": "Задача отмечена как выполненная: %s", "en": "Marked as done: %s"}
)
