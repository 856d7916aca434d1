package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/config"
)

// Server settings each kind of command reads.
var (
	wantStore = []string{"data-dir", "database-url", "master-key", "log-level", "log-format"}
	wantLinks = append(slices.Clone(wantStore), "base-url")
	wantAll   = func() []string {
		var c config.Config
		var out []string
		for _, v := range c.Vars() {
			out = append(out, v.Flag)
		}
		return out
	}()
)

// everyCommand is every command line that takes flags, with the server
// settings its help must list, and no others.
var everyCommand = []struct {
	path     string
	settings []string
}{
	{"serve", wantAll},
	{"demo", wantAll},
	{"migrate", wantStore},
	{"version", nil},
	{"company create", append(slices.Clone(wantStore), "telegram-api-url")},
	{"company list", wantStore},
	{"import employees", wantStore},
	{"invite", wantLinks},
	{"admin create", wantLinks},
	{"admin list", wantStore},
	{"admin reset", wantStore},
	{"token create", wantStore},
	{"token list", wantStore},
	{"token revoke", wantStore},
	{"connector add", wantStore},
	{"connector list", wantStore},
	{"connector runs", wantStore},
	{"connector missing", wantStore},
	{"connector confirm-missing", wantStore},
	{"connector policy", wantStore},
	{"sync", wantStore},
	{"services list", wantStore},
	{"services enable", wantStore},
	{"services disable", wantStore},
	{"services requests", wantStore},
	{"services take", wantLinks},
	{"services ready", wantLinks},
	{"services close", wantLinks},
	{"audit verify", wantStore},
	{"audit export", wantStore},
	{"audit retention", wantStore},
	{"backup create", wantStore},
	{"backup verify", []string{"data-dir", "database-url", "master-key"}},
	{"backup restore", wantStore},
	{"employee export", wantStore},
	{"employee anonymize", wantStore},
	{"employee erase", wantStore},
	{"keys status", wantStore},
	{"keys rotate", wantStore},
	{"keys prune", wantStore},
	{"keys generate", nil},
	{"kb import", wantStore},
	{"kb export", wantStore},
	{"kb eval", wantStore},
	{"kb gaps", wantStore},
	{"kb requests", wantStore},
	{"kb llm", wantStore},
}

// helpSettings returns the flags listed under "Settings" in a help text.
func helpSettings(help string) []string {
	_, section, ok := strings.Cut(help, "\nSettings")
	if !ok {
		return nil
	}
	var out []string
	for _, line := range strings.Split(section, "\n") {
		if rest, ok := strings.CutPrefix(line, "  --"); ok {
			name, _, _ := strings.Cut(rest, " ")
			out = append(out, name)
		}
	}
	return out
}

// TestHelp_EveryCommand: every command and subcommand answers --help (and
// 'staffbot help …') on stdout with exit 0: its usage line, an example, its
// own flags, and exactly the server settings it reads.
func TestHelp_EveryCommand(t *testing.T) {
	newCLI(t, "")
	for _, tt := range everyCommand {
		t.Run(tt.path, func(t *testing.T) {
			args := append(strings.Fields(tt.path), "--help")
			r := runCommand(t.Context(), args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("staffbot %s --help: %s", tt.path, r)
			}
			if !strings.HasPrefix(r.stdout, "Usage: staffbot "+tt.path) {
				t.Errorf("help does not start with its usage line:\n%s", r.stdout)
			}
			if !strings.Contains(r.stdout, "\nExample:\n  staffbot ") && !strings.Contains(r.stdout, "\nExample:\n  STAFFBOT_") {
				t.Errorf("help has no example:\n%s", r.stdout)
			}
			got, want := helpSettings(r.stdout), slices.Clone(tt.settings)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("settings listed %v, want %v:\n%s", got, want, r.stdout)
			}
			for _, line := range strings.Split(r.stdout, "\n") {
				if len([]rune(line)) > 80 && !strings.HasPrefix(strings.TrimSpace(line), "staffbot ") &&
					!strings.HasPrefix(strings.TrimSpace(line), "STAFFBOT_") && !strings.HasPrefix(line, "Usage:") {
					t.Errorf("line longer than 80 columns: %q", line)
				}
			}

			viaHelp := runCommand(t.Context(), append([]string{"help"}, strings.Fields(tt.path)...)...)
			if viaHelp.code != 0 || viaHelp.stdout != r.stdout {
				t.Errorf("staffbot help %s differs from --help: %s", tt.path, viaHelp)
			}
		})
	}

	// The table covers every command, and each command with subcommands
	// names them in its own help.
	for _, c := range commands() {
		var subs []string
		for _, tt := range everyCommand {
			if first, rest, _ := strings.Cut(tt.path, " "); first == c.name && rest != "" {
				subs = append(subs, rest)
			} else if tt.path == c.name {
				subs = append(subs, "")
			}
		}
		if len(subs) == 0 {
			t.Errorf("command %s is not in the table", c.name)
			continue
		}
		if subs[0] == "" {
			continue
		}
		r := runCommand(t.Context(), c.name, "--help")
		if r.code != 0 {
			t.Errorf("staffbot %s --help: %s", c.name, r)
		}
		for _, s := range subs {
			if !strings.Contains(r.stdout, c.name+" "+s) && !strings.Contains(r.stdout, s) {
				t.Errorf("staffbot %s --help does not name %s:\n%s", c.name, s, r.stdout)
			}
		}
	}
}

