// Package onec connects staffbot to 1C:ZUP through the standard OData
// interface of a published infobase (/odata/standard.odata/, OData v3,
// JSON) for the staff list and status checks, and through a small HTTP
// service the company's 1C developer publishes for vacation balances,
// payslips and certificates (docs/1c-http-service.md).
package onec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
)

// Entity sets of ZUP 3 the connector reads. They must be in the infobase's
// standard OData composition; a missing one answers 404 (ErrNotPublished).
const (
	EntityEmployees   = "Catalog_Сотрудники"
	EntityHRData      = "InformationRegister_ТекущиеКадровыеДанныеСотрудников"
	EntityPositions   = "Catalog_Должности"
	EntityDepartments = "Catalog_ПодразделенияОрганизаций"
)

// ODataPath is where a publication serves the standard OData interface.
const ODataPath = "odata/standard.odata/"

// Config is how to reach one infobase.
type Config struct {
	// URL is the web publication, such as http://1c.corp.example/zup.
	URL         string
	Credentials hris.Credentials

	// ServicePath is the root of the staffbot HTTP service under the
	// publication, such as "hs/staffbot/v1". Empty: the company has not
	// published it, and the self-service actions are unsupported.
	ServicePath string

	// DepartmentCatalog is the catalog of departments; some setups use
	// Catalog_СтруктураПредприятия. Default Catalog_ПодразделенияОрганизаций.
	DepartmentCatalog string

	// PageSize is the $top of each page of the staff list. Default 500.
	PageSize int

	// Timeout bounds each request. Default 30 seconds.
	Timeout time.Duration

	// HTTPClient, when set, is used instead of a client of its own, with
	// its own timeout.
	HTTPClient *http.Client
}

// Client is a 1C:ZUP connector. It implements hris.Connector.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client
}

var _ hris.Connector = (*Client)(nil)

// New checks cfg and returns a client. It makes no request.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/") + "/")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("1C publication URL %q: want http(s)://host/publication: %w", cfg.URL, staffbot.ErrInvalid)
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 500
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.DepartmentCatalog == "" {
		cfg.DepartmentCatalog = EntityDepartments
	}
	cfg.ServicePath = strings.Trim(cfg.ServicePath, "/")
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	return &Client{cfg: cfg, base: u, hc: hc}, nil
}

// Kind reports hris.KindOneC.
func (c *Client) Kind() hris.Kind { return hris.KindOneC }

// Supports reports the staff list and status always, and the self-service
// actions when the HTTP service is configured.
func (c *Client) Supports(a hris.Action) bool {
	switch a {
	case hris.ActionListEmployees, hris.ActionStatus:
		return true
	case hris.ActionVacationBalance, hris.ActionPayslip, hris.ActionCertificate:
		return c.cfg.ServicePath != ""
	}
	return false
}

// Check reads one employee reference, which proves that the publication
// answers, the login is accepted and the staff catalog is published; and
// pings the HTTP service when one is configured.
func (c *Client) Check(ctx context.Context) error {
	if _, _, err := get[named](ctx, c, EntityEmployees, Query{Select: []string{"Ref_Key"}, Top: 1}); err != nil {
		return err
	}
	if c.cfg.ServicePath != "" {
		var pong struct {
			Version string `json:"version"`
		}
		if err := c.service(ctx, http.MethodGet, "ping", nil, nil, &pong); err != nil {
			return err
		}
	}
	return nil
}

// employee is a Catalog_Сотрудники element as selected.
type employee struct {
	RefKey       string `json:"Ref_Key"`
	DeletionMark bool   `json:"DeletionMark"`
	Code         string `json:"Code"`
	Description  string `json:"Description"`
	Archived     bool   `json:"ВАрхиве"`
}

var employeeFields = []string{"Ref_Key", "DataVersion", "DeletionMark", "Code", "Description",
	"ФизическоеЛицо_Key", "ГоловнаяОрганизация_Key", "ВАрхиве"}

