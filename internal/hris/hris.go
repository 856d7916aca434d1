// Package hris talks to a company's accounting system (1C:ZUP, SAP
// SuccessFactors, or anything else with an HTTP API) through one interface,
// Connector. Connectors read the staff list for the employee sync, check one
// employee's status live, and run the self-service actions: vacation
// balance, payslip, certificates.
//
// What a connector returns is held in memory only. staffbot stores the
// staff list fields it needs (through Sync) and records that a service was
// asked for, never the balance, the payslip or the file that came back.
package hris

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/staffbot/staffbot"
)

// Kinds of connector failure. Wrap them with %w; test with errors.Is.
var (
	// ErrUnavailable: the system did not answer in time or answered 5xx.
	// Worth retrying later. It is staffbot.ErrUnavailable itself.
	ErrUnavailable = staffbot.ErrUnavailable

	// ErrNotPublished: the system answered 404 for a collection, so the
	// service or the object is not published (1C: the web publication or
	// the OData composition). Never read it as an empty list.
	ErrNotPublished = errors.New("not published")

	// ErrAuth: the system refused the credentials (401, 403).
	ErrAuth = errors.New("authentication refused")

	// ErrNotFound: the system has no such employee, or no such document
	// (a payslip for a month not yet calculated). It is
	// staffbot.ErrNotFound itself.
	ErrNotFound = staffbot.ErrNotFound

	// ErrUnsupported: this connector cannot perform the action.
	ErrUnsupported = errors.New("not supported by this connector")

	// ErrProtocol: the system answered something this connector cannot
	// read (not JSON, a missing field, a bad date).
	ErrProtocol = errors.New("unexpected answer")

	// ErrTooManyMissing: a sync would leave more of the employees the
	// system listed before missing at once than the connector's policy
	// allows, as a list cut short would; nothing was changed.
	ErrTooManyMissing = errors.New("too many employees missing from the list")
)

// Kind names the type of accounting system a connector talks to.
type Kind string

// The connector kinds staffbot ships.
const (
	KindOneC           Kind = "1c"
	KindSuccessFactors Kind = "successfactors"
	KindREST           Kind = "rest"
)

// ParseKind checks a kind given on the command line or in the cabinet.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case KindOneC, KindSuccessFactors, KindREST:
		return k, nil
	}
	return "", fmt.Errorf("connector type %q: use 1c, successfactors or rest: %w", s, staffbot.ErrInvalid)
}

// Action is something a connector may be able to do for an employee. The
// self-service catalogue names the action that fulfils each service and
// asks Supports before offering it.
type Action string

// The actions a connector may support. ListEmployees and Status are
// supported by every connector.
const (
	ActionListEmployees   Action = "list_employees"
	ActionStatus          Action = "status"
	ActionVacationBalance Action = "vacation_balance"
	ActionPayslip         Action = "payslip"
	ActionCertificate     Action = "certificate" // see CertificateKind
)

// CertificateKind names a certificate the accounting system can issue.
type CertificateKind string

// Certificates the 1C HTTP-service contract defines (docs/1c-http-service.md).
const (
	// CertificateEmployment is "справка с места работы".
	CertificateEmployment CertificateKind = "employment"
	// CertificateIncome is "справка о доходах и суммах налога" (former 2-НДФЛ).
	CertificateIncome CertificateKind = "income"
)

// Connector is one company's accounting system.
//
// Every method is safe for concurrent use and honours ctx. Errors wrap one
// of the kinds above; error texts carry entity names, HTTP statuses and
// personnel numbers, never names or other personal data, so they may be
// logged and shown to HR.
type Connector interface {
	// Kind reports the type of system.
	Kind() Kind

	// Supports reports whether the connector can perform a. For
	// ActionCertificate it also needs the kind (Certificate fails with
	// ErrUnsupported for kinds the system does not issue).
	Supports(a Action) bool

	// Check makes one cheap authenticated request, to test settings
	// before they are saved.
	Check(ctx context.Context) error

	// ListEmployees reads the whole staff list, paging internally. It
	// fails rather than return a partial list. Progress is reported to a
	// ProgressFunc in ctx (WithProgress).
	ListEmployees(ctx context.Context) ([]Person, error)

	// Status asks live whether the employee is known and still employed.
	// It returns ErrNotFound when the system has no such personnel number.
	Status(ctx context.Context, personnelNumber string) (Status, error)

	// VacationBalance returns the employee's remaining vacation days on
	// the given day.
	VacationBalance(ctx context.Context, personnelNumber string, on staffbot.Date) (VacationBalance, error)

	// Payslip returns the employee's payslip for a month.
	Payslip(ctx context.Context, personnelNumber string, month Month) (*Payslip, error)

	// Certificate has the system issue a certificate as a file.
	Certificate(ctx context.Context, personnelNumber string, kind CertificateKind, p CertificateParams) (*Document, error)
}

