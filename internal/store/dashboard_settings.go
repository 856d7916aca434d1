package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// UpdateCompanyProfile changes the company's display name and time zone.
// The zone must be known to this system.
func (s *Store) UpdateCompanyProfile(ctx context.Context, companyID staffbot.CompanyID, name, timeZone string, now time.Time) error {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 200 {
		return fmt.Errorf("company name: 1 to 200 characters: %w", staffbot.ErrInvalid)
	}
	if _, err := time.LoadLocation(timeZone); err != nil || timeZone == "" || timeZone == "Local" {
		return fmt.Errorf("time zone %q: %w", timeZone, staffbot.ErrInvalid)
	}
	err := s.InTx(ctx, func(tx *Tx) error {
		var oldName, oldZone string
		err := tx.queryRow(ctx, "SELECT name, time_zone FROM companies WHERE id = ?", companyID).Scan(&oldName, &oldZone)
		if err != nil {
			return notFound(err, fmt.Sprintf("company %d", companyID))
		}
		if oldName == name && oldZone == timeZone {
			return nil
		}
		if _, err := tx.exec(ctx, "UPDATE companies SET name = ?, time_zone = ? WHERE id = ?", name, timeZone, companyID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: companyID, At: now, Action: "company.update", ObjectType: "company", ObjectID: fmt.Sprint(companyID),
			Before: auditJSON(map[string]any{"name": oldName, "time_zone": oldZone}),
			After:  auditJSON(map[string]any{"name": name, "time_zone": timeZone}),
		})
	})
	if err == nil {
		s.forgetCompanyLocation(companyID)
	}
	return err
}

// CompanyScenario is a company's own setting for one scenario: whether it
// runs, and the company's uploaded version, if any.
type CompanyScenario struct {
	CompanyID staffbot.CompanyID
	Scenario  string
	Enabled   bool

	// Source is the uploaded YAML; empty when the company runs the shipped
	// scenario.
	Source   string
	FileName string
	Version  int

	UpdatedAt time.Time
	UpdatedBy string
}

// FindCompanyScenarios returns the company's scenario settings by id.
func (s *Store) FindCompanyScenarios(ctx context.Context, companyID staffbot.CompanyID) (map[string]*CompanyScenario, error) {
	rows, err := s.query(ctx, `SELECT scenario, enabled, source, file_name, version, updated_at, updated_by
		FROM company_scenarios WHERE company_id = ?`, companyID)
	if err != nil {
		return nil, fmt.Errorf("find company scenarios: %w", err)
	}
	defer rows.Close()
	out := map[string]*CompanyScenario{}
	for rows.Next() {
		cs := &CompanyScenario{CompanyID: companyID}
		var (
			enabled int
			updated int64
		)
		if err := rows.Scan(&cs.Scenario, &enabled, &cs.Source, &cs.FileName, &cs.Version, &updated, &cs.UpdatedBy); err != nil {
			return nil, err
		}
		cs.Enabled, cs.UpdatedAt = enabled != 0, fromMillis(updated)
		out[cs.Scenario] = cs
	}
	return out, rows.Err()
}

// SetScenarioEnabled turns a scenario on or off for the company. Runs
// already started go on; a scenario turned off starts no new ones.
func (s *Store) SetScenarioEnabled(ctx context.Context, companyID staffbot.CompanyID, scenario string, enabled bool, now time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO company_scenarios (company_id, scenario, enabled, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (company_id, scenario) DO UPDATE SET enabled = excluded.enabled,
				updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			companyID, scenario, boolInt(enabled), millis(now), actorName(ctx))
		if err != nil {
			return fmt.Errorf("set scenario %s: %w", scenario, err)
		}
		action := "scenario.disable"
		if enabled {
			action = "scenario.enable"
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: companyID, At: now, Action: action, ObjectType: "scenario", ObjectID: scenario,
		})
	})
}

// SaveCompanyScenario stores a company's uploaded version of a scenario,
// which the caller has validated, and turns it on.
func (s *Store) SaveCompanyScenario(ctx context.Context, cs *CompanyScenario, now time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO company_scenarios (company_id, scenario, enabled, source, file_name, version, updated_at, updated_by)
			VALUES (?, ?, 1, ?, ?, ?, ?, ?)
			ON CONFLICT (company_id, scenario) DO UPDATE SET enabled = 1, source = excluded.source,
				file_name = excluded.file_name, version = excluded.version,
				updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			cs.CompanyID, cs.Scenario, cs.Source, cs.FileName, cs.Version, millis(now), actorName(ctx))
		if err != nil {
			return fmt.Errorf("save scenario %s: %w", cs.Scenario, err)
		}
		cs.Enabled, cs.UpdatedAt = true, now
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: cs.CompanyID, At: now, Action: "scenario.upload", ObjectType: "scenario", ObjectID: cs.Scenario,
			After: auditJSON(map[string]any{"file": cs.FileName, "version": cs.Version, "bytes": len(cs.Source)}),
		})
	})
}

// actorName names the context's actor for updated_by columns.
func actorName(ctx context.Context) string {
	a, ok := staffbot.ActorFrom(ctx)
	if !ok {
		return ""
	}
	return string(a.Kind) + ":" + a.ID
}

