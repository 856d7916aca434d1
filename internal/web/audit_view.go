package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/store"
)

// auditPerPage is how many records a page of the audit log shows.
const auditPerPage = 100

func (s *Server) auditRoutes() {
	s.mux.HandleFunc(auth.Route{Method: "GET", Path: "/hr/audit", Perm: auth.PermAuditRead}, s.auditPage)
}

type auditRow struct {
	Seq     int64
	At      string
	Actor   string
	IP      string
	Action  string
	Object  string
	Subject string
	SubjURL string
	Details string
	Redact  bool
}

type auditData struct {
	From, To, Action, Actor, Object, Employee string

	Actors    []string
	Objects   []string
	Rows      []auditRow
	OlderURL  string
	NewestURL string
}

// auditPage shows the company's audit log, newest first, with filters by
// time, action, kind of actor, kind of object and employee.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "aud.title")
	if v.Company == nil {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	p := current(r).Principal
	q := r.URL.Query()
	loc := v.Company.Location()
	st := s.auth.Store()
	d := auditData{
		From: q.Get("from"), To: q.Get("to"), Action: strings.TrimSpace(q.Get("action")), Actor: q.Get("actor"),
		Object: q.Get("object"), Employee: strings.TrimSpace(q.Get("employee")),
		Actors:  []string{string(staffbot.ActorUser), string(staffbot.ActorAPIToken), string(staffbot.ActorEmployee), string(staffbot.ActorSystem), string(auth.ActorAnonymous)},
		Objects: []string{"employee", "employees", "invite", "user", "api_token", "company", "scenario", "task", "report", "kb_article", "faq_gap"},
	}
	f := store.AuditQuery{Action: d.Action, ActorKind: d.Actor, ObjectType: d.Object, Limit: auditPerPage}
	if from, err := staffbot.ParseDate(d.From); err == nil {
		f.From = from.In(loc)
	}
	if to, err := staffbot.ParseDate(d.To); err == nil {
		f.To = to.AddDays(1).In(loc)
	}
	f.BeforeSeq, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	if d.Employee != "" {
		emp, err := st.FindEmployeeByNumber(r.Context(), p.CompanyID, d.Employee)
		switch {
		case errors.Is(err, staffbot.ErrNotFound):
			none := staffbot.EmployeeID(-1)
			f.SubjectID = &none
			v.Error = v.T("aud.no_employee")
		case err != nil:
			s.serverError(w, r, err)
			return
		default:
			f.SubjectID = &emp.ID
		}
	}

	recs, err := st.FindAuditPage(r.Context(), p.CompanyID, f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	users, err := st.FindUsers(r.Context(), p.CompanyID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	emails := map[string]string{}
	for _, u := range users {
		emails[strconv.FormatInt(int64(u.ID), 10)] = u.Email
	}
	var subjects []staffbot.EmployeeID
	for _, rec := range recs {
		if rec.SubjectID != nil {
			subjects = append(subjects, *rec.SubjectID)
		}
	}
	names, err := st.EmployeeNames(r.Context(), p.CompanyID, subjects)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, rec := range recs {
		row := auditRow{Seq: rec.Seq, At: rec.At.In(loc).Format("02.01.2006 15:04:05"), IP: rec.Actor.IP,
			Action: rec.Action, Object: strings.Trim(rec.ObjectType+" "+shortID(rec.ObjectID), " "), Redact: rec.Redacted}
		row.Actor = v.T("aud.actor."+string(rec.Actor.Kind)) + " " + rec.Actor.ID
		if rec.Actor.Kind == staffbot.ActorUser && emails[rec.Actor.ID] != "" {
			row.Actor = emails[rec.Actor.ID]
		}
		if rec.SubjectID != nil {
			row.Subject = names[*rec.SubjectID]
			if row.Subject == "" {
				row.Subject = "#" + strconv.FormatInt(int64(*rec.SubjectID), 10)
			}
			row.SubjURL = "/hr/employees/" + strconv.FormatInt(int64(*rec.SubjectID), 10)
		}
		row.Details = detailsText(rec.Before, rec.After)
		d.Rows = append(d.Rows, row)
	}
	if len(recs) == auditPerPage {
		u := url.Values{}
		for k, vals := range q {
			u[k] = vals
		}
		u.Set("before", strconv.FormatInt(recs[len(recs)-1].Seq, 10))
		d.OlderURL = "/hr/audit?" + u.Encode()
	}
	if f.BeforeSeq > 0 {
		u := url.Values{}
		for k, vals := range q {
			u[k] = vals
		}
		u.Del("before")
		d.NewestURL = "/hr/audit?" + u.Encode()
	}

	// Reading the log is itself recorded.
	err = st.InTx(r.Context(), func(tx *store.Tx) error {
		return tx.AppendAudit(r.Context(), &staffbot.AuditRecord{CompanyID: p.CompanyID, At: s.clock.Now(), Actor: p.Actor(),
			Action: "audit.read", ObjectType: "audit_log"})
	})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "audit_view", v)
}

// shortID keeps long id lists (a page of employees read) short.
func shortID(id string) string {
	if n := strings.Count(id, ","); n > 3 {
		first, _, _ := strings.Cut(id, ",")
		return first + ", … (" + strconv.Itoa(n+1) + ")"
	}
	return id
}

// detailsText shows a record's before and after, already masked, in one
// line.
func detailsText(before, after []byte) string {
	var parts []string
	if len(before) > 0 && string(before) != "null" && string(before) != "{}" {
		parts = append(parts, string(before))
	}
	if len(after) > 0 && string(after) != "null" && string(after) != "{}" {
		parts = append(parts, "→ "+string(after))
	}
	s := strings.Join(parts, " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:299]) + "…"
	}
	return s
}
