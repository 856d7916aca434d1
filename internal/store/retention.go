package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/secret"
)

// Retention defaults. Six months of audit log is the product's promise;
// 30 days after dismissal matches 152-FZ art. 21's deadline for destroying
// data whose purpose is achieved (DOMAIN.md §5.6).
const (
	DefaultAuditDays          = 183
	DefaultAnonymizeAfterDays = 30
)

// Retention is how long a company keeps what ages out.
type Retention struct {
	// AuditDays is how long audit records are kept.
	AuditDays int
	// AnonymizeAfterDays is how long after the dismissal date an
	// employee's name, contacts and messenger accounts are kept.
	AnonymizeAfterDays int
}

// DefaultRetention is what a company has until it sets its own.
var DefaultRetention = Retention{AuditDays: DefaultAuditDays, AnonymizeAfterDays: DefaultAnonymizeAfterDays}

// FindRetention returns the company's retention settings, or the
// defaults.
func (s *Store) FindRetention(ctx context.Context, companyID staffbot.CompanyID) (Retention, error) {
	r := DefaultRetention
	err := s.queryRow(ctx, "SELECT audit_days, anonymize_after_days FROM retention_settings WHERE company_id = ?", companyID).
		Scan(&r.AuditDays, &r.AnonymizeAfterDays)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultRetention, nil
	}
	return r, err
}

