// Package sftest is a fake SAP SuccessFactors OData v2 API for tests: a
// real HTTP server on 127.0.0.1 serving User, PerPerson, EmpJob and
// EmpEmployment in the d.results envelope with /Date(…)/ dates and Int64
// values as strings, paging 1000 records at a time (customPageSize fewer)
// through an absolute __next link with a $skiptoken, HTTP Basic or bearer
// authentication, and SuccessFactors' trap of returning only active users
// when a User query has no status filter. Tests can fail or slow requests
// and read them back.
package sftest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Default credentials of a new server.
const (
	DefaultUser     = "sfapi@ACME"
	DefaultPassword = "s3cret-sf"
	DefaultToken    = "sf-bearer-token"
	MaxPageSize     = 1000
)

// Entity sets with their properties and the key that orders them.
var schemas = map[string]struct {
	key    string
	fields []string
}{
	"User": {"userId", []string{"userId", "username", "firstName", "lastName", "mi", "email", "status",
		"hireDate", "department", "division", "title", "location", "lastModifiedDateTime"}},
	"PerPerson":     {"personIdExternal", []string{"personIdExternal", "dateOfBirth", "lastModifiedDateTime"}},
	"EmpEmployment": {"userId", []string{"personIdExternal", "userId", "startDate", "endDate", "lastModifiedDateTime"}},
	"EmpJob": {"userId", []string{"userId", "seqNumber", "startDate", "endDate", "jobTitle", "department",
		"division", "company", "position", "managerId", "emplStatus", "standardHours", "lastModifiedDateTime"}},
}

// Request is one request the fake received.
type Request struct {
	Method     string
	RequestURI string
	Entity     string
	Query      url.Values
	HadSession bool // sent the session cookie of an earlier reply
}

// Server is the fake API. Point a client at URL().
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	user     string
	password string
	token    string
	sets     map[string][]map[string]any
	failures []failure
	delay    time.Duration
	requests []Request
}

type failure struct {
	status int
	body   []byte
	times  int
}

// NewServer starts an empty fake; it stops when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{user: DefaultUser, password: DefaultPassword, token: DefaultToken, sets: map[string][]map[string]any{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL returns the API server address.
func (s *Server) URL() string { return s.srv.URL }

// Employee fills User, PerPerson, EmpEmployment and EmpJob together.
// Dates are YYYY-MM-DD; an empty EndDate is the open end 9999-12-31.
type Employee struct {
	UserID      string
	FirstName   string
	LastName    string
	Email       string
	Status      string // "t" active (default), "f" inactive
	HireDate    string
	EndDate     string
	Title       string
	Department  string
	Location    string
	ManagerID   string
	DateOfBirth string
}

// Date writes a YYYY-MM-DD day as /Date(ms)/; empty is 9999-12-31.
func Date(day string) string {
	if day == "" {
		return "/Date(253402214400000)/"
	}
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic("sftest: bad date " + day)
	}
	return fmt.Sprintf("/Date(%d)/", t.UnixMilli())
}

// AddEmployees adds or replaces (by user id) employees.
func (s *Server) AddEmployees(es ...Employee) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range es {
		s.put(e)
	}
}

func (s *Server) put(e Employee) {
	if e.Status == "" {
		e.Status = "t"
	}
	person := "P" + e.UserID
	modified := "/Date(1704067200000+0000)/"
	for _, set := range []string{"User", "EmpEmployment", "EmpJob"} {
		s.sets[set] = removeBy(s.sets[set], "userId", e.UserID)
	}
	s.sets["PerPerson"] = removeBy(s.sets["PerPerson"], "personIdExternal", person)
	s.sets["User"] = append(s.sets["User"], map[string]any{
		"__metadata": map[string]string{"uri": "User('" + e.UserID + "')", "type": "SFOData.User"},
		"userId":     e.UserID, "username": strings.ToLower(e.UserID), "firstName": e.FirstName, "lastName": e.LastName,
		"mi": nil, "email": e.Email, "status": e.Status, "hireDate": Date(e.HireDate), "department": e.Department,
		"division": nil, "title": e.Title, "location": e.Location, "lastModifiedDateTime": modified,
	})
	var birth any
	if e.DateOfBirth != "" {
		birth = Date(e.DateOfBirth)
	}
	s.sets["PerPerson"] = append(s.sets["PerPerson"], map[string]any{
		"__metadata":       map[string]string{"uri": "PerPerson('" + person + "')", "type": "SFOData.PerPerson"},
		"personIdExternal": person, "dateOfBirth": birth, "lastModifiedDateTime": modified,
	})
	s.sets["EmpEmployment"] = append(s.sets["EmpEmployment"], map[string]any{
		"__metadata":       map[string]string{"type": "SFOData.EmpEmployment"},
		"personIdExternal": person, "userId": e.UserID, "startDate": Date(e.HireDate), "endDate": Date(e.EndDate),
		"lastModifiedDateTime": modified,
	})
	manager := e.ManagerID
	if manager == "" {
		manager = "NO_MANAGER"
	}
	s.sets["EmpJob"] = append(s.sets["EmpJob"], map[string]any{
		"__metadata": map[string]string{"type": "SFOData.EmpJob"},
		"userId":     e.UserID, "seqNumber": "1", "startDate": Date(e.HireDate), "endDate": "/Date(253402214400000)/",
		"jobTitle": e.Title, "department": "50001234", "division": nil, "company": "ACME", "position": nil,
		"managerId": manager, "emplStatus": "A", "standardHours": "40.0", "lastModifiedDateTime": modified,
	})
}

