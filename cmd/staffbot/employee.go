package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/retention"
	"github.com/staffbot/staffbot/internal/store"
)

const employeeUsage = `Usage: staffbot employee export --company SLUG --employee NUMBER > data.json
       staffbot employee anonymize --company SLUG --employee NUMBER --yes
       staffbot employee erase --company SLUG --employee NUMBER --yes

export prints everything staffbot holds about one person as JSON (a
personal-data request, 152-FZ art. 14). anonymize replaces their name,
number and contacts and removes their messenger accounts, as happens by
itself after dismissal (see 'staffbot audit retention'). erase deletes them
and everything about them. Each is written to the audit log without the
person's data.`

func runEmployee(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, employeeUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	switch args[0] {
	case "export", "anonymize", "erase":
	default:
		fmt.Fprintf(stderr, "staffbot employee: unknown subcommand %q (export, anonymize, erase)\n", args[0])
		return errUsage
	}
	sub := args[0]
	ctx = staffbot.WithActor(ctx, audit.CLIActor())

	var cfg config.Config
	synopsis := "employee " + sub + " --company SLUG --employee NUMBER [flags]"
	if sub != "export" {
		synopsis = "employee " + sub + " --company SLUG --employee NUMBER --yes [flags]"
	}
	fs := newFlags("employee "+sub, synopsis, &cfg, stderr)
	slug := fs.String("company", "", "company slug (required)")
	number := fs.String("employee", "", "personnel number (required)")
	yes := fs.Bool("yes", false, "confirm: this cannot be undone")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *number == "" {
		fmt.Fprintf(stderr, "staffbot employee %s: --employee is required\n", sub)
		return errUsage
	}
	if sub != "export" && !*yes {
		fmt.Fprintf(stderr, "staffbot employee %s: this cannot be undone; add --yes to go ahead\n", sub)
		return errUsage
	}
	st, err := openForCommand(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	co, err := findCompany(ctx, st, *slug)
	if err != nil {
		return err
	}
	emp, err := st.FindEmployeeByNumber(ctx, co.ID, *number)
	if err != nil {
		return fmt.Errorf("employee %s not found in %s", *number, co.Slug)
	}
	now := time.Now()

	switch sub {
	case "export":
		exp, err := retention.Export(ctx, st, co, emp.ID, now)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(exp)
	case "anonymize":
		rep, err := retention.Anonymize(ctx, st, co, emp.ID, now)
		if err != nil {
			return err
		}
		if rep.Already {
			fmt.Fprintf(stdout, "employee %s was anonymised before; nothing to do\n", *number)
			return nil
		}
		printAct(stdout, "anonymised", *number, rep)
	case "erase":
		rep, err := retention.Erase(ctx, st, co, emp.ID, now)
		if err != nil {
			return err
		}
		printAct(stdout, "erased", *number, rep)
	}
	return nil
}

func printAct(w io.Writer, verb, number string, r *store.AnonymizeReport) {
	fmt.Fprintf(w, "employee %s (id %d) %s: %d messenger account(s), %d invite(s), %d message(s), %d run(s), "+
		"%d answer(s), %d task(s), %d consent record(s), %d mention(s) elsewhere, %d audit record(s) redacted\n",
		number, r.EmployeeID, verb, r.Accounts, r.Invites, r.Messages, r.Runs, r.Answers, r.Tasks, r.Consents,
		r.Mentions, r.AuditRedacted)
}
