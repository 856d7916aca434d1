// Command staffbot is the whole product in one binary: the server, the demo,
// and the one-shot commands HR and admins run from a shell.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/store"
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the server: bot channels, web chat, scheduler", runServe},
		{"demo", "create the demo company once and serve it", runDemo},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"company", "create or list companies (company create|list)", runCompany},
		{"import", "import employees from CSV or XLSX (import employees)", runImport},
		{"invite", "create personal invites and print their links", runInvite},
		{"admin", "create cabinet users (admin create)", runAdmin},
		{"token", "create, list or revoke API tokens", runToken},
		{"connector", "add or list accounting-system connectors", runConnector},
		{"sync", "sync employees from the accounting system", runSync},
		{"services", "the self-service catalogue and its requests", runServices},
		{"audit", "verify or export the audit log", runAudit},
		{"backup", "create, verify or restore encrypted backups", runBackup},
		{"employee", "export or erase one employee's data", runEmployee},
		{"keys", "rotate encryption keys", runKeys},
		{"kb", "knowledge base: import, export, eval", runKB},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(stderr, "staffbot %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "staffbot: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "staffbot — HR chatbot platform")
	fmt.Fprintln(w, "\nUsage: staffbot <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'staffbot <command> --help' for a command's flags. Every flag also reads a STAFFBOT_* variable.")
}

// newFlags returns a flag set with the shared configuration bound to cfg.
func newFlags(name, synopsis string, cfg *config.Config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("staffbot "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: staffbot %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	cfg.Bind(fs)
	return fs
}

// parse parses flags, turning a bad flag into errUsage (the flag package
// has already printed why).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.LogFormat, "text") {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// subcommand is one verb of a command with verbs, such as "company create".
type subcommand struct {
	name string
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// dispatch runs the subcommand that args[0] names. Without one it prints
// usage, which --help asks for and anything else gets as an error.
func dispatch(ctx context.Context, command, usage string, subs []subcommand, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, usage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	names := make([]string, len(subs))
	for i, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, args[1:], stdout, stderr)
		}
		names[i] = s.name
	}
	fmt.Fprintf(stderr, "staffbot %s: unknown subcommand %q (%s)\n", command, args[0], strings.Join(names, ", "))
	return errUsage
}

// openStore checks the configuration and opens the migrated store, for
// the one-shot commands.
func openStore(ctx context.Context, cfg config.Config, stderr io.Writer) (*store.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return app.OpenStore(ctx, cfg, newLogger(cfg, stderr))
}
