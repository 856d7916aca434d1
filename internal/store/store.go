// Package store keeps staffbot's data in SQLite or PostgreSQL through one set
// of queries. Every method takes the company explicitly, and every query
// filters on it, so no call can read or change another company's rows.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/staffbot/staffbot/internal/secret"
)

// Dialect names the database behind a Store.
type Dialect string

// The supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is staffbot's storage.
type Store struct {
	db      *sql.DB
	dialect Dialect
	sealer  *secret.Sealer

	// keys caches companies' unwrapped data and audit keys by key id
	// (keys.go).
	keys keyCache

	// writeMu serialises write transactions on SQLite inside this process,
	// so that writers queue in Go instead of spinning on SQLITE_BUSY. The
	// writer channel is held by the goroutine running a batch of queued
	// transactions (see InTx), which also holds writeMu meanwhile.
	writeMu sync.Mutex
	writer  chan struct{}
	queueMu sync.Mutex
	queue   []*txRequest

	// stmts caches prepared statements by query text on SQLite, where
	// preparing a statement costs more than running most of ours. (pgx
	// keeps such a cache on each PostgreSQL connection itself.)
	stmtMu sync.RWMutex
	stmts  map[string]*sql.Stmt

	// rebound caches queries rewritten for PostgreSQL (rebind), nRebound
	// counts them.
	rebound  sync.Map
	nRebound atomic.Int64

	// OnEnqueue, when set, is called after a transaction that queued an
	// outgoing message commits. The dispatcher uses it to send at once
	// instead of waiting for its next poll.
	OnEnqueue func()

	// OnQueued, when set, is told the messages a transaction queued once
	// it commits, before OnEnqueue is called. The dispatcher leases them
	// by id instead of reading the whole queue.
	OnQueued func([]Queued)

	// countBuf holds committed dashboard counters until FlushCounts.
	countBuf countBuffer
}

// Open connects to the database named by dsn: a postgres:// URL, or a path
// to an SQLite file (created when missing). Migrations are not applied;
// call Migrate.
func Open(ctx context.Context, dsn string, sealer *secret.Sealer) (*Store, error) {
	s := &Store{sealer: sealer, writer: make(chan struct{}, 1)}

	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.db, s.dialect = db, Postgres
	default:
		path := strings.TrimPrefix(dsn, "sqlite://")
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		// Deleted and overwritten rows are zeroed in the file, so erased
		// personal data cannot be read back from free pages.
		q.Add("_pragma", "secure_delete(1)")
		q.Set("_txlock", "immediate")
		db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
		s.db, s.dialect = db, SQLite
	}

	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("connect to %s: %w", s.dialect, err)
	}
	return s, nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.FlushCounts(ctx)
	return s.db.Close()
}

// Dialect reports which database the store uses.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB returns the pool, for health checks and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Tx is a transaction with the store's placeholder rewriting.
type Tx struct {
	tx *sql.Tx
	s  *Store

	// counts are the dashboard counters the transaction added; they
	// reach the store's buffer only if it commits.
	counts []companyCounter

	// enqueued is set when the transaction queued an outgoing message,
	// so the dispatcher can be woken after commit; queued are the
	// messages.
	enqueued bool
	queued   []Queued

	// memo is what FindSender learned, until a write makes it stale.
	memo *senderMemo

	// seen is the update SeeUpdate is still to record, and dup is set
	// once the update turned out to be handled before.
	seen *seenUpdate
	dup  bool
}

func (t *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.forget(query)
	ctx = t.s.stmtContext(ctx)
	if st := t.s.prepared(ctx, query); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, t.s.rebind(query), args...)
}

func (t *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.forget(query)
	ctx = t.s.stmtContext(ctx)
	if st := t.s.prepared(ctx, query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, t.s.rebind(query), args...)
}

func (t *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	t.forget(query)
	ctx = t.s.stmtContext(ctx)
	if st := t.s.prepared(ctx, query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, t.s.rebind(query), args...)
}

