package report_test

import (
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/report"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// msk is an instant in Moscow, where the test company works 09:00–18:00
// on the production calendar.
func msk(s string) time.Time {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		panic(err)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// TestHelpdeskCharts drives four tickets through the helpdesk on a
// manual clock and reads the charts back. The working times are worked
// out by hand on the 2026 calendar (Monday 9 March is the day off for
// Sunday 8 March):
//
//	A: Mon 02.03 10:00, reply 11:30 (1.5 h), resolved Wed 04.03 10:00 (8+9+1 = 18 h), rated 5
//	B: Mon 02.03 12:00, reply 16:00 (4 h, just on time), resolved 17:00 (5 h), rated 4
//	C: Thu 05.03 17:00, first reply due Fri 12:00, reply Tue 10.03 10:00 (1+9+0+1 = 11 h, late),
//	   resolved 12:00 (13 h, within 3 working days: Thu, Fri, Tue), rated 2
//	D: Tue 10.03 09:00, no reply by Wed 11.03 12:00: its first-reply timer ran out Tue 13:00
func TestHelpdeskCharts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		st := open(t)
		ctx := t.Context()
		co := &staffbot.Company{Slug: "acme", Name: "ООО Акме", TimeZone: "Europe/Moscow"}
		if err := st.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
		emp := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: "0001", FullName: "Иванова Анна Сергеевна",
			Department: "Склад", HiredOn: staffbot.Date{Year: 2024, Month: 5, Day: 13}}
		if err := st.CreateEmployee(ctx, emp, msk("2026-03-01 10:00")); err != nil {
			t.Fatal(err)
		}
		clock := staffbot.NewManualClock(msk("2026-03-02 10:00"))
		hd := &helpdesk.Service{Store: st, Clock: clock, Logger: slog.New(slog.DiscardHandler)}
		p := &auth.Principal{CompanyID: co.ID, Role: auth.RoleOwner}

		openTicket := func(at string) int64 {
			t.Helper()
			clock.Set(msk(at))
			var tk *store.Ticket
			err := st.InTx(ctx, func(tx *store.Tx) error {
				var err error
				tk, err = hd.OpenFromEscalation(ctx, tx, co, emp, "Нужна справка с места работы", "hr")
				return err
			})
			if err != nil {
				t.Fatalf("open ticket at %s: %v", at, err)
			}
			return tk.ID
		}
		reply := func(id int64, at string) {
			t.Helper()
			clock.Set(msk(at))
			if _, err := hd.Reply(ctx, p, id, helpdesk.Reply{Text: "Готовим", Status: store.TicketOpen}); err != nil {
				t.Fatalf("reply at %s: %v", at, err)
			}
		}
		resolve := func(id int64, at string, rating int) {
			t.Helper()
			clock.Set(msk(at))
			if _, err := hd.SetStatus(ctx, p, id, store.TicketResolved); err != nil {
				t.Fatalf("resolve at %s: %v", at, err)
			}
			err := st.InTx(ctx, func(tx *store.Tx) error {
				tk, err := tx.LockTicket(ctx, co.ID, id)
				if err != nil {
					return err
				}
				rated := clock.Now().Add(time.Minute)
				tk.Rating, tk.RatedAt = &rating, &rated
				return tx.UpdateTicket(ctx, tk)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		due := func(at string) {
			t.Helper()
			clock.Set(msk(at))
			if _, err := hd.RunDue(ctx); err != nil {
				t.Fatalf("RunDue at %s: %v", at, err)
			}
		}

		a := openTicket("2026-03-02 10:00")
		reply(a, "2026-03-02 11:30")
		b := openTicket("2026-03-02 12:00")
		reply(b, "2026-03-02 16:00")
		resolve(b, "2026-03-02 17:00", 4)
		resolve(a, "2026-03-04 10:00", 5)
		c := openTicket("2026-03-05 17:00")
		due("2026-03-06 12:30")
		reply(c, "2026-03-10 10:00")
		resolve(c, "2026-03-10 12:00", 2)
		openTicket("2026-03-10 09:00")
		due("2026-03-10 13:30")
		clock.Set(msk("2026-03-11 12:00"))

		builder := report.Builder{Store: st}
		q := report.Query{CompanyID: co.ID, Location: co.Location(), From: date("2026-03-01"), To: date("2026-03-11"),
			Lang: locale.RU, Now: clock.Now()}
		chart := func(id string) *report.Chart {
			t.Helper()
			c, err := builder.Chart(ctx, id, q)
			if err != nil {
				t.Fatalf("chart %s: %v", id, err)
			}
			mustMatchXLSX(t, c)
			mustMatchCSV(t, c)
			mustDrawSVG(t, c)
			return c
		}
		stat := func(c *report.Chart, key string) string {
			for _, st := range c.Summary {
				if st.Key == key {
					return st.Value
				}
			}
			t.Fatalf("chart %s has no headline %s", c.ID, key)
			return ""
		}
		point := func(c *report.Chart, series, day string) float64 {
			t.Helper()
			for i, k := range c.Keys {
				if k != day {
					continue
				}
				for _, s := range c.Series {
					if s.Key == series {
						return s.Values[i]
					}
				}
			}
			t.Fatalf("chart %s has no %s on %s", c.ID, series, day)
			return 0
		}

		tickets := chart("tickets")
		for _, tt := range []struct {
			series, day string
			want        float64
		}{
			{"created", "2026-03-02", 2}, {"created", "2026-03-05", 1}, {"created", "2026-03-10", 1}, {"created", "2026-03-04", 0},
			{"resolved", "2026-03-02", 1}, {"resolved", "2026-03-04", 1}, {"resolved", "2026-03-10", 1},
		} {
			if got := point(tickets, tt.series, tt.day); got != tt.want {
				t.Errorf("tickets %s on %s = %v, want %v", tt.series, tt.day, got, tt.want)
			}
		}
		if got := stat(tickets, "active"); got != "1" {
			t.Errorf("open now = %s, want 1", got)
		}

		cats := chart("ticket_categories")
		if cats.Keys[0] != "hr" || cats.Series[0].Values[0] != 4 || cats.Series[1].Values[0] != 3 {
			t.Errorf("first category %s: opened %v, resolved %v; want hr with 4 and 3", cats.Keys[0], cats.Series[0].Values[0], cats.Series[1].Values[0])
		}

		times := chart("ticket_times")
		for _, tt := range []struct {
			series, day string
			want        float64
		}{
			{"first_response_median", "2026-03-02", 1.5}, {"first_response_p90", "2026-03-02", 4},
			{"first_response_median", "2026-03-10", 11}, {"resolution_median", "2026-03-02", 5},
			{"resolution_median", "2026-03-04", 18}, {"resolution_p90", "2026-03-10", 13},
		} {
			if got := point(times, tt.series, tt.day); got != tt.want {
				t.Errorf("%s on %s = %v h, want %v", tt.series, tt.day, got, tt.want)
			}
		}
		if got := point(times, "first_response_median", "2026-03-03"); !math.IsNaN(got) {
			t.Errorf("a day without replies has a median of %v, want none", got)
		}
		for key, want := range map[string]string{"first_response_median": "4 ч", "first_response_p90": "11 ч",
			"resolution_median": "13 ч", "resolution_p90": "18 ч", "first_response_n": "3", "resolution_n": "3"} {
			if got := stat(times, key); got != want {
				t.Errorf("headline %s = %q, want %q", key, got, want)
			}
		}

		sla := chart("sla")
		if got := point(sla, "first_response_breached", "2026-03-06"); got != 1 {
			t.Errorf("first replies overdue on 06.03 = %v, want 1 (C)", got)
		}
		if got := point(sla, "first_response_breached", "2026-03-10"); got != 1 {
			t.Errorf("first replies overdue on 10.03 = %v, want 1 (D)", got)
		}
		for key, want := range map[string]string{"first_response_on_time": "66.7%", "first_response_breached": "2",
			"resolution_on_time": "100.0%", "resolution_breached": "0"} {
			if got := stat(sla, key); got != want {
				t.Errorf("headline %s = %q, want %q", key, got, want)
			}
		}

		csat := chart("csat")
		if got := csat.Series[0].Values; got[0] != 0 || got[1] != 1 || got[2] != 0 || got[3] != 1 || got[4] != 1 {
			t.Errorf("ratings 1…5 = %v, want 0 1 0 1 1", got)
		}
		for key, want := range map[string]string{"average": "3,67", "csat": "66.7%", "rated": "3", "response": "100.0%"} {
			if got := stat(csat, key); got != want {
				t.Errorf("headline %s = %q, want %q", key, got, want)
			}
		}

		// Out of the reader's scope, nothing.
		q.Departments = []string{store.NoMatch}
		for _, id := range []string{"tickets", "ticket_times", "sla", "csat"} {
			if c, err := builder.Chart(ctx, id, q); err != nil || !c.Empty() {
				t.Errorf("chart %s outside the scope: empty %v, %v", id, c != nil && c.Empty(), err)
			}
		}
	})
}
