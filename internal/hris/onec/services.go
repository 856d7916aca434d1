package onec

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
)

// The staffbot HTTP service is a contract between staffbot and the
// company's 1C developer, documented in docs/1c-http-service.md: JSON
// over HTTP with the OData login, under the publication's /hs/ root. This
// file is its client side; onectest implements the server side.

// ServiceVersion is the contract version this client speaks.
const ServiceVersion = "1"

// Error codes of the contract.
const (
	CodeEmployeeNotFound = "employee_not_found"
	CodeNotReady         = "not_ready"
	CodeUnsupported      = "unsupported"
	CodeBadRequest       = "bad_request"
	CodeForbidden        = "forbidden"
)

// ServiceError is the body of a non-200 answer.
type ServiceError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// VacationBalanceReply is the answer of GET employees/{number}/vacation-balance.
type VacationBalanceReply struct {
	Employee string      `json:"employee"`
	Date     string      `json:"date"`
	Days     json.Number `json:"days"`
	Kinds    []struct {
		Name string      `json:"name"`
		Days json.Number `json:"days"`
	} `json:"kinds"`
}

// PayslipReply is the answer of GET employees/{number}/payslip.
type PayslipReply struct {
	Employee string      `json:"employee"`
	Month    string      `json:"month"`
	Accrued  json.Number `json:"accrued"`
	Withheld json.Number `json:"withheld"`
	Paid     json.Number `json:"paid"`
	Lines    []struct {
		Kind   string      `json:"kind"`
		Name   string      `json:"name"`
		Amount json.Number `json:"amount"`
	} `json:"lines"`
	File *FileReply `json:"file"`
}

// CertificateRequest is the body of POST employees/{number}/certificates.
type CertificateRequest struct {
	Kind          string `json:"kind"`
	Purpose       string `json:"purpose,omitempty"`
	Copies        int    `json:"copies"`
	Year          int    `json:"year,omitempty"`
	IncludeSalary bool   `json:"include_salary,omitempty"`
}

// CertificateReply is the answer to a certificate request.
type CertificateReply struct {
	Kind string     `json:"kind"`
	File *FileReply `json:"file"`
}

// FileReply is a file in an answer, its bytes in standard base64.
type FileReply struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        string `json:"data"`
}

// VacationBalance asks the HTTP service for the balance on a day.
func (c *Client) VacationBalance(ctx context.Context, personnelNumber string, on staffbot.Date) (hris.VacationBalance, error) {
	if c.cfg.ServicePath == "" {
		return hris.VacationBalance{}, fmt.Errorf("vacation balance: %w", hris.ErrUnsupported)
	}
	var r VacationBalanceReply
	err := c.service(ctx, http.MethodGet, employeePath(personnelNumber, "vacation-balance"),
		url.Values{"date": {on.String()}}, nil, &r)
	if err != nil {
		return hris.VacationBalance{}, err
	}
	const op = "1C service vacation-balance"
	out := hris.VacationBalance{On: on}
	if out.Days, err = r.Days.Float64(); err != nil {
		return hris.VacationBalance{}, hris.ProtocolError(op, "days is not a number")
	}
	for _, k := range r.Kinds {
		days, err := k.Days.Float64()
		if err != nil {
			return hris.VacationBalance{}, hris.ProtocolError(op, "days of a kind is not a number")
		}
		out.Kinds = append(out.Kinds, hris.VacationKind{Name: k.Name, Days: days})
	}
	return out, nil
}

