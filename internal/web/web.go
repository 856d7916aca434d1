// Package web is the HR cabinet: server-rendered pages under /hr/ for the
// people who run a company's staffbot. It signs them in (password, TOTP,
// recovery codes, forced password change and 2FA enrolment), keeps their
// sessions in HttpOnly, SameSite=Strict cookies, checks a CSRF token on
// every form, and shows only what their role and scope allow. Every route
// is declared in one table with the permission it needs.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/locale"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages are the templates, each parsed together with the layout.
var pages = func() map[string]*template.Template {
	base := template.Must(template.ParseFS(templateFS, "templates/layout.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
	}
	return out
}()

// Config is what the cabinet needs.
type Config struct {
	Auth   *auth.Service
	Clock  staffbot.Clock
	Logger *slog.Logger

	// BaseURL is the public address; when it is https, cookies are Secure
	// and carry the __Host- prefix.
	BaseURL string

	// Pages: what the dashboards, onboarding, scenarios and settings pages
	// need beyond sign-in (dash.go).
	Pages Pages
}

// Server serves the cabinet.
type Server struct {
	auth   *auth.Service
	clock  staffbot.Clock
	logger *slog.Logger
	secure bool
	origin string

	mux   *auth.Mux
	pages Pages

	// requests is set when HR's queue of self-service requests is on.
	requests bool

	// loginLimit throttles sign-in and code attempts per client network.
	loginLimit *auth.Limiter
}

// New builds the cabinet and its route table.
func New(cfg Config) *Server {
	s := &Server{
		auth:       cfg.Auth,
		clock:      cfg.Clock,
		logger:     cfg.Logger,
		loginLimit: auth.NewLimiter(10, 20),
		pages:      cfg.Pages,
	}
	if s.clock == nil {
		s.clock = staffbot.SystemClock{}
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Host != "" {
		s.secure = u.Scheme == "https"
		s.origin = u.Scheme + "://" + u.Host
	}
	s.mux = auth.NewMux(s.guard)
	s.routes()
	return s
}

// Register adds the cabinet's routes to mux.
func (s *Server) Register(mux *http.ServeMux) { s.mux.Register(mux) }

// Routes returns the cabinet's route table.
func (s *Server) Routes() []auth.Route { return s.mux.Routes() }

func (s *Server) routes() {
	partial := []string{auth.StageTOTP, auth.StagePassword, auth.StageEnrol, auth.StageFull}
	m := s.mux
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr", Public: true}, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/hr/", http.StatusSeeOther)
	})
	m.Handle(auth.Route{Method: "GET", Path: "/hr/static/", Public: true}, staticHandler())
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/lang", Public: true}, s.switchLang)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/login", Public: true}, s.loginPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/login", Public: true}, s.login)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/login/code", Stages: []string{auth.StageTOTP}}, s.codePage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/login/code", Stages: []string{auth.StageTOTP}}, s.code)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/password", Stages: []string{auth.StagePassword, auth.StageFull}}, s.passwordPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/password", Stages: []string{auth.StagePassword, auth.StageFull}}, s.changePassword)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/2fa", Stages: []string{auth.StageEnrol, auth.StageFull}}, s.securityPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/2fa", Stages: []string{auth.StageEnrol, auth.StageFull}}, s.confirmEnrolment)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/2fa/recovery"}, s.renewCodes)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/2fa/disable"}, s.disableTOTP)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/logout", Stages: partial}, s.logout)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/logout-all"}, s.logoutAll)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/{$}"}, s.home)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/employees/{id}", Perm: auth.PermEmployeesRead, Object: "employee"}, s.employeeCard)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/users", Perm: auth.PermUsersManage}, s.usersPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/users", Perm: auth.PermUsersManage}, s.createUser)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/users/{id}/reset", Perm: auth.PermUsersManage, Object: "user"}, s.resetUser)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/users/{id}/block", Perm: auth.PermUsersManage, Object: "user"}, s.blockUser)
	s.dashRoutes()
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/hr/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

