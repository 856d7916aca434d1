package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/api"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/kb"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// ticketFixture is an API with the helpdesk, over one company with a
// ticket, and another company with a ticket of its own.
type ticketFixture struct {
	*fixture
	hd            *helpdesk.Service
	ticket, other *store.Ticket
}

func newTicketFixture(t *testing.T, open func(t *testing.T) *store.Store) *ticketFixture {
	t.Helper()
	f := &fixture{t: t, st: open(t), clock: staffbot.NewManualClock(t0)}
	logger := slog.New(slog.DiscardHandler)
	rec := &audit.Recorder{Store: f.st, Clock: f.clock}
	f.svc = auth.New(f.st, f.clock, auth.Options{Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}, Logger: logger, Auditor: rec})
	hd := &helpdesk.Service{Store: f.st, Clock: f.clock, Logger: logger, Auditor: rec}
	srv := api.New(api.Config{Auth: f.svc, Clock: f.clock, Logger: logger})
	srv.AddTickets(hd)
	mux := http.NewServeMux()
	srv.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.co = f.mustCompany("acme")
	tf := &ticketFixture{fixture: f, hd: hd}
	tf.ticket = tf.mustTicket(f.co, "Нужна справка 2-НДФЛ за прошлый год")
	tf.other = tf.mustTicket(f.mustCompany("other"), "Чужой секретный вопрос")
	return tf
}

