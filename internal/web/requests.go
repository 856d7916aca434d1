package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
)

// requestPages is HR's queue of self-service requests: certificates,
// copies and applications employees ordered in the chat that a person
// fulfils, with their legal deadlines.
type requestPages struct {
	s    *Server
	svc  *selfservice.Service
	desk *selfservice.Desk
}

// rqObject is the object kind the request routes name.
const rqObject = "service_request"

// requestSendPath is the route that takes a document upload.
const requestSendPath = "/hr/requests/{id}/send"

// AddServiceRequests adds HR's queue of self-service requests to the
// cabinet. Reading needs tickets:read and acting tickets:write, as for
// the helpdesk, whose operators work this queue too.
func (s *Server) AddServiceRequests(svc *selfservice.Service) {
	h := &requestPages{s: s, svc: svc, desk: svc.Desk()}
	s.requests = true
	m := s.mux
	read, write := auth.PermTicketsRead, auth.PermTicketsWrite
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/requests", Perm: read}, h.list)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/requests/{id}", Perm: read, Object: rqObject}, h.card)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/requests/{id}/take", Perm: write, Object: rqObject}, h.take)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/requests/{id}/ready", Perm: write, Object: rqObject}, h.ready)
	m.HandleFunc(auth.Route{Method: "POST", Path: requestSendPath, Perm: write, Object: rqObject}, h.send)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/requests/{id}/done", Perm: write, Object: rqObject}, h.done)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/requests/{id}/reject", Perm: write, Object: rqObject}, h.reject)
}

// rqNames shows what a request holds in the page's language.
type rqNames struct {
	lang     locale.Lang
	loc      *time.Location
	now      time.Time
	services map[string]*selfservice.CatalogService
	users    map[store.UserID]string
}

func (h *requestPages) names(r *http.Request, lang locale.Lang) (*rqNames, error) {
	p := current(r).Principal
	n := &rqNames{lang: lang, loc: time.UTC, now: h.s.clock.Now(), services: map[string]*selfservice.CatalogService{},
		users: map[store.UserID]string{}}
	if co, err := h.s.auth.Store().FindCompanyByID(r.Context(), p.CompanyID); err == nil {
		n.loc = co.Location()
	}
	cat, _, err := h.svc.FindCatalog(r.Context(), p.CompanyID)
	if err != nil {
		return nil, err
	}
	for _, svc := range cat.Services {
		n.services[svc.Key] = svc
	}
	users, err := h.s.auth.Store().FindUsers(r.Context(), p.CompanyID)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		n.users[u.ID] = u.Email
	}
	return n, nil
}

func (n *rqNames) service(key string) string {
	if svc := n.services[key]; svc != nil {
		return svc.Title.In(n.lang)
	}
	return key
}

func (n *rqNames) time(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(n.loc).Format("02.01.2006 15:04")
}

// status names where a request stands: its status, and for a closed one
// how it ended.
func (n *rqNames) status(r *store.ServiceRequest) string {
	if r.Status == store.ServiceRequestClosed && r.Outcome != "" {
		return tr(n.lang, "rq.outcome."+r.Outcome)
	}
	return tr(n.lang, "rq.status."+r.Status)
}

// due says when a request is due, with the working days it has left; the
// empty string when no deadline applies.
func (n *rqNames) due(r *store.ServiceRequest) (text string, overdue bool) {
	if r.DueAt == nil {
		return "", false
	}
	text = r.DueAt.In(n.loc).Format("02.01.2006")
	switch {
	case r.Overdue(n.now):
		return text + " · " + tr(n.lang, "rq.overdue"), true
	case r.WithHR() && staffbot.DateOf(r.DueAt.In(n.loc)) == staffbot.DateOf(n.now.In(n.loc)):
		return text + " · " + tr(n.lang, "rq.due_today"), false
	}
	return text, false
}

// rqRow is a line of the list.
type rqRow struct {
	ID                      int64
	Employee, Service       string
	Status, StatusKey       string
	Created, Due, Assignee  string
	Overdue, DueToday, Open bool
}

type rqListData struct {
	Status, Service, By string
	Overdue             bool
	Statuses, Services  []tkOption
	Bys                 []tkOption
	Rows                []rqRow
	More                bool
	Limit               int
	Open, OverdueCount  int64
}

// rqLimit is how many requests the list shows.
const rqLimit = 100

