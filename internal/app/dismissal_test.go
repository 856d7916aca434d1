package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot/internal/importer"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestTelegram_DismissalEndsAccess: a registered employee keeps the bot
// until the dismissal date in an imported staff file comes, and from that
// day gets only the closed-bot answer, whatever she sends.
func TestTelegram_DismissalEndsAccess(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			// Monday 2 March 2026, noon in Moscow.
			h := newHarness(t, op, time.Date(2026, 3, 2, 12, 0, 0, 0, moscow))
			const chat = 301

			mustImportStaff(t, h, "")
			emp, err := h.store().FindEmployeeByNumber(t.Context(), h.co.ID, "00700")
			if err != nil {
				t.Fatal(err)
			}
			code := h.mustInvite(emp)
			h.push(h.tg.TextUpdate(chat, "/start "+code))
			ask := h.waitSent(chat, 1)[0]
			h.push(h.tg.CallbackUpdate(chat, buttonData(t, ask, "согласи")))
			n := len(h.drain(chat))

			// A dismissal two days ahead changes nothing yet.
			mustImportStaff(t, h, "04.03.2026")
			h.push(h.tg.TextUpdate(chat, "/help"))
			got := h.settle(chat, n+1)
			if !strings.Contains(got[n].Text, "/menu") {
				t.Fatalf("before the dismissal date /help got %q, want the help", got[n].Text)
			}
			n++

			// The day comes.
			h.clock.Set(time.Date(2026, 3, 4, 0, 0, 1, 0, moscow))
			for i, text := range []string{"/help", "/menu", "/start " + code, "привет"} {
				h.push(h.tg.TextUpdate(chat, text))
				got = h.settle(chat, n+i+1)
				m := got[n+i]
				if !strings.Contains(m.Text, "закрытый бот") || m.ReplyMarkup != nil {
					t.Errorf("dismissed, %q got %q, want the closed-bot answer alone", text, m.Text)
				}
				for _, secret := range []string{"Акме", "Соколова", "Мария"} {
					if strings.Contains(m.Text, secret) {
						t.Errorf("dismissed, %q: the answer mentions %q", text, secret)
					}
				}
			}

			// A fresh invite cannot bring her back either.
			fresh := h.mustInvite(emp)
			h.push(h.tg.TextUpdate(chat+1, "/start "+fresh))
			if m := h.settle(chat+1, 1)[0]; !strings.Contains(m.Text, "закрытый бот") {
				t.Errorf("dismissed, a new invite got %q, want the closed-bot answer", m.Text)
			}
		})
	}
}

// mustImportStaff imports a one-person staff file as "staffbot import"
// reads it, with the given dismissal date (dd.mm.yyyy) or none.
func mustImportStaff(t *testing.T, h *harness, dismissed string) {
	t.Helper()
	csv := "Табельный номер;ФИО;Подразделение;Должность;Офис;Дата приема;Дата увольнения\r\n" +
		"00700;Соколова Мария Игоревна;Склад;Кладовщик;Подольск;10.01.2024;" + dismissed + "\r\n"
	known, err := h.store().EmployeeNumbers(t.Context(), h.co.ID)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := importer.ParseAndValidate(strings.NewReader(csv), "staff.csv", func(n string) bool { return known[n] })
	if err != nil {
		t.Fatalf("ParseAndValidate: %v", err)
	}
	in := make([]store.EmployeeImport, len(rows))
	for i, r := range rows {
		in[i] = store.EmployeeImport{Employee: r.Employee, ManagerNumber: r.ManagerNumber, MentorNumber: r.MentorNumber}
	}
	if _, err := h.store().UpsertEmployees(t.Context(), h.co.ID, in, h.clock.Now()); err != nil {
		t.Fatalf("UpsertEmployees: %v", err)
	}
	e, err := h.store().FindEmployeeByNumber(t.Context(), h.co.ID, "00700")
	if err != nil {
		t.Fatal(err)
	}
	if (e.DismissedOn != nil) != (dismissed != "") {
		t.Fatalf("after import the dismissal date is %v, want %q", e.DismissedOn, dismissed)
	}
}
