package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/backup"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
)

const backupUsage = `Usage: staffbot backup create [--keep-days 60] FILE|DIR
       staffbot backup verify [--scratch sqlite] FILE
       staffbot backup restore [--force] FILE

create writes an encrypted snapshot of the database while the server runs
(to DIR/staffbot-YYYYMMDD-HHMMSS.backup when given an existing directory or
a path ending in /; the directory is never created) and deletes
backups in the same directory older than --keep-days. verify restores a
backup into a scratch database (a temporary SQLite file, or a temporary
PostgreSQL schema) and checks every table and the audit log. restore loads a
backup into the configured database, which must be empty unless --force;
stop the server first. Backups open only with the master key they were made
under.`

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx = staffbot.WithActor(ctx, audit.CLIActor())
	return dispatch(ctx, "backup", backupUsage, []subcommand{
		{"create", backupCreate},
		{"verify", backupVerify},
		{"restore", backupRestore},
	}, args, stdout, stderr)
}

// defaultKeepDays reads STAFFBOT_BACKUP_KEEP_DAYS, or 60.
func defaultKeepDays() int {
	if n, err := strconv.Atoi(os.Getenv("STAFFBOT_BACKUP_KEEP_DAYS")); err == nil && n >= 0 {
		return n
	}
	return int(backup.DefaultKeep / (24 * time.Hour))
}

func backupCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("backup create", cmdHelp{
		usage: "backup create [--keep-days N] [flags] FILE|DIR",
		about: `Writes an encrypted, consistent snapshot of the database while the server
runs and deletes backups in the same directory older than --keep-days.
Given an existing directory, or a path ending in /, the backup is written
inside it as staffbot-YYYYMMDD-HHMMSS.backup (UTC). The directory must
exist: none is created. A backup opens only with the master key it was
made under.`,
		example:  "staffbot backup create /var/backups/staffbot",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	keep := fs.Int("keep-days", defaultKeepDays(), "delete backups in the same directory older than this many days; 0 keeps all (env STAFFBOT_BACKUP_KEEP_DAYS)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.args(1, "the backup FILE or DIR"); err != nil {
		return err
	}
	now := time.Now()
	path, err := backupPath(fs.Arg(0), now)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()

	m, err := backup.CreateFile(ctx, st, path, now)
	if err != nil {
		return err
	}
	size := int64(0)
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, staffbot.AuditRecord{
			At: now, Action: "backup.create", ObjectType: "backup", ObjectID: filepath.Base(path),
			After: audit.JSON(map[string]any{"tables": len(m.Tables), "rows": m.Rows(), "bytes": size, "master_id": m.MasterKeyID}),
		})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s: %d tables, %d rows, %d bytes, under master key %s\n",
		path, len(m.Tables), m.Rows(), size, m.MasterKeyID)

	if *keep > 0 {
		removed, err := backup.Prune(filepath.Dir(path), time.Duration(*keep)*24*time.Hour, now)
		for _, r := range removed {
			fmt.Fprintf(stdout, "deleted old backup %s\n", r)
		}
		if err != nil {
			return fmt.Errorf("prune old backups: %w", err)
		}
	}
	return nil
}

// backupPath is where backup create writes: inside arg when it is an
// existing directory or ends in a separator, otherwise arg itself, whose
// directory must exist. No directory is created, so a typo leaves none
// behind.
func backupPath(arg string, now time.Time) (string, error) {
	name := "staffbot-" + now.UTC().Format("20060102-150405") + ".backup"
	fi, err := os.Stat(arg)
	switch {
	case err == nil && fi.IsDir():
		return filepath.Join(arg, name), nil
	case strings.HasSuffix(arg, "/") || strings.HasSuffix(arg, string(filepath.Separator)):
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("directory %s does not exist; create it first", arg)
		}
		return "", fmt.Errorf("%s is not a directory", arg)
	case err == nil:
		return "", fmt.Errorf("%s exists; a backup never replaces a file", arg)
	}
	dir := filepath.Dir(arg)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("directory %s does not exist; create it first, or give an existing directory", dir)
	}
	return arg, nil
}

func backupVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("backup verify", cmdHelp{
		usage: "backup verify [--scratch sqlite] [flags] FILE",
		about: `Restores a backup into a scratch database (a temporary SQLite file, or a
temporary schema of the configured PostgreSQL database) and checks every
table's count and checksum and the audit log. The configured database is
not touched.`,
		example:  "staffbot backup verify /var/backups/staffbot/staffbot-20250303-020000.backup",
		settings: []string{"data-dir", "database-url", "master-key"},
	}, &cfg, stdout, stderr)
	scratchKind := fs.String("scratch", "", "sqlite to check a PostgreSQL backup in a temporary SQLite file instead of a temporary schema")
	scratchDir := fs.String("scratch-dir", "", "directory for the temporary SQLite file (default: the system's)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.args(1, "the backup FILE"); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	sealer, err := secretSealer(cfg)
	if err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	h, _, err := backup.ReadHeader(f)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}

	scratch := backup.SQLiteScratch(sealer, *scratchDir)
	where := "a temporary SQLite database"
	if *scratchKind != "sqlite" && h.Dialect == string(store.Postgres) && cfg.DatabaseURL != "" &&
		!strings.HasPrefix(cfg.DatabaseURL, "sqlite://") {
		scratch = backup.PostgresScratch(sealer, cfg.DatabaseURL)
		where = "a temporary PostgreSQL schema"
	}
	rep, err := backup.Verify(ctx, f, scratch, chainProblems)
	if err != nil {
		return fmt.Errorf("%s cannot be restored: %w", fs.Arg(0), err)
	}
	m := rep.Manifest
	fmt.Fprintf(stdout, "%s: made %s from %s; restored into %s: %d tables, %d rows, every count and checksum matches\n",
		fs.Arg(0), m.CreatedAt.Format(time.RFC3339), m.Dialect, where, len(m.Tables), m.Rows())
	if len(rep.Problems) > 0 {
		for _, p := range rep.Problems {
			fmt.Fprintf(stdout, "  %s\n", p)
		}
		return fmt.Errorf("the audit log in the backup does not verify: %d problem(s)", len(rep.Problems))
	}
	fmt.Fprintln(stdout, "audit chains intact")
	return nil
}

// chainProblems checks every audit chain of a restored database.
func chainProblems(ctx context.Context, st *store.Store) ([]string, error) {
	reps, err := audit.VerifyAll(ctx, st)
	var out []string
	for _, r := range reps {
		for _, p := range r.Problems {
			out = append(out, fmt.Sprintf("company %d: %s", r.CompanyID, p))
		}
	}
	return out, err
}

func backupRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("backup restore", cmdHelp{
		usage: "backup restore [--force] [flags] FILE",
		about: `Loads a backup into the configured database, which must be empty unless
--force. Stop the server first. Nothing changes when the backup does not
restore completely.`,
		example:  "STAFFBOT_DATABASE_URL=postgres://staffbot@127.0.0.1:5432/staffbot staffbot backup restore staffbot-20250303-020000.backup",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	force := fs.Bool("force", false, "replace the data the database holds")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.args(1, "the backup FILE"); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()

	m, err := backup.Restore(ctx, st, f, backup.RestoreOptions{Force: *force})
	if errors.Is(err, backup.ErrNotEmpty) {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	if err != nil {
		return fmt.Errorf("restore %s: %w; nothing was changed", fs.Arg(0), err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, staffbot.AuditRecord{
			Action: "backup.restore", ObjectType: "backup", ObjectID: filepath.Base(fs.Arg(0)),
			After: audit.JSON(map[string]any{"created_at": m.CreatedAt, "tables": len(m.Tables), "rows": m.Rows(), "forced": *force}),
		})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s (made %s): %d tables, %d rows, every count and checksum matches\n",
		fs.Arg(0), m.CreatedAt.Format(time.RFC3339), len(m.Tables), m.Rows())
	return nil
}

// secretSealer loads the configured master keys without opening the
// database. A master.key missing from the data directory is an error: a
// fresh key could open no backup.
func secretSealer(cfg config.Config) (*secret.Sealer, error) {
	if cfg.MasterKey == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, secret.KeyFileName)); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no master key in %s (set STAFFBOT_MASTER_KEY, or check --data-dir)", cfg.DataDir)
		}
	}
	return secret.LoadSealer(cfg.MasterKey, cfg.DataDir)
}
