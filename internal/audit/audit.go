// Package audit writes and reads the audit log ("журнал аудита"): who did
// what to which object, when and from where, with the object before and
// after a change. Records are written in the transaction of the change,
// never updated, and chained per company with keyed hashes (see
// internal/store/audit.go), so that Verify finds any record that was
// edited, deleted or moved.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os/user"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

// Record appends rec to its company's chain inside tx, the transaction of
// the change it describes. A record without an actor takes the context's
// (staffbot.WithActor); one without a time is stamped now. Secrets,
// tokens, phones, e-mail addresses and the values of employees' custom
// fields ("custom") in Before and After are masked.
func Record(ctx context.Context, tx *store.Tx, rec staffbot.AuditRecord) error {
	return tx.AppendAudit(ctx, &rec)
}

// Recorder writes records for packages that take an auditor: with a
// transaction, in it; without one (a read, done outside any transaction),
// in a transaction of its own.
type Recorder struct {
	Store *store.Store
	Clock staffbot.Clock
}

// Record appends rec; see the package function Record.
func (r *Recorder) Record(ctx context.Context, tx *store.Tx, rec staffbot.AuditRecord) error {
	if rec.At.IsZero() && r.Clock != nil {
		rec.At = r.Clock.Now()
	}
	if tx != nil {
		return tx.AppendAudit(ctx, &rec)
	}
	return r.Store.InTx(ctx, func(tx *store.Tx) error { return tx.AppendAudit(ctx, &rec) })
}

// JSON encodes v for AuditRecord.Before or After.
func JSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	return b
}

// Diff returns the fields of two JSON objects that differ, as Before and
// After of a change record; changed is false when nothing did.
func Diff(before, after map[string]any) (b, a json.RawMessage, changed bool) {
	bb, aa := maps.Clone(before), maps.Clone(after)
	for k, v := range bb {
		if w, ok := aa[k]; ok && string(JSON(v)) == string(JSON(w)) {
			delete(bb, k)
			delete(aa, k)
		}
	}
	if len(bb) == 0 && len(aa) == 0 {
		return nil, nil, false
	}
	return JSON(bb), JSON(aa), true
}

// CLIActor is an administrator at the command line, named by the account
// the command runs under.
func CLIActor() staffbot.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return staffbot.Actor{Kind: staffbot.ActorSystem, ID: "cli:" + name}
}

// Verify checks one company's chain (0 is the installation's).
func Verify(ctx context.Context, st *store.Store, companyID staffbot.CompanyID) (*store.AuditReport, error) {
	return st.VerifyAudit(ctx, companyID)
}

// VerifyAll checks every chain and every company.
func VerifyAll(ctx context.Context, st *store.Store) ([]*store.AuditReport, error) {
	ids, err := st.AuditChains(ctx)
	if err != nil {
		return nil, err
	}
	var out []*store.AuditReport
	for _, id := range ids {
		rep, err := st.VerifyAudit(ctx, id)
		if err != nil {
			return out, fmt.Errorf("verify company %d: %w", id, err)
		}
		out = append(out, rep)
	}
	return out, nil
}

// Prune deletes a company's records older than its retention period and
// returns how many went.
func Prune(ctx context.Context, st *store.Store, companyID staffbot.CompanyID, now time.Time) (int, error) {
	r, err := st.FindRetention(ctx, companyID)
	if err != nil {
		return 0, err
	}
	return st.PruneAudit(ctx, companyID, now.AddDate(0, 0, -r.AuditDays), now)
}
