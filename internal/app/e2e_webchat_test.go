package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestWebchatOnboardingWalk is the Telegram walk in the web chat, driven by
// headless Chromium through the whole app: a stranger is refused without
// learning anything; the newcomer joins by link, sees only the consent
// question until she consents, gets the pre-boarding and answers with a
// button; her mentor, in a browser of her own, gets her day-1 task when
// the clock reaches it and marks it done; a restart loses and repeats
// nothing; the week-1 check-in comes once.
func TestWebchatOnboardingWalk(t *testing.T) {
	browser := newChromium(t)
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			// Monday 2 March 2026, noon in Moscow; the newcomer starts on
			// Thursday the 5th.
			start := time.Date(2026, 3, 2, 12, 0, 0, 0, moscow)
			h := newWebHarness(t, op, start)

			manager := h.mustEmployee("00010", "Лебедев Тимур Николаевич", staffbot.Date{Year: 2020, Month: 1, Day: 11}, nil, nil)
			mentor := h.mustEmployee("00020", "Новикова Ольга Дмитриевна", staffbot.Date{Year: 2022, Month: 12, Day: 23}, manager, nil)
			newcomer := h.mustEmployee("00030", "Кузнецова Дарья Андреевна", staffbot.Date{Year: 2026, Month: 3, Day: 5}, manager, mentor)
			mentorCode := h.mustInvite(mentor)
			code := h.mustInvite(newcomer)

			stranger := newTab(t, browser, "stranger")
			webStranger(t, h, stranger)

			nc := newTab(t, browser, "newcomer")
			webNewcomerJoins(t, h, nc, code, newcomer)

			// The mentor registers in a browser of her own and consents.
			mt := newTab(t, browser, "mentor")
			mt.join(h.url("/join/" + mentorCode))
			mt.waitBot(1)
			mt.press("Даю согласие")
			mt.waitBotText("Согласие сохранено")
			mentorBase := len(mt.settle(h))
			if got := nc.botLines(); countContaining(got, "Согласие сохранено") != 1 {
				t.Errorf("the mentor's consent showed in the newcomer's chat:\n%s", dumpLines(got))
			}

			webDayOne(t, h, nc, mt, mentor, mentorBase)
			webRestart(t, h, nc, mt, newcomer)

			// Week 1 comes on day 5; running the scheduler again sends it
			// once.
			ncCount := len(nc.settle(h))
			mtCount := len(mt.settle(h))
			h.advanceTo(time.Date(2026, 3, 11, 16, 0, 0, 0, moscow))
			nc.waitBotText("позади первая неделя")
			mt.waitBotText("Первая неделя")
			if err := h.app.RunDue(t.Context()); err != nil {
				t.Fatal(err)
			}
			ncLines := nc.settle(h)
			if n := countContaining(ncLines, "позади первая неделя"); n != 1 || len(ncLines) != ncCount+1 {
				t.Errorf("week-1 check-in shown %d times, %d new messages; want once, 1:\n%s", n, len(ncLines)-ncCount, dumpLines(ncLines))
			}
			if n := countContaining(mt.settle(h), "Первая неделя"); n != 1 {
				t.Errorf("mentor's week-1 task shown %d times, want once", n)
			}
			if got := len(mt.botLines()); got != mtCount+1 {
				t.Errorf("mentor got %d new messages in week 1, want 1", got-mtCount)
			}

			// And once more after a reload.
			before := nc.transcript()
			nc.do("reload", chromedp.Reload())
			nc.waitBot(len(ncLines))
			nc.settle(h)
			if after := nc.transcript(); !sameLines(after, before) {
				t.Errorf("transcript after reload:\n%s\nwant:\n%s", dumpLines(after), dumpLines(before))
			}

			for _, b := range []*tab{stranger, nc, mt} {
				if p := b.consoleErrors(); len(p) > 0 {
					t.Errorf("%s's console has errors:\n%s", b.name, strings.Join(p, "\n"))
				}
			}
		})
	}
}

