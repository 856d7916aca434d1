// Package locale holds the texts employees and HR people see, in Russian
// (the default) and English.
package locale

import (
	"fmt"
	"strings"
)

// Lang is a language code: "ru" or "en".
type Lang string

// The languages staffbot speaks.
const (
	RU Lang = "ru"
	EN Lang = "en"
)

// FromCode picks a language from a messenger's language code: English for
// "en…", Russian for everything else.
func FromCode(code string) Lang {
	if strings.HasPrefix(strings.ToLower(code), "en") {
		return EN
	}
	return RU
}

var catalogue = map[string][2]string{
	"stranger": {
		"Здравствуйте! Это закрытый бот компании для сотрудников. Чтобы подключиться, попросите персональное приглашение у HR-службы вашей компании.",
		"Hello! This is a private company bot for employees. To join, ask your company's HR team for a personal invitation.",
	},
	"throttled": {
		"Слишком много попыток с неверным кодом. Попробуйте позже или попросите новое приглашение у HR.",
		"Too many attempts with a wrong code. Try again later or ask HR for a new invitation.",
	},
	"consent.ask": {
		"Здравствуйте, %s! Перед началом работы с ботом нужно ваше согласие на обработку персональных данных: ФИО, должности, подразделения, офиса, телефона, e-mail, дат приёма и увольнения — для адаптации и HR-сервисов компании «%s».\n\nПолный текст согласия (версия %s): %s\n\nБез согласия бот не сможет продолжить работу. Согласие можно отозвать в любой момент командой /revoke_consent или написав в HR.",
		"Hello, %s! Before we start, we need your consent to the processing of your personal data: full name, position, department, office, phone, e-mail, hire and dismissal dates — for onboarding and HR services of «%s».\n\nFull consent text (version %s): %s\n\nWithout consent the bot cannot continue. You can withdraw consent at any time with /revoke_consent or by writing to HR.",
	},
	"consent.yes":      {"Даю согласие", "I consent"},
	"consent.no":       {"Не согласен", "I do not consent"},
	"consent.declined": {"Понимаю. Без согласия бот не может продолжить. Если передумаете, отправьте /start.", "Understood. The bot cannot continue without consent. If you change your mind, send /start."},
	"consent.thanks":   {"Спасибо! Согласие сохранено.", "Thank you! Your consent is recorded."},
	"help": {
		"Я — HR-бот компании. Я веду вас по программе адаптации: напомню, что взять в первый день, познакомлю с наставником, спрошу, как идут дела.\n\nКоманды:\n/menu — меню\n/help — эта подсказка\n\nНа мои вопросы отвечайте кнопками или сообщением.",
		"I am the company's HR bot. I guide you through onboarding: what to bring on day one, who your mentor is, and how things are going.\n\nCommands:\n/menu — menu\n/help — this help\n\nAnswer my questions with the buttons or a message.",
	},
	"menu":         {"Меню", "Menu"},
	"menu.help":    {"Помощь", "Help"},
	"menu.mydata":  {"Мои данные", "My data"},
	"menu.consent": {"Текст согласия", "Consent text"},
	"welcome.back": {"С возвращением, %s! Чем помочь? Откройте /menu.", "Welcome back, %s! How can I help? Open /menu."},
	"not.understood": {
		"Пока я не понял сообщение. Отвечайте на вопросы кнопками, а список команд — в /help.",
		"I did not understand that yet. Answer my questions with the buttons; /help lists the commands.",
	},
	"unsupported": {
		"Я пока понимаю только текст и кнопки. Напишите, пожалуйста, сообщением.",
		"I only understand text and buttons for now. Please write a message.",
	},
	"mydata": {
		"Что бот знает о вас:\nФИО: %s\nТабельный номер: %s\nДолжность: %s\nПодразделение: %s\nОфис: %s\nДата приёма: %s\n\nЗарплата, отпуска и справки в боте не хранятся.",
		"What the bot knows about you:\nName: %s\nPersonnel number: %s\nPosition: %s\nDepartment: %s\nOffice: %s\nHire date: %s\n\nPay, leave and certificates are not stored in the bot.",
	},
}

// T returns the text for key in lang, formatted with args.
func T(lang Lang, key string, args ...any) string {
	pair, ok := catalogue[key]
	if !ok {
		return key
	}
	s := pair[0]
	if lang == EN && pair[1] != "" {
		s = pair[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
