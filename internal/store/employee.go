package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

const employeeColumns = `id, company_id, personnel_number, full_name, position, department, office,
	phone_sealed, email_sealed, hired_on, dismissed_on, manager_id, mentor_id, custom, created_at, updated_at`

type scanner interface{ Scan(...any) error }

func (s *Store) scanEmployee(row scanner) (*staffbot.Employee, error) {
	var r employeeRow
	if err := row.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return s.employeeFrom(&r)
}

// employeeRow receives the employeeColumns of a row.
type employeeRow struct {
	e                staffbot.Employee
	phone, email     string
	hired            string
	dismissed        sql.NullString
	manager, mentor  sql.NullInt64
	custom           string
	created, updated int64
}

func (r *employeeRow) dest() []any {
	e := &r.e
	return []any{&e.ID, &e.CompanyID, &e.PersonnelNumber, &e.FullName, &e.Position, &e.Department,
		&e.Office, &r.phone, &r.email, &r.hired, &r.dismissed, &r.manager, &r.mentor, &r.custom, &r.created, &r.updated}
}

// employeeFrom finishes an employee read into r: opens the sealed fields
// and parses the rest.
func (s *Store) employeeFrom(r *employeeRow) (*staffbot.Employee, error) {
	e := r.e
	var err error
	// A cache miss reads the key through the pool, never through the
	// transaction whose rows are being scanned.
	ctx := context.Background()
	if e.Phone, err = s.OpenValue(ctx, e.CompanyID, fieldPhone, r.phone); err != nil {
		return nil, fmt.Errorf("employee %d phone: %w", e.ID, err)
	}
	if e.Email, err = s.OpenValue(ctx, e.CompanyID, fieldEmail, r.email); err != nil {
		return nil, fmt.Errorf("employee %d email: %w", e.ID, err)
	}
	if e.HiredOn, err = staffbot.ParseDate(r.hired); err != nil {
		return nil, fmt.Errorf("employee %d hire date: %w", e.ID, err)
	}
	if r.dismissed.Valid {
		d, err := staffbot.ParseDate(r.dismissed.String)
		if err != nil {
			return nil, fmt.Errorf("employee %d dismissal date: %w", e.ID, err)
		}
		e.DismissedOn = &d
	}
	if r.manager.Valid {
		id := staffbot.EmployeeID(r.manager.Int64)
		e.ManagerID = &id
	}
	if r.mentor.Valid {
		id := staffbot.EmployeeID(r.mentor.Int64)
		e.MentorID = &id
	}
	if e.Custom, err = s.openCustom(ctx, e.CompanyID, r.custom); err != nil {
		return nil, fmt.Errorf("employee %d custom fields: %w", e.ID, err)
	}
	e.CreatedAt = fromMillis(r.created)
	e.UpdatedAt = fromMillis(r.updated)
	return &e, nil
}

// FindEmployeeByID returns an employee of the company.
func (s *Store) FindEmployeeByID(ctx context.Context, companyID staffbot.CompanyID, id staffbot.EmployeeID) (*staffbot.Employee, error) {
	e, err := s.scanEmployee(s.queryRow(ctx,
		"SELECT "+employeeColumns+" FROM employees WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find employee %d", id))
	}
	return e, nil
}

// FindEmployeeByID is FindEmployeeByID inside a transaction.
func (t *Tx) FindEmployeeByID(ctx context.Context, companyID staffbot.CompanyID, id staffbot.EmployeeID) (*staffbot.Employee, error) {
	e, err := t.s.scanEmployee(t.queryRow(ctx,
		"SELECT "+employeeColumns+" FROM employees WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find employee %d", id))
	}
	return e, nil
}

