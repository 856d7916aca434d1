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

// Statuses of a self-service request. A request is a draft while the bot
// asks its questions and submitted until the accounting system has been
// asked live about the employee. A request the system fulfils then goes
// in progress and closed; one for HR goes new (in HR's queue), in progress
// once an HR person takes it, ready when the employee has been told it is
// done, and closed at the end, whatever the outcome.
const (
	ServiceRequestDraft      = "draft"
	ServiceRequestSubmitted  = "submitted"
	ServiceRequestNew        = "new"
	ServiceRequestInProgress = "in_progress"
	ServiceRequestReady      = "ready"
	ServiceRequestClosed     = "closed"
)

// Who fulfils a submitted request.
const (
	FulfilAuto = "auto" // the accounting system, through the connector
	FulfilHR   = "hr"   // an HR person, as a task
)

// fieldServiceAnswers is bound into sealed answers.
const fieldServiceAnswers = "service_answers"

func init() {
	sealedColumns = append(sealedColumns,
		sealedColumn{"service_requests", "answers_sealed", fieldServiceAnswers, "company_id"})
	employeeTables = append(employeeTables, EmployeeTable{"service_requests", "employee_id"})
}

// ServiceRequest is one employee's request for a self-service catalogue
// entry. It records that the request happened and how it ended, never what
// the accounting system answered. Answers are what the employee told the
// bot (a month, a purpose); they are sealed in the database.
type ServiceRequest struct {
	ID         int64
	CompanyID  staffbot.CompanyID
	EmployeeID staffbot.EmployeeID

	// AccountID is the messenger account the request came from; replies
	// go there.
	AccountID *int64

	ServiceKey string
	Fulfilment string // FulfilAuto or FulfilHR, set on submission
	Status     string
	Outcome    string // why it closed: "delivered", "refused_dismissed" …
	Lang       string // "ru" or "en"

	// Step is the question being asked; InvalidAnswers counts answers in
	// a row that did not fit it.
	Step           int
	InvalidAnswers int
	Answers        map[string]string

	// Error is a connector error as HR may see it; Attempts counts
	// fulfilment attempts, LeaseUntil guards the one under way.
	Error      string
	Attempts   int
	LeaseUntil *time.Time

	CreatedAt   time.Time
	UpdatedAt   time.Time
	SubmittedAt *time.Time
	ReadyAt     *time.Time
	ClosedAt    *time.Time

	// DueAt is when HR must have the request ready by law (the end of its
	// last working day), nil when no deadline applies; WarnAt is when HR
	// is reminded while it is not ready, WarnedAt when that happened.
	DueAt    *time.Time
	WarnAt   *time.Time
	WarnedAt *time.Time

	// TakenBy is the cabinet user who took the request.
	TakenBy *UserID

	// EmployeeName is filled by the queue queries.
	EmployeeName string
}

// Overdue reports whether HR still has the request after its due time.
func (r *ServiceRequest) Overdue(now time.Time) bool {
	return r.DueAt != nil && r.WithHR() && now.After(*r.DueAt)
}

// WithHR reports whether the request waits for HR: in its queue, new or
// taken.
func (r *ServiceRequest) WithHR() bool {
	return r.Fulfilment == FulfilHR && (r.Status == ServiceRequestNew || r.Status == ServiceRequestInProgress)
}

const serviceRequestColumns = `id, company_id, employee_id, account_id, service_key, fulfilment, status, outcome, lang,
	step, invalid_answers, answers_sealed, error, attempts, lease_until, created_at, updated_at, submitted_at,
	ready_at, closed_at, due_at, warn_at, warned_at, taken_by`

func (s *Store) scanServiceRequest(ctx context.Context, row scanner) (*ServiceRequest, error) {
	return s.scanServiceRequestAs(ctx, row, false)
}

