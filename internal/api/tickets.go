package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/store"
)

// tickets serves the helpdesk under /api/v1/tickets.
type tickets struct {
	s  *Server
	hd *helpdesk.Service
}

// AddTickets adds the helpdesk's routes: list, read, reply (or note),
// change status, assign, and the list of categories. Every call checks
// the token's permission and scope and is recorded in the audit log.
func (s *Server) AddTickets(hd *helpdesk.Service) {
	h := &tickets{s: s, hd: hd}
	m := s.mux
	read, write, ticket := auth.PermTicketsRead, auth.PermTicketsWrite, helpdesk.ObjectTicket
	m.HandleFunc(auth.Route{Method: "GET", Path: "/api/v1/tickets", Perm: read}, h.list)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/api/v1/tickets/{id}", Perm: read, Object: ticket}, h.get)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/api/v1/tickets/{id}/replies", Perm: write, Object: ticket}, h.reply)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/api/v1/tickets/{id}/status", Perm: write, Object: ticket}, h.status)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/api/v1/tickets/{id}/assign", Perm: write, Object: ticket}, h.assign)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/api/v1/ticket-categories", Perm: read}, h.categories)
}

// Category is a ticket category, which is also a queue.
type Category struct {
	ID            int64  `json:"id"`
	Slug          string `json:"slug"`
	NameRU        string `json:"name_ru"`
	NameEN        string `json:"name_en"`
	AssignMode    string `json:"assign_mode"`
	FirstResponse string `json:"first_response"`
	Resolution    string `json:"resolution"`
	Archived      bool   `json:"archived"`
}

// TicketEmployee is who a ticket is from.
type TicketEmployee struct {
	ID       int64  `json:"id"`
	FullName string `json:"full_name"`
}

// Ticket is a ticket as the API shows it.
type Ticket struct {
	ID         int64          `json:"id"`
	Number     int64          `json:"number"`
	Status     string         `json:"status"`
	Category   string         `json:"category"`
	Employee   TicketEmployee `json:"employee"`
	AssigneeID *int64         `json:"assignee_id"`
	Subject    string         `json:"subject"`
	Source     string         `json:"source"`
	Channel    string         `json:"channel"`
	KBArticle  string         `json:"kb_article,omitempty"`
	LastSeq    int64          `json:"last_seq"`
	Escalated  bool           `json:"escalated"`

	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
	FirstResponseAt         *time.Time `json:"first_response_at"`
	FirstResponseDueAt      *time.Time `json:"first_response_due_at"`
	ResolutionDueAt         *time.Time `json:"resolution_due_at"`
	FirstResponseBreachedAt *time.Time `json:"first_response_breached_at"`
	ResolutionBreachedAt    *time.Time `json:"resolution_breached_at"`
	ResolvedAt              *time.Time `json:"resolved_at"`
	ClosedAt                *time.Time `json:"closed_at"`

	Rating        *int   `json:"rating"`
	RatingComment string `json:"rating_comment,omitempty"`
}

// MessageAuthor is who wrote a message: an employee, a cabinet user, an
// API token or the system.
type MessageAuthor struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// Attachment is a file an employee sent; its content is not served here.
type Attachment struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Status      string `json:"status"`
}

// TicketMessage is one entry of a conversation: kind employee, reply,
// note (internal) or event (internal).
type TicketMessage struct {
	Seq         int64         `json:"seq"`
	Kind        string        `json:"kind"`
	Author      MessageAuthor `json:"author"`
	Text        string        `json:"text"`
	CreatedAt   time.Time     `json:"created_at"`
	Attachments []Attachment  `json:"attachments,omitempty"`
}

// TicketDetail is a ticket with its whole conversation.
type TicketDetail struct {
	Ticket
	Messages []TicketMessage `json:"messages"`
}

// TicketList is one page of tickets, newest first. NextBefore, when set,
// is the before parameter of the next page.
type TicketList struct {
	Data       []Ticket `json:"data"`
	NextBefore *int64   `json:"next_before"`
}

