package web

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/store"
)

// loginForm is what the sign-in page shows back.
type loginForm struct {
	Company string
	Email   string
}

// loginPage shows the sign-in form with a fresh pre-session CSRF token,
// or sends a visitor who is signed in already on to where they belong.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if tok := s.cookie(r, sessionCookie); tok != "" {
		if cur, err := s.auth.Authenticate(r.Context(), tok, auth.ClientIP(r)); err == nil {
			http.Redirect(w, r, stagePath(cur.Session.Stage), http.StatusSeeOther)
			return
		}
	}
	v := s.newView(r, "login.title")
	switch r.URL.Query().Get("m") {
	case "out":
		v.Notice = v.T("login.out")
	case "out_all":
		v.Notice = v.T("login.out_all")
	case "expired":
		v.Notice = v.T("login.expired")
	}
	company := r.URL.Query().Get("company")
	if company == "" {
		company = s.cookie(r, companyCookie)
	}
	s.renderLogin(w, r, http.StatusOK, v, loginForm{Company: company})
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, v *view, f loginForm) {
	pre := s.cookie(r, preCookie)
	if pre == "" {
		b := make([]byte, 32)
		rand.Read(b)
		pre = base64.RawURLEncoding.EncodeToString(b)
		s.setCookie(w, preCookie, pre, 0)
	}
	v.CSRF = auth.CSRFToken(pre)
	v.Data = f
	s.render(w, r, status, "login", v)
}

// throttled answers 429 when the client network has used up its sign-in
// attempts.
func (s *Server) throttled(w http.ResponseWriter, r *http.Request) bool {
	ok, wait := s.loginLimit.Allow(r, s.clock.Now())
	if ok {
		return false
	}
	s.logger.WarnContext(r.Context(), "Sign-in throttled", slog.String("path", r.URL.Path))
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	v := s.newView(r, "login.title")
	v.Error = v.T("login.throttled")
	if r.URL.Path == "/hr/login" {
		s.renderLogin(w, r, http.StatusTooManyRequests, v, loginForm{Company: r.PostFormValue("company")})
	} else {
		s.render(w, r, http.StatusTooManyRequests, "code", v)
	}
	return true
}

// lockedText says how long a locked account waits.
func lockedText(v *view, until, now time.Time) string {
	return v.T("login.locked", max(1, int(math.Ceil(until.Sub(now).Minutes()))))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.throttled(w, r) {
		return
	}
	f := loginForm{Company: strings.TrimSpace(r.PostFormValue("company")), Email: strings.TrimSpace(r.PostFormValue("email"))}
	g, err := s.auth.LoginWithSlug(r.Context(), f.Company, f.Email, r.PostFormValue("password"), auth.ClientIP(r))
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		v := s.newView(r, "login.title")
		v.Error = lockedText(v, locked.Until, s.clock.Now())
		s.renderLogin(w, r, http.StatusTooManyRequests, v, f)
		return
	case errors.Is(err, auth.ErrBadCredentials):
		v := s.newView(r, "login.title")
		v.Error = v.T("login.bad")
		s.renderLogin(w, r, http.StatusUnauthorized, v, f)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	s.clearCookie(w, preCookie)
	s.setCookie(w, companyCookie, strings.ToLower(f.Company), 365*24*time.Hour)
	s.setSession(w, g)
	http.Redirect(w, r, stagePath(g.Session.Stage), http.StatusSeeOther)
}

func (s *Server) codePage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "code", s.newView(r, "code.title"))
}