// stmtContext is the context for a statement in a transaction: on SQLite
// one that is never cancelled, since an interrupted statement rolls back
// the transaction, which other callers' work shares (see InTx).
func (s *Store) stmtContext(ctx context.Context) context.Context {
	if s.dialect == SQLite {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// InTx runs fn in a write transaction, committing when fn returns nil and
// rolling back otherwise.
//
// SQLite has one writer at a time, so there the transactions that queue
// up while one commits run together in the next: each fn in a savepoint of
// its own, so that a failing fn undoes only its own work, and one commit
// for all. A fn whose ctx has ended before its turn is not run; once
// started, its statements run to the end whatever becomes of ctx, since
// interrupting one would undo its neighbours' work too.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if s.dialect == SQLite {
		return s.inBatch(ctx, fn)
	}

	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Also when fn panics: an open transaction would keep its row locks,
	// and every writer waiting on them, until ctx ends.
	defer sqlTx.Rollback()
	tx := &Tx{tx: sqlTx, s: s}

	if err := fn(tx); err != nil {
		if tx.dup {
			return ErrDuplicate
		}
		return err
	}
	if err := tx.flushSeen(ctx); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.bufferCounts(tx.counts)
	if len(tx.queued) > 0 && s.OnQueued != nil {
		s.OnQueued(tx.queued)
	}
	if tx.enqueued && s.OnEnqueue != nil {
		s.OnEnqueue()
	}
	return nil
}

// maxBatch bounds how many transactions commit together on SQLite, and so
// how long the first of them waits for the last.
const maxBatch = 64

// txRequest is a transaction waiting for SQLite's writer.
type txRequest struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan struct{} // closed when err and the rest are final

	err      error
	panicked any // what fn panicked with, to panic with again in the caller
	enqueued bool
	queued   []Queued
	counts   []companyCounter
}

// inBatch queues fn for SQLite's writer. Whichever caller takes the writer
// runs what is queued, in batches, until its own transaction is done; the
// others wait for theirs.
func (s *Store) inBatch(ctx context.Context, fn func(tx *Tx) error) error {
	r := &txRequest{ctx: ctx, fn: fn, done: make(chan struct{})}
	s.queueMu.Lock()
	s.queue = append(s.queue, r)
	s.queueMu.Unlock()

	select {
	case <-r.done:
	case s.writer <- struct{}{}:
		// Requests taken from the queue are done before the writer is
		// released, so r is done or still queued.
		s.writeMu.Lock()
		for !r.finished() {
			s.runBatch()
		}
		s.writeMu.Unlock()
		<-s.writer
	}
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

func (r *txRequest) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// runBatch runs up to maxBatch queued transactions in one SQLite
// transaction. The caller holds the writer.
func (s *Store) runBatch() {
	s.queueMu.Lock()
	n := min(len(s.queue), maxBatch)
	batch := slices.Clone(s.queue[:n])
	s.queue = append(s.queue[:0], s.queue[n:]...)
	s.queueMu.Unlock()

	var requeue []*txRequest
	defer func() {
		if len(requeue) > 0 {
			s.queueMu.Lock()
			s.queue = append(requeue, s.queue...)
			s.queueMu.Unlock()
		}
		for _, r := range batch[:len(batch)-len(requeue)] {
			close(r.done)
		}
	}()

	sqlTx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range batch {
			r.err = fmt.Errorf("begin: %w", err)
		}
		return
	}
	shared := len(batch) > 1
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		if !s.runInBatch(sqlTx, r, shared) {
			// The transaction is lost, or its only fn failed: the work
			// done so far with it is undone, and what has not run yet
			// goes in the next batch.
			sqlTx.Rollback()
			for _, done := range batch[:i] {
				if done.err == nil && done.panicked == nil {
					done.err = fmt.Errorf("transaction rolled back with another that failed: %w", errBatchLost)
				}
			}
			if r.err == nil && r.panicked == nil {
				r.err = fmt.Errorf("transaction rolled back: %w", errBatchLost)
			}
			requeue = batch[i+1:]
			return
		}
	}

	if err := sqlTx.Commit(); err != nil {
		for _, r := range batch {
			if r.err == nil && r.panicked == nil {
				r.err = fmt.Errorf("commit: %w", err)
			}
		}
		return
	}
	wake := false
	var queued []Queued
	for _, r := range batch {
		if r.err == nil && r.panicked == nil {
			s.bufferCounts(r.counts)
			wake = wake || r.enqueued
			queued = append(queued, r.queued...)
		}
	}
	if len(queued) > 0 && s.OnQueued != nil {
		s.OnQueued(queued)
	}
	if wake && s.OnEnqueue != nil {
		s.OnEnqueue()
	}
}

