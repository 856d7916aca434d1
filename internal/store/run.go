package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// Run states.
const (
	// RunActive: the run is being advanced; it is never left in this state
	// by a committed transaction unless the step loop itself failed.
	RunActive = "active"
	// RunWaiting: the run sleeps until DueAt.
	RunWaiting = "waiting"
	// RunAsking: the run waits for the employee's answer; DueAt, when set,
	// is when to remind or give up.
	RunAsking = "asking"
	// RunDone: the run reached its end.
	RunDone = "done"
	// RunFailed: the run cannot go on (its scenario or step is gone);
	// HR sees it as stuck.
	RunFailed = "failed"
)

// Run is one employee's progress through one scenario.
type Run struct {
	ID         int64
	CompanyID  staffbot.CompanyID
	EmployeeID staffbot.EmployeeID

	Scenario string
	Version  int
	Step     string
	State    string
	DueAt    *time.Time

	// Vars holds the answers given so far and the engine's own notes
	// (names starting with "_").
	Vars map[string]string

	StartedAt time.Time
	UpdatedAt time.Time
}

// RunEvent kinds written by the scenario engine.
const (
	EventStarted     = "started"
	EventAnswer      = "answer"
	EventMark        = "mark"
	EventSkipped     = "skipped"
	EventUnanswered  = "unanswered"
	EventReminded    = "reminded"
	EventTask        = "task"
	EventTaskDone    = "task_done"
	EventUnassigned  = "unassigned"
	EventUndelivered = "undelivered"
	EventDone        = "done"
	EventFailed      = "failed"
)

// RunEvent is one line of a run's history.
type RunEvent struct {
	ID    int64
	RunID int64
	Step  string
	Kind  string
	Name  string
	Value string
	At    time.Time
}

const runColumns = "id, company_id, employee_id, scenario, version, step, state, due_at, vars, started_at, updated_at"

func scanRun(row scanner) (*Run, error) {
	var (
		r                Run
		due              sql.NullInt64
		vars             string
		started, updated int64
	)
	err := row.Scan(&r.ID, &r.CompanyID, &r.EmployeeID, &r.Scenario, &r.Version, &r.Step, &r.State, &due, &vars, &started, &updated)
	if err != nil {
		return nil, err
	}
	r.DueAt = fromNullMillis(due)
	if err := json.Unmarshal([]byte(vars), &r.Vars); err != nil {
		return nil, fmt.Errorf("run %d vars: %w", r.ID, err)
	}
	if r.Vars == nil {
		r.Vars = map[string]string{}
	}
	r.StartedAt = fromMillis(started)
	r.UpdatedAt = fromMillis(updated)
	return &r, nil
}

func varsJSON(vars map[string]string) (string, error) {
	if vars == nil {
		vars = map[string]string{}
	}
	b, err := json.Marshal(vars)
	if err != nil {
		return "", fmt.Errorf("encode run vars: %w", err)
	}
	return string(b), nil
}

// CreateRun starts a run unless the employee already has one of the same
// scenario. It reports whether a run was created; when it was, r.ID is set.
func (t *Tx) CreateRun(ctx context.Context, r *Run) (bool, error) {
	vars, err := varsJSON(r.Vars)
	if err != nil {
		return false, err
	}
	err = t.queryRow(ctx, `INSERT INTO scenario_runs (company_id, employee_id, scenario, version, step, state, due_at, vars, started_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (company_id, employee_id, scenario) DO NOTHING RETURNING id`,
		r.CompanyID, r.EmployeeID, r.Scenario, r.Version, r.Step, r.State, nullMillis(r.DueAt), vars,
		millis(r.StartedAt), millis(r.UpdatedAt)).Scan(&r.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert run: %w", err)
	}
	return true, nil
}

// LockRun returns a run and, on PostgreSQL, locks it until the transaction
// ends.
func (t *Tx) LockRun(ctx context.Context, companyID staffbot.CompanyID, id int64) (*Run, error) {
	r, err := scanRun(t.queryRow(ctx, "SELECT "+runColumns+" FROM scenario_runs WHERE company_id = ? AND id = ?"+t.s.forUpdate(),
		companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find run %d", id))
	}
	return r, nil
}

// FindRun returns a run of the company.
func (s *Store) FindRun(ctx context.Context, companyID staffbot.CompanyID, id int64) (*Run, error) {
	r, err := scanRun(s.queryRow(ctx, "SELECT "+runColumns+" FROM scenario_runs WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find run %d", id))
	}
	return r, nil
}

