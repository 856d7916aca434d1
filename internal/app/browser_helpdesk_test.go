package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestBrowser_OperatorConsole drives the operator console in headless
// Chromium against a whole staffbot with the fake Telegram: an HR manager
// signs in with a password and an authenticator code, opens the queue and
// the ticket an employee wrote in Telegram, replies (the employee gets it
// in Telegram), and sees the employee's answer appear in the conversation
// without reloading the page; then a new ticket appears in the queue by
// itself.
func TestBrowser_OperatorConsole(t *testing.T) {
	browser := newChromium(t)
	h := newHarness(t, storetest.Openers()[0], time.Date(2026, 3, 4, 10, 0, 0, 0, moscow))
	emp := h.mustEmployee("00501", "Фёдорова Елена Викторовна", staffbot.Date{Year: 2024, Month: 2, Day: 5}, nil, nil)
	const chat = 4501
	h.caseRegister(chat, emp)
	h.hdOpenTicket(chat, "Не пришла премия за февраль", "Зарплата")
	list, err := h.store().FindTickets(t.Context(), h.co.ID, store.TicketFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("tickets = %d, %v", len(list), err)
	}
	ticketPath := "/hr/tickets/" + strconv.FormatInt(list[0].ID, 10)

	// An HR manager with an authenticator, as in the cabinet's own test.
	svc := auth.New(h.store(), h.clock, auth.Options{Logger: testLogger(), Argon2: fastArgon})
	const email, password = "manager@acme.ru", "manager password 1"
	if _, _, err := svc.CreateUser(t.Context(), nil, h.co.ID, auth.NewUser{Email: email, Role: auth.RoleHRManager, Password: password}); err != nil {
		t.Fatal(err)
	}
	g, err := svc.Login(t.Context(), h.co.ID, email, password, "")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := svc.Authenticate(t.Context(), g.Token, "")
	if err != nil {
		t.Fatal(err)
	}
	enr, err := svc.StartEnrolment(t.Context(), cur)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := auth.TOTPCode(enr.Secret, h.clock.Now())
	if _, _, err := svc.ConfirmEnrolment(t.Context(), cur, code); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(30 * time.Second)

	base := "http://" + h.ln.Addr().String()
	b := newTab(t, browser, "operator")
	b.do("open the sign-in page",
		chromedp.Navigate(base+"/hr/login?company=acme"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`#submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#code`)),
	)
	code, _ = auth.TOTPCode(enr.Secret, h.clock.Now())
	b.do("type the code",
		chromedp.SendKeys(chromedp.CSS(`#code`), code),
		chromedp.Click(chromedp.CSS(`#submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#nav-tickets`)),
	)

	b.do("open the queue",
		chromedp.Click(chromedp.CSS(`#nav-tickets`)),
		chromedp.WaitVisible(chromedp.CSS(`table#tickets`)),
	)
	rows := browserValue[[]string](b, `Array.from(document.querySelectorAll('#tickets tbody tr'), tr => tr.textContent.replace(/\s+/g, ' ').trim())`)
	if len(rows) != 1 || !strings.Contains(rows[0], "Не пришла премия за февраль") || !strings.Contains(rows[0], "Фёдорова") ||
		!strings.Contains(rows[0], "Зарплата") || !strings.Contains(rows[0], "новое") {
		t.Fatalf("queue rows = %q", rows)
	}

	b.do("open the ticket",
		chromedp.Click(chromedp.CSS(`#tickets a.tk-subject`)),
		chromedp.WaitVisible(chromedp.CSS(`#conversation`)),
	)
	if got := browserValue[string](b, `location.pathname`); got != ticketPath {
		t.Errorf("ticket page = %s, want %s", got, ticketPath)
	}
	before := len(h.drain(chat))
	b.do("reply",
		chromedp.SendKeys(chromedp.CSS(`#reply-text`), "Премию начислят с зарплатой 15 марта."),
		chromedp.Click(chromedp.CSS(`#reply-send`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
	)
	got := h.waitSent(chat, before+1)[before]
	if !strings.Contains(got.Text, "Премию начислят с зарплатой 15 марта.") {
		t.Errorf("the employee got %q", got.Text)
	}
	if status := browserValue[string](b, `document.getElementById('ticket-status').textContent`); status != "ждёт сотрудника" {
		t.Errorf("status after the reply = %q", status)
	}

	// The employee answers in Telegram; the answer shows up on the open
	// page by itself, and the page is the same page (no reload).
	browserValue[bool](b, `window.__stillHere = true`)
	h.push(h.tg.TextUpdate(chat, "Спасибо, понятно. А больничный учтут?"))
	b.do("see the answer arrive",
		chromedp.WaitVisible(chromedp.CSS(`#conversation li.tk-msg-employee.tk-fresh`)),
	)
	last := browserValue[string](b, `document.querySelector('#conversation li.tk-fresh .tk-text').textContent`)
	if last != "Спасибо, понятно. А больничный учтут?" {
		t.Errorf("the new message reads %q", last)
	}
	if !browserValue[bool](b, `window.__stillHere === true`) {
		t.Error("the page reloaded to show the answer")
	}
	waitFor(t, func() bool {
		return browserValue[string](b, `document.getElementById('ticket-status').textContent`) == "в работе"
	}, "the status to become «в работе» on the page")

	// A saved reply drops into the box; the English switch works here too.
	b.do("switch to English",
		chromedp.Click(chromedp.CSS(`#lang`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=en] #conversation`)),
	)
	if h1 := browserValue[string](b, `document.querySelector('h1').textContent`); h1 != "Ticket №1" {
		t.Errorf("English heading = %q", h1)
	}

	// Back in the queue, a new ticket from another employee appears
	// without a reload.
	b.do("open the queue again",
		chromedp.Navigate(base+"/hr/tickets"),
		chromedp.WaitVisible(chromedp.CSS(`table#tickets`)),
	)
	browserValue[bool](b, `window.__stillHere = true`)
	other := h.mustEmployee("00502", "Гусев Павел Андреевич", staffbot.Date{Year: 2023, Month: 8, Day: 1}, nil, nil)
	h.caseRegister(4502, other)
	h.hdOpenTicket(4502, "Сломался ноутбук, нужен новый", "Доступы и оборудование")
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#tickets tbody tr:nth-child(2)`))); err != nil {
		t.Fatalf("the new ticket never appeared in the queue: %v", err)
	}
	if !browserValue[bool](b, `window.__stillHere === true`) {
		t.Error("the queue reloaded to show the new ticket")
	}
	if p := b.consoleErrors(); len(p) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(p, "\n"))
	}
}