// hrData is a record of the current HR data register.
type hrData struct {
	EmployeeKey   string `json:"Сотрудник_Key"`
	HiredOn       string `json:"ДатаПриема"`
	DismissedOn   string `json:"ДатаУвольнения"`
	PositionKey   string `json:"ТекущаяДолжность_Key"`
	DepartmentKey string `json:"ТекущееПодразделение_Key"`
}

var hrDataFields = []string{"Сотрудник_Key", "ДатаПриема", "ДатаУвольнения", "ТекущаяДолжность_Key", "ТекущееПодразделение_Key"}

type named struct {
	RefKey      string `json:"Ref_Key"`
	Description string `json:"Description"`
}

// ListEmployees reads the employee catalog and the current HR data page
// by page, resolves positions and departments, and maps the 1C rules: the
// empty date is no date, the zero GUID is no reference, a deletion mark or
// the archive flag excludes the record.
func (c *Client) ListEmployees(ctx context.Context) ([]hris.Person, error) {
	var emps []employee
	err := readAll(ctx, c, EntityEmployees, employeeFields, "Ref_Key", func(e employee) { emps = append(emps, e) })
	if err != nil {
		return nil, err
	}

	hr := make(map[string]hrData, len(emps))
	err = readAll(ctx, c, EntityHRData, hrDataFields, "Сотрудник_Key", func(d hrData) { hr[d.EmployeeKey] = d })
	if err != nil {
		return nil, err
	}

	positions, err := c.names(ctx, EntityPositions)
	if err != nil {
		return nil, err
	}
	departments, err := c.names(ctx, c.cfg.DepartmentCatalog)
	if err != nil {
		return nil, err
	}

	seen := make(map[string]bool, len(emps))
	out := make([]hris.Person, 0, len(emps))
	for _, e := range emps {
		// $skip paging can hand out a record twice when the catalog
		// changes between pages.
		if seen[e.RefKey] {
			continue
		}
		seen[e.RefKey] = true
		p, err := person(e, hr[e.RefKey], positions, departments)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func person(e employee, d hrData, positions, departments map[string]string) (hris.Person, error) {
	p := hris.Person{
		PersonnelNumber: strings.TrimSpace(e.Code),
		ExternalID:      e.RefKey,
		FullName:        strings.Join(strings.Fields(e.Description), " "),
		Position:        positions[ref(d.PositionKey)],
		Department:      departments[ref(d.DepartmentKey)],
	}
	switch {
	case e.DeletionMark:
		p.Excluded = hris.ExcludedDeleted
	case e.Archived:
		p.Excluded = hris.ExcludedArchived
	}
	hired, err := parseDate(d.HiredOn)
	if err != nil {
		return p, hris.ProtocolError("read "+EntityHRData, "employee "+p.PersonnelNumber+": hire date not understood")
	}
	if hired != nil {
		p.HiredOn = *hired
	}
	if p.DismissedOn, err = parseDate(d.DismissedOn); err != nil {
		return p, hris.ProtocolError("read "+EntityHRData, "employee "+p.PersonnelNumber+": dismissal date not understood")
	}
	return p, nil
}

// ref maps the zero GUID to "", so that an empty reference never looks up
// a real object.
func ref(key string) string {
	if key == EmptyRef {
		return ""
	}
	return key
}

// parseDate reads a 1C date; the empty date and a missing value are nil.
func parseDate(s string) (*staffbot.Date, error) {
	if s == "" || s == EmptyDate {
		return nil, nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return nil, fmt.Errorf("date %q", s)
	}
	d := staffbot.DateOf(t)
	return &d, nil
}

// names reads Ref_Key and Description of a whole catalog.
func (c *Client) names(ctx context.Context, entity string) (map[string]string, error) {
	out := map[string]string{}
	err := readAll(ctx, c, entity, []string{"Ref_Key", "Description"}, "Ref_Key", func(n named) {
		if n.RefKey != EmptyRef {
			out[n.RefKey] = n.Description
		}
	})
	return out, err
}

// Status finds the employee by personnel number and reads the current HR
// data of that one record: two requests.
func (c *Client) Status(ctx context.Context, personnelNumber string) (hris.Status, error) {
	found, _, err := get[employee](ctx, c, EntityEmployees, Query{
		Filter: Eq("Code", String(personnelNumber)),
		Select: []string{"Ref_Key", "DeletionMark", "Code", "ВАрхиве"},
	})
	if err != nil {
		return hris.Status{}, err
	}
	if len(found) == 0 {
		return hris.Status{}, fmt.Errorf("1C employee %s: %w", personnelNumber, hris.ErrNotFound)
	}
	// A duplicate marked for deletion may share the number; the live
	// record wins.
	sort.SliceStable(found, func(i, j int) bool { return !found[i].DeletionMark && found[j].DeletionMark })
	e := found[0]

	data, _, err := get[hrData](ctx, c, EntityHRData, Query{
		Filter: Eq("Сотрудник_Key", GUID(e.RefKey)),
		Select: hrDataFields,
	})
	if err != nil {
		return hris.Status{}, err
	}
	var d hrData
	if len(data) > 0 {
		d = data[0]
	}
	p, err := person(e, d, nil, nil)
	if err != nil {
		return hris.Status{}, err
	}
	return hris.Status{PersonnelNumber: p.PersonnelNumber, HiredOn: p.HiredOn, DismissedOn: p.DismissedOn, Excluded: p.Excluded}, nil
}

// readAll pages through a collection ordered by key with $top/$skip, the
// only paging 1C's standard interface offers, and checks at the end that
// the total it announced on the first page was read.
func readAll[T any](ctx context.Context, c *Client, entity string, fields []string, key string, each func(T)) error {
	total, done := -1, 0
	for skip := 0; ; skip += c.cfg.PageSize {
		page, count, err := get[T](ctx, c, entity, Query{
			Select:      fields,
			OrderBy:     key,
			Top:         c.cfg.PageSize,
			Skip:        skip,
			InlineCount: skip == 0,
		})
		if err != nil {
			return err
		}
		if skip == 0 {
			total = count
		}
		for _, r := range page {
			each(r)
		}
		done += len(page)
		hris.ReportProgress(ctx, entity, done, max(total, 0))
		if len(page) < c.cfg.PageSize {
			break
		}
	}
	if total >= 0 && done != total {
		return &hris.Error{Kind: hris.ErrUnavailable, Op: "read " + entity,
			Cause: fmt.Sprintf("read %d records of %d; the list changed during the read", done, total)}
	}
	return nil
}

// collection is the JSON reply to a collection request.
type collection[T any] struct {
	Count string `json:"odata.count"`
	Value []T    `json:"value"`
}

// get requests a collection and decodes its records in one pass. It
// returns odata.count too, or -1 when the reply has none.
func get[T any](ctx context.Context, c *Client, entity string, q Query) ([]T, int, error) {
	op := "read " + entity
	u := c.base.String() + ODataPath + escapePath(entity) + "?" + q.encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hris.Do(ctx, c.hc, req, c.cfg.Credentials, op)
	if err != nil {
		return nil, 0, err
	}
	if resp.Status != http.StatusOK {
		return nil, 0, hris.StatusError(op, resp.Status, odataErrorCode(resp.Body))
	}
	var coll collection[T]
	if err := json.Unmarshal(resp.Body, &coll); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, 0, hris.ProtocolError(op, "not JSON (is $format=json honoured?)")
		}
		return nil, 0, hris.ProtocolError(op, "records not understood")
	}
	if coll.Value == nil {
		return nil, 0, hris.ProtocolError(op, "not an OData JSON collection: no value array")
	}
	count := -1
	if coll.Count != "" {
		if count, err = strconv.Atoi(coll.Count); err != nil {
			return nil, 0, hris.ProtocolError(op, "odata.count is not a number")
		}
	}
	return coll.Value, count, nil
}

// odataErrorCode returns the code of an {"odata.error": …} body. The
// message is dropped: it may quote personal data.
func odataErrorCode(body []byte) string {
	var e struct {
		Error *struct {
			Code string `json:"code"`
		} `json:"odata.error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == nil {
		return ""
	}
	return e.Error.Code
}
