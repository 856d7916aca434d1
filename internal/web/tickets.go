package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// ticketPages is the operator console: queues, tickets, replies, saved
// replies and the helpdesk's settings.
type ticketPages struct {
	s  *Server
	hd *helpdesk.Service
}

// Object kinds the console's routes name.
const (
	tkObjTicket     = helpdesk.ObjectTicket
	tkObjAttachment = "ticket_attachment"
	tkObjSavedReply = "saved_reply"
	tkObjCategory   = "ticket_category"
)

// AddTickets adds the operator console to the cabinet.
func (s *Server) AddTickets(hd *helpdesk.Service) {
	h := &ticketPages{s: s, hd: hd}
	m := s.mux
	read, write := auth.PermTicketsRead, auth.PermTicketsWrite
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/tickets", Perm: read}, h.queue)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/tickets/stream", Perm: read}, h.queueStream)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/tickets/{id}", Perm: read, Object: tkObjTicket}, h.ticket)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/tickets/{id}/events", Perm: read, Object: tkObjTicket}, h.events)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/tickets/{id}/reply", Perm: write, Object: tkObjTicket}, h.reply)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/tickets/{id}/status", Perm: write, Object: tkObjTicket}, h.status)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/tickets/{id}/assign", Perm: write, Object: tkObjTicket}, h.assign)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/tickets/{id}/kb", Perm: write, Object: tkObjTicket}, h.kb)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/ticket-files/{id}", Perm: read, Object: tkObjAttachment}, h.file)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/helpdesk/replies", Perm: read}, h.repliesPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/helpdesk/replies", Perm: write}, h.addReply)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/helpdesk/replies/{id}/delete", Perm: write, Object: tkObjSavedReply}, h.deleteReply)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/helpdesk/settings", Perm: read}, h.settingsPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/helpdesk/hours", Perm: helpdesk.SettingsPerm}, h.saveHours)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/helpdesk/days", Perm: helpdesk.SettingsPerm}, h.saveDay)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/helpdesk/categories", Perm: helpdesk.SettingsPerm}, h.addCategory)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/helpdesk/categories/{id}", Perm: helpdesk.SettingsPerm, Object: tkObjCategory}, h.saveCategory)
}

// tkCSP is the cabinet's policy plus the console's own script and
// its live connection to the server.
const tkCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func tkAllowScript(w http.ResponseWriter) { w.Header().Set("Content-Security-Policy", tkCSP) }

func tkPrincipal(r *http.Request) *auth.Principal { return current(r).Principal }

// tkOption is an entry of a select.
type tkOption struct {
	Value, Label string
	Selected     bool
}

// tkNames resolves the ids a conversation mentions to what the page shows.
type tkNames struct {
	lang     locale.Lang
	loc      *time.Location
	users    map[store.UserID]string
	cats     map[int64]*store.TicketCategory
	employee string
}

func (h *ticketPages) lookup(r *http.Request, lang locale.Lang) (*tkNames, error) {
	p := tkPrincipal(r)
	n := &tkNames{lang: lang, loc: time.UTC, users: map[store.UserID]string{}, cats: map[int64]*store.TicketCategory{}}
	if co, err := h.s.auth.Store().FindCompanyByID(r.Context(), p.CompanyID); err == nil {
		n.loc = co.Location()
	}
	users, err := h.hd.Operators(r.Context(), p)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		n.users[u.ID] = u.Email
	}
	cats, err := h.hd.Categories(r.Context(), p)
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		n.cats[c.ID] = c
	}
	return n, nil
}

func (n *tkNames) time(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(n.loc).Format("02.01.2006 15:04")
}

func (n *tkNames) user(id *store.UserID) string {
	if id == nil {
		return tr(n.lang, "tickets.nobody")
	}
	if name, ok := n.users[*id]; ok {
		return name
	}
	return "#" + strconv.FormatInt(int64(*id), 10)
}

func (n *tkNames) category(id int64) string {
	if c := n.cats[id]; c != nil {
		return c.Name(string(n.lang))
	}
	return ""
}

func (n *tkNames) status(s store.TicketStatus) string { return tr(n.lang, "st."+string(s)) }

