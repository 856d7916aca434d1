package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/staffbot/staffbot"
)

// CreateInvite stores a new invite for an employee under the hash of its
// code. Earlier unused invites of the same employee stop working, so only
// the newest link is valid.
func (s *Store) CreateInvite(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, codeHash string, now time.Time, ttl time.Duration) (*staffbot.Invite, error) {
	inv := &staffbot.Invite{
		CompanyID:  companyID,
		EmployeeID: employeeID,
		CodeHash:   codeHash,
		CreatedAt:  now,
		ExpiresAt:  now.Add(ttl),
	}
	err := s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE invites SET expires_at = ?
			WHERE company_id = ? AND employee_id = ? AND used_at IS NULL AND expires_at > ?`,
			millis(now), companyID, employeeID, millis(now))
		if err != nil {
			return fmt.Errorf("retire old invites: %w", err)
		}
		err = tx.queryRow(ctx, `INSERT INTO invites (company_id, employee_id, code_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			companyID, employeeID, codeHash, millis(now), millis(inv.ExpiresAt)).Scan(&inv.ID)
		if err != nil {
			return err
		}
		if err := tx.countInvite(ctx, companyID, employeeID, inv.ID, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: companyID, At: now, Action: "invite.create", ObjectType: "invite", ObjectID: fmt.Sprint(inv.ID),
			SubjectID: &employeeID, After: auditJSON(map[string]any{"expires_at": inv.ExpiresAt.UTC().Format(time.RFC3339)}),
		})
	})
	if err != nil {
		return nil, fmt.Errorf("create invite: %w", err)
	}
	return inv, nil
}

// RedeemInvite checks a registration code and binds the messenger account
// to its employee. The code must belong to the company, be unused and
// unexpired, and its employee must still work there; otherwise the error
// wraps ErrNotFound or ErrExpired and nothing changes. The account starts
// without consent.
func (t *Tx) RedeemInvite(ctx context.Context, companyID staffbot.CompanyID, codeHash string, acct *staffbot.ChannelAccount, now time.Time, today staffbot.Date) (*staffbot.Employee, error) {
	var (
		id         int64
		employeeID staffbot.EmployeeID
		expires    int64
		used       sql.NullInt64
	)
	err := t.queryRow(ctx, `SELECT id, employee_id, expires_at, used_at FROM invites
		WHERE company_id = ? AND code_hash = ?`+t.s.forUpdate(), companyID, codeHash).
		Scan(&id, &employeeID, &expires, &used)
	if err != nil {
		return nil, notFound(err, "find invite")
	}
	if used.Valid || !now.Before(fromMillis(expires)) {
		return nil, fmt.Errorf("invite %d: %w", id, staffbot.ErrExpired)
	}

	emp, err := t.FindEmployeeByID(ctx, companyID, employeeID)
	if err != nil {
		return nil, err
	}
	if !emp.Active(today) {
		return nil, fmt.Errorf("employee %d dismissed: %w", emp.ID, staffbot.ErrExpired)
	}

	if _, err := t.exec(ctx, "UPDATE invites SET used_at = ? WHERE company_id = ? AND id = ?", millis(now), companyID, id); err != nil {
		return nil, fmt.Errorf("mark invite used: %w", err)
	}

	acct.CompanyID = companyID
	acct.EmployeeID = emp.ID
	acct.RegisteredAt = now
	acct.ConsentedAt = nil
	acct.Blocked = false
	err = t.queryRow(ctx, `INSERT INTO channel_accounts (company_id, employee_id, kind, external_id, chat_id, blocked, registered_at)
		VALUES (?, ?, ?, ?, ?, 0, ?)
		ON CONFLICT (company_id, kind, external_id) DO UPDATE SET
			employee_id = excluded.employee_id, chat_id = excluded.chat_id, blocked = 0,
			consented_at = NULL, registered_at = excluded.registered_at
		RETURNING id`,
		companyID, emp.ID, string(acct.Kind), acct.ExternalID, acct.ChatID, millis(now)).Scan(&acct.ID)
	if err != nil {
		return nil, fmt.Errorf("bind %s account: %w", acct.Kind, err)
	}
	return emp, nil
}

// FindUninvitedEmployees lists current employees who have no messenger
// account yet: the people "staffbot invite" reaches when no number is given.
func (s *Store) FindUninvitedEmployees(ctx context.Context, companyID staffbot.CompanyID, today staffbot.Date) ([]*staffbot.Employee, error) {
	all, err := s.FindEmployees(ctx, companyID, EmployeeFilter{})
	if err != nil {
		return nil, err
	}
	registered := map[staffbot.EmployeeID]bool{}
	rows, err := s.query(ctx, "SELECT DISTINCT employee_id FROM channel_accounts WHERE company_id = ?", companyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id staffbot.EmployeeID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		registered[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	var out []*staffbot.Employee
	for _, e := range all {
		if e.Active(today) && !registered[e.ID] {
			out = append(out, e)
		}
	}
	return out, nil
}

// IsNotFoundOrExpired reports whether err means a code that cannot be used.
func IsNotFoundOrExpired(err error) bool {
	return errors.Is(err, staffbot.ErrNotFound) || errors.Is(err, staffbot.ErrExpired)
}

// FindInviteCompany returns the company an invite code belongs to, so that a
// web link carrying only the code can open the right company's chat. It
// says nothing about whether the code is still usable.
func (s *Store) FindInviteCompany(ctx context.Context, codeHash string) (*staffbot.Company, error) {
	var id staffbot.CompanyID
	if err := s.queryRow(ctx, "SELECT company_id FROM invites WHERE code_hash = ?", codeHash).Scan(&id); err != nil {
		return nil, notFound(err, "find invite")
	}
	return s.FindCompanyByID(ctx, id)
}