// webStranger opens invite links that lead nowhere: a code of the right
// shape that was never issued, and junk. Each time the page is the
// closed-bot page, names no company and no person, and leaves no session
// behind.
func webStranger(t *testing.T, h *webHarness, b *tab) {
	t.Helper()
	secrets := []string{"Акме", "acme", "Кузнецова", "Дарья", "Новикова", "Лебедев"}
	check := func(path string) {
		t.Helper()
		state := browserValue[string](b, `document.body.dataset.state`)
		text := browserValue[string](b, `document.body.innerText`)
		html := browserValue[string](b, `document.documentElement.outerHTML`)
		if !strings.Contains(text, "закрытый бот") {
			t.Errorf("%s: stranger sees %q, want the closed-bot page", path, text)
		}
		if state == "chat" || browserValue[bool](b, `document.querySelector('#messages') !== null`) {
			t.Errorf("%s: stranger got a chat (state %q)", path, state)
		}
		for _, s := range secrets {
			if strings.Contains(html, s) {
				t.Errorf("%s: stranger's page mentions %q", path, s)
			}
		}
	}

	for _, path := range []string{"/join/AAAAAAAAAAAAAAAAAAAAAA", "/join/junk"} {
		if status := b.openNotFound(h.url(path)); status != 404 {
			t.Errorf("%s: status %d, want 404", path, status)
		}
		check(path)
	}

	// Without a session the chat is only the invite form.
	b.do("open /chat", chromedp.Navigate(h.url("/chat")), chromedp.WaitVisible(chromedp.CSS(`#code`)))
	if state := browserValue[string](b, `document.body.dataset.state`); state != "join" {
		t.Errorf("/chat without a session: state %q, want the invite form", state)
	}

	cookies, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{h.url("/")}})
	if err != nil {
		t.Fatalf("read cookies: %v", err)
	}
	if len(cookies.Cookies) > 0 {
		t.Errorf("stranger was given %d cookie(s), first %q", len(cookies.Cookies), cookies.Cookies[0].Name)
	}
}

// webNewcomerJoins: the invite link opens the chat with the consent
// question and nothing else, a message before consent gets the question
// again, and consent brings the pre-boarding, whose question she answers
// with a button.
func webNewcomerJoins(t *testing.T, h *webHarness, nc *tab, code string, newcomer *staffbot.Employee) {
	t.Helper()
	nc.join(h.url("/join/" + code))
	nc.waitBot(1)
	lines := nc.settle(h)
	if len(lines) != 1 {
		t.Fatalf("after joining the page shows %d messages, want only the consent question:\n%s", len(lines), dumpLines(lines))
	}
	if !strings.Contains(lines[0].Text, "согласие") || !strings.Contains(lines[0].Text, "Дарья") {
		t.Fatalf("first message = %q, want the consent question by first name", lines[0].Text)
	}
	if !slices.Contains(lines[0].Buttons, "Даю согласие") {
		t.Fatalf("consent question has buttons %q, want Даю согласие", lines[0].Buttons)
	}
	if path := browserValue[string](nc, `location.pathname`); path != "/chat" {
		t.Errorf("after joining the address is %s, want /chat (no code in the address bar)", path)
	}
	if got := browserValue[string](nc, `document.querySelector('#company').textContent`); got != "Акме" {
		t.Errorf("header = %q, want the company name", got)
	}

	nc.typeText("а что дальше?")
	nc.waitBot(2)
	lines = nc.settle(h)
	if len(lines) != 2 || !strings.Contains(lines[1].Text, "согласие") {
		t.Fatalf("before consent got:\n%s\nwant the consent question again", dumpLines(lines))
	}

	nc.press("Даю согласие")
	nc.waitBotText("паспорт")
	lines = nc.settle(h)
	all := joinLines(lines)
	for _, want := range []string{"Спасибо", "паспорт", "05.03.2026", "Лебедев Тимур"} {
		if !strings.Contains(all, want) {
			t.Errorf("pre-boarding lacks %q:\n%s", want, dumpLines(lines))
		}
	}
	consents, err := h.store().FindConsents(t.Context(), h.co.ID, newcomer.ID)
	if err != nil || len(consents) != 1 || consents[0].TextVersion != staffbot.ConsentTextVersion {
		t.Errorf("consents = %+v, %v; want one of version %s", consents, err, staffbot.ConsentTextVersion)
	}

	last := lines[len(lines)-1]
	if !slices.Contains(last.Buttons, "Да, всё понятно") {
		t.Fatalf("pre-boarding ends with %s, want the question with its buttons", last)
	}
	nc.press("Да, всё понятно")
	nc.waitBotText("До встречи")
	nc.settle(h)

	var mine []string
	for _, l := range nc.transcript() {
		if !l.Bot {
			mine = append(mine, l.Text)
		}
	}
	want := []string{"а что дальше?", "Даю согласие", "Да, всё понятно"}
	if !slices.Equal(mine, want) {
		t.Errorf("the newcomer's own messages on the page = %q, want %q", mine, want)
	}
}

