package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// Fields bound into the helpdesk's sealed values.
const (
	fieldTicketSubject = "ticket_subject"
	fieldTicketMessage = "ticket_message"
	fieldTicketComment = "ticket_rating_comment"
	fieldTicketFileRef = "ticket_file_ref"
	fieldTicketFile    = "ticket_file_name"
	fieldTicketData    = "ticket_file_data"
	fieldDraftText     = "ticket_draft_text"
	fieldDraftFiles    = "ticket_draft_files"
)

func init() {
	sealedColumns = append(sealedColumns,
		sealedColumn{"tickets", "subject_sealed", fieldTicketSubject, "company_id"},
		sealedColumn{"tickets", "rating_comment_sealed", fieldTicketComment, "company_id"},
		sealedColumn{"ticket_messages", "body_sealed", fieldTicketMessage, "company_id"},
		sealedColumn{"ticket_attachments", "file_ref_sealed", fieldTicketFileRef, "company_id"},
		sealedColumn{"ticket_attachments", "name_sealed", fieldTicketFile, "company_id"},
		sealedColumn{"ticket_attachments", "data_sealed", fieldTicketData, "company_id"},
		sealedColumn{"ticket_drafts", "text_sealed", fieldDraftText, "company_id"},
		sealedColumn{"ticket_drafts", "files_sealed", fieldDraftFiles, "company_id"},
	)
}

// TicketStatus is where a ticket is in its life: new → open → waiting for
// the employee → resolved → closed. A reply from the employee brings a
// waiting or resolved ticket back to open.
type TicketStatus string

// The ticket statuses.
const (
	TicketNew      TicketStatus = "new"
	TicketOpen     TicketStatus = "open"
	TicketWaiting  TicketStatus = "waiting"
	TicketResolved TicketStatus = "resolved"
	TicketClosed   TicketStatus = "closed"
)

// TicketStatuses lists the statuses in their order.
var TicketStatuses = []TicketStatus{TicketNew, TicketOpen, TicketWaiting, TicketResolved, TicketClosed}

// ParseTicketStatus checks a status name.
func ParseTicketStatus(s string) (TicketStatus, error) {
	for _, st := range TicketStatuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("ticket status %q: %w", s, staffbot.ErrInvalid)
}

// Active reports whether HR still owes the ticket something.
func (s TicketStatus) Active() bool {
	return s == TicketNew || s == TicketOpen || s == TicketWaiting
}

// Ticket is one request of an employee to HR ("обращение").
type Ticket struct {
	ID        int64
	CompanyID staffbot.CompanyID

	// Number is the ticket's number within the company, shown to the
	// employee as №12.
	Number int64

	EmployeeID staffbot.EmployeeID
	CategoryID int64
	Subject    string // the first line of the request; sealed at rest
	Status     TicketStatus

	// Source is how the ticket came: "chat", "faq" (a question the bot
	// could not answer), "api".
	Source string

	// Channel and AccountID are the messenger account the employee wrote
	// from; replies go there.
	Channel   staffbot.ChannelKind
	AccountID *int64

	AssigneeID *UserID

	// LastSeq is the seq of the newest message.
	LastSeq int64

	HRRequestID *int64
	KBSlug      string // a knowledge-base article linked to the ticket

	CreatedAt time.Time
	UpdatedAt time.Time

	// SLA: when the first reply came and was due, when the resolution is
	// due (moved on by the time spent paused), and when each ran out.
	FirstResponseAt         *time.Time
	FirstResponseDueAt      *time.Time
	ResolutionDueAt         *time.Time
	PausedSince             *time.Time
	FirstResponseBreachedAt *time.Time
	ResolutionBreachedAt    *time.Time

	ResolvedAt *time.Time
	ClosedAt   *time.Time

	// FirstResponseSecs and ResolutionSecs are the working time, in
	// seconds on the company's calendar, from creation to the first reply
	// and to the resolution; set with FirstResponseAt and ResolvedAt.
	FirstResponseSecs *int64
	ResolutionSecs    *int64

	Rating        *int
	RatingComment string
	RatedAt       *time.Time

	// EmployeeName is filled by the list queries.
	EmployeeName string
}

