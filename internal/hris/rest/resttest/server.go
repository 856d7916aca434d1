// Package resttest is a fake HR system with a JSON API of its own, for
// testing the generic REST connector: employees in pages (capped at
// MaxPerPage whatever is asked) with a next link, one employee, a vacation
// balance, payslip and certificate PDFs, bearer authentication, injected
// failures and delays.
package resttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/hris/rest"
)

// Token is the bearer token the fake accepts.
const Token = "rest-api-token"

// MaxPerPage caps a page, as real APIs do.
const MaxPerPage = 50

// Employee is one record of the fake system.
type Employee struct {
	Number     string
	Last       string
	First      string
	Title      string
	Dept       string
	Email      string
	Hired      string // YYYY-MM-DD
	Fired      string // DD.MM.YYYY, the fake's own habit; empty while employed
	Active     bool
	Boss       string
	Vacation   float64
	HasPayslip bool
}

// Server is the fake API.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	emps     map[string]Employee
	fail     int // status to answer with, 0 for none
	delay    time.Duration
	requests []string
}

// NewServer starts an empty fake; it stops when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{emps: map[string]Employee{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API's base address.
func (s *Server) URL() string { return s.srv.URL + "/api/v1" }

// Put adds or replaces employees.
func (s *Server) Put(es ...Employee) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range es {
		s.emps[e.Number] = e
	}
}

// Delete removes employees by number.
func (s *Server) Delete(numbers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range numbers {
		delete(s.emps, n)
	}
}

// Fail makes every request answer status until Fail(0).
func (s *Server) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = status
}

// SetDelay slows every reply.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests returns the request URIs received.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Mapping describes this API for the REST connector, paging by page number.
func Mapping() rest.Mapping {
	m := MappingNext()
	m.Employees = rest.ListEndpoint{URL: "{base}/employees?page={page}&per_page={limit}", Items: "data", PageSize: 100}
	return m
}

// MappingNext describes this API, paging by the next link.
func MappingNext() rest.Mapping {
	return rest.Mapping{
		Employees:       rest.ListEndpoint{URL: "{base}/employees?per_page=20", Items: "data", Next: "meta.next"},
		Status:          &rest.Endpoint{URL: "{base}/employees/{number}", Item: "employee"},
		VacationBalance: &rest.Endpoint{URL: "{base}/employees/{number}/vacation?date={date}", Days: "balance.days"},
		Payslip:         &rest.Endpoint{URL: "{base}/employees/{number}/payslips/{month}.pdf"},
		Certificate:     &rest.Endpoint{URL: "{base}/employees/{number}/certificates/{kind}?year={year}&purpose={purpose}", Method: "POST"},
		Fields: rest.Fields{
			PersonnelNumber: "tab_no", LastName: "name.last", FirstName: "name.first",
			Position: "job.title", Department: "job.dept", Email: "email",
			HiredOn: "hired", DismissedOn: "fired", Active: "active", Manager: "boss",
		},
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.RequestURI)

	if r.Header.Get("Authorization") != "Bearer "+Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
		return
	}
	if s.fail != 0 {
		writeJSON(w, s.fail, map[string]string{"error": "backend failure"})
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/api/v1/employees")
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such route"})
		return
	}
	if path == "" {
		s.list(w, r)
		return
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	e, found := s.emps[parts[0]]
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "employee not found"})
		return
	}
	switch {
	case len(parts) == 1:
		writeJSON(w, http.StatusOK, map[string]any{"employee": record(e)})
	case len(parts) == 2 && parts[1] == "vacation":
		writeJSON(w, http.StatusOK, map[string]any{"balance": map[string]any{"days": e.Vacation, "date": r.URL.Query().Get("date")}})
	case len(parts) == 3 && parts[1] == "payslips" && e.HasPayslip:
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(onectest.PDF("Payslip", "Employee "+e.Number, "Month "+strings.TrimSuffix(parts[2], ".pdf")))
	case len(parts) == 3 && parts[1] == "certificates" && r.Method == http.MethodPost:
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(onectest.PDF("Certificate "+parts[2], "Employee "+e.Number, "Year "+r.URL.Query().Get("year")))
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 || per > MaxPerPage {
		per = MaxPerPage
	}
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	var numbers []string
	for n := range s.emps {
		numbers = append(numbers, n)
	}
	sort.Strings(numbers)
	start := min((page-1)*per, len(numbers))
	end := min(start+per, len(numbers))
	data := []any{}
	for _, n := range numbers[start:end] {
		data = append(data, record(s.emps[n]))
	}
	var next any
	if end < len(numbers) {
		next = fmt.Sprintf("/api/v1/employees?page=%d&per_page=%d", page+1, per)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"page": page, "next": next}})
}

func record(e Employee) map[string]any {
	var fired any
	if e.Fired != "" {
		fired = e.Fired
	}
	return map[string]any{
		"tab_no": e.Number,
		"name":   map[string]string{"last": e.Last, "first": e.First},
		"job":    map[string]string{"title": e.Title, "dept": e.Dept},
		"email":  e.Email, "hired": e.Hired, "fired": fired, "active": e.Active, "boss": e.Boss,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
