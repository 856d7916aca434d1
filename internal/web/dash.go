package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/report"
	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/store"
)

// Pages is what the cabinet's working pages need beyond sign-in: the
// dashboards, employees, onboarding, scenarios and settings. Zero fields
// switch the matching feature off.
type Pages struct {
	// Engine lists the scenarios and says which a company runs.
	Engine *scenario.Engine

	// TelegramAPIURL and HTTPClient let the settings page check a bot
	// token with getMe.
	TelegramAPIURL string
	HTTPClient     *http.Client

	// SendMail, when set, also e-mails an invite link to an employee
	// who has an address.
	SendMail func(ctx context.Context, to, subject, body string) error

	// InviteTTL is how long an invite made in the cabinet lasts;
	// staffbot.DefaultInviteTTL when zero.
	InviteTTL time.Duration
}

// formLimit is how large a POST body the route takes: staff files and
// scenario files are uploads; every other form is small.
func formLimit(path string) int64 {
	switch path {
	case importPath:
		return 65 << 20
	case scenarioUploadPath:
		return 2 << 20
	case requestSendPath:
		return securelink.MaxFileSize + 1<<20
	}
	return maxForm
}

func (s *Server) dashRoutes() {
	m := s.mux
	reports := auth.PermReportsRead
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/dashboards", Perm: reports}, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/hr/dashboards/adoption", http.StatusSeeOther)
	})
	for _, d := range report.Dashboards {
		m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/dashboards/" + d.ID, Perm: reports}, s.dashboard(d))
	}
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/dashboards/export", Perm: reports}, s.exportChart)

	s.employeeRoutes()
	s.onboardingRoutes()
	s.settingsRoutes()
	s.auditRoutes()
}

// today is the company's calendar day.
func (s *Server) today(co *staffbot.Company) staffbot.Date {
	loc := time.UTC
	if co != nil {
		loc = co.Location()
	}
	return staffbot.DateOf(s.clock.Now().In(loc))
}

// periodChoices are the periods the filter offers, in days.
var periodChoices = []string{"7", "30", "90", "180", "365"}

// dashFilter is the period and segment a page shows, as chosen in its
// filter form.
type dashFilter struct {
	Period     string
	From, To   staffbot.Date
	Department string
	Office     string

	// Choices for the form.
	Periods     []string
	Departments []string
	Offices     []string
}

// FromValue and ToValue fill the date inputs.
func (f dashFilter) FromValue() string { return f.From.String() }
func (f dashFilter) ToValue() string   { return f.To.String() }

// Values returns the filter as query values.
func (f dashFilter) Values() url.Values {
	v := url.Values{"period": {f.Period}}
	if f.Period == "custom" {
		v.Set("from", f.From.String())
		v.Set("to", f.To.String())
	}
	if f.Department != "" {
		v.Set("department", f.Department)
	}
	if f.Office != "" {
		v.Set("office", f.Office)
	}
	return v
}

// readFilter reads the filter form; a missing or bad period falls back to
// the last defaultDays days.
func (s *Server) readFilter(r *http.Request, co *staffbot.Company, defaultDays int) (dashFilter, error) {
	q := r.URL.Query()
	today := s.today(co)
	f := dashFilter{Period: q.Get("period"), To: today, Department: q.Get("department"), Office: q.Get("office"),
		Periods: periodChoices}
	// The form sends the dates it showed as from0 and to0: dates the user
	// changed make a custom period, with no script needed.
	if f.Period != "custom" && q.Get("from0") != "" && (q.Get("from") != q.Get("from0") || q.Get("to") != q.Get("to0")) {
		f.Period = "custom"
	}
	switch {
	case f.Period == "custom":
		from, err1 := staffbot.ParseDate(q.Get("from"))
		to, err2 := staffbot.ParseDate(q.Get("to"))
		if err1 != nil || err2 != nil || to.Before(from) || from.Before(to.AddDays(-3*366)) {
			f.Period = strconv.Itoa(defaultDays)
			f.From = today.AddDays(-defaultDays + 1)
			return f, errBadPeriod
		}
		f.From, f.To = from, to
	case slices.Contains(periodChoices, f.Period):
		days, _ := strconv.Atoi(f.Period)
		f.From = today.AddDays(-days + 1)
	default:
		f.Period = strconv.Itoa(defaultDays)
		f.From = today.AddDays(-defaultDays + 1)
	}
	var err error
	f.Departments, f.Offices, err = s.auth.Store().Places(r.Context(), co.ID)
	if err != nil {
		return f, err
	}
	p := current(r).Principal
	if len(p.Departments) > 0 {
		f.Departments = intersect(f.Departments, p.Departments)
	}
	if len(p.Offices) > 0 {
		f.Offices = intersect(f.Offices, p.Offices)
	}
	return f, nil
}

var errBadPeriod = errors.New("bad period")

func intersect(list, allowed []string) []string {
	var out []string
	for _, x := range list {
		if slices.Contains(allowed, x) {
			out = append(out, x)
		}
	}
	return out
}

// narrow returns the places a query may count: the chosen one if the
// reader's scope allows it (else one that matches nothing), or the whole
// scope when none is chosen.
func narrow(chosen string, scope []string) []string {
	switch {
	case chosen == "":
		return scope
	case len(scope) == 0 || slices.Contains(scope, chosen):
		return []string{chosen}
	}
	return []string{store.NoMatch}
}

