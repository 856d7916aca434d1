package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestTelegramOnboardingWalk drives a whole staffbot through the fake
// Telegram Bot API: a stranger is refused, a newcomer registers with a
// code, gives consent and gets the pre-boarding; the mentor gets a task; a
// step days ahead fires when the clock moves; a duplicate update is
// answered once; a restart loses and repeats nothing.
func TestTelegramOnboardingWalk(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			// Monday 2 March 2026, noon in Moscow; the newcomer starts on
			// Thursday the 5th.
			start := time.Date(2026, 3, 2, 12, 0, 0, 0, moscow)
			h := newHarness(t, op, start)

			manager := h.mustEmployee("00010", "Лебедев Тимур Николаевич", staffbot.Date{Year: 2020, Month: 1, Day: 11}, nil, nil)
			mentor := h.mustEmployee("00020", "Новикова Ольга Дмитриевна", staffbot.Date{Year: 2022, Month: 12, Day: 23}, manager, nil)
			newcomer := h.mustEmployee("00030", "Кузнецова Дарья Андреевна", staffbot.Date{Year: 2026, Month: 3, Day: 5}, manager, mentor)
			mentorCode := h.mustInvite(mentor)
			code := h.mustInvite(newcomer)

			const (
				strangerChat = 555
				mentorChat   = 201
				newChat      = 101
			)

			// A stranger, with no code and with a wrong one, gets the same
			// short refusal and nothing about the company.
			h.push(h.tg.TextUpdate(strangerChat, "привет"))
			h.push(h.tg.TextUpdate(strangerChat, "/start AAAAAAAAAAAAAAAAAAAAAA"))
			for _, m := range h.settle(strangerChat, 2) {
				if !strings.Contains(m.Text, "закрытый бот") {
					t.Errorf("stranger got %q, want the closed-bot refusal", m.Text)
				}
				for _, secret := range []string{"Акме", "Кузнецова", "Дарья", "Новикова"} {
					if strings.Contains(m.Text, secret) {
						t.Errorf("stranger learned %q from %q", secret, m.Text)
					}
				}
			}

			// The mentor registers and consents.
			h.push(h.tg.TextUpdate(mentorChat, "/start "+mentorCode))
			ask := h.waitSent(mentorChat, 1)[0]
			h.push(h.tg.CallbackUpdate(mentorChat, buttonData(t, ask, "согласи")))
			h.waitSent(mentorChat, 2)
			mentorBase := len(h.drain(mentorChat))

			// The newcomer registers: consent comes first, and nothing else
			// happens until it is given.
			h.push(h.tg.TextUpdate(newChat, "/start "+code))
			msgs := h.settle(newChat, 1)
			if !strings.Contains(msgs[0].Text, "согласие") || !strings.Contains(msgs[0].Text, "Дарья") {
				t.Fatalf("first message = %q, want the consent question by first name", msgs[0].Text)
			}
			h.push(h.tg.TextUpdate(newChat, "а что дальше?"))
			msgs = h.settle(newChat, 2)
			if !strings.Contains(msgs[1].Text, "согласие") {
				t.Errorf("before consent got %q, want the consent question again", msgs[1].Text)
			}

			h.push(h.tg.CallbackUpdate(newChat, buttonData(t, msgs[0], "согласи")))
			h.waitSent(newChat, 5)
			msgs = h.drain(newChat)
			all := joinTexts(msgs)
			for _, want := range []string{"Спасибо", "паспорт", "05.03.2026"} {
				if !strings.Contains(all, want) {
					t.Errorf("pre-boarding lacks %q:\n%s", want, dump(msgs))
				}
			}
			consents, err := h.store().FindConsents(t.Context(), h.co.ID, newcomer.ID)
			if err != nil || len(consents) != 1 || consents[0].TextVersion != staffbot.ConsentTextVersion {
				t.Errorf("consents = %+v, %v; want one of version %s", consents, err, staffbot.ConsentTextVersion)
			}

			// The pre-boarding ends with a question; the answer moves on.
			question := lastWithButtons(t, msgs)
			before := len(msgs)
			h.push(h.tg.CallbackUpdate(newChat, question.ReplyMarkup.InlineKeyboard[0][0].CallbackData))
			h.waitSent(newChat, before+1)

			// The same update delivered twice is answered once.
			help := h.tg.TextUpdate(newChat, "/help")
			before = len(h.drain(newChat))
			h.push(help)
			h.push(help)
			got := h.settle(newChat, before+1)
			if !strings.Contains(got[before].Text, "/menu") {
				t.Errorf("help = %q", got[before].Text)
			}

			// Day 1 at nine: the newcomer is welcomed and the mentor gets
			// a task with a button.
			newBefore := len(h.tg.SentTo(newChat))
			h.advanceTo(time.Date(2026, 3, 5, 9, 0, 0, 0, moscow))
			h.waitSent(newChat, newBefore+1)
			mentorMsgs := h.waitSent(mentorChat, mentorBase+1)
			task := findText(t, mentorMsgs[mentorBase:], "Дарья")
			if task.ReplyMarkup == nil {
				t.Fatalf("mentor's task has no button: %q", task.Text)
			}
			open, err := h.store().FindTasks(t.Context(), h.co.ID, store.TaskFilter{AssigneeID: mentor.ID, Status: "open"})
			if err != nil || len(open) == 0 {
				t.Fatalf("mentor's open tasks = %d, %v", len(open), err)
			}
			h.push(h.tg.CallbackUpdate(mentorChat, task.ReplyMarkup.InlineKeyboard[0][0].CallbackData))
			waitFor(t, func() bool {
				tk, err := h.store().FindTask(t.Context(), h.co.ID, open[0].ID)
				return err == nil && tk.Status == "done"
			}, "the mentor's task to be done")
			if n := len(h.tg.AnsweredCallbacks()); n == 0 {
				t.Error("button presses were never acknowledged")
			}

			// A restart in the middle of the scenario: nothing is lost and
			// nothing is sent again.
			newCount := len(h.drain(newChat))
			mentorCount := len(h.drain(mentorChat))
			h.restart()
			h.advance(time.Minute)
			h.settle(newChat, newCount)
			h.settle(mentorChat, mentorCount)

			// Week 1 comes on day 5; running the scheduler twice sends it once.
			h.advanceTo(time.Date(2026, 3, 11, 16, 0, 0, 0, moscow))
			h.waitSent(newChat, newCount+1)
			if err := h.app.RunDue(t.Context()); err != nil {
				t.Fatal(err)
			}
			week1 := h.drain(newChat)
			if len(week1) == newCount {
				t.Fatal("week 1 check-in never came")
			}
			if len(h.drain(mentorChat)) <= mentorCount {
				t.Error("mentor got no week-1 task")
			}
		})
	}
}

func joinTexts(msgs []telegramtest.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Text)
		b.WriteString("\n")
	}
	return b.String()
}

func lastWithButtons(t *testing.T, msgs []telegramtest.Message) telegramtest.Message {
	t.Helper()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].ReplyMarkup != nil && len(msgs[i].ReplyMarkup.InlineKeyboard) > 0 {
			return msgs[i]
		}
	}
	t.Fatalf("no message with buttons:\n%s", dump(msgs))
	return telegramtest.Message{}
}

func findText(t *testing.T, msgs []telegramtest.Message, part string) telegramtest.Message {
	t.Helper()
	for _, m := range msgs {
		if strings.Contains(m.Text, part) {
			return m
		}
	}
	t.Fatalf("no message mentions %q:\n%s", part, dump(msgs))
	return telegramtest.Message{}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
