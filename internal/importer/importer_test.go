package importer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/staffbot/staffbot"
)

func mustOpen(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustParse(t *testing.T, data []byte, name string) []Row {
	t.Helper()
	rows, err := ParseAndValidate(bytes.NewReader(data), name, nil)
	if err != nil {
		t.Fatalf("ParseAndValidate(%s):\n%v", name, err)
	}
	return rows
}

func mustProblems(t *testing.T, err error) Problems {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v, want Problems", err)
	}
	if !errors.Is(err, staffbot.ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid) = false")
	}
	return ps
}

func date(y int, m time.Month, d int) staffbot.Date {
	return staffbot.Date{Year: y, Month: m, Day: d}
}

// TestParse_Cases covers cases 36 and 37 of shared/cases: the same five
// employees in UTF-8 with a BOM and in Windows-1251.
func TestParse_Cases(t *testing.T) {
	dismissed := date(2025, time.January, 31)
	want := []Row{
		{Line: 2, Employee: staffbot.Employee{
			PersonnelNumber: "00-0000001", FullName: "Иванова Анна Петровна",
			Position: "Бухгалтер", Department: "Бухгалтерия",
			HiredOn: date(2019, time.February, 1),
			Custom:  map[string]string{"Дата рождения": "14.03.1988"},
		}},
		{Line: 3, Employee: staffbot.Employee{
			PersonnelNumber: "00-0000002", FullName: "Петров Сергей Иванович",
			Position: "Инженер; ведущий", Department: `Отдел "Эксплуатация"`,
			HiredOn: date(2015, time.June, 15), DismissedOn: &dismissed,
			Custom: map[string]string{"Дата рождения": "05.11.1979"},
		}},
		{Line: 4, Employee: staffbot.Employee{
			PersonnelNumber: "00-0000003", FullName: "Ёлкин Пётр Алексеевич",
			Position: "Специалист по кадрам", Department: "Отдел кадров",
			HiredOn: date(2022, time.October, 10),
			Custom:  map[string]string{"Дата рождения": "29.02.1992"},
		}},
		{Line: 5, Employee: staffbot.Employee{
			PersonnelNumber: "00-0000004", FullName: "Смирнова-Кузнецова Ольга",
			Position: "Менеджер", Department: "Продажи Москва",
			HiredOn: date(2023, time.April, 3),
			Custom:  map[string]string{"Дата рождения": "01.01.1990"},
		}},
		{Line: 6, Employee: staffbot.Employee{
			PersonnelNumber: "00-0000005", FullName: "Ким Ен Су",
			Position: "Программист", Department: "ИТ",
			HiredOn: date(2024, time.September, 1),
			Custom:  map[string]string{"Дата рождения": "12.12.1995"},
		}},
	}

	// The eighth column, «Оклад», is pay: it is skipped with a notice and
	// the file still imports.
	wantNotices := []Notice{{
		Column:    "Оклад",
		Message:   "столбец пропущен: оплата труда хранится в учётной системе, а не в staffbot",
		MessageEN: "the column is skipped: pay stays in the accounting system, not in staffbot",
	}}

	var results [][]Row
	for _, name := range []string{"36-csv-utf8-bom-semicolon", "37-csv-cp1251-semicolon"} {
		t.Run(name, func(t *testing.T) {
			data := mustOpen(t, name+".csv")
			got, notices, err := ParseAndValidateNotices(bytes.NewReader(data), name+".csv", nil)
			if err != nil {
				t.Fatalf("ParseAndValidateNotices:\n%v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rows:\n got %+v\nwant %+v", got, want)
			}
			if !reflect.DeepEqual(notices, wantNotices) {
				t.Errorf("notices = %+v, want %+v", notices, wantNotices)
			}
			// 7 of the 8 columns are kept: 6 known ones and the birth date.
			kept := map[string]bool{}
			for _, r := range got {
				for k := range r.Employee.Custom {
					kept[k] = true
				}
			}
			if n := 6 + len(kept); n != 7 {
				t.Errorf("%d columns kept, want 7 (custom: %v)", n, kept)
			}
			results = append(results, got)
		})
	}
	if len(results) == 2 && !reflect.DeepEqual(results[0], results[1]) {
		t.Errorf("36 and 37 differ:\n%+v\n%+v", results[0], results[1])
	}
}

