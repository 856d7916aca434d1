package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestRetention_RunningServerAnonymizes: the server's daily pass anonymises
// a dismissed employee once the clock passes the company's period, and not
// before.
func TestRetention_RunningServerAnonymizes(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			start := time.Date(2026, 6, 1, 9, 0, 0, 0, moscow)
			h := newHarness(t, op, start)
			e := h.mustEmployee("00700", "Соколова Мария Игоревна", staffbot.Date{Year: 2024, Month: 1, Day: 10}, nil, nil)
			dismissed := staffbot.Date{Year: 2026, Month: 5, Day: 31}
			e.DismissedOn = &dismissed
			if _, err := h.store().UpsertEmployees(t.Context(), h.co.ID, []store.EmployeeImport{{Employee: *e}}, start); err != nil {
				t.Fatal(err)
			}

			name := func() string {
				got, err := h.store().FindEmployeeByID(t.Context(), h.co.ID, e.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got.FullName
			}
			// A day passes: the pass runs, the period has not ended.
			h.clock.Advance(25 * time.Hour)
			time.Sleep(200 * time.Millisecond)
			if got := name(); got != e.FullName {
				t.Fatalf("anonymised a day after dismissal: %q", got)
			}

			h.clock.Advance(time.Duration(store.DefaultAnonymizeAfterDays) * 24 * time.Hour)
			deadline := time.Now().Add(10 * time.Second)
			for strings.Contains(name(), "Соколова") {
				if time.Now().After(deadline) {
					t.Fatal("the running server did not anonymise the employee after the period")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if rep, err := h.store().VerifyAudit(t.Context(), h.co.ID); err != nil || !rep.OK() {
				t.Errorf("audit chain: %v, %v", rep, err)
			}
		})
	}
}
