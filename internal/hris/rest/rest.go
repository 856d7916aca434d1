// Package rest is a generic connector for any HR or accounting system with
// a JSON HTTP API. A company describes the API in a Mapping: URL templates
// for the staff list, the status check and the optional self-service
// actions, where in the JSON the records are, and which JSON field holds
// each employee field.
package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/hris/successfactors"
)

// Mapping describes an API. It is stored as JSON with the connector.
//
// URL templates take {base} (the connector's URL without a trailing
// slash) and the placeholders each endpoint lists; values are
// percent-encoded. Paths into JSON are dotted: "data.items", "job.title",
// "phones.0"; an empty path is the whole body.
type Mapping struct {
	Employees       ListEndpoint `json:"employees"`
	Status          *Endpoint    `json:"status,omitempty"`
	VacationBalance *Endpoint    `json:"vacation_balance,omitempty"`
	Payslip         *Endpoint    `json:"payslip,omitempty"`
	Certificate     *Endpoint    `json:"certificate,omitempty"`
	Fields          Fields       `json:"fields"`

	// DateFormats are Go layouts tried in order for date fields, after
	// the built-in 2006-01-02, RFC 3339, 1C's 2006-01-02T15:04:05,
	// 02.01.2006 and /Date(ms)/.
	DateFormats []string `json:"date_formats,omitempty"`
}

// ListEndpoint reads the staff list. Paging: with Next, the URL found at
// that path is followed until it is empty; with {page} or {offset} in the
// URL, pages are requested until one comes back empty.
type ListEndpoint struct {
	URL       string `json:"url"`   // {base} {page} {offset} {limit}
	Items     string `json:"items"` // path to the array of records
	Next      string `json:"next,omitempty"`
	PageSize  int    `json:"page_size,omitempty"`  // {limit}; default 100
	FirstPage int    `json:"first_page,omitempty"` // {page} of the first page; default 1
}

// Endpoint is one request about one employee.
type Endpoint struct {
	// URL takes {base} and {number}; vacation_balance {date}; payslip
	// {month}; certificate {kind} {year} {purpose} {copies}.
	URL    string `json:"url"`
	Method string `json:"method,omitempty"` // GET (default) or POST

	// Item is the path to the employee record in a status reply.
	Item string `json:"item,omitempty"`
	// Days is the path to the number of days in a vacation balance reply.
	Days string `json:"days,omitempty"`
}

// Fields maps employee fields to paths inside a record. PersonnelNumber and
// either FullName or LastName are required.
type Fields struct {
	PersonnelNumber string `json:"personnel_number"`
	FullName        string `json:"full_name,omitempty"`
	LastName        string `json:"last_name,omitempty"`
	FirstName       string `json:"first_name,omitempty"`
	MiddleName      string `json:"middle_name,omitempty"`
	Position        string `json:"position,omitempty"`
	Department      string `json:"department,omitempty"`
	Office          string `json:"office,omitempty"`
	Phone           string `json:"phone,omitempty"`
	Email           string `json:"email,omitempty"`
	HiredOn         string `json:"hired_on,omitempty"`
	DismissedOn     string `json:"dismissed_on,omitempty"`
	Manager         string `json:"manager,omitempty"` // the manager's personnel number

	// Active is a flag; false (or "0", "no", "inactive") excludes the
	// record as inactive.
	Active string `json:"active,omitempty"`
}

var placeholderRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// ParseMapping reads and validates a mapping.
func ParseMapping(b []byte) (Mapping, error) {
	var m Mapping
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Mapping{}, fmt.Errorf("REST mapping: %v: %w", err, staffbot.ErrInvalid)
	}
	return m, m.Validate()
}

// Validate reports every problem of the mapping at once.
func (m Mapping) Validate() error {
	var problems []string
	check := func(name, tmpl string, allowed ...string) {
		if tmpl == "" {
			problems = append(problems, name+".url is required")
			return
		}
		for _, p := range placeholderRE.FindAllStringSubmatch(tmpl, -1) {
			if p[1] != "base" && !slices.Contains(allowed, p[1]) {
				problems = append(problems, fmt.Sprintf("%s.url: unknown placeholder {%s}", name, p[1]))
			}
		}
	}
	check("employees", m.Employees.URL, "page", "offset", "limit")
	if m.Employees.PageSize < 0 {
		problems = append(problems, "employees.page_size must not be negative")
	}
	for _, e := range []struct {
		name    string
		ep      *Endpoint
		allowed []string
	}{
		{"status", m.Status, []string{"number"}},
		{"vacation_balance", m.VacationBalance, []string{"number", "date"}},
		{"payslip", m.Payslip, []string{"number", "month"}},
		{"certificate", m.Certificate, []string{"number", "kind", "year", "purpose", "copies"}},
	} {
		if e.ep == nil {
			continue
		}
		check(e.name, e.ep.URL, e.allowed...)
		if meth := strings.ToUpper(e.ep.Method); meth != "" && meth != http.MethodGet && meth != http.MethodPost {
			problems = append(problems, e.name+".method must be GET or POST")
		}
	}
	if m.VacationBalance != nil && m.VacationBalance.Days == "" {
		problems = append(problems, "vacation_balance.days is required")
	}
	if m.Fields.PersonnelNumber == "" {
		problems = append(problems, "fields.personnel_number is required")
	}
	if m.Fields.FullName == "" && m.Fields.LastName == "" {
		problems = append(problems, "fields.full_name or fields.last_name is required")
	}
	if len(problems) > 0 {
		return fmt.Errorf("REST mapping: %s: %w", strings.Join(problems, "; "), staffbot.ErrInvalid)
	}
	return nil
}

