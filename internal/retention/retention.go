// Package retention keeps staffbot from holding personal data longer than
// its purpose: it anonymises dismissed employees after the period their
// company sets (and at once when consent is withdrawn), prunes the audit
// log after its retention period, and carries out a person's requests to
// see or erase their data.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/store"
)

// Runner runs the daily retention pass.
type Runner struct {
	Store  *store.Store
	Clock  staffbot.Clock
	Logger *slog.Logger
}

// Report counts what a pass did.
type Report struct {
	Anonymized int
	Pruned     int
	Failed     int
}

// actor is who the pass acts as in the audit log.
var actor = staffbot.Actor{Kind: staffbot.ActorSystem, ID: "retention"}

// Loop runs a pass at once and then whenever a day has passed on the
// clock, looking at the clock every check interval, until ctx is done. On
// PostgreSQL a lock keeps two servers from running passes at once.
func (r *Runner) Loop(ctx context.Context, check time.Duration) {
	var last time.Time
	t := time.NewTicker(check)
	defer t.Stop()
	for {
		if now := r.Clock.Now(); last.IsZero() || now.Sub(last) >= 24*time.Hour {
			if r.runLocked(ctx) {
				last = now
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runLocked runs a pass under the retention lock and reports whether it
// ran (or another server is running it).
func (r *Runner) runLocked(ctx context.Context) bool {
	lockCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	release, err := r.Store.Lock(lockCtx, "retention", 200*time.Millisecond)
	cancel()
	if err != nil {
		// Another process holds it and runs the pass.
		return ctx.Err() == nil
	}
	defer release()
	if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
		r.Logger.ErrorContext(ctx, "Retention pass failed", slog.String("error", err.Error()))
	}
	return true
}

// RunOnce runs one pass over every company: due anonymisations, audit
// pruning, and a log line with each audit chain's head, which puts the
// head outside the database as evidence against later tampering.
func (r *Runner) RunOnce(ctx context.Context) (Report, error) {
	ctx = staffbot.WithActor(ctx, actor)
	var rep Report
	cos, err := r.Store.FindCompanies(ctx)
	if err != nil {
		return rep, fmt.Errorf("retention: %w", err)
	}
	var errs []error
	for _, co := range cos {
		n, err := r.anonymizeDue(ctx, co)
		rep.Anonymized += n
		if err != nil {
			rep.Failed++
			errs = append(errs, err)
		}
		pruned, err := audit.Prune(ctx, r.Store, co.ID, r.Clock.Now())
		rep.Pruned += pruned
		if err != nil {
			rep.Failed++
			errs = append(errs, fmt.Errorf("company %d: prune audit: %w", co.ID, err))
		}
	}
	chains, err := r.Store.AuditChains(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	for _, id := range chains {
		seq, hash, err := r.Store.AuditHead(ctx, id)
		if err != nil || seq == 0 {
			continue
		}
		r.Logger.InfoContext(ctx, "Audit chain head",
			slog.Int64("company_id", int64(id)), slog.Int64("seq", seq), slog.String("hash", hash))
	}
	if rep.Anonymized > 0 {
		if err := r.Store.Compact(ctx); err != nil {
			errs = append(errs, fmt.Errorf("compact: %w", err))
		}
	}
	r.Logger.InfoContext(ctx, "Retention pass done",
		slog.Int("anonymized", rep.Anonymized), slog.Int("audit_pruned", rep.Pruned), slog.Int("failed", rep.Failed))
	return rep, errors.Join(errs...)
}

// anonymizeDue anonymises the company's employees dismissed longer ago
// than its period, and those who withdrew consent, each in a transaction
// of its own.
func (r *Runner) anonymizeDue(ctx context.Context, co *staffbot.Company) (int, error) {
	ret, err := r.Store.FindRetention(ctx, co.ID)
	if err != nil {
		return 0, err
	}
	now := r.Clock.Now()
	today := staffbot.DateOf(now.In(co.Location()))
	due, err := r.Store.FindEmployeesToAnonymize(ctx, co.ID, today.AddDays(-ret.AnonymizeAfterDays))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range due {
		err := r.Store.InTx(ctx, func(tx *store.Tx) error {
			reason := store.ReasonDismissed
			e, err := tx.FindEmployeeByID(ctx, co.ID, id)
			if err != nil {
				return err
			}
			if e.Active(today) {
				reason = store.ReasonConsentWithdrawn
			}
			_, err = tx.AnonymizeEmployee(ctx, co.ID, id, reason, now)
			return err
		})
		if err != nil {
			return n, fmt.Errorf("company %d: anonymise employee %d: %w", co.ID, id, err)
		}
		r.Logger.InfoContext(ctx, "Employee anonymised",
			slog.Int64("company_id", int64(co.ID)), slog.Int64("employee_id", int64(id)))
		n++
	}
	return n, nil
}

// WithdrawConsent records that an employee withdrew consent and
// anonymises them at once, in the caller's transaction: the bot stops
// processing their data the moment they ask.
func WithdrawConsent(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee, now time.Time) (*store.AnonymizeReport, error) {
	if err := tx.WithdrawConsent(ctx, co.ID, emp.ID, now); err != nil {
		return nil, err
	}
	return tx.AnonymizeEmployee(ctx, co.ID, emp.ID, store.ReasonConsentWithdrawn, now)
}

// Anonymize anonymises one employee now, at HR's request.
func Anonymize(ctx context.Context, st *store.Store, co *staffbot.Company, id staffbot.EmployeeID, now time.Time) (*store.AnonymizeReport, error) {
	var rep *store.AnonymizeReport
	err := st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = tx.AnonymizeEmployee(ctx, co.ID, id, store.ReasonRequest, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rep, st.Compact(ctx)
}

// Erase removes everything staffbot holds about one employee.
func Erase(ctx context.Context, st *store.Store, co *staffbot.Company, id staffbot.EmployeeID, now time.Time) (*store.AnonymizeReport, error) {
	var rep *store.AnonymizeReport
	err := st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = tx.EraseEmployee(ctx, co.ID, id, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rep, st.Compact(ctx)
}

// Export gathers everything staffbot holds about one employee, and
// records in the audit log that it was read.
func Export(ctx context.Context, st *store.Store, co *staffbot.Company, id staffbot.EmployeeID, now time.Time) (*store.EmployeeExport, error) {
	exp, err := st.ExportEmployee(ctx, co.ID, id, now)
	if err != nil {
		return nil, err
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, staffbot.AuditRecord{
			CompanyID: co.ID, At: now, Action: "employee.export", ObjectType: "employee", ObjectID: fmt.Sprint(id),
			SubjectID: &id,
		})
	})
	return exp, err
}
