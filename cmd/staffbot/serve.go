package main

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("serve", cmdHelp{
		usage: "serve [flags]",
		about: `Runs the server: Telegram (webhook or long polling), the web chat, the HR
cabinet (/hr/), the REST API (/api/v1/), the scheduler, the outbox, employee
syncs and retention. It applies database migrations on start and stops
cleanly on SIGINT or SIGTERM.`,
		example:  `STAFFBOT_DATABASE_URL=postgres://staffbot@127.0.0.1:5432/staffbot staffbot serve --base-url https://hr.example.ru`,
		settings: allSettings(),
	}, &cfg, stdout, stderr)
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	return serve(ctx, cfg, stderr)
}

func serve(ctx context.Context, cfg config.Config, logOut io.Writer) error {
	logger := newLogger(cfg, logOut)
	a, err := app.Open(ctx, cfg, app.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return a.Run(ctx, ln)
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("version", cmdHelp{usage: "version", about: "Prints the version of this binary.", example: "staffbot version"},
		&cfg, stdout, stderr)
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "staffbot", app.Version)
	return nil
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("migrate", cmdHelp{
		usage: "migrate [flags]",
		about: `Applies the database migrations this binary has and the database lacks,
then exits. The server applies them on start as well; run this first to
upgrade a database while the old version still serves.`,
		example:  "STAFFBOT_DATABASE_URL=postgres://staffbot@127.0.0.1:5432/staffbot staffbot migrate",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	// As app.OpenStore, but the migrations applied are this command's
	// output rather than log lines.
	sealer, err := secret.LoadSealer(cfg.MasterKey, cfg.DataDir)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DSN(), sealer)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range applied {
		fmt.Fprintf(stdout, "applied %s\n", name)
	}
	fmt.Fprintf(stdout, "database %s is up to date (%d migration(s) applied now)\n", st.Dialect(), len(applied))
	return nil
}
