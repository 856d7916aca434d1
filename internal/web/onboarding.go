package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/internal/store"
)

// newcomersPerPage is how many newcomers a page of the onboarding list
// shows.
const newcomersPerPage = 50

func (s *Server) onboardingRoutes() {
	m := s.mux
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/onboarding", Perm: auth.PermEmployeesRead}, s.onboardingPage)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/employees/{id}/onboarding", Perm: auth.PermEmployeesRead, Object: "employee"}, s.onboardingDetail)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/employees/{id}/nudge", Perm: auth.PermEmployeesWrite, Object: "employee"}, s.nudge)
}

// newcomerRow is one newcomer in the onboarding list.
type newcomerRow struct {
	*store.Newcomer
	Hired     string
	Progress  int
	StepTitle string
	Reached   int
	Marks     int
	Reason    string
	Tasks     []taskView
}

// taskView is an open task of a manager, mentor or HR.
type taskView struct {
	ID       int64
	Role     string
	RoleName string
	Title    string
	Since    string
	Overdue  bool
	Assignee string
	Nudge    bool
}

type onboardingData struct {
	Cohort, Status, Department, Office string

	Cohorts              []cohortChoice
	Statuses             []string
	Departments, Offices []string

	Scenario string
	Counts   map[string]int
	Rows     []newcomerRow
	Total    int
	Page     int
	PrevURL  string
	NextURL  string
	CanNudge bool
	Back     string
}

type cohortChoice struct {
	Value, Label string
}

// onboardingPage lists newcomers with their progress, those stuck first
// when asked, with buttons to nudge a manager or mentor.
func (s *Server) onboardingPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "onb.title")
	if v.Company == nil {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	p := current(r).Principal
	q := r.URL.Query()
	st := s.auth.Store()
	today := s.today(v.Company)
	d := onboardingData{
		Cohort: q.Get("cohort"), Status: q.Get("status"), Department: q.Get("department"), Office: q.Get("office"),
		Statuses: []string{store.OnboardingStuck, store.OnboardingInProgress, store.OnboardingNotStarted, store.OnboardingDone},
		CanNudge: p.Can(auth.PermEmployeesWrite), Back: r.URL.RequestURI(),
	}
	page, _ := strconv.Atoi(q.Get("page"))
	d.Page = max(page, 1)
	if !slices.Contains(d.Statuses, d.Status) {
		d.Status = ""
	}

	// Cohorts: the hire months of the last year and the next two months.
	for m := store.MonthStart(today).In(time.UTC).AddDate(0, 2, 0); ; m = m.AddDate(0, -1, 0) {
		day := staffbot.DateOf(m)
		if day.Before(store.MonthStart(today.AddDays(-366))) {
			break
		}
		d.Cohorts = append(d.Cohorts, cohortChoice{Value: day.String()[:7], Label: monthName(v.Lang, day)})
	}
	from, to := today.AddDays(-120), today.AddDays(60)
	if c, err := staffbot.ParseDate(d.Cohort + "-01"); err == nil {
		from, to = c, staffbot.DateOf(c.In(time.UTC).AddDate(0, 1, -1))
	} else {
		d.Cohort = ""
	}

	var err error
	if d.Departments, d.Offices, err = st.Places(r.Context(), p.CompanyID); err != nil {
		s.serverError(w, r, err)
		return
	}
	def := s.onboardingDef(r.Context(), p.CompanyID)
	d.Scenario = s.onboardingScenario(r.Context(), p.CompanyID)
	if def != nil {
		d.Scenario = def.Title.In(string(v.Lang))
	}

	f := store.NewcomerFilter{
		Scenario: s.onboardingScenario(r.Context(), p.CompanyID), HiredFrom: from, HiredTo: to, Scope: p.Scope(),
		Department: d.Department, Office: d.Office,
	}
	// The count of each status, for the filter's tabs.
	if d.Counts, err = st.CountNewcomers(r.Context(), p.CompanyID, f, s.clock.Now()); err != nil {
		s.serverError(w, r, err)
		return
	}
	f.Status, f.Limit, f.Offset = d.Status, newcomersPerPage, (d.Page-1)*newcomersPerPage
	list, total, err := st.FindNewcomers(r.Context(), p.CompanyID, f, s.clock.Now())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d.Total = total
	rows, ids, err := s.newcomerRows(r, v.Lang, v.Company, def, list)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d.Rows = rows
	if err := s.auditRead(r.Context(), p, auth.AuditEmployeesListed, ids, nil); err != nil {
		s.serverError(w, r, err)
		return
	}

	link := func(page int) string {
		u := url.Values{}
		for _, k := range []string{"cohort", "status", "department", "office"} {
			if val := q.Get(k); val != "" {
				u.Set(k, val)
			}
		}
		u.Set("page", strconv.Itoa(page))
		return "/hr/onboarding?" + u.Encode()
	}
	if d.Page > 1 {
		d.PrevURL = link(d.Page - 1)
	}
	if d.Page*newcomersPerPage < total {
		d.NextURL = link(d.Page + 1)
	}
	switch q.Get("m") {
	case "nudged":
		v.Notice = v.T("onb.nudged")
	case "unreachable":
		v.Error = v.T("onb.unreachable")
	case "gone":
		v.Error = v.T("onb.task_gone")
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "onboarding", v)
}

