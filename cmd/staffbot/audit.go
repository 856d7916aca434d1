package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/store"
)

const auditUsage = `Usage: staffbot audit verify [--company SLUG]
       staffbot audit export --company SLUG [--from YYYY-MM-DD] [--to YYYY-MM-DD] > audit.csv
       staffbot audit retention --company SLUG [--audit-days N] [--anonymize-after-days N]

verify checks that no audit record was edited, deleted or moved (every
company and the installation when no --company is given) and exits 1 if one
was. export writes a company's records as CSV, the dates in the company's
time zone and both included. retention shows or sets how long a company
keeps its audit log (default 183 days) and dismissed employees' data
(default 30 days after the dismissal date).`

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx = staffbot.WithActor(ctx, audit.CLIActor())
	return dispatch(ctx, "audit", auditUsage, []subcommand{
		{"verify", auditVerify},
		{"export", auditExport},
		{"retention", auditRetention},
	}, args, stdout, stderr)
}

func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("audit verify", cmdHelp{
		usage: "audit verify [--company SLUG] [flags]",
		about: `Checks that no audit record was edited, deleted or moved: every company's
hash chain and the installation's, or one company's. Exits 1 when one was.`,
		example:  "staffbot audit verify --company acme",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	slug := fs.String("company", "", "check only this company's chain")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()

	var reps []*store.AuditReport
	if *slug != "" {
		co, err := findCompany(ctx, st, *slug)
		if err != nil {
			return err
		}
		rep, err := audit.Verify(ctx, st, co.ID)
		if err != nil {
			return err
		}
		reps = append(reps, rep)
	} else if reps, err = audit.VerifyAll(ctx, st); err != nil {
		return err
	}

	names, err := companyNames(ctx, st)
	if err != nil {
		return err
	}
	problems := 0
	for _, r := range reps {
		status := "intact"
		if !r.OK() {
			status = fmt.Sprintf("%d PROBLEM(S)", len(r.Problems))
		}
		head := r.HeadHash
		if len(head) > 16 {
			head = head[:16]
		}
		fmt.Fprintf(stdout, "%s: %d records, %d to %d, head %s: %s\n", names(r.CompanyID), r.Records,
			r.AnchorSeq+1, r.HeadSeq, head, status)
		for _, p := range r.Problems {
			fmt.Fprintf(stdout, "  %s\n", p)
		}
		problems += len(r.Problems)
	}
	if problems > 0 {
		return fmt.Errorf("the audit log was tampered with: %d problem(s)", problems)
	}
	return nil
}

// companyNames returns a function naming a company id by slug, and the
// installation's chain as such.
func companyNames(ctx context.Context, st *store.Store) (func(staffbot.CompanyID) string, error) {
	cos, err := st.FindCompanies(ctx)
	if err != nil {
		return nil, err
	}
	slugs := map[staffbot.CompanyID]string{0: "(installation)"}
	for _, co := range cos {
		slugs[co.ID] = co.Slug
	}
	return func(id staffbot.CompanyID) string {
		if s, ok := slugs[id]; ok {
			return s
		}
		return fmt.Sprintf("company %d (gone)", id)
	}, nil
}

func auditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("audit export", cmdHelp{
		usage: "audit export --company SLUG [--from DATE] [--to DATE] [flags] > audit.csv",
		about: `Writes a company's audit records as CSV on stdout, the dates in the
company's time zone, both days included. The export is itself recorded.`,
		example:  "staffbot audit export --company acme --from 2025-01-01 --to 2025-03-31 > audit-q1.csv",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	fromS := fs.String("from", "", "first day, YYYY-MM-DD (default: the oldest record)")
	toS := fs.String("to", "", "last day, YYYY-MM-DD, included (default: today)")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()

	var from, to time.Time
	if *fromS != "" {
		d, err := staffbot.ParseDate(*fromS)
		if err != nil {
			return fmt.Errorf("--from: %w", err)
		}
		from = d.In(co.Location())
	}
	if *toS != "" {
		d, err := staffbot.ParseDate(*toS)
		if err != nil {
			return fmt.Errorf("--to: %w", err)
		}
		to = d.AddDays(1).In(co.Location())
	}
	n, err := audit.ExportCSV(ctx, st, co.ID, from, to, stdout)
	if err != nil {
		return err
	}
	// Reading the log is itself a read of personal data.
	err = st.InTx(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, staffbot.AuditRecord{
			CompanyID: co.ID, Action: "audit.export", ObjectType: "audit_log",
			After: audit.JSON(map[string]any{"from": *fromS, "to": *toS, "records": n}),
		})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d audit record(s) of %s exported\n", n, co.Slug)
	return nil
}

func auditRetention(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("audit retention", cmdHelp{
		usage: "audit retention --company SLUG [--audit-days N] [--anonymize-after-days N] [flags]",
		about: `Shows, or with a flag sets, how long the company keeps its audit log and
dismissed employees' data.`,
		example:  "staffbot audit retention --company acme --audit-days 365",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	auditDays := fs.Int("audit-days", 0, fmt.Sprintf("keep audit records this many days (30-3650; default %d)", store.DefaultAuditDays))
	anonDays := fs.Int("anonymize-after-days", -1,
		fmt.Sprintf("anonymise dismissed employees this many days after the dismissal date (0-3650; default %d)", store.DefaultAnonymizeAfterDays))
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := st.FindRetention(ctx, co.ID)
	if err != nil {
		return err
	}
	if *auditDays != 0 || *anonDays >= 0 {
		if *auditDays != 0 {
			r.AuditDays = *auditDays
		}
		if *anonDays >= 0 {
			r.AnonymizeAfterDays = *anonDays
		}
		if err := st.SetRetention(ctx, co.ID, r, time.Now()); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s: audit records kept %d days; dismissed employees anonymised %d days after dismissal\n",
		co.Slug, r.AuditDays, r.AnonymizeAfterDays)
	return nil
}
