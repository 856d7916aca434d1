package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	if sn := t.seen; sn != nil {
		// The update's record goes with the message, in one statement;
		// the message is written only if the record is new.
		t.seen = nil
		err = t.queryRow(ctx, seenOutboxInsert, sn.companyID, string(sn.kind), sn.key, millis(sn.at),
			companyID, acct, string(kind), chatID, string(payload), millis(now), millis(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			t.dup = true
			return 0, ErrDuplicate
		}
	} else {
		err = t.queryRow(ctx, `INSERT INTO outbox (company_id, account_id, channel, chat_id, payload, status, not_before, created_at)
			VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id`,
			companyID, acct, string(kind), chatID, string(payload), millis(now), millis(now)).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("enqueue message: %w", err)
	}
	if err := t.countMessageOut(ctx, companyID, accountID, kind, now); err != nil {
		return 0, err
	}
	t.enqueued = true
	t.queued = append(t.queued, Queued{ID: id, CompanyID: companyID, Channel: kind, ChatID: chatID})
	return id, nil
}

// seenOutboxInsert records an update as handled (SeeUpdate) and queues a
// message, only if the record is new; it returns the message's id, or no
// row for a redelivered update. PostgreSQL only.
const seenOutboxInsert = `WITH seen AS (INSERT INTO inbound_updates (company_id, channel, update_key, received_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1)
	INSERT INTO outbox (company_id, account_id, channel, chat_id, payload, status, not_before, created_at)
	SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), 'pending',
		CAST(? AS BIGINT), CAST(? AS BIGINT)
	WHERE EXISTS (SELECT 1 FROM seen) RETURNING id`

// Queued names a message that a committed transaction put in the outbox;
// Store.OnQueued is told of them.
type Queued struct {
	ID        int64
	CompanyID staffbot.CompanyID
	Channel   staffbot.ChannelKind
	ChatID    string
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
		var ids []int64
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

		items, err = tx.leaseOutbox(ctx, ids, now, lease)
		return err
	})
	return items, err
}

// QueuedClaim is a message ClaimQueued may lease: After is an id up to
// which the caller knows every message of the message's chat delivered or
// given up.
type QueuedClaim struct {
	ID, After int64
}

// ClaimQueued leases those of the given messages that are still pending,
// due, and the oldest undelivered of their chat, as ClaimOutbox would,
// without reading the whole queue: each message is found by its id, and
// only the messages of its chat between its After and itself are looked
// at. Messages it does not lease are left to ClaimOutbox.
func (s *Store) ClaimQueued(ctx context.Context, now time.Time, lease time.Duration, cands []QueuedClaim) ([]*OutboxItem, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	const blocked = `NOT EXISTS (SELECT 1 FROM outbox p WHERE p.company_id = o.company_id AND p.channel = o.channel
		AND p.chat_id = o.chat_id AND p.id > c.low AND p.id < o.id AND p.status IN ('pending', 'sending'))`
	var (
		q    string
		args []any
	)
	if s.dialect == Postgres {
		// One statement text for any number of candidates, so that each
		// connection plans it once; each candidate is looked up on its
		// own (LATERAL), so that the plan reads rows by id whatever the
		// statistics of a fast-changing queue say.
		ids, afters := make([]int64, len(cands)), make([]int64, len(cands))
		for i, c := range cands {
			ids[i], afters[i] = c.ID, c.After
		}
		q = `SELECT l.id FROM unnest(CAST(? AS BIGINT[]), CAST(? AS BIGINT[])) AS c(id, low),
			LATERAL (SELECT o.id FROM outbox o WHERE o.id = c.id AND o.status = 'pending' AND o.not_before <= ?
				AND ` + blocked + ` FOR UPDATE SKIP LOCKED) l`
		args = []any{ids, afters, millis(now)}
	} else {
		// The list is padded to a power of two with its last candidate,
		// so that a few statement texts serve every length.
		n := padded(len(cands))
		for i := range n {
			c := cands[min(i, len(cands)-1)]
			args = append(args, c.ID, c.After)
		}
		args = append(args, millis(now))
		values := strings.TrimSuffix(strings.Repeat("(?, ?),", n), ",")
		q = `SELECT o.id FROM (SELECT column1 AS id, column2 AS low FROM (VALUES ` + values + `)) c
			JOIN outbox o ON o.id = c.id WHERE o.status = 'pending' AND o.not_before <= ? AND ` + blocked
	}
	var items []*OutboxItem
	err := s.InTx(ctx, func(tx *Tx) error {
		items = items[:0]
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		items, err = tx.leaseOutbox(ctx, ids, now, lease)
		return err
	})
	return items, err
}

// padded is n rounded up to a power of two, up to 128; longer lists keep
// their length.
func padded(n int) int {
	if n > 128 {
		return n
	}
	p := 1
	for p < n {
		p *= 2
	}
	return p
}

// idsIn returns a condition that column is one of ids, and its arguments:
// on PostgreSQL an array, so that one statement serves any number of ids;
// on SQLite an IN list padded as padded says with the last id, which
// changes nothing in an IN list.
func (s *Store) idsIn(column string, ids []int64) (string, []any) {
	if s.dialect == Postgres {
		return column + " = ANY(CAST(? AS BIGINT[]))", []any{ids}
	}
	n := padded(len(ids))
	args := make([]any, n)
	for i := range n {
		args[i] = ids[min(i, len(ids)-1)]
	}
	return column + " IN (" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")", args
}

// leaseOutbox marks the messages being sent until the lease runs out and
// returns them.
func (t *Tx) leaseOutbox(ctx context.Context, ids []int64, now time.Time, lease time.Duration) ([]*OutboxItem, error) {
	in, idArgs := t.s.idsIn("id", ids)
	args := append([]any{millis(now.Add(lease))}, idArgs...)
	rows, err := t.query(ctx, `UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1
		WHERE `+in+` RETURNING id, company_id, account_id, channel, chat_id, payload, status, attempts, created_at`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []*OutboxItem
	for rows.Next() {
		var (
			it      OutboxItem
			acct    sql.NullInt64
			kind    string
			payload string
			created int64
		)
		if err := rows.Scan(&it.ID, &it.CompanyID, &acct, &kind, &it.ChatID, &payload, &it.Status, &it.Attempts, &created); err != nil {
			return nil, err
		}
		if acct.Valid {
			v := acct.Int64
			it.AccountID = &v
		}
		it.Channel = staffbot.ChannelKind(kind)
		it.CreatedAt = fromMillis(created)
		if err := json.Unmarshal([]byte(payload), &it.Message); err != nil {
			return nil, fmt.Errorf("outbox %d payload: %w", it.ID, err)
		}
		items = append(items, &it)
	}
	return items, rows.Err()
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
		in, idArgs := s.idsIn("id", ids)
		args := append([]any{millis(now)}, idArgs...)
		_, err := tx.exec(ctx, "UPDATE outbox SET status = 'sent', error = '', sent_at = ?, lease_until = NULL WHERE "+in,
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