// webDayOne moves the clock to day 1 at nine: the newcomer is welcomed and
// the mentor gets a task with a button, which marks it done.
func webDayOne(t *testing.T, h *webHarness, nc, mt *tab, mentor *staffbot.Employee, mentorBase int) {
	t.Helper()
	h.advanceTo(time.Date(2026, 3, 5, 9, 0, 0, 0, moscow))
	nc.waitBotText("добро пожаловать в Акме")
	mt.waitBot(mentorBase + 1)
	mtLines := mt.settle(h)

	var task chatLine
	for _, l := range mtLines[mentorBase:] {
		if strings.Contains(l.Text, "Кузнецова Дарья") && len(l.Buttons) > 0 {
			task = l
		}
	}
	if task.Key == "" {
		t.Fatalf("mentor got no task with a button about the newcomer:\n%s", dumpLines(mtLines))
	}
	open, err := h.store().FindTasks(t.Context(), h.co.ID, store.TaskFilter{AssigneeID: mentor.ID, Status: "open"})
	if err != nil || len(open) != 1 {
		t.Fatalf("mentor's open tasks = %d, %v; want 1", len(open), err)
	}

	mt.press(task.Buttons[0])
	waitFor(t, func() bool {
		tk, err := h.store().FindTask(t.Context(), h.co.ID, open[0].ID)
		return err == nil && tk.Status == "done"
	}, "the mentor's task to be done")
	mt.waitBotText("Задача отмечена как выполненная")
	done, err := h.store().FindTasks(t.Context(), h.co.ID, store.TaskFilter{AssigneeID: mentor.ID, Status: "done"})
	if err != nil || len(done) != 1 || done[0].ID != open[0].ID {
		t.Errorf("mentor's done tasks = %+v, %v; want task %d", done, err, open[0].ID)
	}
}

// webRestart stops the app and starts it again on the same database while
// both pages stay open. The newcomer's open page goes on working; after a
// reload each page shows the same transcript, with no message lost and
// none twice.
func webRestart(t *testing.T, h *webHarness, nc, mt *tab, newcomer *staffbot.Employee) {
	t.Helper()
	nc.settle(h)
	mt.settle(h)
	ncBefore, mtBefore := nc.transcript(), mt.transcript()
	storedBefore := webStoredMessages(t, h, newcomer)

	for _, b := range []*tab{nc, mt} {
		b.expectServerDown(true)
	}
	h.restart()
	h.advanceTo(h.clock.Now().Add(time.Minute))

	// The newcomer's open page finds the new server by itself.
	nc.typeText("/help")
	nc.waitBotText("/menu")
	nc.settle(h)
	withHelp := nc.transcript()
	if len(withHelp) != len(ncBefore)+2 || !sameLines(withHelp[:len(ncBefore)], ncBefore) ||
		withHelp[len(ncBefore)].Text != "/help" || !strings.Contains(withHelp[len(ncBefore)+1].Text, "/menu") {
		t.Errorf("after the restart the open page shows:\n%s\nwant what it had and /help answered:\n%s",
			dumpLines(withHelp), dumpLines(ncBefore))
	}
	ncBefore = withHelp
	storedBefore++

	for _, c := range []struct {
		b      *tab
		before []chatLine
	}{{nc, ncBefore}, {mt, mtBefore}} {
		c.b.do("reload", chromedp.Reload())
		bots := 0
		for _, l := range c.before {
			if l.Bot {
				bots++
			}
		}
		c.b.waitBot(bots)
		c.b.settle(h)
		after := c.b.transcript()
		if !sameLines(after, c.before) {
			t.Errorf("%s's transcript after the restart:\n%s\nwant:\n%s", c.b.name, dumpLines(after), dumpLines(c.before))
		}
		seen := map[string]bool{}
		for _, l := range after {
			if l.Bot && seen[l.Key] {
				t.Errorf("%s: message %s shown twice", c.b.name, l.Key)
			}
			seen[l.Key] = true
		}
		c.b.expectServerDown(false)
	}
	if after := webStoredMessages(t, h, newcomer); after != storedBefore {
		t.Errorf("newcomer's chat holds %d messages after the restart, %d before", after, storedBefore)
	}
}

