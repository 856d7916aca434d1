package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/staffbot/staffbot"
)

// senderMemo is what FindSender learned about the employee an incoming
// event came from, kept with the transaction so that the handlers that
// run after it in the same transaction are spared a query each: whether
// the employee has a ticket being written, a scenario question waiting
// for an answer, a ticket open or waiting, a self-service request being
// asked, and the company's knowledge-base revision. It only ever spares a
// query whose answer it already holds; a write to a table it describes
// drops it (see Tx.forget).
type senderMemo struct {
	company  staffbot.CompanyID
	employee staffbot.EmployeeID
	account  int64

	// department and office of the employee, which outgoing messages to
	// the account are counted under.
	department, office string

	// activity is the employee's activity_state row (zero when there is
	// none), valid while hasActivity.
	activity    activityState
	hasActivity bool

	// pending says the fields below were read.
	pending      bool
	ticketDraft  bool // a row in ticket_drafts
	askingRun    bool // a scenario run in state asking
	activeTicket bool // a ticket in status new, open or waiting
	draftRequest bool // a service request in status draft
	kbRevision   int64
}

// activityState is a row of activity_state: when the employee was last
// counted active.
type activityState struct {
	day, week, month string
}

// senderColumns are those of channel_accounts a, employees e and
// activity_state s that FindSender reads.
var senderColumns = prefixColumns("a.", accountColumns) + ", " + prefixColumns("e.", employeeColumns) +
	", s.last_day, s.last_week, s.last_month"

// senderPending are the subqueries FindSender adds for a typed message.
const senderPending = `,
	EXISTS (SELECT 1 FROM ticket_drafts d WHERE d.company_id = a.company_id AND d.employee_id = a.employee_id),
	EXISTS (SELECT 1 FROM scenario_runs r WHERE r.company_id = a.company_id AND r.employee_id = a.employee_id
		AND r.state = 'asking'),
	EXISTS (SELECT 1 FROM tickets t WHERE t.company_id = a.company_id AND t.employee_id = a.employee_id
		AND t.status IN ('new', 'open', 'waiting')),
	EXISTS (SELECT 1 FROM service_requests q WHERE q.company_id = a.company_id AND q.employee_id = a.employee_id
		AND q.status = 'draft'),
	(SELECT f.kb_revision FROM faq_settings f WHERE f.company_id = a.company_id)`

const senderFrom = `
	FROM channel_accounts a
	JOIN employees e ON e.company_id = a.company_id AND e.id = a.employee_id
	LEFT JOIN activity_state s ON s.company_id = a.company_id AND s.employee_id = a.employee_id
	WHERE a.company_id = ? AND a.kind = ? AND a.external_id = ?`

// The two queries of FindSender.
var (
	senderQuery      = "SELECT " + senderColumns + senderFrom
	senderTypedQuery = "SELECT " + senderColumns + senderPending + senderFrom
)

// FindSender returns the messenger account an incoming event came from and
// its employee, as FindAccount and FindEmployeeByID would, in one query.
// The transaction keeps what else the query read for the handlers after
// it: the employee's activity for RecordActivity, and, for a typed message
// (typed), whether the employee has anything under way that the helpdesk,
// a scenario or the self-service catalogue would look for, and the
// company's knowledge-base revision.
func (t *Tx) FindSender(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, externalID string, typed bool) (*staffbot.ChannelAccount, *staffbot.Employee, error) {
	q := senderQuery
	if typed {
		q = senderTypedQuery
	}

	var (
		ar            accountRow
		er            employeeRow
		day, wk, mo   sql.NullString
		m             senderMemo
		kbRev         sql.NullInt64
		dest          = append(append(ar.dest(), er.dest()...), &day, &wk, &mo)
		pendingFields = []any{&m.ticketDraft, &m.askingRun, &m.activeTicket, &m.draftRequest, &kbRev}
	)
	if typed {
		dest = append(dest, pendingFields...)
	}
	if err := t.queryRow(ctx, q, companyID, string(kind), externalID).Scan(dest...); err != nil {
		return nil, nil, notFound(err, "find account")
	}
	acct := ar.account()
	emp, err := t.s.employeeFrom(&er)
	if err != nil {
		return nil, nil, err
	}

	m.company, m.employee, m.account = companyID, emp.ID, acct.ID
	m.department, m.office = emp.Department, emp.Office
	m.activity = activityState{day.String, wk.String, mo.String}
	m.hasActivity = true
	m.pending = typed
	m.kbRevision = kbRev.Int64
	t.memo = &m
	return acct, emp, nil
}

// memoOf returns the transaction's memo when it describes the employee.
func (t *Tx) memoOf(companyID staffbot.CompanyID, employeeID staffbot.EmployeeID) *senderMemo {
	if m := t.memo; m != nil && m.company == companyID && m.employee == employeeID {
		return m
	}
	return nil
}

// pendingOf returns the transaction's memo when it holds what the employee
// has under way.
func (t *Tx) pendingOf(companyID staffbot.CompanyID, employeeID staffbot.EmployeeID) *senderMemo {
	if m := t.memoOf(companyID, employeeID); m != nil && m.pending {
		return m
	}
	return nil
}

// forget drops what the memo holds once the transaction runs a statement
// that may change it: any write except to the tables the memo does not
// describe and that nothing cascades from. It is called before every
// statement of the transaction.
func (t *Tx) forget(query string) {
	if t.memo == nil {
		return
	}
	if query == seenOutboxInsert {
		return
	}
	table, write := writeTarget(query)
	if !write {
		return
	}
	switch table {
	case "inbound_updates", "outbox", "dash_counts":
	case "activity_state":
		t.memo.hasActivity = false
	default:
		t.memo = nil
	}
}

// writeTarget returns the table an INSERT, UPDATE or DELETE writes, and
// whether the statement may write at all: a SELECT does not; any other
// statement may write anything, and its table is "".
func writeTarget(query string) (string, bool) {
	verb, rest := nextWord(query)
	var table string
	switch strings.ToUpper(verb) {
	case "SELECT", "":
		return "", false
	case "INSERT", "DELETE":
		if into, rest := nextWord(rest); strings.EqualFold(into, "INTO") || strings.EqualFold(into, "FROM") {
			table, _ = nextWord(rest)
		}
	case "UPDATE":
		table, _ = nextWord(rest)
	}
	table, _, _ = strings.Cut(table, "(")
	return strings.ToLower(table), true
}

// nextWord splits off the first word of s, skipping white space before it.
func nextWord(s string) (string, string) {
	s = strings.TrimLeft(s, " \t\r\n")
	if i := strings.IndexAny(s, " \t\r\n"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// prefixColumns qualifies each column of a comma-separated list.
func prefixColumns(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// allActive reports whether every status is one FindSender's memo covers:
// new, open or waiting.
func allActive(statuses []TicketStatus) bool {
	for _, s := range statuses {
		if !s.Active() {
			return false
		}
	}
	return len(statuses) > 0
}
