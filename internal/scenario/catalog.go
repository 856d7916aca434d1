package scenario

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

// Catalog gives each company its own view of the scenarios: a shipped
// scenario the company turned off starts no new runs, and a version the
// company uploaded replaces the shipped one of the same id or adds a new
// scenario. Runs already started always find their scenario, on or off.
type Catalog interface {
	// Scenarios returns the company's scenarios in order and the ids of
	// those turned off.
	Scenarios(ctx context.Context, companyID staffbot.CompanyID, shipped []*Scenario) ([]*Scenario, map[string]bool, error)
}

// Scenarios returns the shipped scenarios in the order they were loaded.
func (e *Engine) Scenarios() []*Scenario { return slices.Clone(e.order) }

// CompanyScenarios returns the company's scenarios and the ids of those
// turned off, as Start sees them.
func (e *Engine) CompanyScenarios(ctx context.Context, companyID staffbot.CompanyID) ([]*Scenario, map[string]bool, error) {
	if e.Catalog == nil {
		return e.order, map[string]bool{}, nil
	}
	return e.Catalog.Scenarios(ctx, companyID, e.order)
}

// companyScenarios is CompanyScenarios that falls back to the shipped
// scenarios when the catalog cannot be read, so a database hiccup does
// not stop onboarding.
func (e *Engine) companyScenarios(ctx context.Context, companyID staffbot.CompanyID) ([]*Scenario, map[string]bool) {
	defs, off, err := e.CompanyScenarios(ctx, companyID)
	if err != nil {
		e.logger.WarnContext(ctx, "Company scenarios not read", slog.Int64("company_id", int64(companyID)),
			slog.String("error", err.Error()))
		return e.order, map[string]bool{}
	}
	return defs, off
}

// scenarioOf returns the company's scenario with the id, on or off, or nil.
func (e *Engine) scenarioOf(ctx context.Context, companyID staffbot.CompanyID, id string) *Scenario {
	if e.Catalog == nil {
		return e.defs[id]
	}
	defs, _ := e.companyScenarios(ctx, companyID)
	for _, d := range defs {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// StoreCatalog reads companies' scenario settings from the store and keeps
// each company's view for a few seconds, so that handling a message does
// not parse YAML. Changes made through Invalidate show at once in this
// process and within the cache time in others.
type StoreCatalog struct {
	Store *store.Store
	TTL   time.Duration

	mu    sync.Mutex
	cache map[staffbot.CompanyID]catalogEntry
}

type catalogEntry struct {
	defs    []*Scenario
	off     map[string]bool
	fetched time.Time
}

// Scenarios implements Catalog.
func (c *StoreCatalog) Scenarios(ctx context.Context, companyID staffbot.CompanyID, shipped []*Scenario) ([]*Scenario, map[string]bool, error) {
	ttl := c.TTL
	if ttl == 0 {
		ttl = 5 * time.Second
	}
	c.mu.Lock()
	e, ok := c.cache[companyID]
	c.mu.Unlock()
	if ok && time.Since(e.fetched) < ttl {
		return e.defs, e.off, nil
	}

	settings, err := c.Store.FindCompanyScenarios(ctx, companyID)
	if err != nil {
		return nil, nil, err
	}
	defs, off := Merge(shipped, settings)
	c.mu.Lock()
	if c.cache == nil {
		c.cache = map[staffbot.CompanyID]catalogEntry{}
	}
	c.cache[companyID] = catalogEntry{defs: defs, off: off, fetched: time.Now()}
	c.mu.Unlock()
	return defs, off, nil
}

// Invalidate forgets the company's cached view after a change.
func (c *StoreCatalog) Invalidate(companyID staffbot.CompanyID) {
	c.mu.Lock()
	delete(c.cache, companyID)
	c.mu.Unlock()
}

// Merge applies a company's settings to the shipped scenarios: uploads
// replace shipped scenarios of the same id in place, new ones follow in id
// order, and every scenario turned off is named in off. An upload that no
// longer parses (a newer staffbot may be stricter) is skipped, so the
// shipped scenario of that id runs instead.
func Merge(shipped []*Scenario, settings map[string]*store.CompanyScenario) ([]*Scenario, map[string]bool) {
	off := map[string]bool{}
	uploaded := map[string]*Scenario{}
	var ids []string
	for id, cs := range settings {
		if !cs.Enabled {
			off[id] = true
		}
		if cs.Source == "" {
			continue
		}
		sc, err := Parse(cs.FileName, []byte(cs.Source))
		if err != nil || sc.ID != id {
			continue
		}
		uploaded[id] = sc
		ids = append(ids, id)
	}
	slices.Sort(ids)

	out := make([]*Scenario, 0, len(shipped)+len(uploaded))
	for _, sc := range shipped {
		if u := uploaded[sc.ID]; u != nil {
			sc = u
			delete(uploaded, sc.ID)
		}
		out = append(out, sc)
	}
	for _, id := range ids {
		if u := uploaded[id]; u != nil {
			out = append(out, u)
		}
	}
	return out, off
}