// SetRetention changes the company's retention settings. The audit log is
// kept at least 30 days; anonymisation may be set to the dismissal day
// itself (0).
func (s *Store) SetRetention(ctx context.Context, companyID staffbot.CompanyID, r Retention, now time.Time) error {
	if r.AuditDays < 30 || r.AuditDays > 3650 {
		return fmt.Errorf("audit retention %d days: use 30 to 3650: %w", r.AuditDays, staffbot.ErrInvalid)
	}
	if r.AnonymizeAfterDays < 0 || r.AnonymizeAfterDays > 3650 {
		return fmt.Errorf("anonymisation after %d days: use 0 to 3650: %w", r.AnonymizeAfterDays, staffbot.ErrInvalid)
	}
	old, err := s.FindRetention(ctx, companyID)
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO retention_settings (company_id, audit_days, anonymize_after_days, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (company_id) DO UPDATE SET audit_days = excluded.audit_days,
			anonymize_after_days = excluded.anonymize_after_days, updated_at = excluded.updated_at`,
			companyID, r.AuditDays, r.AnonymizeAfterDays, millis(now))
		if err != nil {
			return fmt.Errorf("save retention: %w", err)
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: companyID, At: now, Action: "retention.update", ObjectType: "company", ObjectID: fmt.Sprint(companyID),
			Before: auditJSON(map[string]any{"audit_days": old.AuditDays, "anonymize_after_days": old.AnonymizeAfterDays}),
			After:  auditJSON(map[string]any{"audit_days": r.AuditDays, "anonymize_after_days": r.AnonymizeAfterDays}),
		})
	})
}

// FindEmployeesToAnonymize lists the company's employees whose data is
// due for anonymisation: dismissed on or before the given day, or who
// withdrew their consent, and not anonymised yet.
func (s *Store) FindEmployeesToAnonymize(ctx context.Context, companyID staffbot.CompanyID, dismissedBy staffbot.Date) ([]staffbot.EmployeeID, error) {
	rows, err := s.query(ctx, `SELECT id FROM employees WHERE company_id = ? AND anonymized_at IS NULL
		AND ((dismissed_on IS NOT NULL AND dismissed_on <= ?)
			OR id IN (SELECT employee_id FROM consents WHERE company_id = ? AND withdrawn_at IS NOT NULL))
		ORDER BY id`, companyID, dismissedBy.String(), companyID)
	if err != nil {
		return nil, fmt.Errorf("find employees to anonymise: %w", err)
	}
	defer rows.Close()
	var out []staffbot.EmployeeID
	for rows.Next() {
		var id staffbot.EmployeeID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// WithdrawConsent records that the employee withdrew every consent they
// gave. The records stay, with the time of withdrawal, as proof of both.
func (t *Tx) WithdrawConsent(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, now time.Time) error {
	res, err := t.exec(ctx, "UPDATE consents SET withdrawn_at = ? WHERE company_id = ? AND employee_id = ? AND withdrawn_at IS NULL",
		millis(now), companyID, employeeID)
	if err != nil {
		return fmt.Errorf("withdraw consent: %w", err)
	}
	n, _ := res.RowsAffected()
	return t.AppendAudit(ctx, &staffbot.AuditRecord{
		CompanyID: companyID, At: now, Action: "consent.withdraw", ObjectType: "employee", ObjectID: fmt.Sprint(employeeID),
		After: auditJSON(map[string]any{"consents": n}),
	})
}

// AnonymizeReport is the machine-readable act of one anonymisation or
// erasure: what categories of data were destroyed and how many records.
type AnonymizeReport struct {
	EmployeeID staffbot.EmployeeID `json:"employee_id"`
	Reason     string              `json:"reason"`
	Categories []string            `json:"categories"`

	Accounts             int `json:"messenger_accounts"`
	Invites              int `json:"invites"`
	Messages             int `json:"messages_deleted"`
	RegistrationFailures int `json:"registration_failures"`
	Runs                 int `json:"runs"`
	Answers              int `json:"answers_scrubbed"`
	Tasks                int `json:"tasks"`
	Mentions             int `json:"mentions_scrubbed"`
	Consents             int `json:"consents"`
	AuditRedacted        int `json:"audit_records_redacted"`

	// Already is set when the employee had been anonymised before.
	Already bool `json:"already,omitempty"`
}

// Reasons for anonymisation.
const (
	ReasonDismissed        = "dismissed"
	ReasonConsentWithdrawn = "consent_withdrawn"
	ReasonRequest          = "request"
)

// AnonymizeEmployee replaces an employee's name, personnel number,
// contacts and custom fields, removes their messenger accounts, invites and
// the messages sent to them, stops their scenario runs and keeps their
// answers only with their name, phone and e-mail cut out; tasks and
// messages to others that name them lose the name. Consent records stay.
// Audit records about them lose their details, and an employee.anonymize
// record, with no personal data, says what was done and why.
func (t *Tx) AnonymizeEmployee(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, reason string, now time.Time) (*AnonymizeReport, error) {
	rep := &AnonymizeReport{EmployeeID: employeeID, Reason: reason}
	var anonymized sql.NullInt64
	err := t.queryRow(ctx, "SELECT anonymized_at FROM employees WHERE company_id = ? AND id = ?"+t.s.forUpdate(),
		companyID, employeeID).Scan(&anonymized)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find employee %d", employeeID))
	}
	if anonymized.Valid {
		rep.Already = true
		return rep, nil
	}
	e, err := t.FindEmployeeByID(ctx, companyID, employeeID)
	if err != nil {
		return nil, err
	}
	if err := t.forgetEmployeeTraces(ctx, e, rep, now); err != nil {
		return nil, err
	}

	// Runs stay for HR's statistics, stopped and with their texts cleaned.
	own := ownScrubber(e)
	runs, err := t.idsWhere(ctx, "SELECT id FROM scenario_runs WHERE company_id = ? AND employee_id = ? ORDER BY id",
		companyID, employeeID)
	if err != nil {
		return nil, err
	}
	for _, runID := range runs {
		n, err := t.scrubRun(ctx, companyID, runID, own, now)
		if err != nil {
			return nil, err
		}
		rep.Runs++
		rep.Answers += n
	}
	res, err := t.exec(ctx, "UPDATE tasks SET status = 'done', done_at = ? WHERE company_id = ? AND subject_id = ? AND status = 'open'",
		millis(now), companyID, employeeID)
	if err != nil {
		return nil, fmt.Errorf("close tasks: %w", err)
	}
	n, _ := res.RowsAffected()
	rep.Tasks = int(n)
	if err := t.queryRow(ctx, "SELECT count(*) FROM consents WHERE company_id = ? AND employee_id = ?", companyID, employeeID).
		Scan(&rep.Consents); err != nil {
		return nil, err
	}

	_, err = t.exec(ctx, `UPDATE employees SET full_name = ?, personnel_number = ?, phone_sealed = '', email_sealed = '',
		custom = '{}', manager_id = NULL, mentor_id = NULL, anonymized_at = ?, updated_at = ? WHERE company_id = ? AND id = ?`,
		fmt.Sprintf("Анонимизирован %d", employeeID), fmt.Sprintf("anon-%d", employeeID), millis(now), millis(now),
		companyID, employeeID)
	if err != nil {
		return nil, fmt.Errorf("anonymise employee: %w", err)
	}
	if rep.AuditRedacted, err = t.redactAuditOf(ctx, companyID, employeeID, now); err != nil {
		return nil, err
	}
	rep.Categories = []string{"full_name", "personnel_number", "phone", "email", "custom_fields", "manager_and_mentor_links",
		"messenger_accounts", "invites", "messages_to_employee", "names_in_answers", "names_in_tasks_and_messages",
		"audit_details"}
	err = t.AppendAudit(ctx, &staffbot.AuditRecord{
		CompanyID: companyID, At: now, Action: "employee.anonymize", ObjectType: "employee", ObjectID: fmt.Sprint(employeeID),
		After: auditJSON(rep),
	})
	return rep, err
}

// EraseEmployee deletes an employee and everything about them: messenger
// accounts, consents, invites, runs with their answers, tasks about them,
// messages to them, and their name in tasks and messages of others. Audit
// records about them lose their details, and an employee.erase record with
// no personal data says what was removed.
func (t *Tx) EraseEmployee(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, now time.Time) (*AnonymizeReport, error) {
	rep := &AnonymizeReport{EmployeeID: employeeID, Reason: ReasonRequest}
	e, err := t.FindEmployeeByID(ctx, companyID, employeeID)
	if err != nil {
		return nil, err
	}
	if err := t.forgetEmployeeTraces(ctx, e, rep, now); err != nil {
		return nil, err
	}
	counts := []struct {
		n *int
		q string
	}{
		{&rep.Runs, "SELECT count(*) FROM scenario_runs WHERE company_id = ? AND employee_id = ?"},
		{&rep.Answers, `SELECT count(*) FROM run_events WHERE company_id = ? AND kind = 'answer' AND run_id IN
			(SELECT id FROM scenario_runs WHERE company_id = run_events.company_id AND employee_id = ?)`},
		{&rep.Tasks, "SELECT count(*) FROM tasks WHERE company_id = ? AND subject_id = ?"},
		{&rep.Consents, "SELECT count(*) FROM consents WHERE company_id = ? AND employee_id = ?"},
	}
	for _, c := range counts {
		if err := t.queryRow(ctx, c.q, companyID, employeeID).Scan(c.n); err != nil {
			return nil, err
		}
	}

	// Others keep their tasks and their links, pointing at no one.
	for _, q := range []string{
		"UPDATE employees SET manager_id = NULL WHERE company_id = ? AND manager_id = ?",
		"UPDATE employees SET mentor_id = NULL WHERE company_id = ? AND mentor_id = ?",
		"UPDATE tasks SET assignee_id = NULL WHERE company_id = ? AND assignee_id = ?",
	} {
		if _, err := t.exec(ctx, q, companyID, employeeID); err != nil {
			return nil, fmt.Errorf("unlink employee: %w", err)
		}
	}
	// Invites, accounts, consents, runs and their events, tasks about
	// them go with the row (ON DELETE CASCADE).
	if _, err := t.exec(ctx, "DELETE FROM employees WHERE company_id = ? AND id = ?", companyID, employeeID); err != nil {
		return nil, fmt.Errorf("delete employee: %w", err)
	}
	if rep.AuditRedacted, err = t.redactAuditOf(ctx, companyID, employeeID, now); err != nil {
		return nil, err
	}
	rep.Categories = []string{"employee_record", "messenger_accounts", "consents", "invites", "runs_and_answers", "tasks",
		"messages_to_employee", "names_in_tasks_and_messages", "audit_details"}
	err = t.AppendAudit(ctx, &staffbot.AuditRecord{
		CompanyID: companyID, At: now, Action: "employee.erase", ObjectType: "employee", ObjectID: fmt.Sprint(employeeID),
		After: auditJSON(rep),
	})
	return rep, err
}

// forgetEmployeeTraces removes what anonymisation and erasure both
// remove: messenger accounts, invites, the messages sent to the employee,
// their failed registration attempts, and their name in tasks and in
// messages to others.
func (t *Tx) forgetEmployeeTraces(ctx context.Context, e *staffbot.Employee, rep *AnonymizeReport, now time.Time) error {
	companyID := e.CompanyID
	accts, err := t.FindAccountsOfEmployee(ctx, companyID, e.ID)
	if err != nil {
		return err
	}
	for _, a := range accts {
		res, err := t.exec(ctx, "DELETE FROM outbox WHERE company_id = ? AND (account_id = ? OR (channel = ? AND chat_id = ?))",
			companyID, a.ID, string(a.Kind), a.ChatID)
		if err != nil {
			return fmt.Errorf("delete messages: %w", err)
		}
		n, _ := res.RowsAffected()
		rep.Messages += int(n)
		res, err = t.exec(ctx, "DELETE FROM registration_failures WHERE company_id = ? AND channel = ? AND external_id = ?",
			companyID, string(a.Kind), a.ExternalID)
		if err != nil {
			return fmt.Errorf("delete registration failures: %w", err)
		}
		n, _ = res.RowsAffected()
		rep.RegistrationFailures += int(n)
	}
	res, err := t.exec(ctx, "DELETE FROM channel_accounts WHERE company_id = ? AND employee_id = ?", companyID, e.ID)
	if err != nil {
		return fmt.Errorf("delete accounts: %w", err)
	}
	n, _ := res.RowsAffected()
	rep.Accounts = int(n)
	res, err = t.exec(ctx, "DELETE FROM invites WHERE company_id = ? AND employee_id = ?", companyID, e.ID)
	if err != nil {
		return fmt.Errorf("delete invites: %w", err)
	}
	n, _ = res.RowsAffected()
	rep.Invites = int(n)

	// Others saw the full name: "Подготовить выход Иванов Иван Иванович".
	if len([]rune(e.FullName)) < 5 || !strings.Contains(e.FullName, " ") {
		// A one-word name would cut ordinary words out of others' texts.
		return nil
	}
	mention := strings.NewReplacer(e.FullName, "[удалено]")
	m, err := t.scrubColumn(ctx, "tasks", "title", companyID, e.FullName, mention.Replace)
	if err != nil {
		return err
	}
	rep.Mentions += m
	m, err = t.scrubColumn(ctx, "outbox", "payload", companyID, e.FullName, func(s string) string {
		out := mention.Replace(s)
		if !json.Valid([]byte(out)) {
			return s
		}
		return out
	})
	rep.Mentions += m
	return err
}

// scrubColumn rewrites the company's values of a column that contain a
// text, and returns how many changed.
func (t *Tx) scrubColumn(ctx context.Context, table, column string, companyID staffbot.CompanyID, text string, fn func(string) string) (int, error) {
	rows, err := t.query(ctx, "SELECT id, "+column+" FROM "+table+" WHERE company_id = ? AND "+column+" LIKE ?",
		companyID, "%"+text+"%")
	if err != nil {
		return 0, fmt.Errorf("find %s mentions: %w", table, err)
	}
	type value struct {
		id int64
		v  string
	}
	var vals []value
	for rows.Next() {
		var v value
		if err := rows.Scan(&v.id, &v.v); err != nil {
			rows.Close()
			return 0, err
		}
		vals = append(vals, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, v := range vals {
		out := fn(v.v)
		if out == v.v {
			continue
		}
		if _, err := t.exec(ctx, "UPDATE "+table+" SET "+column+" = ? WHERE company_id = ? AND id = ?", out, companyID, v.id); err != nil {
			return n, fmt.Errorf("scrub %s: %w", table, err)
		}
		n++
	}
	return n, nil
}

// scrubRun stops a run and cleans its answers and variables. It returns
// how many answers changed.
func (t *Tx) scrubRun(ctx context.Context, companyID staffbot.CompanyID, runID int64, scrub func(string) string, now time.Time) (int, error) {
	r, err := t.LockRun(ctx, companyID, runID)
	if err != nil {
		return 0, err
	}
	for k, v := range r.Vars {
		r.Vars[k] = scrub(v)
	}
	stopped := r.State != RunDone && r.State != RunFailed
	if stopped {
		r.State, r.DueAt = RunDone, nil
	}
	r.UpdatedAt = now
	if err := t.UpdateRun(ctx, r); err != nil {
		return 0, err
	}
	if stopped {
		if err := t.AddRunEvent(ctx, companyID, runID, RunEvent{Step: r.Step, Kind: "anonymized", At: now}); err != nil {
			return 0, err
		}
	}

	rows, err := t.query(ctx, "SELECT id, value FROM run_events WHERE company_id = ? AND run_id = ? AND value <> ''", companyID, runID)
	if err != nil {
		return 0, err
	}
	type event struct {
		id    int64
		value string
	}
	var evs []event
	for rows.Next() {
		var ev event
		if err := rows.Scan(&ev.id, &ev.value); err != nil {
			rows.Close()
			return 0, err
		}
		evs = append(evs, ev)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, ev := range evs {
		if v := scrub(ev.value); v != ev.value {
			if _, err := t.exec(ctx, "UPDATE run_events SET value = ? WHERE company_id = ? AND id = ?", v, companyID, ev.id); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// ownScrubber cuts the employee's own name (in any grammatical case),
// phone and e-mail, and anything shaped like a phone or an address, out of
// texts the employee wrote.
func ownScrubber(e *staffbot.Employee) func(string) string {
	var idents []string
	for _, w := range []string{e.FullName, e.Phone, e.Email} {
		if utf8.RuneCountInString(w) >= 3 {
			idents = append(idents, w)
		}
	}
	pairs := make([]string, 0, 2*len(idents))
	for _, w := range idents {
		pairs = append(pairs, w, "***")
	}
	exact := strings.NewReplacer(pairs...)

	// Russian names decline: Петрова, Петровой, Петрову. A word starting
	// with the stem of a name part, with a short ending, goes.
	var stems []string
	for _, w := range strings.Fields(e.FullName) {
		r := []rune(w)
		for len(r) > 3 && strings.ContainsRune("аеёиоуыэюяйьАЕЁИОУЫЭЮЯЙЬ", r[len(r)-1]) {
			r = r[:len(r)-1]
		}
		if len(r) >= 3 {
			stems = append(stems, regexp.QuoteMeta(string(r)))
		}
	}
	var declined *regexp.Regexp
	if len(stems) > 0 {
		declined = regexp.MustCompile(`(?i)(^|[^\p{L}])(?:` + strings.Join(stems, "|") + `)\p{L}{0,3}`)
	}
	return func(s string) string {
		s = exact.Replace(s)
		if declined != nil {
			s = declined.ReplaceAllString(s, "${1}***")
		}
		s = phoneLike.ReplaceAllString(s, "***")
		return emailLike.ReplaceAllString(s, "***")
	}
}

func (t *Tx) idsWhere(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Compact makes sure data deleted or overwritten by erasure is gone from
// the database files: on SQLite, whose deleted rows are zeroed
// (secure_delete), the write-ahead log still holds old pages until it is
// checkpointed and truncated. It does nothing on PostgreSQL, whose dead
// rows VACUUM reclaims in its own time.
func (s *Store) Compact(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	var busy, logged, done int
	return s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &done)
}

// EmployeeTable names a table holding rows about one employee and the
// column naming them; EmployeeExport and erasure walk these. A file adding
// such a table appends to employeeTables in an init function.
type EmployeeTable struct {
	Table  string
	Column string
}

var employeeTables = []EmployeeTable{
	{"channel_accounts", "employee_id"},
	{"consents", "employee_id"},
	{"invites", "employee_id"},
	{"scenario_runs", "employee_id"},
	{"tasks", "subject_id"},
	{"tasks", "assignee_id"},
	{"users", "employee_id"},
	{"api_tokens", "employee_id"},
	{"secure_links", "employee_id"},
}

// childTables are tables whose rows belong to rows of an employee table.
var childTables = []struct{ table, column, parent string }{
	{"run_events", "run_id", "scenario_runs"},
	{"securelink_opens", "link_id", "secure_links"},
}

// EmployeeExport is everything staffbot holds about one employee, for a
// data-subject request (152-FZ art. 14): the employee row with contacts
// opened, the rows of every table about them, the messages sent to their
// chats, and the audit records about them. Secrets and hashes in those
// rows show as "***".
//
// Every point in time in it, the columns' and the audit records' alike, is
// RFC 3339 with milliseconds in the company's time zone (ExportTimeLayout),
// so that the person reads their own local times and a program parses one
// format; dates (hired_on) stay YYYY-MM-DD.
type EmployeeExport struct {
	CompanyID  staffbot.CompanyID          `json:"company_id"`
	TimeZone   string                      `json:"time_zone"`
	ExportedAt string                      `json:"exported_at"`
	Employee   map[string]any              `json:"employee"`
	Tables     map[string][]map[string]any `json:"tables"`
	Audit      []map[string]any            `json:"audit"`
}

// ExportEmployee gathers everything about an employee.
func (s *Store) ExportEmployee(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, now time.Time) (*EmployeeExport, error) {
	var tz string
	if err := s.queryRow(ctx, "SELECT time_zone FROM companies WHERE id = ?", companyID).Scan(&tz); err != nil {
		return nil, notFound(err, fmt.Sprintf("company %d", companyID))
	}
	loc := (&staffbot.Company{TimeZone: tz}).Location()
	out := &EmployeeExport{CompanyID: companyID, TimeZone: loc.String(), ExportedAt: now.In(loc).Format(ExportTimeLayout),
		Tables: map[string][]map[string]any{}}
	emps, err := s.selectRows(ctx, "employees", "SELECT * FROM employees WHERE company_id = ? AND id = ?", companyID, employeeID)
	if err != nil {
		return nil, err
	}
	if len(emps) == 0 {
		return nil, fmt.Errorf("employee %d: %w", employeeID, errNotFound)
	}
	out.Employee = emps[0]

	ids := map[string][]any{}
	for _, et := range employeeTables {
		if ok, err := s.hasTable(ctx, et.Table); err != nil || !ok {
			continue
		}
		rows, err := s.selectRows(ctx, et.Table, "SELECT * FROM "+et.Table+" WHERE company_id = ? AND "+et.Column+" = ?",
			companyID, employeeID)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if !slices.Contains(ids[et.Table], r["id"]) {
				ids[et.Table] = append(ids[et.Table], r["id"])
				out.Tables[et.Table] = append(out.Tables[et.Table], r)
			}
		}
	}
	for _, ct := range childTables {
		parents := ids[ct.parent]
		if len(parents) == 0 {
			continue
		}
		if ok, err := s.hasTable(ctx, ct.table); err != nil || !ok {
			continue
		}
		rows, err := s.selectRows(ctx, ct.table, "SELECT * FROM "+ct.table+" WHERE company_id = ? AND "+ct.column+" IN ("+
			strings.TrimSuffix(strings.Repeat("?,", len(parents)), ",")+") ORDER BY id", append([]any{companyID}, parents...)...)
		if err != nil {
			return nil, err
		}
		out.Tables[ct.table] = rows
	}

	// Messages sent to their chats, and failed codes from their accounts.
	for _, a := range out.Tables["channel_accounts"] {
		msgs, err := s.selectRows(ctx, "outbox", `SELECT * FROM outbox WHERE company_id = ? AND (account_id = ? OR (channel = ? AND chat_id = ?))
			ORDER BY id`, companyID, a["id"], a["kind"], a["chat_id"])
		if err != nil {
			return nil, err
		}
		out.Tables["outbox"] = append(out.Tables["outbox"], msgs...)
		fails, err := s.selectRows(ctx, "registration_failures", `SELECT * FROM registration_failures
			WHERE company_id = ? AND channel = ? AND external_id = ? ORDER BY id`, companyID, a["kind"], a["external_id"])
		if err != nil {
			return nil, err
		}
		out.Tables["registration_failures"] = append(out.Tables["registration_failures"], fails...)
	}

	recs, err := s.FindAudit(ctx, companyID, AuditFilter{SubjectID: &employeeID})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		m := AuditRecordMap(r)
		m["at"] = r.At.In(loc).Format(ExportTimeLayout)
		out.Audit = append(out.Audit, m)
	}

	exportTimes(out.Employee, loc)
	for _, rows := range out.Tables {
		for _, r := range rows {
			exportTimes(r, loc)
		}
	}
	return out, nil
}

// ExportTimeLayout is RFC 3339 with milliseconds: how an export writes a
// point in time.
const ExportTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// exportTimes rewrites a row's points in time, which the database holds as
// Unix milliseconds, as RFC 3339 in loc.
func exportTimes(row map[string]any, loc *time.Location) {
	for c, v := range row {
		if !isTimeColumn(c) {
			continue
		}
		switch ms := v.(type) {
		case int64:
			row[c] = fromMillis(ms).In(loc).Format(ExportTimeLayout)
		case int32:
			row[c] = fromMillis(int64(ms)).In(loc).Format(ExportTimeLayout)
		}
	}
}

// isTimeColumn reports whether a column holds a point in time by the
// schema's naming: created_at, not_before, lease_until, paused_since, ….
func isTimeColumn(name string) bool {
	return name == "at" || name == "not_before" || strings.HasSuffix(name, "_at") ||
		strings.HasSuffix(name, "_until") || strings.HasSuffix(name, "_since")
}

// AuditRecordMap is a record as JSON fields, for exports.
func AuditRecordMap(r *staffbot.AuditRecord) map[string]any {
	m := map[string]any{
		"seq": r.Seq, "at": r.At.UTC().Format(time.RFC3339Nano), "actor_kind": r.Actor.Kind, "actor_id": r.Actor.ID,
		"action": r.Action, "object_type": r.ObjectType, "object_id": r.ObjectID, "redacted": r.Redacted,
	}
	if r.Actor.IP != "" {
		m["ip"] = r.Actor.IP
	}
	if r.SubjectID != nil {
		m["subject_id"] = int64(*r.SubjectID)
	}
	if len(r.Before) > 0 {
		m["before"] = r.Before
	}
	if len(r.After) > 0 {
		m["after"] = r.After
	}
	return m
}

// selectRows reads rows as maps of column to value, with sealed values
// opened and secrets masked.
func (s *Store) selectRows(ctx context.Context, table, q string, args ...any) ([]map[string]any, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			v := vals[i]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			m[c] = v
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, m := range out {
		s.revealRow(ctx, table, m)
	}
	return out, nil
}

// revealRow opens a row's sealed personal values and masks its secrets.
func (s *Store) revealRow(ctx context.Context, table string, m map[string]any) {
	companyID := staffbot.CompanyID(toInt64(m["company_id"]))
	for c, v := range m {
		str, _ := v.(string)
		switch {
		case isSecretKey(strings.TrimSuffix(strings.ToLower(c), "_sealed")) || strings.HasSuffix(c, "_hash"):
			if str != "" {
				m[c] = "***"
			}
		case strings.HasSuffix(c, "_sealed"):
			name := strings.TrimSuffix(c, "_sealed")
			delete(m, c)
			m[name] = s.openColumn(ctx, table, c, companyID, str)
		case table == "employees" && c == "custom" && !strings.HasPrefix(str, "{"):
			// Custom fields are sealed whole; the export shows the
			// JSON object they were before.
			m[c] = s.openColumn(ctx, table, c, companyID, str)
		}
	}
}

func (s *Store) openColumn(ctx context.Context, table, column string, companyID staffbot.CompanyID, sealed string) string {
	if sealed == "" {
		return ""
	}
	if secret.IsSealedByMaster(sealed) {
		if v, err := s.sealer.Open(sealed); err == nil {
			return v
		}
		return "(sealed, cannot open)"
	}
	for _, c := range sealedColumns {
		if c.table == table && c.column == column {
			if v, err := s.OpenValue(ctx, companyID, c.field, sealed); err == nil {
				return v
			}
		}
	}
	return "(sealed, cannot open)"
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	}
	return 0
}