// tkMessageView is a conversation entry as the page and the live stream
// show it.
type tkMessageView struct {
	Seq    int64        `json:"seq"`
	Kind   string       `json:"kind"`
	Label  string       `json:"label"`
	Author string       `json:"author"`
	Time   string       `json:"time"`
	Text   string       `json:"text"`
	Files  []tkFileView `json:"files,omitempty"`
}

type tkFileView struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
	URL   string `json:"url"`
}

func (n *tkNames) message(tk *store.Ticket, m *store.TicketMessage, files []*store.TicketAttachment) tkMessageView {
	v := tkMessageView{Seq: m.Seq, Kind: m.Kind, Label: tr(n.lang, "kind."+m.Kind), Time: n.time(&m.CreatedAt), Text: m.Body}
	switch m.AuthorKind {
	case string(staffbot.ActorEmployee):
		v.Author = n.employee
	case string(staffbot.ActorUser):
		id, _ := strconv.ParseInt(m.AuthorID, 10, 64)
		u := store.UserID(id)
		v.Author = n.user(&u)
	case string(staffbot.ActorAPIToken):
		v.Author = tr(n.lang, "author.api") + " #" + m.AuthorID
	default:
		v.Author = tr(n.lang, "author.system")
	}
	if m.Kind == store.MessageEvent {
		v.Text = n.event(tk, m.Body)
	}
	for _, a := range files {
		if a.MessageSeq != m.Seq {
			continue
		}
		key := "tickets.file"
		switch a.Status {
		case store.AttachmentPending:
			key = "tickets.file_pending"
		case store.AttachmentFailed:
			key = "tickets.file_failed"
		}
		name := a.Name
		if name == "" {
			name = "file-" + strconv.FormatInt(a.ID, 10)
		}
		v.Files = append(v.Files, tkFileView{ID: a.ID, Label: tr(n.lang, key, name), URL: "/hr/ticket-files/" + strconv.FormatInt(a.ID, 10)})
	}
	return v
}

// event turns a stored event ("status:new→open") into a sentence.
func (n *tkNames) event(tk *store.Ticket, body string) string {
	what, value, _ := strings.Cut(body, ":")
	switch what {
	case "status":
		from, to, _ := strings.Cut(value, "→")
		return tr(n.lang, "ev.status", n.status(store.TicketStatus(from)), n.status(store.TicketStatus(to)))
	case "assigned":
		if value == "none" {
			return tr(n.lang, "ev.unassigned")
		}
		id, _ := strconv.ParseInt(value, 10, 64)
		u := store.UserID(id)
		return tr(n.lang, "ev.assigned", n.user(&u))
	case "escalated":
		return tr(n.lang, "ev.escalated", tr(n.lang, "ev."+value))
	case "rated":
		return tr(n.lang, "ev.rated", value)
	case "rating_comment":
		return tr(n.lang, "ev.rating_comment", tk.RatingComment)
	case "kb":
		if value == "" {
			return tr(n.lang, "ev.kb_none")
		}
		return tr(n.lang, "ev.kb", value)
	}
	return body
}

// tkQueueRow is a line of the queue.
type tkQueueRow struct {
	ID                  int64
	Number              int64
	Subject, Employee   string
	Category, Status    string
	StatusKey, Assignee string
	Due, Updated        string
	Overdue, Escalated  bool
}

type tkQueueData struct {
	Status, Category, Assignee, Q string
	Escalated                     bool
	Statuses, Categories          []tkOption
	Assignees                     []tkOption
	Rows                          []tkQueueRow
	More                          bool
	Limit                         int
	Version                       string
}

// tkQueueLimit is how many tickets the queue page shows.
const tkQueueLimit = 100

