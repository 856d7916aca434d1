// Package storetest opens real databases for tests: a fresh SQLite file
// always, and a fresh PostgreSQL schema whenever STAFFBOT_TEST_DATABASE_URL
// is set. Every storage test runs once per database through Each.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
)

// EnvDatabaseURL names the variable that points the tests at PostgreSQL.
const EnvDatabaseURL = "STAFFBOT_TEST_DATABASE_URL"

// Opener makes a fresh, migrated store for one test.
type Opener struct {
	Name string
	Open func(t *testing.T) *store.Store
	// DSN returns a DSN for a fresh database, for tests that start a whole
	// server on it.
	DSN func(t *testing.T) string
}

// Openers returns SQLite and, when configured, PostgreSQL.
func Openers() []Opener {
	ops := []Opener{{Name: "SQLite", DSN: SQLiteDSN}}
	if os.Getenv(EnvDatabaseURL) != "" {
		ops = append(ops, Opener{Name: "Postgres", DSN: PostgresDSN})
	}
	for i := range ops {
		dsn := ops[i].DSN
		ops[i].Open = func(t *testing.T) *store.Store { return MustOpen(t, dsn(t)) }
	}
	return ops
}

// Each runs fn as a subtest once per database.
func Each(t *testing.T, fn func(t *testing.T, open func(t *testing.T) *store.Store)) {
	for _, op := range Openers() {
		t.Run(op.Name, func(t *testing.T) { fn(t, op.Open) })
	}
}

// SQLiteDSN returns the path of a new SQLite file in a temporary directory.
func SQLiteDSN(t *testing.T) string {
	return filepath.Join(t.TempDir(), "staffbot.db")
}

// PostgresDSN creates a schema of its own for the test, dropped when the
// test ends, and returns a DSN whose search_path points at it.
func PostgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv(EnvDatabaseURL)
	if base == "" {
		t.Skip(EnvDatabaseURL + " is not set")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvDatabaseURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestKey is a fixed master key for tests.
var TestKey = []byte("0123456789abcdef0123456789abcdef")

// MustOpen opens and migrates the store at dsn, closed when the test ends.
func MustOpen(t *testing.T, dsn string) *store.Store {
	t.Helper()
	sealer, err := secret.NewSealer(TestKey)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), dsn, sealer)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}
