package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/hris/rest"
	"github.com/staffbot/staffbot/internal/store"
)

// Secrets may come from the environment instead of the command line, where
// other users of the machine could read them in the process list.
const (
	envConnectorPassword = "STAFFBOT_CONNECTOR_PASSWORD"
	envConnectorToken    = "STAFFBOT_CONNECTOR_TOKEN"
)

const connectorUsage = `Usage: staffbot connector add --company SLUG --type 1c|successfactors|rest --url URL [--user U --password P | --token T] [flags]
       staffbot connector list [--company SLUG]
       staffbot connector runs --company SLUG [--limit N]
       staffbot connector missing --company SLUG
       staffbot connector confirm-missing --company SLUG (--employee NUMBER… | --all)
       staffbot connector policy --company SLUG [--dismiss-missing-after N] [--max-missing-percent P]`

func runConnector(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "connector", connectorUsage, []subcommand{
		{"add", connectorAdd},
		{"list", connectorList},
		{"runs", connectorRuns},
		{"missing", connectorMissing},
		{"confirm-missing", connectorConfirmMissing},
		{"policy", connectorPolicy},
	}, args, stdout, stderr)
}

func connectorAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("connector add", cmdHelp{
		usage: "connector add --company SLUG --type 1c|successfactors|rest --url URL [--user LOGIN --password PASSWORD | --token TOKEN] [flags]",
		about: `Saves the company's accounting-system connector (replacing the one it had)
after a test request; the employee sync then runs on schedule. Secrets may
come from STAFFBOT_CONNECTOR_PASSWORD or STAFFBOT_CONNECTOR_TOKEN instead of
the command line, where other users of the machine can read them.`,
		example:  `STAFFBOT_CONNECTOR_PASSWORD=… staffbot connector add --company acme --type 1c --url http://1c.acme.local/zup --user staffbot`,
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	slug := fs.String("company", "", "company slug (required)")
	kind := fs.String("type", "", "1c, successfactors or rest (required)")
	rawURL := fs.String("url", "", "1C: the web publication (http://host/zup); SuccessFactors: the API server; REST: the API base (required)")
	user := fs.String("user", "", "login for HTTP Basic (1C: an infobase user; SuccessFactors: user@companyId)")
	password := fs.String("password", "", "password for --user (or env "+envConnectorPassword+")")
	token := fs.String("token", "", "bearer token instead of a login (or env "+envConnectorToken+")")
	servicePath := fs.String("service-path", "", `1C: root of the staffbot HTTP service under the publication, e.g. "hs/staffbot/v1" (docs/1c-http-service.md); empty: not published`)
	deptCatalog := fs.String("department-catalog", "", "1C: catalog of departments (default Catalog_ПодразделенияОрганизаций)")
	charset := fs.String("charset", "", "1C: encoding of a Cyrillic login in the Basic header: utf-8 (default) or windows-1251")
	mapping := fs.String("mapping", "", "REST: JSON file describing the API (URL templates and field mapping; required for rest)")
	pageSize := fs.Int("page-size", 0, "records per page (default 1C 500, SuccessFactors 1000, REST 100)")
	timeout := fs.Duration("timeout", 0, "per-request timeout (default 30s, SuccessFactors 60s)")
	every := fs.Duration("sync-every", time.Hour, "interval of the scheduled employee sync; 0 turns it off")
	noCheck := fs.Bool("no-check", false, "save without testing the connection")
	dismissAfter := fs.Int("dismiss-missing-after", store.DefaultDismissMissingAfter,
		"dismiss an employee the system stops listing after this many syncs in a row without them; 0: only when HR confirms")
	maxMissing := fs.Int("max-missing-percent", store.DefaultMaxMissingPercent,
		"refuse a sync that leaves more than this share of employees missing at once; 100: never")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	if *password == "" {
		*password = os.Getenv(envConnectorPassword)
	}
	if *token == "" {
		*token = os.Getenv(envConnectorToken)
	}
	if err := checkConnectorFlags(*slug, *kind, *rawURL, *user, *password, *token, *mapping, *every); err != nil {
		return fs.usageError("%v", err)
	}
	policy := store.ConnectorPolicy{DismissAfter: *dismissAfter, MaxMissingPercent: *maxMissing}
	if err := policy.Validate(); err != nil {
		return fs.usageError("%v", err)
	}
	policySet := false
	fs.Visit(func(f *flag.Flag) {
		policySet = policySet || f.Name == "dismiss-missing-after" || f.Name == "max-missing-percent"
	})
	if err := cfg.Validate(); err != nil {
		return err
	}

	set := app.ConnectorSettings{ServicePath: *servicePath, DepartmentCatalog: *deptCatalog, Charset: *charset,
		PageSize: *pageSize, TimeoutSeconds: int(timeout.Seconds())}
	if *mapping != "" {
		raw, err := os.ReadFile(*mapping)
		if err != nil {
			return err
		}
		m, err := rest.ParseMapping(raw)
		if err != nil {
			return err
		}
		set.Mapping = &m
	}
	settings, err := json.Marshal(set)
	if err != nil {
		return err
	}
	c := &store.Connector{Kind: *kind, URL: strings.TrimRight(*rawURL, "/"), Username: *user, Secret: *password,
		Auth: app.AuthBasic, Settings: string(settings), SyncEvery: *every}
	if *token != "" {
		c.Secret, c.Auth = *token, app.AuthBearer
	}
	conn, err := app.OpenConnector(c, nil)
	if err != nil {
		return err
	}

	checked := "not checked"
	if !*noCheck {
		cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := conn.Check(cctx)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "Connection test failed; nothing saved.\n  %v\n", err)
			if hint := connectorHint(hris.Kind(*kind), err); hint != "" {
				fmt.Fprintf(stderr, "  %s\n", hint)
			}
			return errors.New("connection test failed")
		}
		checked = "connection checked"
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
	c.CompanyID = co.ID
	created, err := st.SaveConnector(ctx, c, time.Now().UTC())
	if err != nil {
		return err
	}
	// A replaced connector keeps its policy unless the flags change it.
	if created || policySet {
		if err := st.SetConnectorPolicy(staffbot.WithActor(ctx, audit.CLIActor()), co.ID, policy, time.Now().UTC()); err != nil {
			return err
		}
	}
	verb := "replaced"
	if created {
		verb = "added"
	}
	schedule := "scheduled sync off"
	if c.SyncEvery > 0 {
		schedule = "sync every " + c.SyncEvery.String() + ", first one when the server runs"
	}
	fmt.Fprintf(stdout, "%s connector for %s %s (%s; %s)\n", *kind, co.Slug, verb, checked, schedule)
	var actions []string
	for _, a := range []hris.Action{hris.ActionVacationBalance, hris.ActionPayslip, hris.ActionCertificate} {
		if conn.Supports(a) {
			actions = append(actions, string(a))
		}
	}
	if len(actions) > 0 {
		fmt.Fprintf(stdout, "self-service actions: %s\n", strings.Join(actions, ", "))
	}
	return nil
}

