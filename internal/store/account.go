package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/staffbot/staffbot"
)

const accountColumns = "id, company_id, employee_id, kind, external_id, chat_id, blocked, consented_at, registered_at"

func scanAccount(row scanner) (*staffbot.ChannelAccount, error) {
	var r accountRow
	if err := row.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.account(), nil
}

// accountRow receives the accountColumns of a row.
type accountRow struct {
	a          staffbot.ChannelAccount
	kind       string
	blocked    int
	consented  sql.NullInt64
	registered int64
}

func (r *accountRow) dest() []any {
	return []any{&r.a.ID, &r.a.CompanyID, &r.a.EmployeeID, &r.kind, &r.a.ExternalID, &r.a.ChatID, &r.blocked,
		&r.consented, &r.registered}
}

func (r *accountRow) account() *staffbot.ChannelAccount {
	a := r.a
	a.Kind = staffbot.ChannelKind(r.kind)
	a.Blocked = r.blocked != 0
	a.ConsentedAt = fromNullMillis(r.consented)
	a.RegisteredAt = fromMillis(r.registered)
	return &a
}

// FindAccount returns the account a messenger user is bound to.
func (t *Tx) FindAccount(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, externalID string) (*staffbot.ChannelAccount, error) {
	a, err := scanAccount(t.queryRow(ctx, "SELECT "+accountColumns+
		" FROM channel_accounts WHERE company_id = ? AND kind = ? AND external_id = ?", companyID, string(kind), externalID))
	if err != nil {
		return nil, notFound(err, "find account")
	}
	return a, nil
}

// FindAccount returns the account a messenger user is bound to.
func (s *Store) FindAccount(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, externalID string) (*staffbot.ChannelAccount, error) {
	a, err := scanAccount(s.queryRow(ctx, "SELECT "+accountColumns+
		" FROM channel_accounts WHERE company_id = ? AND kind = ? AND external_id = ?", companyID, string(kind), externalID))
	if err != nil {
		return nil, notFound(err, "find account")
	}
	return a, nil
}