// scanServiceRequestAs scans serviceRequestColumns and, withName, the
// employee's full name after them.
func (s *Store) scanServiceRequestAs(ctx context.Context, row scanner, withName bool) (*ServiceRequest, error) {
	var (
		r                         ServiceRequest
		acct                      sql.NullInt64
		sealed                    string
		lease, sub, ready, closed sql.NullInt64
		due, warn, warned, taken  sql.NullInt64
		created, updated          int64
	)
	dest := []any{&r.ID, &r.CompanyID, &r.EmployeeID, &acct, &r.ServiceKey, &r.Fulfilment, &r.Status, &r.Outcome,
		&r.Lang, &r.Step, &r.InvalidAnswers, &sealed, &r.Error, &r.Attempts, &lease, &created, &updated, &sub,
		&ready, &closed, &due, &warn, &warned, &taken}
	if withName {
		dest = append(dest, &r.EmployeeName)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	r.DueAt, r.WarnAt, r.WarnedAt = fromNullMillis(due), fromNullMillis(warn), fromNullMillis(warned)
	if taken.Valid {
		u := UserID(taken.Int64)
		r.TakenBy = &u
	}
	if acct.Valid {
		id := acct.Int64
		r.AccountID = &id
	}
	r.LeaseUntil, r.SubmittedAt, r.ReadyAt, r.ClosedAt = fromNullMillis(lease), fromNullMillis(sub),
		fromNullMillis(ready), fromNullMillis(closed)
	r.CreatedAt, r.UpdatedAt = fromMillis(created), fromMillis(updated)

	plain, err := s.OpenValue(ctx, r.CompanyID, fieldServiceAnswers, sealed)
	if err != nil {
		return nil, fmt.Errorf("service request %d answers: %w", r.ID, err)
	}
	r.Answers = map[string]string{}
	if plain != "" {
		if err := json.Unmarshal([]byte(plain), &r.Answers); err != nil {
			return nil, fmt.Errorf("service request %d answers: %w", r.ID, err)
		}
	}
	return &r, nil
}

func (t *Tx) sealAnswers(ctx context.Context, companyID staffbot.CompanyID, answers map[string]string) (string, error) {
	if len(answers) == 0 {
		return "", nil
	}
	b, err := json.Marshal(answers)
	if err != nil {
		return "", err
	}
	return t.SealValue(ctx, companyID, fieldServiceAnswers, string(b))
}

// CreateServiceRequest saves a new request and sets r.ID.
func (t *Tx) CreateServiceRequest(ctx context.Context, r *ServiceRequest) error {
	sealed, err := t.sealAnswers(ctx, r.CompanyID, r.Answers)
	if err != nil {
		return fmt.Errorf("create service request: %w", err)
	}
	if r.Lang == "" {
		r.Lang = "ru"
	}
	var acct sql.NullInt64
	if r.AccountID != nil {
		acct = sql.NullInt64{Int64: *r.AccountID, Valid: true}
	}
	err = t.queryRow(ctx, `INSERT INTO service_requests (company_id, employee_id, account_id, service_key, fulfilment,
			status, outcome, lang, step, invalid_answers, answers_sealed, error, attempts, lease_until, created_at,
			updated_at, submitted_at, ready_at, closed_at, due_at, warn_at, warned_at, taken_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.CompanyID, r.EmployeeID, acct, r.ServiceKey, r.Fulfilment, r.Status, r.Outcome, r.Lang, r.Step,
		r.InvalidAnswers, sealed, r.Error, r.Attempts, nullMillis(r.LeaseUntil), millis(r.CreatedAt),
		millis(r.UpdatedAt), nullMillis(r.SubmittedAt), nullMillis(r.ReadyAt), nullMillis(r.ClosedAt),
		nullMillis(r.DueAt), nullMillis(r.WarnAt), nullMillis(r.WarnedAt), nullUser(r.TakenBy),
	).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("create service request: %w", err)
	}
	return nil
}

// UpdateServiceRequest saves what may change in a request: its status,
// outcome, step, answers, error, attempts, lease, times, deadline and
// who took it.
func (t *Tx) UpdateServiceRequest(ctx context.Context, r *ServiceRequest) error {
	sealed, err := t.sealAnswers(ctx, r.CompanyID, r.Answers)
	if err != nil {
		return fmt.Errorf("update service request %d: %w", r.ID, err)
	}
	res, err := t.exec(ctx, `UPDATE service_requests SET fulfilment = ?, status = ?, outcome = ?, step = ?,
			invalid_answers = ?, answers_sealed = ?, error = ?, attempts = ?, lease_until = ?, updated_at = ?,
			submitted_at = ?, ready_at = ?, closed_at = ?, due_at = ?, warn_at = ?, warned_at = ?, taken_by = ?
		WHERE company_id = ? AND id = ?`,
		r.Fulfilment, r.Status, r.Outcome, r.Step, r.InvalidAnswers, sealed, r.Error, r.Attempts,
		nullMillis(r.LeaseUntil), millis(r.UpdatedAt), nullMillis(r.SubmittedAt), nullMillis(r.ReadyAt),
		nullMillis(r.ClosedAt), nullMillis(r.DueAt), nullMillis(r.WarnAt), nullMillis(r.WarnedAt), nullUser(r.TakenBy),
		r.CompanyID, r.ID)
	if err != nil {
		return fmt.Errorf("update service request %d: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update service request %d: %w", r.ID, errNotFound)
	}
	return nil
}

// FindServiceRequest returns a request of the company, locked on
// PostgreSQL until the transaction ends.
func (t *Tx) FindServiceRequest(ctx context.Context, companyID staffbot.CompanyID, id int64) (*ServiceRequest, error) {
	r, err := t.s.scanServiceRequest(ctx, t.queryRow(ctx, "SELECT "+serviceRequestColumns+
		" FROM service_requests WHERE company_id = ? AND id = ?"+t.s.forUpdate(), companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find service request %d", id))
	}
	return r, nil
}

// FindServiceRequest returns a request of the company.
func (s *Store) FindServiceRequest(ctx context.Context, companyID staffbot.CompanyID, id int64) (*ServiceRequest, error) {
	r, err := s.scanServiceRequest(ctx, s.queryRow(ctx, "SELECT "+serviceRequestColumns+
		" FROM service_requests WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find service request %d", id))
	}
	return r, nil
}

// FindDraftServiceRequest returns the employee's latest request still
// being asked, locked on PostgreSQL until the transaction ends.
func (t *Tx) FindDraftServiceRequest(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID) (*ServiceRequest, error) {
	if m := t.pendingOf(companyID, employeeID); m != nil && !m.draftRequest {
		return nil, notFound(sql.ErrNoRows, "find draft service request")
	}
	r, err := t.s.scanServiceRequest(ctx, t.queryRow(ctx, "SELECT "+serviceRequestColumns+
		` FROM service_requests WHERE company_id = ? AND employee_id = ? AND status = 'draft'
		ORDER BY id DESC LIMIT 1`+t.s.forUpdate(), companyID, employeeID))
	if err != nil {
		return nil, notFound(err, "find draft service request")
	}
	return r, nil
}

// CloseServiceDrafts closes the employee's requests still being asked, as
// abandoned, and wipes their answers; a new request replaces them.
func (t *Tx) CloseServiceDrafts(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, now time.Time) (int, error) {
	res, err := t.exec(ctx, `UPDATE service_requests SET status = 'closed', outcome = 'abandoned', answers_sealed = '',
			updated_at = ?, closed_at = ?
		WHERE company_id = ? AND employee_id = ? AND status = 'draft'`,
		millis(now), millis(now), companyID, employeeID)
	if err != nil {
		return 0, fmt.Errorf("close service drafts: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ExpireServiceDrafts closes, in every company, the drafts last touched
// before before, as abandoned, and wipes their answers.
func (s *Store) ExpireServiceDrafts(ctx context.Context, before, now time.Time) (int, error) {
	var n int64
	err := s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE service_requests SET status = 'closed', outcome = 'abandoned',
				answers_sealed = '', updated_at = ?, closed_at = ?
			WHERE status = 'draft' AND updated_at < ?`, millis(now), millis(now), millis(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("expire service drafts: %w", err)
	}
	return int(n), nil
}

// ServiceRequestFilter narrows FindServiceRequests. Zero fields do not
// filter.
type ServiceRequestFilter struct {
	Status     string
	Fulfilment string
	EmployeeID staffbot.EmployeeID
	Limit      int // default 100
}

// FindServiceRequests lists a company's requests, newest first.
func (s *Store) FindServiceRequests(ctx context.Context, companyID staffbot.CompanyID, f ServiceRequestFilter) ([]*ServiceRequest, error) {
	q := "SELECT " + serviceRequestColumns + " FROM service_requests WHERE company_id = ?"
	args := []any{companyID}
	if f.Status != "" {
		q += " AND status = ?"
		args = append(args, f.Status)
	}
	if f.Fulfilment != "" {
		q += " AND fulfilment = ?"
		args = append(args, f.Fulfilment)
	}
	if f.EmployeeID != 0 {
		q += " AND employee_id = ?"
		args = append(args, f.EmployeeID)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)

	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find service requests: %w", err)
	}
	defer rows.Close()
	var out []*ServiceRequest
	for rows.Next() {
		r, err := s.scanServiceRequest(ctx, rows)
		if err != nil {
			return nil, fmt.Errorf("find service requests: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ClaimServiceRequests leases up to limit submitted requests, in every
// company, oldest first, for the live check and, for those the accounting
// system fulfils, the fulfilment: the submitted ones, and those whose
// lease ran out (the process working on them died). Claimed requests are
// in progress; each claim counts as an attempt.
func (s *Store) ClaimServiceRequests(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*ServiceRequest, error) {
	// A read first, so that an idle poll takes no write lock.
	var one int
	err := s.queryRow(ctx, `SELECT 1 FROM service_requests
		WHERE status = 'submitted' OR (status = 'in_progress' AND lease_until < ?) LIMIT 1`,
		millis(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim service requests: %w", err)
	}

	skipLocked := ""
	if s.dialect == Postgres {
		skipLocked = " FOR UPDATE SKIP LOCKED"
	}
	var out []*ServiceRequest
	err = s.InTx(ctx, func(tx *Tx) error {
		out = out[:0]
		rows, err := tx.query(ctx, `SELECT company_id, id FROM service_requests
			WHERE status = 'submitted' OR (status = 'in_progress' AND lease_until < ?)
			ORDER BY id LIMIT ?`+skipLocked, millis(now), limit)
		if err != nil {
			return err
		}
		type key struct {
			companyID staffbot.CompanyID
			id        int64
		}
		var keys []key
		for rows.Next() {
			var k key
			if err := rows.Scan(&k.companyID, &k.id); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}

		for _, k := range keys {
			_, err := tx.exec(ctx, `UPDATE service_requests SET status = 'in_progress', lease_until = ?,
					attempts = attempts + 1, updated_at = ?
				WHERE company_id = ? AND id = ?`, millis(now.Add(lease)), millis(now), k.companyID, k.id)
			if err != nil {
				return err
			}
			r, err := tx.FindServiceRequest(ctx, k.companyID, k.id)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim service requests: %w", err)
	}
	return out, nil
}

// CatalogOverride is a company's change to one service of the default
// catalogue. Empty fields keep the default.
type CatalogOverride struct {
	CompanyID  staffbot.CompanyID
	ServiceKey string

	// Enabled turns the service on or off; nil keeps the default.
	Enabled *bool

	TitleRU string
	TitleEN string

	// Departments limits who may order the service to employees of these
	// departments; empty means every active employee.
	Departments []string

	// ChatChannels are the channels on which a class B answer may be shown
	// in the chat instead of behind a secure link.
	ChatChannels []staffbot.ChannelKind

	UpdatedAt time.Time
}

const catalogOverrideColumns = `company_id, service_key, enabled, title_ru, title_en, departments, chat_channels, updated_at`

func scanCatalogOverride(row scanner) (*CatalogOverride, error) {
	var (
		o             CatalogOverride
		enabled       sql.NullInt64
		depts, chans  string
		updatedMillis int64
	)
	if err := row.Scan(&o.CompanyID, &o.ServiceKey, &enabled, &o.TitleRU, &o.TitleEN, &depts, &chans, &updatedMillis); err != nil {
		return nil, err
	}
	if enabled.Valid {
		on := enabled.Int64 != 0
		o.Enabled = &on
	}
	if depts != "" {
		if err := json.Unmarshal([]byte(depts), &o.Departments); err != nil {
			return nil, fmt.Errorf("catalog override %s departments: %w", o.ServiceKey, err)
		}
	}
	for _, c := range strings.Split(chans, ",") {
		if c = strings.TrimSpace(c); c != "" {
			o.ChatChannels = append(o.ChatChannels, staffbot.ChannelKind(c))
		}
	}
	o.UpdatedAt = fromMillis(updatedMillis)
	return &o, nil
}

// FindCatalogOverrides returns the company's changes to the catalogue.
func (t *Tx) FindCatalogOverrides(ctx context.Context, companyID staffbot.CompanyID) ([]*CatalogOverride, error) {
	rows, err := t.query(ctx, "SELECT "+catalogOverrideColumns+
		" FROM catalog_overrides WHERE company_id = ? ORDER BY service_key", companyID)
	if err != nil {
		return nil, fmt.Errorf("find catalog overrides: %w", err)
	}
	return collectOverrides(rows)
}

// FindCatalogOverrides returns the company's changes to the catalogue.
func (s *Store) FindCatalogOverrides(ctx context.Context, companyID staffbot.CompanyID) ([]*CatalogOverride, error) {
	rows, err := s.query(ctx, "SELECT "+catalogOverrideColumns+
		" FROM catalog_overrides WHERE company_id = ? ORDER BY service_key", companyID)
	if err != nil {
		return nil, fmt.Errorf("find catalog overrides: %w", err)
	}
	return collectOverrides(rows)
}

func collectOverrides(rows *sql.Rows) ([]*CatalogOverride, error) {
	defer rows.Close()
	var out []*CatalogOverride
	for rows.Next() {
		o, err := scanCatalogOverride(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// SaveCatalogOverride stores a company's change to one service, replacing
// the one it had.
func (t *Tx) SaveCatalogOverride(ctx context.Context, o *CatalogOverride, now time.Time) error {
	var enabled sql.NullInt64
	if o.Enabled != nil {
		enabled = sql.NullInt64{Valid: true}
		if *o.Enabled {
			enabled.Int64 = 1
		}
	}
	depts := ""
	if len(o.Departments) > 0 {
		b, err := json.Marshal(o.Departments)
		if err != nil {
			return err
		}
		depts = string(b)
	}
	chans := make([]string, len(o.ChatChannels))
	for i, c := range o.ChatChannels {
		chans[i] = string(c)
	}
	_, err := t.exec(ctx, `INSERT INTO catalog_overrides (company_id, service_key, enabled, title_ru, title_en,
			departments, chat_channels, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (company_id, service_key) DO UPDATE SET
			enabled = excluded.enabled, title_ru = excluded.title_ru, title_en = excluded.title_en,
			departments = excluded.departments, chat_channels = excluded.chat_channels,
			updated_at = excluded.updated_at`,
		o.CompanyID, o.ServiceKey, enabled, o.TitleRU, o.TitleEN, depts, strings.Join(chans, ","), millis(now))
	if err != nil {
		return fmt.Errorf("save catalog override %s: %w", o.ServiceKey, err)
	}
	o.UpdatedAt = now
	return nil
}
