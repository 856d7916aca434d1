package auth

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

// MaxPage is the most employees one list call returns.
const MaxPage = 500

// ListEmployees returns a page of the employees p may see: of p's company,
// inside p's scope (a line manager's team, departments, offices). Phones
// and e-mails are blanked without PermEmployeesContacts. The read is
// recorded in the audit log with the ids shown.
func (s *Service) ListEmployees(ctx context.Context, p *Principal, page store.EmployeePage) ([]*staffbot.Employee, error) {
	if !p.Can(PermEmployeesRead) {
		return nil, fmt.Errorf("role %s lacks %s: %w", p.Role, PermEmployeesRead, staffbot.ErrForbidden)
	}
	if page.Limit <= 0 || page.Limit > MaxPage {
		page.Limit = MaxPage
	}
	list, err := s.store.FindEmployeesInScope(ctx, p.CompanyID, p.Scope(), page)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, e := range list {
		s.redact(p, e)
		ids[i] = strconv.FormatInt(int64(e.ID), 10)
	}
	// One record for the page, naming every employee shown.
	err = s.audit.Record(ctx, nil, record(p.CompanyID, s.clock.Now(), p.Actor(), AuditEmployeesListed,
		ObjectEmployee, strings.Join(ids, ","), nil))
	if err != nil {
		return nil, fmt.Errorf("audit employee list: %w", err)
	}
	return list, nil
}

// Employee returns one employee that p may see. Another company's
// employee, one outside p's scope and a missing one all wrap ErrNotFound.
func (s *Service) Employee(ctx context.Context, p *Principal, id staffbot.EmployeeID) (*staffbot.Employee, error) {
	if !p.Can(PermEmployeesRead) {
		return nil, fmt.Errorf("role %s lacks %s: %w", p.Role, PermEmployeesRead, staffbot.ErrForbidden)
	}
	e, err := s.store.FindEmployeeInScope(ctx, p.CompanyID, p.Scope(), id)
	if err != nil {
		return nil, err
	}
	s.redact(p, e)
	rec := record(p.CompanyID, s.clock.Now(), p.Actor(), AuditEmployeeRead, ObjectEmployee, strconv.FormatInt(int64(e.ID), 10), nil)
	rec.SubjectID = &e.ID
	err = s.audit.Record(ctx, nil, rec)
	if err != nil {
		return nil, fmt.Errorf("audit employee read: %w", err)
	}
	return e, nil
}

func (s *Service) redact(p *Principal, e *staffbot.Employee) {
	if !p.Can(PermEmployeesContacts) {
		e.Phone, e.Email = "", ""
	}
}
