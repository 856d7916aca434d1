package hris

import (
	"context"
	"fmt"
	"time"

	"github.com/staffbot/staffbot/internal/store"
)

// Opener makes a Connector from stored settings.
type Opener func(c *store.Connector) (Connector, error)

// Scheduler runs the scheduled syncs that have come due, across
// companies. Several processes may share a database: a connector is
// claimed with a lease before its sync starts.
type Scheduler struct {
	Syncer *Syncer
	Open   Opener

	// Lease bounds one sync and keeps other processes off the connector
	// meanwhile. Default 30 minutes.
	Lease time.Duration
	// Batch is how many connectors one RunDue claims. Default 10.
	Batch int
}

// RunDue syncs every connector whose time has come and returns how many
// syncs succeeded. A failed sync is recorded with its connector and
// rescheduled; only a failure to claim is returned.
func (sc *Scheduler) RunDue(ctx context.Context) (int, error) {
	lease := sc.Lease
	if lease <= 0 {
		lease = 30 * time.Minute
	}
	batch := sc.Batch
	if batch <= 0 {
		batch = 10
	}
	st := sc.Syncer.Store
	due, err := st.ClaimDueConnectors(ctx, sc.Syncer.clock().Now(), lease, batch)
	if err != nil {
		return 0, fmt.Errorf("claim due connectors: %w", err)
	}
	ok := 0
	for _, c := range due {
		if ctx.Err() != nil {
			return ok, ctx.Err()
		}
		if sc.syncOne(ctx, c, lease) == nil {
			ok++
		}
	}
	return ok, nil
}

func (sc *Scheduler) syncOne(ctx context.Context, c *store.Connector, lease time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, lease)
	defer cancel()
	run := &store.ConnectorRun{CompanyID: c.CompanyID, ConnectorID: c.ID, TriggeredBy: TriggerSchedule,
		StartedAt: sc.Syncer.clock().Now()}
	co, err := sc.Syncer.Store.FindCompanyByID(ctx, c.CompanyID)
	if err != nil {
		return sc.Syncer.fail(ctx, c, run, err)
	}
	conn, err := sc.Open(c)
	if err != nil {
		return sc.Syncer.fail(ctx, c, run, fmt.Errorf("connector settings: %w", err))
	}
	_, err = sc.Syncer.Sync(ctx, co, c, conn, TriggerSchedule)
	return err
}
