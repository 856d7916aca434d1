package selfservice

import (
	"github.com/staffbot/staffbot/internal/hris"
)

// Keys of the default services.
const (
	KeyVacationBalance     = "vacation_balance"
	KeyPayslip             = "payslip"
	KeyEmploymentCert      = "employment_certificate"
	KeyIncomeCert          = "income_certificate"
	KeyWorkRecordCopy      = "work_record_copy"
	KeyVacationApplication = "vacation_application"
	KeyVisaCert            = "visa_certificate"
	KeyPersonalDataChange  = "personal_data_change"
)

// Answer keys and values the fulfilment reads.
const (
	keyMonth    = "month"
	keyYear     = "year"
	keyPurpose  = "purpose"
	keySalary   = "salary"
	keyDelivery = "delivery"
	keyCopies   = "copies"
	keyForm     = "form"

	deliveryLink  = "link"
	deliveryPaper = "paper"
)

var (
	yesNo = []Choice{
		{"yes", Text{"Да", "Yes"}},
		{"no", Text{"Нет", "No"}},
	}

	askDelivery = Question{
		Key: keyDelivery, Kind: AskChoice,
		Prompt: Text{"Как получить справку?", "How do you want to receive it?"},
		Choices: []Choice{
			{deliveryLink, Text{"Электронно, по защищённой ссылке", "Electronically, by a secure link"}},
			{deliveryPaper, Text{"Бумажный оригинал в отделе кадров", "Paper original at the HR office"}},
		},
	}

	askCopies = Question{
		Key: keyCopies, Kind: AskNumber, Min: 1, Max: 10,
		Prompt: Text{"Сколько экземпляров?", "How many copies?"},
		Choices: []Choice{
			{"1", Text{"1", "1"}}, {"2", Text{"2", "2"}}, {"3", Text{"3", "3"}},
		},
		When: func(a map[string]string) bool { return a[keyDelivery] == deliveryPaper || a[keyForm] == "book_copy" },
	}
)