// DigestEnabled reports whether the company wants the weekly digest; it
// does until it says otherwise.
func (s *Store) DigestEnabled(ctx context.Context, companyID staffbot.CompanyID) (bool, error) {
	var on int
	err := s.queryRow(ctx, "SELECT digest_enabled FROM report_settings WHERE company_id = ?", companyID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return on != 0, err
}

// SetDigestEnabled turns the weekly digest on or off for the company.
func (s *Store) SetDigestEnabled(ctx context.Context, companyID staffbot.CompanyID, on bool, now time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO report_settings (company_id, digest_enabled, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (company_id) DO UPDATE SET digest_enabled = excluded.digest_enabled, updated_at = excluded.updated_at`,
			companyID, boolInt(on), millis(now))
		if err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: companyID, At: now, Action: "report.digest_settings", ObjectType: "company", ObjectID: fmt.Sprint(companyID),
			After: auditJSON(map[string]any{"digest_enabled": on}),
		})
	})
}

// ClaimDigest records that the company's digest for the week (its
// Monday, YYYY-MM-DD) is being sent, and reports false when it was
// already: a digest goes out at most once, even if sending then fails.
func (s *Store) ClaimDigest(ctx context.Context, companyID staffbot.CompanyID, week string, now time.Time) (bool, error) {
	var claimed bool
	err := s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `INSERT INTO report_digests (company_id, week, sent_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, companyID, week, millis(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	return claimed, err
}

// RecordDigestSent notes how many people the week's digest reached.
func (s *Store) RecordDigestSent(ctx context.Context, companyID staffbot.CompanyID, week string, bot, email int) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "UPDATE report_digests SET bot_recipients = ?, email_recipients = ? WHERE company_id = ? AND week = ?",
			bot, email, companyID, week)
		if err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: companyID, Action: "report.digest_send", ObjectType: "report", ObjectID: week,
			After: auditJSON(map[string]any{"bot_recipients": bot, "email_recipients": email}),
		})
	})
}

// LastDigest returns the latest week whose digest went out, or "".
func (s *Store) LastDigest(ctx context.Context, companyID staffbot.CompanyID) (string, time.Time, error) {
	var (
		week string
		at   int64
	)
	err := s.queryRow(ctx, "SELECT week, sent_at FROM report_digests WHERE company_id = ? ORDER BY week DESC LIMIT 1", companyID).
		Scan(&week, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	return week, fromMillis(at), err
}

// AuditQuery narrows FindAuditPage. Zero fields do not narrow; To is
// exclusive; Action ending in "." matches every action of that object
// ("employee.").
type AuditQuery struct {
	From, To   time.Time
	Action     string
	ActorKind  string
	ActorID    string
	ObjectType string
	SubjectID  *staffbot.EmployeeID
	BeforeSeq  int64
	Limit      int
}

// FindAuditPage returns a company's audit records, newest first.
func (s *Store) FindAuditPage(ctx context.Context, companyID staffbot.CompanyID, f AuditQuery) ([]*staffbot.AuditRecord, error) {
	var b strings.Builder
	b.WriteString("SELECT " + auditColumns + " FROM audit_log WHERE company_id = ?")
	args := []any{companyID}
	if f.BeforeSeq > 0 {
		b.WriteString(" AND seq < ?")
		args = append(args, f.BeforeSeq)
	}
	if !f.From.IsZero() {
		b.WriteString(" AND at >= ?")
		args = append(args, millis(f.From))
	}
	if !f.To.IsZero() {
		b.WriteString(" AND at < ?")
		args = append(args, millis(f.To))
	}
	switch {
	case strings.HasSuffix(f.Action, "."):
		b.WriteString(" AND action LIKE ? ESCAPE '!'")
		args = append(args, escapeLike(f.Action)+"%")
	case f.Action != "":
		b.WriteString(" AND action = ?")
		args = append(args, f.Action)
	}
	if f.ActorKind != "" {
		b.WriteString(" AND actor_kind = ?")
		args = append(args, f.ActorKind)
	}
	if f.ActorID != "" {
		b.WriteString(" AND actor_id = ?")
		args = append(args, f.ActorID)
	}
	if f.ObjectType != "" {
		b.WriteString(" AND object_type = ?")
		args = append(args, f.ObjectType)
	}
	if f.SubjectID != nil {
		b.WriteString(" AND (subject_id = ? OR (object_type = 'employee' AND object_id = ?))")
		args = append(args, int64(*f.SubjectID), fmt.Sprint(*f.SubjectID))
	}
	b.WriteString(" ORDER BY seq DESC")
	if f.Limit > 0 {
		b.WriteString(fmt.Sprintf(" LIMIT %d", f.Limit))
	}
	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("find audit page: %w", err)
	}
	defer rows.Close()
	var out []*staffbot.AuditRecord
	for rows.Next() {
		r, err := scanAuditRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r.record())
	}
	return out, rows.Err()
}

// CountRunsByScenario counts the company's runs of each scenario.
func (s *Store) CountRunsByScenario(ctx context.Context, companyID staffbot.CompanyID) (map[string]int, error) {
	rows, err := s.query(ctx, "SELECT scenario, count(*) FROM scenario_runs WHERE company_id = ? GROUP BY scenario", companyID)
	if err != nil {
		return nil, fmt.Errorf("count runs: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			id string
			n  int
		)
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
