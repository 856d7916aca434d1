package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/store"
)

func (s *Server) settingsRoutes() {
	m := s.mux
	manage := auth.PermCompanyManage
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/settings", Perm: manage}, s.settingsPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/settings/company", Perm: manage}, s.saveCompany)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/settings/telegram/test", Perm: manage}, s.testTelegram)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/settings/telegram", Perm: manage}, s.saveTelegram)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/settings/retention", Perm: manage}, s.saveRetention)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/settings/reports", Perm: manage}, s.saveReports)
	s.scenarioRoutes()
}

// timeZones are the zones the company form offers: Russia's, west to
// east, and a few neighbours'.
var timeZones = []string{
	"Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
	"Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok",
	"Asia/Magadan", "Asia/Kamchatka", "Europe/Minsk", "Asia/Almaty", "Asia/Tashkent", "UTC",
}

type settingsData struct {
	Company   *staffbot.Company
	TimeZones []string

	TelegramSet bool
	TestResult  string
	TestOK      bool

	Connector     *store.Connector
	ConnectorRuns []connectorRunView

	Users     int
	Retention store.Retention
	Digest    bool
	LastSent  string
}

type connectorRunView struct {
	At      string
	Status  string
	Summary string
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Query().Get("m") {
	case "saved":
		s.renderSettings(w, r, http.StatusOK, "", "set.saved", nil)
	default:
		s.renderSettings(w, r, http.StatusOK, "", "", nil)
	}
}

func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, errKey, noticeKey string, test *settingsData) {
	v := s.newView(r, "set.title")
	if v.Company == nil {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	ctx := r.Context()
	st := s.auth.Store()
	co := v.Company
	d := settingsData{Company: co, TimeZones: timeZones, TelegramSet: co.TelegramToken != ""}
	if test != nil {
		d.TestResult, d.TestOK = test.TestResult, test.TestOK
	}
	if !containsZone(d.TimeZones, co.TimeZone) {
		d.TimeZones = append([]string{co.TimeZone}, d.TimeZones...)
	}

	conn, err := st.FindConnector(ctx, co.ID)
	switch {
	case errors.Is(err, staffbot.ErrNotFound):
	case err != nil:
		s.serverError(w, r, err)
		return
	default:
		conn.Secret = ""
		d.Connector = conn
		runs, err := st.FindConnectorRuns(ctx, co.ID, 5)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		for _, run := range runs {
			d.ConnectorRuns = append(d.ConnectorRuns, connectorRunView{
				At: run.StartedAt.In(co.Location()).Format("02.01.2006 15:04"), Status: run.Status,
				Summary: v.T("set.conn.run", run.Fetched, run.Created, run.Updated, run.Revoked) + " " + run.ErrorKind,
			})
		}
	}
	users, err := st.FindUsers(ctx, co.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d.Users = len(users)
	if d.Retention, err = st.FindRetention(ctx, co.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	if d.Digest, err = st.DigestEnabled(ctx, co.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	if week, at, err := st.LastDigest(ctx, co.ID); err == nil && week != "" {
		d.LastSent = at.In(co.Location()).Format("02.01.2006 15:04")
	}
	if errKey != "" {
		v.Error = v.T(errKey)
	}
	if noticeKey != "" {
		v.Notice = v.T(noticeKey)
	}
	v.Data = d
	s.render(w, r, status, "settings", v)
}

func containsZone(list []string, z string) bool {
	for _, x := range list {
		if x == z {
			return true
		}
	}
	return false
}

func (s *Server) saveCompany(w http.ResponseWriter, r *http.Request) {
	p := current(r).Principal
	err := s.auth.Store().UpdateCompanyProfile(actorContext(r.Context(), p), p.CompanyID,
		r.PostFormValue("name"), r.PostFormValue("time_zone"), s.clock.Now())
	if errors.Is(err, staffbot.ErrInvalid) {
		s.renderSettings(w, r, http.StatusOK, "set.company.invalid", "", nil)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/settings?m=saved", http.StatusSeeOther)
}

// checkToken calls getMe with the token and says what came back, in
// words for HR; the token never reaches the log.
func (s *Server) checkToken(ctx context.Context, token string) (*telegram.User, string) {
	if s.pages.TelegramAPIURL == "" {
		return nil, "set.tg.no_api"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	me, err := telegram.NewClient(s.pages.TelegramAPIURL, token, s.pages.HTTPClient).GetMe(ctx)
	switch {
	case err == nil:
		return me, ""
	case errors.Is(err, telegram.ErrUnauthorized):
		return nil, "set.tg.unauthorized"
	case errors.Is(err, context.DeadlineExceeded):
		return nil, "set.tg.timeout"
	}
	s.logger.WarnContext(ctx, "Telegram check failed", slog.String("error", err.Error()))
	return nil, "set.tg.failed"
}

// testTelegram checks the company's saved bot token with getMe.
func (s *Server) testTelegram(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "set.title")
	if v.Company == nil || v.Company.TelegramToken == "" {
		s.renderSettings(w, r, http.StatusOK, "set.tg.none", "", nil)
		return
	}
	me, errKey := s.checkToken(r.Context(), v.Company.TelegramToken)
	res := &settingsData{}
	if me != nil {
		res.TestOK, res.TestResult = true, v.T("set.tg.ok", me.Username, me.FirstName)
	} else {
		res.TestResult = v.T(errKey)
	}
	s.renderSettings(w, r, http.StatusOK, "", "", res)
}

// saveTelegram checks a new bot token with getMe and saves it with the
// bot's username; a token Telegram refuses is not saved.
func (s *Server) saveTelegram(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "set.title")
	p := current(r).Principal
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" || strings.ContainsAny(token, " /?#") || v.Company == nil {
		s.renderSettings(w, r, http.StatusOK, "set.tg.bad_token", "", nil)
		return
	}
	me, errKey := s.checkToken(r.Context(), token)
	if me == nil {
		s.renderSettings(w, r, http.StatusOK, errKey, "", nil)
		return
	}
	secret := v.Company.TelegramWebhookSecret
	if secret == "" {
		secret = staffbot.NewInviteCode() + staffbot.NewInviteCode()
	}
	if err := s.auth.Store().UpdateCompanyTelegram(actorContext(r.Context(), p), p.CompanyID, me.Username, token, secret); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderSettings(w, r, http.StatusOK, "", "set.tg.saved", nil)
}

func (s *Server) saveRetention(w http.ResponseWriter, r *http.Request) {
	p := current(r).Principal
	audit, err1 := strconv.Atoi(r.PostFormValue("audit_days"))
	anon, err2 := strconv.Atoi(r.PostFormValue("anonymize_after_days"))
	if err1 != nil || err2 != nil {
		s.renderSettings(w, r, http.StatusOK, "set.ret.invalid", "", nil)
		return
	}
	err := s.auth.Store().SetRetention(actorContext(r.Context(), p), p.CompanyID,
		store.Retention{AuditDays: audit, AnonymizeAfterDays: anon}, s.clock.Now())
	if errors.Is(err, staffbot.ErrInvalid) {
		s.renderSettings(w, r, http.StatusOK, "set.ret.invalid", "", nil)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/settings?m=saved", http.StatusSeeOther)
}

func (s *Server) saveReports(w http.ResponseWriter, r *http.Request) {
	p := current(r).Principal
	on := r.PostFormValue("digest") == "1"
	if err := s.auth.Store().SetDigestEnabled(actorContext(r.Context(), p), p.CompanyID, on, s.clock.Now()); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/settings?"+url.Values{"m": {"saved"}}.Encode(), http.StatusSeeOther)
}
