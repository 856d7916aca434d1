package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/store"
)

// stdin is where --password-stdin reads; tests replace it.
var stdin io.Reader = os.Stdin

const adminUsage = `Usage: staffbot admin create --company SLUG --email E --role ROLE [--password-stdin] [flags]
       staffbot admin list --company SLUG
       staffbot admin reset --company SLUG --email E

Roles: owner, admin, hr_manager, hr_operator, analyst, line_manager.`

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "admin", adminUsage, []subcommand{
		{"create", adminCreate},
		{"list", adminList},
		{"reset", adminReset},
	}, args, stdout, stderr)
}

// openAuth opens the store and an auth service for a one-shot command.
func openAuth(ctx context.Context, cfg config.Config, stderr io.Writer, slug string) (*store.Store, *auth.Service, *staffbot.Company, error) {
	st, err := openStore(ctx, cfg, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	co, err := findCompany(ctx, st, slug)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return st, authFor(cfg, st, stderr), co, nil
}

// authFor is the auth service of a one-shot command over an open store.
func authFor(cfg config.Config, st *store.Store, stderr io.Writer) *auth.Service {
	// Users and tokens made here are recorded in the audit log.
	rec := &audit.Recorder{Store: st, Clock: staffbot.SystemClock{}}
	logger := newLogger(cfg, stderr)
	return auth.New(st, staffbot.SystemClock{}, auth.Options{Logger: logger, Auditor: rec})
}

func adminCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("admin create", cmdHelp{
		usage: "admin create --company SLUG --email EMAIL --role ROLE [--password-stdin] [flags]",
		about: `Creates a user of the HR cabinet. Without --password-stdin it prints a
one-time password on stdout, to be changed at the first sign-in. Owners and
admins set up two-factor sign-in at their first sign-in.`,
		example:  "staffbot admin create --company acme --email hr@acme.ru --role owner",
		settings: linkSettings,
	}, &cfg, stdout, stderr)
	slug := fs.String("company", "", "company slug (required)")
	email := fs.String("email", "", "the user's e-mail, their sign-in name (required)")
	role := fs.String("role", "", "owner, admin, hr_manager, hr_operator, analyst or line_manager (required)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating a one-time one")
	employee := fs.String("employee", "", "personnel number of the user's own employee record (required for line_manager)")
	var depts, offices stringList
	fs.Var(&depts, "department", "limit the user to a department; repeat for several")
	fs.Var(&offices, "office", "limit the user to an office; repeat for several")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.require("company", "email", "role"); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		return err
	}
	var password string
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		if password = strings.TrimRight(line, "\r\n"); password == "" {
			return errors.New("read password: standard input is empty")
		}
	}

	st, svc, co, err := openAuth(ctx, cfg, stderr, *slug)
	if err != nil {
		return err
	}
	defer st.Close()
	nu := auth.NewUser{Email: *email, Role: r, Password: password, Departments: depts, Offices: offices}
	if *employee != "" {
		e, err := st.FindEmployeeByNumber(ctx, co.ID, *employee)
		if err != nil {
			return fmt.Errorf("employee %s: %w", *employee, err)
		}
		nu.EmployeeID = &e.ID
	}
	u, generated, err := svc.CreateUser(ctx, nil, co.ID, nu)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "user %s created in %s (id %d, role %s)\n", u.Email, co.Slug, u.ID, u.Role)
	if generated != "" {
		fmt.Fprintln(stderr, "one-time password (shown once; it must be changed at the first sign-in):")
		fmt.Fprintln(stdout, generated)
	}
	if r.RequiresTOTP() {
		fmt.Fprintln(stderr, "two-factor sign-in will be set up at the first sign-in")
	}
	fmt.Fprintf(stderr, "sign in at %s/hr/login?company=%s\n", cfg.PublicURL(), co.Slug)
	return nil
}

func adminList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("admin list", cmdHelp{
		usage:    "admin list --company SLUG [flags]",
		about:    "Lists the company's cabinet users with their role, two-factor sign-in and status.",
		example:  "staffbot admin list --company acme",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()
	svc := authFor(cfg, st, stderr)
	users, err := svc.ListUsers(ctx, nil, co.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tROLE\t2FA\tSTATUS\tCREATED")
	for _, u := range users {
		tfa, status := "off", "active"
		if u.TOTPEnabled() {
			tfa = "on"
		}
		if u.DisabledAt != nil {
			status = "blocked"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, tfa, status, u.CreatedAt.Local().Format(time.DateOnly))
	}
	return tw.Flush()
}

func adminReset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("admin reset", cmdHelp{
		usage: "admin reset --company SLUG --email EMAIL [flags]",
		about: `Resets a cabinet user who lost their password or authenticator: turns
two-factor sign-in off, ends every session and prints a one-time password.`,
		example:  "staffbot admin reset --company acme --email hr@acme.ru",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	slug := fs.String("company", "", "company slug (required)")
	email := fs.String("email", "", "the user's e-mail (required)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.require("company", "email"); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	st, svc, co, err := openAuth(ctx, cfg, stderr, *slug)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.FindUserByEmail(ctx, co.ID, auth.NormalizeEmail(*email))
	if err != nil {
		return fmt.Errorf("user %s: %w", *email, err)
	}
	password, err := svc.ResetUser(ctx, nil, co.ID, u.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "user %s reset: two-factor sign-in off, every session ended\n", u.Email)
	fmt.Fprintln(stderr, "one-time password (shown once; it must be changed at the first sign-in):")
	fmt.Fprintln(stdout, password)
	return nil
}
