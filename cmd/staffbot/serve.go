package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/config"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("serve", "serve [flags]", &cfg, stderr)
	if err := parse(fs, args); err != nil {
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
	fs := flag.NewFlagSet("staffbot version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), "Usage: staffbot version\n\nPrints the version of this binary.") }
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "staffbot", app.Version)
	return nil
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("migrate", "migrate [flags]", &cfg, stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "database %s is up to date\n", st.Dialect())
	return nil
}