// Person is one employee record as the accounting system holds it.
// Connectors fill what they know; empty fields are "not provided", and the
// sync keeps staffbot's own value for Office, Phone, Email and the manager
// when the system does not provide them.
type Person struct {
	// PersonnelNumber is the табельный номер (1C Code, SuccessFactors
	// userId). It is how staffbot matches records.
	PersonnelNumber string

	// ExternalID is the system's own key (1C Ref_Key), for diagnostics.
	ExternalID string

	FullName   string // "Фамилия Имя Отчество"
	Position   string
	Department string
	Office     string
	Phone      string
	Email      string

	// HiredOn is the zero Date when the system has no hire date.
	HiredOn staffbot.Date
	// DismissedOn is nil while employed; it may lie in the future.
	DismissedOn *staffbot.Date

	// ManagerNumber is the manager's personnel number, when known.
	ManagerNumber string

	// Excluded says why the record is not a working employee although
	// it is listed (deletion mark, archive, inactive user). Such a record
	// creates nothing and takes bot access away from a known employee.
	Excluded Exclusion
}

// Exclusion says why a listed record is not a working employee.
type Exclusion string

// Reasons for excluding a record.
const (
	NotExcluded      Exclusion = ""
	ExcludedDeleted  Exclusion = "deletion_mark" // 1C DeletionMark
	ExcludedArchived Exclusion = "archived"      // 1C ВАрхиве
	ExcludedInactive Exclusion = "inactive"      // SuccessFactors status f, REST active=false
)

// State is an employee's standing in the accounting system on a day.
type State string

// Standings of a known employee.
const (
	StateActive    State = "active"
	StateDismissed State = "dismissed"
)

// Status is what a live check learned about one employee.
type Status struct {
	PersonnelNumber string
	HiredOn         staffbot.Date  // zero when unknown
	DismissedOn     *staffbot.Date // nil while employed
	Excluded        Exclusion
}

// State reports whether the employee works on the given day. An excluded
// record or a dismissal date that has come means dismissed; a hire date in
// the future still counts as active, since onboarding starts before it.
func (s Status) State(today staffbot.Date) State {
	if s.Excluded != NotExcluded {
		return StateDismissed
	}
	if s.DismissedOn != nil && !today.Before(*s.DismissedOn) {
		return StateDismissed
	}
	return StateActive
}

// Month is a calendar month, such as the month of a payslip.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads YYYY-MM.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, fmt.Errorf("month %q: want YYYY-MM: %w", s, staffbot.ErrInvalid)
	}
	return Month{Year: t.Year(), Month: t.Month()}, nil
}

// String formats m as YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, m.Month) }

// VacationBalance is the remaining paid vacation on a day. Days may be
// fractional: ZUP accrues 2.33 days a month.
type VacationBalance struct {
	On    staffbot.Date
	Days  float64
	Kinds []VacationKind // by kind of leave, when the system splits it
}

// VacationKind is the balance of one kind of leave.
type VacationKind struct {
	Name string // as the system names it: "Основной", "Дополнительный за вредность"
	Days float64
}

// Money is an amount in kopecks, so that sums add up exactly.
type Money int64

// String formats m as rubles with two decimals and a comma, the Russian
// way: "85 000,00" without the thin spaces (callers format for display).
func (m Money) String() string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d,%02d", sign, m/100, m%100)
}

// Payslip is one month's pay statement. File, when the system sends one,
// is the printed form.
type Payslip struct {
	Month    Month
	Accrued  Money // начислено
	Withheld Money // удержано
	Paid     Money // выплачено
	Lines    []PayslipLine
	File     *Document
}

// PayslipLine is one accrual, deduction or payment.
type PayslipLine struct {
	Kind   string // "accrual", "deduction" or "payment"
	Name   string // "Оклад по дням", "НДФЛ"
	Amount Money
}

// CertificateParams are what the employee told us when ordering a
// certificate.
type CertificateParams struct {
	Purpose       string // "по месту требования", "для визы"
	Copies        int    // at least 1
	Year          int    // income certificate: the tax year
	IncludeSalary bool   // employment certificate: show the salary
}

// Document is a file from the accounting system, held in memory only. Wipe
// it when delivered.
type Document struct {
	Name        string // file name to offer, may be Cyrillic
	ContentType string // "application/pdf"
	Body        []byte
}

// Wipe overwrites the file's bytes, so the content does not linger in
// memory longer than the delivery needs.
func (d *Document) Wipe() {
	if d == nil {
		return
	}
	clear(d.Body)
	d.Body = nil
}

// ProgressFunc receives progress of a long read: what stage, how many
// records so far, and the total when the system reports one (else 0).
type ProgressFunc func(stage string, done, total int)

type progressKey struct{}

// WithProgress returns a context whose long reads report to fn.
func WithProgress(ctx context.Context, fn ProgressFunc) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// ReportProgress calls the ProgressFunc in ctx, if any.
func ReportProgress(ctx context.Context, stage string, done, total int) {
	if fn, ok := ctx.Value(progressKey{}).(ProgressFunc); ok && fn != nil {
		fn(stage, done, total)
	}
}
