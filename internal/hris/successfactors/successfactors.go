// Package successfactors connects staffbot to SAP SuccessFactors Employee
// Central through its OData v2 API (/odata/v2/, JSON in the d.results
// envelope, /Date(…)/ dates, server-side paging through __next) for the
// employee sync and live status checks. It authenticates with HTTP Basic
// (username@companyId, being retired by SAP) or with a bearer token
// obtained elsewhere.
package successfactors

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
)

// APIPath is where the OData v2 API lives on the API server.
const APIPath = "/odata/v2/"

// userStatuses lists every User status. A User query without a status
// filter returns active users only, and dismissed ones would never be
// seen. (verify against the tenant's data dictionary)
const userStatuses = "status in 't','f','T','F','e','d'"

// Config is how to reach one SuccessFactors tenant.
type Config struct {
	// URL is the API server, such as https://api4.successfactors.com.
	URL         string
	Credentials hris.Credentials

	// PageSize is customPageSize, at most 1000. Default 1000.
	PageSize int

	// Timeout bounds each request. Default 60 seconds.
	Timeout time.Duration

	// HTTPClient, when set, is used instead of a client of its own. Give
	// it a cookie jar so that pages share a session.
	HTTPClient *http.Client
}

// Client is a SuccessFactors connector. It implements hris.Connector; the
// self-service actions are not supported.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client
}

var _ hris.Connector = (*Client)(nil)

// New checks cfg and returns a client. It makes no request.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("SuccessFactors API URL %q: want https://api-server: %w", cfg.URL, staffbot.ErrInvalid)
	}
	if cfg.PageSize <= 0 || cfg.PageSize > 1000 {
		cfg.PageSize = 1000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	hc := cfg.HTTPClient
	if hc == nil {
		jar, _ := cookiejar.New(nil)
		hc = &http.Client{Timeout: cfg.Timeout, Jar: jar}
	}
	return &Client{cfg: cfg, base: u, hc: hc}, nil
}

// Kind reports hris.KindSuccessFactors.
func (c *Client) Kind() hris.Kind { return hris.KindSuccessFactors }

// Supports reports the staff list and the status check.
func (c *Client) Supports(a hris.Action) bool {
	return a == hris.ActionListEmployees || a == hris.ActionStatus
}

// Check reads one user id.
func (c *Client) Check(ctx context.Context) error {
	return c.each(ctx, "User", []string{"$select", "userId", "$top", "1"}, false, func(json.RawMessage) error { return nil })
}

type user struct {
	UserID     string   `json:"userId"`
	FirstName  string   `json:"firstName"`
	LastName   string   `json:"lastName"`
	MiddleName string   `json:"mi"`
	Email      string   `json:"email"`
	Status     string   `json:"status"`
	HireDate   DateTime `json:"hireDate"`
	Department string   `json:"department"`
	Title      string   `json:"title"`
	Location   string   `json:"location"`
}

var userFields = "userId,firstName,lastName,mi,email,status,hireDate,department,title,location"

type employment struct {
	UserID    string   `json:"userId"`
	StartDate DateTime `json:"startDate"`
	EndDate   DateTime `json:"endDate"`
}

var employmentFields = "personIdExternal,userId,startDate,endDate"

type job struct {
	UserID    string `json:"userId"`
	JobTitle  string `json:"jobTitle"`
	ManagerID string `json:"managerId"`
}

var jobFields = "userId,startDate,jobTitle,department,managerId"

