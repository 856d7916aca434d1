package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/hris"
)

func runSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("sync", cmdHelp{
		usage: "sync --company SLUG [--retries N] [flags]",
		about: `Reads the whole staff list from the company's connector now and applies it
in one transaction, as the scheduled sync does: new employees are created,
changed ones updated, those the system dismissed lose bot access on their
dismissal date. A failure changes nothing and is recorded for HR.

An employee the system listed before and not now is marked missing, and
dismissed after the connector's number of syncs in a row without them (see
'staffbot connector policy' and 'staffbot connector missing'). A sync that
would leave more than the policy's share of employees missing at once is
refused as a likely truncated list; --accept-missing applies it.`,
		example:  "staffbot sync --company acme",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	retries := fs.Int("retries", 2, "retries when the system does not answer or fails (5xx), with back-off")
	accept := fs.Bool("accept-missing", false, "apply the sync even if more employees are missing from the list than the connector's policy allows at once (check the list first)")
	wait := fs.Duration("retry-wait", 5*time.Second, "wait before the first retry; doubles with each")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()
	logger := newLogger(cfg, stderr)
	c, err := st.FindConnector(ctx, co.ID)
	if err != nil {
		return fmt.Errorf("company %s has no connector (see 'staffbot connector add')", co.Slug)
	}
	conn, err := app.OpenConnector(c, nil)
	if err != nil {
		return err
	}
	syncer := &hris.Syncer{Store: st, Logger: logger}
	ctx = staffbot.WithActor(ctx, audit.CLIActor())

	bar := newProgressBar(stderr)
	pctx := hris.WithProgress(ctx, bar.update)
	var res *hris.Result
	for attempt := 0; ; attempt++ {
		res, err = syncer.SyncWith(pctx, co, c, conn, hris.TriggerManual, hris.SyncOptions{AcceptMissing: *accept})
		bar.finish()
		if err == nil || !hris.Retryable(err) || attempt >= *retries {
			break
		}
		d := *wait << attempt
		fmt.Fprintf(stderr, "Sync failed (%v); retrying in %s\n", err, d)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
	if err != nil {
		if hint := connectorHint(conn.Kind(), err); hint != "" {
			fmt.Fprintf(stderr, "%s\n", hint)
		}
		if errors.Is(err, hris.ErrTooManyMissing) {
			fmt.Fprintf(stderr, "See who is missing: staffbot connector missing --company %s; the policy: staffbot connector policy --company %s\n", co.Slug, co.Slug)
		}
		return fmt.Errorf("nothing changed; the failure is recorded (staffbot connector runs --company %s): %w", co.Slug, err)
	}
	printSyncSummary(stdout, co.Slug, c.Kind, res)
	return nil
}

// printSyncSummary prints the counts and, per kind of change, the
// personnel numbers (at most 20 each) with the fields that changed.
func printSyncSummary(w io.Writer, slug, kind string, res *hris.Result) {
	r := res.Run
	marked, dismissed := 0, 0
	for _, ch := range res.Changes {
		switch {
		case ch.Kind == hris.ChangeMissing:
			marked++
		case ch.Kind == hris.ChangeRevoked && ch.Reason == hris.ReasonNotListed:
			dismissed++
		}
	}
	fmt.Fprintf(w, "sync %s from %s: %d listed, %d new, %d updated, %d access revoked, %d unchanged, %d skipped, %d not listed "+
		"(%d marked missing, %d dismissed for being missing, the rest never listed or already dismissed)\n",
		slug, kind, r.Fetched, r.Created, r.Updated, r.Revoked, r.Unchanged, r.Skipped, r.Missing, marked, dismissed)
	hris.SortChanges(res.Changes)
	const perKind = 20
	shown := map[hris.ChangeKind]int{}
	hidden := map[hris.ChangeKind]int{}
	for _, ch := range res.Changes {
		if shown[ch.Kind] >= perKind {
			hidden[ch.Kind]++
			continue
		}
		shown[ch.Kind]++
		line := fmt.Sprintf("  %-9s %s", ch.Kind, ch.PersonnelNumber)
		switch {
		case ch.Reason == hris.ReasonNotListed:
			line += " (not listed by the system; dismissed today)"
		case len(ch.Fields) > 0:
			line += " (" + strings.Join(ch.Fields, ", ") + ")"
		case ch.Reason != "":
			line += " (" + ch.Reason + ")"
		}
		fmt.Fprintln(w, line)
	}
	for _, k := range []hris.ChangeKind{hris.ChangeCreated, hris.ChangeUpdated, hris.ChangeRestored, hris.ChangeRevoked, hris.ChangeMissing, hris.ChangeSkipped} {
		if hidden[k] > 0 {
			fmt.Fprintf(w, "  %-9s … and %d more\n", k, hidden[k])
		}
	}
}

// progressBar draws the sync's progress on a terminal and nothing
// elsewhere, so that logs and pipes stay clean.
type progressBar struct {
	w    io.Writer
	on   bool
	mu   sync.Mutex
	last time.Time
	drew bool
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	on := false
	if ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &progressBar{w: w, on: on}
}

func (p *progressBar) update(stage string, done, total int) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.last) < 100*time.Millisecond && done != total {
		return
	} else {
		p.last = now
	}
	fmt.Fprint(p.w, "\r\033[K"+renderBar(stage, done, total))
	p.drew = true
}

func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drew {
		fmt.Fprintln(p.w)
		p.drew = false
	}
}

// renderBar is one line: the stage, a bar when the total is known, and
// the count.
func renderBar(stage string, done, total int) string {
	const width = 30
	if total <= 0 {
		return fmt.Sprintf("%-40s %d", stage, done)
	}
	filled := min(width*done/total, width)
	return fmt.Sprintf("%-40s [%s%s] %d/%d", stage, strings.Repeat("█", filled), strings.Repeat("░", width-filled), done, total)
}
