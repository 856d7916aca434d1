// Package onectest is a fake 1C:ZUP web publication for tests: a real HTTP
// server on 127.0.0.1 that speaks the standard OData interface the way 1C
// does (OData v3 JSON, Cyrillic entity names percent-encoded once, Ref_Key
// GUIDs, DeletionMark, the empty date 0001-01-01T00:00:00, $filter with
// guid'…' and datetime'…' literals, $select, $orderby, $top, $skip,
// $inlinecount, HTTP Basic) and the staffbot HTTP service of
// docs/1c-http-service.md. Tests can unpublish the whole publication or one
// entity (404), fail requests (500), slow replies down, and read back every
// request.
package onectest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// Defaults of a new server.
const (
	Publication     = "/zup"
	DefaultUser     = "staffbot"
	DefaultPassword = "s3cret-1c"
	ServicePath     = "hs/staffbot/v1"
)

// Entity sets the fake knows with their properties and types, as the
// $metadata of ZUP 3 declares them.
var schemas = map[string]map[string]string{
	"Catalog_Сотрудники": {
		"Ref_Key": "guid", "DataVersion": "string", "DeletionMark": "bool", "Code": "string",
		"Description": "string", "ФизическоеЛицо_Key": "guid", "ГоловнаяОрганизация_Key": "guid",
		"ВАрхиве": "bool", "Predefined": "bool",
	},
	"InformationRegister_ТекущиеКадровыеДанныеСотрудников": {
		"Сотрудник_Key": "guid", "ДатаПриема": "datetime", "ДатаУвольнения": "datetime",
		"ТекущаяДолжность_Key": "guid", "ТекущееПодразделение_Key": "guid", "ТекущаяОрганизация_Key": "guid",
	},
	"Catalog_Должности": {
		"Ref_Key": "guid", "DataVersion": "string", "DeletionMark": "bool", "Code": "string", "Description": "string",
	},
	"Catalog_ПодразделенияОрганизаций": {
		"Ref_Key": "guid", "DataVersion": "string", "DeletionMark": "bool", "Code": "string",
		"Description": "string", "Parent_Key": "guid",
	},
	"Catalog_ФизическиеЛица": {
		"Ref_Key": "guid", "DataVersion": "string", "DeletionMark": "bool", "Code": "string",
		"Description": "string", "ДатаРождения": "datetime",
	},
}

const (
	employeesSet   = "Catalog_Сотрудники"
	hrSet          = "InformationRegister_ТекущиеКадровыеДанныеСотрудников"
	positionsSet   = "Catalog_Должности"
	departmentsSet = "Catalog_ПодразделенияОрганизаций"
	emptyRef       = "00000000-0000-0000-0000-000000000000"
	emptyDate      = "0001-01-01T00:00:00"
)

// NotFoundText is what the platform answers for a publication without
// standard OData [case 29].
const NotFoundText = "1C:Enterprise 8 application error: HTTP: Not found"

// EntityNotFoundBody is the 404 body of an object outside the OData
// composition [case 29].
var EntityNotFoundBody = []byte(`{"odata.error":{"code":"0","message":{"lang":"ru-RU","value":"Entity not found"}}}`)

// Request is one request the fake received.
type Request struct {
	Method     string
	RequestURI string // as sent, still percent-encoded
	Entity     string // the entity set or service resource, decoded once
	Query      url.Values
	Body       string
}

// Server is the fake publication. Point a client at URL().
type Server struct {
	srv *httptest.Server

	mu             sync.Mutex
	user, password string
	charset        string
	sets           map[string]*entitySet
	unpublished    map[string][]byte
	publicationOff bool
	servicesOff    bool
	failures       []failure
	delay          time.Duration
	requests       []Request
	nextKey        int
	codes          map[string]string            // Code → Ref_Key of the employees added through AddEmployee
	refs           map[string]map[string]string // catalog → name → ref
	balances       map[string]VacationBalance
	payslips       map[string]Payslip // by code + "/" + month
	certKinds      map[string]bool
}

type failure struct {
	status int
	body   []byte
	times  int // <= 0: until Heal
}

type entitySet struct {
	records []map[string]any
	sorted  map[string][]map[string]any
}

// VacationBalance is what the fake's HTTP service answers for one employee.
type VacationBalance struct {
	Days  float64
	Kinds []VacationKind
}

