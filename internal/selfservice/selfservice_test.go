package selfservice_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func TestService_Live(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("VacationBalanceByLink", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.fake.SetVacationBalance(number, onectest.VacationBalance{Days: 23.67,
				Kinds: []onectest.VacationKind{{Name: "Основной", Days: 20}, {Name: "Дополнительный", Days: 3.67}}})

			handled, msgs := f.say("Сколько у меня отпуска?")
			if !handled {
				t.Fatal("the question was not taken")
			}
			wantOne(t, "on asking", msgs, "Запрашиваю «Остаток отпуска»")
			if r := f.request(); r.Status != store.ServiceRequestSubmitted || r.Fulfilment != store.FulfilAuto {
				t.Errorf("request %+v, want submitted for the connector", r)
			}

			link := linkIn(t, wantOne(t, "after the check", f.run(), "Остаток отпуска.txt"))
			status, body := f.open(link)
			if status != http.StatusOK || !strings.Contains(body, "Остаток отпуска на 02.03.2026: 23,67 дня.") ||
				!strings.Contains(body, "Дополнительный: 3,67 дня") {
				t.Errorf("download: %d %q, want the balance", status, body)
			}
			r := f.request()
			if r.Status != store.ServiceRequestClosed || r.Outcome != "delivered" || len(r.Answers) != 0 || r.Error != "" {
				t.Errorf("request %+v, want closed as delivered", r)
			}
			recs, err := f.st.FindAudit(t.Context(), f.co.ID, store.AuditFilter{SubjectID: &f.emp.ID})
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, rec := range recs {
				if strings.HasPrefix(rec.Action, "service_request.") {
					actions = append(actions, rec.Action+":"+string(rec.After))
				}
			}
			if len(actions) != 2 || !strings.Contains(actions[1], `"outcome":"delivered"`) || strings.Contains(strings.Join(actions, ""), "23") {
				t.Errorf("audit %v, want submit and close, with no balance", actions)
			}
		})

		t.Run("VacationBalanceInChatWhereTheCompanyAllows", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.fake.SetVacationBalance(number, onectest.VacationBalance{Days: 14})
			f.mustOverride(&store.CatalogOverride{ServiceKey: selfservice.KeyVacationBalance,
				ChatChannels: []staffbot.ChannelKind{staffbot.ChannelTelegram}})

			f.say("остаток отпуска")
			wantOne(t, "after the check", f.run(), "Остаток отпуска на 02.03.2026: 14 дней.")
		})

		t.Run("PayslipAsksMonthAndAsksForCode", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.fake.SetPayslip(number, "2026-02", onectest.Payslip{Accrued: 85000, Withheld: 11050, Paid: 73950})

			menu := wantOne(t, "menu", f.press("v:m"), "Что нужно?")
			for _, title := range []string{"Остаток отпуска", "Расчётный листок", "Справка о доходах", "Справка для визы", "Мои заявки"} {
				if !hasButton(menu, title) {
					t.Errorf("menu lacks %q", title)
				}
			}
			ask := wantOne(t, "start", f.press(button(t, menu, "Расчётный листок")), "За какой месяц")
			if !hasButton(ask, "март 2026") || !hasButton(ask, "январь 2026") || !hasButton(ask, "Отменить") {
				t.Errorf("month question buttons %v", ask.Buttons)
			}
			wantOne(t, "answer", f.press(button(t, ask, "февраль 2026")), "Запрашиваю «Расчётный листок»")

			msg := wantOne(t, "after the check", f.run(), "Расчётный листок за 2026-02.pdf")
			if !strings.Contains(msg.Text, "одноразовый код") {
				t.Errorf("link message %q does not announce the code", msg.Text)
			}
			// Amounts of the payslip (73 950, 85 …) must not be in the
			// chat; the link's port and token may hold any digits.
			if text := urlRe.ReplaceAllString(msg.Text, ""); strings.Contains(text, "73") || strings.Contains(text, "85") {
				t.Errorf("link message %q shows an amount", msg.Text)
			}
			status, body := f.open(linkIn(t, msg))
			if status != http.StatusOK || !strings.HasPrefix(body, "%PDF") || !strings.Contains(body, "Paid 73950.00") {
				t.Errorf("download: %d %.80q, want the PDF", status, body)
			}
		})

		t.Run("PayslipMonthFromTheMessage", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.fake.SetPayslip(number, "2026-02", onectest.Payslip{Paid: 1000, NoFile: true,
				Lines: []onectest.PayslipLine{{Kind: "accrual", Name: "Оклад", Amount: 1000}}})

			_, msgs := f.say("расчётный листок за февраль")
			wantOne(t, "on asking", msgs, "Запрашиваю")
			link := linkIn(t, wantOne(t, "after the check", f.run(), "Расчётный листок за 2026-02.txt"))
			if status, body := f.open(link); status != http.StatusOK || !strings.Contains(body, "Оклад: 1000,00") {
				t.Errorf("download: %d %q, want the payslip as text", status, body)
			}
		})

		t.Run("PayslipNotReady", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.say("расчетка за март")
			wantOne(t, "after the check", f.run(), "за март 2026 ещё не сформирован")
			if r := f.request(); r.Outcome != "not_ready" {
				t.Errorf("outcome %q, want not_ready", r.Outcome)
			}
		})

		t.Run("DismissedInOneCIsRefused", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.fake.UpdateEmployee(number, func(e *onectest.Employee) { e.DismissedOn = "2026-03-01" })
			f.say("сколько у меня отпуска")
			wantOne(t, "after the check", f.run(), "не числитесь работающим сотрудником")
			if r := f.request(); r.Outcome != "refused_dismissed" {
				t.Errorf("outcome %q, want refused_dismissed", r.Outcome)
			}
			for _, req := range f.fake.Requests() {
				if strings.Contains(req.Entity, "vacation") {
					t.Errorf("the balance was asked for a dismissed employee: %s", req.RequestURI)
				}
			}
		})

		t.Run("UnknownInOneCIsRefused", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.fake.SetRecords("Catalog_Сотрудники", nil)
			f.say("остаток отпуска")
			wantOne(t, "after the check", f.run(), "Не нашёл вас в учётной системе")
			if r := f.request(); r.Outcome != "refused_not_found" {
				t.Errorf("outcome %q, want refused_not_found", r.Outcome)
			}
		})

		t.Run("MarkedForDeletionInOneCIsRefused", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.fake.UpdateEmployee(number, func(e *onectest.Employee) { e.DeletionMark = true })
			f.say("остаток отпуска")
			wantOne(t, "after the check", f.run(), "не числитесь работающим")
		})

		t.Run("UnavailableIsToldAndRecorded", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.fake.Fail(http.StatusInternalServerError, nil, 0)
			f.say("остаток отпуска")
			wantOne(t, "after the check", f.run(), "Учётная система сейчас не отвечает")
			r := f.request()
			if r.Outcome != "unavailable" || !strings.Contains(r.Error, "HTTP 500") {
				t.Errorf("request outcome %q error %q, want unavailable with the status for HR", r.Outcome, r.Error)
			}
		})

		t.Run("StaffbotRightsCheckedAgainBeforeTheCall", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.say("остаток отпуска")
			if err := f.svc.SetEnabled(t.Context(), f.co.ID, selfservice.KeyVacationBalance, false); err != nil {
				t.Fatal(err)
			}
			wantOne(t, "after the check", f.run(), "недоступна")
			if r := f.request(); r.Outcome != "refused_rights" {
				t.Errorf("outcome %q, want refused_rights", r.Outcome)
			}
			if n := len(f.fake.Requests()); n != 0 {
				t.Errorf("1C got %d requests for a refused request", n)
			}
		})
	})
}