func (s *Server) code(w http.ResponseWriter, r *http.Request) {
	if s.throttled(w, r) {
		return
	}
	g, err := s.auth.SecondFactor(r.Context(), current(r), r.PostFormValue("code"))
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		v := s.newView(r, "code.title")
		v.Error = lockedText(v, locked.Until, s.clock.Now())
		s.render(w, r, http.StatusTooManyRequests, "code", v)
		return
	case errors.Is(err, auth.ErrBadCredentials):
		v := s.newView(r, "code.title")
		v.Error = v.T("code.bad")
		s.render(w, r, http.StatusUnauthorized, "code", v)
		return
	case err != nil:
		s.failFor(w, r, err)
		return
	}
	s.setSession(w, g)
	http.Redirect(w, r, stagePath(g.Session.Stage), http.StatusSeeOther)
}

type passwordForm struct {
	Min         int
	NeedCurrent bool
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request) {
	s.renderPassword(w, r, http.StatusOK, "")
}

func (s *Server) renderPassword(w http.ResponseWriter, r *http.Request, status int, errKey string) {
	v := s.newView(r, "password.title")
	if errKey != "" {
		v.Error = v.T(errKey, auth.MinPasswordLen)
	}
	v.Data = passwordForm{Min: auth.MinPasswordLen, NeedCurrent: current(r).Session.Stage == auth.StageFull}
	s.render(w, r, status, "password", v)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	next := r.PostFormValue("new")
	if next != r.PostFormValue("repeat") {
		s.renderPassword(w, r, http.StatusUnprocessableEntity, "password.mismatch")
		return
	}
	g, err := s.auth.ChangePassword(r.Context(), current(r), r.PostFormValue("current"), next)
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		s.clearCookie(w, sessionCookie)
		http.Redirect(w, r, "/hr/login", http.StatusSeeOther)
		return
	case errors.Is(err, auth.ErrBadCredentials):
		s.renderPassword(w, r, http.StatusUnauthorized, "password.bad")
		return
	case errors.Is(err, staffbot.ErrInvalid):
		s.renderPassword(w, r, http.StatusUnprocessableEntity, "password.weak")
		return
	case err != nil:
		s.failFor(w, r, err)
		return
	}
	s.setSession(w, g)
	http.Redirect(w, r, stagePath(g.Session.Stage), http.StatusSeeOther)
}

type enrolForm struct {
	Required bool
	QR       template.URL
	Secret   string
}

type securityInfo struct {
	CodesLeft  int
	MayDisable bool
}

// securityPage shows the enrolment QR code while two-factor sign-in is
// off, and its settings once it is on.
func (s *Server) securityPage(w http.ResponseWriter, r *http.Request) {
	cur := current(r)
	if cur.User.TOTPEnabled() {
		s.renderSecurity(w, r, http.StatusOK, "", "")
		return
	}
	s.renderEnrol(w, r, http.StatusOK, "")
}

func (s *Server) renderEnrol(w http.ResponseWriter, r *http.Request, status int, errKey string) {
	cur := current(r)
	enr, err := s.auth.StartEnrolment(r.Context(), cur)
	if err != nil {
		s.failFor(w, r, err)
		return
	}
	v := s.newView(r, "tfa.title")
	if errKey != "" {
		v.Error = v.T(errKey)
	}
	v.Data = enrolForm{
		Required: cur.Session.Stage == auth.StageEnrol,
		QR:       template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(enr.QRCode)),
		Secret:   enr.Secret,
	}
	s.render(w, r, status, "enrol", v)
}

