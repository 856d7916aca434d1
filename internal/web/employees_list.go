package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/store"
)

const (
	importPath        = "/hr/employees/import"
	importConfirmPath = "/hr/employees/import/confirm"

	// employeesPerPage is how many employees a page of the list shows.
	employeesPerPage = 50
)

func (s *Server) employeeRoutes() {
	m := s.mux
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/employees", Perm: auth.PermEmployeesRead}, s.employeesPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/employees/{id}/invite", Perm: auth.PermEmployeesWrite, Object: "employee"}, s.inviteEmployee)
	m.HandleFunc(auth.Route{Method: "GET", Path: importPath, Perm: auth.PermEmployeesWrite}, s.importPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: importPath, Perm: auth.PermEmployeesWrite}, s.importPreview)
	m.HandleFunc(auth.Route{Method: "POST", Path: importConfirmPath, Perm: auth.PermEmployeesWrite}, s.importConfirm)
}

// employeeRow is one line of the employee list.
type employeeRow struct {
	*staffbot.Employee
	Bot        string
	LastActive string
	Dismissed  bool
}

type employeesData struct {
	Query, Department, Office, Bot, Status string

	Departments, Offices []string
	BotChoices           []string

	Rows      []employeeRow
	Total     int
	Page      int
	Pages     int
	PrevURL   string
	NextURL   string
	CanWrite  bool
	CanImport bool
}

// employeesPage lists the employees in the reader's scope with search,
// filters and their standing with the bot.
func (s *Server) employeesPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "emp.title")
	if v.Company == nil {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	p := current(r).Principal
	q := r.URL.Query()
	d := employeesData{
		Query: strings.TrimSpace(q.Get("q")), Department: q.Get("department"), Office: q.Get("office"),
		Bot: q.Get("bot"), Status: q.Get("status"),
		BotChoices: []string{store.BotRegistered, store.BotInvited, store.BotNone, store.BotBlocked},
		CanWrite:   p.Can(auth.PermEmployeesWrite),
	}
	d.CanImport = d.CanWrite && unscoped(p)
	if d.Status == "" {
		d.Status = "current"
	}
	page, _ := strconv.Atoi(q.Get("page"))
	d.Page = max(page, 1)

	st := s.auth.Store()
	var err error
	if d.Departments, d.Offices, err = st.Places(r.Context(), p.CompanyID); err != nil {
		s.serverError(w, r, err)
		return
	}
	if len(p.Departments) > 0 {
		d.Departments = intersect(d.Departments, p.Departments)
	}
	if len(p.Offices) > 0 {
		d.Offices = intersect(d.Offices, p.Offices)
	}

	search := store.EmployeeSearch{
		Query: d.Query, Department: d.Department, Office: d.Office, Bot: d.Bot,
		Current: d.Status != "dismissed", Dismissed: d.Status != "current", Today: s.today(v.Company),
		Limit: employeesPerPage, Offset: (d.Page - 1) * employeesPerPage,
	}
	list, total, err := st.SearchEmployees(r.Context(), p.CompanyID, p.Scope(), search)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	ids := make([]staffbot.EmployeeID, len(list))
	for i, e := range list {
		ids[i] = e.ID
	}
	bots, err := st.BotStatuses(r.Context(), p.CompanyID, ids)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.auditRead(r.Context(), p, auth.AuditEmployeesListed, ids, nil); err != nil {
		s.serverError(w, r, err)
		return
	}
	today := s.today(v.Company)
	for _, e := range list {
		b := bots[e.ID]
		d.Rows = append(d.Rows, employeeRow{Employee: e, Bot: b.Status(), LastActive: dayText(b.LastActiveOn), Dismissed: !e.Active(today)})
	}
	d.Total = total
	d.Pages = max(1, (total+employeesPerPage-1)/employeesPerPage)
	link := func(page int) string {
		u := url.Values{}
		for _, k := range []string{"q", "department", "office", "bot", "status"} {
			if val := q.Get(k); val != "" {
				u.Set(k, val)
			}
		}
		u.Set("page", strconv.Itoa(page))
		return "/hr/employees?" + u.Encode()
	}
	if d.Page > 1 {
		d.PrevURL = link(d.Page - 1)
	}
	if d.Page < d.Pages {
		d.NextURL = link(d.Page + 1)
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "employees", v)
}

// unscoped reports whether the principal sees the whole company: only
// such a user may import a staff file, which touches everyone.
func unscoped(p *auth.Principal) bool {
	return len(p.Departments) == 0 && len(p.Offices) == 0 && !p.Role.TeamOnly()
}

// dayText shows a stored YYYY-MM-DD day as 02.01.2006, or "".
func dayText(day string) string {
	d, err := staffbot.ParseDate(day)
	if err != nil {
		return ""
	}
	return d.Russian()
}

// auditRead records that the principal was shown employees' records: one
// record naming every id, or, with subject, one about that employee.
func (s *Server) auditRead(ctx context.Context, p *auth.Principal, action string, ids []staffbot.EmployeeID, subject *staffbot.EmployeeID) error {
	if len(ids) == 0 && subject == nil {
		return nil
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(int64(id), 10)
	}
	objectID := strings.Join(parts, ",")
	if subject != nil {
		objectID = fmt.Sprint(*subject)
	}
	rec := &staffbot.AuditRecord{
		CompanyID: p.CompanyID, At: s.clock.Now(), Actor: p.Actor(), Action: action,
		ObjectType: auth.ObjectEmployee, ObjectID: objectID, SubjectID: subject,
	}
	return s.auth.Store().InTx(ctx, func(tx *store.Tx) error { return tx.AppendAudit(ctx, rec) })
}

// actorContext names the principal as the actor of the audit records the
// store writes for changes made in ctx.
func actorContext(ctx context.Context, p *auth.Principal) context.Context {
	return staffbot.WithActor(ctx, p.Actor())
}