// Escalated reports whether an SLA timer of the ticket ran out.
func (t *Ticket) Escalated() bool {
	return t.FirstResponseBreachedAt != nil || t.ResolutionBreachedAt != nil
}

// Ticket message kinds.
const (
	MessageEmployee = "employee" // from the employee, in the chat
	MessageReply    = "reply"    // from HR, sent to the employee
	MessageNote     = "note"     // an internal note, never shown to the employee
	MessageEvent    = "event"    // a change of status, assignee, escalation
)

// TicketMessage is one entry of a ticket's conversation. Seq orders them
// without gaps or repeats.
type TicketMessage struct {
	ID        int64
	CompanyID staffbot.CompanyID
	TicketID  int64
	Seq       int64
	Kind      string

	// AuthorKind is an audit actor kind (employee, user, api_token,
	// system) and AuthorID its id.
	AuthorKind string
	AuthorID   string

	Body string // sealed at rest

	// IdemKey, when set, makes a retried write of the same message land
	// once: the second write finds the first.
	IdemKey string

	CreatedAt time.Time
}

// Internal reports whether the employee never sees the message.
func (m *TicketMessage) Internal() bool { return m.Kind == MessageNote || m.Kind == MessageEvent }

const ticketColumns = `t.id, t.company_id, t.number, t.employee_id, t.category_id, t.subject_sealed, t.status, t.source,
	t.channel, t.account_id, t.assignee_id, t.last_seq, t.hr_request_id, t.kb_slug, t.created_at, t.updated_at,
	t.first_response_at, t.first_response_due_at, t.resolution_due_at, t.paused_since, t.first_response_breached_at,
	t.resolution_breached_at, t.resolved_at, t.closed_at, t.rating, t.rating_comment_sealed, t.rated_at,
	t.first_response_secs, t.resolution_secs, e.full_name`

const ticketFrom = ` FROM tickets t JOIN employees e ON e.company_id = t.company_id AND e.id = t.employee_id`

func (s *Store) scanTicket(row scanner) (*Ticket, error) {
	var (
		t                                 Ticket
		subject, comment, channel         string
		account, assignee, hrReq, rating  sql.NullInt64
		created, updated                  int64
		frAt, frDue, resDue, paused       sql.NullInt64
		frBreach, resBreach, res, cl, rat sql.NullInt64
		frSecs, resSecs                   sql.NullInt64
	)
	err := row.Scan(&t.ID, &t.CompanyID, &t.Number, &t.EmployeeID, &t.CategoryID, &subject, &t.Status, &t.Source,
		&channel, &account, &assignee, &t.LastSeq, &hrReq, &t.KBSlug, &created, &updated,
		&frAt, &frDue, &resDue, &paused, &frBreach, &resBreach, &res, &cl, &rating, &comment, &rat,
		&frSecs, &resSecs, &t.EmployeeName)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if t.Subject, err = s.OpenValue(ctx, t.CompanyID, fieldTicketSubject, subject); err != nil {
		return nil, fmt.Errorf("ticket %d subject: %w", t.ID, err)
	}
	if t.RatingComment, err = s.OpenValue(ctx, t.CompanyID, fieldTicketComment, comment); err != nil {
		return nil, fmt.Errorf("ticket %d comment: %w", t.ID, err)
	}
	t.Channel = staffbot.ChannelKind(channel)
	if account.Valid {
		t.AccountID = &account.Int64
	}
	if assignee.Valid {
		u := UserID(assignee.Int64)
		t.AssigneeID = &u
	}
	if hrReq.Valid {
		t.HRRequestID = &hrReq.Int64
	}
	if rating.Valid {
		n := int(rating.Int64)
		t.Rating = &n
	}
	if frSecs.Valid {
		t.FirstResponseSecs = &frSecs.Int64
	}
	if resSecs.Valid {
		t.ResolutionSecs = &resSecs.Int64
	}
	t.CreatedAt, t.UpdatedAt = fromMillis(created), fromMillis(updated)
	t.FirstResponseAt, t.FirstResponseDueAt = fromNullMillis(frAt), fromNullMillis(frDue)
	t.ResolutionDueAt, t.PausedSince = fromNullMillis(resDue), fromNullMillis(paused)
	t.FirstResponseBreachedAt, t.ResolutionBreachedAt = fromNullMillis(frBreach), fromNullMillis(resBreach)
	t.ResolvedAt, t.ClosedAt, t.RatedAt = fromNullMillis(res), fromNullMillis(cl), fromNullMillis(rat)
	return &t, nil
}