// newcomerRows dresses newcomers for the page and returns their ids.
func (s *Server) newcomerRows(r *http.Request, lang locale.Lang, co *staffbot.Company, def *scenario.Scenario, list []*store.Newcomer) ([]newcomerRow, []staffbot.EmployeeID, error) {
	var (
		rows   []newcomerRow
		ids    []staffbot.EmployeeID
		people []staffbot.EmployeeID
	)
	for _, n := range list {
		ids = append(ids, n.EmployeeID)
		for _, tk := range n.OpenTasks {
			if tk.AssigneeID != nil {
				people = append(people, *tk.AssigneeID)
			}
		}
	}
	names, err := s.auth.Store().EmployeeNames(r.Context(), co.ID, people)
	if err != nil {
		return nil, nil, err
	}
	marks := markNames(def)
	now := s.clock.Now()
	for _, n := range list {
		row := newcomerRow{Newcomer: n, Hired: n.HiredOn.Russian(), Progress: progress(def, n.Run), Marks: len(marks)}
		for _, m := range n.Marks {
			if slices.Contains(marks, m) {
				row.Reached++
			}
		}
		if n.Run != nil {
			row.StepTitle = stepTitle(lang, def, n.Run.Step)
		}
		for _, tk := range n.OpenTasks {
			tv := taskView{ID: tk.ID, Role: tk.Role, RoleName: tr(lang, "onb.role."+tk.Role), Title: tk.Title,
				Since:   tk.CreatedAt.In(co.Location()).Format("02.01.2006"),
				Overdue: now.Sub(tk.CreatedAt) > store.StuckAfter,
				Nudge:   tk.Role == scenario.RoleManager || tk.Role == scenario.RoleMentor}
			if tk.AssigneeID != nil {
				tv.Assignee = names[*tk.AssigneeID]
			}
			row.Tasks = append(row.Tasks, tv)
		}
		row.Reason = stuckReason(lang, co, n, now)
		rows = append(rows, row)
	}
	return rows, ids, nil
}

// stuckReason says why a stuck newcomer is stuck.
func stuckReason(lang locale.Lang, co *staffbot.Company, n *store.Newcomer, now time.Time) string {
	if n.Status != store.OnboardingStuck || n.Run == nil {
		return ""
	}
	switch {
	case n.Run.State == store.RunFailed:
		return tr(lang, "onb.reason.failed")
	case n.Run.State == store.RunAsking && now.Sub(n.Run.UpdatedAt) > store.StuckAfter:
		return tr(lang, "onb.reason.question", n.Run.UpdatedAt.In(co.Location()).Format("02.01.2006"))
	}
	return tr(lang, "onb.reason.task")
}

// progress is how far through the scenario's steps the run is, in percent.
func progress(def *scenario.Scenario, run *store.Run) int {
	switch {
	case run == nil:
		return 0
	case run.State == store.RunDone:
		return 100
	case def == nil || len(def.Steps) == 0:
		return 0
	}
	for i, st := range def.Steps {
		if st.ID == run.Step {
			return i * 100 / len(def.Steps)
		}
	}
	return 0
}