// Config is how to reach the API.
type Config struct {
	URL         string
	Credentials hris.Credentials
	Mapping     Mapping
	Timeout     time.Duration // per request; default 30 seconds
	HTTPClient  *http.Client
}

// Client is a REST connector. It implements hris.Connector.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client
}

var _ hris.Connector = (*Client)(nil)

// New validates cfg and returns a client. It makes no request.
func New(cfg Config) (*Client, error) {
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("REST API URL %q: want http(s)://host/…: %w", cfg.URL, staffbot.ErrInvalid)
	}
	if err := cfg.Mapping.Validate(); err != nil {
		return nil, err
	}
	if cfg.Mapping.Employees.PageSize == 0 {
		cfg.Mapping.Employees.PageSize = 100
	}
	if cfg.Mapping.Employees.FirstPage == 0 && strings.Contains(cfg.Mapping.Employees.URL, "{page}") {
		cfg.Mapping.Employees.FirstPage = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	return &Client{cfg: cfg, base: u, hc: hc}, nil
}

// Kind reports hris.KindREST.
func (c *Client) Kind() hris.Kind { return hris.KindREST }

// Supports reports the staff list and status always (status scans the
// list when no status endpoint is set), and each action whose endpoint is.
func (c *Client) Supports(a hris.Action) bool {
	m := c.cfg.Mapping
	switch a {
	case hris.ActionListEmployees, hris.ActionStatus:
		return true
	case hris.ActionVacationBalance:
		return m.VacationBalance != nil
	case hris.ActionPayslip:
		return m.Payslip != nil
	case hris.ActionCertificate:
		return m.Certificate != nil
	}
	return false
}

// Check reads the first page of the staff list.
func (c *Client) Check(ctx context.Context) error {
	_, _, err := c.page(ctx, c.listURL(c.cfg.Mapping.Employees.FirstPage, 0))
	return err
}

const maxPages = 100_000

// ListEmployees pages through the staff list.
func (c *Client) ListEmployees(ctx context.Context) ([]hris.Person, error) {
	ep := c.cfg.Mapping.Employees
	paged := strings.Contains(ep.URL, "{page}") || strings.Contains(ep.URL, "{offset}")
	var out []hris.Person
	seen := map[string]bool{}
	next := c.listURL(ep.FirstPage, 0)
	visited := map[string]bool{}
	offset := 0
	for n := 0; next != ""; n++ {
		if n >= maxPages || visited[next] {
			return nil, hris.ProtocolError("read employees", "paging does not end")
		}
		visited[next] = true
		items, body, err := c.page(ctx, next)
		if err != nil {
			return nil, err
		}
		fresh := 0
		for _, it := range items {
			p, err := c.person(it)
			if err != nil {
				return nil, err
			}
			if p.PersonnelNumber == "" || seen[p.PersonnelNumber] {
				continue
			}
			seen[p.PersonnelNumber] = true
			out = append(out, p)
			fresh++
		}
		hris.ReportProgress(ctx, "employees", len(out), 0)

		switch {
		case ep.Next != "":
			next, err = c.nextURL(next, text(lookup(body, ep.Next)))
			if err != nil {
				return nil, err
			}
		case paged && fresh > 0:
			// Only an empty page (or one of records already seen, from an
			// API that repeats its last page) ends the list: an API may
			// cap pages below page_size, so a short page proves nothing.
			offset += len(items)
			next = c.listURL(ep.FirstPage+n+1, offset)
		default:
			next = ""
		}
	}
	return out, nil
}

func (c *Client) listURL(page, offset int) string {
	return c.expand(c.cfg.Mapping.Employees.URL, map[string]string{
		"page": strconv.Itoa(page), "offset": strconv.Itoa(offset),
		"limit": strconv.Itoa(c.cfg.Mapping.Employees.PageSize)})
}

