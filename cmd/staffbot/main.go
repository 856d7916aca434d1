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
	"slices"
	"strings"
	"syscall"
	"unicode/utf8"

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
		{"company", "companies (tenants): create, list", runCompany},
		{"import", "import employees from a 1C:ZUP or Excel file", runImport},
		{"invite", "create personal invites and print their links", runInvite},
		{"admin", "HR-cabinet users: create, list, reset", runAdmin},
		{"token", "API tokens: create, list, revoke", runToken},
		{"connector", "accounting-system connectors, their runs and missing employees", runConnector},
		{"sync", "sync employees from the accounting system now", runSync},
		{"services", "the self-service catalogue and HR's queue of requests", runServices},
		{"audit", "the audit log: verify, export, retention", runAudit},
		{"backup", "encrypted backups: create, verify, restore", runBackup},
		{"employee", "one person's data: export, anonymize, erase", runEmployee},
		{"keys", "encryption keys: status, rotate, prune, generate", runKeys},
		{"kb", "knowledge base: import, export, eval, gaps, requests, llm", runKB},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" && len(args) == 1 {
		usage(stdout)
		return 0
	}
	if args[0] == "help" {
		// "staffbot help company create" is "staffbot company create --help".
		args = append(args[1:], "--help")
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
	names := make([]string, 0, len(commands()))
	for _, c := range commands() {
		names = append(names, c.name)
	}
	what := "command"
	if strings.HasPrefix(args[0], "-") {
		what = "flag"
	}
	fmt.Fprintf(stderr, "staffbot: unknown %s %q%s; run 'staffbot --help' for the commands\n", what, args[0], suggest(args[0], names))
	return 2
}