// markNames lists the marks a scenario sets, in order.
func markNames(def *scenario.Scenario) []string {
	if def == nil {
		return nil
	}
	var out []string
	for _, st := range def.Steps {
		if st.Mark != nil && !slices.Contains(out, st.Mark.Name) {
			out = append(out, st.Mark.Name)
		}
	}
	return out
}

// stepTitle names a step for HR: the milestone it belongs to, or its id.
func stepTitle(lang locale.Lang, def *scenario.Scenario, stepID string) string {
	if def == nil {
		return stepID
	}
	// A step belongs to the milestone of the next mark after it.
	for i, st := range def.Steps {
		if st.ID != stepID {
			continue
		}
		for _, next := range def.Steps[i:] {
			if next.Mark != nil {
				return markTitle(lang, next.Mark.Name)
			}
		}
		return tr(lang, "onb.finishing")
	}
	return stepID
}

// markTitle names a milestone for people.
func markTitle(lang locale.Lang, name string) string {
	if _, ok := texts["mark."+name]; ok {
		return tr(lang, "mark."+name)
	}
	return strings.ReplaceAll(name, "_", " ")
}

func monthName(lang locale.Lang, d staffbot.Date) string {
	return tr(lang, fmt.Sprintf("month.%d", d.Month)) + " " + strconv.Itoa(d.Year)
}

// stepView is one step of a newcomer's scenario on the detail page.
type stepView struct {
	ID     string
	Title  string
	Action string
	State  string // done, current, upcoming
}

type eventView struct {
	At    string
	Step  string
	Kind  string
	Value string
}

type onboardingDetailData struct {
	Employee  *staffbot.Employee
	Newcomer  newcomerRow
	Status    string
	Milestone []milestoneView
	Steps     []stepView
	Events    []eventView
	Done      []taskView
	CanNudge  bool
	Back      string
}

type milestoneView struct {
	Title   string
	Reached bool
}