// nextURL resolves a next link against the current page and refuses one
// to another host.
func (c *Client) nextURL(current, next string) (string, error) {
	if next == "" {
		return "", nil
	}
	cur, _ := url.Parse(current)
	n, err := cur.Parse(next)
	if err != nil || !hris.SameOrigin(c.base, n) {
		return "", hris.ProtocolError("read employees", "next link points to another server")
	}
	return n.String(), nil
}

func (c *Client) page(ctx context.Context, u string) ([]any, any, error) {
	const op = "read employees"
	body, err := c.getJSON(ctx, http.MethodGet, u, op)
	if err != nil {
		return nil, nil, err
	}
	items, ok := lookup(body, c.cfg.Mapping.Employees.Items).([]any)
	if !ok {
		return nil, nil, hris.ProtocolError(op, fmt.Sprintf("no array at %q", c.cfg.Mapping.Employees.Items))
	}
	return items, body, nil
}

// Status reads the status endpoint, or scans the list without one.
func (c *Client) Status(ctx context.Context, personnelNumber string) (hris.Status, error) {
	ep := c.cfg.Mapping.Status
	if ep == nil {
		people, err := c.ListEmployees(ctx)
		if err != nil {
			return hris.Status{}, err
		}
		for _, p := range people {
			if p.PersonnelNumber == personnelNumber {
				return statusOf(p), nil
			}
		}
		return hris.Status{}, fmt.Errorf("employee %s: %w", personnelNumber, hris.ErrNotFound)
	}
	const op = "read status"
	body, err := c.getJSON(ctx, ep.method(), c.expand(ep.URL, map[string]string{"number": personnelNumber}), op)
	if err != nil {
		if errors.Is(err, hris.ErrNotPublished) {
			// A 404 for one record is an unknown employee.
			return hris.Status{}, fmt.Errorf("employee %s: %w", personnelNumber, hris.ErrNotFound)
		}
		return hris.Status{}, err
	}
	item := lookup(body, ep.Item)
	if item == nil {
		return hris.Status{}, fmt.Errorf("employee %s: %w", personnelNumber, hris.ErrNotFound)
	}
	p, err := c.person(item)
	if err != nil {
		return hris.Status{}, err
	}
	return statusOf(p), nil
}

func statusOf(p hris.Person) hris.Status {
	return hris.Status{PersonnelNumber: p.PersonnelNumber, HiredOn: p.HiredOn, DismissedOn: p.DismissedOn, Excluded: p.Excluded}
}

// VacationBalance reads the number of days at the configured path.
func (c *Client) VacationBalance(ctx context.Context, personnelNumber string, on staffbot.Date) (hris.VacationBalance, error) {
	ep := c.cfg.Mapping.VacationBalance
	if ep == nil {
		return hris.VacationBalance{}, fmt.Errorf("vacation balance: %w", hris.ErrUnsupported)
	}
	const op = "read vacation balance"
	body, err := c.getJSON(ctx, ep.method(), c.expand(ep.URL, map[string]string{"number": personnelNumber, "date": on.String()}), op)
	if err != nil {
		return hris.VacationBalance{}, notFoundOn404(err)
	}
	days, err := strconv.ParseFloat(text(lookup(body, ep.Days)), 64)
	if err != nil {
		return hris.VacationBalance{}, hris.ProtocolError(op, fmt.Sprintf("no number at %q", ep.Days))
	}
	return hris.VacationBalance{On: on, Days: days}, nil
}

// Payslip fetches the payslip file.
func (c *Client) Payslip(ctx context.Context, personnelNumber string, month hris.Month) (*hris.Payslip, error) {
	ep := c.cfg.Mapping.Payslip
	if ep == nil {
		return nil, fmt.Errorf("payslip: %w", hris.ErrUnsupported)
	}
	doc, err := c.file(ctx, ep, map[string]string{"number": personnelNumber, "month": month.String()}, "read payslip",
		"Расчетный листок "+month.String()+".pdf")
	if err != nil {
		return nil, err
	}
	return &hris.Payslip{Month: month, File: doc}, nil
}

// Certificate fetches a certificate file.
func (c *Client) Certificate(ctx context.Context, personnelNumber string, kind hris.CertificateKind, p hris.CertificateParams) (*hris.Document, error) {
	ep := c.cfg.Mapping.Certificate
	if ep == nil {
		return nil, fmt.Errorf("certificate: %w", hris.ErrUnsupported)
	}
	vars := map[string]string{"number": personnelNumber, "kind": string(kind), "purpose": p.Purpose,
		"copies": strconv.Itoa(max(p.Copies, 1)), "year": strconv.Itoa(p.Year)}
	return c.file(ctx, ep, vars, "read certificate", "Справка "+string(kind)+".pdf")
}

