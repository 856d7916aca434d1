package web_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
	"github.com/staffbot/staffbot/internal/web"
)

// ticketFixture is the cabinet with the operator console, a ticket, and
// users of three roles.
func ticketFixture(t *testing.T) (*fixture, *helpdesk.Service, *store.Ticket) {
	t.Helper()
	f := newFixture(t, storetest.MustOpen(t, storetest.SQLiteDSN(t)), "")
	logger := slog.New(slog.DiscardHandler)
	hd := &helpdesk.Service{Store: f.st, Clock: f.clock, Logger: logger, Auditor: &audit.Recorder{Store: f.st, Clock: f.clock}}
	cab := web.New(web.Config{Auth: f.svc, Clock: f.clock, Logger: logger})
	cab.AddTickets(hd)
	mux := http.NewServeMux()
	cab.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)

	emp := f.mustEmployee(f.co, "0001", "Иванова Анна Сергеевна", nil)
	var tk *store.Ticket
	err := f.st.InTx(t.Context(), func(tx *store.Tx) error {
		var err error
		tk, err = hd.OpenFromEscalation(t.Context(), tx, f.co, emp, "Нужна справка о доходах для визы", "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, hd, tk
}

func TestTicketConsole(t *testing.T) {
	f, hd, tk := ticketFixture(t)
	f.mustUser("manager@acme.ru", auth.RoleHRManager, nil, false)
	f.mustUser("operator@acme.ru", auth.RoleHROperator, nil, false)
	f.mustUser("analyst@acme.ru", auth.RoleAnalyst, nil, false)
	id := strconv.FormatInt(tk.ID, 10)
	path := "/hr/tickets/" + id

	manager := f.client()
	manager.signIn("manager@acme.ru", "")
	p := manager.get("/hr/tickets")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Нужна справка о доходах для визы") || !strings.Contains(p.body, "Иванова Анна Сергеевна") {
		t.Fatalf("queue = %d:\n%s", p.status, p.body)
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("queue CSP = %q", csp)
	}
	if p := manager.get("/hr/tickets?status=closed"); !strings.Contains(p.body, `id="no-tickets"`) {
		t.Error("the closed filter shows the new ticket")
	}
	if p := manager.get("/hr/tickets?q=визы"); !strings.Contains(p.body, "Нужна справка") {
		t.Error("searching the subject does not find the ticket")
	}

	csrf := manager.csrf(path)
	p = manager.post(path+"/reply", url.Values{"csrf": {csrf}, "text": {"Справка будет готова завтра."}, "key": {"k1"}, "after": {"waiting"}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "m=sent") {
		t.Fatalf("reply = %d %s", p.status, p.location)
	}
	// The same form sent twice (a double click) lands once.
	manager.post(path+"/reply", url.Values{"csrf": {csrf}, "text": {"Справка будет готова завтра."}, "key": {"k1"}, "after": {"waiting"}})
	manager.post(path+"/reply", url.Values{"csrf": {csrf}, "text": {"Проверить в 1С"}, "internal": {"1"}, "key": {"k2"}})
	if p := manager.post(path+"/reply", url.Values{"csrf": {csrf}, "text": {"  "}}); !strings.Contains(p.location, "e=empty") {
		t.Errorf("empty reply = %s", p.location)
	}
	msgs, _ := f.st.FindTicketMessages(t.Context(), f.co.ID, tk.ID, 0, true)
	var kinds []string
	for _, m := range msgs {
		kinds = append(kinds, m.Kind)
	}
	// The reply also gave the unassigned ticket to its author and moved
	// it to waiting: two events.
	if strings.Join(kinds, ",") != "employee,reply,event,event,note" {
		t.Errorf("conversation kinds = %v, want employee,reply,event,event,note", kinds)
	}
	p = manager.get(path)
	for _, want := range []string{"Справка будет готова завтра.", "Проверить в 1С", "tk-msg-note", "ждёт сотрудника", `data-last-seq="5"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("ticket page lacks %q", want)
		}
	}

	// The live view's poll form: what came after a seq.
	var live struct {
		Ticket struct {
			StatusKey string `json:"status_key"`
		} `json:"ticket"`
		Messages []struct {
			Seq  int64  `json:"seq"`
			Text string `json:"text"`
		} `json:"messages"`
	}
	p = manager.get(path + "/events?after=2")
	if err := json.Unmarshal([]byte(p.body), &live); err != nil || len(live.Messages) != 3 || live.Messages[2].Text != "Проверить в 1С" ||
		live.Messages[1].Text != "Статус: новое → ждёт сотрудника" || live.Ticket.StatusKey != "waiting" {
		t.Errorf("events after 2 = %d %s", p.status, p.body)
	}

	if p := manager.post(path+"/status", url.Values{"csrf": {csrf}, "status": {"resolved"}}); !strings.Contains(p.location, "m=saved") {
		t.Errorf("status = %d %s", p.status, p.location)
	}
	if got, _ := f.st.FindTicket(t.Context(), f.co.ID, tk.ID); got.Status != store.TicketResolved {
		t.Errorf("status = %s, want resolved", got.Status)
	}

	// Saved replies.
	if p := manager.post("/hr/helpdesk/replies", url.Values{"csrf": {csrf}, "title": {"Справка"}, "body": {"Справка готова, заберите в отделе кадров."}}); p.status != http.StatusSeeOther {
		t.Errorf("add saved reply = %d", p.status)
	}
	if p := manager.get(path); !strings.Contains(p.body, `data-body="Справка готова, заберите в отделе кадров."`) {
		t.Error("the saved reply is not offered on the ticket page")
	}

	// Settings: an HR manager may change them, with the input checked.
	if p := manager.post("/hr/helpdesk/hours", url.Values{"csrf": {csrf}, "mon": {"18:00-09:00"}, "auto_close": {"7"}}); p.status != http.StatusBadRequest {
		t.Errorf("bad hours = %d, want 400", p.status)
	}
	hours := url.Values{"csrf": {csrf}, "auto_close": {"5"}}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
		hours.Set(d, "08:00-17:00")
	}
	if p := manager.post("/hr/helpdesk/hours", hours); p.status != http.StatusSeeOther {
		t.Errorf("hours = %d", p.status)
	}
	if p := manager.post("/hr/helpdesk/days", url.Values{"csrf": {csrf}, "day": {"2026-03-10"}, "kind": {"holiday"}, "note": {"Субботник"}}); p.status != http.StatusSeeOther {
		t.Errorf("calendar day = %d", p.status)
	}
	cats, _ := f.st.FindTicketCategories(t.Context(), f.co.ID)
	catPath := "/hr/helpdesk/categories/" + strconv.FormatInt(cats[0].ID, 10)
	if p := manager.post(catPath, url.Values{"csrf": {csrf}, "first_response": {"2h"}, "assign_mode": {"load"}}); p.status != http.StatusSeeOther {
		t.Errorf("category = %d", p.status)
	}
	if p := manager.post(catPath, url.Values{"csrf": {csrf}, "first_response": {"soon"}}); p.status != http.StatusBadRequest {
		t.Errorf("bad target = %d, want 400", p.status)
	}
	p = manager.get("/hr/helpdesk/settings")
	for _, want := range []string{"08:00-17:00", "2026-03-10", "Субботник", `value="2h"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
	if set, err := hd.Settings(t.Context(), &auth.Principal{CompanyID: f.co.ID, Role: auth.RoleHRManager}); err != nil || set.AutoCloseDays != 5 {
		t.Errorf("auto-close days = %+v, %v", set, err)
	}

	// An operator answers but does not change the settings; an analyst
	// sees no tickets.
	operator := f.client()
	operator.signIn("operator@acme.ru", "")
	if p := operator.get(path); p.status != http.StatusOK {
		t.Errorf("operator's ticket page = %d", p.status)
	}
	if p := operator.post("/hr/helpdesk/hours", hours); p.status != http.StatusForbidden {
		t.Errorf("operator changes hours = %d, want 403", p.status)
	}
	analyst := f.client()
	analyst.signIn("analyst@acme.ru", "")
	for _, path := range []string{"/hr/tickets", path, "/hr/helpdesk/settings"} {
		if p := analyst.get(path); p.status != http.StatusForbidden || strings.Contains(p.body, "справка о доходах") {
			t.Errorf("analyst GET %s = %d, want 403", path, p.status)
		}
	}
	if p := analyst.get("/hr/"); strings.Contains(p.body, `id="nav-tickets"`) {
		t.Error("the analyst's menu links to the tickets")
	}

	// Every page view went to the audit log.
	if recs, _ := f.st.FindAudit(t.Context(), f.co.ID, store.AuditFilter{Action: helpdesk.AuditRead}); len(recs) == 0 {
		t.Error("no ticket.read records")
	}
}
