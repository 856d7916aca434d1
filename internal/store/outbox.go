package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
)

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxSending = "sending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// OutboxItem is one queued outgoing message.
type OutboxItem struct {
	ID        int64
	CompanyID staffbot.CompanyID
	AccountID *int64
	Channel   staffbot.ChannelKind
	ChatID    string
	Message   channel.Outgoing
	Status    string
	Attempts  int
	CreatedAt time.Time
}

// Enqueue queues a message for a chat. It is delivered after the
// transaction commits, by the dispatcher.
func (t *Tx) Enqueue(ctx context.Context, companyID staffbot.CompanyID, accountID *int64, kind staffbot.ChannelKind, chatID string, msg channel.Outgoing, now time.Time) (int64, error) {
	payload, err := json.Marshal(msg)
	if err != nil {
		return 0, err
	}
	var acct sql.NullInt64
	if accountID != nil {
		acct = sql.NullInt64{Int64: *accountID, Valid: true}
	}
	var id int64
	err = t.queryRow(ctx, `INSERT INTO outbox (company_id, account_id, channel, chat_id, payload, status, not_before, created_at)
		VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id`,
		companyID, acct, string(kind), chatID, string(payload), millis(now), millis(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("enqueue message: %w", err)
	}
	if err := t.countMessageOut(ctx, companyID, accountID, kind, now); err != nil {
		return 0, err
	}
	t.enqueued = true
	return id, nil
}

// EnqueueToAccount queues a message for one messenger account.
func (t *Tx) EnqueueToAccount(ctx context.Context, acct *staffbot.ChannelAccount, msg channel.Outgoing, now time.Time) error {
	id := acct.ID
	_, err := t.Enqueue(ctx, acct.CompanyID, &id, acct.Kind, acct.ChatID, msg, now)
	return err
}

// EnqueueToEmployee queues a message for every messenger account of an
// employee who has consented and not blocked the bot. It returns how many
// accounts will get it; zero means the employee cannot be reached.
func (t *Tx) EnqueueToEmployee(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, msg channel.Outgoing, now time.Time) (int, error) {
	accts, err := t.FindAccountsOfEmployee(ctx, companyID, employeeID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range accts {
		if a.Blocked || a.ConsentedAt == nil {
			continue
		}
		if err := t.EnqueueToAccount(ctx, a, msg, now); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ClaimOutbox leases up to limit messages that are due, at most one per
// chat (the oldest undelivered), so each chat gets its messages in order
// even with several dispatchers. A lease that runs out (the process died
// mid-send) makes the message due again.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*OutboxItem, error) {
	skipLocked := ""
	if s.dialect == Postgres {
		skipLocked = " FOR UPDATE OF o SKIP LOCKED"
	}
	var items []*OutboxItem
	err := s.InTx(ctx, func(tx *Tx) error {
		items = items[:0]
		// The head of each chat is its oldest undelivered message. Only
		// undelivered rows are read, through the status index, however
		// long the chats' histories are.
		rows, err := tx.query(ctx, `SELECT o.id FROM (SELECT min(id) AS id FROM outbox
				WHERE status IN ('pending', 'sending') GROUP BY company_id, channel, chat_id) h
			JOIN outbox o ON o.id = h.id
			WHERE (o.status = 'pending' AND o.not_before <= ?) OR (o.status = 'sending' AND o.lease_until < ?)
			ORDER BY o.id LIMIT ?`+skipLocked, millis(now), millis(now), limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}

		in := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		args := append([]any{millis(now.Add(lease))}, ids...)
		rows, err = tx.query(ctx, `UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1
			WHERE id IN (`+in+`) RETURNING id, company_id, account_id, channel, chat_id, payload, status, attempts, created_at`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				it      OutboxItem
				acct    sql.NullInt64
				kind    string
				payload string
				created int64
			)
			if err := rows.Scan(&it.ID, &it.CompanyID, &acct, &kind, &it.ChatID, &payload, &it.Status, &it.Attempts, &created); err != nil {
				return err
			}
			if acct.Valid {
				v := acct.Int64
				it.AccountID = &v
			}
			it.Channel = staffbot.ChannelKind(kind)
			it.CreatedAt = fromMillis(created)
			if err := json.Unmarshal([]byte(payload), &it.Message); err != nil {
				return fmt.Errorf("outbox %d payload: %w", it.ID, err)
			}
			items = append(items, &it)
		}
		return rows.Err()
	})
	return items, err
}

// MarkOutboxSent records a delivered message.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, now time.Time) error {
	return s.setOutboxStatus(ctx, id, OutboxSent, "", now)
}

// MarkOutboxSentAll records several delivered messages in one
// transaction, as the dispatcher does under load.
func (s *Store) MarkOutboxSentAll(ctx context.Context, ids []int64, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return s.InTx(ctx, func(tx *Tx) error {
		args := make([]any, 0, len(ids)+1)
		args = append(args, millis(now))
		for _, id := range ids {
			args = append(args, id)
		}
		in := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		_, err := tx.exec(ctx, "UPDATE outbox SET status = 'sent', error = '', sent_at = ?, lease_until = NULL WHERE id IN ("+in+")",
			args...)
		return err
	})
}

// MarkOutboxFailed gives up on a message for good.
func (s *Store) MarkOutboxFailed(ctx context.Context, id int64, reason string, now time.Time) error {
	return s.setOutboxStatus(ctx, id, OutboxFailed, reason, now)
}

func (s *Store) setOutboxStatus(ctx context.Context, id int64, status, reason string, now time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "UPDATE outbox SET status = ?, error = ?, sent_at = ?, lease_until = NULL WHERE id = ?",
			status, reason, millis(now), id)
		return err
	})
}

// RetryOutbox puts a message back in the queue, due at notBefore.
func (s *Store) RetryOutbox(ctx context.Context, id int64, notBefore time.Time, reason string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "UPDATE outbox SET status = 'pending', not_before = ?, error = ?, lease_until = NULL WHERE id = ?",
			millis(notBefore), reason, id)
		return err
	})
}

// HoldChat delays every undelivered message of a chat until notBefore,
// as when the messenger says to slow down.
func (s *Store) HoldChannel(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, notBefore time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE outbox SET not_before = ? WHERE company_id = ? AND channel = ?
			AND status = 'pending' AND not_before < ?`, millis(notBefore), companyID, string(kind), millis(notBefore))
		return err
	})
}

// OutboxDepth counts messages not yet delivered, for /metrics.
func (s *Store) OutboxDepth(ctx context.Context) (int64, error) {
	var n int64
	err := s.queryRow(ctx, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')").Scan(&n)
	return n, err
}

// FindChatMessages returns the messages queued for a chat after a given id,
// oldest first: the web chat's transcript.
func (s *Store) FindChatMessages(ctx context.Context, companyID staffbot.CompanyID, kind staffbot.ChannelKind, chatID string, afterID int64, limit int) ([]*OutboxItem, error) {
	rows, err := s.query(ctx, `SELECT id, payload, status, created_at FROM outbox
		WHERE company_id = ? AND channel = ? AND chat_id = ? AND id > ? ORDER BY id LIMIT ?`,
		companyID, string(kind), chatID, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*OutboxItem
	for rows.Next() {
		it := OutboxItem{CompanyID: companyID, Channel: kind, ChatID: chatID}
		var payload string
		var created int64
		if err := rows.Scan(&it.ID, &payload, &it.Status, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(payload), &it.Message); err != nil {
			return nil, fmt.Errorf("outbox %d payload: %w", it.ID, err)
		}
		it.CreatedAt = fromMillis(created)
		out = append(out, &it)
	}
	return out, rows.Err()
}
