package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/demo"
)

// demoHREmail is the demo company's HR manager in the cabinet.
const demoHREmail = "hr@demo.local"

func hasNumber(invites []printedInvite, number string) bool {
	for _, inv := range invites {
		if inv.emp.PersonnelNumber == number {
			return true
		}
	}
	return false
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("demo", cmdHelp{
		usage: "demo [--speed X] [--telegram-token TOKEN] [flags]",
		about: `Creates the demo company once (a sample 1C:ZUP staff list, a few weeks of
history for the dashboards, a newcomer who starts in three days and an HR
manager) and serves it on 127.0.0.1:8080 with text logs, unless
STAFFBOT_ADDR or STAFFBOT_LOG_FORMAT say otherwise. It prints the
newcomer's and her mentor's invite links, the company code for the HR
cabinet's sign-in form (demo) and the HR manager's one-time password.`,
		example:  `staffbot demo --speed 1440`,
		settings: allSettings(),
	}, &cfg, stdout, stderr)
	token := fs.String("telegram-token", os.Getenv("STAFFBOT_TELEGRAM_TOKEN"),
		"also run the demo bot in Telegram by long polling (env STAFFBOT_TELEGRAM_TOKEN)")
	speed := fs.Float64("speed", 1, "how many times faster than real time the demo clock runs (1440: a day a minute)")
	if os.Getenv("STAFFBOT_LOG_FORMAT") == "" {
		fs.Set("log-format", "text")
	}
	if os.Getenv("STAFFBOT_ADDR") == "" {
		// The demo's invites and staff list stay on this machine unless
		// asked otherwise.
		fs.Set("addr", "127.0.0.1:8080")
	}
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	if *token != "" && cfg.TelegramMode == "auto" {
		cfg.TelegramMode = "poll"
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)

	var clock staffbot.Clock = staffbot.SystemClock{}
	if *speed != 1 {
		clock = staffbot.NewScaledClock(*speed)
	}
	now := clock.Now().UTC()

	st, err := app.OpenStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	co, created, err := demo.Ensure(ctx, st, now)
	if err != nil {
		st.Close()
		return err
	}
	if created {
		// A few weeks of activity, so that the dashboards have something
		// to chart.
		if _, err := demo.SeedHistory(ctx, st, co, now); err != nil {
			st.Close()
			return err
		}
	}
	if *token != "" && *token != co.TelegramToken {
		if err := withTelegramBot(ctx, cfg, co, *token); err != nil {
			st.Close()
			return err
		}
		if err := st.UpdateCompanyTelegram(ctx, co.ID, co.TelegramBotUsername, co.TelegramToken, co.TelegramWebhookSecret); err != nil {
			st.Close()
			return err
		}
	}

	// An HR manager for the cabinet, made with the company; the password
	// is shown once and must be changed at the first sign-in.
	var hrPassword string
	if created {
		rec := &audit.Recorder{Store: st, Clock: clock}
		svc := auth.New(st, clock, auth.Options{Logger: logger, Auditor: rec})
		if _, hrPassword, err = svc.CreateUser(ctx, nil, co.ID, auth.NewUser{Email: demoHREmail, Role: auth.RoleHRManager}); err != nil {
			st.Close()
			return err
		}
	}

	// Fresh links every start for whoever has not registered yet; the
	// older links stop working.
	invites, err := createInvites(ctx, st, co, nil, staffbot.DefaultInviteTTL, now)
	st.Close()
	if err != nil {
		return err
	}
	invitesPath := filepath.Join(cfg.DataDir, "demo-invites.tsv")
	var all strings.Builder
	all.WriteString("personnel_number\tfull_name\ttelegram_link\tweb_link\n")
	for _, inv := range invites {
		all.WriteString(inv.line(co, cfg.PublicURL()) + "\n")
	}
	if err := os.WriteFile(invitesPath, []byte(all.String()), 0o600); err != nil {
		return fmt.Errorf("write invites: %w", err)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}

	if created {
		fmt.Fprintf(stdout, "Demo company %q created from the sample 1C staff list.\n", co.Name)
	}
	fmt.Fprintf(stdout, "\nstaffbot demo is running on %s\n\n", cfg.PublicURL())
	for _, want := range []string{demo.NewcomerNumber, demo.MentorNumber} {
		for _, inv := range invites {
			if inv.emp.PersonnelNumber != want {
				continue
			}
			if want == demo.NewcomerNumber {
				fmt.Fprintf(stdout, "Newcomer %s (first day %s) — open in a browser:\n  %s/join/%s\n",
					inv.emp.FullName, inv.emp.HiredOn.Russian(), cfg.PublicURL(), inv.code)
				if co.TelegramBotUsername != "" {
					fmt.Fprintf(stdout, "  or in Telegram: https://t.me/%s?start=%s\n", co.TelegramBotUsername, inv.code)
				}
				continue
			}
			fmt.Fprintf(stdout, "Her mentor %s — open in another browser or a private window:\n  %s/join/%s\n",
				inv.emp.FullName, cfg.PublicURL(), inv.code)
		}
	}
	if !hasNumber(invites, demo.NewcomerNumber) {
		fmt.Fprintf(stdout, "The newcomer has registered already: open %s/chat in the browser she used.\n", cfg.PublicURL())
	}
	fmt.Fprintf(stdout, "HR cabinet: %s/hr/ — company code %s, %s (an HR manager)\n", cfg.PublicURL(), co.Slug, demoHREmail)
	if hrPassword != "" {
		fmt.Fprintf(stdout, "  one-time password %s (you will set your own)\n", hrPassword)
	} else {
		fmt.Fprintf(stdout, "  a new password: staffbot admin reset --company %s --email %s\n", co.Slug, demoHREmail)
	}
	fmt.Fprintf(stdout, "  settings, users and the audit log need an owner or admin: staffbot admin create --company %s --email you@example.com --role owner\n", co.Slug)
	fmt.Fprintf(stdout, "\nInvites for all %d unregistered employees: %s\n", len(invites), invitesPath)
	if *speed == 1 {
		fmt.Fprintln(stdout, "Tip: restart with --speed 1440 to let a day of onboarding pass every minute.")
	}
	fmt.Fprintln(stdout, "Press Ctrl+C to stop.")

	a, err := app.Open(ctx, cfg, app.Options{Logger: logger, Clock: clock})
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	return a.Run(ctx, ln)
}
