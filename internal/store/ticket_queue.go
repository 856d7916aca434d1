package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/calendar"
)

// HelpdeskSettings are a company's helpdesk settings.
type HelpdeskSettings struct {
	// WorkHours is the working week as JSON ({"mon": "09:00-18:00", …});
	// empty means the default week.
	WorkHours string

	// AutoCloseDays is how many days a resolved ticket waits in silence
	// before it closes; zero never closes it.
	AutoCloseDays int
}

func (t *Tx) ensureHelpdeskSettings(ctx context.Context, companyID staffbot.CompanyID) error {
	_, err := t.exec(ctx, "INSERT INTO helpdesk_settings (company_id) VALUES (?) ON CONFLICT (company_id) DO NOTHING", companyID)
	if err != nil {
		return fmt.Errorf("create helpdesk settings: %w", err)
	}
	return nil
}

// FindHelpdeskSettings returns the company's settings, the defaults when
// it has none yet.
func (s *Store) FindHelpdeskSettings(ctx context.Context, companyID staffbot.CompanyID) (HelpdeskSettings, error) {
	return findHelpdeskSettings(s.queryRow(ctx, "SELECT work_hours, auto_close_days FROM helpdesk_settings WHERE company_id = ?", companyID))
}

// FindHelpdeskSettingsTx is FindHelpdeskSettings inside a transaction.
func (t *Tx) FindHelpdeskSettingsTx(ctx context.Context, companyID staffbot.CompanyID) (HelpdeskSettings, error) {
	return findHelpdeskSettings(t.queryRow(ctx, "SELECT work_hours, auto_close_days FROM helpdesk_settings WHERE company_id = ?", companyID))
}

func findHelpdeskSettings(row *sql.Row) (HelpdeskSettings, error) {
	h := HelpdeskSettings{AutoCloseDays: 7}
	if err := row.Scan(&h.WorkHours, &h.AutoCloseDays); err != nil && err != sql.ErrNoRows {
		return h, fmt.Errorf("find helpdesk settings: %w", err)
	}
	return h, nil
}

// SaveHelpdeskSettings stores the company's settings.
func (t *Tx) SaveHelpdeskSettings(ctx context.Context, companyID staffbot.CompanyID, h HelpdeskSettings) error {
	if err := t.ensureHelpdeskSettings(ctx, companyID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "UPDATE helpdesk_settings SET work_hours = ?, auto_close_days = ? WHERE company_id = ?",
		h.WorkHours, h.AutoCloseDays, companyID)
	return err
}

// CalendarDay is a company's change to the production calendar.
type CalendarDay struct {
	Day  staffbot.Date
	Kind string // holiday, workday, short, or "" for the weekday's own hours
	Note string
}

// FindCalendarDays returns the company's calendar changes by day.
func (s *Store) FindCalendarDays(ctx context.Context, companyID staffbot.CompanyID) ([]CalendarDay, error) {
	return findCalendarDays(ctx, s.query, companyID)
}

// FindCalendarDaysTx is FindCalendarDays inside a transaction.
func (t *Tx) FindCalendarDaysTx(ctx context.Context, companyID staffbot.CompanyID) ([]CalendarDay, error) {
	return findCalendarDays(ctx, t.query, companyID)
}

