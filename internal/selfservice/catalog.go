// Package selfservice is the HR "single window": a catalogue of services
// an employee orders in the chat (vacation balance, payslip, certificates,
// applications), the questions each service asks, and their fulfilment —
// live from the company's accounting system through its hris.Connector, or
// by an HR person as a tracked request.
//
// Every request passes three checks: the employee's rights in staffbot
// (active, the service enabled and open to them), their status in the
// accounting system asked live, and the delivery rule of the answer's
// sensitivity class. What the accounting system returns lives in memory
// until it is delivered, as a secure link for anything sensitive; the
// database and the logs record only that a request happened and how it
// ended.
package selfservice

import (
	"slices"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// Text is a text in Russian and English.
type Text struct{ RU, EN string }

// In returns the text in lang, Russian when there is no English.
func (t Text) In(lang locale.Lang) string {
	if lang == locale.EN && t.EN != "" {
		return t.EN
	}
	return t.RU
}

// Class is a sensitivity class of an answer (DOMAIN.md §1.2). It decides
// how the answer reaches the employee.
type Class string

// The sensitivity classes.
const (
	// ClassA carries no personal data beyond what the employee typed:
	// request status, "ready" notices. It may go into any chat.
	ClassA Class = "A"
	// ClassB is the employee's own low-sensitivity data: the vacation
	// balance, a certificate without salary. It goes by secure link unless
	// the company lets it into the chat of a channel (ChatChannels).
	ClassB Class = "B"
	// ClassC is pay, tax, passport, family or health data: only ever by a
	// secure link that asks for a one-time code.
	ClassC Class = "C"
)

// QuestionKind tells how a question is answered and checked.
type QuestionKind string

// The kinds of question.
const (
	AskChoice QuestionKind = "choice" // buttons; AllowText takes typed text too
	AskMonth  QuestionKind = "month"  // a past month: "март", "03.2026"
	AskYear   QuestionKind = "year"   // a past or the current year
	AskNumber QuestionKind = "number" // a whole number from Min to Max
	AskDate   QuestionKind = "date"   // a day from today on: "15.06.2026"
	AskText   QuestionKind = "text"   // free text of up to MaxTextLen characters
)

// MaxTextLen bounds a typed answer.
const MaxTextLen = 200

// Choice is one button of a question.
type Choice struct {
	Value string // what is stored and sent as button data: ASCII, short
	Label Text
}

// Question is something a service asks before it can be ordered.
type Question struct {
	Key    string // the answer's key: "month", "purpose", "copies"
	Kind   QuestionKind
	Prompt Text

	// Choices are the buttons of AskChoice and AskNumber questions.
	Choices   []Choice
	AllowText bool // AskChoice: a typed answer is taken as is

	Min, Max int // AskNumber bounds; AskMonth and AskYear: how far back

	// When, if set, decides from the answers so far whether to ask.
	When func(answers map[string]string) bool
}

// asked reports whether q is asked given the answers so far.
func (q *Question) asked(answers map[string]string) bool {
	return q.When == nil || q.When(answers)
}

// Audience is who may order a service.
type Audience struct {
	// Departments, when set, limits the service to employees of these
	// departments; empty means every active employee.
	Departments []string
}

// Allows reports whether the employee may order the service.
func (a Audience) Allows(e *staffbot.Employee) bool {
	return len(a.Departments) == 0 || slices.Contains(a.Departments, e.Department)
}

// CatalogService is one entry of a company's catalogue.
type CatalogService struct {
	Key     string // stable: "vacation_balance"
	Title   Text
	Summary Text

	// Synonyms are phrases, Russian and English, that name the service in
	// a typed message ("сколько у меня отпуска").
	Synonyms []string

	Questions []Question

	// Action is the connector action that fulfils the service, or "" when
	// only a person can; Certificate names the certificate of
	// hris.ActionCertificate.
	Action      hris.Action
	Certificate hris.CertificateKind

	// HR is set when an HR person can fulfil the service: always when
	// there is no Action, and otherwise when the employee asks for paper
	// or the company's system cannot perform the Action.
	HR bool

	// Class is the sensitivity of the answer; SalaryClass raises it when
	// the employee asked for the salary to be shown.
	Class Class

	// DueDays is how many working days HR has by law to fulfil a request
	// for the service, counting the day it was made as the first: 3 for
	// work-related documents and copies (art. 62 of the Labour Code);
	// zero when no deadline applies.
	DueDays int

	Enabled  bool
	Audience Audience

	// ChatChannels are the channels where a class B answer may be shown in
	// the chat itself. The chat transcript (the outbox) then holds it, so
	// the default is none.
	ChatChannels []staffbot.ChannelKind
}

// ClassFor returns the sensitivity of the answer to a request with these
// answers.
func (c *CatalogService) ClassFor(answers map[string]string) Class {
	if answers[keySalary] == "yes" {
		return ClassC
	}
	return c.Class
}

// Fulfilment says who fulfils a request with these answers when the
// company's system supports the action or not: store.FulfilAuto,
// store.FulfilHR, or "" when nobody can.
func (c *CatalogService) Fulfilment(answers map[string]string, supported bool) string {
	switch {
	case c.Action != "" && supported && answers[keyDelivery] != deliveryPaper:
		return store.FulfilAuto
	case c.HR:
		return store.FulfilHR
	}
	return ""
}

// Offered reports whether the company can take orders for the service at
// all, given whether its system supports the action.
func (c *CatalogService) Offered(supported bool) bool {
	return c.Enabled && (c.HR || (c.Action != "" && supported))
}

// Catalog is a company's catalogue: the default set with the company's
// overrides applied.
type Catalog struct {
	Services []*CatalogService
}

// Find returns the service with the key, or nil.
func (c *Catalog) Find(key string) *CatalogService {
	for _, s := range c.Services {
		if s.Key == key {
			return s
		}
	}
	return nil
}

// NewCatalog applies a company's overrides to the default catalogue.
// Overrides of unknown keys are ignored.
func NewCatalog(overrides []*store.CatalogOverride) *Catalog {
	c := &Catalog{Services: DefaultServices()}
	for _, o := range overrides {
		s := c.Find(o.ServiceKey)
		if s == nil {
			continue
		}
		if o.Enabled != nil {
			s.Enabled = *o.Enabled
		}
		if o.TitleRU != "" {
			s.Title.RU = o.TitleRU
		}
		if o.TitleEN != "" {
			s.Title.EN = o.TitleEN
		}
		if len(o.Departments) > 0 {
			s.Audience.Departments = slices.Clone(o.Departments)
		}
		s.ChatChannels = slices.Clone(o.ChatChannels)
	}
	return c
}

// supports reports whether conn performs the service's action; a nil
// connector performs none.
func supports(conn hris.Connector, s *CatalogService) bool {
	return conn != nil && s.Action != "" && conn.Supports(s.Action)
}
