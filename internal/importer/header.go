package importer

import (
	"strings"
	"unicode"
)

// kind is what a column holds.
type kind int

const (
	kindCustom kind = iota
	kindIgnore      // a column without a header
	kindPay         // pay: never imported, see isPayHeader
	kindNumber
	kindFullName
	kindLastName
	kindFirstName
	kindMiddleName
	kindDepartment
	kindPosition
	kindOffice
	kindHired
	kindDismissed
	kindPhone
	kindEmail
	kindManager
	kindMentor
	kindCount
)

// fields gives each known kind its Row field name and the header we use for
// it in messages when the file lacks the column.
var fields = [kindCount]struct{ field, name string }{
	kindNumber:     {"PersonnelNumber", "Табельный номер"},
	kindFullName:   {"FullName", "ФИО"},
	kindLastName:   {"FullName", "Фамилия"},
	kindFirstName:  {"FullName", "Имя"},
	kindMiddleName: {"FullName", "Отчество"},
	kindDepartment: {"Department", "Подразделение"},
	kindPosition:   {"Position", "Должность"},
	kindOffice:     {"Office", "Офис"},
	kindHired:      {"HiredOn", "Дата приема"},
	kindDismissed:  {"DismissedOn", "Дата увольнения"},
	kindPhone:      {"Phone", "Телефон"},
	kindEmail:      {"Email", "Электронная почта"},
	kindManager:    {"ManagerNumber", "Руководитель (таб. №)"},
	kindMentor:     {"MentorNumber", "Наставник (таб. №)"},
}

// synonyms maps headers, reduced by headerKey, to their kinds: the Russian
// ones 1C:ZUP and Excel users write, and English ones.
var synonyms = map[string]kind{}

func init() {
	for k, names := range map[kind][]string{
		kindNumber: {
			"Табельный номер", "Таб. №", "Таб. номер", "Табельный №", "Табельный",
			"Табельный номер сотрудника", "Personnel number", "Personnel No",
			"Employee ID", "Employee number", "Employee No", "Staff number",
		},
		kindFullName: {
			"ФИО", "Сотрудник", "Работник", "Фамилия Имя Отчество", "Ф.И.О.",
			"Full name", "Name", "Employee", "Employee name",
		},
		kindLastName:   {"Фамилия", "Last name", "Surname", "Family name"},
		kindFirstName:  {"Имя", "First name", "Given name"},
		kindMiddleName: {"Отчество", "Middle name", "Patronymic"},
		kindDepartment: {
			"Подразделение", "Отдел", "Структурное подразделение",
			"Department", "Division",
		},
		kindPosition: {"Должность", "Position", "Job title", "Title"},
		kindOffice: {
			"Офис", "Место работы", "Площадка", "Рабочее место",
			"Office", "Site", "Location", "Workplace",
		},
		kindHired: {
			"Дата приема", "Дата приема на работу", "Принят",
			"Hire date", "Date of hire", "Hired", "Hired on", "Start date",
		},
		kindDismissed: {
			"Дата увольнения", "Уволен",
			"Dismissal date", "Termination date", "Dismissed on", "End date",
		},
		kindPhone: {
			"Телефон", "Мобильный телефон", "Мобильный", "Сотовый телефон",
			"Телефон мобильный", "Phone", "Phone number", "Mobile",
			"Mobile phone", "Cell phone",
		},
		kindEmail: {
			"Электронная почта", "Адрес электронной почты", "Почта", "E-mail",
			"Email", "Email address", "Mail",
		},
		kindManager: {
			"Руководитель (таб. №)", "Руководитель", "Руководитель (таб. номер)",
			"Табельный номер руководителя", "Manager", "Manager number",
			"Manager ID", "Manager personnel number", "Supervisor",
		},
		kindMentor: {
			"Наставник (таб. №)", "Наставник", "Наставник (таб. номер)",
			"Табельный номер наставника", "Mentor", "Mentor number",
			"Mentor ID", "Buddy",
		},
	} {
		for _, name := range names {
			synonyms[headerKey(name)] = k
		}
	}
}

// headerKey reduces a header to lower-case letters and digits with ё read
// as е, so "Дата приёма", "дата  приема" and "ДАТА_ПРИЕМА" all match.
func headerKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		r = unicode.ToLower(r)
		if r == 'ё' {
			r = 'е'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// kindOf tells what a column with this header holds.
func kindOf(header string) kind {
	key := headerKey(header)
	if key == "" {
		return kindIgnore
	}
	if k, ok := synonyms[key]; ok {
		return k
	}
	if isPayKey(key) {
		return kindPay
	}
	return kindCustom
}

// payParts are parts of a header, reduced by headerKey, that name pay.
// Salaries stay in the accounting system: such a column is skipped with a
// notice, never stored.
var payParts = []string{
	"оклад", "зарплат", "заработнаяплата", "заработнойплаты", "тарифнаяставка",
	"salary", "salaries", "wage", "payrate",
}

// isPayKey reports whether a reduced header names pay: "Оклад",
// "Должностной оклад, руб.", "Зарплата", "Ставка", "Salary", "Wage",
// "Pay rate". "Ставка" counts only at the start, so "Доставка" does not.
func isPayKey(key string) bool {
	if strings.HasPrefix(key, "ставка") {
		return true
	}
	for _, p := range payParts {
		if strings.Contains(key, p) {
			return true
		}
	}
	return false
}

// isHeader reports whether rec looks like the header row: it names a
// personnel number column and a name column.
func isHeader(rec []string) bool {
	var number, name bool
	for _, h := range rec {
		switch kindOf(h) {
		case kindNumber:
			number = true
		case kindFullName, kindLastName:
			name = true
		}
	}
	return number && name
}