// Remove deletes employees by user id, as if the instance no longer
// returned them.
func (s *Server) Remove(userIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range userIDs {
		for _, set := range []string{"User", "EmpEmployment", "EmpJob"} {
			s.sets[set] = removeBy(s.sets[set], "userId", id)
		}
		s.sets["PerPerson"] = removeBy(s.sets["PerPerson"], "personIdExternal", "P"+id)
	}
}

func removeBy(recs []map[string]any, field, value string) []map[string]any {
	out := recs[:0]
	for _, r := range recs {
		if r[field] != value {
			out = append(out, r)
		}
	}
	return out
}

// SetRecords replaces an entity set with raw records.
func (s *Server) SetRecords(entity string, records []map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets[entity] = records
}

// Fail makes the next times requests (all until Heal when times <= 0)
// answer status with body; nil is a SuccessFactors error object.
func (s *Server) Fail(status int, body []byte, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if body == nil {
		body = []byte(`{"error":{"code":"COE_GENERAL_SERVER_FAILURE","message":{"lang":"en-US","value":"Internal server error"}}}`)
	}
	s.failures = append(s.failures, failure{status, body, times})
}

// Heal removes injected failures and delay.
func (s *Server) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures, s.delay = nil, 0
}

// SetDelay makes every reply wait d first.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests returns what the fake received.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

const sessionCookie = "JSESSIONID"

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

	entity, _ := strings.CutPrefix(r.URL.Path, "/odata/v2/")
	q, _ := url.ParseQuery(r.URL.RawQuery)
	_, cookieErr := r.Cookie(sessionCookie)
	s.requests = append(s.requests, Request{Method: r.Method, RequestURI: r.RequestURI, Entity: entity,
		Query: q, HadSession: cookieErr == nil})

	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="SuccessFactors"`)
		sfError(w, http.StatusUnauthorized, "UNAUTHORIZED", "Authentication failed")
		return
	}
	if cookieErr != nil {
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "s" + strconv.Itoa(len(s.requests)), Path: "/"})
	}
	if len(s.failures) > 0 {
		f := &s.failures[0]
		if f.times > 0 {
			f.times--
			if f.times == 0 {
				s.failures = s.failures[1:]
			}
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(f.status)
		w.Write(f.body)
		return
	}
	schema, ok := schemas[entity]
	if !ok {
		sfError(w, http.StatusNotFound, "COE_ENTITY_NOT_FOUND", "Entity "+entity+" is not found")
		return
	}
	if q.Get("$format") != "json" && !strings.Contains(r.Header.Get("Accept"), "json") {
		w.Header().Set("Content-Type", "application/atom+xml")
		io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"/>`)
		return
	}

	filter := q.Get("$filter")
	if entity == "User" && !strings.Contains(filter, "status") {
		// Without a status filter, User returns active users only.
		if filter != "" {
			filter += " and "
		}
		filter += "status eq 't'"
	}
	pred, err := parseFilter(filter, schema.fields)
	if err != nil {
		sfError(w, http.StatusBadRequest, "COE_PROPERTY_NOT_FILTERABLE", err.Error())
		return
	}
	recs := append([]map[string]any(nil), s.sets[entity]...)
	sort.SliceStable(recs, func(i, j int) bool {
		return fmt.Sprint(recs[i][schema.key]) < fmt.Sprint(recs[j][schema.key])
	})
	var kept []map[string]any
	for _, rec := range recs {
		if pred(rec) {
			kept = append(kept, rec)
		}
	}

	// Client-side $top/$skip, else server-side pages with a $skiptoken.
	start, size := 0, MaxPageSize
	if n, err := strconv.Atoi(q.Get("customPageSize")); err == nil && n > 0 && n < MaxPageSize {
		size = n
	}
	if tok := q.Get("$skiptoken"); tok != "" {
		var st struct {
			StartRow int `json:"startRow"`
		}
		raw, err := base64.URLEncoding.DecodeString(tok)
		if err != nil {
			raw, err = base64.StdEncoding.DecodeString(tok)
		}
		if err != nil || json.Unmarshal(raw, &st) != nil {
			sfError(w, http.StatusBadRequest, "COE_INVALID_SKIPTOKEN", "invalid $skiptoken")
			return
		}
		start = st.StartRow
	}
	if n, err := strconv.Atoi(q.Get("$skip")); err == nil {
		start = n
	}
	top := -1
	if n, err := strconv.Atoi(q.Get("$top")); err == nil {
		top = n
		size = min(n, MaxPageSize)
	}
	end := min(start+size, len(kept))
	start = min(start, end)

	results := make([]map[string]any, 0, end-start)
	for _, rec := range kept[start:end] {
		out, err := project(rec, q.Get("$select"), schema.fields)
		if err != nil {
			sfError(w, http.StatusBadRequest, "COE_PROPERTY_NOT_FOUND", err.Error())
			return
		}
		results = append(results, out)
	}
	d := map[string]any{"results": results}
	if q.Get("$inlinecount") == "allpages" {
		d["__count"] = strconv.Itoa(len(kept))
	}
	if top < 0 && end < len(kept) {
		tok, _ := json.Marshal(map[string]int{"startRow": end, "endRow": end + size})
		nq := withoutParam(r.URL.RawQuery, "$skiptoken")
		d["__next"] = "http://" + r.Host + "/odata/v2/" + entity + "?" + nq + "&$skiptoken=" + base64.URLEncoding.EncodeToString(tok)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{"d": d})
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		return tok == s.token
	}
	user, pass, ok := r.BasicAuth()
	return ok && user == s.user && pass == s.password
}

