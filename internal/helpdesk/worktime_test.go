package helpdesk_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestWorkingTimes keeps the working time to the first reply and to the
// resolution on the ticket, on the company's calendar, clears the latter
// when the ticket reopens, and measures tickets from before the times
// were kept.
func TestWorkingTimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		f := newFixture(t, open)
		ctx := t.Context()
		op := f.mustUser("op@acme.ru", auth.RoleHROperator)
		e := f.mustEmployee("0001", "ИТ")

		// Opened Friday 6 March 17:00; Monday 9 March is a day off.
		f.clock.Set(time.Date(2026, 3, 6, 17, 0, 0, 0, moscow))
		tk := f.mustOpen(e, "Нужна справка", "docs")
		f.clock.Set(time.Date(2026, 3, 10, 10, 30, 0, 0, moscow))
		if _, err := f.hd.Reply(ctx, op, tk.ID, helpdesk.Reply{Text: "Готовим", Status: store.TicketOpen}); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(time.Date(2026, 3, 11, 9, 15, 0, 0, moscow))
		if _, err := f.hd.SetStatus(ctx, op, tk.ID, store.TicketResolved); err != nil {
			t.Fatal(err)
		}
		// 17:00–18:00 Friday, 09:00–10:30 Tuesday: 2.5 h; then to 09:15
		// Wednesday: 1 + 9 + 0.25 = 10.25 h.
		got := f.ticket(tk.ID)
		if got.FirstResponseSecs == nil || *got.FirstResponseSecs != 9000 || got.ResolutionSecs == nil || *got.ResolutionSecs != 36900 {
			t.Fatalf("working times %s, %s; want 9000 and 36900 seconds", secs(got.FirstResponseSecs), secs(got.ResolutionSecs))
		}
		f.clock.Set(time.Date(2026, 3, 11, 11, 0, 0, 0, moscow))
		if _, err := f.hd.SetStatus(ctx, op, tk.ID, store.TicketOpen); err != nil {
			t.Fatal(err)
		}
		if got := f.ticket(tk.ID); got.ResolutionSecs != nil || got.FirstResponseSecs == nil || *got.FirstResponseSecs != 9000 {
			t.Errorf("reopened: resolution %s, first reply %s; want none and 9000", secs(got.ResolutionSecs), secs(got.FirstResponseSecs))
		}
		f.clock.Set(time.Date(2026, 3, 11, 12, 0, 0, 0, moscow))
		if _, err := f.hd.SetStatus(ctx, op, tk.ID, store.TicketResolved); err != nil {
			t.Fatal(err)
		}

		// A ticket from before: its times are gone, and the helpdesk's
		// pass measures it again, once.
		if _, err := f.st.DB().ExecContext(ctx,
			"UPDATE tickets SET first_response_secs = NULL, resolution_secs = NULL WHERE id = "+strconv.FormatInt(tk.ID, 10)); err != nil {
			t.Fatal(err)
		}
		rep, err := f.hd.RunDue(ctx)
		if err != nil || rep.Measured != 1 {
			t.Fatalf("RunDue measured %d, %v; want 1", rep.Measured, err)
		}
		if got := f.ticket(tk.ID); got.FirstResponseSecs == nil || *got.FirstResponseSecs != 9000 ||
			got.ResolutionSecs == nil || *got.ResolutionSecs != 46800 {
			t.Errorf("measured again: %s, %s; want 9000 and 46800 (13 h)", secs(got.FirstResponseSecs), secs(got.ResolutionSecs))
		}
		if rep, err := f.hd.RunDue(ctx); err != nil || rep.Measured != 0 {
			t.Errorf("a second pass measured %d, %v", rep.Measured, err)
		}
	})
}

func secs(p *int64) string {
	if p == nil {
		return "none"
	}
	return strconv.FormatInt(*p, 10)
}