// DefaultServices returns the Russian default catalogue, a fresh copy on
// each call: what a company gets until it changes something.
func DefaultServices() []*CatalogService {
	return []*CatalogService{
		{
			Key:     KeyVacationBalance,
			Title:   Text{"Остаток отпуска", "Vacation balance"},
			Summary: Text{"Сколько дней отпуска у вас осталось на сегодня", "How many vacation days you have left today"},
			Synonyms: []string{"остаток отпуска", "сколько отпуска", "сколько дней отпуска", "дни отпуска",
				"отпускные дни", "баланс отпуска", "отпуск", "vacation balance", "vacation days", "leave balance",
				"days off left"},
			Action:  hris.ActionVacationBalance,
			Class:   ClassB,
			Enabled: true,
		},
		{
			Key:     KeyPayslip,
			Title:   Text{"Расчётный листок", "Payslip"},
			Summary: Text{"Расчётный листок за месяц", "Your payslip for a month"},
			Synonyms: []string{"расчетный листок", "расчетный лист", "расчетка", "зарплатный листок",
				"листок за", "payslip", "pay slip", "salary slip"},
			Questions: []Question{{
				Key: keyMonth, Kind: AskMonth, Max: 36,
				Prompt: Text{"За какой месяц нужен расчётный листок? Выберите или напишите, например, «март» или «03.2026».",
					"Which month? Choose or type, for example, “March” or “03.2026”."},
			}},
			Action:  hris.ActionPayslip,
			HR:      true,
			Class:   ClassC,
			DueDays: 3,
			Enabled: true,
		},
		{
			Key:     KeyEmploymentCert,
			Title:   Text{"Справка с места работы", "Employment certificate"},
			Summary: Text{"Справка о том, что вы работаете в компании", "A certificate that you work for the company"},
			Synonyms: []string{"справка с места работы", "справка с работы", "справка о работе", "справка места работы",
				"employment certificate", "certificate of employment"},
			Questions: []Question{
				{
					Key: keyPurpose, Kind: AskChoice, AllowText: true,
					Prompt: Text{"Для чего нужна справка? Выберите или напишите.", "What is the certificate for? Choose or type."},
					Choices: []Choice{
						{"any", Text{"По месту требования", "To whom it may concern"}},
						{"bank", Text{"В банк", "For a bank"}},
						{"school", Text{"В детский сад или школу", "For a kindergarten or school"}},
					},
				},
				{
					Key: keySalary, Kind: AskChoice, Choices: yesNo,
					Prompt: Text{"Указать в справке зарплату?", "Should the certificate show your salary?"},
				},
				askDelivery,
				askCopies,
			},
			Action:      hris.ActionCertificate,
			Certificate: hris.CertificateEmployment,
			HR:          true,
			Class:       ClassB,
			DueDays:     3,
			Enabled:     true,
		},
		{
			Key:     KeyIncomeCert,
			Title:   Text{"Справка о доходах (2-НДФЛ)", "Income certificate (2-NDFL)"},
			Summary: Text{"Справка о доходах и суммах налога за год", "Income and tax certificate for a year"},
			Synonyms: []string{"2 ндфл", "ндфл", "справка о доходах", "справка доходы", "справка о зарплате",
				"доходах и суммах налога", "income certificate", "2 ndfl", "ndfl", "income statement"},
			Questions: []Question{
				{
					Key: keyYear, Kind: AskYear, Max: 3,
					Prompt: Text{"За какой год нужна справка?", "For which year?"},
				},
				askDelivery,
				askCopies,
			},
			Action:      hris.ActionCertificate,
			Certificate: hris.CertificateIncome,
			HR:          true,
			Class:       ClassC,
			DueDays:     3,
			Enabled:     true,
		},
		{
			Key:     KeyWorkRecordCopy,
			Title:   Text{"Копия трудовой книжки / СТД-Р", "Work record copy (STD-R)"},
			Summary: Text{"Сведения о трудовой деятельности или заверенная копия трудовой книжки", "Work history extract or a certified copy of the work record book"},
			Synonyms: []string{"копия трудовой книжки", "копия трудовой", "трудовая книжка", "трудовой книжки", "стд р",
				"стд", "сведения о трудовой деятельности", "work record", "work book", "std r"},
			Questions: []Question{
				{
					Key: keyForm, Kind: AskChoice,
					Prompt: Text{"Что нужно?", "What do you need?"},
					Choices: []Choice{
						{"std_r", Text{"Сведения о трудовой деятельности (СТД-Р), электронно", "Work history extract (STD-R), electronically"}},
						{"book_copy", Text{"Заверенная копия трудовой книжки, на бумаге", "Certified paper copy of the work record book"}},
					},
				},
				askCopies,
			},
			HR:      true,
			Class:   ClassB,
			DueDays: 3,
			Enabled: true,
		},
		{
			Key:     KeyVacationApplication,
			Title:   Text{"Заявление на отпуск", "Vacation application"},
			Summary: Text{"Подать заявление на отпуск", "Apply for vacation"},
			Synonyms: []string{"заявление на отпуск", "оформить отпуск", "взять отпуск", "уйти в отпуск",
				"пойти в отпуск", "хочу в отпуск", "отпуск без сохранения", "vacation application", "apply for leave",
				"request vacation", "book vacation", "take vacation"},
			Questions: []Question{
				{
					Key: "kind", Kind: AskChoice,
					Prompt: Text{"Какой отпуск?", "Which kind of leave?"},
					Choices: []Choice{
						{"annual", Text{"Ежегодный оплачиваемый", "Annual paid"}},
						{"unpaid", Text{"Без сохранения зарплаты", "Unpaid"}},
					},
				},
				{
					Key: "start", Kind: AskDate,
					Prompt: Text{"С какой даты? Напишите, например, 15.06.2026.", "From which day? Type, for example, 15.06.2026."},
				},
				{
					Key: "days", Kind: AskNumber, Min: 1, Max: 90,
					Prompt: Text{"Сколько календарных дней?", "How many calendar days?"},
					Choices: []Choice{
						{"7", Text{"7", "7"}}, {"14", Text{"14", "14"}}, {"28", Text{"28", "28"}},
					},
				},
			},
			HR:      true,
			Class:   ClassB,
			Enabled: true,
		},
		{
			Key:     KeyVisaCert,
			Title:   Text{"Справка для визы", "Certificate for a visa"},
			Summary: Text{"Справка с места работы для посольства", "An employment letter for an embassy"},
			Synonyms: []string{"справка для визы", "справка на визу", "справка в посольство", "виза", "посольство",
				"visa", "embassy", "visa letter"},
			Questions: []Question{
				{
					Key: "country", Kind: AskText,
					Prompt: Text{"В какую страну поездка?", "Which country are you travelling to?"},
				},
				{
					Key: "dates", Kind: AskText,
					Prompt: Text{"Даты поездки? Например, 10.05.2026–20.05.2026.", "Travel dates? For example, 10.05.2026–20.05.2026."},
				},
				{
					Key: "language", Kind: AskChoice,
					Prompt: Text{"На каком языке справка?", "Which language?"},
					Choices: []Choice{
						{"ru", Text{"Русский", "Russian"}},
						{"en", Text{"Английский", "English"}},
					},
				},
				askDelivery,
			},
			HR:      true,
			Class:   ClassC,
			DueDays: 3,
			Enabled: true,
		},
		{
			Key:     KeyPersonalDataChange,
			Title:   Text{"Изменение персональных данных", "Change of personal data"},
			Summary: Text{"Новая фамилия, паспорт, адрес, реквизиты", "New surname, passport, address, bank details"},
			Synonyms: []string{"изменение персональных данных", "изменить персональные данные", "сменить фамилию",
				"поменять фамилию", "смена фамилии", "новый паспорт", "поменять паспорт", "сменить паспорт",
				"изменить адрес", "сменить реквизиты", "банковские реквизиты", "change personal data",
				"new passport", "change surname", "bank details"},
			Questions: []Question{{
				Key: "what", Kind: AskChoice,
				Prompt: Text{"Что изменилось? Сами новые данные и документы в чат не присылайте.",
					"What has changed? Do not send the new data or documents in the chat."},
				Choices: []Choice{
					{"surname", Text{"Фамилия", "Surname"}},
					{"passport", Text{"Паспорт", "Passport"}},
					{"address", Text{"Адрес", "Address"}},
					{"contacts", Text{"Телефон или e-mail", "Phone or e-mail"}},
					{"bank", Text{"Банковские реквизиты", "Bank details"}},
					{"other", Text{"Другое", "Other"}},
				},
			}},
			HR:      true,
			Class:   ClassC,
			Enabled: true,
		},
	}
}