// ListEmployees reads every User (active and inactive), the employments
// for hire and end dates, and today's job records for titles and managers.
func (c *Client) ListEmployees(ctx context.Context) ([]hris.Person, error) {
	var users []user
	err := c.each(ctx, "User", []string{"$select", userFields, "$filter", userStatuses}, true, func(raw json.RawMessage) error {
		var u user
		err := json.Unmarshal(raw, &u)
		users = append(users, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	emps := map[string]employment{}
	err = c.each(ctx, "EmpEmployment", []string{"$select", employmentFields}, true, func(raw json.RawMessage) error {
		var e employment
		if err := json.Unmarshal(raw, &e); err != nil {
			return err
		}
		// Of several employments of one user (a rehire) the latest counts.
		if old, ok := emps[e.UserID]; !ok || old.StartDate.Time.Before(e.StartDate.Time) {
			emps[e.UserID] = e
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	jobs := map[string]job{}
	err = c.each(ctx, "EmpJob", []string{"$select", jobFields}, true, func(raw json.RawMessage) error {
		var j job
		err := json.Unmarshal(raw, &j)
		jobs[j.UserID] = j
		return err
	})
	if err != nil {
		return nil, err
	}

	seen := map[string]bool{}
	out := make([]hris.Person, 0, len(users))
	for _, u := range users {
		if u.UserID == "" || seen[u.UserID] {
			continue
		}
		seen[u.UserID] = true
		out = append(out, person(u, emps[u.UserID], jobs[u.UserID]))
	}
	return out, nil
}

func person(u user, e employment, j job) hris.Person {
	p := hris.Person{
		PersonnelNumber: u.UserID,
		ExternalID:      u.UserID,
		FullName:        strings.Join(strings.Fields(u.LastName+" "+u.FirstName+" "+u.MiddleName), " "),
		Position:        u.Title,
		Department:      u.Department,
		Office:          u.Location,
		Email:           u.Email,
		DismissedOn:     e.EndDate.Date(),
	}
	if p.Position == "" {
		p.Position = j.JobTitle
	}
	if d := e.StartDate.Date(); d != nil {
		p.HiredOn = *d
	} else if d := u.HireDate.Date(); d != nil {
		p.HiredOn = *d
	}
	if j.ManagerID != "" && j.ManagerID != "NO_MANAGER" {
		p.ManagerNumber = j.ManagerID
	}
	if (u.Status == "f" || u.Status == "F" || u.Status == "d") && p.DismissedOn == nil {
		p.Excluded = hris.ExcludedInactive
	}
	return p
}

// Status reads the user and their employment: two requests.
func (c *Client) Status(ctx context.Context, personnelNumber string) (hris.Status, error) {
	lit := "'" + strings.ReplaceAll(personnelNumber, "'", "''") + "'"
	var users []user
	err := c.each(ctx, "User", []string{
		"$select", "userId,status,hireDate",
		"$filter", "userId eq " + lit + " and " + userStatuses,
	}, false, func(raw json.RawMessage) error {
		var u user
		err := json.Unmarshal(raw, &u)
		users = append(users, u)
		return err
	})
	if err != nil {
		return hris.Status{}, err
	}
	if len(users) == 0 {
		return hris.Status{}, fmt.Errorf("SuccessFactors user %s: %w", personnelNumber, hris.ErrNotFound)
	}
	var emp employment
	err = c.each(ctx, "EmpEmployment", []string{
		"$select", employmentFields,
		"$filter", "userId eq " + lit,
	}, false, func(raw json.RawMessage) error {
		var e employment
		if err := json.Unmarshal(raw, &e); err != nil {
			return err
		}
		if emp.UserID == "" || emp.StartDate.Time.Before(e.StartDate.Time) {
			emp = e
		}
		return nil
	})
	if err != nil {
		return hris.Status{}, err
	}
	p := person(users[0], emp, job{})
	return hris.Status{PersonnelNumber: p.PersonnelNumber, HiredOn: p.HiredOn, DismissedOn: p.DismissedOn, Excluded: p.Excluded}, nil
}

// VacationBalance is not supported.
func (c *Client) VacationBalance(context.Context, string, staffbot.Date) (hris.VacationBalance, error) {
	return hris.VacationBalance{}, fmt.Errorf("SuccessFactors vacation balance: %w", hris.ErrUnsupported)
}

// Payslip is not supported.
func (c *Client) Payslip(context.Context, string, hris.Month) (*hris.Payslip, error) {
	return nil, fmt.Errorf("SuccessFactors payslip: %w", hris.ErrUnsupported)
}

// Certificate is not supported.
func (c *Client) Certificate(context.Context, string, hris.CertificateKind, hris.CertificateParams) (*hris.Document, error) {
	return nil, fmt.Errorf("SuccessFactors certificate: %w", hris.ErrUnsupported)
}

// page is the d envelope of a collection.
type page struct {
	D *struct {
		Results []json.RawMessage `json:"results"`
		Next    string            `json:"__next"`
		Count   string            `json:"__count"`
	} `json:"d"`
}

// each requests a collection and hands every record to fn. With paged set
// it asks for server-side paging and follows __next verbatim until it
// disappears [case 33]; a next link to another host is refused.
func (c *Client) each(ctx context.Context, entity string, opts []string, paged bool, fn func(json.RawMessage) error) error {
	op := "read " + entity
	opts = append([]string{"$format", "json"}, opts...)
	if paged {
		opts = append(opts, "customPageSize", strconv.Itoa(c.cfg.PageSize), "paging", "snapshot", "$inlinecount", "allpages")
	}
	next := c.base.String() + APIPath + entity + "?" + hris.EncodeQuery(opts...)
	done, total := 0, 0
	seen := map[string]bool{}
	for next != "" {
		if seen[next] {
			return hris.ProtocolError(op, "__next repeats a page")
		}
		seen[next] = true
		nu, err := url.Parse(next)
		if err != nil || !hris.SameOrigin(c.base, nu) {
			return hris.ProtocolError(op, "__next points to another server")
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			return hris.ProtocolError(op, "bad __next link")
		}
		req.Header.Set("Accept", "application/json")
		resp, err := hris.Do(ctx, c.hc, req, c.cfg.Credentials, op)
		if err != nil {
			return err
		}
		if resp.Status != http.StatusOK {
			return hris.StatusError(op, resp.Status, errorCode(resp.Body))
		}
		var p page
		if err := json.Unmarshal(resp.Body, &p); err != nil || p.D == nil {
			return hris.ProtocolError(op, "not an OData v2 JSON collection (d.results)")
		}
		if p.D.Count != "" {
			total, _ = strconv.Atoi(p.D.Count)
		}
		for _, raw := range p.D.Results {
			if err := fn(raw); err != nil {
				return hris.ProtocolError(op, "record not understood")
			}
		}
		done += len(p.D.Results)
		hris.ReportProgress(ctx, entity, done, total)
		next = p.D.Next
	}
	return nil
}

// errorCode returns the code of an {"error": …} body; the message is
// dropped, since it may quote personal data.
func errorCode(body []byte) string {
	var e struct {
		Error *struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == nil {
		return ""
	}
	return e.Error.Code
}
