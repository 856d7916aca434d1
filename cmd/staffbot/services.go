package main

import (
	"context"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
)

const servicesUsage = `Usage: staffbot services list --company SLUG
       staffbot services enable|disable --company SLUG SERVICE
       staffbot services requests --company SLUG [--status new] [--limit N]
       staffbot services take|ready|close --company SLUG --request ID [--file PDF] [--decline]`

func runServices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	subs := []subcommand{{"list", servicesList}, {"requests", servicesRequests}}
	for _, verb := range []string{"enable", "disable"} {
		subs = append(subs, subcommand{verb, func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return servicesEnable(ctx, verb, args, stdout, stderr)
		}})
	}
	for _, verb := range []string{"take", "ready", "close"} {
		subs = append(subs, subcommand{verb, func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return servicesStep(ctx, verb, args, stdout, stderr)
		}})
	}
	return dispatch(ctx, "services", servicesUsage, subs, args, stdout, stderr)
}

// openServices opens the store and the company's catalogue for a
// subcommand; close releases them.
func openServices(ctx context.Context, cfg config.Config, slug string, stderr io.Writer) (*selfservice.Service, *staffbot.Company, func(), error) {
	logger := newLogger(cfg, stderr)
	st, err := openStore(ctx, cfg, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	co, err := findCompany(ctx, st, slug)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return app.SelfServiceFor(cfg, st, logger), co, func() { st.Close() }, nil
}

func servicesList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("services list", cmdHelp{
		usage: "services list --company SLUG [flags]",
		about: `Lists the self-service catalogue: each service, whether it is on, and
whether the accounting system or HR fulfils it.`,
		example:  "staffbot services list --company acme",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()
	svc := app.SelfServiceFor(cfg, st, newLogger(cfg, stderr))
	cat, supported, err := svc.FindCatalog(ctx, co.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tTITLE\tSTATE\tFULFILLED BY\tCLASS\tWHO MAY ORDER")
	for _, s := range cat.Services {
		state := "off"
		switch {
		case s.Offered(supported[s.Key]):
			state = "on"
		case s.Enabled:
			state = "on, not offered: the connector cannot " + string(s.Action)
		}
		by := "HR"
		switch {
		case s.Action != "" && supported[s.Key] && s.HR:
			by = "connector (" + string(s.Action) + "); HR for paper"
		case s.Action != "" && supported[s.Key]:
			by = "connector (" + string(s.Action) + ")"
		}
		who := "all active employees"
		if len(s.Audience.Departments) > 0 {
			who = "departments: " + strings.Join(s.Audience.Departments, ", ")
		}
		class := string(s.Class)
		if len(s.ChatChannels) > 0 {
			class += " (in chat on " + joinKinds(s.ChatChannels) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Key, s.Title.RU, state, by, class, who)
	}
	return tw.Flush()
}

func joinKinds(ks []staffbot.ChannelKind) string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return strings.Join(out, ", ")
}

func servicesEnable(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("services "+verb, cmdHelp{
		usage:    "services " + verb + " --company SLUG [flags] SERVICE",
		about:    "Turns a service of the catalogue " + map[string]string{"enable": "on", "disable": "off"}[verb] + " for the company's employees; 'staffbot services list' names them.",
		example:  "staffbot services " + verb + " --company acme vacation_balance",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	st, co, err := openCompany(ctx, fs, &cfg, args, 1, "the SERVICE (see 'staffbot services list')")
	if err != nil {
		return err
	}
	defer st.Close()
	svc := app.SelfServiceFor(cfg, st, newLogger(cfg, stderr))
	key := fs.Arg(0)
	if err := svc.SetEnabled(staffbot.WithActor(ctx, audit.CLIActor()), co.ID, key, verb == "enable"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %sd for %s\n", key, verb, co.Slug)
	return nil
}

func servicesRequests(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("services requests", cmdHelp{
		usage:    "services requests --company SLUG [--status STATUS] [--limit N] [flags]",
		about:    "Lists the latest self-service requests with their status and outcome.",
		example:  "staffbot services requests --company acme --status new",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	status := fs.String("status", "", "only this status: submitted, new, in_progress, ready, closed")
	limit := fs.Int("limit", 50, "how many of the latest requests")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()
	svc := app.SelfServiceFor(cfg, st, newLogger(cfg, stderr))
	reqs, err := svc.Store.FindServiceRequests(ctx, co.ID, store.ServiceRequestFilter{Status: *status, Limit: *limit})
	if err != nil {
		return err
	}
	loc := co.Location()
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tEMPLOYEE\tSERVICE\tBY\tSTATUS\tOUTCOME\tANSWERS\tERROR")
	numbers := map[staffbot.EmployeeID]string{}
	for _, r := range reqs {
		if r.Status == store.ServiceRequestDraft && *status == "" {
			continue
		}
		num, ok := numbers[r.EmployeeID]
		if !ok {
			num = fmt.Sprint(r.EmployeeID)
			if e, err := svc.Store.FindEmployeeByID(ctx, co.ID, r.EmployeeID); err == nil {
				num = e.PersonnelNumber
			}
			numbers[r.EmployeeID] = num
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.CreatedAt.In(loc).Format("2006-01-02 15:04"), num,
			r.ServiceKey, dash(r.Fulfilment), r.Status, dash(r.Outcome), answers(r.Answers), dash(r.Error))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func answers(a map[string]string) string {
	if len(a) == 0 {
		return "—"
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + a[k]
	}
	return strings.Join(parts, "; ")
}

var servicesStepAbout = map[string]string{
	"take":  "Takes a request HR fulfils into work; the employee is told.",
	"ready": "Marks a request done; with --file the employee gets the document by a secure link.",
	"close": "Closes a request, or declines it with --decline; the employee is told.",
}

func servicesStep(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("services "+verb, cmdHelp{
		usage:    "services " + verb + " --company SLUG --request ID" + map[string]string{"ready": " [--file FILE]", "close": " [--decline]"}[verb] + " [flags]",
		about:    servicesStepAbout[verb],
		example:  "staffbot services " + verb + " --company acme --request 12" + map[string]string{"ready": " --file certificate.pdf"}[verb],
		settings: linkSettings,
	}, &cfg, stdout, stderr)
	slug := fs.String("company", "", "company slug (required)")
	id := fs.Int64("request", 0, "request id (required; see 'staffbot services requests')")
	file, decline := new(string), new(bool)
	switch verb {
	case "ready":
		fs.StringVar(file, "file", "", "the document to send the employee by a secure link")
	case "close":
		fs.BoolVar(decline, "decline", false, "decline the request and tell the employee")
	}
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.require("company"); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	if *id <= 0 {
		return fs.usageError("--request is required")
	}
	svc, co, done, err := openServices(ctx, cfg, *slug, stderr)
	if err != nil {
		return err
	}
	defer done()
	ctx = staffbot.WithActor(ctx, audit.CLIActor())

	switch verb {
	case "take":
		err = svc.Take(ctx, co.ID, *id)
	case "close":
		err = svc.Close(ctx, co.ID, *id, *decline)
	case "ready":
		var spec *securelink.FileSpec
		if *file != "" {
			data, err := os.ReadFile(*file)
			if err != nil {
				return err
			}
			ct := mime.TypeByExtension(strings.ToLower(filepath.Ext(*file)))
			if ct == "" {
				ct = "application/octet-stream"
			}
			spec = &securelink.FileSpec{Name: filepath.Base(*file), ContentType: ct, Data: data}
			defer clear(data)
		}
		err = svc.Ready(ctx, co.ID, *id, spec)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "request %d: %s done\n", *id, verb)
	return nil
}
