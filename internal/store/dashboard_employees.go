package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/staffbot/staffbot"
)

// Bot statuses of an employee, for the cabinet's list filter.
const (
	BotRegistered = "registered" // has an account with consent
	BotInvited    = "invited"    // has an invite, no consented account yet
	BotNone       = "none"       // neither
	BotBlocked    = "blocked"    // every consented account blocked the bot
)

// EmployeeSearch narrows SearchEmployees. Zero fields do not narrow.
type EmployeeSearch struct {
	// Query matches a part of the full name or the personnel number. Names
	// are matched as typed, in lower case and capitalised, since SQLite
	// folds the case of Latin letters only.
	Query      string
	Department string
	Office     string
	Bot        string
	// Current keeps employees still on staff on Today; Dismissed the
	// others.
	Current   bool
	Dismissed bool
	Today     staffbot.Date

	Limit, Offset int
}

// escapeLike escapes LIKE's wildcards with '!'.
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// nameVariants returns q as typed, in lower case, and with every word
// capitalised, without repeats.
func nameVariants(q string) []string {
	lower := strings.ToLower(q)
	words := strings.Fields(lower)
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[size:]
	}
	title := strings.Join(words, " ")
	out := []string{q}
	for _, v := range []string{lower, title} {
		if !containsString(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// botCondition is the SQL keeping employees (table employees) with a bot
// status.
func botCondition(status string) string {
	consented := `EXISTS (SELECT 1 FROM channel_accounts a WHERE a.company_id = employees.company_id
		AND a.employee_id = employees.id AND a.consented_at IS NOT NULL`
	invited := `EXISTS (SELECT 1 FROM invites i WHERE i.company_id = employees.company_id AND i.employee_id = employees.id)`
	switch status {
	case BotRegistered:
		return " AND " + consented + " AND a.blocked = 0)"
	case BotInvited:
		return " AND NOT " + consented + ") AND " + invited
	case BotNone:
		return " AND NOT " + consented + ") AND NOT " + invited
	case BotBlocked:
		return " AND " + consented + " AND a.blocked = 1) AND NOT " + consented + " AND a.blocked = 0)"
	}
	return ""
}

// SearchEmployees lists the employees in the reader's scope that match the
// search, by full name, and counts all that match.
func (s *Store) SearchEmployees(ctx context.Context, companyID staffbot.CompanyID, sc EmployeeScope, q EmployeeSearch) ([]*staffbot.Employee, int, error) {
	base, args := scopedEmployees(companyID, sc)
	var b strings.Builder
	b.WriteString(base)
	if query := strings.TrimSpace(q.Query); query != "" {
		b.WriteString(" AND (personnel_number LIKE ? ESCAPE '!'")
		args = append(args, "%"+escapeLike(query)+"%")
		for _, v := range nameVariants(query) {
			b.WriteString(" OR full_name LIKE ? ESCAPE '!'")
			args = append(args, "%"+escapeLike(v)+"%")
		}
		b.WriteString(")")
	}
	if q.Department != "" {
		b.WriteString(" AND department = ?")
		args = append(args, q.Department)
	}
	if q.Office != "" {
		b.WriteString(" AND office = ?")
		args = append(args, q.Office)
	}
	switch {
	case q.Current && !q.Dismissed:
		b.WriteString(" AND (dismissed_on IS NULL OR dismissed_on > ?)")
		args = append(args, q.Today.String())
	case q.Dismissed && !q.Current:
		b.WriteString(" AND dismissed_on <= ?")
		args = append(args, q.Today.String())
	}
	b.WriteString(botCondition(q.Bot))

	var total int
	// The scoped query may start with a WITH clause, which PostgreSQL
	// and SQLite both accept inside a subquery.
	if err := s.queryRow(ctx, "SELECT count(*) FROM ("+b.String()+") x", args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count employees: %w", err)
	}
	b.WriteString(" ORDER BY full_name, personnel_number")
	if q.Limit > 0 {
		b.WriteString(fmt.Sprintf(" LIMIT %d OFFSET %d", q.Limit, max(q.Offset, 0)))
	}
	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("search employees: %w", err)
	}
	defer rows.Close()
	var out []*staffbot.Employee
	for rows.Next() {
		e, err := s.scanEmployee(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// BotAccount is one messenger account of an employee, as HR sees it: no
// messenger ids.
type BotAccount struct {
	Kind         staffbot.ChannelKind
	Blocked      bool
	ConsentedAt  *time.Time
	RegisteredAt time.Time
}

// BotStatus is an employee's standing with the bot.
type BotStatus struct {
	Accounts []BotAccount

	// The newest invite, if any.
	InvitedAt       *time.Time
	InviteExpiresAt *time.Time
	InviteUsedAt    *time.Time
	Invites         int

	// LastActiveOn is the last day the employee wrote to the bot.
	LastActiveOn string
}

// Status sums the accounts up as one of the Bot… constants.
func (b *BotStatus) Status() string {
	consented, open := false, false
	for _, a := range b.Accounts {
		if a.ConsentedAt != nil {
			consented = true
			if !a.Blocked {
				open = true
			}
		}
	}
	switch {
	case consented && !open:
		return BotBlocked
	case consented:
		return BotRegistered
	case b.Invites > 0:
		return BotInvited
	}
	return BotNone
}

// BotStatuses returns the bot status of each of the company's employees
// with the ids; every id gets one.
func (s *Store) BotStatuses(ctx context.Context, companyID staffbot.CompanyID, ids []staffbot.EmployeeID) (map[staffbot.EmployeeID]*BotStatus, error) {
	out := make(map[staffbot.EmployeeID]*BotStatus, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, companyID)
	for _, id := range ids {
		out[id] = &BotStatus{}
		args = append(args, id)
	}
	in := placeholders(len(ids))

	rows, err := s.query(ctx, `SELECT employee_id, kind, blocked, consented_at, registered_at FROM channel_accounts
		WHERE company_id = ? AND employee_id IN (`+in+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	for rows.Next() {
		var (
			id         staffbot.EmployeeID
			a          BotAccount
			kind       string
			blocked    int
			consented  sql.NullInt64
			registered int64
		)
		if err := rows.Scan(&id, &kind, &blocked, &consented, &registered); err != nil {
			rows.Close()
			return nil, err
		}
		a.Kind, a.Blocked = staffbot.ChannelKind(kind), blocked != 0
		a.ConsentedAt, a.RegisteredAt = fromNullMillis(consented), fromMillis(registered)
		out[id].Accounts = append(out[id].Accounts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = s.query(ctx, `SELECT employee_id, created_at, expires_at, used_at FROM invites
		WHERE company_id = ? AND employee_id IN (`+in+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find invites: %w", err)
	}
	for rows.Next() {
		var (
			id               staffbot.EmployeeID
			created, expires int64
			used             sql.NullInt64
		)
		if err := rows.Scan(&id, &created, &expires, &used); err != nil {
			rows.Close()
			return nil, err
		}
		st := out[id]
		st.Invites++
		c, e := fromMillis(created), fromMillis(expires)
		st.InvitedAt, st.InviteExpiresAt, st.InviteUsedAt = &c, &e, fromNullMillis(used)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = s.query(ctx, `SELECT employee_id, last_day FROM activity_state
		WHERE company_id = ? AND employee_id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("find activity: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id  staffbot.EmployeeID
			day string
		)
		if err := rows.Scan(&id, &day); err != nil {
			return nil, err
		}
		out[id].LastActiveOn = day
	}
	return out, rows.Err()
}