// NextTicketNumber takes the company's next ticket number.
func (t *Tx) NextTicketNumber(ctx context.Context, companyID staffbot.CompanyID) (int64, error) {
	if err := t.ensureHelpdeskSettings(ctx, companyID); err != nil {
		return 0, err
	}
	var n int64
	err := t.queryRow(ctx, "UPDATE helpdesk_settings SET last_number = last_number + 1 WHERE company_id = ? RETURNING last_number",
		companyID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("number ticket: %w", err)
	}
	return n, nil
}

// CreateTicket adds a ticket, numbering it when Number is zero. Its
// messages are added with AppendTicketMessage.
func (t *Tx) CreateTicket(ctx context.Context, tk *Ticket) error {
	if tk.Number == 0 {
		n, err := t.NextTicketNumber(ctx, tk.CompanyID)
		if err != nil {
			return err
		}
		tk.Number = n
	}
	subject, err := t.SealValue(ctx, tk.CompanyID, fieldTicketSubject, tk.Subject)
	if err != nil {
		return err
	}
	if tk.Source == "" {
		tk.Source = "chat"
	}
	tk.UpdatedAt = tk.CreatedAt
	loc, err := t.companyLocation(ctx, tk.CompanyID)
	if err != nil {
		return err
	}
	err = t.queryRow(ctx, `INSERT INTO tickets (company_id, number, employee_id, category_id, subject_sealed, status, source,
			channel, account_id, assignee_id, hr_request_id, created_at, updated_at, first_response_due_at, resolution_due_at,
			created_day)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		tk.CompanyID, tk.Number, tk.EmployeeID, tk.CategoryID, subject, string(tk.Status), tk.Source,
		string(tk.Channel), nullInt64(tk.AccountID), nullUser(tk.AssigneeID), nullInt64(tk.HRRequestID),
		millis(tk.CreatedAt), millis(tk.UpdatedAt), nullMillis(tk.FirstResponseDueAt), nullMillis(tk.ResolutionDueAt),
		localDay(tk.CreatedAt, loc),
	).Scan(&tk.ID)
	if err != nil {
		return fmt.Errorf("create ticket: %w", err)
	}
	return nil
}

// UpdateTicket writes the ticket's changeable fields: status, category,
// assignee, timers, rating, linked article. Messages are not touched.
func (t *Tx) UpdateTicket(ctx context.Context, tk *Ticket) error {
	comment, err := t.SealValue(ctx, tk.CompanyID, fieldTicketComment, tk.RatingComment)
	if err != nil {
		return err
	}
	var rating sql.NullInt64
	if tk.Rating != nil {
		rating = sql.NullInt64{Int64: int64(*tk.Rating), Valid: true}
	}
	loc, err := t.companyLocation(ctx, tk.CompanyID)
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE tickets SET status = ?, category_id = ?, assignee_id = ?, kb_slug = ?, updated_at = ?,
			first_response_at = ?, first_response_due_at = ?, resolution_due_at = ?, paused_since = ?,
			first_response_breached_at = ?, resolution_breached_at = ?, resolved_at = ?, closed_at = ?,
			rating = ?, rating_comment_sealed = ?, rated_at = ?, first_response_secs = ?, resolution_secs = ?,
			first_response_day = ?, resolved_day = ?
		WHERE company_id = ? AND id = ?`,
		string(tk.Status), tk.CategoryID, nullUser(tk.AssigneeID), tk.KBSlug, millis(tk.UpdatedAt),
		nullMillis(tk.FirstResponseAt), nullMillis(tk.FirstResponseDueAt), nullMillis(tk.ResolutionDueAt),
		nullMillis(tk.PausedSince), nullMillis(tk.FirstResponseBreachedAt), nullMillis(tk.ResolutionBreachedAt),
		nullMillis(tk.ResolvedAt), nullMillis(tk.ClosedAt), rating, comment, nullMillis(tk.RatedAt),
		nullInt64(tk.FirstResponseSecs), nullInt64(tk.ResolutionSecs),
		nullLocalDay(tk.FirstResponseAt, loc), nullLocalDay(tk.ResolvedAt, loc), tk.CompanyID, tk.ID)
	if err != nil {
		return fmt.Errorf("update ticket %d: %w", tk.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("ticket %d: %w", tk.ID, staffbot.ErrNotFound)
	}
	return nil
}

// LockTicket reads a ticket of the company and holds its row until the
// transaction ends, so that changes to one ticket happen one at a time
// across processes.
func (t *Tx) LockTicket(ctx context.Context, companyID staffbot.CompanyID, id int64) (*Ticket, error) {
	// PostgreSQL cannot lock the nullable side of the join; lock the
	// ticket row alone first.
	if t.s.dialect == Postgres {
		var one int
		err := t.queryRow(ctx, "SELECT 1 FROM tickets WHERE company_id = ? AND id = ? FOR UPDATE", companyID, id).Scan(&one)
		if err != nil {
			return nil, notFound(err, fmt.Sprintf("lock ticket %d", id))
		}
	}
	return t.FindTicket(ctx, companyID, id)
}

// FindTicket returns a ticket of the company.
func (t *Tx) FindTicket(ctx context.Context, companyID staffbot.CompanyID, id int64) (*Ticket, error) {
	tk, err := t.s.scanTicket(t.queryRow(ctx, "SELECT "+ticketColumns+ticketFrom+" WHERE t.company_id = ? AND t.id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find ticket %d", id))
	}
	return tk, nil
}