// reportQuery turns a page's filter into the report's query.
func (s *Server) reportQuery(r *http.Request, co *staffbot.Company, f dashFilter, lang locale.Lang) report.Query {
	p := current(r).Principal
	return report.Query{
		CompanyID:   co.ID,
		Location:    co.Location(),
		From:        f.From,
		To:          f.To,
		Departments: narrow(f.Department, p.Departments),
		Offices:     narrow(f.Office, p.Offices),
		Scenario:    s.onboardingScenario(r.Context(), co.ID),
		Lang:        lang,
		Now:         s.clock.Now(),
	}
}

// onboardingScenario is the scenario whose runs onboarding pages follow:
// the company's first registration scenario, "onboarding" by default.
func (s *Server) onboardingScenario(ctx context.Context, companyID staffbot.CompanyID) string {
	if def := s.onboardingDef(ctx, companyID); def != nil {
		return def.ID
	}
	return "onboarding"
}

func (s *Server) onboardingDef(ctx context.Context, companyID staffbot.CompanyID) *scenario.Scenario {
	if s.pages.Engine == nil {
		return nil
	}
	defs, _, err := s.pages.Engine.CompanyScenarios(ctx, companyID)
	if err != nil {
		return nil
	}
	for _, d := range defs {
		if d.Trigger == scenario.TriggerRegistration {
			return d
		}
	}
	return nil
}

// chartView is a chart as a page shows it.
type chartView struct {
	*report.Chart
	SVG    template.HTML
	Rows   []chartRow
	Legend []legendItem
	XLSX   string
	CSV    string
}

type chartRow struct {
	Label  string
	Values []string
}

type legendItem struct {
	Class string
	Name  string
}

func newChartView(c *report.Chart, lang locale.Lang, f dashFilter) *chartView {
	cv := &chartView{Chart: c, SVG: template.HTML(report.SVG(c, lang))}
	for i, label := range c.Labels {
		row := chartRow{Label: label}
		for _, s := range c.Series {
			v := report.FormatNumber(s.Values[i], lang)
			if v == "" {
				v = "—" // no value at this point
			}
			row.Values = append(row.Values, v)
		}
		cv.Rows = append(cv.Rows, row)
	}
	for i, s := range c.Series {
		cv.Legend = append(cv.Legend, legendItem{Class: fmt.Sprintf("s%d", i%6), Name: s.Name})
	}
	q := f.Values()
	q.Set("chart", c.ID)
	q.Set("format", "xlsx")
	cv.XLSX = "/hr/dashboards/export?" + q.Encode()
	q.Set("format", "csv")
	cv.CSV = "/hr/dashboards/export?" + q.Encode()
	return cv
}

// dashTab is a link to a dashboard in the page's tabs.
type dashTab struct {
	ID      string
	URL     string
	Current bool
}

type dashData struct {
	Tab     string
	Tabs    []dashTab
	Filter  dashFilter
	Action  string
	Charts  []*chartView
	Missing bool
}

// defaultDays is the period a dashboard opens with.
func defaultDays(dashboard string) int {
	if dashboard == "onboarding" {
		return 180
	}
	return 30
}

func (s *Server) dashboard(d report.Dashboard) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := s.newView(r, "dash."+d.ID)
		if v.Company == nil {
			s.fail(w, r, http.StatusNotFound)
			return
		}
		f, err := s.readFilter(r, v.Company, defaultDays(d.ID))
		if errors.Is(err, errBadPeriod) {
			v.Error = v.T("dash.bad_period")
		} else if err != nil {
			s.serverError(w, r, err)
			return
		}
		q := s.reportQuery(r, v.Company, f, v.Lang)
		data := dashData{Tab: d.ID, Filter: f, Action: "/hr/dashboards/" + d.ID, Missing: d.ID == "faq"}
		for _, other := range report.Dashboards {
			u := "/hr/dashboards/" + other.ID + "?" + f.Values().Encode()
			data.Tabs = append(data.Tabs, dashTab{ID: other.ID, URL: u, Current: other.ID == d.ID})
		}
		b := report.Builder{Store: s.auth.Store()}
		for _, id := range d.Charts {
			c, err := b.Chart(r.Context(), id, q)
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			data.Charts = append(data.Charts, newChartView(c, v.Lang, f))
		}
		v.Data = data
		s.render(w, r, http.StatusOK, "dash", v)
	}
}

// exportChart downloads one chart's numbers as XLSX or CSV, with the same
// period and segment as the page it was on.
func (s *Server) exportChart(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "app")
	id := r.URL.Query().Get("chart")
	format := r.URL.Query().Get("format")
	if v.Company == nil || !slices.Contains(report.ChartIDs(), id) || (format != "xlsx" && format != "csv") {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	dashboard := "adoption"
	for _, d := range report.Dashboards {
		if slices.Contains(d.Charts, id) {
			dashboard = d.ID
		}
	}
	f, err := s.readFilter(r, v.Company, defaultDays(dashboard))
	if err != nil && !errors.Is(err, errBadPeriod) {
		s.serverError(w, r, err)
		return
	}
	b := report.Builder{Store: s.auth.Store()}
	c, err := b.Chart(r.Context(), id, s.reportQuery(r, v.Company, f, v.Lang))
	if err != nil {
		s.serverError(w, r, err)
		return
	}

	var buf bytes.Buffer
	name := fmt.Sprintf("staffbot-%s-%s-%s.%s", id, f.From, f.To, format)
	if format == "xlsx" {
		err = report.WriteXLSX(&buf, c)
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	} else {
		err = report.WriteCSV(&buf, c, v.Lang)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}
