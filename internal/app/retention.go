package app

import (
	"context"
	"sync"

	"github.com/staffbot/staffbot/internal/retention"
)

// startRetention runs the daily retention pass: dismissed employees are
// anonymised after their company's period, the audit log is pruned after
// its retention period, and each chain's head goes to the log. It looks at
// the clock every tick, so a test that moves the clock past a day sees the
// pass run.
func (a *App) startRetention(ctx context.Context, wg *sync.WaitGroup) {
	r := &retention.Runner{Store: a.Store, Clock: a.Clock, Logger: a.logger}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.Loop(ctx, a.tick)
	}()
}