// FindTicket returns a ticket of the company.
func (s *Store) FindTicket(ctx context.Context, companyID staffbot.CompanyID, id int64) (*Ticket, error) {
	tk, err := s.scanTicket(s.queryRow(ctx, "SELECT "+ticketColumns+ticketFrom+" WHERE t.company_id = ? AND t.id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find ticket %d", id))
	}
	return tk, nil
}

// FindTicketInScope returns a ticket whose employee the scope allows.
func (s *Store) FindTicketInScope(ctx context.Context, companyID staffbot.CompanyID, sc EmployeeScope, id int64) (*Ticket, error) {
	list, err := s.FindTickets(ctx, companyID, TicketFilter{Scope: sc, ID: id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("find ticket %d: %w", id, staffbot.ErrNotFound)
	}
	return list[0], nil
}

// TicketLastSeq returns the seq of the ticket's newest message and when
// the ticket last changed: the cheap question a live view asks often.
func (s *Store) TicketLastSeq(ctx context.Context, companyID staffbot.CompanyID, id int64) (int64, time.Time, error) {
	var seq, updated int64
	err := s.queryRow(ctx, "SELECT last_seq, updated_at FROM tickets WHERE company_id = ? AND id = ?", companyID, id).Scan(&seq, &updated)
	if err != nil {
		return 0, time.Time{}, notFound(err, fmt.Sprintf("ticket %d", id))
	}
	return seq, fromMillis(updated), nil
}

// TicketsVersion returns a value that changes whenever a ticket of the
// company is added, removed or given a message (every change of a ticket
// adds one, events included), whatever the clock says.
func (s *Store) TicketsVersion(ctx context.Context, companyID staffbot.CompanyID) (string, error) {
	var (
		n        int64
		seq, upd sql.NullInt64
	)
	err := s.queryRow(ctx, "SELECT count(*), sum(last_seq), max(updated_at) FROM tickets WHERE company_id = ?", companyID).
		Scan(&n, &seq, &upd)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d:%d:%d", n, seq.Int64, upd.Int64), nil
}

// TicketFilter picks tickets for a queue. Zero fields do not narrow.
type TicketFilter struct {
	ID         int64
	Statuses   []TicketStatus
	CategoryID int64
	AssigneeID *UserID
	Unassigned bool
	EmployeeID staffbot.EmployeeID
	Escalated  bool

	// Search matches the ticket number or the employee's name or
	// personnel number. Subjects are sealed and searched by the caller.
	Search string

	Scope EmployeeScope

	// BeforeID pages backwards: tickets with smaller ids, newest first.
	BeforeID int64
	Limit    int
}

// FindTickets returns the company's tickets that the filter picks, newest
// first, with the employee's name.
func (s *Store) FindTickets(ctx context.Context, companyID staffbot.CompanyID, f TicketFilter) ([]*Ticket, error) {
	var (
		b    strings.Builder
		args []any
	)
	if f.Scope.TeamOf != nil {
		b.WriteString(`WITH RECURSIVE team (id) AS (
			SELECT id FROM employees WHERE company_id = ? AND manager_id = ?
			UNION
			SELECT e.id FROM employees e JOIN team ON e.manager_id = team.id WHERE e.company_id = ?
		) `)
		args = append(args, companyID, *f.Scope.TeamOf, companyID)
	}
	b.WriteString("SELECT " + ticketColumns + ticketFrom + " WHERE t.company_id = ?")
	args = append(args, companyID)
	add := func(cond string, a ...any) {
		b.WriteString(" AND " + cond)
		args = append(args, a...)
	}
	if f.Scope.TeamOf != nil {
		add("e.id IN (SELECT id FROM team)")
	}
	if len(f.Scope.Departments) > 0 {
		add("e.department IN ("+placeholders(len(f.Scope.Departments))+")", anys(f.Scope.Departments)...)
	}
	if len(f.Scope.Offices) > 0 {
		add("e.office IN ("+placeholders(len(f.Scope.Offices))+")", anys(f.Scope.Offices)...)
	}
	if f.ID != 0 {
		add("t.id = ?", f.ID)
	}
	if len(f.Statuses) > 0 {
		st := make([]string, len(f.Statuses))
		for i, x := range f.Statuses {
			st[i] = string(x)
		}
		add("t.status IN ("+placeholders(len(st))+")", anys(st)...)
	}
	if f.CategoryID != 0 {
		add("t.category_id = ?", f.CategoryID)
	}
	if f.AssigneeID != nil {
		add("t.assignee_id = ?", int64(*f.AssigneeID))
	}
	if f.Unassigned {
		add("t.assignee_id IS NULL")
	}
	if f.EmployeeID != 0 {
		add("t.employee_id = ?", f.EmployeeID)
	}
	if f.Escalated {
		add("(t.first_response_breached_at IS NOT NULL OR t.resolution_breached_at IS NOT NULL)")
	}
	if q := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f.Search), "№")); q != "" {
		q = strings.TrimPrefix(q, "#")
		if n, err := strconv.ParseInt(q, 10, 64); err == nil {
			add("(t.number = ? OR e.personnel_number = ?)", n, q)
		} else {
			like := "%" + strings.ToLower(q) + "%"
			add("(lower(e.full_name) LIKE ? OR lower(e.personnel_number) LIKE ?)", like, like)
		}
	}
	if f.BeforeID > 0 {
		add("t.id < ?", f.BeforeID)
	}
	b.WriteString(" ORDER BY t.id DESC")
	if f.Limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, f.Limit)
	}

	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("find tickets: %w", err)
	}
	defer rows.Close()
	var out []*Ticket
	for rows.Next() {
		tk, err := s.scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tk)
	}
	return out, rows.Err()
}