func (f *ticketFixture) mustTicket(co *staffbot.Company, text string) *store.Ticket {
	f.t.Helper()
	emp := f.mustEmployee(co, strconv.Itoa(int(f.clock.Now().UnixNano()%10000)), nil)
	var tk *store.Ticket
	err := f.st.InTx(f.t.Context(), func(tx *store.Tx) error {
		var err error
		tk, err = f.hd.OpenFromEscalation(f.t.Context(), tx, co, emp, text, "")
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.clock.Advance(1)
	return tk
}

func (f *ticketFixture) post(path, token string, body any, header ...string) (int, string) {
	f.t.Helper()
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(body)
	req, _ := http.NewRequest("POST", f.srv.URL+path, &buf)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (f *ticketFixture) auditCount(action string) int {
	f.t.Helper()
	recs, err := f.st.FindAudit(f.t.Context(), f.co.ID, store.AuditFilter{Action: action})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(recs)
}

func TestAPI_Tickets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("ListReadReplyStatusAssign", func(t *testing.T) {
			t.Parallel()
			f := newTicketFixture(t, open)
			token, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHROperator})
			id := strconv.FormatInt(f.ticket.ID, 10)

			status, body, _ := f.get("/api/v1/tickets?status=new", token)
			var list api.TicketList
			if err := json.Unmarshal([]byte(body), &list); status != http.StatusOK || err != nil || len(list.Data) != 1 {
				t.Fatalf("list = %d %s", status, body)
			}
			if got := list.Data[0]; got.Number != 1 || got.Category != "docs" || got.Subject != "Нужна справка 2-НДФЛ за прошлый год" || got.FirstResponseDueAt == nil {
				t.Errorf("listed ticket = %+v; want №1 in docs (suggested from the text) with a first-response due time", got)
			}
			if strings.Contains(body, "Чужой") {
				t.Error("the list shows another company's ticket")
			}

			status, body = f.post("/api/v1/tickets/"+id+"/replies", token, map[string]any{"text": "Справка будет готова завтра"},
				"Idempotency-Key", "reply-1")
			var msg api.TicketMessage
			if err := json.Unmarshal([]byte(body), &msg); status != http.StatusCreated || err != nil || msg.Kind != "reply" || msg.Author.Kind != "api_token" {
				t.Fatalf("reply = %d %s", status, body)
			}
			status, body = f.post("/api/v1/tickets/"+id+"/replies", token, map[string]any{"text": "Справка будет готова завтра"},
				"Idempotency-Key", "reply-1")
			var again api.TicketMessage
			json.Unmarshal([]byte(body), &again)
			if status != http.StatusCreated || again.Seq != msg.Seq {
				t.Errorf("retried reply = %d seq %d, want the first one (seq %d)", status, again.Seq, msg.Seq)
			}
			if status, body = f.post("/api/v1/tickets/"+id+"/replies", token, map[string]any{"text": "Проверить в 1С", "internal": true}); status != http.StatusCreated {
				t.Errorf("note = %d %s", status, body)
			}

			status, body, _ = f.get("/api/v1/tickets/"+id, token)
			var detail api.TicketDetail
			if err := json.Unmarshal([]byte(body), &detail); status != http.StatusOK || err != nil {
				t.Fatalf("read = %d %s", status, body)
			}
			var kinds []string
			for _, m := range detail.Messages {
				kinds = append(kinds, m.Kind)
			}
			if detail.Status != "waiting" || detail.FirstResponseAt == nil || !slices.Contains(kinds, "note") ||
				strings.Count(body, "Справка будет готова завтра") != 1 {
				t.Errorf("after reply: status %s, first response %v, kinds %v; want waiting, set, a note and one reply", detail.Status, detail.FirstResponseAt, kinds)
			}

			status, body = f.post("/api/v1/tickets/"+id+"/status", token, map[string]any{"status": "resolved"})
			var tk api.Ticket
			if err := json.Unmarshal([]byte(body), &tk); status != http.StatusOK || err != nil || tk.Status != "resolved" || tk.ResolvedAt == nil {
				t.Errorf("status = %d %s", status, body)
			}
			if status, _ := f.post("/api/v1/tickets/"+id+"/status", token, map[string]any{"status": "closed"}); status != http.StatusOK {
				t.Errorf("close = %d", status)
			}
			if status, body := f.post("/api/v1/tickets/"+id+"/replies", token, map[string]any{"text": "ещё"}); status != http.StatusConflict {
				t.Errorf("reply to a closed ticket = %d %s, want 409", status, body)
			}

			op, _, err := f.svc.CreateUser(t.Context(), nil, f.co.ID, auth.NewUser{Email: "op@acme.ru", Role: auth.RoleHROperator})
			if err != nil {
				t.Fatal(err)
			}
			status, body = f.post("/api/v1/tickets/"+id+"/assign", token, map[string]any{"assignee_id": op.ID})
			if err := json.Unmarshal([]byte(body), &tk); status != http.StatusOK || err != nil || tk.AssigneeID == nil || *tk.AssigneeID != int64(op.ID) {
				t.Errorf("assign = %d %s", status, body)
			}
			analystUser, _, _ := f.svc.CreateUser(t.Context(), nil, f.co.ID, auth.NewUser{Email: "an@acme.ru", Role: auth.RoleAnalyst})
			if status, _ := f.post("/api/v1/tickets/"+id+"/assign", token, map[string]any{"assignee_id": analystUser.ID}); status != http.StatusBadRequest {
				t.Errorf("assign to an analyst = %d, want 400", status)
			}
			if status, _ := f.post("/api/v1/tickets/"+id+"/assign", token, map[string]any{"assignee_id": nil}); status != http.StatusOK {
				t.Errorf("unassign = %d", status)
			}

			// Every call above is in the audit log.
			for _, action := range []string{helpdesk.AuditList, helpdesk.AuditRead, helpdesk.AuditReply, helpdesk.AuditNote,
				helpdesk.AuditStatus, helpdesk.AuditAssign} {
				if f.auditCount(action) == 0 {
					t.Errorf("no %s record", action)
				}
			}
		})

		// A body over the limit is refused as too large, not cut short
		// and read as something else.
		t.Run("BodyTooLarge", func(t *testing.T) {
			t.Parallel()
			f := newTicketFixture(t, open)
			token, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHROperator})
			path := "/api/v1/tickets/" + strconv.FormatInt(f.ticket.ID, 10) + "/replies"
			status, body := f.post(path, token, map[string]any{"text": strings.Repeat("а", 40<<10)})
			if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "too_large") {
				t.Errorf("a 80 KiB body = %d %s, want 413 too_large", status, body)
			}
			if n := f.auditCount("ticket.reply"); n != 0 {
				t.Errorf("ticket.reply records = %d, want 0", n)
			}
		})

		t.Run("PermissionsAndIsolation", func(t *testing.T) {
			t.Parallel()
			f := newTicketFixture(t, open)
			id := strconv.FormatInt(f.ticket.ID, 10)
			foreign := strconv.FormatInt(f.other.ID, 10)
			analyst, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleAnalyst})
			hr, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHROperator})

			for _, path := range []string{"/api/v1/tickets", "/api/v1/tickets/" + id, "/api/v1/ticket-categories"} {
				if status, body, _ := f.get(path, analyst); status != http.StatusForbidden || strings.Contains(body, "2-НДФЛ") {
					t.Errorf("analyst GET %s = %d, want 403", path, status)
				}
			}
			if status, _ := f.post("/api/v1/tickets/"+id+"/replies", analyst, map[string]any{"text": "x"}); status != http.StatusForbidden {
				t.Errorf("analyst reply = %d, want 403", status)
			}
			before, _ := f.st.FindTicketMessages(t.Context(), f.other.CompanyID, f.other.ID, 0, true)
			status, body, _ := f.get("/api/v1/tickets/"+foreign, hr)
			if status != http.StatusNotFound || strings.Contains(body, "Чужой") {
				t.Errorf("another company's ticket = %d %s", status, body)
			}
			for _, p := range []string{"/replies", "/status", "/assign"} {
				// A body that would be refused still gets 404 first.
				if status, _ := f.post("/api/v1/tickets/"+foreign+p, hr, "not an object"); status != http.StatusNotFound {
					t.Errorf("POST another company's %s = %d, want 404", p, status)
				}
			}
			if msgs, _ := f.st.FindTicketMessages(t.Context(), f.other.CompanyID, f.other.ID, 0, true); len(msgs) != len(before) {
				t.Errorf("another company's ticket has %d messages after the attempts, want its own %d", len(msgs), len(before))
			}
			for _, bad := range []map[string]any{{"text": ""}, {"text": "x", "status": "new"}, {"text": "x", "unknown": 1}} {
				if status, _ := f.post("/api/v1/tickets/"+id+"/replies", hr, bad); status != http.StatusBadRequest {
					t.Errorf("reply %v = %d, want 400", bad, status)
				}
			}
		})
	})
}

