package staffbot

import "time"

// EmployeeID identifies an employee within the whole installation; queries
// still always name the company as well.
type EmployeeID int64

// Employee is a person on a company's staff list, imported from the
// accounting system or entered by HR. Only the fields the bot needs are kept
// here; pay and leave balances are fetched live and never stored.
type Employee struct {
	ID        EmployeeID
	CompanyID CompanyID

	// PersonnelNumber is the number the accounting system uses for the
	// employee ("табельный номер"). It is unique within a company.
	PersonnelNumber string

	FullName   string
	Position   string
	Department string
	Office     string
	Phone      string // +7XXXXXXXXXX, or empty
	Email      string

	HiredOn     Date
	DismissedOn *Date // nil while employed

	ManagerID *EmployeeID
	MentorID  *EmployeeID

	// Custom holds the fields a company adds to the basic set.
	Custom map[string]string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Active reports whether the employee still works on the given day: a
// dismissal date that has come takes bot access away.
func (e *Employee) Active(today Date) bool {
	return e.DismissedOn == nil || today.Before(*e.DismissedOn)
}

// FirstName returns the given name from a Russian "Фамилия Имя Отчество"
// full name, or the whole name when it has a single word.
func (e *Employee) FirstName() string {
	words := splitWords(e.FullName)
	if len(words) >= 2 {
		return words[1]
	}
	return e.FullName
}

func splitWords(s string) []string {
	var words []string
	start := -1
	for i, r := range s {
		if r == ' ' || r == '\t' {
			if start >= 0 {
				words = append(words, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		words = append(words, s[start:])
	}
	return words
}
