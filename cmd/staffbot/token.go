package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/config"
)

const tokenUsage = `Usage: staffbot token create --company SLUG --role ROLE [--ttl 90d] [--name N] [flags]
       staffbot token list --company SLUG
       staffbot token revoke --company SLUG ID

Roles: admin, hr_manager, hr_operator, analyst, line_manager.`

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "token", tokenUsage, []subcommand{
		{"create", tokenCreate},
		{"list", tokenList},
		{"revoke", tokenRevoke},
	}, args, stdout, stderr)
}

// parseTTL reads a lifetime: a number of days ("90d") or a Go duration
// ("12h").
func parseTTL(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("--ttl %q: use a number of days like 90d, or a duration like 12h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--ttl %q: use a number of days like 90d, or a duration like 12h", s)
	}
	return d, nil
}

func tokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("token create", cmdHelp{
		usage: "token create --company SLUG --role ROLE [--ttl 90d] [--name NAME] [flags]",
		about: `Creates a token for the REST API (/api/v1/) and prints it on stdout. It is
shown once and stored only as a hash.`,
		example:  "staffbot token create --company acme --role analyst --ttl 30d --name bi-export",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	slug := fs.String("company", "", "company slug (required)")
	role := fs.String("role", "", "admin, hr_manager, hr_operator, analyst or line_manager (required)")
	ttl := fs.String("ttl", "90d", "lifetime: days (90d) or a duration (12h); at most 366d")
	name := fs.String("name", "", "a name to recognise the token by (default: the role)")
	employee := fs.String("employee", "", "personnel number whose team a line_manager token sees")
	var depts, offices stringList
	fs.Var(&depts, "department", "limit the token to a department; repeat for several")
	fs.Var(&offices, "office", "limit the token to an office; repeat for several")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.require("company", "role"); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		return err
	}
	life, err := parseTTL(*ttl)
	if err != nil {
		return err
	}
	st, svc, co, err := openAuth(ctx, cfg, stderr, *slug)
	if err != nil {
		return err
	}
	defer st.Close()
	nt := auth.NewToken{Name: *name, Role: r, TTL: life, Departments: depts, Offices: offices}
	if *employee != "" {
		e, err := st.FindEmployeeByNumber(ctx, co.ID, *employee)
		if err != nil {
			return fmt.Errorf("employee %s: %w", *employee, err)
		}
		nt.EmployeeID = &e.ID
	}
	token, tk, err := svc.CreateToken(ctx, nil, co.ID, nt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "token %d (%s, role %s) created for %s, valid until %s\n",
		tk.ID, tk.Name, tk.Role, co.Slug, tk.ExpiresAt.Local().Format("02.01.2006 15:04"))
	fmt.Fprintln(stderr, "it is shown once and stored only as a hash; send it as 'Authorization: Bearer TOKEN':")
	fmt.Fprintln(stdout, token)
	return nil
}

func tokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("token list", cmdHelp{
		usage:    "token list --company SLUG [flags]",
		about:    "Lists the company's API tokens: name, role, status, expiry and last use.",
		example:  "staffbot token list --company acme",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()
	svc := authFor(cfg, st, stderr)
	tokens, err := svc.ListTokens(ctx, nil, co.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tSTATUS\tEXPIRES\tLAST USED")
	for _, tk := range tokens {
		status := "active"
		switch {
		case tk.RevokedAt != nil:
			status = "revoked"
		case !now.Before(tk.ExpiresAt):
			status = "expired"
		}
		used := "never"
		if tk.LastUsedAt != nil {
			used = tk.LastUsedAt.Local().Format("02.01.2006 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", tk.ID, tk.Name, tk.Role, status,
			tk.ExpiresAt.Local().Format("02.01.2006 15:04"), used)
	}
	return tw.Flush()
}

func tokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("token revoke", cmdHelp{
		usage:    "token revoke --company SLUG [flags] ID",
		about:    "Revokes an API token at once; 'staffbot token list' shows the IDs.",
		example:  "staffbot token revoke --company acme 7",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	slug := fs.String("company", "", "company slug (required)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.require("company"); err != nil {
		return err
	}
	if err := fs.args(1, "the token ID (see 'staffbot token list')"); err != nil {
		return err
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil {
		return fs.usageError("%q is not a token ID", fs.Arg(0))
	}
	st, svc, co, err := openAuth(ctx, cfg, stderr, *slug)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := svc.RevokeToken(ctx, nil, co.ID, id); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "token %d revoked\n", id)
	return nil
}
