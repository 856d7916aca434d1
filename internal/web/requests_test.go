package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// mustRequest puts a request of the employee into HR's queue, made at
// made, without a deadline: the service's first pass works deadlines out
// (mustDeadlines), as it does for requests from before they were kept.
func (f *fixture) mustRequest(e *staffbot.Employee, service string, answers map[string]string, made time.Time) *store.ServiceRequest {
	f.t.Helper()
	r := &store.ServiceRequest{CompanyID: f.co.ID, EmployeeID: e.ID, ServiceKey: service, Fulfilment: store.FulfilHR,
		Status: store.ServiceRequestNew, Answers: answers, CreatedAt: made, UpdatedAt: made, SubmittedAt: &made}
	err := f.st.InTx(f.t.Context(), func(tx *store.Tx) error { return tx.CreateServiceRequest(f.t.Context(), r) })
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// mustDeadlines runs the service's pass over deadlines and returns the
// requests as they are then.
func (f *fixture) mustDeadlines(rs ...*store.ServiceRequest) {
	f.t.Helper()
	if _, err := f.requests.RunDeadlines(f.t.Context()); err != nil {
		f.t.Fatal(err)
	}
	for _, r := range rs {
		got, err := f.st.FindServiceRequest(f.t.Context(), f.co.ID, r.ID)
		if err != nil {
			f.t.Fatal(err)
		}
		*r = *got
	}
}

// postFile posts a multipart form with a file and the page's CSRF token.
func (c *client) postFile(path, csrf, name string, data []byte, fields url.Values) page {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", c.f.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// outbox returns the texts queued for a web chat.
func (f *fixture) outbox(chat string) []string {
	f.t.Helper()
	items, err := f.st.FindChatMessages(f.t.Context(), f.co.ID, staffbot.ChannelWebchat, chat, 0, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Message.Text)
	}
	return out
}

func TestRequestsPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		f, _ := newPagesFixture(t, open(t), "")
		anna := f.mustEmployee(f.co, "0001", "Иванова Анна Сергеевна", nil)
		mustJoinChat(t, f, anna, "web-anna")
		op, _ := f.mustUser("op@acme.ru", auth.RoleHROperator, nil, false)
		f.mustUser("an@acme.ru", auth.RoleAnalyst, nil, false)
		f.mustUser("lm@acme.ru", auth.RoleLineManager, anna, false)
		if _, _, err := f.svc.CreateUser(t.Context(), nil, f.co.ID, auth.NewUser{Email: "buh@acme.ru", Role: auth.RoleHROperator,
			Password: password, Departments: []string{"Бухгалтерия"}}); err != nil {
			t.Fatal(err)
		}

		// Made on Friday 27 February 2026 at 16:00: Fri, Mon, Tue — due
		// Tuesday 3 March 18:00; the fixture's clock says Monday 2 March.
		made := time.Date(2026, 2, 27, 13, 0, 0, 0, time.UTC)
		cert := f.mustRequest(anna, selfservice.KeyEmploymentCert, map[string]string{"purpose": "bank", "salary": "no",
			"delivery": "link"}, made)
		// A week earlier: Fri 20 February, Mon 23 February is Defender of
		// the Fatherland Day, so due Wednesday 25 February.
		old := f.mustRequest(anna, selfservice.KeyIncomeCert, map[string]string{"year": "2025"}, made.AddDate(0, 0, -7))
		vac := f.mustRequest(anna, selfservice.KeyVacationApplication, map[string]string{"kind": "annual"}, made)
		f.mustDeadlines(cert, old, vac)
		for _, tt := range []struct {
			r    *store.ServiceRequest
			want string
		}{{cert, "2026-03-03 18:00"}, {old, "2026-02-25 18:00"}} {
			if tt.r.DueAt == nil || tt.r.DueAt.In(f.co.Location()).Format("2006-01-02 15:04") != tt.want {
				t.Fatalf("request %d due %v, want %s", tt.r.ID, tt.r.DueAt, tt.want)
			}
		}
		if vac.DueAt != nil {
			t.Errorf("a vacation application is due %v; the law sets no deadline", vac.DueAt)
		}

		c := f.client()
		c.signIn("op@acme.ru", "")
		p := c.get("/hr/requests")
		if p.status != http.StatusOK || !strings.Contains(p.body, `id="nav-requests"`) {
			t.Fatalf("list = %d:\n%s", p.status, p.body)
		}
		for _, want := range []string{"Справка с места работы", "Иванова Анна Сергеевна", "03.03.2026", "просрочена",
			"Заявление на отпуск", `id="rq-summary">У HR сейчас заявок: 3, из них с истёкшим сроком: 1.`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("list lacks %q", want)
			}
		}
		rows := regexp.MustCompile(`<tr data-id="(\d+)"`).FindAllStringSubmatch(c.get("/hr/requests?overdue=1").body, -1)
		if len(rows) != 1 || rows[0][1] != strconv.FormatInt(old.ID, 10) {
			t.Errorf("overdue filter shows %v, want only request %d", rows, old.ID)
		}
		if p := c.get("/hr/requests?service=" + selfservice.KeyVacationApplication); !strings.Contains(p.body, `data-id="`+strconv.FormatInt(vac.ID, 10)+`"`) ||
			strings.Contains(p.body, `data-id="`+strconv.FormatInt(cert.ID, 10)+`"`) {
			t.Error("the service filter does not narrow the list")
		}
		if p := c.get("/hr/requests?status=closed"); !strings.Contains(p.body, `id="no-requests"`) {
			t.Error("the closed filter shows open requests")
		}

		// The overdue one was reminded of on the first pass, late.
		if p := c.get("/hr/requests/" + strconv.FormatInt(old.ID, 10)); !strings.Contains(p.body, "HR напомнили: срок уже истёк") {
			t.Errorf("the overdue request's card lacks the late reminder:\n%s", p.body)
		}

		path := "/hr/requests/" + strconv.FormatInt(cert.ID, 10)
		p = c.get(path)
		for _, want := range []string{"В банк", "Указать в справке зарплату?", "3 рабочих дня по ст. 62 ТК РФ", "03.03.2026",
			"Заявка подана", `id="take"`, `id="send-form"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("card lacks %q", want)
			}
		}

		// Take it, then send the certificate by a secure link.
		csrf := c.csrf(path)
		if p := c.post(path+"/take", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther || !strings.Contains(p.location, "m=taken") {
			t.Fatalf("take = %d %s", p.status, p.location)
		}
		p = c.get(path)
		if !strings.Contains(p.body, "в работе") || !strings.Contains(p.body, `id="request-taken">op@acme.ru`) {
			t.Errorf("after taking, the card shows no status or taker")
		}
		if p := c.postFile(path+"/send", csrf, "", nil, nil); !strings.Contains(p.location, "e=file") {
			t.Errorf("send without a file = %d %s", p.status, p.location)
		}
		p = c.postFile(path+"/send", csrf, "Справка.pdf", []byte("%PDF-1.4 справка"), url.Values{"note": {"Подписал директор"}})
		if p.status != http.StatusSeeOther || !strings.Contains(p.location, "m=sent") {
			t.Fatalf("send = %d %s", p.status, p.location)
		}
		got := f.outbox("web-anna")
		if len(got) != 2 || !strings.Contains(got[0], "готова") || !strings.Contains(got[1], f.srv.URL+"/l/") {
			t.Fatalf("the employee got %q; want the notice and a secure link", got)
		}
		link := regexp.MustCompile(`https?://\S+/l/\S+`).FindString(got[1])
		if resp, err := http.Get(strings.TrimRight(link, ".")); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("the link does not open: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
		p = c.get(path)
		for _, want := range []string{"выдана", "Документ отправлен сотруднику защищённой ссылкой", "Подписал директор", "op@acme.ru"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("card after sending lacks %q", want)
			}
		}
		if strings.Contains(p.body, `id="send-form"`) {
			t.Error("a closed request still offers actions")
		}

		// Decline another with a reason the employee reads.
		vpath := "/hr/requests/" + strconv.FormatInt(vac.ID, 10)
		if p := c.post(vpath+"/reject", url.Values{"csrf": {csrf}}); !strings.Contains(p.location, "e=reason") {
			t.Errorf("decline without a reason = %s", p.location)
		}
		p = c.post(vpath+"/reject", url.Values{"csrf": {csrf}, "reason": {"На эти даты отпуск уже оформлен."}})
		if !strings.Contains(p.location, "m=rejected") {
			t.Fatalf("decline = %d %s", p.status, p.location)
		}
		if got := f.outbox("web-anna"); !strings.Contains(got[len(got)-1], "Причина: На эти даты отпуск уже оформлен.") {
			t.Errorf("the employee got %q, without the reason", got[len(got)-1])
		}
		if p := c.post(vpath+"/take", url.Values{"csrf": {csrf}}); !strings.Contains(p.location, "e=conflict") {
			t.Errorf("taking a declined request = %s", p.location)
		}
		for _, action := range []string{"service_request.list", "service_request.read", "service_request.take",
			"service_request.send", "service_request.reject"} {
			recs, err := f.st.FindAudit(t.Context(), f.co.ID, store.AuditFilter{Action: action})
			if err != nil || len(recs) == 0 || recs[0].Actor.Kind != staffbot.ActorUser || recs[0].Actor.ID != strconv.FormatInt(int64(op.ID), 10) {
				t.Errorf("audit %s = %v, %v", action, recs, err)
			}
		}

		// English.
		c.get("/hr/lang?to=en&next=/hr/requests")
		if p := c.get("/hr/requests?status=all"); !strings.Contains(p.body, "Employees&#39; requests") || !strings.Contains(p.body, "Employment certificate") {
			t.Errorf("English list:\n%s", p.body)
		}

		// Who may not.
		an := f.client()
		an.signIn("an@acme.ru", "")
		if p := an.get("/hr/requests"); p.status != http.StatusForbidden {
			t.Errorf("analyst list = %d, want 403", p.status)
		}
		lm := f.client()
		lm.signIn("lm@acme.ru", "")
		if p := lm.get(path); p.status != http.StatusForbidden {
			t.Errorf("line manager card = %d, want 403", p.status)
		}
		buh := f.client()
		buh.signIn("buh@acme.ru", "")
		if p := buh.get("/hr/requests?status=all"); strings.Contains(p.body, "Иванова") {
			t.Error("an operator of another department sees the request in the list")
		}
		if p := buh.get("/hr/requests/" + strconv.FormatInt(old.ID, 10)); p.status != http.StatusNotFound {
			t.Errorf("an operator of another department opens the card: %d", p.status)
		}
		if p := buh.post("/hr/requests/"+strconv.FormatInt(old.ID, 10)+"/done", url.Values{"csrf": {buh.csrf("/hr/requests")}}); p.status != http.StatusNotFound {
			t.Errorf("an operator of another department closes the request: %d", p.status)
		}
	})
}
