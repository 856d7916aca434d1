// Package scenario reads scenario files (onboarding and the like) and runs
// them for employees. A scenario is a list of steps: messages, questions,
// branches, waits until a day relative to the hire date, notifications with
// tasks for the manager, the mentor or HR, and marks HR can see. The Engine
// keeps each employee's progress in the store and advances it when an answer
// comes in or a waiting time arrives; every step's state change and messages
// commit in one transaction.
package scenario

import (
	"fmt"
	"regexp"
	"time"

	"github.com/staffbot/staffbot"
)

// Triggers say when a scenario starts.
const (
	// TriggerRegistration starts the scenario when an employee finishes
	// registration and accepts the consent text.
	TriggerRegistration = "registration"

	// TriggerManual scenarios are started by HR, never automatically.
	TriggerManual = "manual"
)

// Scenario is one loaded scenario definition.
type Scenario struct {
	ID          string
	Version     int
	Title       Text
	Description Text
	Trigger     string

	// StartWithinDays, when above zero, starts the scenario only for
	// employees hired at most that many days ago (or not yet started), so
	// that long-serving staff joining the bot are not onboarded.
	StartWithinDays int

	Steps []*Step

	// File is the name the scenario was loaded from, for messages.
	File string

	index map[string]int
}

// Step returns the step with the id, or nil.
func (sc *Scenario) Step(id string) *Step {
	i, ok := sc.index[id]
	if !ok {
		return nil
	}
	return sc.Steps[i]
}

// stepIndex returns the position of the step in the file, or -1.
func (sc *Scenario) stepIndex(id string) int {
	if i, ok := sc.index[id]; ok {
		return i
	}
	return -1
}

// nextTimed returns the first step after position i that starts at a
// fixed time (an at: or a wait: until:), or nil.
func (sc *Scenario) nextTimed(i int) *Step {
	for j := i + 1; j < len(sc.Steps); j++ {
		if sc.Steps[j].Until() != nil {
			return sc.Steps[j]
		}
	}
	return nil
}

// Step is one step of a scenario. Exactly one of the action fields is set;
// At may accompany any action except a wait.
type Step struct {
	ID   string
	Line int

	// At delays the step until a moment relative to the hire date.
	At *Until

	Send   *Send
	Ask    *Ask
	Branch *Branch
	Wait   *Wait
	Notify *Notify
	Mark   *Mark
	Goto   string
	End    bool

	gotoLine int
}

// Until returns the fixed moment the step waits for, or nil when it starts
// as soon as it is reached.
func (st *Step) Until() *Until {
	if st.At != nil {
		return st.At
	}
	if st.Wait != nil {
		return st.Wait.Until
	}
	return nil
}

// Action names the step's action, as written in the file.
func (st *Step) Action() string {
	switch {
	case st.Send != nil:
		return "send"
	case st.Ask != nil:
		return "ask"
	case st.Branch != nil:
		return "branch"
	case st.Wait != nil:
		return "wait"
	case st.Notify != nil:
		return "notify"
	case st.Mark != nil:
		return "mark"
	case st.Goto != "":
		return "goto"
	case st.End:
		return "end"
	}
	return ""
}

// Text is a message in several languages: "ru", "en", or "" for a text
// written once for every language.
type Text map[string]string

// In returns the text for lang, falling back to the common text, then
// Russian, then English.
func (t Text) In(lang string) string {
	for _, l := range []string{lang, "", "ru", "en"} {
		if v, ok := t[l]; ok && v != "" {
			return v
		}
	}
	return ""
}

// Send sends a message to the employee.
type Send struct {
	Text    Text
	Buttons []Button
	File    *File
}

// waitsForNext reports whether the message has a "next" button, so the
// run pauses until it is pressed.
func (s *Send) waitsForNext() bool {
	for _, b := range s.Buttons {
		if b.Next {
			return true
		}
	}
	return false
}

// Button is a link button, or a "next" button that moves the run on.
type Button struct {
	Label Text
	URL   string
	Next  bool
}

// File is an attachment served by URL.
type File struct {
	URL  string
	Name string
}

