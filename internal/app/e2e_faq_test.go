package app_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
	"github.com/staffbot/staffbot/internal/faq"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestTelegramFAQ asks the bot questions through the fake Telegram Bot
// API: one typed in the wrong keyboard layout gets the right article, a
// "did not help" is recorded for HR, and a question the knowledge base
// cannot answer gets the honest reply and reaches HR on request.
func TestTelegramFAQ(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			start := time.Date(2026, 3, 2, 12, 0, 0, 0, moscow)
			h := newHarness(t, op, start)
			mustImportKB(t, h.store(), h.co.ID, start)

			emp := h.mustEmployee("00100", "Соколова Анна Игоревна", staffbot.Date{Year: 2025, Month: 6, Day: 2}, nil, nil)
			const chat = 301
			h.mustRegister(chat, emp)

			// «где взять справку 2-ндфл для ипотеки», typed on the English
			// layout: a question about the certificate, not only its name
			// (which would start the service, as it does in Russian).
			const question = "ult dpznm cghfdre 2-ylak lkz bgjntrb"
			before := len(h.drain(chat))
			h.push(h.tg.TextUpdate(chat, question))
			answer := h.waitSent(chat, before+1)[before]
			if !strings.Contains(answer.Text, "2-НДФЛ") {
				t.Fatalf("wrong-layout question got %q, want the income certificate article", answer.Text)
			}
			notHelped := buttonData(t, answer, "Не помогло")
			buttonData(t, answer, "Помогло")

			// "Did not help" is recorded, grouped for HR with the
			// employee's own words.
			h.push(h.tg.CallbackUpdate(chat, notHelped))
			sorry := h.waitSent(chat, before+2)[before+1]
			if !strings.Contains(sorry.Text, "Жаль") {
				t.Errorf("after 'did not help' got %q", sorry.Text)
			}
			disliked, err := h.store().TopFAQGaps(t.Context(), h.co.ID, store.GapDisliked, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(disliked) != 1 || disliked[0].ArticleSlug != "cert-income" || disliked[0].Sample != question {
				t.Errorf("disliked gaps = %+v, want the question under cert-income", disliked)
			}

			// A question the base has no answer to.
			const noAnswer = "Можно ли привести собаку в офис?"
			before = len(h.drain(chat))
			h.push(h.tg.TextUpdate(chat, noAnswer))
			honest := h.waitSent(chat, before+1)[before]
			if !strings.Contains(honest.Text, "пока нет") {
				t.Fatalf("unanswerable question got %q, want the honest reply", honest.Text)
			}
			unanswered, err := h.store().TopFAQGaps(t.Context(), h.co.ID, store.GapUnanswered, 10)
			if err != nil || len(unanswered) != 1 || unanswered[0].Sample != noAnswer {
				t.Errorf("unanswered gaps = %+v, %v; want the question", unanswered, err)
			}

			// Passing it to HR opens a ticket at once, and the employee
			// gets one message with its number.
			h.push(h.tg.CallbackUpdate(chat, buttonData(t, honest, "HR")))
			sent := h.waitSent(chat, before+2)[before+1]
			if !strings.Contains(sent.Text, "обращение №") {
				t.Errorf("after asking for HR got %q, want the ticket's number", sent.Text)
			}
			tickets, err := h.store().FindTickets(t.Context(), h.co.ID, store.TicketFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(tickets) != 1 || tickets[0].Source != "faq" || tickets[0].EmployeeID != emp.ID {
				t.Errorf("tickets = %+v, want one from the FAQ for the employee", tickets)
			}
			// Nothing is left waiting to be turned into a second message.
			if reqs, err := h.store().FindHRRequests(t.Context(), h.co.ID, store.HRRequestOpen); err != nil || len(reqs) != 0 {
				t.Errorf("open HR requests = %+v, %v; want none", reqs, err)
			}

			// Small talk gets a short reply, not an article.
			before = len(h.drain(chat))
			h.push(h.tg.TextUpdate(chat, "ghbdtn"))
			hello := h.waitSent(chat, before+1)[before]
			if !strings.Contains(hello.Text, "HR-бот") || hello.ReplyMarkup != nil {
				t.Errorf("greeting typed in the wrong layout got %q", hello.Text)
			}
		})
	}
}