type ctxKey struct{}

// current returns the session the guard found for the request.
func current(r *http.Request) *auth.Current {
	cur, _ := r.Context().Value(ctxKey{}).(*auth.Current)
	return cur
}

// stagePath is the page where a session at the stage continues.
func stagePath(stage string) string {
	switch stage {
	case auth.StageTOTP:
		return "/hr/login/code"
	case auth.StagePassword:
		return "/hr/password"
	case auth.StageEnrol:
		return "/hr/2fa"
	}
	return "/hr/"
}

// maxForm bounds a form body; the cabinet's forms are small.
const maxForm = 64 << 10

// guard enforces a route's table entry: security headers on every
// answer; for routes behind sign-in a live session at an allowed stage,
// the route's permission, and on every POST a same-origin request with
// the session's CSRF token; on public POSTs the pre-session CSRF token.
func (s *Server) guard(rt auth.Route, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", "same-origin")
		if rt.Path != "/hr/static/" {
			hdr.Set("Cache-Control", "no-store")
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, formLimit(rt.Path))
			if !s.sameOrigin(r) {
				s.logger.WarnContext(r.Context(), "Cross-origin form refused", slog.String("path", rt.Path))
				s.fail(w, r, http.StatusForbidden)
				return
			}
		}

		if rt.Public {
			if r.Method == http.MethodPost && !auth.CheckCSRF(s.cookie(r, preCookie), r.PostFormValue("csrf")) {
				s.fail(w, r, http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
			return
		}

		cur, err := s.auth.Authenticate(r.Context(), s.cookie(r, sessionCookie), auth.ClientIP(r))
		switch {
		case errors.Is(err, staffbot.ErrNotFound), errors.Is(err, staffbot.ErrExpired):
			s.clearCookie(w, sessionCookie)
			target := "/hr/login"
			if errors.Is(err, staffbot.ErrExpired) {
				target += "?m=expired"
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		case err != nil:
			s.serverError(w, r, err)
			return
		}

		stage := cur.Session.Stage
		allowed := stage == auth.StageFull
		if len(rt.Stages) > 0 {
			allowed = contains(rt.Stages, stage)
		}
		if !allowed {
			http.Redirect(w, r, stagePath(stage), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !auth.CheckCSRF(cur.Token, r.PostFormValue("csrf")) {
			s.logger.WarnContext(r.Context(), "CSRF token refused", slog.String("path", rt.Path),
				slog.Int64("company_id", int64(cur.User.CompanyID)), slog.Int64("user_id", int64(cur.User.ID)))
			s.fail(w, r, http.StatusForbidden)
			return
		}
		if rt.Perm != "" && !cur.Principal.Can(rt.Perm) {
			s.fail(w, r, http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, cur)))
	})
}

// sameOrigin refuses a form posted from another site when the browser
// says where it came from (Sec-Fetch-Site, else Origin). SameSite=Strict
// cookies and the CSRF token are the main defence; this is a second one.
func (s *Server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == s.origin {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Cookie names; over https they get the __Host- prefix, which browsers
// accept only with Secure, Path=/ and no Domain.
const (
	sessionCookie = "staffbot_session"
	preCookie     = "staffbot_pre"
	langCookie    = "staffbot_lang"
	companyCookie = "staffbot_company"
)

func (s *Server) cookieName(name string) string {
	if s.secure {
		return "__Host-" + name
	}
	return name
}

func (s *Server) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(s.cookieName(name))
	if err != nil {
		return ""
	}
	return c.Value
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(name), Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(name), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode,
	})
}

// setSession puts a new session's token into the cookie. The cookie lives
// as long as the browser; the server ends the session on its own terms.
func (s *Server) setSession(w http.ResponseWriter, g *auth.Grant) {
	s.setCookie(w, sessionCookie, g.Token, 0)
}