// FindAccountsOfEmployee lists an employee's messenger accounts.
func (t *Tx) FindAccountsOfEmployee(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID) ([]*staffbot.ChannelAccount, error) {
	rows, err := t.query(ctx, "SELECT "+accountColumns+
		" FROM channel_accounts WHERE company_id = ? AND employee_id = ? ORDER BY id", companyID, employeeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*staffbot.ChannelAccount
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// GiveConsent records that the account's employee accepted the consent text
// of the given version, and opens the bot to them.
func (t *Tx) GiveConsent(ctx context.Context, acct *staffbot.ChannelAccount, version string, now time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO consents (company_id, employee_id, text_version, channel, given_at)
		VALUES (?, ?, ?, ?, ?)`, acct.CompanyID, acct.EmployeeID, version, string(acct.Kind), millis(now))
	if err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	_, err = t.exec(ctx, "UPDATE channel_accounts SET consented_at = ? WHERE company_id = ? AND id = ?",
		millis(now), acct.CompanyID, acct.ID)
	if err != nil {
		return fmt.Errorf("open account: %w", err)
	}
	acct.ConsentedAt = &now
	return t.countRegistration(ctx, acct, now)
}

// FindConsents lists the consents an employee gave, oldest first.
func (s *Store) FindConsents(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID) ([]staffbot.Consent, error) {
	rows, err := s.query(ctx, `SELECT text_version, channel, given_at FROM consents
		WHERE company_id = ? AND employee_id = ? ORDER BY id`, companyID, employeeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []staffbot.Consent
	for rows.Next() {
		c := staffbot.Consent{CompanyID: companyID, EmployeeID: employeeID}
		var kind string
		var at int64
		if err := rows.Scan(&c.TextVersion, &kind, &at); err != nil {
			return nil, err
		}
		c.Channel = staffbot.ChannelKind(kind)
		c.GivenAt = fromMillis(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetAccountBlocked marks a messenger account unreachable (the employee
// blocked the bot) or reachable again.
func (s *Store) SetAccountBlocked(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, externalID string, blocked bool) error {
	return s.InTx(ctx, func(tx *Tx) error {
		return tx.SetAccountBlocked(ctx, companyID, kind, externalID, blocked)
	})
}

// SetAccountBlocked is SetAccountBlocked inside a transaction.
func (t *Tx) SetAccountBlocked(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, externalID string, blocked bool) error {
	v := 0
	if blocked {
		v = 1
	}
	_, err := t.exec(ctx, "UPDATE channel_accounts SET blocked = ? WHERE company_id = ? AND kind = ? AND external_id = ?",
		v, companyID, string(kind), externalID)
	return err
}

// UpdateChatID replaces a chat id that the messenger moved (a Telegram group
// upgraded to a supergroup), in accounts and in queued messages.
func (s *Store) UpdateChatID(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, oldID, newID string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "UPDATE channel_accounts SET chat_id = ? WHERE company_id = ? AND kind = ? AND chat_id = ?",
			newID, companyID, string(kind), oldID); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `UPDATE outbox SET chat_id = ? WHERE company_id = ? AND channel = ? AND chat_id = ?
			AND status IN ('pending', 'sending')`, newID, companyID, string(kind), oldID)
		return err
	})
}

// MarkUpdateSeen records that an update was received and reports whether
// this is its first delivery. Call it in the transaction that handles the
// update, so that a crash before commit lets the redelivery through.
func (t *Tx) MarkUpdateSeen(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, key string, now time.Time) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO inbound_updates (company_id, channel, update_key, received_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, companyID, string(kind), key, millis(now))
	if err != nil {
		return false, fmt.Errorf("record update: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ErrDuplicate is returned by SeeUpdate, by what the transaction does
// after it, and by InTx, for an update that was handled before.
var ErrDuplicate = errors.New("update already handled")

// seenUpdate is an update SeeUpdate is to record.
type seenUpdate struct {
	companyID staffbot.CompanyID
	kind      staffbot.ChannelKind
	key       string
	at        time.Time
}

// SeeUpdate records, as MarkUpdateSeen does, that the transaction handles
// an update, and makes the transaction commit nothing if the update was
// handled before: InTx then returns ErrDuplicate, whatever its function
// returned. On SQLite the record is written at once and a redelivery is
// reported here. On PostgreSQL it is written with the first message the
// transaction queues, in the same statement, or else just before commit,
// sparing a round trip; a redelivery is reported there, after the
// transaction has done its work, which is then rolled back. Either way
// the work runs in the transaction and leaves nothing behind for a
// redelivered update; a second concurrent delivery waits for the first to
// commit or roll back.
func (t *Tx) SeeUpdate(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, key string, now time.Time) error {
	if err := t.flushSeen(ctx); err != nil {
		return err
	}
	if t.s.dialect == Postgres {
		t.seen = &seenUpdate{companyID, kind, key, now}
		return nil
	}
	first, err := t.MarkUpdateSeen(ctx, companyID, kind, key, now)
	if err != nil {
		return err
	}
	if !first {
		t.dup = true
		return ErrDuplicate
	}
	return nil
}

// flushSeen writes the record SeeUpdate left for later, if any, and
// reports a redelivered update; InTx calls it before commit.
func (t *Tx) flushSeen(ctx context.Context) error {
	if sn := t.seen; sn != nil {
		t.seen = nil
		first, err := t.MarkUpdateSeen(ctx, sn.companyID, sn.kind, sn.key, sn.at)
		if err != nil {
			return err
		}
		t.dup = t.dup || !first
	}
	if t.dup {
		return ErrDuplicate
	}
	return nil
}

// PruneSeenUpdates forgets updates received before the given time.
func (s *Store) PruneSeenUpdates(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, "DELETE FROM inbound_updates WHERE received_at < ?", millis(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// RecordRegistrationFailure notes a wrong or unusable code sent by a
// messenger account.
func (t *Tx) RecordRegistrationFailure(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, externalID string, now time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO registration_failures (company_id, channel, external_id, at) VALUES (?, ?, ?, ?)`,
		companyID, string(kind), externalID, millis(now))
	return err
}

// CountRegistrationFailures counts an account's failures since a moment.
func (t *Tx) CountRegistrationFailures(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, externalID string, since time.Time) (int, error) {
	var n int
	err := t.queryRow(ctx, `SELECT count(*) FROM registration_failures
		WHERE company_id = ? AND channel = ? AND external_id = ? AND at >= ?`,
		companyID, string(kind), externalID, millis(since)).Scan(&n)
	return n, err
}

// SetAccountBlockedByID marks one account unreachable after the messenger
// refused delivery as to a blocked user.
func (s *Store) SetAccountBlockedByID(ctx context.Context, companyID staffbot.CompanyID, accountID int64) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "UPDATE channel_accounts SET blocked = 1 WHERE company_id = ? AND id = ?", companyID, accountID)
		return err
	})
}