// Input kinds of a free-text question.
const (
	InputText   = "text"
	InputNumber = "number"
	InputDate   = "date"
	InputEmail  = "email"
	InputPhone  = "phone"
	InputYesNo  = "yes_no"
)

// Ask asks the employee a question and waits for the answer: a press on one
// of Options, or typed Input.
type Ask struct {
	Text    Text
	Options []Option

	Input    string
	Pattern  string
	Min, Max *float64
	Retry    Text

	// Skip, when set, adds a button that moves on without an answer.
	Skip Text

	// SaveAs names the run variable the answer goes to; the step id when
	// empty.
	SaveAs string

	// RemindAfter re-sends the question once when it is still unanswered;
	// ExpireAfter gives up on it and moves on. Zero means never.
	RemindAfter time.Duration
	ExpireAfter time.Duration

	pattern *regexp.Regexp
}

// VarName returns the run variable that holds the answer.
func (a *Ask) VarName(stepID string) string {
	if a.SaveAs != "" {
		return a.SaveAs
	}
	return stepID
}

// choices returns the buttons of the question: the options, yes and no for
// a yes_no input, and the skip button.
func (a *Ask) choices() []Option {
	opts := a.Options
	if a.Input == InputYesNo {
		opts = []Option{
			{ID: "yes", Label: Text{"ru": "Да", "en": "Yes"}},
			{ID: "no", Label: Text{"ru": "Нет", "en": "No"}},
		}
	}
	if len(a.Skip) > 0 {
		opts = append(opts[:len(opts):len(opts)], Option{ID: skipOption, Label: a.Skip})
	}
	return opts
}

// Option is one answer button of a question.
type Option struct {
	ID    string
	Label Text
}

// Branch picks the next step by the first case that matches, or Else.
type Branch struct {
	Cases []Case

	// Else is the step when no case matches; the next step in the file
	// when empty.
	Else string

	elseLine int
}

// Case is one condition of a branch. Exactly one of Var and Field is set,
// and exactly one of Equals, In and NotEquals.
type Case struct {
	Var   string // a run variable set by an ask
	Field string // an employee field: department, position, office, custom.X

	Equals    *string
	In        []string
	NotEquals *string

	Goto string

	line, whenLine int
}

// Wait pauses the run for a duration or until a moment.
type Wait struct {
	For   time.Duration
	Until *Until
}

// Until is a moment counted from the hire date in the company's time zone.
type Until struct {
	// Day 1 is the hire date, day 2 the day after; day -1 is the day
	// before day 1. There is no day 0.
	Day int

	Hour, Minute int

	// Workday moves a Saturday or Sunday to the following Monday.
	Workday bool
}

// Date returns the calendar day the moment falls on for someone hired on
// hired.
func (u *Until) Date(hired staffbot.Date) staffbot.Date {
	offset := u.Day
	if u.Day > 0 {
		offset = u.Day - 1
	}
	d := hired.AddDays(offset)
	if u.Workday {
		switch time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Weekday() {
		case time.Saturday:
			d = d.AddDays(2)
		case time.Sunday:
			d = d.AddDays(1)
		}
	}
	return d
}

// Time returns the moment for someone hired on hired, in loc.
func (u *Until) Time(hired staffbot.Date, loc *time.Location) time.Time {
	d := u.Date(hired)
	return time.Date(d.Year, d.Month, d.Day, u.Hour, u.Minute, 0, 0, loc)
}

func (u *Until) String() string {
	s := fmt.Sprintf("day %d %02d:%02d", u.Day, u.Hour, u.Minute)
	if u.Workday {
		s += " workday"
	}
	return s
}

// Notify roles.
const (
	RoleManager = "manager"
	RoleMentor  = "mentor"
	RoleHR      = "hr"
)

// Notify messages the newcomer's manager, mentor or HR, and may give them a
// task with a "Done" button.
type Notify struct {
	To      string
	Text    Text
	Buttons []Button
	Task    Text
}

// Mark records a named point in the run that HR sees.
type Mark struct {
	Name  string
	Value string
}