// mustImportKB loads the sample knowledge base into the company.
func mustImportKB(t *testing.T, st *store.Store, companyID staffbot.CompanyID, now time.Time) {
	t.Helper()
	f, err := os.Open("../faq/testdata/kb.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := faq.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var arts []*store.KBArticle
	for _, a := range file {
		arts = append(arts, &store.KBArticle{Slug: a.ID, Title: a.Title, Questions: a.Questions, Answer: a.Answer,
			Tags: a.Tags, Published: true})
	}
	if _, err := st.ImportKB(t.Context(), companyID, arts, "test", now); err != nil {
		t.Fatalf("ImportKB: %v", err)
	}
}

// mustRegister registers the employee in chat, gives consent and answers
// the onboarding's first question, so that what follows is free text.
func (h *harness) mustRegister(chat int64, emp *staffbot.Employee) {
	h.t.Helper()
	h.push(h.tg.TextUpdate(chat, "/start "+h.mustInvite(emp)))
	ask := h.waitSent(chat, 1)[0]
	h.push(h.tg.CallbackUpdate(chat, buttonData(h.t, ask, "согласи")))
	h.waitSent(chat, 2)
	msgs := h.drain(chat)
	if q := lastButtons(msgs); q != nil {
		h.push(h.tg.CallbackUpdate(chat, q.ReplyMarkup.InlineKeyboard[0][0].CallbackData))
		h.waitSent(chat, len(msgs)+1)
	}
}

func lastButtons(msgs []telegramtest.Message) *telegramtest.Message {
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard) == 0 {
			continue
		}
		if data := m.ReplyMarkup.InlineKeyboard[0][0].CallbackData; data != "" && !strings.HasPrefix(data, "c:") {
			return &msgs[i]
		}
	}
	return nil
}

// TestTelegramFAQ_RulesBeforeServices: a message that names a service but
// asks about the rules gets the article, with a button that starts the
// service; a message that only names the service starts it at once.
func TestTelegramFAQ_RulesBeforeServices(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			start := time.Date(2026, 3, 2, 12, 0, 0, 0, moscow)
			h := newHarness(t, op, start)
			mustImportKB(t, h.store(), h.co.ID, start)

			fake := onectest.NewServer(t)
			fake.AddEmployee(onectest.Employee{Code: "00110", Name: "Егорова Вера Павловна", HiredOn: "2024-01-10",
				Position: "Бухгалтер", Department: "Бухгалтерия"})
			fake.SetVacationBalance("00110", onectest.VacationBalance{Days: 12})
			h.mustConnect1C(fake)
			emp := h.mustEmployee("00110", "Егорова Вера Павловна", staffbot.Date{Year: 2024, Month: 1, Day: 10}, nil, nil)
			const chat = 311
			h.mustRegister(chat, emp)

			n := len(h.drain(chat))
			h.push(h.tg.TextUpdate(chat, "Сколько дней отпуска положено в год?"))
			rules := h.waitSent(chat, n+1)[n]
			n++
			if !strings.Contains(rules.Text, "Ежегодный оплачиваемый отпуск") {
				t.Fatalf("question about the rules got %q, want the article on annual leave", rules.Text)
			}
			buttonData(t, rules, "Помогло")
			h.push(h.tg.CallbackUpdate(chat, buttonData(t, rules, "Остаток отпуска")))
			if got := h.waitSent(chat, n+1)[n]; !strings.Contains(got.Text, "Запрашиваю") {
				t.Errorf("the article's service button got %q, want the balance being asked from 1C", got.Text)
			}
			n = len(h.drain(chat))

			h.push(h.tg.TextUpdate(chat, "сколько у меня отпуска"))
			if got := h.waitSent(chat, n+1)[n]; !strings.Contains(got.Text, "Запрашиваю") {
				t.Errorf("a request for the balance got %q, want the service", got.Text)
			}
		})
	}
}
