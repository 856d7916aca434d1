package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// fieldServiceNote is bound into sealed notes of request events.
const fieldServiceNote = "service_request_note"

func init() {
	sealedColumns = append(sealedColumns,
		sealedColumn{"service_request_events", "note_sealed", fieldServiceNote, "company_id"})
	childTables = append(childTables, struct{ table, column, parent string }{
		"service_request_events", "request_id", "service_requests"})
}

// serviceRequestColumnsOf is serviceRequestColumns with each column
// prefixed by the table alias p ("r.").
func serviceRequestColumnsOf(p string) string {
	cols := strings.Split(serviceRequestColumns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// Queue views of ServiceQueueFilter.Status beyond the statuses
// themselves.
const (
	ServiceQueueOpen = "open" // new or in progress: HR owes the employee something
	ServiceQueueAll  = "all"  // every status but drafts
)

// ServiceQueueFilter picks the requests the cabinet lists. Zero fields do
// not narrow.
type ServiceQueueFilter struct {
	// Scope keeps requests of employees the reader may see.
	Scope EmployeeScope

	// Status is a request status, ServiceQueueOpen or ServiceQueueAll
	// (the default); drafts are never listed.
	Status string

	// Fulfilment is FulfilHR or FulfilAuto; empty lists both.
	Fulfilment string

	Service string

	// Overdue keeps requests HR still has after their due time, Now.
	Overdue bool
	Now     time.Time

	// ID picks one request; BeforeID pages back: smaller ids only.
	ID       int64
	BeforeID int64

	Limit int // default 100
}

// FindServiceQueue returns the company's requests that the filter picks,
// newest first, with the employee's name.
func (s *Store) FindServiceQueue(ctx context.Context, companyID staffbot.CompanyID, f ServiceQueueFilter) ([]*ServiceRequest, error) {
	with, scope, withArgs, scopeArgs := scopeSQL(companyID, f.Scope)
	var b strings.Builder
	args := withArgs
	b.WriteString(with + "SELECT " + serviceRequestColumnsOf("r.") + `, e.full_name
		FROM service_requests r JOIN employees e ON e.company_id = r.company_id AND e.id = r.employee_id
		WHERE r.company_id = ? AND r.status <> 'draft'` + scope)
	args = append(args, companyID)
	args = append(args, scopeArgs...)
	add := func(cond string, a ...any) {
		b.WriteString(" AND " + cond)
		args = append(args, a...)
	}
	switch f.Status {
	case "", ServiceQueueAll:
	case ServiceQueueOpen:
		add("r.status IN ('new', 'in_progress')")
	default:
		add("r.status = ?", f.Status)
	}
	if f.Fulfilment != "" {
		add("r.fulfilment = ?", f.Fulfilment)
	}
	if f.Service != "" {
		add("r.service_key = ?", f.Service)
	}
	if f.Overdue {
		add("r.fulfilment = 'hr' AND r.status IN ('new', 'in_progress') AND r.due_at < ?", millis(f.Now))
	}
	if f.ID != 0 {
		add("r.id = ?", f.ID)
	}
	if f.BeforeID != 0 {
		add("r.id < ?", f.BeforeID)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	b.WriteString(" ORDER BY r.id DESC LIMIT ?")
	args = append(args, f.Limit)

	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("find service queue: %w", err)
	}
	defer rows.Close()
	var out []*ServiceRequest
	for rows.Next() {
		r, err := s.scanServiceRequestAs(ctx, rows, true)
		if err != nil {
			return nil, fmt.Errorf("find service queue: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindServiceRequestInScope returns a request of the company whose
// employee the scope allows; anything else, another company's request
// included, wraps ErrNotFound. Drafts are not found.
func (s *Store) FindServiceRequestInScope(ctx context.Context, companyID staffbot.CompanyID, sc EmployeeScope, id int64) (*ServiceRequest, error) {
	list, err := s.FindServiceQueue(ctx, companyID, ServiceQueueFilter{Scope: sc, ID: id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("find service request %d: %w", id, staffbot.ErrNotFound)
	}
	return list[0], nil
}

// ServiceQueueCounts counts a company's requests waiting for HR in the
// scope: all of them, and those past their due time at now.
func (s *Store) ServiceQueueCounts(ctx context.Context, companyID staffbot.CompanyID, sc EmployeeScope, now time.Time) (open, overdue int64, err error) {
	with, scope, withArgs, scopeArgs := scopeSQL(companyID, sc)
	args := append(withArgs, millis(now), companyID)
	args = append(args, scopeArgs...)
	err = s.queryRow(ctx, with+`SELECT count(*), coalesce(sum(CASE WHEN r.due_at < ? THEN 1 ELSE 0 END), 0)
		FROM service_requests r JOIN employees e ON e.company_id = r.company_id AND e.id = r.employee_id
		WHERE r.company_id = ? AND r.fulfilment = 'hr' AND r.status IN ('new', 'in_progress')`+scope, args...).
		Scan(&open, &overdue)
	if err != nil {
		return 0, 0, fmt.Errorf("count service queue: %w", err)
	}
	return open, overdue, nil
}

// Kinds of ServiceRequestEvent.
const (
	ServiceEventQueued   = "queued"   // the checks passed; HR has it, with its deadline
	ServiceEventTaken    = "taken"    // an HR person took it
	ServiceEventReady    = "ready"    // the employee was told it is ready (a paper original)
	ServiceEventFile     = "file"     // the document went to the employee by a secure link
	ServiceEventDone     = "done"     // closed as done
	ServiceEventRejected = "rejected" // declined, with the reason told to the employee
	ServiceEventWarned   = "warned"   // HR was reminded that the deadline is today
)

// ServiceRequestEvent is one step of a request in HR's hands.
type ServiceRequestEvent struct {
	ID         int64
	CompanyID  staffbot.CompanyID
	RequestID  int64
	EmployeeID staffbot.EmployeeID
	Kind       string

	// ActorKind and ActorID are an audit actor (user, system, cli).
	ActorKind string
	ActorID   string

	// Note is HR's note or the reason told to the employee; sealed at
	// rest.
	Note string

	At time.Time
}

// AddServiceRequestEvent records a step of a request.
func (t *Tx) AddServiceRequestEvent(ctx context.Context, e *ServiceRequestEvent) error {
	note, err := t.SealValue(ctx, e.CompanyID, fieldServiceNote, e.Note)
	if err != nil {
		return fmt.Errorf("add service request event: %w", err)
	}
	err = t.queryRow(ctx, `INSERT INTO service_request_events (company_id, request_id, employee_id, kind, actor_kind,
			actor_id, note_sealed, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.CompanyID, e.RequestID, e.EmployeeID, e.Kind, e.ActorKind, e.ActorID, note, millis(e.At)).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("add service request event: %w", err)
	}
	return nil
}

// FindServiceRequestEvents returns a request's steps in order.
func (s *Store) FindServiceRequestEvents(ctx context.Context, companyID staffbot.CompanyID, requestID int64) ([]*ServiceRequestEvent, error) {
	rows, err := s.query(ctx, `SELECT id, company_id, request_id, employee_id, kind, actor_kind, actor_id, note_sealed, at
		FROM service_request_events WHERE company_id = ? AND request_id = ? ORDER BY id`, companyID, requestID)
	if err != nil {
		return nil, fmt.Errorf("find service request events: %w", err)
	}
	defer rows.Close()
	var out []*ServiceRequestEvent
	for rows.Next() {
		var (
			e    ServiceRequestEvent
			note string
			at   int64
		)
		if err := rows.Scan(&e.ID, &e.CompanyID, &e.RequestID, &e.EmployeeID, &e.Kind, &e.ActorKind, &e.ActorID, &note, &at); err != nil {
			return nil, err
		}
		if e.Note, err = s.OpenValue(ctx, e.CompanyID, fieldServiceNote, note); err != nil {
			return nil, fmt.Errorf("service request %d event note: %w", requestID, err)
		}
		e.At = fromMillis(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// ServiceRequestRef names a request of some company.
type ServiceRequestRef struct {
	CompanyID staffbot.CompanyID
	ID        int64
}

// FindServiceRequestsToWarn returns up to limit requests, in every
// company, that HR still has and whose reminder time has come without a
// reminder, oldest first.
func (s *Store) FindServiceRequestsToWarn(ctx context.Context, now time.Time, limit int) ([]ServiceRequestRef, error) {
	return s.serviceRefs(ctx, `SELECT company_id, id FROM service_requests
		WHERE warn_at <= ? AND warned_at IS NULL AND fulfilment = 'hr' AND status IN ('new', 'in_progress')
		ORDER BY warn_at, id LIMIT ?`, millis(now), limit)
}

// FindServiceRequestsWithoutDue returns up to limit requests, in every
// company, that HR has but that have no deadline worked out: those that
// reached HR before deadlines were kept.
func (s *Store) FindServiceRequestsWithoutDue(ctx context.Context, afterID int64, limit int) ([]ServiceRequestRef, error) {
	return s.serviceRefs(ctx, `SELECT company_id, id FROM service_requests
		WHERE due_at IS NULL AND fulfilment = 'hr' AND status IN ('new', 'in_progress') AND id > ?
		ORDER BY id LIMIT ?`, afterID, limit)
}

func (s *Store) serviceRefs(ctx context.Context, q string, args ...any) ([]ServiceRequestRef, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find service requests: %w", err)
	}
	defer rows.Close()
	var out []ServiceRequestRef
	for rows.Next() {
		var r ServiceRequestRef
		if err := rows.Scan(&r.CompanyID, &r.ID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
