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

func runServices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = `Usage: staffbot services list --company SLUG
       staffbot services enable|disable --company SLUG SERVICE
       staffbot services requests --company SLUG [--status new] [--limit N]
       staffbot services take|ready|close --company SLUG --request ID [--file PDF] [--decline]`
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, usage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	switch args[0] {
	case "list":
		return servicesList(ctx, args[1:], stdout, stderr)
	case "enable", "disable":
		return servicesEnable(ctx, args[0], args[1:], stdout, stderr)
	case "requests":
		return servicesRequests(ctx, args[1:], stdout, stderr)
	case "take", "ready", "close":
		return servicesStep(ctx, args[0], args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "staffbot services: unknown subcommand %q (list, enable, disable, requests, take, ready, close)\n", args[0])
	return errUsage
}

// openServices opens the store and the company's catalogue for a
// subcommand; close releases them.
func openServices(ctx context.Context, cfg config.Config, slug string, stderr io.Writer) (*selfservice.Service, *staffbot.Company, func(), error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, nil, err
	}
	logger := newLogger(cfg, stderr)
	st, err := app.OpenStore(ctx, cfg, logger)
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
	fs := newFlags("services list", "services list --company SLUG [flags]", &cfg, stderr)
	slug := fs.String("company", "", "company slug (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	svc, co, done, err := openServices(ctx, cfg, *slug, stderr)
	if err != nil {
		return err
	}
	defer done()
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
	fs := newFlags("services "+verb, "services "+verb+" --company SLUG SERVICE [flags]", &cfg, stderr)
	slug := fs.String("company", "", "company slug (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "staffbot services %s: name one service (see 'staffbot services list')\n", verb)
		return errUsage
	}
	svc, co, done, err := openServices(ctx, cfg, *slug, stderr)
	if err != nil {
		return err
	}
	defer done()
	key := fs.Arg(0)
	if err := svc.SetEnabled(staffbot.WithActor(ctx, audit.CLIActor()), co.ID, key, verb == "enable"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %sd for %s\n", key, verb, co.Slug)
	return nil
}

func servicesRequests(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("services requests", "services requests --company SLUG [--status S] [flags]", &cfg, stderr)
	slug := fs.String("company", "", "company slug (required)")
	status := fs.String("status", "", "only this status: submitted, new, in_progress, ready, closed")
	limit := fs.Int("limit", 50, "how many of the latest requests")
	if err := parse(fs, args); err != nil {
		return err
	}
	svc, co, done, err := openServices(ctx, cfg, *slug, stderr)
	if err != nil {
		return err
	}
	defer done()
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

func servicesStep(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("services "+verb, "services "+verb+" --company SLUG --request ID [flags]", &cfg, stderr)
	slug := fs.String("company", "", "company slug (required)")
	id := fs.Int64("request", 0, "request id (required; see 'staffbot services requests')")
	file := fs.String("file", "", "ready: the document to send the employee by a secure link")
	decline := fs.Bool("decline", false, "close: decline the request and tell the employee")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id <= 0 || (*file != "" && verb != "ready") || (*decline && verb != "close") {
		fmt.Fprintf(stderr, "staffbot services %s: --request is required; --file goes with ready, --decline with close\n", verb)
		return errUsage
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
