package selfservice

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/locale"
)

// texts are what employees see from the catalogue, Russian first.
var texts = map[string]Text{
	"menu.button": {"Сервисы", "Services"},
	"menu.title": {"Сервисы отдела кадров и бухгалтерии. Что нужно? Можно и написать своими словами, например «сколько у меня отпуска».",
		"HR and payroll services. What do you need? You can also just type it, for example “vacation balance”."},
	"menu.empty":    {"Сейчас заказать ничего нельзя: сервисы для вас не настроены. Обратитесь в отдел кадров.", "There is nothing to order yet: no services are set up for you. Please contact HR."},
	"menu.requests": {"Мои заявки", "My requests"},

	"requests.none":  {"У вас пока нет заявок.", "You have no requests yet."},
	"requests.title": {"Ваши последние заявки:", "Your latest requests:"},

	"status.submitted":   {"проверяется", "being checked"},
	"status.new":         {"передана в отдел кадров", "with HR"},
	"status.in_progress": {"в работе", "in progress"},
	"status.ready":       {"готова", "ready"},
	"status.closed":      {"закрыта", "closed"},

	"not.allowed": {"Эта услуга вам недоступна. Если это ошибка, напишите в отдел кадров.", "This service is not available to you. If this is a mistake, please contact HR."},
	"cancel":      {"Отменить", "Cancel"},
	"cancelled":   {"Заявка отменена.", "Request cancelled."},
	"dropped":     {"Заявка «%s» отменена: это не похоже на ответ на мой вопрос.", "The “%s” request is cancelled: that does not look like an answer to my question."},
	"stale":       {"Этот вопрос уже неактуален. Откройте /services, чтобы начать заново.", "This question is no longer open. Send /services to start again."},

	"invalid.month":  {"Не понял месяц. Выберите кнопкой или напишите, например, «март» или «03.2026» — не позже текущего месяца.", "I did not get the month. Choose a button or type, for example, “March” or “03.2026”, not later than this month."},
	"invalid.year":   {"Не понял год. Выберите кнопкой или напишите, например, «2025».", "I did not get the year. Choose a button or type, for example, “2025”."},
	"invalid.number": {"Нужно число от %d до %d.", "Please type a number from %d to %d."},
	"invalid.date":   {"Не понял дату. Напишите её так: 15.06.2026 — не раньше сегодняшнего дня.", "I did not get the date. Type it like 15.06.2026, not earlier than today."},
	"invalid.text":   {"Напишите ответ одним сообщением, до 200 символов.", "Please answer in one message of up to 200 characters."},
	"invalid.choice": {"Выберите один из вариантов кнопкой.", "Please choose one of the buttons."},

	"submitted.auto": {"Запрашиваю «%s» в учётной системе…", "Requesting “%s” from the accounting system…"},
	"submitted.hr": {"Заявка №%d «%s» передана в отдел кадров. По закону документы выдают не позже чем через %d рабочих дня — до %s включительно; я напишу, когда всё будет готово.",
		"Request #%d “%s” has been passed to HR. By law, documents are issued within %d working days, by %s; I will write when it is ready."},
	"submitted.hr_nodue": {"Заявка №%d «%s» передана в отдел кадров. Я напишу, когда её рассмотрят.",
		"Request #%d “%s” has been passed to HR. I will write when it has been dealt with."},
	"personal.notice": {"Не присылайте в чат документы и новые данные: это небезопасно. Отдел кадров свяжется с вами и пришлёт защищённую ссылку для загрузки, или принесите документы лично.",
		"Do not send documents or the new data in the chat: it is not safe. HR will contact you and send a secure upload link, or bring the documents in person."},
	"unavailable.service": {"Сейчас эта услуга недоступна. Обратитесь, пожалуйста, в отдел кадров.", "This service is not available right now. Please contact HR."},

	"refused.dismissed": {"Не могу выполнить запрос: по данным учётной системы вы сейчас не числитесь работающим сотрудником. Если это ошибка, обратитесь в отдел кадров.",
		"I cannot do this: the accounting system does not list you as a current employee. If this is a mistake, please contact HR."},
	"refused.not_found": {"Не нашёл вас в учётной системе по табельному номеру. Обратитесь, пожалуйста, в отдел кадров — там проверят данные.",
		"I could not find you in the accounting system by your personnel number. Please contact HR to check your records."},
	"refused.rights": {"Эта услуга вам сейчас недоступна. Если это ошибка, напишите в отдел кадров.", "This service is not available to you now. If this is a mistake, please contact HR."},
	"unavailable": {"Учётная система сейчас не отвечает. Попробуйте, пожалуйста, позже. Сбой записан — отдел кадров его увидит.",
		"The accounting system is not answering right now. Please try again later. The failure is recorded for HR."},
	"not_ready.payslip": {"Расчётный листок за %s ещё не сформирован. Попробуйте после расчёта зарплаты.", "The payslip for %s is not ready yet. Please try again after payroll is calculated."},
	"failed":            {"Не получилось выполнить запрос. Попробуйте позже или обратитесь в отдел кадров.", "The request could not be completed. Please try again later or contact HR."},

	"ready.paper":    {"Заявка №%d «%s» готова. Заберите, пожалуйста, документ в отделе кадров.", "Request #%d “%s” is ready. Please collect the document at the HR office."},
	"ready.file":     {"Заявка №%d «%s» готова.", "Request #%d “%s” is ready."},
	"ready.rejected": {"Заявка №%d «%s» отклонена. Подробности — в отделе кадров.", "Request #%d “%s” was declined. Please contact HR for details."},

	"hr.due_today": {"⏰ Сегодня истекает срок по заявке №%d «%s»: выдать до %s (ст. 62 ТК РФ — 3 рабочих дня). Заявка: %s",
		"⏰ Request #%d “%s” is due today: issue it by %s (Labour Code art. 62: 3 working days). Open it: %s"},
	"hr.overdue": {"⚠️ Истёк срок по заявке №%d «%s»: нужно было выдать до %s (ст. 62 ТК РФ). Заявка: %s",
		"⚠️ Request #%d “%s” is overdue: it was due by %s (Labour Code art. 62). Open it: %s"},
	"hr.nobody_reached": {"Напоминание некому отправить: нет пользователей кабинета, связанных с сотрудником в боте.",
		"Nobody to remind: no cabinet user is linked to an employee in the bot."},
	"ready.rejected_reason": {"Заявка №%d «%s» отклонена. Причина: %s", "Request #%d “%s” was declined. Reason: %s"},

	"balance.title": {"Остаток отпуска на %s: %s.", "Vacation balance on %s: %s."},
	"balance.file":  {"Остаток отпуска.txt", "Vacation balance.txt"},
	"payslip.title": {"Расчётный листок за %s", "Payslip for %s"},
	"payslip.file":  {"Расчётный листок за %s.txt", "Payslip for %s.txt"},
	"payslip.pdf":   {"Расчётный листок за %s.pdf", "Payslip for %s.pdf"},
	"payslip.totals": {"Начислено: %s ₽\nУдержано: %s ₽\nВыплачено: %s ₽",
		"Accrued: %s RUB\nWithheld: %s RUB\nPaid: %s RUB"},
	"income.file":     {"Справка о доходах за %d год.pdf", "Income certificate %d.pdf"},
	"employment.file": {"Справка с места работы.pdf", "Employment certificate.pdf"},
}

