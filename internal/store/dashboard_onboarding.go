package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// Onboarding statuses of a newcomer, as the cabinet shows them.
const (
	OnboardingNotStarted = "not_started" // no run yet: not registered in the bot
	OnboardingInProgress = "in_progress"
	OnboardingStuck      = "stuck"
	OnboardingDone       = "done"
)

// StuckAfter is how long a question may wait for its answer, or a task for
// its manager or mentor, before HR sees the newcomer as stuck. A run that
// failed is stuck at once.
const StuckAfter = 72 * time.Hour

// onboardingStatus is the SQL that names a newcomer's status from the run
// r (NULL when there is none); it takes the stale moment twice.
const onboardingStatus = `CASE
	WHEN r.id IS NULL THEN 'not_started'
	WHEN r.state = 'done' THEN 'done'
	WHEN r.state = 'failed' THEN 'stuck'
	WHEN r.state = 'asking' AND r.updated_at < ? THEN 'stuck'
	WHEN EXISTS (SELECT 1 FROM tasks t WHERE t.company_id = r.company_id AND t.run_id = r.id
		AND t.status = 'open' AND t.created_at < ?) THEN 'stuck'
	ELSE 'in_progress' END`

// CohortCount is how many newcomers hired in a month have a status.
type CohortCount struct {
	Month  string // YYYY-MM
	Status string
	N      int64
}

