package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

func init() {
	employeeTables = append(employeeTables, EmployeeTable{"connector_listings", "employee_id"})
}

// ConnectorPolicy is what an employee sync does with employees the
// accounting system no longer lists.
type ConnectorPolicy struct {
	// DismissAfter is how many full syncs in a row must miss an employee
	// the system listed before before they are dismissed (their bot
	// access ends); 0: only when HR confirms. Default 3.
	DismissAfter int

	// MaxMissingPercent refuses a sync that would leave more than this
	// share of the listed, working employees missing at once, as a list
	// the system cut short would; 100 turns the check off. Default 20.
	MaxMissingPercent int
}

// Defaults of a new connector's policy (the columns' defaults).
const (
	DefaultDismissMissingAfter = 3
	DefaultMaxMissingPercent   = 20
)

// Validate checks the bounds of a policy.
func (p ConnectorPolicy) Validate() error {
	if p.DismissAfter < 0 || p.DismissAfter > 100 {
		return fmt.Errorf("dismiss after %d syncs: must be 0 (only when HR confirms) to 100: %w", p.DismissAfter, staffbot.ErrInvalid)
	}
	if p.MaxMissingPercent < 1 || p.MaxMissingPercent > 100 {
		return fmt.Errorf("max missing %d%%: must be 1 to 100: %w", p.MaxMissingPercent, staffbot.ErrInvalid)
	}
	return nil
}

// SetConnectorPolicy changes the company connector's policy and records
// the change in the audit log.
func (s *Store) SetConnectorPolicy(ctx context.Context, companyID staffbot.CompanyID, p ConnectorPolicy, now time.Time) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Tx) error {
		var id int64
		var old ConnectorPolicy
		err := tx.queryRow(ctx, "SELECT id, dismiss_missing_after, max_missing_percent FROM connectors WHERE company_id = ?",
			companyID).Scan(&id, &old.DismissAfter, &old.MaxMissingPercent)
		if err != nil {
			return notFound(err, fmt.Sprintf("connector of company %d", companyID))
		}
		_, err = tx.exec(ctx, `UPDATE connectors SET dismiss_missing_after = ?, max_missing_percent = ?, updated_at = ?
			WHERE company_id = ? AND id = ?`, p.DismissAfter, p.MaxMissingPercent, millis(now), companyID, id)
		if err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: companyID, At: now, Action: "connector.policy", ObjectType: "connector", ObjectID: fmt.Sprint(id),
			Before: auditJSON(map[string]any{"dismiss_missing_after": old.DismissAfter, "max_missing_percent": old.MaxMissingPercent}),
			After:  auditJSON(map[string]any{"dismiss_missing_after": p.DismissAfter, "max_missing_percent": p.MaxMissingPercent}),
		})
	})
}

// Listing is an employee the accounting system listed, and since when it
// has not.
type Listing struct {
	EmployeeID   staffbot.EmployeeID
	ListedAt     time.Time  // the last sync that listed them
	MissingSince *time.Time // the first of the syncs in a row that did not
	MissingRuns  int        // how many full syncs in a row did not list them
}

// SyncWrites is what an employee sync writes.
type SyncWrites struct {
	// Employees are the rows that change.
	Employees []EmployeeImport
	// Listed are the personnel numbers the system listed that staffbot
	// keeps (created, updated or unchanged).
	Listed []string
	// Unlisted are employees the system listed before and not this time.
	Unlisted []Unlisted
}

// Unlisted is an employee a sync did not list.
type Unlisted struct {
	EmployeeID staffbot.EmployeeID
	Runs       int  // full syncs in a row without them, this one included
	Dismissed  bool // this sync dismisses them (the write is in Employees)
	After      int  // the policy's DismissAfter when dismissed
}

