package backup

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
)

// Scratch opens an empty, migrated database to restore a backup into, and
// a function that throws it away.
type Scratch func(ctx context.Context) (*store.Store, func(), error)

// SQLiteScratch makes scratch databases as SQLite files in a temporary
// directory under dir (the system's when empty).
func SQLiteScratch(sealer *secret.Sealer, dir string) Scratch {
	return func(ctx context.Context) (*store.Store, func(), error) {
		tmp, err := os.MkdirTemp(dir, "staffbot-verify-")
		if err != nil {
			return nil, nil, err
		}
		drop := func() { os.RemoveAll(tmp) }
		st, err := store.Open(ctx, filepath.Join(tmp, "scratch.db"), sealer)
		if err != nil {
			drop()
			return nil, nil, err
		}
		if _, err := st.Migrate(ctx); err != nil {
			st.Close()
			drop()
			return nil, nil, err
		}
		return st, func() { st.Close(); drop() }, nil
	}
}

// PostgresScratch makes scratch databases as temporary schemas in the
// PostgreSQL database at dsn, dropped afterwards.
func PostgresScratch(sealer *secret.Sealer, dsn string) Scratch {
	return func(ctx context.Context) (*store.Store, func(), error) {
		b := make([]byte, 6)
		rand.Read(b)
		schema := "staffbot_verify_" + hex.EncodeToString(b)
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, nil, err
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			return nil, nil, fmt.Errorf("create scratch schema: %w", err)
		}
		drop := func() {
			admin.ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		}
		u, err := url.Parse(dsn)
		if err != nil {
			drop()
			return nil, nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		st, err := store.Open(ctx, u.String(), sealer)
		if err != nil {
			drop()
			return nil, nil, err
		}
		if _, err := st.Migrate(ctx); err != nil {
			st.Close()
			drop()
			return nil, nil, err
		}
		return st, func() { st.Close(); drop() }, nil
	}
}

// Checker checks a restored database; the audit package's chain check is
// the one staffbot uses.
type Checker func(ctx context.Context, st *store.Store) ([]string, error)

// VerifyReport is the outcome of checking a backup.
type VerifyReport struct {
	Manifest *Manifest
	// Problems found by the checker in the restored data.
	Problems []string
}

// Verify restores the backup in r into a scratch database, which Restore
// checks table by table against the backup's counts and checksums, then
// runs check on the result, and throws the scratch database away. An error
// means the backup cannot be restored; Problems, that it restores but its
// content fails the check.
func Verify(ctx context.Context, r io.Reader, scratch Scratch, check Checker) (*VerifyReport, error) {
	st, drop, err := scratch(ctx)
	if err != nil {
		return nil, fmt.Errorf("open scratch database: %w", err)
	}
	defer drop()
	m, err := Restore(ctx, st, r, RestoreOptions{})
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Manifest: m}
	if check != nil {
		if rep.Problems, err = check(ctx, st); err != nil {
			return rep, err
		}
	}
	return rep, nil
}
