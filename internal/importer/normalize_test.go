package importer

import (
	"testing"
	"time"

	"github.com/staffbot/staffbot"
)

func TestClean(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"Иванов", "Иванов"},
		{"  Павлов  Егор Алексеевич ", "Павлов Егор Алексеевич"},
		{"120\u00a0500,50", "120 500,50"},
		{"a\u202fb\u2007c\td\r\ne", "a b c d e"},
		{"\ufeffТабельный номер", "Табельный номер"},
		{"zero\u200bwidth", "zerowidth"},
		{" \u00a0 ", ""},
		{"plain ascii", "plain ascii"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want staffbot.Date
	}{
		{"01.02.2019", staffbot.Date{Year: 2019, Month: time.February, Day: 1}},
		{"1.2.2019", staffbot.Date{Year: 2019, Month: time.February, Day: 1}},
		{"29.02.1992", staffbot.Date{Year: 1992, Month: time.February, Day: 29}},
		{"31.01.25", staffbot.Date{Year: 2025, Month: time.January, Day: 31}},
		{"31.01.85", staffbot.Date{Year: 1985, Month: time.January, Day: 31}},
		{"2024-06-01", staffbot.Date{Year: 2024, Month: time.June, Day: 1}},
		{"2024-06-01T00:00:00", staffbot.Date{Year: 2024, Month: time.June, Day: 1}},
		{"21.07.2024 0:00:00", staffbot.Date{Year: 2024, Month: time.July, Day: 21}},
		{"21.07.2024 00:00", staffbot.Date{Year: 2024, Month: time.July, Day: 21}},
	}
	for _, tt := range tests {
		got, fa := parseDate(tt.in)
		if fa != nil {
			t.Errorf("parseDate(%q): %s", tt.in, fa.en)
			continue
		}
		if got != tt.want {
			t.Errorf("parseDate(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseDate_Bad(t *testing.T) {
	for _, in := range []string{
		"31.02.2025", "29.02.2025", "00.01.2020", "01.13.2020", "01.01.0202",
		"2024/06/01", "06/01/2024", "1 июня 2024", "45292", "01.01.2020 25:00",
		"01.01.2020 утро", "01.01.202", "2024-6-1-1", "", ".", "01..2020",
	} {
		if d, fa := parseDate(in); fa == nil {
			t.Errorf("parseDate(%q) = %v, want a problem", in, d)
		}
	}
}

func TestSerialDate(t *testing.T) {
	tests := []struct {
		in       string
		date1904 bool
		want     staffbot.Date
	}{
		{"45292", false, staffbot.Date{Year: 2024, Month: time.January, Day: 1}},
		{"45292.75", false, staffbot.Date{Year: 2024, Month: time.January, Day: 1}},
		{"33663", false, staffbot.Date{Year: 1992, Month: time.February, Day: 29}},
		{"43830", true, staffbot.Date{Year: 2024, Month: time.January, Day: 1}},
	}
	for _, tt := range tests {
		got, isNum, fa := serialDate(tt.in, tt.date1904)
		if !isNum || fa != nil {
			t.Errorf("serialDate(%q, %v): number %v, problem %v", tt.in, tt.date1904, isNum, fa)
			continue
		}
		if got != tt.want {
			t.Errorf("serialDate(%q, %v) = %v, want %v", tt.in, tt.date1904, got, tt.want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"8 912 345-67-89", "+79123456789"},
		{"+7 (912) 345-67-89", "+79123456789"},
		{"+7 912 345 67 89", "+79123456789"},
		{"8(912)3456789", "+79123456789"},
		{"9123456789", "+79123456789"},
		{"79123456789", "+79123456789"},
		{"89128857607", "+79128857607"},
		{"8-965-644-61-16", "+79656446116"},
		{"(495) 123.45.67", "+74951234567"},
		{"+375 29 123-45-67", "+375291234567"},
		{"+49 30 1234567", "+49301234567"},
	}
	for _, tt := range tests {
		got, fa := normalizePhone(tt.in)
		if fa != nil {
			t.Errorf("normalizePhone(%q): %s", tt.in, fa.en)
			continue
		}
		if got != tt.want {
			t.Errorf("normalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizePhone_Bad(t *testing.T) {
	for _, in := range []string{
		"8 912 345-67-89 доб. 123", "+7 912 345-67-89 ext 5", "8 912 345-67-89, 8 913 000-00-00",
		"345-67-89", "+7 912 345-67-8", "+7 912 345-67-899", "89123456789012345678901",
		"нет", "++79123456789", "7+9123456789", "+123", "8 800 555 35 35 35",
	} {
		if got, fa := normalizePhone(in); fa == nil {
			t.Errorf("normalizePhone(%q) = %q, want a problem", in, got)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"e.ivanov@severny-veter.example", "e.ivanov@severny-veter.example"},
		{"E.Ivanov@Severny-Veter.EXAMPLE", "E.Ivanov@severny-veter.example"},
		{"first+tag@mail.ru", "first+tag@mail.ru"},
	}
	for _, tt := range tests {
		got, fa := normalizeEmail(tt.in)
		if fa != nil {
			t.Errorf("normalizeEmail(%q): %s", tt.in, fa.en)
			continue
		}
		if got != tt.want {
			t.Errorf("normalizeEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeEmail_Bad(t *testing.T) {
	for _, in := range []string{
		"titov@@severny-veter", "titov@severny-veter", "titov", "@mail.ru", "titov@",
		"Титов <titov@mail.ru>", "a@mail.ru, b@mail.ru", "a@mail.ru;b@mail.ru",
		"a b@mail.ru", "a@.mail.ru", "a@mail.ru.", "a@mail..ru",
	} {
		if got, fa := normalizeEmail(in); fa == nil {
			t.Errorf("normalizeEmail(%q) = %q, want a problem", in, got)
		}
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		header string
		want   kind
	}{
		{"Табельный номер", kindNumber},
		{"ТАБ. №", kindNumber},
		{"Personnel number", kindNumber},
		{"Employee ID", kindNumber},
		{"ФИО", kindFullName},
		{"Сотрудник", kindFullName},
		{"Full name", kindFullName},
		{"Фамилия", kindLastName},
		{"Имя", kindFirstName},
		{"Отчество", kindMiddleName},
		{"Отдел", kindDepartment},
		{"Job title", kindPosition},
		{"Место работы", kindOffice},
		{"Площадка", kindOffice},
		{"Дата приёма", kindHired},
		{"дата  приема", kindHired},
		{"Hire date", kindHired},
		{"Termination date", kindDismissed},
		{"Мобильный телефон", kindPhone},
		{"E-mail", kindEmail},
		{"Руководитель (таб. №)", kindManager},
		{"Manager number", kindManager},
		{"Наставник (таб. №)", kindMentor},
		{"Дата рождения", kindCustom},
		{"Оклад", kindPay},
		{"Зарплата", kindPay},
		{"Доставка", kindCustom},
		{" ", kindIgnore},
	}
	for _, tt := range tests {
		if got := kindOf(tt.header); got != tt.want {
			t.Errorf("kindOf(%q) = %d, want %d", tt.header, got, tt.want)
		}
	}
}