// FindEmployeeByNumber returns the employee with the personnel number.
func (s *Store) FindEmployeeByNumber(ctx context.Context, companyID staffbot.CompanyID, number string) (*staffbot.Employee, error) {
	e, err := s.scanEmployee(s.queryRow(ctx,
		"SELECT "+employeeColumns+" FROM employees WHERE company_id = ? AND personnel_number = ?", companyID, number))
	if err != nil {
		return nil, notFound(err, "find employee "+number)
	}
	return e, nil
}

// EmployeeFilter narrows FindEmployees. Zero fields do not filter.
type EmployeeFilter struct {
	Numbers []string
	Limit   int
}

// FindEmployees lists a company's employees ordered by personnel number.
func (s *Store) FindEmployees(ctx context.Context, companyID staffbot.CompanyID, f EmployeeFilter) ([]*staffbot.Employee, error) {
	q := "SELECT " + employeeColumns + " FROM employees WHERE company_id = ?"
	args := []any{companyID}
	if len(f.Numbers) > 0 {
		q += " AND personnel_number IN (" + strings.TrimSuffix(strings.Repeat("?,", len(f.Numbers)), ",") + ")"
		for _, n := range f.Numbers {
			args = append(args, n)
		}
	}
	q += " ORDER BY personnel_number"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}

	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*staffbot.Employee
	for rows.Next() {
		e, err := s.scanEmployee(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EmployeeNumbers returns the set of personnel numbers a company has.
func (s *Store) EmployeeNumbers(ctx context.Context, companyID staffbot.CompanyID) (map[string]bool, error) {
	rows, err := s.query(ctx, "SELECT personnel_number FROM employees WHERE company_id = ?", companyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// EmployeeImport is one employee as read from a staff file: the manager and
// mentor are named by personnel number, since their ids are not known yet.
type EmployeeImport struct {
	Employee      staffbot.Employee
	ManagerNumber string
	MentorNumber  string
}

// ImportSummary counts what an import changed.
type ImportSummary struct {
	Created   int
	Updated   int
	Unchanged int
}

// UpsertEmployees writes a whole staff file in one transaction: new
// personnel numbers are created, known ones updated where a field differs.
// Either every row is written or none is.
func (s *Store) UpsertEmployees(ctx context.Context, companyID staffbot.CompanyID, in []EmployeeImport, now time.Time) (ImportSummary, error) {
	var sum ImportSummary
	err := s.InTx(ctx, func(tx *Tx) error {
		sum = ImportSummary{}

		existing := map[string]*staffbot.Employee{}
		rows, err := tx.query(ctx, "SELECT "+employeeColumns+" FROM employees WHERE company_id = ?", companyID)
		if err != nil {
			return err
		}
		for rows.Next() {
			e, err := s.scanEmployee(rows)
			if err != nil {
				rows.Close()
				return err
			}
			existing[e.PersonnelNumber] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}

		// First every person, then the links between them, because a
		// manager may come later in the file than their report.
		ids := map[string]staffbot.EmployeeID{}
		for n, e := range existing {
			ids[n] = e.ID
		}
		changed := map[string]bool{}
		for _, r := range in {
			e := r.Employee
			old := existing[e.PersonnelNumber]
			if old != nil && sameFields(old, &e) {
				continue
			}
			changed[e.PersonnelNumber] = true
			id, err := tx.upsertEmployeeFields(ctx, companyID, &e, now)
			if err != nil {
				return fmt.Errorf("write employee %s: %w", e.PersonnelNumber, err)
			}
			ids[e.PersonnelNumber] = id
		}

		var records []*staffbot.AuditRecord
		for _, r := range in {
			number := r.Employee.PersonnelNumber
			manager, err := linkID(ids, r.ManagerNumber)
			if err != nil {
				return fmt.Errorf("employee %s manager: %w", number, err)
			}
			mentor, err := linkID(ids, r.MentorNumber)
			if err != nil {
				return fmt.Errorf("employee %s mentor: %w", number, err)
			}
			old := existing[number]
			if changed[number] || old == nil || !sameLink(old.ManagerID, manager) || !sameLink(old.MentorID, mentor) {
				after := r.Employee
				after.ID, after.ManagerID, after.MentorID = ids[number], manager, mentor
				records = append(records, employeeChangeRecord(companyID, old, &after, now))
			}
			if old != nil && sameLink(old.ManagerID, manager) && sameLink(old.MentorID, mentor) {
				if changed[number] {
					sum.Updated++
				} else {
					sum.Unchanged++
				}
				continue
			}
			_, err = tx.exec(ctx, "UPDATE employees SET manager_id = ?, mentor_id = ?, updated_at = ? WHERE company_id = ? AND id = ?",
				nullID(manager), nullID(mentor), millis(now), companyID, ids[number])
			if err != nil {
				return fmt.Errorf("link employee %s: %w", number, err)
			}
			if old == nil {
				sum.Created++
			} else {
				sum.Updated++
			}
		}
		records = append(records, &staffbot.AuditRecord{
			CompanyID: companyID, At: now, Action: "employee.import", ObjectType: "employees",
			After: auditJSON(map[string]any{"rows": len(in), "created": sum.Created, "updated": sum.Updated, "unchanged": sum.Unchanged}),
		})
		return tx.AppendAudit(ctx, records...)
	})
	return sum, err
}

// employeeChangeRecord describes an employee's creation (old is nil) or
// change for the audit log, with the changed fields only.
func employeeChangeRecord(companyID staffbot.CompanyID, old, e *staffbot.Employee, now time.Time) *staffbot.AuditRecord {
	id := e.ID
	rec := &staffbot.AuditRecord{
		CompanyID: companyID, At: now, Action: "employee.create",
		ObjectType: "employee", ObjectID: fmt.Sprint(e.ID), SubjectID: &id,
	}
	after := employeeAuditFields(e)
	if old == nil {
		rec.After = auditJSON(after)
		return rec
	}
	rec.Action = "employee.update"
	before := employeeAuditFields(old)
	for k, v := range before {
		if fmt.Sprint(v) == fmt.Sprint(after[k]) {
			delete(before, k)
			delete(after, k)
		}
	}
	rec.Before, rec.After = auditJSON(before), auditJSON(after)
	return rec
}

// employeeAuditFields is what the audit log shows of an employee; the
// phone, e-mail and custom field values are masked when the record is
// written.
func employeeAuditFields(e *staffbot.Employee) map[string]any {
	m := map[string]any{
		"personnel_number": e.PersonnelNumber, "full_name": e.FullName, "position": e.Position,
		"department": e.Department, "office": e.Office, "phone": e.Phone, "email": e.Email,
		"hired_on": e.HiredOn.String(), "dismissed_on": nil, "manager_id": nil, "mentor_id": nil,
		"custom": e.Custom,
	}
	if e.DismissedOn != nil {
		m["dismissed_on"] = e.DismissedOn.String()
	}
	if e.ManagerID != nil {
		m["manager_id"] = int64(*e.ManagerID)
	}
	if e.MentorID != nil {
		m["mentor_id"] = int64(*e.MentorID)
	}
	if len(e.Custom) == 0 {
		m["custom"] = map[string]string{}
	}
	return m
}

func (t *Tx) upsertEmployeeFields(ctx context.Context, companyID staffbot.CompanyID, e *staffbot.Employee, now time.Time) (staffbot.EmployeeID, error) {
	phone, err := t.SealValue(ctx, companyID, fieldPhone, e.Phone)
	if err != nil {
		return 0, err
	}
	email, err := t.SealValue(ctx, companyID, fieldEmail, e.Email)
	if err != nil {
		return 0, err
	}
	custom, err := t.sealCustom(ctx, companyID, e.Custom)
	if err != nil {
		return 0, err
	}
	var dismissed sql.NullString
	if e.DismissedOn != nil {
		dismissed = sql.NullString{String: e.DismissedOn.String(), Valid: true}
	}

	var id staffbot.EmployeeID
	err = t.queryRow(ctx, `INSERT INTO employees (company_id, personnel_number, full_name, position, department,
			office, phone_sealed, email_sealed, hired_on, dismissed_on, custom, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (company_id, personnel_number) DO UPDATE SET
			full_name = excluded.full_name, position = excluded.position, department = excluded.department,
			office = excluded.office, phone_sealed = excluded.phone_sealed, email_sealed = excluded.email_sealed,
			hired_on = excluded.hired_on, dismissed_on = excluded.dismissed_on, custom = excluded.custom,
			updated_at = excluded.updated_at
		RETURNING id`,
		companyID, e.PersonnelNumber, e.FullName, e.Position, e.Department, e.Office, phone, email,
		e.HiredOn.String(), dismissed, custom, millis(now), millis(now),
	).Scan(&id)
	return id, err
}

// sealCustom turns an employee's custom fields into what employees.custom
// holds: the JSON object sealed with the company's data key, like phones
// and e-mails, since HR files put personal data there (a birth date). No
// fields at all are stored as a plain "{}".
func (t *Tx) sealCustom(ctx context.Context, companyID staffbot.CompanyID, custom map[string]string) (string, error) {
	if len(custom) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(custom)
	if err != nil {
		return "", err
	}
	return t.SealValue(ctx, companyID, fieldCustom, string(b))
}

// openCustom reads employees.custom: a sealed object, or a plain one
// written before custom fields were sealed (rotation seals those).
func (s *Store) openCustom(ctx context.Context, companyID staffbot.CompanyID, stored string) (map[string]string, error) {
	plain := stored
	if !strings.HasPrefix(stored, "{") {
		var err error
		if plain, err = s.OpenValue(ctx, companyID, fieldCustom, stored); err != nil {
			return nil, err
		}
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(plain), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateEmployee adds one employee; the personnel number must be new.
func (s *Store) CreateEmployee(ctx context.Context, e *staffbot.Employee, now time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		var n int
		err := tx.queryRow(ctx, "SELECT count(*) FROM employees WHERE company_id = ? AND personnel_number = ?",
			e.CompanyID, e.PersonnelNumber).Scan(&n)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("employee %s exists: %w", e.PersonnelNumber, staffbot.ErrConflict)
		}
		id, err := tx.upsertEmployeeFields(ctx, e.CompanyID, e, now)
		if err != nil {
			return err
		}
		e.ID = id
		_, err = tx.exec(ctx, "UPDATE employees SET manager_id = ?, mentor_id = ? WHERE company_id = ? AND id = ?",
			nullID(e.ManagerID), nullID(e.MentorID), e.CompanyID, e.ID)
		if err != nil {
			return err
		}
		return tx.AppendAudit(ctx, employeeChangeRecord(e.CompanyID, nil, e, now))
	})
}

func sameFields(a, b *staffbot.Employee) bool {
	return a.FullName == b.FullName && a.Position == b.Position && a.Department == b.Department &&
		a.Office == b.Office && a.Phone == b.Phone && a.Email == b.Email && a.HiredOn == b.HiredOn &&
		sameDate(a.DismissedOn, b.DismissedOn) && sameCustom(a.Custom, b.Custom)
}

func sameDate(a, b *staffbot.Date) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func sameCustom(a, b map[string]string) bool {
	return len(a) == len(b) && maps.Equal(a, b)
}

func sameLink(a, b *staffbot.EmployeeID) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func linkID(ids map[string]staffbot.EmployeeID, number string) (*staffbot.EmployeeID, error) {
	if number == "" {
		return nil, nil
	}
	id, ok := ids[number]
	if !ok {
		return nil, fmt.Errorf("personnel number %s: %w", number, staffbot.ErrNotFound)
	}
	return &id, nil
}

func nullID(id *staffbot.EmployeeID) sql.NullInt64 {
	if id == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*id), Valid: true}
}