// VacationKind is one kind of leave in a balance.
type VacationKind struct {
	Name string  `json:"name"`
	Days float64 `json:"days"`
}

// Payslip is a month's payslip the fake serves; amounts as 1C writes them.
type Payslip struct {
	Accrued, Withheld, Paid float64
	Lines                   []PayslipLine
	NoFile                  bool
}

// PayslipLine is one line of a payslip.
type PayslipLine struct {
	Kind   string  `json:"kind"`
	Name   string  `json:"name"`
	Amount float64 `json:"amount"`
}

// NewServer starts a fake publication with the ZUP entity sets empty and
// the HTTP service published; it stops when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{
		user: DefaultUser, password: DefaultPassword,
		sets:        map[string]*entitySet{},
		unpublished: map[string][]byte{},
		refs:        map[string]map[string]string{},
		codes:       map[string]string{},
		balances:    map[string]VacationBalance{},
		payslips:    map[string]Payslip{},
		certKinds:   map[string]bool{"employment": true, "income": true},
	}
	for name := range schemas {
		s.sets[name] = &entitySet{}
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL returns the publication's address, such as http://127.0.0.1:1234/zup.
func (s *Server) URL() string { return s.srv.URL + Publication }

// SetCredentials changes the accepted login. Charset is how the server
// decodes the Basic header: "utf-8" or "windows-1251" [case 31].
func (s *Server) SetCredentials(user, password, charset string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.password, s.charset = user, password, charset
}

// SetRecords replaces an entity set with raw OData records, such as the
// value array of a captured reply.
func (s *Server) SetRecords(entity string, records []map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets[entity] = &entitySet{records: records}
}

// Unpublish makes one entity set answer 404 with body, or with
// EntityNotFoundBody when body is nil.
func (s *Server) Unpublish(entity string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if body == nil {
		body = EntityNotFoundBody
	}
	s.unpublished[entity] = body
}

// SetPublished turns the whole standard OData interface on or off; off,
// every request answers 404 with NotFoundText.
func (s *Server) SetPublished(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publicationOff = !on
}

// SetServicePublished turns the staffbot HTTP service on or off.
func (s *Server) SetServicePublished(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.servicesOff = !on
}

// Fail makes the next times requests (every request until Heal when times
// is 0 or less) answer status with body; a nil body is an odata.error.
func (s *Server) Fail(status int, body []byte, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if body == nil {
		body = []byte(`{"odata.error":{"code":"-1","message":{"lang":"ru-RU","value":"Ошибка сервера 1С"}}}`)
	}
	s.failures = append(s.failures, failure{status: status, body: body, times: times})
}

// Heal removes every injected failure and delay.
func (s *Server) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = nil
	s.delay = 0
}

// SetDelay makes every reply wait d first.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests returns what the fake received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Employee is a convenient way to fill Catalog_Сотрудники and the current
// HR data register together. Dates are YYYY-MM-DD; empty is 1C's empty date.
type Employee struct {
	Ref          string // generated when empty
	Code         string
	Name         string
	HiredOn      string
	DismissedOn  string
	Position     string // a Catalog_Должности element is made for each name
	Department   string
	DeletionMark bool
	Archived     bool
}

// AddEmployee adds or replaces (by Code) an employee and returns its Ref_Key.
func (s *Server) AddEmployee(e Employee) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putEmployee(e)
}

// AddEmployees adds many employees at once.
func (s *Server) AddEmployees(es []Employee) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range es {
		s.putEmployee(e)
	}
}

// UpdateEmployee changes the employee with the code through fn.
func (s *Server) UpdateEmployee(code string, fn func(e *Employee)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.employee(code)
	if !ok {
		panic("onectest: no employee " + code)
	}
	fn(&e)
	s.putEmployee(e)
}

// RemoveEmployees deletes employees by code, as if 1C no longer had them
// (a record deleted for good, or a publication that stopped showing it).
func (s *Server) RemoveEmployees(codes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, code := range codes {
		ref, ok := s.codes[code]
		if !ok {
			panic("onectest: no employee " + code)
		}
		s.sets[employeesSet].records = removeBy(s.sets[employeesSet].records, "Ref_Key", ref)
		s.sets[hrSet].records = removeBy(s.sets[hrSet].records, "Сотрудник_Key", ref)
		delete(s.codes, code)
	}
	s.sets[employeesSet].sorted, s.sets[hrSet].sorted = nil, nil
}