func checkConnectorFlags(slug, kind, rawURL, user, password, token, mapping string, every time.Duration) error {
	var problems []string
	if slug == "" {
		problems = append(problems, "--company is required")
	}
	if _, err := hris.ParseKind(kind); err != nil {
		problems = append(problems, "--type must be 1c, successfactors or rest")
	}
	if rawURL == "" {
		problems = append(problems, "--url is required")
	}
	switch {
	case token != "" && (user != "" || password != ""):
		problems = append(problems, "give either --user and --password or --token, not both")
	case token == "" && user == "":
		problems = append(problems, "give --user and --password, or --token")
	case token == "" && password == "":
		problems = append(problems, "--password is required with --user (or env "+envConnectorPassword+")")
	}
	if kind == string(hris.KindREST) && mapping == "" {
		problems = append(problems, "--mapping is required for a rest connector")
	}
	if every < 0 {
		problems = append(problems, "--sync-every must not be negative")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// connectorHint says what to look at after a failed connection test.
func connectorHint(kind hris.Kind, err error) string {
	switch {
	case errors.Is(err, hris.ErrNotPublished) && kind == hris.KindOneC:
		return `Check that default.vrd has <standardOdata enable="true"/> inside <point>, and that Catalog_Сотрудники, ` +
			`InformationRegister_ТекущиеКадровыеДанныеСотрудников, Catalog_Должности and the department catalog are in the ` +
			`standard OData composition (docs/1c-http-service.md).`
	case errors.Is(err, hris.ErrNotPublished):
		return "The address answered 404: check --url (and the mapping's URL templates)."
	case errors.Is(err, hris.ErrAuth):
		return "The login was refused: check --user and --password (or --token) and the user's rights."
	case errors.Is(err, hris.ErrUnavailable):
		return "The system did not answer in time or failed: check --url, the network, and try again."
	case errors.Is(err, hris.ErrProtocol):
		return "The answer was not what this connector reads: check --url and --type."
	}
	return ""
}

func connectorList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("connector list", cmdHelp{
		usage:    "connector list [--company SLUG] [flags]",
		about:    "Lists the connectors with their schedule and the outcome of the last sync.",
		example:  "staffbot connector list",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	slug := fs.String("company", "", "only this company")
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

	cos, err := st.FindCompanies(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPANY\tTYPE\tURL\tAUTH\tSYNC EVERY\tNEXT SYNC\tMISSING POLICY\tLAST RUN")
	for _, co := range cos {
		if *slug != "" && co.Slug != *slug {
			continue
		}
		c, err := st.FindConnector(ctx, co.ID)
		if errors.Is(err, staffbot.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		auth := c.Auth
		if c.Auth == app.AuthBasic {
			auth = "basic " + c.Username
		}
		every, next := "off", "—"
		if c.SyncEvery > 0 {
			every = c.SyncEvery.String()
		}
		if c.NextSyncAt != nil {
			next = c.NextSyncAt.Local().Format("2006-01-02 15:04")
		}
		last := "never"
		if runs, err := st.FindConnectorRuns(ctx, co.ID, 1); err != nil {
			return err
		} else if len(runs) > 0 {
			last = runSummary(runs[0])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", co.Slug, c.Kind, c.URL, auth, every, next, policyText(c.Policy), last)
	}
	return tw.Flush()
}

func connectorRuns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("connector runs", cmdHelp{
		usage:    "connector runs --company SLUG [--limit N] [flags]",
		about:    "Lists the latest employee syncs, what each changed, and why a failed one failed.",
		example:  "staffbot connector runs --company acme --limit 5",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	limit := fs.Int("limit", 20, "how many of the latest runs")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()
	runs, err := st.FindConnectorRuns(ctx, co.ID, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tBY\tRESULT")
	for _, r := range runs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.ID, r.StartedAt.Local().Format("2006-01-02 15:04:05"), r.TriggeredBy, runSummary(r))
	}
	return tw.Flush()
}

// runSummary is one line about a run: its counts, or why it failed.
func runSummary(r *store.ConnectorRun) string {
	when := r.FinishedAt.Local().Format("2006-01-02 15:04")
	if r.Status != store.ConnectorRunOK {
		return fmt.Sprintf("failed %s: %s", when, r.Error)
	}
	return fmt.Sprintf("ok %s: %d listed, %d new, %d updated, %d revoked, %d skipped", when,
		r.Fetched, r.Created, r.Updated, r.Revoked, r.Skipped)
}

// policyText is a connector's missing-employee policy in a few words.
func policyText(p store.ConnectorPolicy) string {
	dismiss := fmt.Sprintf("dismiss after %d sync(s)", p.DismissAfter)
	if p.DismissAfter == 0 {
		dismiss = "dismiss when HR confirms"
	}
	guard := fmt.Sprintf("refuse over %d%%", p.MaxMissingPercent)
	if p.MaxMissingPercent >= 100 {
		guard = "no share limit"
	}
	return dismiss + ", " + guard
}

func connectorMissing(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("connector missing", cmdHelp{
		usage: "connector missing --company SLUG [--all] [flags]",
		about: `Lists the employees the accounting system listed before and no longer
lists, with how many syncs in a row have missed them. Working ones are
dismissed (their bot access ends) after the number of syncs the connector's
policy says, or at once with 'staffbot connector confirm-missing'.`,
		example:  "staffbot connector missing --company acme",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	all := fs.Bool("all", false, "also those already dismissed")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := st.FindConnector(ctx, co.ID)
	if err != nil {
		return fmt.Errorf("company %s has no connector (see 'staffbot connector add')", co.Slug)
	}
	list, err := st.FindUnlisted(ctx, co.ID, *all)
	if err != nil {
		return err
	}
	loc := co.Location()
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NUMBER\tNAME\tDEPARTMENT\tLAST LISTED\tMISSING SINCE\tSYNCS MISSED\tSTATUS")
	for _, u := range list {
		status := "working"
		if u.Employee.DismissedOn != nil {
			status = "dismissed " + u.Employee.DismissedOn.String()
		} else if c.Policy.DismissAfter > 0 {
			status = fmt.Sprintf("working; dismissed after %d more sync(s)", max(c.Policy.DismissAfter-u.MissingRuns, 1))
		}
		since := "—"
		if u.MissingSince != nil {
			since = u.MissingSince.In(loc).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", u.Employee.PersonnelNumber, u.Employee.FullName, dash(u.Employee.Department),
			u.ListedAt.In(loc).Format("2006-01-02 15:04"), since, u.MissingRuns, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d employee(s) not listed by the system; policy: %s\n", len(list), policyText(c.Policy))
	return nil
}

func connectorConfirmMissing(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("connector confirm-missing", cmdHelp{
		usage: "connector confirm-missing --company SLUG (--employee NUMBER… | --all) [flags]",
		about: `Confirms that employees the accounting system no longer lists have left:
they are dismissed today and their bot access ends, without waiting for
more syncs. Only employees 'staffbot connector missing' lists can be
confirmed. Each dismissal is recorded in the audit log as yours.`,
		example:  "staffbot connector confirm-missing --company acme --employee 00042",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	slug := fs.String("company", "", "company slug (required)")
	var numbers stringList
	fs.Var(&numbers, "employee", "personnel number of a missing employee; repeat for several")
	all := fs.Bool("all", false, "every working employee the system no longer lists")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.require("company"); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	if (len(numbers) == 0) == !*all {
		return fs.usageError("give --employee NUMBER (repeatable) or --all")
	}
	ctx = staffbot.WithActor(ctx, audit.CLIActor())
	st, err := openStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	co, err := findCompany(ctx, st, *slug)
	if err != nil {
		return err
	}
	list, err := st.FindUnlisted(ctx, co.ID, false)
	if err != nil {
		return err
	}
	missing := map[string]staffbot.EmployeeID{}
	for _, u := range list {
		missing[u.Employee.PersonnelNumber] = u.EmployeeID
	}
	var ids []staffbot.EmployeeID
	if *all {
		for _, u := range list {
			ids = append(ids, u.EmployeeID)
		}
	}
	for _, n := range numbers {
		id, ok := missing[n]
		if !ok {
			return fmt.Errorf("employee %s is not missing from the system's list (see 'staffbot connector missing --company %s'); nothing changed", n, co.Slug)
		}
		ids = append(ids, id)
	}
	now := time.Now()
	done, err := st.DismissUnlisted(ctx, co.ID, ids, staffbot.DateOf(now.In(co.Location())), now)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d employee(s) dismissed today; their bot access has ended\n", len(done))
	return nil
}

func connectorPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("connector policy", cmdHelp{
		usage: "connector policy --company SLUG [--dismiss-missing-after N] [--max-missing-percent P] [flags]",
		about: `Shows, or with a flag sets, what an employee sync does with employees the
accounting system stops listing: after how many syncs in a row without them
they are dismissed (0: only when HR confirms), and above which share of
employees missing at once a sync is refused as a likely truncated list.`,
		example:  "staffbot connector policy --company acme --dismiss-missing-after 5 --max-missing-percent 10",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	dismissAfter := fs.Int("dismiss-missing-after", -1, "dismiss after this many syncs in a row without them; 0: only when HR confirms")
	maxMissing := fs.Int("max-missing-percent", -1, "refuse a sync that leaves more than this share missing at once; 100: never")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := st.FindConnector(ctx, co.ID)
	if err != nil {
		return fmt.Errorf("company %s has no connector (see 'staffbot connector add')", co.Slug)
	}
	p := c.Policy
	if *dismissAfter >= 0 || *maxMissing >= 0 {
		if *dismissAfter >= 0 {
			p.DismissAfter = *dismissAfter
		}
		if *maxMissing >= 0 {
			p.MaxMissingPercent = *maxMissing
		}
		if err := p.Validate(); err != nil {
			return fs.usageError("%v", err)
		}
		if err := st.SetConnectorPolicy(staffbot.WithActor(ctx, audit.CLIActor()), co.ID, p, time.Now()); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s: %s\n", co.Slug, policyText(p))
	return nil
}