// onboardingDetail shows one newcomer's onboarding: milestones, the step
// reached, the history and the tasks of the manager, mentor and HR.
func (s *Server) onboardingDetail(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	p := current(r).Principal
	emp, err := s.auth.Employee(r.Context(), p, staffbot.EmployeeID(id))
	if err != nil {
		s.failFor(w, r, err)
		return
	}
	v := s.newView(r, "onb.detail")
	v.Title = tr(v.Lang, "onb.detail") + ": " + emp.FullName
	st := s.auth.Store()
	def := s.onboardingDef(r.Context(), p.CompanyID)
	list, _, err := st.FindNewcomers(r.Context(), p.CompanyID, store.NewcomerFilter{
		Scenario: s.onboardingScenario(r.Context(), p.CompanyID), EmployeeID: emp.ID, Scope: p.Scope(),
	}, s.clock.Now())
	if err != nil || len(list) != 1 {
		s.failFor(w, r, fmt.Errorf("newcomer %d: %w", id, errors.Join(err, staffbot.ErrNotFound)))
		return
	}
	rows, _, err := s.newcomerRows(r, v.Lang, v.Company, def, list)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	n := list[0]
	d := onboardingDetailData{Employee: emp, Newcomer: rows[0], Status: n.Status, CanNudge: p.Can(auth.PermEmployeesWrite),
		Back: r.URL.RequestURI()}
	for _, m := range markNames(def) {
		d.Milestone = append(d.Milestone, milestoneView{Title: markTitle(v.Lang, m), Reached: slices.Contains(n.Marks, m)})
	}
	if def != nil {
		state := "done"
		if n.Run == nil {
			state = "upcoming"
		}
		for _, step := range def.Steps {
			if n.Run != nil && step.ID == n.Run.Step && n.Run.State != store.RunDone {
				state = "current"
			}
			d.Steps = append(d.Steps, stepView{ID: step.ID, Title: stepTitle(v.Lang, def, step.ID), Action: step.Action(), State: state})
			if state == "current" {
				state = "upcoming"
			}
		}
	}
	if n.Run != nil {
		events, err := st.FindRunEvents(r.Context(), p.CompanyID, n.Run.ID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		loc := v.Company.Location()
		for i := len(events) - 1; i >= 0; i-- {
			ev := events[i]
			val := ev.Value
			if ev.Kind == store.EventMark {
				val = markTitle(v.Lang, ev.Name)
			}
			d.Events = append(d.Events, eventView{At: ev.At.In(loc).Format("02.01.2006 15:04"), Step: ev.Step,
				Kind: tr(v.Lang, "onb.event."+ev.Kind), Value: val})
		}
		tasks, err := st.FindTasks(r.Context(), p.CompanyID, store.TaskFilter{SubjectID: emp.ID, Status: store.TaskDone})
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		for _, tk := range tasks {
			d.Done = append(d.Done, taskView{ID: tk.ID, RoleName: tr(v.Lang, "onb.role."+tk.Role), Title: tk.Title,
				Since: tk.CreatedAt.In(loc).Format("02.01.2006")})
		}
	}
	switch r.URL.Query().Get("m") {
	case "nudged":
		v.Notice = v.T("onb.nudged")
	case "unreachable":
		v.Error = v.T("onb.unreachable")
	case "gone":
		v.Error = v.T("onb.task_gone")
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "onboarding_detail", v)
}

// nudge reminds a newcomer's manager or mentor of an open task, in the
// bot: the message goes through the outbox like any other.
func (s *Server) nudge(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	p := current(r).Principal
	emp, err := s.auth.Employee(r.Context(), p, staffbot.EmployeeID(id))
	if err != nil {
		s.failFor(w, r, err)
		return
	}
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/hr/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/hr/employees/" + strconv.FormatInt(id, 10) + "/onboarding"
	}
	redirect := func(m string) {
		sep := "?"
		if strings.Contains(back, "?") {
			sep = "&"
		}
		// Drop an earlier notice from the page the form was on.
		back = strings.NewReplacer("&m=nudged", "", "&m=unreachable", "", "&m=gone", "",
			"?m=nudged", "?", "?m=unreachable", "?", "?m=gone", "?").Replace(back)
		http.Redirect(w, r, back+sep+"m="+m, http.StatusSeeOther)
	}

	st := s.auth.Store()
	taskID, _ := strconv.ParseInt(r.PostFormValue("task"), 10, 64)
	tk, err := st.FindTask(r.Context(), p.CompanyID, taskID)
	if errors.Is(err, staffbot.ErrNotFound) || (err == nil && (tk.SubjectID != emp.ID || tk.Status != store.TaskOpen)) {
		// The task was done meanwhile, or the form named no task of
		// this newcomer.
		redirect("gone")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	to := tk.AssigneeID
	switch {
	case to != nil:
	case tk.Role == scenario.RoleManager:
		to = emp.ManagerID
	case tk.Role == scenario.RoleMentor:
		to = emp.MentorID
	}
	if to == nil {
		redirect("unreachable")
		return
	}

	msg := channel.Outgoing{Text: fmt.Sprintf(tr(locale.RU, "onb.nudge.text"), emp.FullName, tk.Title)}
	if tk.AssigneeID != nil && *tk.AssigneeID == *to {
		// The engine's own button marks the task done when its assignee
		// presses it.
		msg.Buttons = [][]channel.Button{{{Text: tr(locale.RU, "onb.nudge.done"), Data: "t:" + strconv.FormatInt(tk.ID, 10)}}}
	}
	now := s.clock.Now()
	ctx := actorContext(r.Context(), p)
	var reached int
	err = st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		reached, err = tx.EnqueueToEmployee(ctx, p.CompanyID, *to, msg, now)
		if err != nil || reached == 0 {
			return err
		}
		subject := emp.ID
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: p.CompanyID, At: now, Action: "onboarding.nudge", ObjectType: "task",
			ObjectID: strconv.FormatInt(tk.ID, 10), SubjectID: &subject,
			After: []byte(fmt.Sprintf(`{"role":%q,"recipient_id":%d}`, tk.Role, *to)),
		})
	})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if reached == 0 {
		redirect("unreachable")
		return
	}
	redirect("nudged")
}