// OnboardingCohorts counts the newcomers hired between f.From and f.To by
// hire month and onboarding status in the scenario.
func (s *Store) OnboardingCohorts(ctx context.Context, companyID staffbot.CompanyID, scenario string, f DashFilter, now time.Time) ([]CohortCount, error) {
	stale := millis(now.Add(-StuckAfter))
	var b strings.Builder
	b.WriteString(`SELECT substr(e.hired_on, 1, 7), ` + onboardingStatus + `, count(*)
		FROM employees e LEFT JOIN scenario_runs r
			ON r.company_id = e.company_id AND r.employee_id = e.id AND r.scenario = ?
		WHERE e.company_id = ? AND e.hired_on >= ? AND e.hired_on <= ?`)
	args := []any{stale, stale, scenario, companyID, f.From.String(), f.To.String()}
	args = f.placeFilter(&b, args, "e.")
	b.WriteString(" GROUP BY 1, 2 ORDER BY 1, 2")

	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("count cohorts: %w", err)
	}
	defer rows.Close()
	var out []CohortCount
	for rows.Next() {
		var c CohortCount
		if err := rows.Scan(&c.Month, &c.Status, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// NewcomerFilter picks newcomers for HR's onboarding list. Zero fields do
// not narrow, except that Scenario is required.
type NewcomerFilter struct {
	Scenario           string
	HiredFrom, HiredTo staffbot.Date
	Scope              EmployeeScope // the reader's
	Department, Office string
	Status             string
	EmployeeID         staffbot.EmployeeID
	Limit, Offset      int
}

// Newcomer is one newcomer's onboarding at a glance.
type Newcomer struct {
	EmployeeID      staffbot.EmployeeID
	PersonnelNumber string
	FullName        string
	Department      string
	Office          string
	HiredOn         staffbot.Date
	ManagerID       *staffbot.EmployeeID
	MentorID        *staffbot.EmployeeID

	// Run is nil until the newcomer registers and the scenario starts.
	Run    *Run
	Status string

	// Marks are the milestones reached, by name, in the order reached.
	Marks []string
	// OpenTasks are the run's tasks for the manager, mentor or HR that
	// are not done yet, oldest first.
	OpenTasks []*Task
}

// scopeSQL returns the conditions that keep employees aliased e inside a
// reader's scope, and a WITH clause to put before the query for a line
// manager's team.
func scopeSQL(companyID staffbot.CompanyID, sc EmployeeScope) (with, where string, withArgs, whereArgs []any) {
	var b strings.Builder
	if sc.TeamOf != nil {
		with = `WITH RECURSIVE team (id) AS (
			SELECT id FROM employees WHERE company_id = ? AND manager_id = ?
			UNION
			SELECT m.id FROM employees m JOIN team ON m.manager_id = team.id WHERE m.company_id = ?
		) `
		withArgs = []any{companyID, *sc.TeamOf, companyID}
		b.WriteString(" AND e.id IN (SELECT id FROM team)")
	}
	f := DashFilter{Departments: sc.Departments, Offices: sc.Offices}
	whereArgs = f.placeFilter(&b, nil, "e.")
	return with, b.String(), withArgs, whereArgs
}

// newcomerQuery builds the query of newcomers with their status (column
// st) that the filter picks, status aside.
func newcomerQuery(companyID staffbot.CompanyID, f NewcomerFilter, now time.Time) (string, []any) {
	stale := millis(now.Add(-StuckAfter))
	with, scope, withArgs, scopeArgs := scopeSQL(companyID, f.Scope)

	var b strings.Builder
	b.WriteString(`SELECT e.id, e.personnel_number, e.full_name, e.department, e.office, e.hired_on,
			e.manager_id, e.mentor_id, r.id, r.scenario, r.version, r.step, r.state, r.due_at, r.started_at, r.updated_at,
			` + onboardingStatus + ` AS st
		FROM employees e LEFT JOIN scenario_runs r
			ON r.company_id = e.company_id AND r.employee_id = e.id AND r.scenario = ?
		WHERE e.company_id = ?` + scope)
	args := append(withArgs, stale, stale, f.Scenario, companyID)
	args = append(args, scopeArgs...)
	if !f.HiredFrom.IsZero() {
		b.WriteString(" AND e.hired_on >= ?")
		args = append(args, f.HiredFrom.String())
	}
	if !f.HiredTo.IsZero() {
		b.WriteString(" AND e.hired_on <= ?")
		args = append(args, f.HiredTo.String())
	}
	if f.Department != "" {
		b.WriteString(" AND e.department = ?")
		args = append(args, f.Department)
	}
	if f.Office != "" {
		b.WriteString(" AND e.office = ?")
		args = append(args, f.Office)
	}
	if f.EmployeeID != 0 {
		b.WriteString(" AND e.id = ?")
		args = append(args, f.EmployeeID)
	}
	return with + "SELECT * FROM (" + b.String() + ") x", args
}

// CountNewcomers counts the newcomers the filter picks by status; the
// filter's Status, Limit and Offset are ignored.
func (s *Store) CountNewcomers(ctx context.Context, companyID staffbot.CompanyID, f NewcomerFilter, now time.Time) (map[string]int, error) {
	q, args := newcomerQuery(companyID, f, now)
	rows, err := s.query(ctx, "SELECT st, count(*) FROM ("+q+") y GROUP BY st", args...)
	if err != nil {
		return nil, fmt.Errorf("count newcomers: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			st string
			n  int
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// FindNewcomers lists newcomers with their onboarding status, the latest
// hires first, and counts all that match.
func (s *Store) FindNewcomers(ctx context.Context, companyID staffbot.CompanyID, f NewcomerFilter, now time.Time) ([]*Newcomer, int, error) {
	inner, args := newcomerQuery(companyID, f, now)
	if f.Status != "" {
		inner += " WHERE st = ?"
		args = append(args, f.Status)
	}

	var total int
	if err := s.queryRow(ctx, "SELECT count(*) FROM ("+inner+") y", args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count newcomers: %w", err)
	}
	q := inner + " ORDER BY 6 DESC, 1"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, max(f.Offset, 0))
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("find newcomers: %w", err)
	}
	var (
		out  []*Newcomer
		runs = map[int64]*Newcomer{}
	)
	for rows.Next() {
		n, err := scanNewcomer(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, n)
		if n.Run != nil {
			runs[n.Run.ID] = n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if err := s.attachRunDetails(ctx, companyID, runs); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

func scanNewcomer(rows *sql.Rows) (*Newcomer, error) {
	var (
		n                   Newcomer
		hired               string
		manager, mentor     sql.NullInt64
		runID, version, due sql.NullInt64
		scen, step, state   sql.NullString
		started, updated    sql.NullInt64
	)
	err := rows.Scan(&n.EmployeeID, &n.PersonnelNumber, &n.FullName, &n.Department, &n.Office, &hired,
		&manager, &mentor, &runID, &scen, &version, &step, &state, &due, &started, &updated, &n.Status)
	if err != nil {
		return nil, err
	}
	if n.HiredOn, err = staffbot.ParseDate(hired); err != nil {
		return nil, fmt.Errorf("employee %d hire date: %w", n.EmployeeID, err)
	}
	if manager.Valid {
		id := staffbot.EmployeeID(manager.Int64)
		n.ManagerID = &id
	}
	if mentor.Valid {
		id := staffbot.EmployeeID(mentor.Int64)
		n.MentorID = &id
	}
	if runID.Valid {
		n.Run = &Run{
			ID: runID.Int64, EmployeeID: n.EmployeeID, Scenario: scen.String, Version: int(version.Int64),
			Step: step.String, State: state.String, DueAt: fromNullMillis(due),
			StartedAt: fromMillis(started.Int64), UpdatedAt: fromMillis(updated.Int64),
		}
	}
	return &n, nil
}

// attachRunDetails loads the marks and open tasks of the runs.
func (s *Store) attachRunDetails(ctx context.Context, companyID staffbot.CompanyID, runs map[int64]*Newcomer) error {
	if len(runs) == 0 {
		return nil
	}
	ids := make([]any, 0, len(runs)+1)
	ids = append(ids, companyID)
	for id, n := range runs {
		ids = append(ids, id)
		n.Run.CompanyID = companyID
	}
	in := placeholders(len(runs))

	rows, err := s.query(ctx, "SELECT run_id, name FROM run_events WHERE company_id = ? AND kind = 'mark' AND run_id IN ("+in+") ORDER BY id", ids...)
	if err != nil {
		return fmt.Errorf("find marks: %w", err)
	}
	for rows.Next() {
		var (
			runID int64
			name  string
		)
		if err := rows.Scan(&runID, &name); err != nil {
			rows.Close()
			return err
		}
		if n := runs[runID]; n != nil && !containsString(n.Marks, name) {
			n.Marks = append(n.Marks, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	rows, err = s.query(ctx, "SELECT "+taskColumns+" FROM tasks WHERE company_id = ? AND status = 'open' AND run_id IN ("+in+") ORDER BY id", ids...)
	if err != nil {
		return fmt.Errorf("find open tasks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		tk, err := scanTask(rows)
		if err != nil {
			return err
		}
		if tk.RunID != nil {
			if n := runs[*tk.RunID]; n != nil {
				n.OpenTasks = append(n.OpenTasks, tk)
			}
		}
	}
	return rows.Err()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// EmployeeNames returns the full names of the company's employees with the
// ids; unknown ids are left out.
func (s *Store) EmployeeNames(ctx context.Context, companyID staffbot.CompanyID, ids []staffbot.EmployeeID) (map[staffbot.EmployeeID]string, error) {
	out := map[staffbot.EmployeeID]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, companyID)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.query(ctx, "SELECT id, full_name FROM employees WHERE company_id = ? AND id IN ("+placeholders(len(ids))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("find names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id   staffbot.EmployeeID
			name string
		)
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// OnboardingSnapshot is where a company's onboarding stands now.
type OnboardingSnapshot struct {
	InProgress int64
	Stuck      int64
	// Finished counts runs that ended since the moment asked.
	Finished int64
	// OverdueTasks counts open tasks of managers, mentors and HR older
	// than StuckAfter.
	OverdueTasks int64
	// NotJoined counts employees invited 7 to 30 days ago who have not
	// registered.
	NotJoined int64
}

// FindOnboardingSnapshot counts runs by status, runs finished since
// finishedSince, overdue tasks and invites left unused, for the digest.
func (s *Store) FindOnboardingSnapshot(ctx context.Context, companyID staffbot.CompanyID, scenario string, now, finishedSince time.Time) (*OnboardingSnapshot, error) {
	stale := millis(now.Add(-StuckAfter))
	var snap OnboardingSnapshot
	rows, err := s.query(ctx, `SELECT `+onboardingStatus+`, count(*) FROM scenario_runs r
		WHERE r.company_id = ? AND r.scenario = ? AND r.state <> 'done' GROUP BY 1`, stale, stale, companyID, scenario)
	if err != nil {
		return nil, fmt.Errorf("count runs: %w", err)
	}
	for rows.Next() {
		var (
			st string
			n  int64
		)
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return nil, err
		}
		switch st {
		case OnboardingStuck:
			snap.Stuck += n
		case OnboardingInProgress:
			snap.InProgress += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	err = s.queryRow(ctx, `SELECT count(*) FROM scenario_runs WHERE company_id = ? AND scenario = ? AND state = 'done'
		AND updated_at >= ?`, companyID, scenario, millis(finishedSince)).Scan(&snap.Finished)
	if err != nil {
		return nil, fmt.Errorf("count finished runs: %w", err)
	}
	err = s.queryRow(ctx, `SELECT count(*) FROM tasks WHERE company_id = ? AND status = 'open' AND created_at < ?`,
		companyID, stale).Scan(&snap.OverdueTasks)
	if err != nil {
		return nil, fmt.Errorf("count overdue tasks: %w", err)
	}
	err = s.queryRow(ctx, `SELECT count(DISTINCT i.employee_id) FROM invites i
		WHERE i.company_id = ? AND i.created_at < ? AND i.created_at >= ?
		AND NOT EXISTS (SELECT 1 FROM channel_accounts a WHERE a.company_id = i.company_id
			AND a.employee_id = i.employee_id AND a.consented_at IS NOT NULL)`,
		companyID, millis(now.Add(-7*24*time.Hour)), millis(now.Add(-30*24*time.Hour))).Scan(&snap.NotJoined)
	if err != nil {
		return nil, fmt.Errorf("count invites not used: %w", err)
	}
	return &snap, nil
}
