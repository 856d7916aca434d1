package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/staffbot/staffbot"
)

// Connector is a company's accounting-system settings. Secret (the
// password or token) is sealed in the database and open here.
type Connector struct {
	ID        int64
	CompanyID staffbot.CompanyID

	Kind     string // "1c", "successfactors", "rest"
	URL      string
	Username string
	Secret   string
	Auth     string // "basic" or "bearer"
	Settings string // JSON, kind-specific and not secret

	// SyncEvery is the interval of the scheduled sync; 0 turns it off.
	SyncEvery  time.Duration
	NextSyncAt *time.Time
	Failures   int // failed syncs in a row

	// Policy is what a sync does with employees it no longer lists. It is
	// set with SetConnectorPolicy; SaveConnector keeps it.
	Policy ConnectorPolicy

	CreatedAt time.Time
	UpdatedAt time.Time
}

// ConnectorRun is one employee sync attempt as HR sees it.
type ConnectorRun struct {
	ID          int64
	CompanyID   staffbot.CompanyID
	ConnectorID int64
	TriggeredBy string // "schedule" or "manual"
	Status      string // "ok" or "failed"
	StartedAt   time.Time
	FinishedAt  time.Time

	Fetched, Created, Updated, Revoked, Unchanged, Skipped, Missing int

	// ErrorKind and Error say why a run failed, without personal data.
	ErrorKind string
	Error     string
}

// Run statuses.
const (
	ConnectorRunOK     = "ok"
	ConnectorRunFailed = "failed"
)

// ConnectorSchedule is when a connector syncs next, set with each run.
type ConnectorSchedule struct {
	NextSyncAt *time.Time
	Failures   int
}

const connectorColumns = `id, company_id, kind, url, username, secret_sealed, auth, settings,
	sync_interval_seconds, next_sync_at, failures, created_at, updated_at, dismiss_missing_after, max_missing_percent`

func (s *Store) scanConnector(row scanner) (*Connector, error) {
	var (
		c                Connector
		sealed           string
		every            int64
		next             sql.NullInt64
		created, updated int64
	)
	err := row.Scan(&c.ID, &c.CompanyID, &c.Kind, &c.URL, &c.Username, &sealed, &c.Auth, &c.Settings,
		&every, &next, &c.Failures, &created, &updated, &c.Policy.DismissAfter, &c.Policy.MaxMissingPercent)
	if err != nil {
		return nil, err
	}
	// Keys are cached; a scanner has no context of its own to pass.
	if c.Secret, err = s.OpenValue(context.Background(), c.CompanyID, fieldConnector, sealed); err != nil {
		return nil, fmt.Errorf("connector %d secret: %w", c.ID, err)
	}
	c.SyncEvery = time.Duration(every) * time.Second
	c.NextSyncAt = fromNullMillis(next)
	c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
	return &c, nil
}

// SaveConnector stores the company's connector, replacing the one it had,
// and schedules a first sync at now when scheduled syncs are on. It
// reports whether the connector is new. The connector's policy is kept
// (a new one gets the defaults) and read into c.Policy.
func (s *Store) SaveConnector(ctx context.Context, c *Connector, now time.Time) (created bool, err error) {
	if c.Settings == "" {
		c.Settings = "{}"
	}
	var next *time.Time
	if c.SyncEvery > 0 {
		next = &now
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT count(*) FROM connectors WHERE company_id = ?", c.CompanyID).Scan(&n); err != nil {
			return err
		}
		created = n == 0
		sealed, err := tx.SealValue(ctx, c.CompanyID, fieldConnector, c.Secret)
		if err != nil {
			return err
		}
		return tx.queryRow(ctx, `INSERT INTO connectors (company_id, kind, url, username, secret_sealed, auth, settings,
				sync_interval_seconds, next_sync_at, failures, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
			ON CONFLICT (company_id) DO UPDATE SET
				kind = excluded.kind, url = excluded.url, username = excluded.username,
				secret_sealed = excluded.secret_sealed, auth = excluded.auth, settings = excluded.settings,
				sync_interval_seconds = excluded.sync_interval_seconds, next_sync_at = excluded.next_sync_at,
				failures = 0, updated_at = excluded.updated_at
			RETURNING id, dismiss_missing_after, max_missing_percent`,
			c.CompanyID, c.Kind, c.URL, c.Username, sealed, c.Auth, c.Settings,
			int64(c.SyncEvery/time.Second), nullMillis(next), millis(now), millis(now),
		).Scan(&c.ID, &c.Policy.DismissAfter, &c.Policy.MaxMissingPercent)
	})
	if err != nil {
		return false, fmt.Errorf("save connector: %w", err)
	}
	c.NextSyncAt, c.Failures = next, 0
	return created, nil
}