// TestRun_BadCommandLine: an unknown flag, command or subcommand exits 2
// with one line on stderr that says what was wrong and where to look.
func TestRun_BadCommandLine(t *testing.T) {
	newCLI(t, "")
	for _, tt := range everyCommand {
		args := append(strings.Fields(tt.path), "--no-such-flag")
		r := runCommand(t.Context(), args...)
		if r.code != 2 || r.stdout != "" {
			t.Errorf("staffbot %s --no-such-flag: %s", tt.path, r)
			continue
		}
		if lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n"); len(lines) != 1 ||
			!strings.Contains(lines[0], "no-such-flag") || !strings.Contains(lines[0], "staffbot "+tt.path+" --help") {
			t.Errorf("staffbot %s --no-such-flag: want one line naming the flag and the help:\n%s", tt.path, r.stderr)
		}
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"invte"}, `unknown command "invte" (did you mean "invite"?)`},
		{[]string{"--frobnicate"}, `unknown flag "--frobnicate"`},
		{[]string{"company", "craete"}, `unknown subcommand "craete" (did you mean "create"?)`},
		{[]string{"keys", "--batch", "5"}, `unknown flag "--batch"`},
		{[]string{"token", "revoke", "--company", "acme"}, "missing the token ID"},
		{[]string{"token", "revoke", "--company", "acme", "7", "8"}, `unexpected argument "8"`},
		{[]string{"invite"}, "--company is required"},
		{[]string{"admin", "create", "--company", "acme"}, "--email and --role are required"},
		{[]string{"employee", "erase", "--company", "acme", "--employee", "1"}, "add --yes"},
	} {
		r := runCommand(t.Context(), tt.args...)
		name := strings.Join(tt.args, " ")
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("staffbot %s: %s; want exit 2 and %q", name, r, tt.want)
		}
		if n := strings.Count(strings.TrimRight(r.stderr, "\n"), "\n"); n != 0 {
			t.Errorf("staffbot %s: %d lines on stderr, want one:\n%s", name, n+1, r.stderr)
		}
	}
}

// TestRun_FlagsAfterArguments: flags may follow the arguments, and "--"
// ends the flags.
func TestRun_FlagsAfterArguments(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme")
		r := c.mustRun("import", "employees", employees1C, "--company", "acme", "--dry-run")
		if !strings.Contains(r.stdout, "dry run") {
			t.Errorf("import with flags last: %s", r)
		}
		r = c.run("import", "employees", "--company", "acme", "--", "--dry-run")
		if r.code != 1 || !strings.Contains(r.stderr, "--dry-run") {
			t.Errorf("after --, --dry-run is a file name: %s", r)
		}
	})
}

// TestOneShot_QuietMigrations: a one-shot command on a fresh data
// directory prints its own output only; the migrations it applies are
// debug lines.
func TestOneShot_QuietMigrations(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		r := c.mustRun("company", "create", "--slug", "acme")
		if r.stderr != "" || strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("company create on a fresh database: %s", r)
		}
		c2 := newCLI(t, "")
		r = c2.mustRun("company", "create", "--slug", "acme", "--log-level", "debug")
		if !strings.Contains(r.stderr, `"level":"DEBUG","msg":"Migration applied"`) {
			t.Errorf("with --log-level debug the migrations are not logged at debug:\n%s", r.stderr)
		}
	})
}
