package importer

import (
	"fmt"
	"time"
)

// Validate checks rows against each other and against the employees already
// stored: a personnel number, a name and a real hire date on every row, no
// personnel number twice, no dismissal before hire, and managers and mentors
// that are in the file or known. known reports whether the company already
// has an employee with that personnel number; nil means none.
//
// Columns are named as our own export names them ("Дата приема");
// ParseAndValidate names them as the file does.
func Validate(rows []Row, known func(personnelNumber string) bool) Problems {
	return validate(rows, known, nil, nil)
}

// validate is Validate with the file's headers (by field) and the fields
// whose columns the file lacks; "missing" is not reported for those, as the
// absent column was reported once already.
func validate(rows []Row, known func(string) bool, columns map[string]string, absent map[string]bool) Problems {
	var ps Problems
	add := func(line int, k kind, msg, msgEN string) {
		f := fields[k]
		col := f.name
		if h, ok := columns[f.field]; ok {
			col = h
		}
		ps = append(ps, Problem{Line: line, Column: col, Field: f.field, Message: msg, MessageEN: msgEN})
	}

	// first holds the index of the first row with each personnel number.
	first := make(map[string]int, len(rows))
	for i, r := range rows {
		n := r.Employee.PersonnelNumber
		if _, ok := first[n]; !ok && n != "" {
			first[n] = i
		}
	}

	for i, r := range rows {
		e := &r.Employee
		n := e.PersonnelNumber

		switch {
		case n == "":
			if !absent["PersonnelNumber"] {
				add(r.Line, kindNumber, "не указан табельный номер", "the personnel number is missing")
			}
		case first[n] != i:
			prev := rows[first[n]].Line
			add(r.Line, kindNumber,
				fmt.Sprintf("табельный номер %s уже есть в строке %d", n, prev),
				fmt.Sprintf("personnel number %s is already on line %d", n, prev))
		}

		if e.FullName == "" && !absent["FullName"] {
			add(r.Line, kindFullName, "не указаны фамилия, имя и отчество", "the name is missing")
		}

		switch {
		case e.HiredOn.IsZero():
			if !absent["HiredOn"] {
				add(r.Line, kindHired, "не указана дата приема", "the hire date is missing")
			}
		case !isDay(e.HiredOn.Year, e.HiredOn.Month, e.HiredOn.Day):
			add(r.Line, kindHired,
				fmt.Sprintf("такой даты нет: %s", e.HiredOn.Russian()),
				fmt.Sprintf("no such day: %s", e.HiredOn.Russian()))
		case e.DismissedOn != nil && e.DismissedOn.Before(e.HiredOn):
			add(r.Line, kindDismissed,
				fmt.Sprintf("дата увольнения %s раньше даты приема %s",
					e.DismissedOn.Russian(), e.HiredOn.Russian()),
				fmt.Sprintf("the dismissal date %s is before the hire date %s",
					e.DismissedOn.Russian(), e.HiredOn.Russian()))
		}

		for _, ref := range []struct {
			kind   kind
			number string
			ru, en string
		}{
			{kindManager, r.ManagerNumber, "руководитель", "manager"},
			{kindMentor, r.MentorNumber, "наставник", "mentor"},
		} {
			switch {
			case ref.number == "":
			case ref.number == n:
				add(r.Line, ref.kind,
					fmt.Sprintf("сотрудник указан %sом самому себе", ref.ru),
					fmt.Sprintf("the employee is named as their own %s", ref.en))
			case !inFile(first, ref.number) && (known == nil || !known(ref.number)):
				add(r.Line, ref.kind,
					fmt.Sprintf("%s с табельным номером %s не найден ни в файле, ни среди сотрудников",
						capitalize(ref.ru), ref.number),
					fmt.Sprintf("no %s with personnel number %s in the file or among the employees",
						ref.en, ref.number))
			}
		}
	}
	return ps
}

func inFile(first map[string]int, number string) bool {
	_, ok := first[number]
	return ok
}

// isDay reports whether y, m, d name a real day.
func isDay(y int, m time.Month, d int) bool {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return m >= time.January && m <= time.December && d >= 1 && t.Day() == d
}

func capitalize(s string) string {
	r := []rune(s)
	if len(r) > 0 && r[0] >= 'а' && r[0] <= 'я' {
		r[0] -= 'а' - 'А'
	}
	return string(r)
}
