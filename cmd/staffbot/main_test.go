package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// The sample staff files, as 1C:ZUP exports them (windows-1251).
var (
	employees1C  = filepath.Join("..", "..", "testdata", "employees-1c.csv")
	employeesBad = filepath.Join("..", "..", "testdata", "employees-bad.csv")
)

const (
	testBotToken    = "7000002:AAcli-test-token"
	testBotUsername = "acme_hr_bot"
)

// cli runs the staffbot command the way a shell does, with the STAFFBOT_*
// environment of one test: a data directory of its own, SQLite in it or a
// PostgreSQL schema of its own, and a fake Telegram Bot API, so that no
// command can reach the real one.
type cli struct {
	t       *testing.T
	dataDir string
	dbURL   string // empty: SQLite in dataDir
	tg      *telegramtest.Server

	st *store.Store
}

// eachDatabase runs fn once on SQLite and once on PostgreSQL when
// STAFFBOT_TEST_DATABASE_URL is set. The tests set environment variables,
// so they do not run in parallel.
func eachDatabase(t *testing.T, fn func(t *testing.T, c *cli)) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			dbURL := ""
			if op.Name != "SQLite" {
				dbURL = op.DSN(t)
			}
			fn(t, newCLI(t, dbURL))
		})
	}
}

func newCLI(t *testing.T, dbURL string) *cli {
	t.Helper()
	c := &cli{t: t, dataDir: t.TempDir(), dbURL: dbURL, tg: telegramtest.NewServer(t)}
	c.tg.AddBot(testBotToken, testBotUsername)

	clearEnv(t)
	t.Setenv("STAFFBOT_DATA_DIR", c.dataDir)
	t.Setenv("STAFFBOT_TELEGRAM_API_URL", c.tg.URL())
	if dbURL != "" {
		t.Setenv("STAFFBOT_DATABASE_URL", dbURL)
	}
	return c
}

// clearEnv unsets every STAFFBOT_* variable for the test, so that the
// caller's environment cannot leak in; t.Setenv puts them back afterwards.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "STAFFBOT_") && name != storetest.EnvDatabaseURL && name != "STAFFBOT_REQUIRE_BROWSER" {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

// run runs staffbot with args and returns what it printed.
func (c *cli) run(args ...string) result {
	c.t.Helper()
	return runCommand(c.t.Context(), args...)
}

func runCommand(ctx context.Context, args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mustRun runs staffbot and fails the test unless it exits 0.
func (c *cli) mustRun(args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("staffbot %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// store opens the test's database as the commands do.
func (c *cli) store() *store.Store {
	c.t.Helper()
	if c.st != nil {
		return c.st
	}
	cfg := config.Config{DataDir: c.dataDir, DatabaseURL: c.dbURL}
	st, err := app.OpenStore(c.t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		c.t.Fatalf("open store: %v", err)
	}
	c.t.Cleanup(func() { st.Close() })
	c.st = st
	return st
}

func (c *cli) company(slug string) *staffbot.Company {
	c.t.Helper()
	co, err := c.store().FindCompanyBySlug(c.t.Context(), slug)
	if err != nil {
		c.t.Fatalf("find company %s: %v", slug, err)
	}
	return co
}

func (c *cli) employees(slug string) []*staffbot.Employee {
	c.t.Helper()
	emps, err := c.store().FindEmployees(c.t.Context(), c.company(slug).ID, store.EmployeeFilter{})
	if err != nil {
		c.t.Fatalf("find employees: %v", err)
	}
	return emps
}

func (c *cli) employee(slug, number string) *staffbot.Employee {
	c.t.Helper()
	e, err := c.store().FindEmployeeByNumber(c.t.Context(), c.company(slug).ID, number)
	if err != nil {
		c.t.Fatalf("find employee %s: %v", number, err)
	}
	return e
}

// lockedBuffer is an io.Writer that a running command writes to while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var _ io.Writer = (*lockedBuffer)(nil)

// TestOneShot_NoDatabase: a command run against a data directory that
// holds no database (a mistyped --data-dir) says so and creates neither
// a database nor a master key; company create and migrate set one up.
func TestOneShot_NoDatabase(t *testing.T) {
	c := newCLI(t, "")
	wrong := filepath.Join(t.TempDir(), "x3")
	os.Mkdir(wrong, 0o700)
	for _, args := range [][]string{
		{"audit", "verify"},
		{"company", "list"},
		{"employee", "export", "--company", "acme", "--employee", "0001"},
		{"kb", "gaps", "--company", "acme"},
		{"kb", "eval", "--company", "acme", "q.jsonl"},
		{"backup", "create", filepath.Join(t.TempDir(), "b.backup")},
		{"backup", "verify", filepath.Join(t.TempDir(), "b.backup")},
		{"backup", "restore", filepath.Join(t.TempDir(), "b.backup")},
		{"admin", "create", "--company", "acme", "--email", "a@example.com", "--role", "owner"},
	} {
		r := c.run(append(args, "--data-dir", wrong)...)
		want := "no staffbot database in " + wrong + " (run `staffbot migrate` or `company create` first, or check --data-dir)"
		if args[1] == "verify" && args[0] == "backup" {
			want = "no master key in " + wrong
		}
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("%v on an empty data dir = %s, want exit 1 with %q", args, r, want)
		}
		if left, _ := os.ReadDir(wrong); len(left) != 0 {
			t.Fatalf("%v left %d files in the empty data dir", args, len(left))
		}
	}
	c.mustRun("company", "create", "--slug", "acme", "--data-dir", wrong)
	for _, name := range []string{"staffbot.db", "master.key"} {
		if _, err := os.Stat(filepath.Join(wrong, name)); err != nil {
			t.Errorf("company create: %v", err)
		}
	}
	c.mustRun("audit", "verify", "--data-dir", wrong)
	other := t.TempDir()
	c.mustRun("migrate", "--data-dir", other)
	c.mustRun("company", "list", "--data-dir", other)
}