// Payslip asks the HTTP service for a month's payslip.
func (c *Client) Payslip(ctx context.Context, personnelNumber string, month hris.Month) (*hris.Payslip, error) {
	if c.cfg.ServicePath == "" {
		return nil, fmt.Errorf("payslip: %w", hris.ErrUnsupported)
	}
	var r PayslipReply
	err := c.service(ctx, http.MethodGet, employeePath(personnelNumber, "payslip"),
		url.Values{"month": {month.String()}}, nil, &r)
	if err != nil {
		return nil, err
	}
	const op = "1C service payslip"
	p := &hris.Payslip{Month: month}
	for _, f := range []struct {
		dst *hris.Money
		src json.Number
	}{{&p.Accrued, r.Accrued}, {&p.Withheld, r.Withheld}, {&p.Paid, r.Paid}} {
		if *f.dst, err = ParseMoney(string(f.src)); err != nil {
			return nil, hris.ProtocolError(op, "a total is not an amount")
		}
	}
	for _, l := range r.Lines {
		amount, err := ParseMoney(string(l.Amount))
		if err != nil {
			return nil, hris.ProtocolError(op, "a line amount is not an amount")
		}
		p.Lines = append(p.Lines, hris.PayslipLine{Kind: l.Kind, Name: l.Name, Amount: amount})
	}
	if r.File != nil {
		if p.File, err = r.File.document(op, "Расчетный листок "+month.String()+".pdf"); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Certificate has 1C issue a certificate and returns the file.
func (c *Client) Certificate(ctx context.Context, personnelNumber string, kind hris.CertificateKind, p hris.CertificateParams) (*hris.Document, error) {
	if c.cfg.ServicePath == "" {
		return nil, fmt.Errorf("certificate: %w", hris.ErrUnsupported)
	}
	body := CertificateRequest{Kind: string(kind), Purpose: p.Purpose, Copies: max(p.Copies, 1),
		Year: p.Year, IncludeSalary: p.IncludeSalary}
	var r CertificateReply
	if err := c.service(ctx, http.MethodPost, employeePath(personnelNumber, "certificates"), nil, body, &r); err != nil {
		return nil, err
	}
	const op = "1C service certificates"
	if r.File == nil {
		return nil, hris.ProtocolError(op, "no file in the answer")
	}
	return r.File.document(op, "Справка "+string(kind)+".pdf")
}

func (f *FileReply) document(op, defaultName string) (*hris.Document, error) {
	body, err := base64.StdEncoding.DecodeString(f.Data)
	if err != nil || len(body) == 0 {
		return nil, hris.ProtocolError(op, "file data is not base64")
	}
	d := &hris.Document{Name: f.Name, ContentType: f.ContentType, Body: body}
	if d.Name == "" {
		d.Name = defaultName
	}
	if d.ContentType == "" {
		d.ContentType = http.DetectContentType(body)
	}
	return d, nil
}

func employeePath(number, action string) string {
	return "employees/" + url.PathEscape(number) + "/" + action
}

// serviceURL is the address of an HTTP-service resource.
func (c *Client) serviceURL(path string, q url.Values) string {
	u := c.base.String() + c.cfg.ServicePath + "/" + path
	if len(q) > 0 {
		u += "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
	}
	return u
}

// service calls the staffbot HTTP service and decodes its JSON answer.
func (c *Client) service(ctx context.Context, method, path string, q url.Values, body, out any) error {
	op := "1C service " + serviceOp(path)
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.serviceURL(path, q), rd)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := hris.Do(ctx, c.hc, req, c.cfg.Credentials, op)
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return serviceError(op, resp)
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return hris.ProtocolError(op, "answer is not the JSON of the contract")
	}
	return nil
}

// serviceOp names a service call for errors without the personnel number:
// "employees/00042/payslip" becomes "payslip".
func serviceOp(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// serviceError maps a non-200 answer. A 404 that does not carry the
// contract's error body comes from the web server or the platform: the
// service is not published.
func serviceError(op string, resp *hris.Response) error {
	var se ServiceError
	_ = json.Unmarshal(resp.Body, &se)
	code := se.Error.Code
	e := hris.StatusError(op, resp.Status, code)
	switch {
	case code == CodeEmployeeNotFound || code == CodeNotReady:
		e.Kind = hris.ErrNotFound
	case code == CodeUnsupported || resp.Status == http.StatusNotImplemented:
		e.Kind = hris.ErrUnsupported
	case code == CodeForbidden:
		e.Kind = hris.ErrAuth
	}
	return e
}

// ParseMoney reads an amount of rubles with at most two decimals, written
// as a JSON number or string ("120500.5", "-15.07"), into kopecks exactly.
func ParseMoney(s string) (hris.Money, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" {
		return 0, fmt.Errorf("amount %q: %w", s, staffbot.ErrInvalid)
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, staffbot.ErrInvalid)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("amount %q: %w", s, staffbot.ErrInvalid)
	}
	m := hris.Money(w*100 + f)
	if neg {
		m = -m
	}
	return m, nil
}