// Key returns a deterministic GUID for n, in 1C's lower-case form.
func Key(prefix, n int) string {
	return fmt.Sprintf("%08x-%04x-11ef-9a01-005056a1b2c3", n, prefix)
}

func (s *Server) putEmployee(e Employee) string {
	emps := s.sets[employeesSet]
	hr := s.sets[hrSet]
	if old, ok := s.codes[e.Code]; ok && e.Ref == "" {
		e.Ref = old
	}
	if e.Ref == "" {
		s.nextKey++
		e.Ref = Key(1, s.nextKey)
	} else {
		emps.records = removeBy(emps.records, "Ref_Key", e.Ref)
		hr.records = removeBy(hr.records, "Сотрудник_Key", e.Ref)
	}
	s.codes[e.Code] = e.Ref
	emps.records = append(emps.records, map[string]any{
		"Ref_Key": e.Ref, "DataVersion": "AAAAAQAAAAA=", "DeletionMark": e.DeletionMark, "Code": e.Code,
		"Description": e.Name, "ФизическоеЛицо_Key": emptyRef, "ГоловнаяОрганизация_Key": emptyRef,
		"ВАрхиве": e.Archived, "Predefined": false,
	})
	if e.HiredOn != "" {
		hr.records = append(hr.records, map[string]any{
			"Сотрудник_Key":            e.Ref,
			"ДатаПриема":               oneCDate(e.HiredOn),
			"ДатаУвольнения":           oneCDate(e.DismissedOn),
			"ТекущаяДолжность_Key":     s.catalogRef(positionsSet, e.Position),
			"ТекущееПодразделение_Key": s.catalogRef(departmentsSet, e.Department),
			"ТекущаяОрганизация_Key":   emptyRef,
		})
	}
	emps.sorted, hr.sorted = nil, nil
	return e.Ref
}

func (s *Server) employee(code string) (Employee, bool) {
	for _, r := range s.sets[employeesSet].records {
		if r["Code"] != code {
			continue
		}
		e := Employee{Ref: str(r["Ref_Key"]), Code: code, Name: str(r["Description"])}
		e.DeletionMark, _ = r["DeletionMark"].(bool)
		e.Archived, _ = r["ВАрхиве"].(bool)
		for _, h := range s.sets[hrSet].records {
			if h["Сотрудник_Key"] != e.Ref {
				continue
			}
			e.HiredOn = plainDate(str(h["ДатаПриема"]))
			e.DismissedOn = plainDate(str(h["ДатаУвольнения"]))
			e.Position = s.refName(positionsSet, str(h["ТекущаяДолжность_Key"]))
			e.Department = s.refName(departmentsSet, str(h["ТекущееПодразделение_Key"]))
		}
		return e, true
	}
	return Employee{}, false
}

func (s *Server) catalogRef(catalog, name string) string {
	if name == "" {
		return emptyRef
	}
	m := s.refs[catalog]
	if m == nil {
		m = map[string]string{}
		s.refs[catalog] = m
	}
	if ref, ok := m[name]; ok {
		return ref
	}
	s.nextKey++
	ref := Key(2, s.nextKey)
	m[name] = ref
	set := s.sets[catalog]
	set.records = append(set.records, map[string]any{
		"Ref_Key": ref, "DataVersion": "AAAAAQAAAAA=", "DeletionMark": false,
		"Code": strconv.Itoa(s.nextKey), "Description": name, "Parent_Key": emptyRef,
	})
	if catalog == positionsSet {
		delete(set.records[len(set.records)-1], "Parent_Key")
	}
	set.sorted = nil
	return ref
}

func (s *Server) refName(catalog, ref string) string {
	for name, r := range s.refs[catalog] {
		if r == ref {
			return name
		}
	}
	return ""
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

func oneCDate(d string) string {
	if d == "" {
		return emptyDate
	}
	return d + "T00:00:00"
}

func plainDate(d string) string {
	if d == emptyDate {
		return ""
	}
	return strings.TrimSuffix(d, "T00:00:00")
}

func str(v any) string { s, _ := v.(string); return s }

// SetVacationBalance sets what the HTTP service answers for the employee.
func (s *Server) SetVacationBalance(code string, b VacationBalance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balances[code] = b
}

// SetPayslip sets the payslip of a month (YYYY-MM).
func (s *Server) SetPayslip(code, month string, p Payslip) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.payslips[code+"/"+month] = p
}