func TestService_Dialog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("IncomeCertificateByLinkAsksTheYear", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			handled, msgs := f.say("нужна справка 2-НДФЛ")
			if !handled {
				t.Fatal("not taken")
			}
			ask := wantOne(t, "start", msgs, "За какой год")
			ask = wantOne(t, "year", f.press(button(t, ask, "2025")), "Как получить")
			wantOne(t, "delivery", f.press(button(t, ask, "ссылке")), "Запрашиваю")
			msg := wantOne(t, "after the check", f.run(), "Справка о доходах за 2025 год.pdf")
			status, body := f.open(linkIn(t, msg))
			if want := string(onectest.PDF("Income and tax certificate", "Employee "+number, "Year 2025")); status != http.StatusOK || body != want {
				t.Errorf("download: %d %.60q, want the PDF 1C made", status, body)
			}
		})

		t.Run("PaperCertificateGoesToHR", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			_, msgs := f.say("справка о доходах за 2025 год")
			ask := wantOne(t, "year from the message", msgs, "Как получить")
			ask = wantOne(t, "delivery", f.press(button(t, ask, "Бумажный")), "Сколько экземпляров")
			_, msgs = f.say("два")
			ask = wantOne(t, "a word for a number", msgs, "Нужно число от 1 до 10")
			_, msgs = f.say("2")
			wantOne(t, "copies", msgs, "передана в отдел кадров")

			r := f.request()
			if r.Fulfilment != store.FulfilHR || r.Status != store.ServiceRequestSubmitted ||
				r.Answers["year"] != "2025" || r.Answers["copies"] != "2" || r.Answers["delivery"] != "paper" {
				t.Fatalf("request %+v", r)
			}
			if msgs := f.run(); len(msgs) != 0 {
				t.Errorf("the check said %s", texts(msgs))
			}
			if r := f.request(); r.Status != store.ServiceRequestNew {
				t.Fatalf("after the check the request is %s, want new (HR's queue)", r.Status)
			}
			for _, req := range f.fake.Requests() {
				if strings.Contains(req.Entity, "certificates") {
					t.Error("1C was asked for a certificate HR makes on paper")
				}
			}

			if err := f.svc.Take(t.Context(), f.co.ID, r.ID); err != nil {
				t.Fatalf("Take: %v", err)
			}
			if err := f.svc.Ready(t.Context(), f.co.ID, r.ID, nil); err != nil {
				t.Fatalf("Ready: %v", err)
			}
			wantOne(t, "ready", f.newMessages(), "Заберите, пожалуйста, документ в отделе кадров")
			if err := f.svc.Close(t.Context(), f.co.ID, r.ID, false); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if r := f.request(); r.Status != store.ServiceRequestClosed || r.Outcome != "done" || len(r.Answers) != 0 {
				t.Errorf("closed request %+v", r)
			}
			if err := f.svc.Ready(t.Context(), f.co.ID, r.ID, nil); err == nil {
				t.Error("a closed request was made ready again")
			}
		})

		t.Run("HRSendsAFileByLink", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			_, msgs := f.say("копия трудовой книжки")
			ask := wantOne(t, "start", msgs, "Что нужно?")
			wantOne(t, "form", f.press(button(t, ask, "СТД-Р")), "передана в отдел кадров")
			f.run()
			r := f.request()
			err := f.svc.Ready(t.Context(), f.co.ID, r.ID, &securelink.FileSpec{Name: "СТД-Р.pdf",
				ContentType: "application/pdf", Data: []byte("%PDF-1.4 std-r")})
			if err != nil {
				t.Fatalf("Ready: %v", err)
			}
			msgs = f.newMessages()
			if len(msgs) != 2 || !strings.Contains(msgs[0].Text, "готова") {
				t.Fatalf("got %s, want the notice and the link", texts(msgs))
			}
			if status, body := f.open(linkIn(t, msgs[1])); status != http.StatusOK || body != "%PDF-1.4 std-r" {
				t.Errorf("download: %d %q", status, body)
			}
		})

		t.Run("HRRequestOfADismissedEmployeeIsRefused", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.fake.UpdateEmployee(number, func(e *onectest.Employee) { e.DismissedOn = "2026-02-27" })
			_, msgs := f.say("справка для визы")
			wantOne(t, "start", msgs, "В какую страну")
			f.say("Франция")
			f.say("10.05.2026–20.05.2026")
			ask := f.newMessages()
			_ = ask
			r := f.request()
			if r.Status != store.ServiceRequestDraft || r.Answers["country"] != "Франция" {
				t.Fatalf("draft %+v", r)
			}
			_, msgs = f.say("английский")
			wantOne(t, "language", msgs, "Как получить")
			_, msgs = f.say("бумажный оригинал в отделе кадров")
			wantOne(t, "delivery", msgs, "передана в отдел кадров")
			wantOne(t, "after the check", f.run(), "не числитесь работающим")
			if r := f.request(); r.Outcome != "refused_dismissed" || len(r.Answers) != 0 {
				t.Errorf("request %+v, want refused with the answers wiped", r)
			}
		})

		t.Run("WrongAnswersAreAskedAgainThenPassedOn", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.press("v:s:" + selfservice.KeyPayslip)
			handled, msgs := f.say("пятнадцатое")
			if !handled {
				t.Fatal("the first wrong answer was passed on")
			}
			wantOne(t, "first wrong answer", msgs, "Не понял месяц")
			handled, msgs = f.say("тринадцатое")
			if handled || len(msgs) != 0 {
				t.Fatalf("the second wrong answer: handled %v, %s; want it passed on in silence", handled, texts(msgs))
			}
			if r := f.request(); r.Status != store.ServiceRequestClosed || r.Outcome != "abandoned" {
				t.Errorf("draft %+v, want abandoned", r)
			}
		})

		t.Run("AQuestionMidwayDropsTheDraftAndIsPassedOn", func(t *testing.T) {
			t.Parallel()
			for _, text := range []string{"когда зарплата?", "где взять пропуск в офис", "Где столовая?"} {
				f := newFixture(t, open(t))
				wantOne(t, "start", f.press("v:s:"+selfservice.KeyPayslip), "За какой месяц")
				handled, msgs := f.say(text)
				if handled {
					t.Fatalf("%q was taken as an answer, want it passed on to the FAQ", text)
				}
				wantOne(t, text, msgs, "не похоже на ответ")
				if r := f.request(); r.Status != store.ServiceRequestClosed || r.Outcome != "abandoned" {
					t.Errorf("%q: draft %+v, want abandoned", text, r)
				}
			}
		})

		t.Run("WrongKeyboardLayoutStartsTheService", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			handled, msgs := f.say("hfcxtnysq kbcnjr pf vfhn")
			if !handled {
				t.Fatal("not taken")
			}
			if len(msgs) == 0 || f.request().ServiceKey != selfservice.KeyPayslip {
				t.Fatalf("got %s, want the payslip started", texts(msgs))
			}
			if r := f.request(); r.Status == store.ServiceRequestDraft {
				t.Errorf("the month in the message was not taken: %+v", r)
			}
		})

		t.Run("TypedCancelCancels", func(t *testing.T) {
			t.Parallel()
			for _, text := range []string{"Отменить", "отмена", "отменить", "cancel", "/cancel", "Отмена!"} {
				f := newFixture(t, open(t))
				wantOne(t, "start", f.press("v:s:"+selfservice.KeyPayslip), "За какой месяц")
				handled, msgs := f.say(text)
				if !handled {
					t.Fatalf("%q was passed on", text)
				}
				wantOne(t, text, msgs, "Заявка отменена")
				if r := f.request(); r.Status != store.ServiceRequestClosed || r.Outcome != "cancelled" {
					t.Errorf("%q: draft %+v, want cancelled", text, r)
				}
			}
			// Without a draft, /cancel is not the catalogue's.
			f := newFixture(t, open(t))
			if handled, msgs := f.say("/cancel"); handled || len(msgs) != 0 {
				t.Errorf("/cancel without a draft: handled %v, %s", handled, texts(msgs))
			}
		})

		t.Run("ValidTypedAnswersStillWork", func(t *testing.T) {
			t.Parallel()
			for _, text := range []string{"январь", "за январь 2026", "01.2026"} {
				f := newFixture(t, open(t))
				f.press("v:s:" + selfservice.KeyPayslip)
				handled, msgs := f.say(text)
				if !handled {
					t.Fatalf("%q was passed on", text)
				}
				for _, m := range msgs {
					if strings.Contains(m.Text, "Не понял") || strings.Contains(m.Text, "не похоже") {
						t.Errorf("%q: %s", text, m.Text)
					}
				}
				if r := f.request(); r.Status != store.ServiceRequestSubmitted || r.Answers["month"] == "" {
					t.Errorf("%q: request %+v, want submitted with the month", text, r)
				}
			}
		})

		t.Run("AnotherServiceNamedMidwayStartsIt", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.press("v:s:" + selfservice.KeyPayslip)
			_, msgs := f.say("а нет, нужна справка 2-НДФЛ")
			wantOne(t, "switch", msgs, "За какой год")
			if r := f.request(); r.ServiceKey != selfservice.KeyIncomeCert {
				t.Errorf("request for %s, want the income certificate", r.ServiceKey)
			}
		})

		t.Run("CancelAndStaleButtons", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			ask := f.press("v:s:" + selfservice.KeyEmploymentCert)[0]
			wantOne(t, "cancel", f.press(button(t, ask, "Отменить")), "Заявка отменена")
			wantOne(t, "old answer", f.press(button(t, ask, "По месту требования")), "неактуален")
			wantOne(t, "old cancel", f.press(button(t, ask, "Отменить")), "неактуален")
			wantOne(t, "garbage", f.press("v:a:x"), "неактуален")
			if r := f.request(); r.Outcome != "cancelled" {
				t.Errorf("outcome %q, want cancelled", r.Outcome)
			}
		})

		t.Run("DraftExpires", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.press("v:s:" + selfservice.KeyPayslip)
			f.clock.Advance(selfservice.DraftTTL + time.Minute)
			if handled, _ := f.say("март"); handled {
				t.Error("an answer after the draft expired was taken")
			}
		})

		t.Run("DisabledAndDepartmentLimitedServices", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			if err := f.svc.SetEnabled(t.Context(), f.co.ID, selfservice.KeyPayslip, false); err != nil {
				t.Fatal(err)
			}
			f.mustOverride(&store.CatalogOverride{ServiceKey: selfservice.KeyVisaCert, Departments: []string{"Склад"}})

			menu := wantOne(t, "menu", f.press("v:m"), "Что нужно?")
			if hasButton(menu, "Расчётный листок") || hasButton(menu, "Справка для визы") {
				t.Errorf("menu offers a disabled or closed service: %v", menu.Buttons)
			}
			if handled, _ := f.say("расчётный листок за февраль"); handled {
				t.Error("a disabled service was taken from a message")
			}
			wantOne(t, "closed service", f.press("v:s:"+selfservice.KeyVisaCert), "вам недоступна")
			wantOne(t, "disabled service", f.press("v:s:"+selfservice.KeyPayslip), "недоступна")

			cat, _, err := f.svc.FindCatalog(t.Context(), f.co.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cat.Find(selfservice.KeyPayslip).Enabled {
				t.Error("FindCatalog shows the payslip enabled")
			}
		})

		t.Run("WithoutConnectorHRTakesWhatItCan", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			f.noConnector = true
			menu := wantOne(t, "menu", f.press("v:m"), "Что нужно?")
			if hasButton(menu, "Остаток отпуска") {
				t.Error("the balance is offered without an accounting system")
			}
			if handled, _ := f.say("сколько у меня отпуска"); handled {
				t.Error("the balance was taken without an accounting system")
			}
			_, msgs := f.say("расчётный листок за февраль")
			wantOne(t, "payslip", msgs, "передана в отдел кадров")
			if r := f.request(); r.Status != store.ServiceRequestNew || r.Fulfilment != store.FulfilHR {
				t.Errorf("request %+v, want in HR's queue at once", r)
			}
		})

		t.Run("PersonalDataChangeWarnsAgainstSendingData", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			_, msgs := f.say("у меня новый паспорт")
			ask := wantOne(t, "start", msgs, "Что изменилось")
			msgs = f.press(button(t, ask, "Паспорт"))
			if len(msgs) != 2 || !strings.Contains(msgs[1].Text, "Не присылайте в чат документы") {
				t.Errorf("got %s, want the request and the warning", texts(msgs))
			}
		})

		t.Run("MyRequests", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			wantOne(t, "none", f.press("v:l"), "нет заявок")
			f.say("остаток отпуска")
			f.run()
			wantOne(t, "list", f.press("v:l"), "Остаток отпуска (02.03.2026) — выполнена")
		})

		t.Run("EnglishAndCommands", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			handled, msgs := f.handle(channel.Incoming{Kind: channel.KindText, Text: "/services@acme_hr_bot", LanguageCode: "en"})
			if !handled {
				t.Fatal("/services not taken")
			}
			wantOne(t, "menu", msgs, "HR and payroll services")
			if handled, _ := f.say("/help"); handled {
				t.Error("another command was taken")
			}
			if handled, _ := f.handle(channel.Incoming{Kind: channel.KindButton, Data: "faq:1"}); handled {
				t.Error("another button was taken")
			}
		})
	})
}

// TestService_RunWakesOnSubmission: Run, polling only hourly, fulfils a
// request as soon as the transaction that submitted it has committed and
// Wake is called, as the app does after every commit that queued a message.
func TestService_RunWakesOnSubmission(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		f := newFixture(t, open(t))
		f.svc.PollInterval = time.Hour
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { f.svc.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })

		time.Sleep(50 * time.Millisecond) // past Run's first look
		f.say("остаток отпуска")
		f.svc.Wake()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if f.request().Status == store.ServiceRequestClosed {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("request still %s after Wake", f.request().Status)
	})
}

var urlRe = regexp.MustCompile(`https?://\S+`)