// queue shows the tickets p may see, filtered, and keeps itself fresh.
func (h *ticketPages) queue(w http.ResponseWriter, r *http.Request) {
	p := tkPrincipal(r)
	q := r.URL.Query()
	d := tkQueueData{Status: q.Get("status"), Category: q.Get("category"), Assignee: q.Get("assignee"), Q: q.Get("q"),
		Escalated: q.Get("escalated") == "1", Limit: tkQueueLimit}
	if !q.Has("status") {
		d.Status = "active"
	}
	v := h.s.newView(r, "tickets.title")
	n, err := h.lookup(r, v.Lang)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}

	if d.Version, err = h.s.auth.Store().TicketsVersion(r.Context(), p.CompanyID); err != nil {
		h.s.failFor(w, r, err)
		return
	}
	f := helpdesk.Filter{Assignee: d.Assignee, Search: d.Q, Escalated: d.Escalated, Limit: tkQueueLimit + 1}
	switch d.Status {
	case "active":
		f.Statuses = []store.TicketStatus{store.TicketNew, store.TicketOpen, store.TicketWaiting}
	case "", "all":
	default:
		if st, err := store.ParseTicketStatus(d.Status); err == nil {
			f.Statuses = []store.TicketStatus{st}
		}
	}
	if id, err := strconv.ParseInt(d.Category, 10, 64); err == nil {
		f.CategoryID = id
	}
	if f.Assignee != "" && f.Assignee != "me" && f.Assignee != "none" {
		if _, err := strconv.ParseInt(f.Assignee, 10, 64); err != nil {
			f.Assignee = ""
		}
	}
	list, err := h.hd.List(r.Context(), p, f)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	if len(list) > tkQueueLimit {
		list, d.More = list[:tkQueueLimit], true
	}

	now := h.s.clock.Now()
	for _, tk := range list {
		row := tkQueueRow{ID: tk.ID, Number: tk.Number, Subject: tk.Subject, Employee: tk.EmployeeName,
			Category: n.category(tk.CategoryID), Status: n.status(tk.Status), StatusKey: string(tk.Status),
			Assignee: n.user(tk.AssigneeID), Updated: n.time(&tk.UpdatedAt), Escalated: tk.Escalated()}
		due := tk.ResolutionDueAt
		if tk.FirstResponseAt == nil && tk.FirstResponseDueAt != nil {
			due = tk.FirstResponseDueAt
		}
		if tk.Status.Active() && due != nil {
			row.Due = n.time(due)
			row.Overdue = tk.Status != store.TicketWaiting && !now.Before(*due)
		}
		d.Rows = append(d.Rows, row)
	}
	d.Statuses = []tkOption{{"active", v.T("tickets.active"), d.Status == "active"}, {"all", v.T("tickets.all"), d.Status == "all"}}
	for _, st := range store.TicketStatuses {
		d.Statuses = append(d.Statuses, tkOption{string(st), n.status(st), d.Status == string(st)})
	}
	d.Categories = []tkOption{{"", v.T("tickets.all"), d.Category == ""}}
	for _, c := range tkSortedCategories(n.cats) {
		id := strconv.FormatInt(c.ID, 10)
		d.Categories = append(d.Categories, tkOption{id, c.Name(string(v.Lang)), d.Category == id})
	}
	d.Assignees = []tkOption{{"", v.T("tickets.all"), d.Assignee == ""}, {"me", v.T("tickets.me"), d.Assignee == "me"},
		{"none", v.T("tickets.nobody"), d.Assignee == "none"}}
	for id, email := range tkSortedUsers(n.users) {
		d.Assignees = append(d.Assignees, tkOption{id, email, d.Assignee == id})
	}
	v.Data = d
	tkAllowScript(w)
	h.s.render(w, r, http.StatusOK, "tickets_queue", v)
}

// ticketData is what the ticket page shows.
type ticketData struct {
	ID, Number, LastSeq    int64
	Subject, Status        string
	StatusKey, Category    string
	Employee               string
	EmployeeID             staffbot.EmployeeID
	EmployeeLine           string
	Assignee               string
	Created, FirstDue      string
	FirstAt, ResDue        string
	FirstBreach, ResBreach bool
	Paused                 bool
	Channel, Rating        string
	RatingComment, KBSlug  string
	Messages               []tkMessageView
	Replies                []*store.SavedReply
	Operators, Statuses    []tkOption
	After                  []tkOption
	IdemKey                string
	CanWrite, CanKB        bool
	CanSeeEmployee         bool
	Draft                  string
}