// lang is the language the visitor chose, Russian by default.
func (s *Server) lang(r *http.Request) locale.Lang {
	if s.cookie(r, langCookie) == string(locale.EN) {
		return locale.EN
	}
	return locale.RU
}

// switchLang remembers the other language and goes back to a page of the
// cabinet; a next outside /hr/ is ignored.
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	to := locale.RU
	if r.URL.Query().Get("to") == string(locale.EN) {
		to = locale.EN
	}
	s.setCookie(w, langCookie, string(to), 365*24*time.Hour)
	next := r.URL.Query().Get("next")
	if !strings.HasPrefix(next, "/hr/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		next = "/hr/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// view is what every page template gets.
type view struct {
	Lang    locale.Lang
	Title   string
	CSRF    string
	Cur     *auth.Current
	Full    bool
	Company *staffbot.Company
	Error   string
	Notice  string
	LangURL string
	Data    any

	// Requests says the cabinet has HR's queue of self-service requests.
	Requests bool
}

// T translates a text key for the page's language.
func (v *view) T(key string, args ...any) string { return tr(v.Lang, key, args...) }

// Can reports whether the signed-in user has the permission.
func (v *view) Can(perm string) bool {
	return v.Cur != nil && v.Full && v.Cur.Principal.Can(auth.Permission(perm))
}

// RoleName names a role in the page's language.
func (v *view) RoleName(role any) string {
	switch r := role.(type) {
	case auth.Role:
		return roleName(v.Lang, r)
	case string:
		return roleName(v.Lang, auth.Role(r))
	}
	return ""
}

// Date shows a calendar date as Russians write it, 01.04.2025.
func (v *view) Date(d any) string {
	switch d := d.(type) {
	case staffbot.Date:
		return fmt.Sprintf("%02d.%02d.%04d", d.Day, d.Month, d.Year)
	case *staffbot.Date:
		if d != nil {
			return v.Date(*d)
		}
	}
	return ""
}

// MayGrant reports whether the signed-in user may manage users of role.
func (v *view) MayGrant(role string) bool {
	return v.Cur != nil && v.Cur.Principal.Role.CanGrant(auth.Role(role))
}

// newView fills the parts every page shares.
func (s *Server) newView(r *http.Request, titleKey string) *view {
	v := &view{Lang: s.lang(r), Cur: current(r), Requests: s.requests}
	v.Title = tr(v.Lang, titleKey)
	other := locale.EN
	if v.Lang == locale.EN {
		other = locale.RU
	}
	v.LangURL = "/hr/lang?" + url.Values{"to": {string(other)}, "next": {r.URL.RequestURI()}}.Encode()
	if v.Cur != nil {
		v.CSRF = auth.CSRFToken(v.Cur.Token)
		v.Full = v.Cur.Session.Stage == auth.StageFull
		if co, err := s.auth.Store().FindCompanyByID(r.Context(), v.Cur.User.CompanyID); err == nil {
			v.Company = co
		}
	}
	return v
}

// render writes a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	t, ok := pages[page]
	if !ok {
		s.serverError(w, r, errors.New("bug: no page "+page))
		return
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(buf.String()))
}

// fail answers with an error page that tells nothing about the object.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int) {
	key := "err.404"
	switch status {
	case http.StatusForbidden:
		key = "err.403"
	case http.StatusInternalServerError:
		key = "err.500"
	}
	v := s.newView(r, key)
	v.Data = tr(v.Lang, key+".text")
	t := pages["error"]
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(buf.String()))
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.ErrorContext(r.Context(), "Cabinet request failed", slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	s.fail(w, r, http.StatusInternalServerError)
}

// failFor answers a guarded operation's error: 404 for anything not found
// (another company's object included), 403 for a refusal, 500 otherwise.
func (s *Server) failFor(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, staffbot.ErrNotFound):
		s.fail(w, r, http.StatusNotFound)
	case errors.Is(err, staffbot.ErrForbidden):
		s.fail(w, r, http.StatusForbidden)
	default:
		s.serverError(w, r, err)
	}
}