func (c *Client) file(ctx context.Context, ep *Endpoint, vars map[string]string, op, name string) (*hris.Document, error) {
	req, err := http.NewRequestWithContext(ctx, ep.method(), c.expand(ep.URL, vars), nil)
	if err != nil {
		return nil, hris.ProtocolError(op, "bad URL")
	}
	resp, err := hris.Do(ctx, c.hc, req, c.cfg.Credentials, op)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, notFoundOn404(hris.StatusError(op, resp.Status, ""))
	}
	ct := resp.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "text/") || len(resp.Body) == 0 {
		return nil, hris.ProtocolError(op, "want a file, got "+ct)
	}
	return &hris.Document{Name: name, ContentType: ct, Body: resp.Body}, nil
}

func notFoundOn404(err error) error {
	var e *hris.Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound {
		e.Kind = hris.ErrNotFound
	}
	return err
}

func (ep *Endpoint) method() string {
	if m := strings.ToUpper(ep.Method); m != "" {
		return m
	}
	return http.MethodGet
}

func (c *Client) getJSON(ctx context.Context, method, u, op string) (any, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, hris.ProtocolError(op, "bad URL")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hris.Do(ctx, c.hc, req, c.cfg.Credentials, op)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, hris.StatusError(op, resp.Status, "")
	}
	var body any
	dec := json.NewDecoder(strings.NewReader(string(resp.Body)))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil && err != io.EOF {
		return nil, hris.ProtocolError(op, "answer is not JSON")
	}
	return body, nil
}

// expand fills a URL template. {base} is the connector URL; {number} is
// escaped as a path segment, other values as query values.
func (c *Client) expand(tmpl string, vars map[string]string) string {
	return placeholderRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[1 : len(m)-1]
		switch name {
		case "base":
			return c.cfg.URL
		case "number":
			return url.PathEscape(vars[name])
		}
		return hris.EscapeQuery(vars[name])
	})
}

func (c *Client) person(item any) (hris.Person, error) {
	const op = "read employees"
	f := c.cfg.Mapping.Fields
	get := func(path string) string {
		if path == "" {
			return ""
		}
		return strings.TrimSpace(text(lookup(item, path)))
	}
	p := hris.Person{
		PersonnelNumber: get(f.PersonnelNumber),
		FullName:        get(f.FullName),
		Position:        get(f.Position),
		Department:      get(f.Department),
		Office:          get(f.Office),
		Phone:           get(f.Phone),
		Email:           get(f.Email),
		ManagerNumber:   get(f.Manager),
	}
	p.ExternalID = p.PersonnelNumber
	if p.FullName == "" {
		p.FullName = strings.Join(strings.Fields(get(f.LastName)+" "+get(f.FirstName)+" "+get(f.MiddleName)), " ")
	}
	hired, err := c.date(get(f.HiredOn))
	if err != nil {
		return p, hris.ProtocolError(op, fmt.Sprintf("employee %s hire date not understood", p.PersonnelNumber))
	}
	if hired != nil {
		p.HiredOn = *hired
	}
	if p.DismissedOn, err = c.date(get(f.DismissedOn)); err != nil {
		return p, hris.ProtocolError(op, fmt.Sprintf("employee %s dismissal date not understood", p.PersonnelNumber))
	}
	if f.Active != "" {
		switch strings.ToLower(get(f.Active)) {
		case "false", "0", "no", "n", "f", "inactive":
			p.Excluded = hris.ExcludedInactive
		}
	}
	return p, nil
}

// date reads a date in any of the accepted forms. Empty values, 1C's
// empty date and the open end 9999-12-31 are nil.
func (c *Client) date(s string) (*staffbot.Date, error) {
	if s == "" {
		return nil, nil
	}
	if strings.HasPrefix(s, "/Date(") {
		d, err := successfactors.ParseDateTime(s)
		if err != nil {
			return nil, err
		}
		return d.Date(), nil
	}
	layouts := append([]string{time.DateOnly, time.RFC3339, "2006-01-02T15:04:05", "02.01.2006"}, c.cfg.Mapping.DateFormats...)
	for _, l := range layouts {
		t, err := time.Parse(l, s)
		if err != nil {
			continue
		}
		if t.Year() <= 1 || t.Year() == 9999 {
			return nil, nil
		}
		d := staffbot.DateOf(t)
		return &d, nil
	}
	return nil, fmt.Errorf("date %q: %w", s, staffbot.ErrInvalid)
}

// lookup follows a dotted path through decoded JSON.
func lookup(v any, path string) any {
	if path == "" {
		return v
	}
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// text renders a JSON scalar as a string; objects and arrays are "".
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}