// FindConnector returns the company's connector.
func (s *Store) FindConnector(ctx context.Context, companyID staffbot.CompanyID) (*Connector, error) {
	c, err := s.scanConnector(s.queryRow(ctx, "SELECT "+connectorColumns+" FROM connectors WHERE company_id = ?", companyID))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find connector of company %d", companyID))
	}
	return c, nil
}

// FindConnectors lists the connectors of every company, for the operator's
// overview; ordered by company.
func (s *Store) FindConnectors(ctx context.Context) ([]*Connector, error) {
	rows, err := s.query(ctx, "SELECT "+connectorColumns+" FROM connectors ORDER BY company_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Connector
	for rows.Next() {
		c, err := s.scanConnector(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ClaimDueConnectors returns up to limit connectors whose sync is due and
// moves their next sync lease ahead, so that another process does not take
// them meanwhile. The sync that follows sets the real next time.
func (s *Store) ClaimDueConnectors(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Connector, error) {
	var out []*Connector
	err := s.InTx(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.query(ctx, "SELECT "+connectorColumns+` FROM connectors
			WHERE next_sync_at IS NOT NULL AND next_sync_at <= ? ORDER BY next_sync_at LIMIT ?`+s.forUpdate(),
			millis(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			c, err := s.scanConnector(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		until := now.Add(lease)
		for _, c := range out {
			_, err := tx.exec(ctx, "UPDATE connectors SET next_sync_at = ? WHERE company_id = ? AND id = ?",
				millis(until), c.CompanyID, c.ID)
			if err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// RecordConnectorRun stores a run that wrote no employees (a failed one)
// and the connector's next sync.
func (s *Store) RecordConnectorRun(ctx context.Context, run *ConnectorRun, next ConnectorSchedule) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.recordRun(ctx, run, next) })
}

func (t *Tx) recordRun(ctx context.Context, run *ConnectorRun, next ConnectorSchedule) error {
	err := t.queryRow(ctx, `INSERT INTO connector_runs (company_id, connector_id, triggered_by, status, started_at,
			finished_at, fetched, created, updated, revoked, unchanged, skipped, missing, error_kind, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		run.CompanyID, run.ConnectorID, run.TriggeredBy, run.Status, millis(run.StartedAt), millis(run.FinishedAt),
		run.Fetched, run.Created, run.Updated, run.Revoked, run.Unchanged, run.Skipped, run.Missing,
		run.ErrorKind, run.Error,
	).Scan(&run.ID)
	if err != nil {
		return fmt.Errorf("record connector run: %w", err)
	}
	_, err = t.exec(ctx, "UPDATE connectors SET next_sync_at = ?, failures = ? WHERE company_id = ? AND id = ?",
		nullMillis(next.NextSyncAt), next.Failures, run.CompanyID, run.ConnectorID)
	if err != nil {
		return fmt.Errorf("schedule connector: %w", err)
	}
	return nil
}

// FindConnectorRuns returns the company's latest runs, newest first.
func (s *Store) FindConnectorRuns(ctx context.Context, companyID staffbot.CompanyID, limit int) ([]*ConnectorRun, error) {
	rows, err := s.query(ctx, `SELECT id, company_id, connector_id, triggered_by, status, started_at, finished_at,
			fetched, created, updated, revoked, unchanged, skipped, missing, error_kind, error
		FROM connector_runs WHERE company_id = ? ORDER BY id DESC LIMIT ?`, companyID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ConnectorRun
	for rows.Next() {
		var r ConnectorRun
		var started, finished int64
		err := rows.Scan(&r.ID, &r.CompanyID, &r.ConnectorID, &r.TriggeredBy, &r.Status, &started, &finished,
			&r.Fetched, &r.Created, &r.Updated, &r.Revoked, &r.Unchanged, &r.Skipped, &r.Missing, &r.ErrorKind, &r.Error)
		if err != nil {
			return nil, err
		}
		r.StartedAt, r.FinishedAt = fromMillis(started), fromMillis(finished)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// SyncEmployees applies an employee sync in one transaction: plan gets the
// company's current employees and which of them the connector listed
// before, and returns the rows to write (only those that change, each
// complete, managers and mentors by personnel number) and who was listed
// or not; then the listings, the audit records, the run and the
// connector's next sync are written in the same transaction. When plan
// fails nothing is written, the run included.
func (s *Store) SyncEmployees(
	ctx context.Context,
	companyID staffbot.CompanyID,
	plan func(existing []*staffbot.Employee, listings map[staffbot.EmployeeID]*Listing) (*SyncWrites, error),
	run *ConnectorRun,
	next ConnectorSchedule,
	now time.Time,
) error {
	return s.InTx(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, "SELECT "+employeeColumns+" FROM employees WHERE company_id = ?", companyID)
		if err != nil {
			return err
		}
		var existing []*staffbot.Employee
		for rows.Next() {
			e, err := s.scanEmployee(rows)
			if err != nil {
				rows.Close()
				return err
			}
			existing = append(existing, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		listings, err := tx.findListings(ctx, companyID)
		if err != nil {
			return err
		}

		sw, err := plan(existing, listings)
		if err != nil {
			return err
		}
		writes := sw.Employees

		ids := make(map[string]staffbot.EmployeeID, len(existing)+len(writes))
		old := make(map[string]*staffbot.Employee, len(existing))
		for _, e := range existing {
			ids[e.PersonnelNumber] = e.ID
			old[e.PersonnelNumber] = e
		}
		recs := make([]*staffbot.AuditRecord, 0, len(writes))
		for _, w := range writes {
			e := w.Employee
			id, err := tx.upsertEmployeeFields(ctx, companyID, &e, now)
			if err != nil {
				return fmt.Errorf("write employee %s: %w", e.PersonnelNumber, err)
			}
			ids[e.PersonnelNumber] = id
			e.ID = id
			if o := old[e.PersonnelNumber]; o != nil {
				e.ManagerID, e.MentorID = o.ManagerID, o.MentorID
			}
			// The sync's changes are in the audit log like an import's,
			// by the context's actor (the scheduler: the system).
			recs = append(recs, employeeChangeRecord(companyID, old[e.PersonnelNumber], &e, now))
		}
		if len(recs) > 0 {
			if err := tx.AppendAudit(ctx, recs...); err != nil {
				return err
			}
		}
		// Links last, since a manager may be created after a report.
		for _, w := range writes {
			number := w.Employee.PersonnelNumber
			manager, err := linkID(ids, w.ManagerNumber)
			if err != nil {
				return fmt.Errorf("employee %s manager: %w", number, err)
			}
			mentor, err := linkID(ids, w.MentorNumber)
			if err != nil {
				return fmt.Errorf("employee %s mentor: %w", number, err)
			}
			var oldManager, oldMentor *staffbot.EmployeeID
			if o := old[number]; o != nil {
				oldManager, oldMentor = o.ManagerID, o.MentorID
			}
			if sameLink(oldManager, manager) && sameLink(oldMentor, mentor) {
				continue
			}
			_, err = tx.exec(ctx, "UPDATE employees SET manager_id = ?, mentor_id = ? WHERE company_id = ? AND id = ?",
				nullID(manager), nullID(mentor), companyID, ids[number])
			if err != nil {
				return fmt.Errorf("link employee %s: %w", number, err)
			}
		}

		if err := tx.writeListings(ctx, companyID, sw, ids, listings, now); err != nil {
			return err
		}
		run.CompanyID = companyID
		return tx.recordRun(ctx, run, next)
	})
}
