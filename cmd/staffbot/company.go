package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/store"
)

const companyUsage = "Usage: staffbot company create --slug SLUG [--name NAME] [--time-zone TZ] [--telegram-token TOKEN]\n       staffbot company list"

// runCompany creates or lists companies; who did it goes to the audit log.
func runCompany(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx = staffbot.WithActor(ctx, audit.CLIActor())
	return dispatch(ctx, "company", companyUsage, []subcommand{
		{"create", companyCreate},
		{"list", companyList},
	}, args, stdout, stderr)
}

func companyCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("company create", cmdHelp{
		usage: "company create --slug SLUG [--name NAME] [--time-zone ZONE] [--telegram-token TOKEN] [flags]",
		about: `Creates a company (a tenant). With --telegram-token it asks Telegram which
bot the token belongs to, so that invite links can name it.`,
		example:  `staffbot company create --slug acme --name "ООО Акме" --time-zone Asia/Yekaterinburg`,
		settings: append(slices.Clone(storeSettings), "telegram-api-url"),
	}, &cfg, stdout, stderr)
	slug := fs.String("slug", "", "short latin name used in commands and URLs (required)")
	name := fs.String("name", "", "company name shown to employees")
	tz := fs.String("time-zone", staffbot.DefaultTimeZone, "IANA time zone for schedules")
	token := fs.String("telegram-token", "", "Telegram bot token from @BotFather (optional)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.require("slug"); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	st, err := createStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()

	co := &staffbot.Company{Slug: *slug, Name: *name, TimeZone: *tz}
	if *token != "" {
		if err := withTelegramBot(ctx, cfg, co, *token); err != nil {
			return err
		}
	}
	if err := st.CreateCompany(ctx, co); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "company %s created (id %d, time zone %s)\n", co.Slug, co.ID, co.TimeZone)
	if co.TelegramBotUsername != "" {
		fmt.Fprintf(stdout, "telegram bot: @%s\n", co.TelegramBotUsername)
	}
	return nil
}

// withTelegramBot asks Telegram who the token belongs to, so that invite
// links can name the bot, and gives the company a fresh webhook secret.
func withTelegramBot(ctx context.Context, cfg config.Config, co *staffbot.Company, token string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	me, err := telegram.NewClient(cfg.TelegramAPIURL, token, &http.Client{Timeout: 20 * time.Second}).GetMe(ctx)
	if err != nil {
		return fmt.Errorf("check telegram token: %w", err)
	}
	co.TelegramToken = token
	co.TelegramBotUsername = me.Username
	co.TelegramWebhookSecret = randomHex(24)
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func companyList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("company list", cmdHelp{
		usage:    "company list [flags]",
		about:    "Lists the companies with their time zone, Telegram bot and number of employees.",
		example:  "staffbot company list",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
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
	fmt.Fprintln(tw, "SLUG\tNAME\tTIME ZONE\tTELEGRAM\tEMPLOYEES")
	for _, co := range cos {
		n, err := st.EmployeeNumbers(ctx, co.ID)
		if err != nil {
			return err
		}
		bot := "—"
		if co.TelegramBotUsername != "" {
			bot = "@" + co.TelegramBotUsername
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", co.Slug, co.Name, co.TimeZone, bot, len(n))
	}
	return tw.Flush()
}

// openCompany is the start of a one-shot command about one company: it
// parses the flags, checks that --company and nargs arguments (-1: at
// most one) named by what are given, opens the store and finds the
// company. The caller closes the store.
func openCompany(ctx context.Context, fs *flagSet, cfg *config.Config, args []string, nargs int, what string) (*store.Store, *staffbot.Company, error) {
	if err := fs.parse(args); err != nil {
		return nil, nil, err
	}
	if err := fs.require("company"); err != nil {
		return nil, nil, err
	}
	if nargs < 0 { // an optional one
		nargs = min(fs.NArg(), 1)
	}
	if err := fs.args(nargs, what); err != nil {
		return nil, nil, err
	}
	slug := fs.Lookup("company").Value.String()
	st, err := openStore(ctx, *cfg, fs.stderr)
	if err != nil {
		return nil, nil, err
	}
	co, err := findCompany(ctx, st, slug)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, co, nil
}

func findCompany(ctx context.Context, st *store.Store, slug string) (*staffbot.Company, error) {
	if slug == "" {
		return nil, fmt.Errorf("--company is required")
	}
	co, err := st.FindCompanyBySlug(ctx, slug)
	if err != nil {
		return nil, fmt.Errorf("company %q not found (see 'staffbot company list')", slug)
	}
	return co, nil
}