// FindRunOfEmployee returns the employee's run of a scenario.
func (t *Tx) FindRunOfEmployee(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, scenario string) (*Run, error) {
	r, err := scanRun(t.queryRow(ctx, "SELECT "+runColumns+
		" FROM scenario_runs WHERE company_id = ? AND employee_id = ? AND scenario = ?", companyID, employeeID, scenario))
	if err != nil {
		return nil, notFound(err, "find run of "+scenario)
	}
	return r, nil
}

// FindRunOfEmployee is FindRunOfEmployee outside a transaction.
func (s *Store) FindRunOfEmployee(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, scenario string) (*Run, error) {
	r, err := scanRun(s.queryRow(ctx, "SELECT "+runColumns+
		" FROM scenario_runs WHERE company_id = ? AND employee_id = ? AND scenario = ?", companyID, employeeID, scenario))
	if err != nil {
		return nil, notFound(err, "find run of "+scenario)
	}
	return r, nil
}

// LockAskingRuns returns the employee's runs that wait for an answer, the
// most recently asked first, locked on PostgreSQL.
func (t *Tx) LockAskingRuns(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID) ([]*Run, error) {
	if m := t.pendingOf(companyID, employeeID); m != nil && !m.askingRun {
		return nil, nil
	}
	rows, err := t.query(ctx, "SELECT "+runColumns+` FROM scenario_runs
		WHERE company_id = ? AND employee_id = ? AND state = 'asking'
		ORDER BY updated_at DESC, id DESC`+t.s.forUpdate(), companyID, employeeID)
	if err != nil {
		return nil, fmt.Errorf("find asking runs: %w", err)
	}
	defer rows.Close()
	var out []*Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateRun writes a run's step, state, due time and variables, and clears
// any back-off lease.
func (t *Tx) UpdateRun(ctx context.Context, r *Run) error {
	vars, err := varsJSON(r.Vars)
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE scenario_runs SET step = ?, state = ?, due_at = ?, vars = ?, lease_until = NULL, updated_at = ?
		WHERE company_id = ? AND id = ?`,
		r.Step, r.State, nullMillis(r.DueAt), vars, millis(r.UpdatedAt), r.CompanyID, r.ID)
	if err != nil {
		return fmt.Errorf("update run %d: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update run %d: %w", r.ID, errNotFound)
	}
	return nil
}

// RunRef names a run across companies.
type RunRef struct {
	CompanyID staffbot.CompanyID
	ID        int64
}

// FindDueRuns lists runs of every company whose time has come: waiting or
// asking with due_at at or before now, and not backed off. It is the one
// query that spans companies; each run is then locked with LockDueRun
// under its own company.
func (s *Store) FindDueRuns(ctx context.Context, now time.Time, limit int) ([]RunRef, error) {
	rows, err := s.query(ctx, `SELECT company_id, id FROM scenario_runs
		WHERE state IN ('waiting', 'asking') AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
		ORDER BY due_at, id LIMIT ?`, millis(now), millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("find due runs: %w", err)
	}
	defer rows.Close()
	var out []RunRef
	for rows.Next() {
		var r RunRef
		if err := rows.Scan(&r.CompanyID, &r.ID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LockDueRun locks a run that is still due at now. On PostgreSQL a run
// another process holds is skipped, not waited for; on SQLite the write
// transaction already excludes every other writer. A run that is no longer
// due, or is held elsewhere, is reported as ErrNotFound.
func (t *Tx) LockDueRun(ctx context.Context, companyID staffbot.CompanyID, id int64, now time.Time) (*Run, error) {
	lock := ""
	if t.s.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	r, err := scanRun(t.queryRow(ctx, "SELECT "+runColumns+` FROM scenario_runs
		WHERE company_id = ? AND id = ? AND state IN ('waiting', 'asking') AND due_at <= ?
		AND (lease_until IS NULL OR lease_until <= ?)`+lock,
		companyID, id, millis(now), millis(now)))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("lock due run %d", id))
	}
	return r, nil
}

// DelayRun keeps a run out of FindDueRuns until the given time, after a
// step failed, so a broken run does not spin.
func (s *Store) DelayRun(ctx context.Context, companyID staffbot.CompanyID, id int64, until time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "UPDATE scenario_runs SET lease_until = ? WHERE company_id = ? AND id = ?",
			millis(until), companyID, id)
		if err != nil {
			return fmt.Errorf("delay run %d: %w", id, err)
		}
		return nil
	})
}

// AddRunEvent appends a line to a run's history.
func (t *Tx) AddRunEvent(ctx context.Context, companyID staffbot.CompanyID, runID int64, ev RunEvent) error {
	_, err := t.exec(ctx, `INSERT INTO run_events (company_id, run_id, step, kind, name, value, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		companyID, runID, ev.Step, ev.Kind, ev.Name, ev.Value, millis(ev.At))
	if err != nil {
		return fmt.Errorf("add run event: %w", err)
	}
	return nil
}

// FindRunEvents returns a run's history, oldest first. Kinds, when given,
// narrow it.
func (s *Store) FindRunEvents(ctx context.Context, companyID staffbot.CompanyID, runID int64, kinds ...string) ([]RunEvent, error) {
	q := "SELECT id, run_id, step, kind, name, value, at FROM run_events WHERE company_id = ? AND run_id = ?"
	args := []any{companyID, runID}
	if len(kinds) > 0 {
		q += " AND kind IN (" + strings.TrimSuffix(strings.Repeat("?,", len(kinds)), ",") + ")"
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	rows, err := s.query(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("find run events: %w", err)
	}
	defer rows.Close()
	var out []RunEvent
	for rows.Next() {
		var (
			ev RunEvent
			at int64
		)
		if err := rows.Scan(&ev.ID, &ev.RunID, &ev.Step, &ev.Kind, &ev.Name, &ev.Value, &at); err != nil {
			return nil, err
		}
		ev.At = fromMillis(at)
		out = append(out, ev)
	}
	return out, rows.Err()
}

// RunSummary is one row of HR's view of runs.
type RunSummary struct {
	Run
	EmployeeName string

	// Marks are the run's marks by name, the latest value winning.
	Marks map[string]string
}

// RunFilter narrows FindRuns. Zero fields do not filter.
type RunFilter struct {
	Scenario   string
	State      string
	EmployeeID staffbot.EmployeeID
	Limit      int
}

// FindRuns lists a company's runs with the employee's name and the marks
// reached: HR's view of who is where, and who is stuck.
func (s *Store) FindRuns(ctx context.Context, companyID staffbot.CompanyID, f RunFilter) ([]*RunSummary, error) {
	q := `SELECT r.id, r.company_id, r.employee_id, r.scenario, r.version, r.step, r.state, r.due_at, r.vars,
		r.started_at, r.updated_at, e.full_name
		FROM scenario_runs r JOIN employees e ON e.company_id = r.company_id AND e.id = r.employee_id
		WHERE r.company_id = ?`
	args := []any{companyID}
	if f.Scenario != "" {
		q += " AND r.scenario = ?"
		args = append(args, f.Scenario)
	}
	if f.State != "" {
		q += " AND r.state = ?"
		args = append(args, f.State)
	}
	if f.EmployeeID != 0 {
		q += " AND r.employee_id = ?"
		args = append(args, f.EmployeeID)
	}
	q += " ORDER BY r.started_at DESC, r.id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}

	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find runs: %w", err)
	}
	var (
		out  []*RunSummary
		byID = map[int64]*RunSummary{}
	)
	for rows.Next() {
		var (
			sum              RunSummary
			due              sql.NullInt64
			vars             string
			started, updated int64
		)
		r := &sum.Run
		err := rows.Scan(&r.ID, &r.CompanyID, &r.EmployeeID, &r.Scenario, &r.Version, &r.Step, &r.State, &due, &vars,
			&started, &updated, &sum.EmployeeName)
		if err != nil {
			rows.Close()
			return nil, err
		}
		r.DueAt = fromNullMillis(due)
		if err := json.Unmarshal([]byte(vars), &r.Vars); err != nil {
			rows.Close()
			return nil, fmt.Errorf("run %d vars: %w", r.ID, err)
		}
		r.StartedAt, r.UpdatedAt = fromMillis(started), fromMillis(updated)
		sum.Marks = map[string]string{}
		out = append(out, &sum)
		byID[r.ID] = &sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}

	rows, err = s.query(ctx, `SELECT run_id, name, value FROM run_events
		WHERE company_id = ? AND kind = 'mark' ORDER BY id`, companyID)
	if err != nil {
		return nil, fmt.Errorf("find marks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			runID       int64
			name, value string
		)
		if err := rows.Scan(&runID, &name, &value); err != nil {
			return nil, err
		}
		if sum, ok := byID[runID]; ok {
			sum.Marks[name] = value
		}
	}
	return out, rows.Err()
}

// Task statuses.
const (
	TaskOpen = "open"
	TaskDone = "done"
)

// Task is a to-do for a manager, a mentor or HR about a newcomer. A task
// without an assignee belongs to everyone with the role.
type Task struct {
	ID         int64
	CompanyID  staffbot.CompanyID
	RunID      *int64
	Step       string
	SubjectID  staffbot.EmployeeID
	AssigneeID *staffbot.EmployeeID
	Role       string
	Title      string
	Status     string
	CreatedAt  time.Time
	DoneAt     *time.Time
}

const taskColumns = "id, company_id, run_id, step, subject_id, assignee_id, role, title, status, created_at, done_at"

func scanTask(row scanner) (*Task, error) {
	var (
		tk       Task
		run      sql.NullInt64
		assignee sql.NullInt64
		created  int64
		done     sql.NullInt64
	)
	err := row.Scan(&tk.ID, &tk.CompanyID, &run, &tk.Step, &tk.SubjectID, &assignee, &tk.Role, &tk.Title, &tk.Status, &created, &done)
	if err != nil {
		return nil, err
	}
	if run.Valid {
		tk.RunID = &run.Int64
	}
	if assignee.Valid {
		id := staffbot.EmployeeID(assignee.Int64)
		tk.AssigneeID = &id
	}
	tk.CreatedAt = fromMillis(created)
	tk.DoneAt = fromNullMillis(done)
	return &tk, nil
}

// CreateTask adds an open task and sets tk.ID.
func (t *Tx) CreateTask(ctx context.Context, tk *Task) error {
	var run sql.NullInt64
	if tk.RunID != nil {
		run = sql.NullInt64{Int64: *tk.RunID, Valid: true}
	}
	if tk.Status == "" {
		tk.Status = TaskOpen
	}
	err := t.queryRow(ctx, `INSERT INTO tasks (company_id, run_id, step, subject_id, assignee_id, role, title, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		tk.CompanyID, run, tk.Step, tk.SubjectID, nullID(tk.AssigneeID), tk.Role, tk.Title, tk.Status, millis(tk.CreatedAt)).Scan(&tk.ID)
	if err != nil {
		return fmt.Errorf("insert task: %w", err)
	}
	return nil
}

// LockTask returns a task, locked on PostgreSQL until the transaction ends.
func (t *Tx) LockTask(ctx context.Context, companyID staffbot.CompanyID, id int64) (*Task, error) {
	tk, err := scanTask(t.queryRow(ctx, "SELECT "+taskColumns+" FROM tasks WHERE company_id = ? AND id = ?"+t.s.forUpdate(),
		companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find task %d", id))
	}
	return tk, nil
}

// FindTask returns a task of the company.
func (s *Store) FindTask(ctx context.Context, companyID staffbot.CompanyID, id int64) (*Task, error) {
	tk, err := scanTask(s.queryRow(ctx, "SELECT "+taskColumns+" FROM tasks WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find task %d", id))
	}
	return tk, nil
}

// CompleteTask marks an open task done. It reports false when the task was
// already done, and changes nothing then.
func (t *Tx) CompleteTask(ctx context.Context, companyID staffbot.CompanyID, id int64, now time.Time) (bool, error) {
	res, err := t.exec(ctx, "UPDATE tasks SET status = 'done', done_at = ? WHERE company_id = ? AND id = ? AND status = 'open'",
		millis(now), companyID, id)
	if err != nil {
		return false, fmt.Errorf("complete task %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CompleteTask is CompleteTask in a transaction of its own, for the HR
// cabinet.
func (s *Store) CompleteTask(ctx context.Context, companyID staffbot.CompanyID, id int64, now time.Time) (bool, error) {
	var done bool
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		done, err = tx.CompleteTask(ctx, companyID, id, now)
		return err
	})
	return done, err
}

// TaskFilter narrows FindTasks. Zero fields do not filter; Unassigned
// keeps only tasks that nobody holds yet.
type TaskFilter struct {
	Status     string
	Role       string
	AssigneeID staffbot.EmployeeID
	SubjectID  staffbot.EmployeeID
	Unassigned bool
	Limit      int
}

// FindTasks lists a company's tasks, oldest first.
func (s *Store) FindTasks(ctx context.Context, companyID staffbot.CompanyID, f TaskFilter) ([]*Task, error) {
	q := "SELECT " + taskColumns + " FROM tasks WHERE company_id = ?"
	args := []any{companyID}
	if f.Status != "" {
		q += " AND status = ?"
		args = append(args, f.Status)
	}
	if f.Role != "" {
		q += " AND role = ?"
		args = append(args, f.Role)
	}
	if f.AssigneeID != 0 {
		q += " AND assignee_id = ?"
		args = append(args, f.AssigneeID)
	}
	if f.SubjectID != 0 {
		q += " AND subject_id = ?"
		args = append(args, f.SubjectID)
	}
	if f.Unassigned {
		q += " AND assignee_id IS NULL"
	}
	q += " ORDER BY id"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find tasks: %w", err)
	}
	defer rows.Close()
	var out []*Task
	for rows.Next() {
		tk, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tk)
	}
	return out, rows.Err()
}