func TestParse_Sample1C(t *testing.T) {
	rows := mustParse(t, mustOpen(t, "employees-1c.csv"), "employees-1c.csv")
	if len(rows) != 50 {
		t.Fatalf("rows = %d, want 50", len(rows))
	}

	first := rows[0]
	want := Row{Line: 2, Employee: staffbot.Employee{
		PersonnelNumber: "00001", FullName: "Иванов Егор Андреевич",
		Department: "Дирекция", Position: "Генеральный директор",
		Office: "Москва, Лесная 5", HiredOn: date(2024, time.July, 21),
		Phone: "+79128857607", Email: "e.ivanov@severny-veter.example",
	}}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("first row:\n got %+v\nwant %+v", first, want)
	}

	for _, r := range rows {
		e := r.Employee
		if e.Phone != "" && (len(e.Phone) != 12 || !strings.HasPrefix(e.Phone, "+7")) {
			t.Errorf("line %d: phone = %q, want +7XXXXXXXXXX", r.Line, e.Phone)
		}
		if strings.ContainsAny(e.FullName, "?\ufffd") || !strings.ContainsAny(e.FullName, "аеиоуя") {
			t.Errorf("line %d: name = %q, want readable Cyrillic", r.Line, e.FullName)
		}
		if e.FullName != strings.TrimSpace(e.FullName) || strings.Contains(e.FullName, "  ") {
			t.Errorf("line %d: name = %q has surplus spaces", r.Line, e.FullName)
		}
	}

	// Spot checks: ё kept, a dismissed employee, a mentor.
	byNumber := make(map[string]Row)
	for _, r := range rows {
		byNumber[r.Employee.PersonnelNumber] = r
	}
	if got := byNumber["00142"].Employee.FullName; got != "Соловьёв Михаил Сергеевич" {
		t.Errorf("00142 name = %q", got)
	}
	if got := byNumber["00142"].Employee.DismissedOn; got == nil || *got != date(2026, time.January, 26) {
		t.Errorf("00142 dismissed = %v, want 2026-01-26", got)
	}
	if got := byNumber["00226"].Employee.FullName; got != "Павлов Егор Алексеевич" {
		t.Errorf("00226 name = %q", got)
	}
	if r := byNumber["00205"]; r.ManagerNumber != "00184" || r.MentorNumber != "00198" {
		t.Errorf("00205 manager, mentor = %q, %q; want 00184, 00198", r.ManagerNumber, r.MentorNumber)
	}
}

