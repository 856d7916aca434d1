package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestHRIS_ScheduledSyncRevokesAccess: the server's own scheduled sync
// brings a new employee from the fake 1C and she registers in Telegram;
// while 1C answers 500 nothing changes and HR sees a failed run; once 1C
// recovers, the retry after the back-off records her dismissal and the bot
// closes for her.
func TestHRIS_ScheduledSyncRevokesAccess(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, op, time.Date(2026, 3, 2, 12, 0, 0, 0, moscow))
			const chat = 701
			fake := onectest.NewServer(t)
			fake.AddEmployee(onectest.Employee{Code: "00700", Name: "Соколова Мария Игоревна", HiredOn: "2024-01-10",
				Position: "Кладовщик", Department: "Склад"})
			c := &store.Connector{CompanyID: h.co.ID, Kind: "1c", URL: fake.URL(), Username: onectest.DefaultUser,
				Secret: onectest.DefaultPassword, Auth: app.AuthBasic, SyncEvery: time.Hour}
			if _, err := h.store().SaveConnector(t.Context(), c, h.clock.Now()); err != nil {
				t.Fatal(err)
			}

			emp := waitEmployee(t, h, "00700", func(e *staffbot.Employee) bool { return e.Position == "Кладовщик" })
			code := h.mustInvite(emp)
			h.push(h.tg.TextUpdate(chat, "/start "+code))
			ask := h.waitSent(chat, 1)[0]
			h.push(h.tg.CallbackUpdate(chat, buttonData(t, ask, "согласи")))
			n := len(h.drain(chat))

			fake.UpdateEmployee("00700", func(e *onectest.Employee) { e.DismissedOn = "2026-03-02" })
			fake.Fail(http.StatusInternalServerError, nil, 0)
			h.clock.Advance(time.Hour)
			runs := waitRuns(t, h, 2)
			if runs[0].Status != store.ConnectorRunFailed || runs[0].ErrorKind != "unavailable" {
				t.Fatalf("latest run %+v, want a failed one", runs[0])
			}
			if e, _ := h.store().FindEmployeeByNumber(t.Context(), h.co.ID, "00700"); e.DismissedOn != nil {
				t.Fatal("a failed sync dismissed the employee")
			}
			h.push(h.tg.TextUpdate(chat, "/help"))
			if got := h.settle(chat, n+1); !strings.Contains(got[n].Text, "/menu") {
				t.Fatalf("while 1C is down /help got %q, want the help", got[n].Text)
			}
			n++

			fake.Heal()
			h.clock.Advance(time.Minute) // the first back-off
			waitEmployee(t, h, "00700", func(e *staffbot.Employee) bool { return e.DismissedOn != nil })
			h.push(h.tg.TextUpdate(chat, "/help"))
			if got := h.settle(chat, n+1); !strings.Contains(got[n].Text, "закрытый бот") {
				t.Errorf("after the sync /help got %q, want the closed-bot answer", got[n].Text)
			}
		})
	}
}

func waitEmployee(t *testing.T, h *harness, number string, ok func(*staffbot.Employee) bool) *staffbot.Employee {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if e, err := h.store().FindEmployeeByNumber(t.Context(), h.co.ID, number); err == nil && ok(e) {
			return e
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("employee %s never synced as expected", number)
	return nil
}

func waitRuns(t *testing.T, h *harness, n int) []*store.ConnectorRun {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := h.store().FindConnectorRuns(t.Context(), h.co.ID, 10)
		if err == nil && len(runs) >= n {
			return runs
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("fewer than %d sync runs", n)
	return nil
}