// ticket shows a ticket with its whole conversation, and the forms to
// answer it.
func (h *ticketPages) ticket(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	p := tkPrincipal(r)
	view, err := h.hd.Get(r.Context(), p, id)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	tk := view.Ticket
	v := h.s.newView(r, "tickets.title")
	v.Title = v.T("tickets.ticket", tk.Number)
	n, err := h.lookup(r, v.Lang)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	n.employee = view.Employee.FullName

	d := ticketData{ID: tk.ID, Number: tk.Number, LastSeq: tk.LastSeq, Subject: tk.Subject, Status: n.status(tk.Status),
		StatusKey: string(tk.Status), Category: n.category(tk.CategoryID), Employee: view.Employee.FullName,
		EmployeeID: view.Employee.ID, Assignee: n.user(tk.AssigneeID), Created: n.time(&tk.CreatedAt),
		FirstDue: n.time(tk.FirstResponseDueAt), FirstAt: n.time(tk.FirstResponseAt), ResDue: n.time(tk.ResolutionDueAt),
		FirstBreach: tk.FirstResponseBreachedAt != nil, ResBreach: tk.ResolutionBreachedAt != nil, Paused: tk.PausedSince != nil,
		Channel: string(tk.Channel), RatingComment: tk.RatingComment, KBSlug: tk.KBSlug,
		CanWrite: p.Can(auth.PermTicketsWrite), CanKB: p.Can(auth.PermContentWrite), CanSeeEmployee: p.Can(auth.PermEmployeesRead),
		Draft: r.URL.Query().Get("text")}
	parts := []string{view.Employee.Position, view.Employee.Department, view.Employee.Office}
	var line []string
	for _, s := range parts {
		if s != "" {
			line = append(line, s)
		}
	}
	d.EmployeeLine = strings.Join(line, " · ")
	if tk.Rating != nil {
		d.Rating = strconv.Itoa(*tk.Rating) + " / 5"
	}
	for _, m := range view.Messages {
		d.Messages = append(d.Messages, n.message(tk, m, view.Attachments))
	}
	if d.CanWrite {
		if d.Replies, err = h.hd.SavedReplies(r.Context(), p); err != nil {
			h.s.failFor(w, r, err)
			return
		}
		b := make([]byte, 12)
		rand.Read(b)
		d.IdemKey = hex.EncodeToString(b)
		for id, email := range tkSortedUsers(n.users) {
			d.Operators = append(d.Operators, tkOption{id, email, tk.AssigneeID != nil && strconv.FormatInt(int64(*tk.AssigneeID), 10) == id})
		}
		for _, st := range store.TicketStatuses[1:] {
			d.Statuses = append(d.Statuses, tkOption{string(st), n.status(st), st == tk.Status})
		}
		d.After = []tkOption{{string(store.TicketWaiting), n.status(store.TicketWaiting), true},
			{string(store.TicketOpen), n.status(store.TicketOpen), false},
			{string(store.TicketResolved), n.status(store.TicketResolved), false}}
	}
	switch r.URL.Query().Get("m") {
	case "sent":
		v.Notice = v.T("tickets.sent")
	case "noted":
		v.Notice = v.T("tickets.noted")
	case "saved":
		v.Notice = v.T("tickets.changed")
	case "kb":
		v.Notice = v.T("tickets.kb_made", tk.KBSlug)
	}
	switch r.URL.Query().Get("e") {
	case "empty":
		v.Error = v.T("tickets.empty")
	case "closed":
		v.Error = v.T("tickets.closed")
	case "invalid":
		v.Error = v.T("tickets.invalid")
	}
	v.Data = d
	tkAllowScript(w)
	h.s.render(w, r, http.StatusOK, "tickets_ticket", v)
}

// tkBack sends the browser tkBack to the ticket with a notice or an error.
func tkBack(w http.ResponseWriter, r *http.Request, id int64, query url.Values) {
	http.Redirect(w, r, "/hr/tickets/"+strconv.FormatInt(id, 10)+"?"+query.Encode(), http.StatusSeeOther)
}

// resolve checks that the ticket of a POST is one p may see: another
// company's answers 404 whatever the form says.
func (h *ticketPages) resolve(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return 0, false
	}
	if err := h.hd.Check(r.Context(), tkPrincipal(r), id); err != nil {
		h.s.failFor(w, r, err)
		return 0, false
	}
	return id, true
}