// FindLatestTicketOfEmployee returns the employee's most recently changed
// ticket in one of the statuses.
func (t *Tx) FindLatestTicketOfEmployee(
	ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, statuses ...TicketStatus,
) (*Ticket, error) {
	if m := t.pendingOf(companyID, employeeID); m != nil && !m.activeTicket && allActive(statuses) {
		return nil, notFound(sql.ErrNoRows, "find ticket of employee")
	}
	st := make([]any, len(statuses))
	for i, x := range statuses {
		st[i] = string(x)
	}
	args := append([]any{companyID, employeeID}, st...)
	tk, err := t.s.scanTicket(t.queryRow(ctx, "SELECT "+ticketColumns+ticketFrom+
		" WHERE t.company_id = ? AND t.employee_id = ? AND t.status IN ("+placeholders(len(st))+")"+
		" ORDER BY t.updated_at DESC, t.id DESC LIMIT 1", args...))
	if err != nil {
		return nil, notFound(err, "find ticket of employee")
	}
	return tk, nil
}

// FindTicketsOfEmployee returns the employee's newest tickets.
func (t *Tx) FindTicketsOfEmployee(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, limit int) ([]*Ticket, error) {
	rows, err := t.query(ctx, "SELECT "+ticketColumns+ticketFrom+
		" WHERE t.company_id = ? AND t.employee_id = ? ORDER BY t.id DESC LIMIT ?", companyID, employeeID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Ticket
	for rows.Next() {
		tk, err := t.s.scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tk)
	}
	return out, rows.Err()
}