// SetCertificateKinds sets which certificate kinds the service issues.
func (s *Server) SetCertificateKinds(kinds ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.certKinds = map[string]bool{}
	for _, k := range kinds {
		s.certKinds[k] = true
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	body := string(raw)

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

	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), Publication+"/")
	req := Request{Method: r.Method, RequestURI: r.RequestURI, Body: body}
	if q, err := parseQuery(r.URL.RawQuery); err == nil {
		req.Query = q
	}
	if ok {
		req.Entity, _ = url.PathUnescape(strings.TrimPrefix(strings.TrimPrefix(rest, "odata/standard.odata/"), ServicePath+"/"))
	}
	s.requests = append(s.requests, req)

	if !ok {
		http.Error(w, NotFoundText, http.StatusNotFound)
		return
	}
	if !s.authorized(r.Header.Get("Authorization")) {
		w.Header().Set("WWW-Authenticate", `Basic realm="1C:Enterprise"`)
		http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
		return
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

	switch {
	case strings.HasPrefix(rest, "odata/standard.odata/"):
		if s.publicationOff {
			http.Error(w, NotFoundText, http.StatusNotFound)
			return
		}
		s.serveOData(w, r, strings.TrimPrefix(rest, "odata/standard.odata/"))
	case strings.HasPrefix(rest, ServicePath+"/"):
		if s.servicesOff {
			http.Error(w, NotFoundText, http.StatusNotFound)
			return
		}
		s.serveService(w, r, strings.TrimPrefix(rest, ServicePath+"/"), body)
	default:
		http.Error(w, NotFoundText, http.StatusNotFound)
	}
}

func (s *Server) authorized(h string) bool {
	raw, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return false
	}
	cred := string(b)
	if s.charset == "windows-1251" {
		if cred, err = charmap.Windows1251.NewDecoder().String(cred); err != nil {
			return false
		}
	}
	user, pass, ok := strings.Cut(cred, ":")
	return ok && user == s.user && pass == s.password
}

// parseQuery splits a raw query and decodes each value once. A '+' stays
// a plus sign, as in 1C's own parser.
func parseQuery(raw string) (url.Values, error) {
	q := url.Values{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := url.PathUnescape(k)
		if err != nil {
			return nil, err
		}
		dv, err := url.PathUnescape(v)
		if err != nil {
			return nil, err
		}
		q.Add(dk, dv)
	}
	return q, nil
}

func odataError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"odata.error": map[string]any{
		"code": code, "message": map[string]string{"lang": "ru-RU", "value": msg}}})
}