// errUsage is returned by a command that has already said on stderr what
// was wrong with its command line; the exit status is 2.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "staffbot — HR chatbot platform")
	fmt.Fprintln(w, "\nUsage: staffbot <command> [subcommand] [flags] [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, `
Run 'staffbot <command> --help' (or 'staffbot help <command>') for a
command's usage, an example and its flags. Every setting flag also reads a
STAFFBOT_* variable; a flag wins over the variable.

Exit status: 0 done, 1 failed, 2 bad command line.`)
}

// suggest returns ` (did you mean "x"?)` when one name is a likely typo
// of s, or "".
func suggest(s string, names []string) string {
	s = strings.TrimLeft(s, "-")
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Setting groups: the server's settings a command reads. A command lists
// only the ones it uses; the others keep their STAFFBOT_* value or
// default, and are still checked.
var (
	// storeSettings open the database: every command that reads or
	// writes it, and logs.
	storeSettings = []string{"data-dir", "database-url", "master-key", "log-level", "log-format"}
	// linkSettings make the links a command prints or sends.
	linkSettings = append(slices.Clone(storeSettings), "base-url")
)

// allSettings is every server setting, for serve and demo.
func allSettings() []string {
	var c config.Config
	var out []string
	for _, v := range c.Vars() {
		out = append(out, v.Flag)
	}
	return out
}

// cmdHelp is what 'staffbot CMD --help' prints above the flags.
type cmdHelp struct {
	usage    string   // the synopsis after "staffbot "
	about    string   // what the command does, a paragraph or two
	example  string   // one or more command lines
	settings []string // the server settings it reads, as flag names
}

// flagSet is a command's flags with its help.
type flagSet struct {
	*flag.FlagSet
	name     string
	help     cmdHelp
	settings map[string]bool
	stdout   io.Writer
	stderr   io.Writer
	rest     []string // arguments that are not flags
}

// newFlags returns the flag set of command name (such as "company
// create"). The settings h names are bound to cfg as flags; every other
// server setting in cfg takes its STAFFBOT_* value or default.
func newFlags(name string, h cmdHelp, cfg *config.Config, stdout, stderr io.Writer) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet("staffbot "+name, flag.ContinueOnError), name: name, help: h,
		settings: map[string]bool{}, stdout: stdout, stderr: stderr}
	// The flag package's own messages are replaced by one line of ours.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	all := flag.NewFlagSet("settings", flag.ContinueOnError)
	cfg.Bind(all)
	for _, s := range h.settings {
		f := all.Lookup(s)
		if f == nil {
			panic("staffbot: no setting --" + s)
		}
		fs.Var(f.Value, f.Name, f.Usage)
		fs.settings[s] = true
	}
	return fs
}

// parse parses args. --help prints the help on stdout and returns
// flag.ErrHelp (exit 0); a bad flag prints one line on stderr and returns
// errUsage (exit 2).
//
// Flags may come before or after the other arguments ("import employees
// staff.csv --company acme"); after "--" everything is an argument.
func (fs *flagSet) parse(args []string) error {
	fs.rest = nil
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fs.printHelp(fs.stdout)
			return err
		case err != nil:
			return fs.usageError("%v", err)
		}
		left := fs.FlagSet.Args()
		if len(left) == 0 {
			return nil
		}
		if len(args) > len(left) && args[len(args)-len(left)-1] == "--" {
			fs.rest = append(fs.rest, left...)
			return nil
		}
		fs.rest = append(fs.rest, left[0])
		args = left[1:]
	}
}

// Args, NArg and Arg are the arguments that are not flags.
func (fs *flagSet) Args() []string { return fs.rest }
func (fs *flagSet) NArg() int      { return len(fs.rest) }
func (fs *flagSet) Arg(i int) string {
	if i < 0 || i >= len(fs.rest) {
		return ""
	}
	return fs.rest[i]
}

// usageError prints what is wrong with the command line and where to
// read more, on one line, and returns errUsage.
func (fs *flagSet) usageError(format string, a ...any) error {
	fmt.Fprintf(fs.stderr, "staffbot %s: %s; see 'staffbot %s --help'\n", fs.name, fmt.Sprintf(format, a...), fs.name)
	return errUsage
}

// args is a usage error unless the command line has exactly n arguments
// after the flags, named by what.
func (fs *flagSet) args(n int, what string) error {
	switch {
	case fs.NArg() == n:
		return nil
	case fs.NArg() > n:
		return fs.usageError("unexpected argument %q", fs.Arg(n))
	}
	return fs.usageError("missing %s", what)
}

// require is a usage error unless every named flag has a value.
func (fs *flagSet) require(names ...string) error {
	var missing []string
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			missing = append(missing, "--"+n)
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return fs.usageError("%s is required", missing[0])
	}
	return fs.usageError("%s are required", strings.Join(missing, " and "))
}

// printHelp writes the usage line, what the command does, an example, the
// command's own flags and then the server settings it reads.
func (fs *flagSet) printHelp(w io.Writer) {
	h := fs.help
	fmt.Fprintf(w, "Usage: staffbot %s\n", h.usage)
	for _, para := range strings.Split(strings.TrimSpace(h.about), "\n\n") {
		if para != "" {
			fmt.Fprintf(w, "\n%s\n", strings.Join(wrap(para, 78), "\n"))
		}
	}
	if h.example != "" {
		fmt.Fprintln(w, "\nExample:")
		for _, line := range strings.Split(strings.TrimSpace(h.example), "\n") {
			fmt.Fprintf(w, "  %s\n", strings.TrimSpace(line))
		}
	}
	var own, settings [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		if fs.settings[f.Name] {
			return
		}
		own = append(own, [2]string{flagSynopsis(f), ownDescription(f)})
	})
	var c config.Config
	for _, v := range c.Vars() {
		if !fs.settings[v.Flag] {
			continue
		}
		desc := v.Usage
		if v.Default != "" {
			desc += " (default " + v.Default + ")"
		}
		settings = append(settings, [2]string{"--" + v.Flag + " " + settingPlaceholders[v.Flag], desc + "; env " + v.Env})
	}
	col := flagColumn(append(slices.Clone(own), settings...))
	if len(own) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		printFlagTable(w, own, col)
	}
	if len(settings) > 0 {
		fmt.Fprintln(w, "\nSettings (each also read from its STAFFBOT_* variable):")
		printFlagTable(w, settings, col)
	}
}

var settingPlaceholders = map[string]string{
	"addr": "ADDR", "data-dir": "DIR", "database-url": "URL", "base-url": "URL", "telegram-api-url": "URL",
	"telegram-mode": "MODE", "master-key": "KEY", "log-level": "LEVEL", "log-format": "FORMAT", "smtp-url": "URL",
}

// flagPlaceholders name the value of common flags in help texts.
var flagPlaceholders = map[string]string{
	"company": "SLUG", "slug": "SLUG", "employee": "NUMBER", "email": "EMAIL", "role": "ROLE", "name": "NAME",
	"time-zone": "ZONE", "telegram-token": "TOKEN", "url": "URL", "type": "TYPE", "user": "LOGIN",
	"password": "PASSWORD", "token": "TOKEN", "mapping": "FILE", "file": "FILE", "request": "ID", "status": "STATUS",
	"department": "NAME", "office": "NAME", "from": "DATE", "to": "DATE", "kind": "KIND", "model": "MODEL",
	"key-file": "FILE", "new-master-key": "KEY", "new-master-key-file": "FILE", "scratch": "KIND",
	"scratch-dir": "DIR", "kb": "FILE", "by": "NAME", "service-path": "PATH", "department-catalog": "NAME",
	"charset": "CHARSET", "ttl": "TTL",
}

// secretFlags never show their default, which may come from the
// environment.
var secretFlags = map[string]bool{"telegram-token": true, "password": true, "token": true, "new-master-key": true}

func flagSynopsis(f *flag.Flag) string {
	kind, _ := flag.UnquoteUsage(f)
	if kind == "" { // a bool
		return "--" + f.Name
	}
	if p, ok := flagPlaceholders[f.Name]; ok {
		return "--" + f.Name + " " + p
	}
	switch kind {
	case "int", "uint", "int64", "float":
		kind = "N"
	default:
		kind = strings.ToUpper(kind)
	}
	return "--" + f.Name + " " + kind
}

func ownDescription(f *flag.Flag) string {
	_, desc := flag.UnquoteUsage(f)
	kind, _ := flag.UnquoteUsage(f)
	if secretFlags[f.Name] || kind == "" {
		return desc
	}
	switch f.DefValue {
	case "", "0", "0s", "false", "[]", "-1":
		return desc
	}
	if strings.Contains(desc, "(default") {
		return desc
	}
	return desc + " (default " + f.DefValue + ")"
}

// flagColumn is the width of the flags' column: the longest flag that
// fits in 30 columns.
func flagColumn(rows [][2]string) int {
	col := 0
	for _, r := range rows {
		if n := utf8.RuneCountInString(r[0]); n > col && n <= 30 {
			col = n
		}
	}
	return col
}

// printFlagTable prints flags and descriptions in two columns, the
// descriptions wrapped to fit 80 columns.
func printFlagTable(w io.Writer, rows [][2]string, col int) {
	const width = 80
	indent := strings.Repeat(" ", 2+col+2)
	for _, r := range rows {
		lines := wrap(r[1], width-len(indent))
		if utf8.RuneCountInString(r[0]) > col {
			fmt.Fprintf(w, "  %s\n", r[0])
		} else if len(lines) > 0 {
			fmt.Fprintf(w, "  %-*s  %s\n", col, r[0], lines[0])
			lines = lines[1:]
		}
		for _, l := range lines {
			fmt.Fprintf(w, "%s%s\n", indent, l)
		}
	}
}

// wrap splits text into lines of at most width runes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	var line strings.Builder
	for _, word := range strings.Fields(text) {
		if line.Len() > 0 && utf8.RuneCountInString(line.String())+1+utf8.RuneCountInString(word) > width {
			lines = append(lines, line.String())
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(word)
	}
	if line.Len() > 0 {
		lines = append(lines, line.String())
	}
	return lines
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

// dispatch runs the subcommand that args[0] names. --help prints the
// command's usage on stdout; no subcommand prints it on stderr as an
// error; an unknown one is a one-line error.
func dispatch(ctx context.Context, command, usage string, subs []subcommand, args []string, stdout, stderr io.Writer) error {
	usage = strings.TrimSpace(usage) + "\n\nRun 'staffbot " + command + " <subcommand> --help' for a subcommand's flags and an example."
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stdout, usage)
		return flag.ErrHelp
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errUsage
	}
	names := make([]string, len(subs))
	for i, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, args[1:], stdout, stderr)
		}
		names[i] = s.name
	}
	what := "subcommand"
	if strings.HasPrefix(args[0], "-") {
		what = "flag"
	}
	fmt.Fprintf(stderr, "staffbot %s: unknown %s %q%s; the subcommands are %s; see 'staffbot %s --help'\n",
		command, what, args[0], suggest(args[0], names), strings.Join(names, ", "), command)
	return errUsage
}

// openStore checks the configuration and opens the migrated store of an
// existing installation, for the one-shot commands. Without a database
// URL, the SQLite file must already be in the data directory: a mistyped
// --data-dir is an error, not a fresh database and master key.
func openStore(ctx context.Context, cfg config.Config, stderr io.Writer) (*store.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := needDatabase(cfg); err != nil {
		return nil, err
	}
	return createStore(ctx, cfg, stderr)
}

// needDatabase reports an error when the configured SQLite database does
// not exist yet; a database URL is left to the database to answer.
func needDatabase(cfg config.Config) error {
	if cfg.DatabaseURL != "" {
		return nil
	}
	if _, err := os.Stat(cfg.DSN()); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no staffbot database in %s (run `staffbot migrate` or `company create` first, or check --data-dir)", cfg.DataDir)
	}
	return nil
}

// createStore is openStore for the commands that may set up a new
// installation (company create): a missing SQLite database and master
// key are created. app.OpenStore logs each migration it applies at info,
// as the server's log should; for a one-shot command they are debug
// lines, so that its output on a fresh data directory stays its own.
func createStore(ctx context.Context, cfg config.Config, stderr io.Writer) (*store.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return app.OpenStore(ctx, cfg, slog.New(demoted{newLogger(cfg, stderr).Handler()}))
}

// demoted hands info records on as debug ones.
type demoted struct{ slog.Handler }

func (d demoted) Enabled(ctx context.Context, l slog.Level) bool {
	if l == slog.LevelInfo {
		l = slog.LevelDebug
	}
	return d.Handler.Enabled(ctx, l)
}

func (d demoted) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo {
		r.Level = slog.LevelDebug
	}
	return d.Handler.Handle(ctx, r)
}

func (d demoted) WithAttrs(as []slog.Attr) slog.Handler { return demoted{d.Handler.WithAttrs(as)} }
func (d demoted) WithGroup(name string) slog.Handler    { return demoted{d.Handler.WithGroup(name)} }

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.LogFormat, "text") {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