func findCalendarDays(ctx context.Context, query func(context.Context, string, ...any) (*sql.Rows, error),
	companyID staffbot.CompanyID) ([]CalendarDay, error) {
	rows, err := query(ctx, "SELECT day, kind, note FROM calendar_days WHERE company_id = ? ORDER BY day", companyID)
	if err != nil {
		return nil, fmt.Errorf("find calendar days: %w", err)
	}
	defer rows.Close()
	var out []CalendarDay
	for rows.Next() {
		var (
			d   CalendarDay
			day string
		)
		if err := rows.Scan(&day, &d.Kind, &d.Note); err != nil {
			return nil, err
		}
		if d.Day, err = staffbot.ParseDate(day); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// TicketUser is what the helpdesk needs of a cabinet user to assign
// tickets and find leads.
type TicketUser struct {
	ID         UserID
	Role       string
	EmployeeID *staffbot.EmployeeID
	Disabled   bool
}

// FindTicketUsers returns the company's cabinet users, by id, inside a
// transaction: code that holds one must not wait for a second connection.
func (t *Tx) FindTicketUsers(ctx context.Context, companyID staffbot.CompanyID) ([]TicketUser, error) {
	rows, err := t.query(ctx, "SELECT id, role, employee_id, disabled_at FROM users WHERE company_id = ? ORDER BY id", companyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TicketUser
	for rows.Next() {
		var (
			u        TicketUser
			emp      sql.NullInt64
			disabled sql.NullInt64
		)
		if err := rows.Scan(&u.ID, &u.Role, &emp, &disabled); err != nil {
			return nil, err
		}
		if emp.Valid {
			e := staffbot.EmployeeID(emp.Int64)
			u.EmployeeID = &e
		}
		u.Disabled = disabled.Valid
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetCalendarDay adds or replaces a calendar change.
func (t *Tx) SetCalendarDay(ctx context.Context, companyID staffbot.CompanyID, d CalendarDay) error {
	_, err := t.exec(ctx, `INSERT INTO calendar_days (company_id, day, kind, note) VALUES (?, ?, ?, ?)
		ON CONFLICT (company_id, day) DO UPDATE SET kind = excluded.kind, note = excluded.note`,
		companyID, d.Day.String(), d.Kind, d.Note)
	return err
}

// DeleteCalendarDay removes a calendar change; the production calendar
// decides the day again.
func (t *Tx) DeleteCalendarDay(ctx context.Context, companyID staffbot.CompanyID, day staffbot.Date) error {
	_, err := t.exec(ctx, "DELETE FROM calendar_days WHERE company_id = ? AND day = ?", companyID, day.String())
	return err
}

// Assignment modes of a category.
const (
	AssignRoundRobin = "round_robin"
	AssignByLoad     = "load"
	AssignManual     = "manual"
)

// TicketCategory is a kind of request and the queue that holds it.
type TicketCategory struct {
	ID        int64
	CompanyID staffbot.CompanyID
	Slug      string
	NameRU    string
	NameEN    string
	Position  int

	// Keywords are word stems that make the bot suggest the category.
	Keywords []string

	AssignMode string

	// FirstResponse and Resolution are SLA targets in working time, as
	// calendar.ParseTarget reads them ("4h", "3d"); empty: no timer.
	FirstResponse string
	Resolution    string

	// LeadUserID is told when a timer runs out; nil: the company's HR
	// managers.
	LeadUserID *UserID

	// Operators take the category's tickets; empty: every operator.
	Operators []UserID

	// LastAssigneeID is where round-robin assignment stopped.
	LastAssigneeID *UserID

	Archived bool
}

// Name returns the category's name in the language ("ru", "en").
func (c *TicketCategory) Name(lang string) string {
	if lang == "en" && c.NameEN != "" {
		return c.NameEN
	}
	return c.NameRU
}

const categoryColumns = `id, company_id, slug, name_ru, name_en, position, keywords, assign_mode, first_response, resolution,
	lead_user_id, last_assignee_id, archived`

func scanCategory(row scanner) (*TicketCategory, error) {
	var (
		c          TicketCategory
		keywords   string
		lead, last sql.NullInt64
		archived   int
	)
	err := row.Scan(&c.ID, &c.CompanyID, &c.Slug, &c.NameRU, &c.NameEN, &c.Position, &keywords, &c.AssignMode,
		&c.FirstResponse, &c.Resolution, &lead, &last, &archived)
	if err != nil {
		return nil, err
	}
	if c.Keywords, err = decodeList(keywords); err != nil {
		return nil, fmt.Errorf("category %d keywords: %w", c.ID, err)
	}
	if lead.Valid {
		u := UserID(lead.Int64)
		c.LeadUserID = &u
	}
	if last.Valid {
		u := UserID(last.Int64)
		c.LastAssigneeID = &u
	}
	c.Archived = archived != 0
	return &c, nil
}

// CreateTicketCategory adds a category unless the company has one with
// the slug; it reports whether it did.
func (t *Tx) CreateTicketCategory(ctx context.Context, c *TicketCategory) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO ticket_categories (company_id, slug, name_ru, name_en, position, keywords, assign_mode,
			first_response, resolution, lead_user_id, archived)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (company_id, slug) DO NOTHING`,
		c.CompanyID, c.Slug, c.NameRU, c.NameEN, c.Position, encodeList(c.Keywords), c.AssignMode,
		c.FirstResponse, c.Resolution, nullUser(c.LeadUserID), boolInt(c.Archived))
	if err != nil {
		return false, fmt.Errorf("create category %s: %w", c.Slug, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// UpdateTicketCategory writes a category's settings and its operators.
func (t *Tx) UpdateTicketCategory(ctx context.Context, c *TicketCategory) error {
	res, err := t.exec(ctx, `UPDATE ticket_categories SET name_ru = ?, name_en = ?, position = ?, keywords = ?, assign_mode = ?,
			first_response = ?, resolution = ?, lead_user_id = ?, archived = ?
		WHERE company_id = ? AND id = ?`,
		c.NameRU, c.NameEN, c.Position, encodeList(c.Keywords), c.AssignMode, c.FirstResponse, c.Resolution,
		nullUser(c.LeadUserID), boolInt(c.Archived), c.CompanyID, c.ID)
	if err != nil {
		return fmt.Errorf("update category %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("category %d: %w", c.ID, staffbot.ErrNotFound)
	}
	if _, err := t.exec(ctx, "DELETE FROM ticket_category_operators WHERE company_id = ? AND category_id = ?", c.CompanyID, c.ID); err != nil {
		return err
	}
	for _, u := range c.Operators {
		_, err := t.exec(ctx, "INSERT INTO ticket_category_operators (company_id, category_id, user_id) VALUES (?, ?, ?)",
			c.CompanyID, c.ID, int64(u))
		if err != nil {
			return fmt.Errorf("add operator %d to category %d: %w", u, c.ID, err)
		}
	}
	return nil
}

// SetCategoryLastAssignee moves the round-robin cursor.
func (t *Tx) SetCategoryLastAssignee(ctx context.Context, companyID staffbot.CompanyID, id int64, user UserID) error {
	_, err := t.exec(ctx, "UPDATE ticket_categories SET last_assignee_id = ? WHERE company_id = ? AND id = ?", int64(user), companyID, id)
	return err
}

// LockTicketCategory reads a category and holds its row, so that two
// tickets assigned at once take turns in the round robin.
func (t *Tx) LockTicketCategory(ctx context.Context, companyID staffbot.CompanyID, id int64) (*TicketCategory, error) {
	c, err := scanCategory(t.queryRow(ctx, "SELECT "+categoryColumns+" FROM ticket_categories WHERE company_id = ? AND id = ?"+t.s.forUpdate(),
		companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("category %d", id))
	}
	if c.Operators, err = t.categoryOperators(ctx, companyID, id); err != nil {
		return nil, err
	}
	return c, nil
}

func (t *Tx) categoryOperators(ctx context.Context, companyID staffbot.CompanyID, id int64) ([]UserID, error) {
	rows, err := t.query(ctx, "SELECT user_id FROM ticket_category_operators WHERE company_id = ? AND category_id = ? ORDER BY user_id",
		companyID, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []UserID
	for rows.Next() {
		var u UserID
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// FindTicketCategories returns the company's categories in their order,
// with their operators.
func (s *Store) FindTicketCategories(ctx context.Context, companyID staffbot.CompanyID) ([]*TicketCategory, error) {
	return findTicketCategories(ctx, s.query, companyID)
}

// FindTicketCategoriesTx is FindTicketCategories inside a transaction,
// which sees categories the transaction created.
func (t *Tx) FindTicketCategoriesTx(ctx context.Context, companyID staffbot.CompanyID) ([]*TicketCategory, error) {
	return findTicketCategories(ctx, t.query, companyID)
}

func findTicketCategories(ctx context.Context, query func(context.Context, string, ...any) (*sql.Rows, error),
	companyID staffbot.CompanyID) ([]*TicketCategory, error) {
	rows, err := query(ctx, "SELECT "+categoryColumns+" FROM ticket_categories WHERE company_id = ? ORDER BY position, id", companyID)
	if err != nil {
		return nil, fmt.Errorf("find categories: %w", err)
	}
	var out []*TicketCategory
	byID := map[int64]*TicketCategory{}
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
		byID[c.ID] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	ops, err := query(ctx, "SELECT category_id, user_id FROM ticket_category_operators WHERE company_id = ? ORDER BY user_id", companyID)
	if err != nil {
		return nil, err
	}
	defer ops.Close()
	for ops.Next() {
		var (
			cat int64
			u   UserID
		)
		if err := ops.Scan(&cat, &u); err != nil {
			return nil, err
		}
		if c := byID[cat]; c != nil {
			c.Operators = append(c.Operators, u)
		}
	}
	return out, ops.Err()
}

// SavedReply is a text an operator pastes into the reply box.
type SavedReply struct {
	ID        int64
	CompanyID staffbot.CompanyID
	Title     string
	Body      string
	CreatedBy *UserID
	CreatedAt time.Time
}

// CreateSavedReply adds a saved reply.
func (t *Tx) CreateSavedReply(ctx context.Context, r *SavedReply) error {
	return t.queryRow(ctx, "INSERT INTO saved_replies (company_id, title, body, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		r.CompanyID, r.Title, r.Body, nullUser(r.CreatedBy), millis(r.CreatedAt)).Scan(&r.ID)
}

// DeleteSavedReply removes a saved reply of the company.
func (t *Tx) DeleteSavedReply(ctx context.Context, companyID staffbot.CompanyID, id int64) error {
	res, err := t.exec(ctx, "DELETE FROM saved_replies WHERE company_id = ? AND id = ?", companyID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("saved reply %d: %w", id, staffbot.ErrNotFound)
	}
	return nil
}

// FindSavedReplies returns the company's saved replies by title.
func (s *Store) FindSavedReplies(ctx context.Context, companyID staffbot.CompanyID) ([]*SavedReply, error) {
	rows, err := s.query(ctx, "SELECT id, company_id, title, body, created_by, created_at FROM saved_replies WHERE company_id = ? ORDER BY title, id",
		companyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*SavedReply
	for rows.Next() {
		var (
			r       SavedReply
			by      sql.NullInt64
			created int64
		)
		if err := rows.Scan(&r.ID, &r.CompanyID, &r.Title, &r.Body, &by, &created); err != nil {
			return nil, err
		}
		if by.Valid {
			u := UserID(by.Int64)
			r.CreatedBy = &u
		}
		r.CreatedAt = fromMillis(created)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// jsonString encodes v for a TEXT column.
func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// WorkingCalendar returns the company's working calendar: its working
// hours (Monday to Friday 09:00–18:00 unless set), the Russian production
// calendar and the company's changes to it, in the company's time zone.
// It reads inside tx when tx is not nil: code holding a transaction must
// not wait for a second connection, or concurrent transactions can take
// the whole pool and wait on each other.
func (s *Store) WorkingCalendar(ctx context.Context, tx *Tx, co *staffbot.Company) (*calendar.Calendar, error) {
	var (
		set  HelpdeskSettings
		days []CalendarDay
		err  error
	)
	if tx != nil {
		set, err = tx.FindHelpdeskSettingsTx(ctx, co.ID)
	} else {
		set, err = s.FindHelpdeskSettings(ctx, co.ID)
	}
	if err != nil {
		return nil, err
	}
	if tx != nil {
		days, err = tx.FindCalendarDaysTx(ctx, co.ID)
	} else {
		days, err = s.FindCalendarDays(ctx, co.ID)
	}
	if err != nil {
		return nil, err
	}
	changes := map[staffbot.Date]calendar.DayKind{}
	for _, d := range days {
		changes[d.Day] = calendar.DayKind(d.Kind)
	}
	cal, err := calendar.Company(co.Location(), set.WorkHours, changes)
	if err != nil {
		return nil, fmt.Errorf("company %d: %w", co.ID, err)
	}
	return cal, nil
}
