package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/secret"
)

const keysUsage = `Usage: staffbot keys status
       staffbot keys rotate [--company SLUG] [--batch N]
       staffbot keys rotate --master --new-master-key-file PATH [--batch N]
       staffbot keys prune [--batch N]
       staffbot keys generate

Every company's secrets, phones and e-mails are sealed with a data key of
its own, kept wrapped under the master key. rotate gives a company (every
company without --company) a new data key and re-seals its values in
batches while the server runs. rotate --master wraps the data keys under a
new master key too; then restart the server with the new key first and the
old one after (STAFFBOT_MASTER_KEY=NEW,OLD, or the two on separate lines
of master.key), run 'staffbot keys prune', and drop the old key.
generate prints a fresh random key.`

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx = staffbot.WithActor(ctx, audit.CLIActor())
	return dispatch(ctx, "keys", keysUsage, []subcommand{
		{"status", keysStatus}, {"rotate", keysRotate}, {"prune", keysPrune}, {"generate", keysGenerate},
	}, args, stdout, stderr)
}

func keysGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("keys generate", cmdHelp{
		usage:   "keys generate",
		about:   "Prints a fresh random 32-byte key in hex, for STAFFBOT_MASTER_KEY or a master-key rotation.",
		example: "staffbot keys generate > new-master.key",
	}, &cfg, stdout, stderr)
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	fmt.Fprintln(stdout, hex.EncodeToString(key))
	return nil
}

func keysStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("keys status", cmdHelp{
		usage: "keys status [flags]",
		about: `Lists the master key and every company's data keys: version, state and
the master keys they are wrapped under.`,
		example:  "staffbot keys status",
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
	keys, err := st.FindKeys(ctx)
	if err != nil {
		return err
	}
	names, err := companyNames(ctx, st)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "master key %s", st.Sealer().KeyID())
	for _, p := range st.Sealer().Previous() {
		fmt.Fprintf(stdout, " (previous: %s)", p.KeyID())
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPANY\tPURPOSE\tVERSION\tKEY ID\tSTATE\tWRAPPED UNDER\tCREATED")
	for _, k := range keys {
		wrapped := k.MasterID
		if k.OldMasterID != "" {
			wrapped += " and " + k.OldMasterID
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", names(k.CompanyID), k.Purpose, k.Version, k.KeyID, k.State,
			wrapped, k.CreatedAt.Format("2006-01-02"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	legacy, err := st.CountMasterSealed(ctx)
	if err != nil {
		return err
	}
	for col, n := range legacy {
		fmt.Fprintf(stdout, "%s: %d value(s) sealed with the master key directly\n", col, n)
	}
	return nil
}

func keysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("keys rotate", cmdHelp{
		usage: "keys rotate [--company SLUG | --master --new-master-key-file FILE] [--batch N] [flags]",
		about: `Gives a company (every company without --company) a new data key and
re-seals its values in batches while the server runs. With --master it
wraps every data key under a new master key as well; then restart the
server with STAFFBOT_MASTER_KEY=NEW,OLD, run 'staffbot keys prune' and drop
the old key.`,
		example: `staffbot keys rotate --company acme
staffbot keys rotate --master --new-master-key-file new-master.key`,
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	slug := fs.String("company", "", "rotate only this company's data key")
	master := fs.Bool("master", false, "wrap every key under a new master key instead")
	newKey := fs.String("new-master-key", "", "the new master key, hex or base64 (prefer --new-master-key-file: command lines are visible to other users)")
	newKeyFile := fs.String("new-master-key-file", "", "file holding the new master key")
	batch := fs.Int("batch", 500, "values re-sealed per transaction")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.args(0, ""); err != nil {
		return err
	}
	if *master && *slug != "" {
		return fs.usageError("--master and --company do not go together")
	}
	if !*master && (*newKey != "" || *newKeyFile != "") {
		return fs.usageError("a new master key needs --master")
	}
	st, err := openStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()

	if !*master {
		var ids []staffbot.CompanyID
		if *slug != "" {
			co, err := findCompany(ctx, st, *slug)
			if err != nil {
				return err
			}
			ids = append(ids, co.ID)
		} else if ids, err = st.CompanyIDs(ctx); err != nil {
			return err
		}
		names, err := companyNames(ctx, st)
		if err != nil {
			return err
		}
		failed := 0
		for _, id := range ids {
			rep, err := st.RotateDataKey(ctx, id, *batch, now)
			if err != nil {
				return err
			}
			failed += rep.Failed
			fmt.Fprintf(stdout, "%s: data key version %d (%s), %d value(s) re-sealed", names(id), rep.Version, rep.KeyID, rep.Resealed)
			if rep.Failed > 0 {
				fmt.Fprintf(stdout, ", %d could not be opened and were left", rep.Failed)
			}
			fmt.Fprintln(stdout)
		}
		if failed > 0 {
			return fmt.Errorf("%d value(s) could not be re-sealed", failed)
		}
		return nil
	}

	text := *newKey
	if *newKeyFile != "" {
		b, err := os.ReadFile(*newKeyFile)
		if err != nil {
			return err
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return fs.usageError("give the new master key with --new-master-key-file (see 'staffbot keys generate')")
	}
	keys, err := secret.ParseKeys(text)
	if err != nil {
		return fmt.Errorf("new master key: %w", err)
	}
	newSealer, err := secret.NewSealer(keys[0])
	if err != nil {
		return err
	}
	if newSealer.KeyID() == st.Sealer().KeyID() {
		return fmt.Errorf("the new master key is the current one")
	}

	// Values from before data keys are sealed with the master key itself;
	// they move to data keys first, so the new master key opens everything.
	ids, err := st.CompanyIDs(ctx)
	if err != nil {
		return err
	}
	moved := 0
	for _, id := range ids {
		n, _, err := st.ResealValues(ctx, id, *batch)
		if err != nil {
			return err
		}
		moved += n
	}
	n, err := st.RewrapKeys(ctx, newSealer, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d key(s) wrapped under the new master key %s (and still under %s); %d value(s) moved to data keys\n",
		n, newSealer.KeyID(), st.Sealer().KeyID(), moved)
	fmt.Fprintln(stdout, "Next: restart staffbot with STAFFBOT_MASTER_KEY=NEW,OLD (or both keys in master.key, the new one first),")
	fmt.Fprintln(stdout, "then run 'staffbot keys prune', then remove the old key from the configuration.")
	return nil
}

func keysPrune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("keys prune", cmdHelp{
		usage: "keys prune [--batch N] [flags]",
		about: `After a master-key rotation and a restart with both keys, re-wraps every
key under the current master key only, so that the old one can be dropped.`,
		example:  "STAFFBOT_MASTER_KEY=NEW,OLD staffbot keys prune",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	batch := fs.Int("batch", 500, "values re-sealed per transaction")
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
	rep, err := st.PruneOldMasterKeys(ctx, *batch, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "every key is now wrapped under master key %s only: %d re-wrapped, %d old wrapping(s) dropped, %d value(s) re-sealed\n",
		st.Sealer().KeyID(), rep.Rewrapped, rep.Dropped, rep.Resealed)
	if len(st.Sealer().Previous()) > 0 {
		fmt.Fprintln(stdout, "The previous master key is no longer needed: remove it from STAFFBOT_MASTER_KEY or master.key.")
	}
	return nil
}