func (s *Server) renderSecurity(w http.ResponseWriter, r *http.Request, status int, errKey, noticeKey string) {
	cur := current(r)
	n, err := s.auth.Store().CountRecoveryCodes(r.Context(), cur.User.CompanyID, cur.User.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := s.newView(r, "tfa.title")
	if errKey != "" {
		v.Error = v.T(errKey)
	}
	if noticeKey != "" {
		v.Notice = v.T(noticeKey)
	}
	v.Data = securityInfo{CodesLeft: n, MayDisable: !auth.Role(cur.User.Role).RequiresTOTP()}
	s.render(w, r, status, "security", v)
}

func (s *Server) confirmEnrolment(w http.ResponseWriter, r *http.Request) {
	codes, g, err := s.auth.ConfirmEnrolment(r.Context(), current(r), r.PostFormValue("code"))
	switch {
	case errors.Is(err, staffbot.ErrInvalid):
		s.renderEnrol(w, r, http.StatusUnprocessableEntity, "code.bad")
		return
	case errors.Is(err, staffbot.ErrConflict):
		http.Redirect(w, r, "/hr/2fa", http.StatusSeeOther)
		return
	case err != nil:
		s.failFor(w, r, err)
		return
	}
	if g != nil {
		s.setSession(w, g)
	}
	s.renderCodes(w, r, codes, g)
}

// renderCodes shows recovery codes once. After a session change the page
// is drawn for the new session, so its forms carry the new CSRF token.
func (s *Server) renderCodes(w http.ResponseWriter, r *http.Request, codes []string, g *auth.Grant) {
	v := s.newView(r, "codes.title")
	if g != nil {
		v.Cur = &auth.Current{Token: g.Token, Session: g.Session, User: g.User, Principal: v.Cur.Principal}
		v.CSRF = auth.CSRFToken(g.Token)
		v.Full = g.Session.Stage == auth.StageFull
	}
	v.Data = codes
	s.render(w, r, http.StatusOK, "codes", v)
}

func (s *Server) renewCodes(w http.ResponseWriter, r *http.Request) {
	codes, err := s.auth.RenewRecoveryCodes(r.Context(), current(r), r.PostFormValue("code"))
	if s.codeRefused(w, r, err) {
		return
	}
	s.renderCodes(w, r, codes, nil)
}

// codeRefused answers a two-factor action that err refused: a wrong or
// throttled code shows the security page again, a state that changed
// meanwhile goes back to it. It reports whether it answered.
func (s *Server) codeRefused(w http.ResponseWriter, r *http.Request, err error) bool {
	var locked *auth.LockedError
	switch {
	case err == nil:
		return false
	case errors.As(err, &locked):
		s.renderSecurity(w, r, http.StatusTooManyRequests, "code.bad", "")
	case errors.Is(err, staffbot.ErrInvalid), errors.Is(err, auth.ErrBadCredentials):
		s.renderSecurity(w, r, http.StatusUnprocessableEntity, "code.bad", "")
	case errors.Is(err, staffbot.ErrConflict):
		http.Redirect(w, r, "/hr/2fa", http.StatusSeeOther)
	default:
		s.failFor(w, r, err)
	}
	return true
}

func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request) {
	err := s.auth.DisableTOTP(r.Context(), current(r), r.PostFormValue("code"))
	if s.codeRefused(w, r, err) {
		return
	}
	http.Redirect(w, r, "/hr/2fa", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.auth.Logout(r.Context(), current(r)); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/hr/login?m=out", http.StatusSeeOther)
}

func (s *Server) logoutAll(w http.ResponseWriter, r *http.Request) {
	if _, err := s.auth.LogoutEverywhere(r.Context(), current(r)); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/hr/login?m=out_all", http.StatusSeeOther)
}

// homeData is the employee list of the home page.
type homeData struct {
	Allowed   bool
	Contacts  bool
	Employees []*staffbot.Employee
	More      bool
	Limit     int
}

// home lists the employees the user may see, by personnel number.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	p := current(r).Principal
	d := homeData{Allowed: p.Can(auth.PermEmployeesRead), Contacts: p.Can(auth.PermEmployeesContacts), Limit: auth.MaxPage}
	if d.Allowed {
		list, err := s.auth.ListEmployees(r.Context(), p, store.EmployeePage{Limit: auth.MaxPage})
		if err != nil {
			s.failFor(w, r, err)
			return
		}
		slices.SortFunc(list, func(a, b *staffbot.Employee) int {
			return cmp.Or(cmp.Compare(a.PersonnelNumber, b.PersonnelNumber), cmp.Compare(a.ID, b.ID))
		})
		d.Employees, d.More = list, len(list) == auth.MaxPage
	}
	v := s.newView(r, "home.employees")
	v.Data = d
	s.render(w, r, http.StatusOK, "home", v)
}