// AppendTicketMessage adds a message at the end of a ticket's
// conversation. The ticket's counter is raised in the same statement that
// takes its row lock, so concurrent writers, in this process or another,
// get distinct consecutive seqs in the order they commit. A message whose
// IdemKey the ticket has seen already is not added again: m becomes the
// stored one and dup is true.
func (t *Tx) AppendTicketMessage(ctx context.Context, m *TicketMessage) (dup bool, err error) {
	if m.IdemKey != "" {
		prev, err := t.s.scanTicketMessage(t.queryRow(ctx, "SELECT "+messageColumns+
			" FROM ticket_messages WHERE company_id = ? AND ticket_id = ? AND idem_key = ?", m.CompanyID, m.TicketID, m.IdemKey))
		if err == nil {
			*m = *prev
			return true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, err
		}
	}
	body, err := t.SealValue(ctx, m.CompanyID, fieldTicketMessage, m.Body)
	if err != nil {
		return false, err
	}
	err = t.queryRow(ctx, "UPDATE tickets SET last_seq = last_seq + 1, updated_at = ? WHERE company_id = ? AND id = ? RETURNING last_seq",
		millis(m.CreatedAt), m.CompanyID, m.TicketID).Scan(&m.Seq)
	if err != nil {
		return false, notFound(err, fmt.Sprintf("ticket %d", m.TicketID))
	}
	var idem sql.NullString
	if m.IdemKey != "" {
		idem = sql.NullString{String: m.IdemKey, Valid: true}
	}
	err = t.queryRow(ctx, `INSERT INTO ticket_messages (company_id, ticket_id, seq, kind, author_kind, author_id, body_sealed, idem_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.CompanyID, m.TicketID, m.Seq, m.Kind, m.AuthorKind, m.AuthorID, body, idem, millis(m.CreatedAt)).Scan(&m.ID)
	if err != nil {
		return false, fmt.Errorf("add message to ticket %d: %w", m.TicketID, err)
	}
	return false, nil
}

const messageColumns = "id, company_id, ticket_id, seq, kind, author_kind, author_id, body_sealed, idem_key, created_at"

func (s *Store) scanTicketMessage(row scanner) (*TicketMessage, error) {
	var (
		m       TicketMessage
		body    string
		idem    sql.NullString
		created int64
	)
	if err := row.Scan(&m.ID, &m.CompanyID, &m.TicketID, &m.Seq, &m.Kind, &m.AuthorKind, &m.AuthorID, &body, &idem, &created); err != nil {
		return nil, err
	}
	var err error
	if m.Body, err = s.OpenValue(context.Background(), m.CompanyID, fieldTicketMessage, body); err != nil {
		return nil, fmt.Errorf("ticket message %d: %w", m.ID, err)
	}
	m.IdemKey = idem.String
	m.CreatedAt = fromMillis(created)
	return &m, nil
}

// FindTicketMessages returns a ticket's messages after seq afterSeq, in
// order; without internal, notes and events are left out.
func (s *Store) FindTicketMessages(
	ctx context.Context, companyID staffbot.CompanyID, ticketID, afterSeq int64, internal bool,
) ([]*TicketMessage, error) {
	q := "SELECT " + messageColumns + " FROM ticket_messages WHERE company_id = ? AND ticket_id = ? AND seq > ?"
	if !internal {
		q += " AND kind IN ('employee', 'reply')"
	}
	rows, err := s.query(ctx, q+" ORDER BY seq", companyID, ticketID, afterSeq)
	if err != nil {
		return nil, fmt.Errorf("find messages of ticket %d: %w", ticketID, err)
	}
	defer rows.Close()
	var out []*TicketMessage
	for rows.Next() {
		m, err := s.scanTicketMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// FirstEmployeeMessage returns the text the ticket was opened with.
func (s *Store) FirstEmployeeMessage(ctx context.Context, companyID staffbot.CompanyID, ticketID int64) (*TicketMessage, error) {
	m, err := s.scanTicketMessage(s.queryRow(ctx, "SELECT "+messageColumns+
		" FROM ticket_messages WHERE company_id = ? AND ticket_id = ? AND kind = 'employee' ORDER BY seq LIMIT 1", companyID, ticketID))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("first message of ticket %d", ticketID))
	}
	return m, nil
}

// CountActiveTickets returns how many active tickets each of the users
// has assigned.
func (t *Tx) CountActiveTickets(ctx context.Context, companyID staffbot.CompanyID) (map[UserID]int, error) {
	rows, err := t.query(ctx, `SELECT assignee_id, count(*) FROM tickets WHERE company_id = ? AND assignee_id IS NOT NULL
		AND status IN ('new', 'open', 'waiting') GROUP BY assignee_id`, companyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[UserID]int{}
	for rows.Next() {
		var (
			id UserID
			n  int
		)
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// TicketRef names a ticket that a timer has come for.
type TicketRef struct {
	CompanyID staffbot.CompanyID
	ID        int64
}

// FindTicketsDue returns tickets whose first-response or resolution timer
// ran out without being marked, and resolved or waiting tickets silent
// past their company's auto-close period, at most limit of each.
func (s *Store) FindTicketsDue(ctx context.Context, now time.Time, limit int) (breached, closing []TicketRef, err error) {
	ms := millis(now)
	breached, err = s.ticketRefs(ctx, `SELECT company_id, id FROM tickets WHERE status IN ('new', 'open')
		AND ((first_response_due_at <= ? AND first_response_at IS NULL AND first_response_breached_at IS NULL)
		  OR (resolution_due_at <= ? AND resolution_breached_at IS NULL))
		ORDER BY id LIMIT ?`, ms, ms, limit)
	if err != nil {
		return nil, nil, err
	}
	closing, err = s.ticketRefs(ctx, `SELECT t.company_id, t.id FROM tickets t
		JOIN helpdesk_settings h ON h.company_id = t.company_id
		WHERE t.status IN ('resolved', 'waiting') AND h.auto_close_days > 0 AND t.updated_at + h.auto_close_days * 86400000 <= ?
		ORDER BY t.id LIMIT ?`, ms, limit)
	return breached, closing, err
}

func (s *Store) ticketRefs(ctx context.Context, q string, args ...any) ([]TicketRef, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TicketRef
	for rows.Next() {
		var r TicketRef
		if err := rows.Scan(&r.CompanyID, &r.ID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func nullInt64(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

func nullUser(p *UserID) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*p), Valid: true}
}

func anys[T any](list []T) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}

// localDay is the day of an instant in the zone, as days since 1 January
// 1970: what the dashboards group tickets by.
func localDay(t time.Time, loc *time.Location) int64 { return dayNumber(staffbot.DateOf(t.In(loc))) }

func nullLocalDay(t *time.Time, loc *time.Location) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: localDay(*t, loc), Valid: true}
}
