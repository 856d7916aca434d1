package demo_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/demo"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

var now = time.Date(2026, 11, 18, 13, 30, 0, 0, time.UTC)

// seeded creates the demo company with its history in a fresh store.
func seeded(t *testing.T, s *store.Store) (*staffbot.Company, *demo.History) {
	t.Helper()
	co, created, err := demo.Ensure(t.Context(), s, now)
	if err != nil || !created {
		t.Fatalf("Ensure: created %v, %v", created, err)
	}
	h, err := demo.SeedHistory(t.Context(), s, co, now)
	if err != nil {
		t.Fatalf("SeedHistory: %v", err)
	}
	return co, h
}

// dashboards reads what each dashboard chart queries over the history.
func dashboards(t *testing.T, s *store.Store, co *staffbot.Company) map[string]any {
	t.Helper()
	ctx := t.Context()
	today := staffbot.DateOf(now.In(co.Location()))
	f := store.DashFilter{From: today.AddDays(-demo.HistoryDays), To: today}
	out := map[string]any{}
	for _, m := range []string{store.MetricInvited, store.MetricRegistered, store.MetricActiveDay, store.MetricActiveWeek,
		store.MetricMessagesIn, store.MetricMessagesOut} {
		counts, err := s.SumDashCounts(ctx, co.ID, m, f, m == store.MetricMessagesIn || m == store.MetricMessagesOut)
		if err != nil {
			t.Fatal(err)
		}
		out[m] = counts
	}
	faqs, err := s.FAQCounts(ctx, co.ID, f, co.Location())
	if err != nil {
		t.Fatal(err)
	}
	out["faq"] = faqs
	top, err := s.TopFAQArticles(ctx, co.ID, f, co.Location(), 5, now)
	if err != nil {
		t.Fatal(err)
	}
	out["top"] = top
	cohorts, err := s.OnboardingCohorts(ctx, co.ID, "onboarding", store.DashFilter{From: today.AddDays(-90), To: today}, now)
	if err != nil {
		t.Fatal(err)
	}
	out["cohorts"] = cohorts
	snap, err := s.FindOnboardingSnapshot(ctx, co.ID, "onboarding", now, now.Add(-30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	out["snapshot"] = *snap
	tickets, err := s.FindTickets(ctx, co.ID, store.TicketFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ticketSummary []string
	for _, tk := range tickets {
		r := 0
		if tk.Rating != nil {
			r = *tk.Rating
		}
		ticketSummary = append(ticketSummary, fmt.Sprintf("%d:%s:%d", tk.Number, tk.Status, r))
	}
	out["tickets"] = ticketSummary
	reqs, err := s.FindServiceRequests(ctx, co.ID, store.ServiceRequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var reqSummary []string
	for _, r := range reqs {
		reqSummary = append(reqSummary, r.ServiceKey+":"+r.Status)
	}
	out["requests"] = reqSummary
	return out
}

// TestSeedHistory_Dashboards: after the demo's history every dashboard
// has data to chart: invites and registrations, active employees and
// messages on both channels, questions answered and not, top articles,
// an onboarding cohort with a stuck newcomer, rated tickets and service
// requests; and the same start gives the same history.
func TestSeedHistory_Dashboards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		s := open(t)
		co, h := seeded(t, s)
		if h.Accounts < 30 || h.MessagesIn == 0 || h.Questions < 20 || h.Runs < 5 || h.Tickets != 5 || h.ServiceRequests != 5 {
			t.Errorf("history = %+v", h)
		}
		got := dashboards(t, s, co)
		for _, m := range []string{store.MetricInvited, store.MetricRegistered, store.MetricActiveDay, store.MetricActiveWeek} {
			if len(got[m].([]store.DashCount)) == 0 {
				t.Errorf("%s: no counts", m)
			}
		}
		for _, m := range []string{store.MetricMessagesIn, store.MetricMessagesOut} {
			channels := map[string]int64{}
			days := map[string]bool{}
			for _, c := range got[m].([]store.DashCount) {
				channels[c.Channel] += c.N
				days[c.Day] = true
			}
			if channels[string(staffbot.ChannelTelegram)] == 0 || channels[string(staffbot.ChannelWebchat)] == 0 || len(days) < 20 {
				t.Errorf("%s: by channel %v over %d days; want both channels over most days", m, channels, len(days))
			}
		}
		outcomes := map[string]int64{}
		for _, c := range got["faq"].([]store.FAQCount) {
			outcomes[c.Outcome] += c.N
		}
		if outcomes[store.FAQAnswered] == 0 || outcomes[store.FAQUnknown]+outcomes[store.FAQToHR] == 0 {
			t.Errorf("questions by outcome = %v; want answered and unanswered ones", outcomes)
		}
		// Every unanswered question is a gap, grouped with its like, so
		// the cabinet's page of questions without an answer has rows.
		gaps, err := s.TopFAQGaps(t.Context(), co.ID, store.GapUnanswered, 100)
		if err != nil {
			t.Fatal(err)
		}
		var inGaps int64
		samples := map[string]bool{}
		for _, g := range gaps {
			inGaps += int64(g.Count)
			if g.Sample == "" || g.Kind != store.GapUnanswered || samples[g.Sample] {
				t.Errorf("gap %+v: want an unanswered question of its own", g)
			}
			samples[g.Sample] = true
		}
		if len(gaps) == 0 || inGaps != outcomes[store.FAQUnknown]+outcomes[store.FAQToHR] || int64(len(gaps)) >= inGaps {
			t.Errorf("%d unanswered gaps holding %d questions; want fewer groups holding the %d unanswered ones",
				len(gaps), inGaps, outcomes[store.FAQUnknown]+outcomes[store.FAQToHR])
		}
		if top := got["top"].([]store.ArticleCount); len(top) == 0 || top[0].Title == "" {
			t.Errorf("top articles = %+v", top)
		}
		cohorts := map[string]int64{}
		for _, c := range got["cohorts"].([]store.CohortCount) {
			cohorts[c.Status] += c.N
		}
		if len(cohorts) == 0 {
			t.Error("no onboarding cohort")
		}
		if snap := got["snapshot"].(store.OnboardingSnapshot); snap.InProgress == 0 || snap.Stuck == 0 {
			t.Errorf("onboarding snapshot = %+v; want runs in progress and a stuck one", snap)
		}
		rated := 0
		for _, tk := range got["tickets"].([]string) {
			var n int64
			var status string
			var r int
			fmt.Sscanf(tk, "%d:%s", &n, &status)
			if _, err := fmt.Sscanf(tk[len(tk)-1:], "%d", &r); err == nil && r > 0 {
				rated++
			}
		}
		if rated < 3 {
			t.Errorf("tickets %v: want at least three rated", got["tickets"])
		}
		if len(got["requests"].([]string)) != 5 {
			t.Errorf("service requests = %v", got["requests"])
		}

		// Nothing waits in the outbox: the history's replies were
		// delivered, and no run is due to send anything.
		if n, err := s.OutboxDepth(t.Context()); err != nil || n != 0 {
			t.Errorf("outbox depth = %d (%v), want 0", n, err)
		}
		if due, err := s.FindDueRuns(t.Context(), now.Add(24*time.Hour), 10); err != nil || len(due) != 0 {
			t.Errorf("due runs = %v (%v), want none", due, err)
		}

		// The same start, the same history.
		s2 := open(t)
		co2, h2 := seeded(t, s2)
		if *h2 != *h {
			t.Errorf("second history = %+v, first %+v", h2, h)
		}
		if again := dashboards(t, s2, co2); !reflect.DeepEqual(again, got) {
			t.Errorf("dashboards differ between two seedings:\n%v\n%v", again, got)
		}
	})
}

// BenchmarkSeedHistory measures the demo's first start: the company, its
// staff and the history, on SQLite.
func BenchmarkSeedHistory(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		sealer, err := secret.NewSealer(storetest.TestKey)
		if err != nil {
			b.Fatal(err)
		}
		s, err := store.Open(b.Context(), filepath.Join(b.TempDir(), "staffbot.db"), sealer)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Migrate(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		co, _, err := demo.Ensure(b.Context(), s, now)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := demo.SeedHistory(b.Context(), s, co, now); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}