func TestParseAndValidate_BadSample(t *testing.T) {
	_, err := ParseAndValidate(bytes.NewReader(mustOpen(t, "employees-bad.csv")), "employees-bad.csv", nil)
	got := mustProblems(t, err)

	want := []struct {
		line          int
		column, field string
		text          string // a part of the Russian message
	}{
		{2, "Дата приема", "HiredOn", "31.02.2025"},
		{3, "ФИО", "FullName", "не указаны"},
		{4, "Электронная почта", "Email", "titov@@severny-veter"},
		{5, "Табельный номер", "PersonnelNumber", "00903 уже есть в строке 4"},
		{6, "Дата увольнения", "DismissedOn", "01.02.2024 раньше даты приема 15.05.2024"},
		{7, "Руководитель (таб. №)", "ManagerNumber", "99999"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		p := got[i]
		if p.Line != w.line || p.Column != w.column || p.Field != w.field || !strings.Contains(p.Message, w.text) {
			t.Errorf("problem %d = %+v, want line %d, column %q, field %q, text %q",
				i, p, w.line, w.column, w.field, w.text)
		}
		if p.MessageEN == "" {
			t.Errorf("problem %d has no English message", i)
		}
	}

	// An existing employee 99999 makes that row fine.
	_, err = ParseAndValidate(bytes.NewReader(mustOpen(t, "employees-bad.csv")), "employees-bad.csv",
		func(n string) bool { return n == "99999" })
	if ps := mustProblems(t, err); len(ps) != len(want)-1 {
		t.Errorf("with 99999 known: %d problems, want %d:\n%v", len(ps), len(want)-1, err)
	}
}

func TestParse_FormatProblemsOnly(t *testing.T) {
	// Parse alone reports values, not cross-row problems.
	_, err := Parse(bytes.NewReader(mustOpen(t, "employees-bad.csv")), "employees-bad.csv")
	ps := mustProblems(t, err)
	var fieldsGot []string
	for _, p := range ps {
		fieldsGot = append(fieldsGot, fmt.Sprintf("%d:%s", p.Line, p.Field))
	}
	if got, want := strings.Join(fieldsGot, " "), "2:HiredOn 4:Email"; got != want {
		t.Errorf("problems = %s, want %s", got, want)
	}
}

func TestParse_CSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Row
	}{{
		name: "CommaCRLFQuotedNewline",
		in: "Personnel number,Full name,Hire date,Office,Comment\r\n" +
			"007,\"Doe, John\",2024-01-02,\"Moscow,\r\nLesnaya 5\",\"said \"\"hi\"\"\"\r\n" +
			"008,Roe Jane,03.01.2024,Tver,\r\n",
		want: []Row{
			{Line: 2, Employee: staffbot.Employee{
				PersonnelNumber: "007", FullName: "Doe, John", HiredOn: date(2024, time.January, 2),
				Office: "Moscow, Lesnaya 5", Custom: map[string]string{"Comment": `said "hi"`},
			}},
			{Line: 4, Employee: staffbot.Employee{
				PersonnelNumber: "008", FullName: "Roe Jane", HiredOn: date(2024, time.January, 3),
				Office: "Tver", Custom: map[string]string{"Comment": ""},
			}},
		},
	}, {
		name: "TabSplitName",
		in: "Таб. №\tФамилия\tИмя\tОтчество\tДата приёма\tМобильный\n" +
			"1\tЁлкин\tПётр\t\t10.10.2022 0:00:00\t+7 (912) 345-67-89\n",
		want: []Row{{Line: 2, Employee: staffbot.Employee{
			PersonnelNumber: "1", FullName: "Ёлкин Пётр", HiredOn: date(2022, time.October, 10),
			Phone: "+79123456789",
		}}},
	}, {
		name: "TitleAboveHeaderAndBlankRows",
		in: "Список сотрудников на 01.01.2025\n\n" +
			"ТАБЕЛЬНЫЙ НОМЕР;Сотрудник;Дата  приема;Руководитель\n" +
			";;;\n" +
			"  0005 ; Ким\u00a0Ен Су ;1.9.24;\n",
		want: []Row{{Line: 5, Employee: staffbot.Employee{
			PersonnelNumber: "0005", FullName: "Ким Ен Су", HiredOn: date(2024, time.September, 1),
		}}},
	}, {
		name: "BareQuote",
		in:   "Табельный номер;ФИО;Дата приема;Подразделение\n1;Иванов;01.01.2020;Отдел \"Кадры\"\n",
		want: []Row{{Line: 2, Employee: staffbot.Employee{
			PersonnelNumber: "1", FullName: "Иванов", HiredOn: date(2020, time.January, 1),
			Department: `Отдел "Кадры"`,
		}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, []byte(tt.in), "list.csv")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParse_UTF16(t *testing.T) {
	// Excel's "Unicode text" is UTF-16LE with a BOM and tabs.
	s := "Табельный номер\tФИО\tДата приема\r\n1\tЁлкин Пётр\t01.02.2019\r\n"
	data := []byte{0xFF, 0xFE}
	for _, r := range s {
		data = append(data, byte(r), byte(r>>8))
	}
	rows := mustParse(t, data, "list.txt")
	if len(rows) != 1 || rows[0].Employee.FullName != "Ёлкин Пётр" {
		t.Errorf("rows = %+v, want Ёлкин Пётр", rows)
	}
}

// TestPayColumnsSkipped: a column naming pay, however written, is left out
// with a notice and rejects nothing; other unknown columns are kept.
func TestPayColumnsSkipped(t *testing.T) {
	pay := []string{"Оклад", "Должностной оклад, руб.", "ЗАРПЛАТА", "Заработная плата", "Ставка",
		"Тарифная ставка", "Salary", "Wage", "Pay rate", "pay_rate", "Размер заработной платы"}
	kept := []string{"Дата рождения", "Доставка", "Пропуск"}
	header := "Табельный номер;ФИО;Дата приема;" + strings.Join(append(append([]string{}, pay...), kept...), ";")
	line := "1;Иванов Иван;01.02.2020;" + strings.Repeat("100 000;", len(pay)) + "14.03.1988;да;A-1"
	rows, notices, err := ParseAndValidateNotices(strings.NewReader(header+"\n"+line+"\n"), "staff.csv", nil)
	if err != nil {
		t.Fatalf("a file with pay columns is refused: %v", err)
	}
	if len(rows) != 1 {
		t.Fatalf("rows = %d, want 1", len(rows))
	}
	want := map[string]string{"Дата рождения": "14.03.1988", "Доставка": "да", "Пропуск": "A-1"}
	if !reflect.DeepEqual(rows[0].Employee.Custom, want) {
		t.Errorf("custom = %v, want %v", rows[0].Employee.Custom, want)
	}
	var got []string
	for _, n := range notices {
		got = append(got, n.Column)
		if !strings.Contains(n.String(), "учётной системе") || !strings.Contains(n.English(), "accounting system") {
			t.Errorf("notice %q / %q does not say why", n.String(), n.English())
		}
	}
	if !reflect.DeepEqual(got, pay) {
		t.Errorf("notices for %v, want %v", got, pay)
	}
}

func TestParse_Problems(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // line:column:field of each problem
	}{{
		name: "MissingColumns",
		in:   "Номер;Имя сотрудника;Оклад\n1;Иванов;100\n",
		want: []string{
			"1:Табельный номер:PersonnelNumber",
			"1:ФИО:FullName",
			"1:Дата приема:HiredOn",
		},
	}, {
		name: "MissingHireDateColumnOnly",
		in:   "Табельный номер;ФИО\n1;Иванов\n2;Петров\n",
		want: []string{"1:Дата приема:HiredOn"},
	}, {
		name: "DuplicateColumn",
		in:   "Табельный номер;ФИО;Дата приема;Дата приёма\n1;Иванов;01.01.2020;02.01.2020\n",
		want: []string{"1:Дата приёма:HiredOn"},
	}, {
		name: "EveryValueProblem",
		in: "Табельный номер;ФИО;Дата приема;Дата увольнения;Телефон;E-mail\n" +
			"1;Иванов;31.02.2025;;8 912 345-67-89 доб. 12;a@b\n" +
			"2;Петров;01.01.2020;2020-13-01;12345;ok@mail.ru\n" +
			"3;Сидоров;01.01.2020;;;;лишнее\n",
		want: []string{
			"2:Дата приема:HiredOn",
			"2:Телефон:Phone",
			"2:E-mail:Email",
			"3:Дата увольнения:DismissedOn",
			"3:Телефон:Phone",
			"4::",
		},
	}, {
		name: "CrossRow",
		in: "Табельный номер;ФИО;Дата приема;Руководитель;Наставник\n" +
			";Без Номера;01.01.2020;;\n" +
			"1;Сам Себе;01.01.2020;1;\n" +
			"2;Чужой;01.01.2020;1;404\n" +
			"1;Двойник;;;\n",
		want: []string{
			"2:Табельный номер:PersonnelNumber",
			"3:Руководитель:ManagerNumber",
			"4:Наставник:MentorNumber",
			"5:Табельный номер:PersonnelNumber",
			"5:Дата приема:HiredOn",
		},
	}, {
		name: "UnclosedQuote",
		in: "Табельный номер;ФИО;Дата приема;Должность\n" +
			"1;\"Иванов;01.01.2020;Бухгалтер\n" +
			"2;Петров;01.01.2020;Кладовщик\n",
		want: []string{"2::", "2:Дата приема:HiredOn"},
	}, {
		name: "Empty",
		in:   " \r\n",
		want: []string{"0::"},
	}, {
		name: "OldXLS",
		in:   "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 binary",
		want: []string{"0::"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAndValidate(strings.NewReader(tt.in), "list.csv", nil)
			ps := mustProblems(t, err)
			var got []string
			for _, p := range ps {
				got = append(got, fmt.Sprintf("%d:%s:%s", p.Line, p.Column, p.Field))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n got %q\nwant %q\n%v", got, tt.want, err)
			}
		})
	}
}

func TestParse_NotXLSX(t *testing.T) {
	_, err := Parse(strings.NewReader("Табельный номер;ФИО\n"), "list.xlsx")
	ps := mustProblems(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].MessageEN, "not an Excel workbook") {
		t.Errorf("problems = %v, want one saying it is not a workbook", ps)
	}
}

func TestProblems_Error(t *testing.T) {
	ps := Problems{
		{Line: 3, Column: "Дата приема", Field: "HiredOn",
			Message: "такой даты нет: 31.02.2025", MessageEN: "no such day: 31.02.2025"},
		{Line: 4, Message: "лишние значения", MessageEN: "extra values"},
		{Message: "файл пуст", MessageEN: "the file is empty"},
	}
	want := "строка 3, «Дата приема»: такой даты нет: 31.02.2025\n" +
		"строка 4: лишние значения\n" +
		"файл пуст"
	if got := ps.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	wantEN := "line 3, «Дата приема»: no such day: 31.02.2025\n" +
		"line 4: extra values\n" +
		"the file is empty"
	if got := ps.English(); got != wantEN {
		t.Errorf("English() =\n%s\nwant\n%s", got, wantEN)
	}
}

func TestValidate(t *testing.T) {
	d := func(y int, m time.Month, day int) *staffbot.Date {
		v := date(y, m, day)
		return &v
	}
	row := func(line int, number, name string, hired staffbot.Date) Row {
		return Row{Line: line, Employee: staffbot.Employee{PersonnelNumber: number, FullName: name, HiredOn: hired}}
	}
	hired := date(2024, time.March, 1)

	tests := []struct {
		name  string
		rows  []Row
		known []string
		want  []string // line:field
	}{{
		name: "OK",
		rows: []Row{row(2, "1", "А", hired), row(3, "2", "Б", hired)},
	}, {
		name:  "ManagerKnown",
		rows:  []Row{func() Row { r := row(2, "1", "А", hired); r.ManagerNumber = "77"; return r }()},
		known: []string{"77"},
	}, {
		name: "ManagerInFileLater",
		rows: []Row{
			func() Row { r := row(2, "1", "А", hired); r.ManagerNumber = "2"; return r }(),
			row(3, "2", "Б", hired),
		},
	}, {
		name: "ImpossibleHireDate",
		rows: []Row{row(2, "1", "А", date(2025, time.February, 31))},
		want: []string{"2:HiredOn"},
	}, {
		name: "DismissedSameDayIsFine",
		rows: []Row{func() Row { r := row(2, "1", "А", hired); r.Employee.DismissedOn = d(2024, time.March, 1); return r }()},
	}, {
		name: "DismissedBeforeHire",
		rows: []Row{func() Row {
			r := row(2, "1", "А", hired)
			r.Employee.DismissedOn = d(2024, time.February, 29)
			return r
		}()},
		want: []string{"2:DismissedOn"},
	}, {
		name: "DuplicateWithoutLines",
		rows: []Row{row(0, "1", "А", hired), row(0, "1", "Б", hired)},
		want: []string{"0:PersonnelNumber"},
	}, {
		name: "OwnMentor",
		rows: []Row{func() Row { r := row(2, "1", "А", hired); r.MentorNumber = "1"; return r }()},
		want: []string{"2:MentorNumber"},
	}, {
		name: "AllMissing",
		rows: []Row{{Line: 9}},
		want: []string{"9:PersonnelNumber", "9:FullName", "9:HiredOn"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			known := func(n string) bool {
				for _, k := range tt.known {
					if k == n {
						return true
					}
				}
				return false
			}
			var got []string
			for _, p := range Validate(tt.rows, known) {
				got = append(got, fmt.Sprintf("%d:%s", p.Line, p.Field))
				if p.Column == "" || p.Message == "" || p.MessageEN == "" {
					t.Errorf("problem %+v lacks column or message", p)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestParse_XLSX builds a workbook as 1C saves one: a title block above the
// header, real date cells, dates as text, numbers in numeric cells.
func TestParse_XLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}

	set := func(cell string, v any) {
		t.Helper()
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "Список сотрудников")
	set("A2", "ООО «Северный ветер» на 01.01.2025")
	// Row 3 is left empty.
	for i, h := range []string{"Таб. №", "ФИО", "Дата приёма", "Дата увольнения", "Телефон", "Дата рождения", "Оклад"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 4)
		set(cell, h)
	}
	set("A5", "00-0000001")
	set("B5", "Иванова  Анна Петровна")
	set("C5", time.Date(2019, 2, 1, 0, 0, 0, 0, time.UTC))
	set("E5", 79123456789)
	set("F5", time.Date(1992, 2, 29, 0, 0, 0, 0, time.UTC))
	set("G5", 85000.5)
	set("A6", "00-0000002")
	set("B6", "Петров Сергей Иванович")
	set("C6", "15.06.2015")
	set("D6", "31.01.2025 0:00:00")
	set("E6", "8 (912) 345-67-89")
	set("A7", "00-0000003")
	set("B7", "Ёлкин Пётр")
	set("C7", "31.02.2025")
	for _, c := range []string{"C5", "F5"} {
		if err := f.SetCellStyle(sheet, c, c, dateStyle); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}

	// Named .csv on purpose: the content decides.
	rows, err := Parse(bytes.NewReader(buf.Bytes()), "export.csv")
	ps := mustProblems(t, err)
	if len(ps) != 1 || ps[0].Line != 7 || ps[0].Column != "Дата приёма" {
		t.Errorf("problems = %+v, want one on line 7, «Дата приёма»", ps)
	}

	dismissed := date(2025, time.January, 31)
	want := []Row{
		{Line: 5, Employee: staffbot.Employee{
			PersonnelNumber: "00-0000001", FullName: "Иванова Анна Петровна",
			HiredOn: date(2019, time.February, 1), Phone: "+79123456789",
			Custom: map[string]string{"Дата рождения": "29.02.1992"}, // «Оклад» is pay, skipped
		}},
		{Line: 6, Employee: staffbot.Employee{
			PersonnelNumber: "00-0000002", FullName: "Петров Сергей Иванович",
			HiredOn: date(2015, time.June, 15), DismissedOn: &dismissed, Phone: "+79123456789",
			Custom: map[string]string{"Дата рождения": ""},
		}},
		{Line: 7, Employee: staffbot.Employee{
			PersonnelNumber: "00-0000003", FullName: "Ёлкин Пётр",
			Custom: map[string]string{"Дата рождения": ""},
		}},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", rows, want)
	}
}

func TestParse_BrokenXLSX(t *testing.T) {
	_, err := Parse(strings.NewReader("PK\x03\x04 not really a zip"), "list.xlsx")
	ps := mustProblems(t, err)
	if len(ps) != 1 || ps[0].Line != 0 {
		t.Errorf("problems = %+v, want one about the file", ps)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{
		"36-csv-utf8-bom-semicolon.csv", "37-csv-cp1251-semicolon.csv",
		"employees-1c.csv", "employees-bad.csv",
	} {
		f.Add(mustOpen(f, name), false)
	}
	f.Add([]byte("Табельный номер,ФИО,Дата приема\n1,\"a\nb\",01.01.2020\n\"unterminated"), false)
	f.Add([]byte("PK\x03\x04"), true)

	f.Fuzz(func(t *testing.T, data []byte, xlsx bool) {
		name := "fuzz.csv"
		if xlsx {
			name = "fuzz.xlsx"
		}
		rows, err := ParseAndValidate(bytes.NewReader(data), name, func(string) bool { return false })
		if err != nil && !errors.As(err, new(Problems)) {
			t.Fatalf("error is not Problems: %v", err)
		}
		last := 0
		for _, r := range rows {
			if r.Line <= last {
				t.Fatalf("row lines not increasing: %d after %d", r.Line, last)
			}
			last = r.Line
		}
	})
}

// BenchmarkParse_100k parses a generated 100,000-row CSV in Windows-1251.
func BenchmarkParse_100k(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("Табельный номер;ФИО;Подразделение;Должность;Офис;Дата приема;Дата увольнения;" +
		"Мобильный телефон;Электронная почта;Руководитель (таб. №);Наставник (таб. №);Оклад\r\n")
	for i := range 100_000 {
		dismissed := ""
		if i%10 == 0 {
			dismissed = "31.01.2026"
		}
		manager := ""
		if i > 0 {
			manager = fmt.Sprintf("%06d", i/10)
		}
		fmt.Fprintf(&buf, "%06d;Соловьёв Михаил Сергеевич %d;\"Отдел \"\"Кадры\"\"\";Специалист по подбору персонала;"+
			"Москва, Лесная 5;%02d.%02d.20%02d;%s;+7 (912) %03d-%02d-%02d;user%d@Severny-Veter.example;%s;;120\u00a0500,50\r\n",
			i, i, i%28+1, i%12+1, i%25, dismissed, i%1000, i%100, (i/100)%100, i, manager)
	}
	data := must1251(b, buf.Bytes())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()

	for b.Loop() {
		rows, err := Parse(bytes.NewReader(data), "big.csv")
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) != 100_000 {
			b.Fatalf("rows = %d", len(rows))
		}
	}
}

func must1251(b *testing.B, utf []byte) []byte {
	b.Helper()
	out, err := charmap.Windows1251.NewEncoder().Bytes(utf)
	if err != nil {
		b.Fatal(err)
	}
	return out
}