func ticketJSON(tk *store.Ticket, cats map[int64]string) Ticket {
	out := Ticket{
		ID: tk.ID, Number: tk.Number, Status: string(tk.Status), Category: cats[tk.CategoryID],
		Employee: TicketEmployee{ID: int64(tk.EmployeeID), FullName: tk.EmployeeName}, Subject: tk.Subject,
		Source: tk.Source, Channel: string(tk.Channel), KBArticle: tk.KBSlug, LastSeq: tk.LastSeq, Escalated: tk.Escalated(),
		CreatedAt: tk.CreatedAt, UpdatedAt: tk.UpdatedAt, FirstResponseAt: tk.FirstResponseAt,
		FirstResponseDueAt: tk.FirstResponseDueAt, ResolutionDueAt: tk.ResolutionDueAt,
		FirstResponseBreachedAt: tk.FirstResponseBreachedAt, ResolutionBreachedAt: tk.ResolutionBreachedAt,
		ResolvedAt: tk.ResolvedAt, ClosedAt: tk.ClosedAt, Rating: tk.Rating, RatingComment: tk.RatingComment,
	}
	if tk.AssigneeID != nil {
		id := int64(*tk.AssigneeID)
		out.AssigneeID = &id
	}
	return out
}

func messageJSON(m *store.TicketMessage, files []*store.TicketAttachment) TicketMessage {
	out := TicketMessage{Seq: m.Seq, Kind: m.Kind, Author: MessageAuthor{Kind: m.AuthorKind, ID: m.AuthorID}, Text: m.Body, CreatedAt: m.CreatedAt}
	for _, a := range files {
		if a.MessageSeq == m.Seq {
			out.Attachments = append(out.Attachments, Attachment{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size, Status: a.Status})
		}
	}
	return out
}

// categoryNames maps category ids to slugs.
func (h *tickets) categoryNames(r *http.Request) (map[int64]string, []*store.TicketCategory, error) {
	cats, err := h.hd.Categories(r.Context(), principal(r))
	if err != nil {
		return nil, nil, err
	}
	out := map[int64]string{}
	for _, c := range cats {
		out[c.ID] = c.Slug
	}
	return out, cats, nil
}

// fail answers a helpdesk error: 409 for a conflict (a reply to a closed
// ticket), otherwise as every API error.
func (h *tickets) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, staffbot.ErrConflict) {
		writeError(w, http.StatusConflict, "conflict", "the ticket's state does not allow this; reopen it first")
		return
	}
	h.s.failFor(w, r, err)
}