// pathID reads the {id} wildcard; a malformed one is simply not found.
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

type usersData struct {
	Users []*store.User
	Roles []auth.Role
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, "", "")
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, errKey, noticeKey string) {
	p := current(r).Principal
	users, err := s.auth.ListUsers(r.Context(), p, p.CompanyID)
	if err != nil {
		s.failFor(w, r, err)
		return
	}
	// Least powerful first, so the form's default grants the least.
	var roles []auth.Role
	for _, role := range []auth.Role{auth.RoleAnalyst, auth.RoleHROperator, auth.RoleHRManager,
		auth.RoleLineManager, auth.RoleAdmin, auth.RoleOwner} {
		if p.Role.CanGrant(role) {
			roles = append(roles, role)
		}
	}
	v := s.newView(r, "users.title")
	if errKey != "" {
		v.Error = v.T(errKey)
	}
	if noticeKey != "" {
		v.Notice = v.T(noticeKey)
	}
	v.Data = usersData{Users: users, Roles: roles}
	s.render(w, r, status, "users", v)
}

// splitList reads a comma-separated form field.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

type shownPassword struct {
	Email    string
	Password string
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	p := current(r).Principal
	nu := auth.NewUser{
		Email:       r.PostFormValue("email"),
		Role:        auth.Role(r.PostFormValue("role")),
		Departments: splitList(r.PostFormValue("departments")),
		Offices:     splitList(r.PostFormValue("offices")),
	}
	if number := strings.TrimSpace(r.PostFormValue("employee")); number != "" {
		e, err := s.auth.Store().FindEmployeeByNumber(r.Context(), p.CompanyID, number)
		if errors.Is(err, staffbot.ErrNotFound) {
			s.renderUsers(w, r, http.StatusUnprocessableEntity, "users.invalid", "")
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		nu.EmployeeID = &e.ID
	}
	u, password, err := s.auth.CreateUser(r.Context(), p, p.CompanyID, nu)
	switch {
	case errors.Is(err, staffbot.ErrConflict):
		s.renderUsers(w, r, http.StatusConflict, "users.exists", "")
		return
	case errors.Is(err, staffbot.ErrInvalid), errors.Is(err, staffbot.ErrNotFound):
		s.renderUsers(w, r, http.StatusUnprocessableEntity, "users.invalid", "")
		return
	case err != nil:
		s.failFor(w, r, err)
		return
	}
	v := s.newView(r, "users.created")
	v.Data = shownPassword{Email: u.Email, Password: password}
	s.render(w, r, http.StatusOK, "password_shown", v)
}

func (s *Server) resetUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	p := current(r).Principal
	password, err := s.auth.ResetUser(r.Context(), p, p.CompanyID, store.UserID(id))
	if err != nil {
		s.failFor(w, r, err)
		return
	}
	u, err := s.auth.Store().FindUserByID(r.Context(), p.CompanyID, store.UserID(id))
	if err != nil {
		s.failFor(w, r, err)
		return
	}
	if u.ID == p.UserID {
		// Resetting yourself ends your own session too.
		s.clearCookie(w, sessionCookie)
	}
	v := s.newView(r, "users.reset")
	v.Data = shownPassword{Email: u.Email, Password: password}
	s.render(w, r, http.StatusOK, "password_shown", v)
}

func (s *Server) blockUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	err := s.auth.SetUserBlocked(r.Context(), current(r).Principal, store.UserID(id), r.PostFormValue("blocked") == "1")
	if errors.Is(err, staffbot.ErrInvalid) {
		s.renderUsers(w, r, http.StatusUnprocessableEntity, "users.self", "")
		return
	}
	if err != nil {
		s.failFor(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/users", http.StatusSeeOther)
}
