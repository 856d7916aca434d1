package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/staffbot/staffbot"

	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/importer"
	"github.com/staffbot/staffbot/internal/store"
)

const importUsage = `Usage: staffbot import employees --company SLUG [--dry-run] FILE.csv|FILE.xlsx

Imports a staff list exported from 1C:ZUP or Excel.`

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "import", importUsage, []subcommand{{"employees", importEmployeesCmd}}, args, stdout, stderr)
}

func importEmployeesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The store writes each created or changed employee to the audit log
	// in the import's transaction, as done by this administrator.
	ctx = staffbot.WithActor(ctx, audit.CLIActor())
	var cfg config.Config
	fs := newFlags("import employees", cmdHelp{
		usage: "import employees --company SLUG [--dry-run] [flags] FILE",
		about: `Imports a staff list exported from 1C:ZUP or Excel (CSV or XLSX,
windows-1251 or UTF-8): new employees are created, known ones updated by
personnel number. The file is imported all or nothing; every problem is
listed by line and column. Pay columns (Оклад, Зарплата, Salary, …) are
skipped with a notice: pay stays in the accounting system.`,
		example:  "staffbot import employees --company acme --dry-run staff.csv",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	dryRun := fs.Bool("dry-run", false, "check the file and show what would change, write nothing")
	st, co, err := openCompany(ctx, fs, &cfg, args, 1, "the staff FILE")
	if err != nil {
		return err
	}
	defer st.Close()

	sum, notices, err := importEmployees(ctx, st, co.ID, fs.Arg(0), *dryRun)
	// Notices reject nothing and are shown either way: with the problems
	// of a refused file, or before the summary.
	printNotices := func(w io.Writer) {
		for _, n := range notices {
			fmt.Fprintf(w, "%s: %s\n", filepath.Base(fs.Arg(0)), n.String())
		}
	}
	var problems importer.Problems
	if errors.As(err, &problems) {
		printNotices(stderr)
		fmt.Fprintf(stderr, "%s: %d problem(s); nothing was imported:\n", filepath.Base(fs.Arg(0)), len(problems))
		for _, p := range problems {
			fmt.Fprintf(stderr, "  %s\n", p.String())
		}
		return fmt.Errorf("file rejected")
	}
	if err != nil {
		return err
	}
	printNotices(stdout)
	verb := "imported"
	if *dryRun {
		verb = "checked (dry run, nothing written)"
	}
	fmt.Fprintf(stdout, "%s %s: %d new, %d updated, %d unchanged\n", filepath.Base(fs.Arg(0)), verb, sum.Created, sum.Updated, sum.Unchanged)
	return nil
}

// importEmployees reads a staff file and writes it all or nothing. The
// notices name columns left out on purpose (pay).
func importEmployees(ctx context.Context, st *store.Store, companyID staffbot.CompanyID, path string, dryRun bool) (store.ImportSummary, []importer.Notice, error) {
	f, err := os.Open(path)
	if err != nil {
		return store.ImportSummary{}, nil, err
	}
	defer f.Close()

	known, err := st.EmployeeNumbers(ctx, companyID)
	if err != nil {
		return store.ImportSummary{}, nil, err
	}
	rows, notices, err := importer.ParseAndValidateNotices(f, filepath.Base(path), func(n string) bool { return known[n] })
	if err != nil {
		return store.ImportSummary{}, notices, err
	}

	in := make([]store.EmployeeImport, len(rows))
	for i, r := range rows {
		in[i] = store.EmployeeImport{Employee: r.Employee, ManagerNumber: r.ManagerNumber, MentorNumber: r.MentorNumber}
		in[i].Employee.CompanyID = companyID
	}
	if dryRun {
		sum := store.ImportSummary{}
		for _, r := range in {
			if known[r.Employee.PersonnelNumber] {
				sum.Updated++
			} else {
				sum.Created++
			}
		}
		return sum, notices, nil
	}
	sum, err := st.UpsertEmployees(ctx, companyID, in, time.Now().UTC())
	return sum, notices, err
}