func withoutParam(raw, name string) string {
	var parts []string
	for _, p := range strings.Split(raw, "&") {
		if !strings.HasPrefix(p, name+"=") && !strings.HasPrefix(p, url.QueryEscape(name)+"=") {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "&")
}

func project(rec map[string]any, sel string, fields []string) (map[string]any, error) {
	out := map[string]any{"__metadata": rec["__metadata"]}
	if sel == "" {
		for k, v := range rec {
			out[k] = v
		}
		return out, nil
	}
	for _, f := range strings.Split(sel, ",") {
		if !slices.Contains(fields, f) {
			return nil, fmt.Errorf("invalid property names: %s", f)
		}
		out[f] = rec[f]
	}
	return out, nil
}

func sfError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": map[string]string{"lang": "en-US", "value": msg}}})
}

// parseFilter understands what the connector sends: comparisons with eq
// and "status in 'a','b'" joined by and.
func parseFilter(f string, fields []string) (func(map[string]any) bool, error) {
	if strings.TrimSpace(f) == "" {
		return func(map[string]any) bool { return true }, nil
	}
	var preds []func(map[string]any) bool
	for _, cond := range splitAnd(f) {
		field, rest, ok := strings.Cut(strings.TrimSpace(cond), " ")
		if !ok || !slices.Contains(fields, field) {
			return nil, fmt.Errorf("bad condition %q", cond)
		}
		op, lit, ok := strings.Cut(rest, " ")
		if !ok {
			return nil, fmt.Errorf("bad condition %q", cond)
		}
		var values []string
		switch op {
		case "eq":
			v, err := unquote(lit)
			if err != nil {
				return nil, err
			}
			values = []string{v}
		case "in":
			for _, l := range splitList(lit) {
				v, err := unquote(l)
				if err != nil {
					return nil, err
				}
				values = append(values, v)
			}
		default:
			return nil, fmt.Errorf("operator %s not supported by the fake", op)
		}
		preds = append(preds, func(r map[string]any) bool { return slices.Contains(values, fmt.Sprint(r[field])) })
	}
	return func(r map[string]any) bool {
		for _, p := range preds {
			if !p(r) {
				return false
			}
		}
		return true
	}, nil
}

// splitAnd splits on " and " outside quotes.
func splitAnd(f string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(f); i++ {
		if f[i] == '\'' {
			inQuote = !inQuote
		}
		if !inQuote && strings.HasPrefix(f[i:], " and ") {
			out = append(out, f[start:i])
			start = i + len(" and ")
			i += len(" and ") - 1
		}
	}
	return append(out, f[start:])
}

func splitList(s string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			inQuote = !inQuote
		case s[i] == ',' && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unquote(lit string) (string, error) {
	lit = strings.TrimSpace(lit)
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", fmt.Errorf("want a quoted literal, got %q", lit)
	}
	return strings.ReplaceAll(lit[1:len(lit)-1], "''", "'"), nil
}
