// Package api is staffbot's REST API under /api/v1/. Clients authenticate
// with a bearer token made by "staffbot token create"; each token acts
// with a fixed role and scope inside one company. Every route is declared
// in one table with the permission it needs, and every read goes through
// the guarded, tenant-scoped queries of internal/auth.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/store"
)

// Config is what the API needs.
type Config struct {
	Auth   *auth.Service
	Clock  staffbot.Clock
	Logger *slog.Logger
}

// Server serves the API.
type Server struct {
	auth   *auth.Service
	clock  staffbot.Clock
	logger *slog.Logger
	mux    *auth.Mux

	// badTokens throttles clients that present unknown, revoked or
	// expired tokens: once a network has spent its attempts, its requests
	// are refused before any lookup.
	badTokens *auth.Limiter
}

// New builds the API and its route table.
func New(cfg Config) *Server {
	s := &Server{auth: cfg.Auth, clock: cfg.Clock, logger: cfg.Logger, badTokens: auth.NewLimiter(10, 20)}
	if s.clock == nil {
		s.clock = staffbot.SystemClock{}
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.mux = auth.NewMux(s.guard)
	s.mux.HandleFunc(auth.Route{Method: "GET", Path: "/api/v1/employees", Perm: auth.PermEmployeesRead}, s.listEmployees)
	s.mux.HandleFunc(auth.Route{Method: "GET", Path: "/api/v1/employees/{id}", Perm: auth.PermEmployeesRead, Object: "employee"}, s.getEmployee)
	s.mux.HandleFunc(auth.Route{Method: "GET", Path: "/api/v1/openapi.json", Public: true}, s.serveOpenAPI)
	return s
}

// Register adds the API's routes to mux.
func (s *Server) Register(mux *http.ServeMux) { s.mux.Register(mux) }

// Routes returns the API's route table.
func (s *Server) Routes() []auth.Route { return s.mux.Routes() }

type ctxKey struct{}

func principal(r *http.Request) *auth.Principal {
	p, _ := r.Context().Value(ctxKey{}).(*auth.Principal)
	return p
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// guard authenticates the bearer token and checks the route's permission.
func (s *Server) guard(rt auth.Route, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if rt.Public {
			h.ServeHTTP(w, r)
			return
		}
		now := s.clock.Now()
		if ok, wait := s.badTokens.Check(r, now); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			writeError(w, http.StatusTooManyRequests, "too_many_requests", "too many requests with bad tokens; retry later")
			return
		}
		p, err := s.auth.AuthenticateToken(r.Context(), bearer(r), auth.ClientIP(r))
		switch {
		case errors.Is(err, staffbot.ErrNotFound), errors.Is(err, staffbot.ErrExpired):
			s.badTokens.Allow(r, now)
			s.logger.InfoContext(r.Context(), "API token refused", slog.String("path", rt.Path),
				slog.Bool("expired", errors.Is(err, staffbot.ErrExpired)))
			w.Header().Set("WWW-Authenticate", `Bearer realm="staffbot"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
			return
		case err != nil:
			s.serverError(w, r, err)
			return
		}
		if rt.Perm != "" && !p.Can(rt.Perm) {
			writeError(w, http.StatusForbidden, "forbidden", "the token's role lacks "+string(rt.Perm))
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)))
	})
}

// Error is the body of every error answer.
type Error struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var e Error
	e.Error.Code, e.Error.Message = code, msg
	writeJSON(w, status, e)
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.ErrorContext(r.Context(), "API request failed", slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	writeError(w, http.StatusInternalServerError, "internal", "internal error")
}

// failFor answers a guarded operation's error: 404 for anything not found
// (another company's object included), 403 for a refusal, 500 otherwise.
func (s *Server) failFor(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, staffbot.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such object")
	case errors.Is(err, staffbot.ErrForbidden):
		writeError(w, http.StatusForbidden, "forbidden", "not allowed")
	case errors.Is(err, staffbot.ErrInvalid):
		writeError(w, http.StatusBadRequest, "invalid", "invalid request")
	case errors.Is(err, staffbot.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", "the object changed or exists already; read it and try again")
	default:
		s.serverError(w, r, err)
	}
}

// Employee is an employee as the API shows it. Phone and email are left
// out for tokens whose role may not see contacts.
type Employee struct {
	ID              int64             `json:"id"`
	PersonnelNumber string            `json:"personnel_number"`
	FullName        string            `json:"full_name"`
	Position        string            `json:"position"`
	Department      string            `json:"department"`
	Office          string            `json:"office"`
	Phone           string            `json:"phone,omitempty"`
	Email           string            `json:"email,omitempty"`
	HiredOn         string            `json:"hired_on"`
	DismissedOn     *string           `json:"dismissed_on"`
	ManagerID       *int64            `json:"manager_id"`
	MentorID        *int64            `json:"mentor_id"`
	Custom          map[string]string `json:"custom"`
}

func employeeJSON(e *staffbot.Employee) Employee {
	out := Employee{
		ID: int64(e.ID), PersonnelNumber: e.PersonnelNumber, FullName: e.FullName, Position: e.Position,
		Department: e.Department, Office: e.Office, Phone: e.Phone, Email: e.Email, HiredOn: e.HiredOn.String(),
		Custom: e.Custom,
	}
	if out.Custom == nil {
		out.Custom = map[string]string{}
	}
	if e.DismissedOn != nil {
		d := e.DismissedOn.String()
		out.DismissedOn = &d
	}
	if e.ManagerID != nil {
		id := int64(*e.ManagerID)
		out.ManagerID = &id
	}
	if e.MentorID != nil {
		id := int64(*e.MentorID)
		out.MentorID = &id
	}
	return out
}

// EmployeeList is one page of employees. NextAfter, when set, is the
// after parameter of the next page.
type EmployeeList struct {
	Data      []Employee `json:"data"`
	NextAfter *int64     `json:"next_after"`
}

// listEmployees answers GET /api/v1/employees?after=ID&limit=N: the
// employees the token may see, by id, at most limit (default and maximum
// 500) at a time.
func (s *Server) listEmployees(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := store.EmployeePage{Limit: auth.MaxPage}
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "invalid", "after must be an employee id")
			return
		}
		page.AfterID = staffbot.EmployeeID(n)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > auth.MaxPage {
			writeError(w, http.StatusBadRequest, "invalid", "limit must be between 1 and 500")
			return
		}
		page.Limit = n
	}
	list, err := s.auth.ListEmployees(r.Context(), principal(r), page)
	if err != nil {
		s.failFor(w, r, err)
		return
	}
	out := EmployeeList{Data: make([]Employee, len(list))}
	for i, e := range list {
		out.Data[i] = employeeJSON(e)
	}
	if len(list) == page.Limit {
		last := int64(list[len(list)-1].ID)
		out.NextAfter = &last
	}
	writeJSON(w, http.StatusOK, out)
}

// getEmployee answers GET /api/v1/employees/{id}.
func (s *Server) getEmployee(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such object")
		return
	}
	e, err := s.auth.Employee(r.Context(), principal(r), staffbot.EmployeeID(id))
	if err != nil {
		s.failFor(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, employeeJSON(e))
}