// webStoredMessages counts the messages queued for the employee's web chat.
func webStoredMessages(t *testing.T, h *webHarness, e *staffbot.Employee) int {
	t.Helper()
	var accts []*staffbot.ChannelAccount
	err := h.store().InTx(t.Context(), func(tx *store.Tx) error {
		var err error
		accts, err = tx.FindAccountsOfEmployee(t.Context(), h.co.ID, e.ID)
		return err
	})
	if err != nil || len(accts) != 1 {
		t.Fatalf("accounts of %s = %d, %v; want 1", e.PersonnelNumber, len(accts), err)
	}
	msgs, err := h.store().FindChatMessages(t.Context(), h.co.ID, staffbot.ChannelWebchat, accts[0].ChatID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(msgs)
}

// TestWebchatJoinForm: the form on /chat takes a pasted code or link. A
// wrong code gets the closed-bot answer; the right link opens the chat.
func TestWebchatJoinForm(t *testing.T) {
	browser := newChromium(t)
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			h := newWebHarness(t, op, time.Date(2026, 3, 2, 12, 0, 0, 0, moscow))
			newcomer := h.mustEmployee("00030", "Кузнецова Дарья Андреевна", staffbot.Date{Year: 2026, Month: 3, Day: 5}, nil, nil)
			code := h.mustInvite(newcomer)

			b := newTab(t, browser, "newcomer")
			paste := func(text string) {
				t.Helper()
				b.do("paste "+text,
					chromedp.Navigate(h.url("/chat")),
					chromedp.WaitVisible(chromedp.CSS(`#code`)),
					chromedp.SendKeys(chromedp.CSS(`#code`), text),
					chromedp.Submit(chromedp.CSS(`#code`)),
				)
				// The form navigates; ask until the new page answers.
				waitFor(t, func() bool {
					ctx, cancel := context.WithTimeout(b.ctx, time.Second)
					defer cancel()
					left, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
						`document.readyState === 'complete' && document.body.dataset.state !== 'join'`))
					return err == nil && left
				}, "the form's answer")
			}

			b.notFound[h.url("/chat/join")] = true
			paste("BBBBBBBBBBBBBBBBBBBBBB")
			state := browserValue[string](b, `document.body.dataset.state || 'none: ' + document.body.innerText`)
			if state != "join-failed" {
				t.Fatalf("after a wrong code the page is %q, want the form with the closed-bot answer", state)
			}
			if got := browserValue[string](b, `document.querySelector('p.error').innerText`); !strings.Contains(got, "закрытый бот") {
				t.Errorf("wrong code answer = %q, want the closed-bot text", got)
			}

			paste("  " + h.url("/join/"+code) + "  ")
			lines := b.waitBot(1)
			if !strings.Contains(lines[0].Text, "согласие") || !strings.Contains(lines[0].Text, "Дарья") {
				t.Errorf("after the pasted link: %s, want the consent question", lines[0])
			}
			if p := b.consoleErrors(); len(p) > 0 {
				t.Errorf("console has errors:\n%s", strings.Join(p, "\n"))
			}
		})
	}
}
