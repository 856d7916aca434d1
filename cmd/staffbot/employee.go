package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	ctx = staffbot.WithActor(ctx, audit.CLIActor())
	var subs []subcommand
	for _, sub := range []string{"export", "anonymize", "erase"} {
		subs = append(subs, subcommand{sub, func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return employeeAct(ctx, sub, args, stdout, stderr)
		}})
	}
	return dispatch(ctx, "employee", employeeUsage, subs, args, stdout, stderr)
}

var employeeHelp = map[string]cmdHelp{
	"export": {
		usage: "employee export --company SLUG --employee NUMBER [flags] > data.json",
		about: `Prints everything staffbot holds about one person as JSON, for a
personal-data request (152-FZ art. 14). Every time in it is RFC 3339 in the
company's time zone. The export is recorded in the audit log.`,
		example: "staffbot employee export --company acme --employee 00042 > 00042.json",
	},
	"anonymize": {
		usage: "employee anonymize --company SLUG --employee NUMBER --yes [flags]",
		about: `Replaces the person's name, number and contacts and removes their
messenger accounts, as happens by itself after dismissal. It cannot be undone.`,
		example: "staffbot employee anonymize --company acme --employee 00042 --yes",
	},
	"erase": {
		usage:   "employee erase --company SLUG --employee NUMBER --yes [flags]",
		about:   "Deletes the person and everything about them. It cannot be undone.",
		example: "staffbot employee erase --company acme --employee 00042 --yes",
	},
}

func employeeAct(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	h := employeeHelp[sub]
	h.settings = storeSettings
	fs := newFlags("employee "+sub, h, &cfg, stdout, stderr)
	slug := fs.String("company", "", "company slug (required)")
	number := fs.String("employee", "", "personnel number (required)")
	var yes *bool
	if sub != "export" {
		yes = fs.Bool("yes", false, "confirm: this cannot be undone")
	}
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.require("company", "employee"); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	if yes != nil && !*yes {
		return fs.usageError("this cannot be undone; add --yes to go ahead")
	}
	st, err := openStore(ctx, cfg, stderr)
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