func (s *Server) serveOData(w http.ResponseWriter, r *http.Request, escaped string) {
	// The name is decoded exactly once: a double-encoded name stays
	// "Catalog_%D0%A1…" and is not found, as on a real server.
	name, err := url.PathUnescape(escaped)
	if err != nil {
		odataError(w, http.StatusBadRequest, "400", "bad URL")
		return
	}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		odataError(w, http.StatusBadRequest, "400", "bad query")
		return
	}
	if q.Get("$format") != "json" && !strings.Contains(r.Header.Get("Accept"), "application/json") {
		// 1C's default is Atom XML.
		w.Header().Set("Content-Type", "application/atom+xml;charset=utf-8")
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"/>`))
		return
	}
	base := "http://" + r.Host + Publication + "/odata/standard.odata/"

	if name == "" {
		var names []string
		for n := range s.sets {
			if _, off := s.unpublished[n]; !off {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		var value []map[string]string
		for _, n := range names {
			value = append(value, map[string]string{"name": n, "url": n})
		}
		writeJSON(w, map[string]any{"odata.metadata": base + "$metadata", "value": value})
		return
	}

	entity, key, hasKey := strings.Cut(name, "(")
	if body, off := s.unpublished[entity]; off {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write(body)
		return
	}
	set, found := s.sets[entity]
	if !found {
		odataError(w, http.StatusNotFound, "0", "Entity not found")
		return
	}
	types := s.types(entity)

	if hasKey {
		k := strings.TrimSuffix(key, ")")
		lit, ok := strings.CutPrefix(k, "guid'")
		if !ok || !strings.HasSuffix(lit, "'") || !guidRE.MatchString(strings.TrimSuffix(lit, "'")) {
			odataError(w, http.StatusBadRequest, "400", "key must be guid'…'")
			return
		}
		lit = strings.ToLower(strings.TrimSuffix(lit, "'"))
		for _, rec := range set.records {
			if strings.ToLower(str(rec["Ref_Key"])) == lit {
				out, err := project(rec, q.Get("$select"), types)
				if err != nil {
					odataError(w, http.StatusBadRequest, "400", err.Error())
					return
				}
				out["odata.metadata"] = base + "$metadata#" + entity + "/@Element"
				writeJSON(w, out)
				return
			}
		}
		odataError(w, http.StatusNotFound, "0", "Object not found")
		return
	}

	recs := set.records
	if ob := q.Get("$orderby"); ob != "" {
		field, dir, _ := strings.Cut(ob, " ")
		if _, ok := types[field]; !ok {
			odataError(w, http.StatusBadRequest, "400", "unknown property "+field)
			return
		}
		recs = set.sortedBy(field)
		if dir == "desc" {
			rev := make([]map[string]any, len(recs))
			for i, r := range recs {
				rev[len(recs)-1-i] = r
			}
			recs = rev
		}
	}
	if f := q.Get("$filter"); f != "" {
		pred, err := parseFilter(f, types)
		if err != nil {
			odataError(w, http.StatusBadRequest, "400", err.Error())
			return
		}
		var kept []map[string]any
		for _, rec := range recs {
			if pred(rec) {
				kept = append(kept, rec)
			}
		}
		recs = kept
	}
	count := len(recs)
	skip, err1 := intParam(q, "$skip")
	top, err2 := intParam(q, "$top")
	if err1 != nil || err2 != nil {
		odataError(w, http.StatusBadRequest, "400", "bad $top or $skip")
		return
	}
	recs = recs[min(skip, len(recs)):]
	if top > 0 && top < len(recs) {
		recs = recs[:top]
	}
	value := make([]map[string]any, 0, len(recs))
	for _, rec := range recs {
		out, err := project(rec, q.Get("$select"), types)
		if err != nil {
			odataError(w, http.StatusBadRequest, "400", err.Error())
			return
		}
		value = append(value, out)
	}
	reply := map[string]any{"odata.metadata": base + "$metadata#" + entity, "value": value}
	if q.Get("$inlinecount") == "allpages" {
		reply["odata.count"] = strconv.Itoa(count)
	}
	writeJSON(w, reply)
}

func (set *entitySet) sortedBy(field string) []map[string]any {
	if recs, ok := set.sorted[field]; ok {
		return recs
	}
	recs := append([]map[string]any(nil), set.records...)
	sort.SliceStable(recs, func(i, j int) bool { return compare(recs[i][field], recs[j][field]) < 0 })
	if set.sorted == nil {
		set.sorted = map[string][]map[string]any{}
	}
	set.sorted[field] = recs
	return recs
}

// types returns the declared property types, or guesses them from the
// records of a set loaded raw.
func (s *Server) types(entity string) map[string]string {
	if t, ok := schemas[entity]; ok {
		return t
	}
	t := map[string]string{}
	for _, rec := range s.sets[entity].records {
		for k, v := range rec {
			if _, ok := t[k]; !ok {
				t[k] = fieldType(k, v)
			}
		}
	}
	return t
}

func project(rec map[string]any, sel string, types map[string]string) (map[string]any, error) {
	out := map[string]any{}
	if sel == "" {
		for k, v := range rec {
			out[k] = v
		}
		return out, nil
	}
	for _, f := range strings.Split(sel, ",") {
		if _, ok := types[f]; !ok {
			return nil, fmt.Errorf("unknown property %s in $select", f)
		}
		if v, ok := rec[f]; ok {
			out[f] = v
		}
	}
	return out, nil
}

func intParam(q url.Values, name string) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad %s", name)
	}
	return n, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	json.NewEncoder(w).Encode(v)
}