// list answers GET /api/v1/tickets?status=open,waiting&category=leave&
// assignee=me|none|ID&escalated=true&q=text&before=ID&limit=N.
func (h *tickets) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	names, cats, err := h.categoryNames(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := helpdesk.Filter{Assignee: q.Get("assignee"), Search: q.Get("q"), Escalated: q.Get("escalated") == "true", Limit: 50}
	if v := q.Get("status"); v != "" {
		for part := range strings.SplitSeq(v, ",") {
			st, err := store.ParseTicketStatus(strings.TrimSpace(part))
			if err != nil {
				writeError(w, http.StatusBadRequest, "invalid", "status must be new, open, waiting, resolved or closed")
				return
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	if v := q.Get("category"); v != "" {
		for _, c := range cats {
			if c.Slug == v || strconv.FormatInt(c.ID, 10) == v {
				f.CategoryID = c.ID
			}
		}
		if f.CategoryID == 0 {
			writeError(w, http.StatusBadRequest, "invalid", "no such category")
			return
		}
	}
	for _, p := range []struct {
		name string
		dst  *int64
		max  int64
	}{{"before", &f.BeforeID, 1 << 62}, {"limit", nil, helpdesk.MaxPage}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > p.max {
			writeError(w, http.StatusBadRequest, "invalid", p.name+" must be a positive number")
			return
		}
		if p.dst != nil {
			*p.dst = n
		} else {
			f.Limit = int(n)
		}
	}
	list, err := h.hd.List(r.Context(), principal(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := TicketList{Data: make([]Ticket, len(list))}
	for i, tk := range list {
		out.Data[i] = ticketJSON(tk, names)
	}
	if len(list) == f.Limit {
		last := list[len(list)-1].ID
		out.NextBefore = &last
	}
	writeJSON(w, http.StatusOK, out)
}

func ticketID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// get answers GET /api/v1/tickets/{id}: the ticket with its whole
// conversation, internal notes included.
func (h *tickets) get(w http.ResponseWriter, r *http.Request) {
	id, ok := ticketID(r)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such object")
		return
	}
	v, err := h.hd.Get(r.Context(), principal(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	names, _, err := h.categoryNames(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := TicketDetail{Ticket: ticketJSON(v.Ticket, names), Messages: make([]TicketMessage, len(v.Messages))}
	for i, m := range v.Messages {
		out.Messages[i] = messageJSON(m, v.Attachments)
	}
	writeJSON(w, http.StatusOK, out)
}

// maxBody bounds a JSON request body.
const maxBody = 64 << 10

// decode checks that the ticket exists for the token, so that another
// company's ticket is 404 whatever the body, then reads the JSON body.
func (h *tickets) decode(w http.ResponseWriter, r *http.Request, v any) (int64, bool) {
	id, ok := ticketID(r)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such object")
		return 0, false
	}
	if err := h.hd.Check(r.Context(), principal(r), id); err != nil {
		h.fail(w, r, err)
		return 0, false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", maxBody))
			return 0, false
		}
		writeError(w, http.StatusBadRequest, "invalid", "the body must be a JSON object as the API description says")
		return 0, false
	}
	return id, true
}

// ReplyRequest is the body of POST /api/v1/tickets/{id}/replies.
type ReplyRequest struct {
	Text     string `json:"text"`
	Internal bool   `json:"internal"`
	Status   string `json:"status"`
}

// reply answers POST /api/v1/tickets/{id}/replies: a reply to the
// employee, or with "internal": true a note only HR sees. An
// Idempotency-Key header makes a retried call add the message once.
func (h *tickets) reply(w http.ResponseWriter, r *http.Request) {
	var body ReplyRequest
	id, ok := h.decode(w, r, &body)
	if !ok {
		return
	}
	in := helpdesk.Reply{Text: body.Text, Internal: body.Internal, IdemKey: r.Header.Get("Idempotency-Key")}
	if len(in.IdemKey) > 200 {
		writeError(w, http.StatusBadRequest, "invalid", "Idempotency-Key is at most 200 characters")
		return
	}
	if body.Status != "" {
		st, err := store.ParseTicketStatus(body.Status)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "status must be open, waiting, resolved or closed")
			return
		}
		in.Status = st
	}
	m, err := h.hd.Reply(r.Context(), principal(r), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, messageJSON(m, nil))
}

// StatusRequest is the body of POST /api/v1/tickets/{id}/status.
type StatusRequest struct {
	Status string `json:"status"`
}

// status answers POST /api/v1/tickets/{id}/status.
func (h *tickets) status(w http.ResponseWriter, r *http.Request) {
	var body StatusRequest
	id, ok := h.decode(w, r, &body)
	if !ok {
		return
	}
	st, err := store.ParseTicketStatus(body.Status)
	if err != nil || st == store.TicketNew {
		writeError(w, http.StatusBadRequest, "invalid", "status must be open, waiting, resolved or closed")
		return
	}
	tk, err := h.hd.SetStatus(r.Context(), principal(r), id, st)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeTicket(w, r, tk)
}

// AssignRequest is the body of POST /api/v1/tickets/{id}/assign; a null
// assignee takes the ticket from whoever has it.
type AssignRequest struct {
	AssigneeID *int64 `json:"assignee_id"`
}

// assign answers POST /api/v1/tickets/{id}/assign.
func (h *tickets) assign(w http.ResponseWriter, r *http.Request) {
	var body AssignRequest
	id, ok := h.decode(w, r, &body)
	if !ok {
		return
	}
	var user *store.UserID
	if body.AssigneeID != nil {
		u := store.UserID(*body.AssigneeID)
		user = &u
	}
	tk, err := h.hd.Assign(r.Context(), principal(r), id, user)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeTicket(w, r, tk)
}

func (h *tickets) writeTicket(w http.ResponseWriter, r *http.Request, tk *store.Ticket) {
	names, _, err := h.categoryNames(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ticketJSON(tk, names))
}

// categories answers GET /api/v1/ticket-categories.
func (h *tickets) categories(w http.ResponseWriter, r *http.Request) {
	_, cats, err := h.categoryNames(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := struct {
		Data []Category `json:"data"`
	}{Data: make([]Category, len(cats))}
	for i, c := range cats {
		out.Data[i] = Category{ID: c.ID, Slug: c.Slug, NameRU: c.NameRU, NameEN: c.NameEN, AssignMode: c.AssignMode,
			FirstResponse: c.FirstResponse, Resolution: c.Resolution, Archived: c.Archived}
	}
	writeJSON(w, http.StatusOK, out)
}