// TestOpenAPI_MatchesRoutes holds the served description to the route
// table: every route is described with its method, every described
// operation is routed, and every $ref resolves.
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	st := storetest.MustOpen(t, storetest.SQLiteDSN(t))
	clock := staffbot.NewManualClock(t0)
	svc := auth.New(st, clock, auth.Options{Logger: slog.New(slog.DiscardHandler)})
	srv := api.New(api.Config{Auth: svc, Clock: clock})
	srv.AddTickets(&helpdesk.Service{Store: st, Clock: clock})
	srv.AddKB(&kb.Service{Store: st, Clock: clock})
	mux := http.NewServeMux()
	srv.Register(mux)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), api.OpenAPI()) {
		t.Fatalf("GET /api/v1/openapi.json = %d", rec.Code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("the description is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}

	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			described[strings.ToUpper(method)+" "+path] = true
			var o struct {
				OperationID string                     `json:"operationId"`
				Responses   map[string]json.RawMessage `json:"responses"`
				Security    *[]any                     `json:"security"`
			}
			if err := json.Unmarshal(op, &o); err != nil || o.OperationID == "" || len(o.Responses) == 0 {
				t.Errorf("%s %s: needs an operationId and responses (%v)", method, path, err)
			}
		}
	}
	routed := map[string]bool{}
	for _, rt := range srv.Routes() {
		key := rt.Method + " " + rt.Path
		routed[key] = true
		if !described[key] {
			t.Errorf("route %s is not in openapi.json", key)
		}
		var op struct {
			Security *[]any `json:"security"`
		}
		json.Unmarshal(doc.Paths[rt.Path][strings.ToLower(rt.Method)], &op)
		if public := op.Security != nil && len(*op.Security) == 0; public != rt.Public {
			t.Errorf("%s: public in the description = %v, in the router = %v", key, public, rt.Public)
		}
	}
	for key := range described {
		if !routed[key] {
			t.Errorf("openapi.json describes %s, which is not routed", key)
		}
	}

	// Every $ref points at something in the document.
	var whole any
	json.Unmarshal(rec.Body.Bytes(), &whole)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				var node any = whole
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := node.(map[string]any)
					node = m[part]
				}
				if node == nil {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(whole)
}
