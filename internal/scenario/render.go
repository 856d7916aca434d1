package scenario

import (
	"fmt"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// DefaultLanguage is the language texts are rendered in unless told
// otherwise.
const DefaultLanguage = "ru"

// probationMonths is the usual probation term (art. 70 of the Labour Code).
const probationMonths = 3

// Facts are what placeholders are filled from: the newcomer's work facts,
// their manager's and mentor's names and the company's name. Nothing else
// about the person reaches a message.
type Facts struct {
	Employee *staffbot.Employee
	Manager  *staffbot.Employee // nil when none
	Mentor   *staffbot.Employee // nil when none
	Company  *staffbot.Company
}

// Values returns the placeholder values for a language.
func (f Facts) Values(lang string) map[string]string {
	v := map[string]string{}
	if e := f.Employee; e != nil {
		v["first_name"] = e.FirstName()
		v["full_name"] = e.FullName
		v["position"] = e.Position
		v["department"] = e.Department
		v["office"] = e.Office
		if !e.HiredOn.IsZero() {
			v["hire_date"] = formatDate(e.HiredOn, lang)
			v["probation_end"] = formatDate(ProbationEnd(e.HiredOn), lang)
		}
	}
	if f.Manager != nil {
		v["manager_name"] = f.Manager.FullName
	}
	if f.Mentor != nil {
		v["mentor_name"] = f.Mentor.FullName
	}
	if f.Company != nil {
		v["company"] = f.Company.Name
	}
	return v
}

// field returns an employee field a branch may test.
func (f Facts) field(name string) string {
	if custom, ok := strings.CutPrefix(name, "custom."); ok {
		if f.Employee == nil {
			return ""
		}
		return f.Employee.Custom[custom]
	}
	return f.Values(DefaultLanguage)[name]
}

// ProbationEnd returns the last day of a three-month probation starting on
// hired.
//
// TODO: absences (sick leave) extend probation (art. 70), but they live in
// the accounting system and are not fetched yet, so the date shown may be
// early for someone who was ill.
func ProbationEnd(hired staffbot.Date) staffbot.Date {
	t := time.Date(hired.Year, hired.Month+probationMonths, hired.Day, 0, 0, 0, 0, time.UTC)
	if t.Day() != hired.Day {
		// 30 November + 3 months has no 30 February: the term ends at the
		// end of the month (art. 14 of the Labour Code).
		t = time.Date(t.Year(), t.Month(), 0, 0, 0, 0, 0, time.UTC)
		return staffbot.DateOf(t)
	}
	return staffbot.DateOf(t).AddDays(-1)
}

var monthsEN = [...]string{"", "January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

func formatDate(d staffbot.Date, lang string) string {
	if lang == "en" {
		return fmt.Sprintf("%d %s %d", d.Day, monthsEN[d.Month], d.Year)
	}
	return d.Russian()
}

// Render returns the text in lang with placeholders filled in. A
// placeholder without a value becomes empty.
func Render(t Text, lang string, values map[string]string) string {
	return placeholderRE.ReplaceAllStringFunc(t.In(lang), func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		return values[name]
	})
}