// list shows the requests p may see, filtered by status, service, who
// fulfils them and whether they are overdue.
func (h *requestPages) list(w http.ResponseWriter, r *http.Request) {
	p := current(r).Principal
	q := r.URL.Query()
	d := rqListData{Status: q.Get("status"), Service: q.Get("service"), By: q.Get("by"), Overdue: q.Get("overdue") == "1", Limit: rqLimit}
	if !q.Has("status") {
		d.Status = store.ServiceQueueOpen
	}
	if d.By == "" {
		d.By = store.FulfilHR
	}
	v := h.s.newView(r, "rq.title")
	n, err := h.names(r, v.Lang)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	statuses := []string{store.ServiceQueueOpen, store.ServiceQueueAll, store.ServiceRequestSubmitted, store.ServiceRequestNew,
		store.ServiceRequestInProgress, store.ServiceRequestReady, store.ServiceRequestClosed}
	valid := false
	for _, st := range statuses {
		valid = valid || st == d.Status
		d.Statuses = append(d.Statuses, tkOption{st, v.T("rq.status." + st), st == d.Status})
	}
	if !valid {
		d.Status = store.ServiceQueueAll
	}
	d.Services = []tkOption{{"", v.T("tickets.all"), d.Service == ""}}
	cat, _, err := h.svc.FindCatalog(r.Context(), p.CompanyID)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	for _, svc := range cat.Services {
		d.Services = append(d.Services, tkOption{svc.Key, svc.Title.In(v.Lang), svc.Key == d.Service})
	}
	for _, by := range []string{store.FulfilHR, store.FulfilAuto, "all"} {
		d.Bys = append(d.Bys, tkOption{by, v.T("rq.by." + by), by == d.By})
	}

	list, err := h.desk.List(r.Context(), p, selfservice.QueueFilter{Status: d.Status, By: d.By, Service: d.Service,
		Overdue: d.Overdue, Limit: rqLimit + 1})
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	if len(list) > rqLimit {
		list, d.More = list[:rqLimit], true
	}
	for _, req := range list {
		row := rqRow{ID: req.ID, Employee: req.EmployeeName, Service: n.service(req.ServiceKey), Status: n.status(req),
			StatusKey: req.Status, Created: n.time(&req.CreatedAt), Open: req.WithHR()}
		row.Due, row.Overdue = n.due(req)
		row.DueToday = !row.Overdue && strings.HasSuffix(row.Due, tr(v.Lang, "rq.due_today"))
		if req.TakenBy != nil {
			row.Assignee = n.users[*req.TakenBy]
		}
		d.Rows = append(d.Rows, row)
	}
	if d.Open, d.OverdueCount, err = h.desk.Counts(r.Context(), p); err != nil {
		h.s.failFor(w, r, err)
		return
	}
	v.Data = d
	h.s.render(w, r, http.StatusOK, "requests", v)
}

// rqEvent is a line of a request's history.
type rqEvent struct {
	Kind, Label string
	Time, Actor string
	Note        string
}

type rqCardData struct {
	ID                int64
	Service, Status   string
	StatusKey         string
	Employee          string
	EmployeeID        staffbot.EmployeeID
	EmployeeLine      string
	CanSeeEmployee    bool
	Created           string
	Due, DueRule      string
	Overdue           bool
	Assignee          string
	By                string
	Error             string
	Answers           []selfservice.Answer
	History           []rqEvent
	CanWrite          bool
	CanTake, CanReady bool
	CanClose          bool
	Paper             bool
	MaxFileMB         int
}

