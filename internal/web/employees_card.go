package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// accountView is a messenger account on the employee card.
type accountView struct {
	Channel    string
	Registered string
	Consented  string
	Blocked    bool
}

// inviteShown is a new invite, shown once.
type inviteShown struct {
	WebLink      string
	TelegramLink string
	Expires      string
	MailedTo     string
	MailFailed   bool
}

type cardData struct {
	E          *staffbot.Employee
	Manager    string
	Mentor     string
	Bot        string
	Accounts   []accountView
	InvitedAt  string
	ExpiresAt  string
	UsedAt     string
	Invites    int
	LastActive string
	Active     bool

	Onboarding *newcomerRow
	OnbStatus  string

	CanInvite bool
	Invite    *inviteShown
}

// employeeCard shows an employee with their standing with the bot, the
// invite buttons and their onboarding at a glance.
func (s *Server) employeeCard(w http.ResponseWriter, r *http.Request) {
	s.renderCard(w, r, nil)
}

func (s *Server) renderCard(w http.ResponseWriter, r *http.Request, inv *inviteShown) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	p := current(r).Principal
	e, err := s.auth.Employee(r.Context(), p, staffbot.EmployeeID(id))
	if err != nil {
		s.failFor(w, r, err)
		return
	}
	v := s.newView(r, "app")
	v.Title = e.FullName
	st := s.auth.Store()
	loc := time.UTC
	if v.Company != nil {
		loc = v.Company.Location()
	}
	format := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("02.01.2006 15:04")
	}

	d := cardData{E: e, Active: e.Active(s.today(v.Company)), Invite: inv}
	d.CanInvite = p.Can(auth.PermEmployeesWrite) && d.Active

	var people []staffbot.EmployeeID
	for _, ref := range []*staffbot.EmployeeID{e.ManagerID, e.MentorID} {
		if ref != nil {
			people = append(people, *ref)
		}
	}
	names, err := st.EmployeeNames(r.Context(), p.CompanyID, people)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if e.ManagerID != nil {
		d.Manager = names[*e.ManagerID]
	}
	if e.MentorID != nil {
		d.Mentor = names[*e.MentorID]
	}

	bots, err := st.BotStatuses(r.Context(), p.CompanyID, []staffbot.EmployeeID{e.ID})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	b := bots[e.ID]
	d.Bot, d.Invites, d.LastActive = b.Status(), b.Invites, dayText(b.LastActiveOn)
	d.InvitedAt, d.ExpiresAt, d.UsedAt = format(b.InvitedAt), format(b.InviteExpiresAt), format(b.InviteUsedAt)
	for _, a := range b.Accounts {
		d.Accounts = append(d.Accounts, accountView{Channel: channelTitle(v.Lang, a.Kind),
			Registered: format(&a.RegisteredAt), Consented: format(a.ConsentedAt), Blocked: a.Blocked})
	}

	def := s.onboardingDef(r.Context(), p.CompanyID)
	list, _, err := st.FindNewcomers(r.Context(), p.CompanyID, store.NewcomerFilter{
		Scenario: s.onboardingScenario(r.Context(), p.CompanyID), EmployeeID: e.ID, Scope: p.Scope(),
	}, s.clock.Now())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if len(list) == 1 && list[0].Run != nil {
		rows, _, err := s.newcomerRows(r, v.Lang, v.Company, def, list)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		d.Onboarding = &rows[0]
		d.OnbStatus = list[0].Status
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "employees_card", v)
}

func channelTitle(lang locale.Lang, kind staffbot.ChannelKind) string {
	switch kind {
	case staffbot.ChannelTelegram:
		return "Telegram"
	case staffbot.ChannelWebchat:
		return tr(lang, "ch.webchat")
	}
	return string(kind)
}

// publicURL is the address links to the server start with.
func (s *Server) publicURL(r *http.Request) string {
	if s.origin != "" {
		return s.origin
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// inviteEmployee makes a new personal invite, which retires any earlier
// one, and shows its links once; with e-mail set up and an address on
// file it also mails the web link.
func (s *Server) inviteEmployee(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	p := current(r).Principal
	e, err := s.auth.Store().FindEmployeeInScope(r.Context(), p.CompanyID, p.Scope(), staffbot.EmployeeID(id))
	if err != nil {
		s.failFor(w, r, err)
		return
	}
	co, err := s.auth.Store().FindCompanyByID(r.Context(), p.CompanyID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	now := s.clock.Now()
	if !e.Active(s.today(co)) {
		s.fail(w, r, http.StatusConflict)
		return
	}
	ttl := s.pages.InviteTTL
	if ttl == 0 {
		ttl = staffbot.DefaultInviteTTL
	}
	code := staffbot.NewInviteCode()
	inv, err := s.auth.Store().CreateInvite(actorContext(r.Context(), p), p.CompanyID, e.ID, staffbot.HashInviteCode(code), now, ttl)
	if err != nil {
		s.serverError(w, r, err)
		return
	}

	shown := &inviteShown{
		WebLink: s.publicURL(r) + "/join/" + code,
		Expires: inv.ExpiresAt.In(co.Location()).Format("02.01.2006 15:04"),
	}
	if co.TelegramBotUsername != "" {
		shown.TelegramLink = "https://t.me/" + co.TelegramBotUsername + "?start=" + code
	}
	if s.pages.SendMail != nil && e.Email != "" {
		shown.MailedTo = maskEmail(e.Email)
		if err := s.mailInvite(r.Context(), co, e, shown); err != nil {
			shown.MailFailed = true
			s.logger.WarnContext(r.Context(), "Invite not mailed", slog.Int64("company_id", int64(co.ID)),
				slog.Int64("employee_id", int64(e.ID)), slog.String("error", err.Error()))
		}
	}
	s.renderCard(w, r, shown)
}

func (s *Server) mailInvite(ctx context.Context, co *staffbot.Company, e *staffbot.Employee, inv *inviteShown) error {
	body := fmt.Sprintf(tr(locale.RU, "inv.mail.body"), e.FirstName(), co.Name, inv.WebLink, inv.Expires)
	if inv.TelegramLink != "" {
		body += "\n\n" + fmt.Sprintf(tr(locale.RU, "inv.mail.telegram"), inv.TelegramLink)
	}
	if err := s.pages.SendMail(ctx, e.Email, fmt.Sprintf(tr(locale.RU, "inv.mail.subject"), co.Name), body); err != nil {
		return errors.New("send invite mail: " + err.Error())
	}
	return nil
}

// maskEmail keeps the first letter and the domain of an address.
func maskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "***"
	}
	return string([]rune(local)[:1]) + "***@" + domain
}