var errBatchLost = errors.New("SQLite transaction lost")

// runInBatch runs r's fn in the batch's transaction, inside a savepoint
// when other transactions share it, and reports whether the transaction
// can go on. Without a savepoint, a failed fn ends it.
func (s *Store) runInBatch(sqlTx *sql.Tx, r *txRequest, shared bool) bool {
	ctx := context.Background()
	if shared {
		if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT batched"); err != nil {
			r.err = fmt.Errorf("savepoint: %w", err)
			return false
		}
	}

	tx := &Tx{tx: sqlTx, s: s}
	r.err, r.panicked = callInTx(r.fn, tx)
	switch {
	case r.panicked != nil:
	case tx.dup:
		r.err = ErrDuplicate
	case r.err == nil:
		r.err = tx.flushSeen(ctx)
	}
	failed := r.err != nil || r.panicked != nil
	if !shared {
		r.enqueued, r.queued = tx.enqueued, tx.queued
		r.counts = tx.counts
		return !failed
	}

	// After some errors SQLite has already rolled the whole transaction
	// back; the savepoint is then gone, and these statements fail.
	if failed {
		if _, err := sqlTx.ExecContext(ctx, "ROLLBACK TO batched"); err != nil {
			return false
		}
	}
	if _, err := sqlTx.ExecContext(ctx, "RELEASE batched"); err != nil {
		return false
	}
	r.enqueued = tx.enqueued && !failed
	if !failed {
		r.counts, r.queued = tx.counts, tx.queued
	}
	return true
}

func callInTx(fn func(tx *Tx) error, tx *Tx) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return fn(tx), nil
}

func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := s.prepared(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return s.db.ExecContext(ctx, s.rebind(query), args...)
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.db.QueryContext(ctx, s.rebind(query), args...)
}

func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := s.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, s.rebind(query), args...)
}

// maxPrepared bounds the statement cache; queries built with a varying
// number of placeholders could otherwise fill it without end.
const maxPrepared = 512

// prepared returns the cached prepared statement for query on SQLite,
// preparing it on first use, or nil when the query should run unprepared:
// on PostgreSQL, once the cache is full, or when preparing failed (running
// it then reports the error).
func (s *Store) prepared(ctx context.Context, query string) *sql.Stmt {
	if s.dialect != SQLite {
		return nil
	}
	s.stmtMu.RLock()
	st, full := s.stmts[query], len(s.stmts) >= maxPrepared
	s.stmtMu.RUnlock()
	if st != nil || full {
		return st
	}

	// database/sql prepares it again on each connection that runs it.
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if cached := s.stmts[query]; cached != nil {
		st.Close()
		return cached
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[query] = st
	return st
}

// maxRebound is the longest query whose rewritten text rebind keeps; the
// long ones are built for bulk writes, once each.
const maxRebound = 4096

// rebind rewrites ? placeholders as $1, $2 … for PostgreSQL. Queries in
// this package never put a question mark inside a string literal. The
// rewritten texts of up to maxPrepared queries are kept.
func (s *Store) rebind(query string) string {
	if s.dialect != Postgres || !strings.Contains(query, "?") {
		return query
	}
	if q, ok := s.rebound.Load(query); ok {
		return q.(string)
	}
	q := rebindPostgres(query)
	if len(query) <= maxRebound && s.nRebound.Load() < maxPrepared {
		if _, loaded := s.rebound.LoadOrStore(query, q); !loaded {
			s.nRebound.Add(1)
		}
	}
	return q
}

func rebindPostgres(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// forUpdate returns the row-locking clause where the database has one.
// SQLite write transactions already hold the whole database.
func (s *Store) forUpdate() string {
	if s.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, errNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// millis stores instants as milliseconds since the epoch in UTC, the same
// on both databases.
func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMillis(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromNullMillis(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMillis(n.Int64)
	return &t
}

// snapshot runs fn in a transaction that reads one consistent state of the
// database. On SQLite it is a write transaction, which is how this store
// serialises; on PostgreSQL a read-only repeatable-read one.
func (s *Store) snapshot(ctx context.Context, fn func(tx *Tx) error) error {
	if s.dialect != Postgres {
		return s.InTx(ctx, fn)
	}
	sqlTx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin snapshot: %w", err)
	}
	defer sqlTx.Rollback()
	return fn(&Tx{tx: sqlTx, s: s})
}
