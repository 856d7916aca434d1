package scenario_test

import (
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
	"github.com/staffbot/staffbot/scenarios"
)

// ownScenario is a company's uploaded scenario: one message and the end.
const ownScenario = `id: welcome_pack
version: 3
title: {ru: Набор новичка}
trigger: registration
steps:
  - id: hello
    send: {text: {ru: "Ваш набор новичка ждёт на ресепшене."}}
  - id: bye
    end: true
`

func TestStoreCatalog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("OffStartsNothingAndUploadsRun", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open, nil, msk(2, 20, 10, 0))
			catalog := &scenario.StoreCatalog{Store: f.s}
			f.engine.Catalog = catalog

			if err := f.s.SetScenarioEnabled(t.Context(), f.co.ID, "onboarding", false, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			cs := &store.CompanyScenario{CompanyID: f.co.ID, Scenario: "welcome_pack", Source: ownScenario, FileName: "pack.yaml", Version: 3}
			if err := f.s.SaveCompanyScenario(t.Context(), cs, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			catalog.Invalidate(f.co.ID)

			f.start()
			runs, err := f.s.FindRuns(t.Context(), f.co.ID, store.RunFilter{EmployeeID: f.newcomer.ID})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range runs {
				ids = append(ids, r.Scenario)
			}
			if !slices.Equal(ids, []string{"welcome_pack"}) {
				t.Fatalf("runs started = %v, want only the uploaded scenario", ids)
			}
			if runs[0].Version != 3 || runs[0].State != store.RunDone {
				t.Errorf("uploaded run: version %d, state %s", runs[0].Version, runs[0].State)
			}
			msgs := f.messages(f.newcomer)
			if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "набор новичка") {
				t.Errorf("messages = %v", msgs)
			}
		})

		t.Run("CacheUntilInvalidated", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCatalogCompany(t, s)
			defs, err := scenario.LoadFS(scenariosFS())
			if err != nil {
				t.Fatal(err)
			}
			c := &scenario.StoreCatalog{Store: s, TTL: 1 << 62}
			if _, off, err := c.Scenarios(t.Context(), co, defs); err != nil || off["onboarding"] {
				t.Fatalf("before: off %v, %v", off, err)
			}
			if err := s.SetScenarioEnabled(t.Context(), co, "onboarding", false, msk(2, 20, 10, 0)); err != nil {
				t.Fatal(err)
			}
			if _, off, _ := c.Scenarios(t.Context(), co, defs); off["onboarding"] {
				t.Error("the cache was not used")
			}
			c.Invalidate(co)
			if _, off, _ := c.Scenarios(t.Context(), co, defs); !off["onboarding"] {
				t.Error("the change is not seen after Invalidate")
			}
		})
	})
}

func TestMerge(t *testing.T) {
	defs, err := scenario.LoadFS(scenariosFS())
	if err != nil {
		t.Fatal(err)
	}
	replaced := strings.Replace(ownScenario, "welcome_pack", "onboarding", 1)
	got, off := scenario.Merge(defs, map[string]*store.CompanyScenario{
		"onboarding": {Scenario: "onboarding", Enabled: true, Source: replaced, FileName: "o.yaml"},
		"broken":     {Scenario: "broken", Enabled: true, Source: "id: broken\nsteps: [", FileName: "b.yaml"},
		"other":      {Scenario: "other", Enabled: false},
	})
	if len(got) != 1 || got[0].ID != "onboarding" || got[0].Version != 3 || !off["other"] || off["onboarding"] {
		t.Errorf("Merge = %d scenarios (first %s v%d), off %v", len(got), got[0].ID, got[0].Version, off)
	}
}

func scenariosFS() fs.FS { return scenarios.FS }

func mustCatalogCompany(t *testing.T, s *store.Store) staffbot.CompanyID {
	t.Helper()
	co := &staffbot.Company{Slug: "acme", Name: "Ромашка", TimeZone: "Europe/Moscow"}
	if err := s.CreateCompany(t.Context(), co); err != nil {
		t.Fatal(err)
	}
	return co.ID
}