// formError answers an operation refused for what the form said by going
// tkBack with the error; anything else is the usual failure.
func (h *ticketPages) formError(w http.ResponseWriter, r *http.Request, id int64, err error, extra url.Values) {
	q := url.Values{}
	for k, v := range extra {
		q[k] = v
	}
	switch {
	case helpdesk.IsClosed(err):
		q.Set("e", "closed")
	case tkInvalid(err):
		q.Set("e", "invalid")
	default:
		h.s.failFor(w, r, err)
		return
	}
	tkBack(w, r, id, q)
}

func (h *ticketPages) reply(w http.ResponseWriter, r *http.Request) {
	id, ok := h.resolve(w, r)
	if !ok {
		return
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" {
		tkBack(w, r, id, url.Values{"e": {"empty"}})
		return
	}
	in := helpdesk.Reply{Text: text, Internal: r.PostFormValue("internal") == "1"}
	if key := r.PostFormValue("key"); key != "" && len(key) <= 64 {
		in.IdemKey = "web:" + key
	}
	if st, err := store.ParseTicketStatus(r.PostFormValue("after")); err == nil && !in.Internal {
		in.Status = st
	}
	if _, err := h.hd.Reply(r.Context(), tkPrincipal(r), id, in); err != nil {
		h.formError(w, r, id, err, url.Values{"text": {text}})
		return
	}
	m := "sent"
	if in.Internal {
		m = "noted"
	}
	tkBack(w, r, id, url.Values{"m": {m}})
}

func (h *ticketPages) status(w http.ResponseWriter, r *http.Request) {
	id, ok := h.resolve(w, r)
	if !ok {
		return
	}
	st, err := store.ParseTicketStatus(r.PostFormValue("status"))
	if err != nil || st == store.TicketNew {
		tkBack(w, r, id, url.Values{"e": {"invalid"}})
		return
	}
	if _, err := h.hd.SetStatus(r.Context(), tkPrincipal(r), id, st); err != nil {
		h.formError(w, r, id, err, nil)
		return
	}
	tkBack(w, r, id, url.Values{"m": {"saved"}})
}

func (h *ticketPages) assign(w http.ResponseWriter, r *http.Request) {
	id, ok := h.resolve(w, r)
	if !ok {
		return
	}
	p := tkPrincipal(r)
	var user *store.UserID
	switch v := r.PostFormValue("assignee"); v {
	case "me":
		u := p.UserID
		user = &u
	case "", "none":
	default:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			tkBack(w, r, id, url.Values{"e": {"invalid"}})
			return
		}
		u := store.UserID(n)
		user = &u
	}
	if _, err := h.hd.Assign(r.Context(), p, id, user); err != nil {
		h.formError(w, r, id, err, nil)
		return
	}
	tkBack(w, r, id, url.Values{"m": {"saved"}})
}

// kb links an article to the ticket (slug), or makes a draft article of a
// reply (seq).
func (h *ticketPages) kb(w http.ResponseWriter, r *http.Request) {
	id, ok := h.resolve(w, r)
	if !ok {
		return
	}
	p := tkPrincipal(r)
	if seq, err := strconv.ParseInt(r.PostFormValue("seq"), 10, 64); err == nil && seq > 0 {
		if _, err := h.hd.DraftArticle(r.Context(), p, id, seq); err != nil {
			h.formError(w, r, id, err, nil)
			return
		}
		tkBack(w, r, id, url.Values{"m": {"kb"}})
		return
	}
	if err := h.hd.LinkArticle(r.Context(), p, id, r.PostFormValue("slug")); err != nil {
		h.formError(w, r, id, err, nil)
		return
	}
	tkBack(w, r, id, url.Values{"m": {"saved"}})
}

// file serves an attachment to download; it is never shown inline, so a
// file cannot run as a page of the cabinet.
func (h *ticketPages) file(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	a, data, err := h.hd.Attachment(r.Context(), tkPrincipal(r), id)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	if data == nil {
		v := h.s.newView(r, "tickets.title")
		http.Error(w, v.T("tickets.file_none"), http.StatusConflict)
		return
	}
	name := a.Name
	if name == "" {
		name = "file-" + strconv.FormatInt(a.ID, 10)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

func tkInvalid(err error) bool { return errors.Is(err, staffbot.ErrInvalid) }