func (t *Tx) findListings(ctx context.Context, companyID staffbot.CompanyID) (map[staffbot.EmployeeID]*Listing, error) {
	rows, err := t.query(ctx, `SELECT employee_id, listed_at, missing_since, missing_runs FROM connector_listings
		WHERE company_id = ?`, companyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[staffbot.EmployeeID]*Listing{}
	for rows.Next() {
		var l Listing
		var listed int64
		var since sql.NullInt64
		if err := rows.Scan(&l.EmployeeID, &listed, &since, &l.MissingRuns); err != nil {
			return nil, err
		}
		l.ListedAt, l.MissingSince = fromMillis(listed), fromNullMillis(since)
		out[l.EmployeeID] = &l
	}
	return out, rows.Err()
}

// writeListings records who a sync listed and who it missed, with an
// audit record when an employee goes missing, comes back, or is dismissed
// for being missing.
func (t *Tx) writeListings(ctx context.Context, companyID staffbot.CompanyID, sw *SyncWrites,
	ids map[string]staffbot.EmployeeID, before map[staffbot.EmployeeID]*Listing, now time.Time) error {
	var recs []*staffbot.AuditRecord
	record := func(id staffbot.EmployeeID, action string, after map[string]any) {
		subject := id
		recs = append(recs, &staffbot.AuditRecord{CompanyID: companyID, At: now, Action: action,
			ObjectType: "employee", ObjectID: fmt.Sprint(id), SubjectID: &subject, After: auditJSON(after)})
	}
	for _, n := range sw.Listed {
		id, ok := ids[n]
		if !ok {
			return fmt.Errorf("listed employee %s: not in staffbot", n)
		}
		_, err := t.exec(ctx, `INSERT INTO connector_listings (company_id, employee_id, listed_at, missing_since, missing_runs)
			VALUES (?, ?, ?, NULL, 0)
			ON CONFLICT (company_id, employee_id) DO UPDATE SET listed_at = excluded.listed_at, missing_since = NULL, missing_runs = 0`,
			companyID, id, millis(now))
		if err != nil {
			return fmt.Errorf("record listing: %w", err)
		}
		if l := before[id]; l != nil && l.MissingRuns > 0 {
			record(id, "employee.relisted", map[string]any{"missing_runs": l.MissingRuns})
		}
	}
	for _, u := range sw.Unlisted {
		_, err := t.exec(ctx, `UPDATE connector_listings SET missing_runs = ?, missing_since = COALESCE(missing_since, ?)
			WHERE company_id = ? AND employee_id = ?`, u.Runs, millis(now), companyID, u.EmployeeID)
		if err != nil {
			return fmt.Errorf("record missing employee: %w", err)
		}
		switch {
		case u.Dismissed:
			record(u.EmployeeID, "employee.dismiss_unlisted", map[string]any{"missing_runs": u.Runs, "dismiss_after": u.After})
		case u.Runs == 1:
			record(u.EmployeeID, "employee.unlisted", map[string]any{"missing_runs": 1})
		}
	}
	if len(recs) == 0 {
		return nil
	}
	return t.AppendAudit(ctx, recs...)
}

// UnlistedEmployee is an employee the accounting system stopped listing.
type UnlistedEmployee struct {
	Employee *staffbot.Employee
	Listing
}

// FindUnlisted returns the company's employees that the last syncs did
// not list, longest missing first; dismissed ones only with withDismissed.
func (s *Store) FindUnlisted(ctx context.Context, companyID staffbot.CompanyID, withDismissed bool) ([]*UnlistedEmployee, error) {
	q := `SELECT ` + prefixed("e.", employeeColumns) + `, l.listed_at, l.missing_since, l.missing_runs
		FROM connector_listings l JOIN employees e ON e.company_id = l.company_id AND e.id = l.employee_id
		WHERE l.company_id = ? AND l.missing_runs > 0`
	if !withDismissed {
		q += " AND e.dismissed_on IS NULL"
	}
	rows, err := s.query(ctx, q+" ORDER BY l.missing_runs DESC, e.personnel_number", companyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*UnlistedEmployee
	for rows.Next() {
		var u UnlistedEmployee
		var listed int64
		var since sql.NullInt64
		e, err := s.scanEmployee(scanWith{rows, []any{&listed, &since, &u.MissingRuns}})
		if err != nil {
			return nil, err
		}
		u.Employee, u.EmployeeID = e, e.ID
		u.ListedAt, u.MissingSince = fromMillis(listed), fromNullMillis(since)
		out = append(out, &u)
	}
	return out, rows.Err()
}

// DismissUnlisted dismisses, on day, employees the accounting system no
// longer lists, because HR confirmed it: their bot access ends. Only
// employees a sync found missing and not yet dismissed are dismissed; it
// returns their ids.
func (s *Store) DismissUnlisted(ctx context.Context, companyID staffbot.CompanyID, ids []staffbot.EmployeeID, day staffbot.Date, now time.Time) ([]staffbot.EmployeeID, error) {
	var done []staffbot.EmployeeID
	err := s.InTx(ctx, func(tx *Tx) error {
		done = nil
		for _, id := range ids {
			var runs int
			err := tx.queryRow(ctx, "SELECT missing_runs FROM connector_listings WHERE company_id = ? AND employee_id = ?",
				companyID, id).Scan(&runs)
			if err != nil || runs == 0 {
				continue // listed again meanwhile, or never listed
			}
			old, err := scanEmployeeTx(ctx, tx, companyID, id)
			if err != nil {
				return err
			}
			if old.DismissedOn != nil {
				continue
			}
			e := *old
			e.DismissedOn = &day
			if _, err := tx.exec(ctx, "UPDATE employees SET dismissed_on = ?, updated_at = ? WHERE company_id = ? AND id = ?",
				day.String(), millis(now), companyID, id); err != nil {
				return err
			}
			subject := id
			err = tx.AppendAudit(ctx, employeeChangeRecord(companyID, old, &e, now), &staffbot.AuditRecord{
				CompanyID: companyID, At: now, Action: "employee.dismiss_unlisted", ObjectType: "employee",
				ObjectID: fmt.Sprint(id), SubjectID: &subject,
				After: auditJSON(map[string]any{"missing_runs": runs, "confirmed": true}),
			})
			if err != nil {
				return err
			}
			done = append(done, id)
		}
		return nil
	})
	return done, err
}

func scanEmployeeTx(ctx context.Context, tx *Tx, companyID staffbot.CompanyID, id staffbot.EmployeeID) (*staffbot.Employee, error) {
	e, err := tx.s.scanEmployee(tx.queryRow(ctx, "SELECT "+employeeColumns+" FROM employees WHERE company_id = ? AND id = ?",
		companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("employee %d", id))
	}
	return e, nil
}

// prefixed puts a table alias before each column of a column list.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// scanWith scans a row's leading columns with a scanner function and the
// rest into extra.
type scanWith struct {
	rows  *sql.Rows
	extra []any
}

func (s scanWith) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.extra...)...) }
