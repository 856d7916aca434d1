package web

import (
	"encoding/json"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot/internal/store"
)

// Live updates: the ticket page and the queue hold a server-sent event
// stream (EventSource, no build step). The stream wakes when this process
// changes a ticket and polls the database besides, so a change made by
// another server process shows within tkPollEvery. A stream ends after
// tkStreamFor; the browser reconnects by itself, which checks the session
// again.
const (
	tkPollEvery = time.Second
	tkStreamFor = 2 * time.Minute
)

// tkWantsStream reports whether the request is an EventSource's. Other
// requests get one answer at once, which makes the same address a
// long-poll for clients without EventSource.
func tkWantsStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

func tkStartStream(w http.ResponseWriter) (http.Flusher, bool) {
	f, ok := w.(http.Flusher)
	if !ok {
		return nil, false
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 1000\n\n")
	f.Flush()
	return f, true
}

func tkWriteEvent(w http.ResponseWriter, id, event string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if id != "" {
		fmt.Fprintf(w, "id: %s\n", id)
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
	return err
}

// ticketState is the part of a ticket the page updates in place.
type ticketState struct {
	Status    string `json:"status"`
	StatusKey string `json:"status_key"`
	Assignee  string `json:"assignee"`
	LastSeq   int64  `json:"last_seq"`
}

// events streams a ticket's new messages: "message" events with a
// tkMessageView, and a "ticket" event when its status or assignee changes.
// The stream starts after the seq in Last-Event-ID or ?after.
func (h *ticketPages) events(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	p := tkPrincipal(r)
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if last, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil {
		after = last
	}
	lang := h.s.lang(r)
	n, err := h.lookup(r, lang)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	next := func() (*store.Ticket, []tkMessageView, error) {
		tk, msgs, err := h.hd.Messages(r.Context(), p, id, after)
		if err != nil {
			return nil, nil, err
		}
		if len(msgs) == 0 {
			return tk, nil, nil
		}
		files, err := h.s.auth.Store().FindTicketAttachments(r.Context(), p.CompanyID, id)
		if err != nil {
			return nil, nil, err
		}
		if n.employee == "" {
			if e, err := h.s.auth.Store().FindEmployeeByID(r.Context(), p.CompanyID, tk.EmployeeID); err == nil {
				n.employee = e.FullName
			}
		}
		out := make([]tkMessageView, len(msgs))
		for i, m := range msgs {
			out[i] = n.message(tk, m, files)
		}
		return tk, out, nil
	}
	state := func(tk *store.Ticket) ticketState {
		return ticketState{Status: n.status(tk.Status), StatusKey: string(tk.Status), Assignee: n.user(tk.AssigneeID), LastSeq: tk.LastSeq}
	}

	if !tkWantsStream(r) {
		tk, msgs, err := next()
		if err != nil {
			h.s.failFor(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(struct {
			Ticket   ticketState     `json:"ticket"`
			Messages []tkMessageView `json:"messages"`
		}{state(tk), msgs})
		return
	}

	if err := h.hd.Check(r.Context(), p, id); err != nil {
		h.s.failFor(w, r, err)
		return
	}
	wake, stop := h.hd.Subscribe(p.CompanyID)
	defer stop()
	flusher, ok := tkStartStream(w)
	if !ok {
		h.s.fail(w, r, http.StatusInternalServerError)
		return
	}
	poll := time.NewTicker(tkPollEvery)
	defer poll.Stop()
	end := time.NewTimer(tkStreamFor)
	defer end.Stop()

	var last ticketState
	for {
		tk, msgs, err := next()
		if err != nil {
			h.s.logger.WarnContext(r.Context(), "Ticket stream ended", slog.Int64("ticket_id", id), slog.String("error", err.Error()))
			return
		}
		for _, m := range msgs {
			if err := tkWriteEvent(w, strconv.FormatInt(m.Seq, 10), "message", m); err != nil {
				return
			}
			after = m.Seq
		}
		if st := state(tk); st != last {
			last = st
			if err := tkWriteEvent(w, "", "ticket", st); err != nil {
				return
			}
		}
		flusher.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-end.C:
			return
		case <-wake:
		case <-poll.C:
		}
	}
}

// queueStream sends a "changed" event whenever a ticket of the company
// changes, so the queue page can fetch itself again.
func (h *ticketPages) queueStream(w http.ResponseWriter, r *http.Request) {
	p := tkPrincipal(r)
	version := func() (string, error) { return h.s.auth.Store().TicketsVersion(r.Context(), p.CompanyID) }
	if !tkWantsStream(r) {
		v, err := version()
		if err != nil {
			h.s.failFor(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]any{"version": v})
		return
	}
	wake, stop := h.hd.Subscribe(p.CompanyID)
	defer stop()
	flusher, ok := tkStartStream(w)
	if !ok {
		h.s.fail(w, r, http.StatusInternalServerError)
		return
	}
	poll := time.NewTicker(tkPollEvery)
	defer poll.Stop()
	end := time.NewTimer(tkStreamFor)
	defer end.Stop()

	// The page says what it showed, so a change between rendering it and
	// connecting is not missed.
	seen := r.URL.Query().Get("v")
	for first := true; ; first = false {
		if !first {
			select {
			case <-r.Context().Done():
				return
			case <-end.C:
				return
			case <-wake:
			case <-poll.C:
			}
		}
		v, err := version()
		if err != nil {
			return
		}
		if seen == "" {
			seen = v
		}
		if v != seen {
			seen = v
			if err := tkWriteEvent(w, "", "changed", map[string]any{"version": v}); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// tkSortedCategories returns categories in their order.
func tkSortedCategories(cats map[int64]*store.TicketCategory) []*store.TicketCategory {
	out := make([]*store.TicketCategory, 0, len(cats))
	for _, c := range cats {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *store.TicketCategory) int {
		if a.Position != b.Position {
			return a.Position - b.Position
		}
		return int(a.ID - b.ID)
	})
	return out
}

// tkSortedUsers yields user ids (as form values) and e-mails by e-mail.
func tkSortedUsers(users map[store.UserID]string) iter.Seq2[string, string] {
	ids := make([]store.UserID, 0, len(users))
	for id := range users {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b store.UserID) int { return strings.Compare(users[a], users[b]) })
	return func(yield func(string, string) bool) {
		for _, id := range ids {
			if !yield(strconv.FormatInt(int64(id), 10), users[id]) {
				return
			}
		}
	}
}
