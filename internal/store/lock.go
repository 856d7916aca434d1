package store

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"sync"
	"time"
)

// processLocks backs Lock on SQLite, where one process owns the database.
var processLocks sync.Map

// Lock blocks until this process holds the named lock, checking again every
// poll interval, and returns a function that releases it. On PostgreSQL it
// is a session advisory lock, so it holds across every process sharing the
// database and is freed if the process dies; on SQLite it holds within the
// process.
func (s *Store) Lock(ctx context.Context, name string, poll time.Duration) (release func(), err error) {
	if s.dialect != Postgres {
		for {
			if _, taken := processLocks.LoadOrStore(name, struct{}{}); !taken {
				return func() { processLocks.Delete(name) }, nil
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(poll):
			}
		}
	}

	h := fnv.New64a()
	h.Write([]byte("staffbot:" + name))
	key := int64(h.Sum64())

	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	for {
		var ok bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
			conn.Close()
			return nil, fmt.Errorf("take lock %s: %w", name, err)
		}
		if ok {
			return func() { unlock(conn, key) }, nil
		}
		select {
		case <-ctx.Done():
			conn.Close()
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

func unlock(conn *sql.Conn, key int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", key)
	conn.Close()
}
