package hris

import (
	"strings"
	"testing"

	"github.com/staffbot/staffbot"
)

func TestPlanSync_DuplicatesAndLinks(t *testing.T) {
	today := staffbot.Date{Year: 2025, Month: 3, Day: 3}
	hired := staffbot.Date{Year: 2020, Month: 1, Day: 1}
	mentorID := staffbot.EmployeeID(7)
	existing := []*staffbot.Employee{
		{ID: 7, PersonnelNumber: "M1", FullName: "Наставник", HiredOn: hired},
		{ID: 8, PersonnelNumber: "A1", FullName: "Старое Имя", HiredOn: hired, MentorID: &mentorID, Phone: "+79123456789"},
	}
	people := []Person{
		// A deleted duplicate first, then the live record: the live one wins.
		{PersonnelNumber: "A1", FullName: "Дубль", HiredOn: hired, Excluded: ExcludedDeleted},
		{PersonnelNumber: "A1", FullName: "Новое  Имя", HiredOn: hired, ManagerNumber: "B2", Phone: "garbage"},
		{PersonnelNumber: "B2", FullName: "Начальник", HiredOn: hired, ManagerNumber: "B2"},
		{PersonnelNumber: "B2", FullName: "Ещё один", HiredOn: hired},
		{PersonnelNumber: "C3", FullName: "Без даты"},
		{PersonnelNumber: "D4", FullName: "Уволен давно", HiredOn: hired, DismissedOn: &hired},
		{PersonnelNumber: "E5", FullName: "С чужим руководителем", HiredOn: hired, ManagerNumber: "ZZ"},
		{PersonnelNumber: " ", FullName: "Без номера", HiredOn: hired},
	}
	pl := planSync(existing, people, today)

	var got []string
	for _, c := range pl.changes {
		got = append(got, c.PersonnelNumber+":"+string(c.Kind)+":"+c.Reason+strings.Join(c.Fields, "+"))
	}
	want := "B2:skipped:duplicate_number :skipped:no_personnel_number A1:updated:full_name+manager B2:created: " +
		"C3:skipped:no_hire_date D4:skipped:dismissed E5:created:"
	if strings.Join(got, " ") != want {
		t.Errorf("changes\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if pl.missing != 1 || pl.unchanged != 0 {
		t.Errorf("missing %d unchanged %d, want 1 (M1) and 0", pl.missing, pl.unchanged)
	}
	for _, w := range pl.writes {
		switch w.Employee.PersonnelNumber {
		case "A1":
			if w.Employee.FullName != "Новое Имя" || w.ManagerNumber != "B2" || w.MentorNumber != "M1" || w.Employee.Phone != "+79123456789" {
				t.Errorf("A1 write = %+v", w)
			}
		case "B2":
			if w.ManagerNumber != "" {
				t.Errorf("B2 manages itself: %+v", w)
			}
		case "E5":
			if w.ManagerNumber != "" {
				t.Errorf("E5 linked to an unknown manager: %+v", w)
			}
		}
	}
}

func TestNormalizePhoneAndEmail(t *testing.T) {
	phones := map[string]string{
		"+7 (912) 345-67-89": "+79123456789",
		"89123456789":        "+79123456789",
		"9123456789":         "+79123456789",
		"+1 555 123 4567":    "",
		"доб. 123":           "",
		"":                   "",
	}
	for in, want := range phones {
		if got := normalizePhone(in); got != want {
			t.Errorf("normalizePhone(%q) = %q, want %q", in, got, want)
		}
	}
	emails := map[string]string{
		" A.Ivanova@Acme.Example ": "a.ivanova@acme.example",
		"not-an-email":             "",
		"a@b":                      "",
		"a b@c.d":                  "",
	}
	for in, want := range emails {
		if got := normalizeEmail(in); got != want {
			t.Errorf("normalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