// tr returns the text for key in lang, formatted with args.
func tr(lang locale.Lang, key string, args ...any) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	s := t.In(lang)
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// formatDays writes a number of days the Russian way, "23,67 дня",
// "28 дней", or the English "23.67 days".
func formatDays(lang locale.Lang, d float64) string {
	d = math.Round(d*100) / 100
	num := strconv.FormatFloat(d, 'f', -1, 64)
	if lang == locale.EN {
		if d == 1 {
			return "1 day"
		}
		return num + " days"
	}
	num = strings.Replace(num, ".", ",", 1)
	if d != math.Trunc(d) {
		return num + " дня"
	}
	n := int64(d)
	switch n10, n100 := n%10, n%100; {
	case n10 == 1 && n100 != 11:
		return num + " день"
	case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
		return num + " дня"
	}
	return num + " дней"
}

// balanceText is the vacation balance as the employee reads it.
func balanceText(lang locale.Lang, b hris.VacationBalance) string {
	var s strings.Builder
	s.WriteString(tr(lang, "balance.title", b.On.Russian(), formatDays(lang, b.Days)))
	for _, k := range b.Kinds {
		s.WriteString("\n")
		s.WriteString(k.Name)
		s.WriteString(": ")
		s.WriteString(formatDays(lang, k.Days))
	}
	return s.String()
}

// payslipText is a payslip without a printed form, as plain text.
func payslipText(lang locale.Lang, p *hris.Payslip) string {
	var s strings.Builder
	s.WriteString(tr(lang, "payslip.title", monthLabel(lang, p.Month)))
	s.WriteString("\n\n")
	for _, l := range p.Lines {
		s.WriteString(l.Name)
		s.WriteString(": ")
		s.WriteString(l.Amount.String())
		s.WriteString("\n")
	}
	if len(p.Lines) > 0 {
		s.WriteString("\n")
	}
	s.WriteString(tr(lang, "payslip.totals", p.Accrued, p.Withheld, p.Paid))
	s.WriteString("\n")
	return s.String()
}
