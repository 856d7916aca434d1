package main

import (
	"strings"
	"testing"
)

// TestRun_Help: every command and subcommand answers --help with its usage
// and exit status 0, and the server's commands name their variables.
func TestRun_Help(t *testing.T) {
	newCLI(t, "")
	tests := []struct {
		args []string
		want []string // in stdout or stderr
	}{
		{[]string{"--help"}, []string{"Usage: staffbot <command>", "serve", "demo", "migrate", "company", "import", "invite", "version"}},
		{[]string{"-h"}, []string{"Usage: staffbot <command>"}},
		{[]string{"help"}, []string{"Usage: staffbot <command>"}},
		{[]string{}, []string{"Usage: staffbot <command>"}},
		{[]string{"serve", "--help"}, []string{"Usage: staffbot serve", "STAFFBOT_ADDR", "STAFFBOT_DATA_DIR", "STAFFBOT_DATABASE_URL", "STAFFBOT_BASE_URL", "STAFFBOT_TELEGRAM_API_URL"}},
		{[]string{"demo", "--help"}, []string{"Usage: staffbot demo", "-speed", "-telegram-token", "STAFFBOT_TELEGRAM_TOKEN"}},
		{[]string{"migrate", "--help"}, []string{"Usage: staffbot migrate", "STAFFBOT_DATABASE_URL"}},
		{[]string{"company", "--help"}, []string{"company create", "company list"}},
		{[]string{"company", "create", "--help"}, []string{"Usage: staffbot company create", "-slug", "-name", "-time-zone", "-telegram-token"}},
		{[]string{"company", "list", "--help"}, []string{"Usage: staffbot company list"}},
		{[]string{"import", "--help"}, []string{"import employees"}},
		{[]string{"import", "employees", "--help"}, []string{"Usage: staffbot import employees", "-company", "-dry-run"}},
		{[]string{"invite", "--help"}, []string{"Usage: staffbot invite", "-company", "-employee", "-ttl"}},
		{[]string{"version", "--help"}, []string{"Usage: staffbot version"}},
	}
	// Commands added later answer too.
	for _, c := range commands() {
		tests = append(tests, struct {
			args []string
			want []string
		}{[]string{c.name, "--help"}, []string{c.name}})
	}
	for _, tt := range tests {
		name := strings.Join(tt.args, " ")
		r := runCommand(t.Context(), tt.args...)
		if r.code != 0 {
			t.Errorf("staffbot %s: %s", name, r)
			continue
		}
		out := r.stdout + r.stderr
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("staffbot %s: output lacks %q:\n%s", name, w, out)
			}
		}
	}
}

// TestRun_Usage: a wrong command or subcommand is a usage error (exit 2)
// that says what is wrong.
func TestRun_Usage(t *testing.T) {
	newCLI(t, "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"company"}, "company create"},
		{[]string{"company", "delete"}, `unknown subcommand "delete"`},
		{[]string{"import"}, "import employees"},
		{[]string{"import", "employees", "--company", "acme"}, "missing the staff FILE; see 'staffbot import employees --help'"},
		{[]string{"company", "create"}, "--slug is required"},
		{[]string{"migrate", "--no-such-flag"}, "no-such-flag"},
	}
	for _, tt := range tests {
		name := strings.Join(tt.args, " ")
		r := runCommand(t.Context(), tt.args...)
		if r.code != 2 {
			t.Errorf("staffbot %s: exit %d, want 2\n%s", name, r.code, r)
		}
		if !strings.Contains(r.stderr, tt.want) {
			t.Errorf("staffbot %s: stderr lacks %q:\n%s", name, tt.want, r.stderr)
		}
	}
}

func TestRun_Version(t *testing.T) {
	newCLI(t, "")
	r := runCommand(t.Context(), "version")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "staffbot dev" {
		t.Errorf("staffbot version: %s; want \"staffbot dev\"", r)
	}
}

// TestRun_BadEnvironment: a bad STAFFBOT_* value stops a command with an
// error that names the variable, and shows the value unless it may hold a
// secret.
func TestRun_BadEnvironment(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"STAFFBOT_DATABASE_URL", "mysql://root:hunter2@localhost/hr"},
		{"STAFFBOT_BASE_URL", "hr.example.ru"},
		{"STAFFBOT_TELEGRAM_API_URL", "ftp://127.0.0.1/bot"},
		{"STAFFBOT_TELEGRAM_MODE", "push"},
		{"STAFFBOT_LOG_LEVEL", "loud"},
		{"STAFFBOT_MASTER_KEY", "too-short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t, "")
			t.Setenv(tt.name, tt.value)
			for _, args := range [][]string{{"migrate"}, {"company", "list"}, {"serve", "--addr", "127.0.0.1:0"}} {
				r := c.run(args...)
				if r.code != 1 {
					t.Errorf("staffbot %s with %s=%q: exit %d, want 1\n%s", strings.Join(args, " "), tt.name, tt.value, r.code, r)
				}
				if !strings.Contains(r.stderr, tt.name) {
					t.Errorf("staffbot %s: the error does not name %s:\n%s", strings.Join(args, " "), tt.name, r.stderr)
				}
				switch tt.name {
				case "STAFFBOT_MASTER_KEY", "STAFFBOT_DATABASE_URL":
					// Secrets: the value must not be echoed.
					if strings.Contains(r.stderr, "too-short") || strings.Contains(r.stderr, "hunter2") {
						t.Errorf("staffbot %s: the error shows the secret:\n%s", strings.Join(args, " "), r.stderr)
					}
				default:
					if !strings.Contains(r.stderr, tt.value) {
						t.Errorf("staffbot %s: the error does not show the value %q:\n%s", strings.Join(args, " "), tt.value, r.stderr)
					}
				}
			}
		})
	}

	// A flag is checked the same way, under the variable's name.
	c := newCLI(t, "")
	r := c.run("migrate", "--log-level", "chatty")
	if r.code != 1 || !strings.Contains(r.stderr, "STAFFBOT_LOG_LEVEL") {
		t.Errorf("staffbot migrate --log-level chatty: %s", r)
	}
}

// TestMigrate_Twice: migrate sets up a fresh database, saying which
// migrations it applied, and is a no-op the second time.
func TestMigrate_Twice(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		first := c.mustRun("migrate")
		if !strings.Contains(first.stdout, "up to date") || !strings.Contains(first.stdout, "applied 0001_spine.sql") ||
			first.stderr != "" {
			t.Errorf("first migrate: %s", first)
		}
		second := c.mustRun("migrate")
		if !strings.Contains(second.stdout, "up to date (0 migration(s) applied now)") || strings.Contains(second.stdout, "applied 0") {
			t.Errorf("second migrate: %s", second)
		}
		// The database works afterwards.
		c.mustRun("company", "create", "--slug", "acme")
		c.mustRun("migrate")
		if got := c.company("acme").Slug; got != "acme" {
			t.Errorf("company after migrate = %q", got)
		}
	})
}