// card shows a request: what the employee asked, its deadline and its
// history, with HR's actions.
func (h *requestPages) card(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	p := current(r).Principal
	v := h.s.newView(r, "rq.title")
	view, err := h.desk.Get(r.Context(), p, id, v.Lang)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	n, err := h.names(r, v.Lang)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	req := view.Request
	v.Title = v.T("rq.request", req.ID)
	d := rqCardData{ID: req.ID, Service: n.service(req.ServiceKey), Status: n.status(req), StatusKey: req.Status,
		Employee: view.Employee.FullName, EmployeeID: view.Employee.ID, CanSeeEmployee: p.Can(auth.PermEmployeesRead),
		Created: n.time(&req.CreatedAt), Answers: view.Answers, By: v.T("rq.by." + req.Fulfilment), Error: req.Error,
		MaxFileMB: securelink.MaxFileSize >> 20}
	var line []string
	for _, s := range []string{view.Employee.PersonnelNumber, view.Employee.Position, view.Employee.Department, view.Employee.Office} {
		if s != "" {
			line = append(line, s)
		}
	}
	d.EmployeeLine = strings.Join(line, " · ")
	d.Due, d.Overdue = n.due(req)
	if view.Service != nil && view.Service.DueDays > 0 {
		d.DueRule = v.T("rq.due_rule", view.Service.DueDays)
	}
	if req.TakenBy != nil {
		d.Assignee = n.users[*req.TakenBy]
	}
	d.Paper = req.Answers["delivery"] == "paper" || req.Answers["form"] == "book_copy"

	// The history: made and checked from the request's own times, then
	// what HR did.
	d.History = append(d.History, rqEvent{Kind: "created", Label: v.T("rq.ev.created"), Time: n.time(&req.CreatedAt),
		Actor: view.Employee.FullName})
	if req.SubmittedAt != nil {
		d.History = append(d.History, rqEvent{Kind: "submitted", Label: v.T("rq.ev.submitted"), Time: n.time(req.SubmittedAt),
			Actor: view.Employee.FullName})
	}
	for _, e := range view.Events {
		ev := rqEvent{Kind: e.Kind, Label: v.T("rq.ev." + e.Kind), Time: n.time(&e.At), Note: e.Note, Actor: v.T("rq.actor.system")}
		switch {
		case e.Kind == store.ServiceEventQueued && req.DueAt != nil:
			ev.Label = v.T("rq.ev.queued_due", req.DueAt.In(n.loc).Format("02.01.2006 15:04"))
		case e.Kind == store.ServiceEventWarned && req.DueAt != nil && e.At.After(*req.DueAt):
			ev.Label = v.T("rq.ev.warned_late")
		}
		switch staffbot.ActorKind(e.ActorKind) {
		case staffbot.ActorUser:
			uid, _ := strconv.ParseInt(e.ActorID, 10, 64)
			ev.Actor = n.users[store.UserID(uid)]
			if ev.Actor == "" {
				ev.Actor = "#" + e.ActorID
			}
		case staffbot.ActorSystem:
			if after, ok := strings.CutPrefix(e.ActorID, "cli:"); ok {
				ev.Actor = v.T("rq.actor.cli", after)
			}
		}
		d.History = append(d.History, ev)
	}
	if req.Status == store.ServiceRequestClosed && req.ClosedAt != nil && len(view.Events) == 0 {
		d.History = append(d.History, rqEvent{Kind: "closed", Label: n.status(req), Time: n.time(req.ClosedAt)})
	}

	hr := req.Fulfilment == store.FulfilHR
	d.CanWrite = p.Can(auth.PermTicketsWrite) && hr && req.Status != store.ServiceRequestClosed && req.Status != store.ServiceRequestSubmitted
	d.CanTake = d.CanWrite && req.Status == store.ServiceRequestNew
	d.CanReady = d.CanWrite && req.Status != store.ServiceRequestReady
	d.CanClose = d.CanWrite

	switch r.URL.Query().Get("m") {
	case "taken", "ready", "sent", "done", "rejected":
		v.Notice = v.T("rq.m." + r.URL.Query().Get("m"))
	}
	switch e := r.URL.Query().Get("e"); e {
	case "conflict", "reason", "file", "unreachable", "invalid":
		v.Error = v.T("rq.e." + e)
	}
	v.Data = d
	h.s.render(w, r, http.StatusOK, "request", v)
}

// back sends the browser to the request with a notice or an error.
func (h *requestPages) back(w http.ResponseWriter, r *http.Request, id int64, key, value string) {
	http.Redirect(w, r, "/hr/requests/"+strconv.FormatInt(id, 10)+"?"+url.Values{key: {value}}.Encode(), http.StatusSeeOther)
}

// after answers an action: back to the request with its notice, or with
// the error HR can do something about; 404 for a request p may not see.
func (h *requestPages) after(w http.ResponseWriter, r *http.Request, id int64, err error, notice string) {
	switch {
	case err == nil:
		h.back(w, r, id, "m", notice)
	case errors.Is(err, securelink.ErrUnreachable):
		h.back(w, r, id, "e", "unreachable")
	case errors.Is(err, staffbot.ErrConflict):
		h.back(w, r, id, "e", "conflict")
	case errors.Is(err, staffbot.ErrInvalid):
		h.back(w, r, id, "e", "invalid")
	default:
		h.s.failFor(w, r, err)
	}
}

func (h *requestPages) take(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	h.after(w, r, id, h.desk.Take(r.Context(), current(r).Principal, id), "taken")
}

func (h *requestPages) ready(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	h.after(w, r, id, h.desk.Ready(r.Context(), current(r).Principal, id, r.PostFormValue("note")), "ready")
}

func (h *requestPages) done(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	h.after(w, r, id, h.desk.Done(r.Context(), current(r).Principal, id, r.PostFormValue("note")), "done")
}

func (h *requestPages) reject(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		// Another company's request must still look missing.
		if err := h.desk.Check(r.Context(), current(r).Principal, id); err != nil {
			h.s.failFor(w, r, err)
			return
		}
		h.back(w, r, id, "e", "reason")
		return
	}
	h.after(w, r, id, h.desk.Reject(r.Context(), current(r).Principal, id, reason), "rejected")
}

// send delivers an uploaded document to the employee by a secure link.
func (h *requestPages) send(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	p := current(r).Principal
	file, header, err := r.FormFile("file")
	if err != nil {
		if err := h.desk.Check(r.Context(), p, id); err != nil {
			h.s.failFor(w, r, err)
			return
		}
		h.back(w, r, id, "e", "file")
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, securelink.MaxFileSize+1))
	if err != nil {
		h.s.serverError(w, r, err)
		return
	}
	defer clear(data)
	if len(data) == 0 || len(data) > securelink.MaxFileSize {
		h.back(w, r, id, "e", "file")
		return
	}
	name := filepath.Base(header.Filename)
	ct := mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	if ct == "" {
		ct = "application/octet-stream"
	}
	spec := securelink.FileSpec{Name: name, ContentType: ct, Data: data}
	h.after(w, r, id, h.desk.Send(r.Context(), p, id, spec, r.PostFormValue("note")), "sent")
}
