package web_test

import (
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/kb"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
	"github.com/staffbot/staffbot/internal/web"
)

// kbFixture is the cabinet with the knowledge base.
func kbFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	f := newFixture(t, st, "")
	logger := slog.New(slog.DiscardHandler)
	cab := web.New(web.Config{Auth: f.svc, Clock: f.clock, Logger: logger})
	cab.AddKB(&kb.Service{Store: st, Clock: f.clock, Auditor: &audit.Recorder{Store: st, Clock: f.clock}})
	mux := http.NewServeMux()
	cab.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// kbGap records a question the bot could not answer, n times, and
// returns its group.
func (f *fixture) kbGap(emp *staffbot.Employee, kind, text, slug string, n int) int64 {
	f.t.Helper()
	var id int64
	for range n {
		err := f.st.InTx(f.t.Context(), func(tx *store.Tx) error {
			q := &store.FAQQuestion{CompanyID: emp.CompanyID, EmployeeID: emp.ID, Text: text, Terms: strings.Fields(strings.ToLower(text)),
				Band: "none", ArticleSlug: slug, Outcome: store.FAQUnknown, CreatedAt: f.clock.Now()}
			if err := tx.CreateFAQQuestion(f.t.Context(), q); err != nil {
				return err
			}
			var err error
			id, err = tx.RecordFAQGap(f.t.Context(), q, kind, q.CreatedAt)
			return err
		})
		if err != nil {
			f.t.Fatal(err)
		}
	}
	return id
}

var fieldErrorRE = regexp.MustCompile(`<p class="error kb-field-error" id="e-([a-z_]+)">`)

func fieldErrors(body string) []string {
	var out []string
	for _, m := range fieldErrorRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestKBPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("EditorKeepsTypedTextAndNamesBadFields", func(t *testing.T) {
			t.Parallel()
			f := kbFixture(t, open(t))
			f.mustEmployee(f.co, "0042", "Смирнова Ольга Петровна", nil)
			f.mustUser("hr@acme.ru", auth.RoleHRManager, nil, false)
			c := f.client()
			c.signIn("hr@acme.ru", "")

			home := c.get("/hr/kb")
			if home.status != http.StatusOK || !strings.Contains(home.body, `id="nav-kb"`) || !strings.Contains(home.body, "В базе знаний пока нет статей.") {
				t.Fatalf("GET /hr/kb = %d:\n%s", home.status, home.body)
			}
			csrf := c.csrf("/hr/kb/new")
			form := url.Values{"csrf": {csrf}, "title": {" "}, "questions": {"Где взять справку 2-НДФЛ?\nНужна справка о доходах"},
				"answer": {"Закажите в боте: *Справки*."}, "owner": {"9999"}, "review_on": {"2026-13-40"}, "tags": {"справки, ндфл"},
				"attachments": {"Образец заявления"}}
			p := c.post("/hr/kb/new", form)
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("bad article = %d %s", p.status, p.location)
			}
			if got := strings.Join(fieldErrors(p.body), ","); got != "title,attachments,owner,review_on" {
				t.Errorf("errors shown next to %s, want title,attachments,owner,review_on", got)
			}
			for _, kept := range []string{"Где взять справку 2-НДФЛ?\nНужна справка о доходах", "Закажите в боте: *Справки*.", `value="9999"`,
				`value="справки, ндфл"`, "Образец заявления", "Укажите заголовок."} {
				if !strings.Contains(html.UnescapeString(p.body), kept) {
					t.Errorf("the form came back without %q", kept)
				}
			}
			if arts, _ := f.st.FindKBArticles(t.Context(), f.co.ID, store.KBFilter{}); len(arts) != 0 {
				t.Fatalf("a refused form stored %d articles", len(arts))
			}

			form.Set("title", "Справка 2-НДФЛ")
			form.Set("owner", "0042")
			form.Set("review_on", "2026-03-01")
			form.Set("attachments", "Образец заявления | https://hr.example.ru/2ndfl.pdf")
			p = c.post("/hr/kb/new", form)
			if p.status != http.StatusSeeOther || p.location != "/hr/kb/articles/spravka-2-ndfl?m=created" {
				t.Fatalf("good article = %d %s:\n%s", p.status, p.location, p.body)
			}
			page := c.get("/hr/kb/articles/spravka-2-ndfl?m=created")
			for _, want := range []string{"Статья создана.", "Черновик", "Смирнова Ольга Петровна", "Пора проверить", `name="version" id="kb-version" value="1"`,
				"Образец заявления | https://hr.example.ru/2ndfl.pdf"} {
				if !strings.Contains(page.body, want) {
					t.Errorf("article page lacks %q", want)
				}
			}
			list := c.get("/hr/kb")
			if !strings.Contains(list.body, "Статей пора проверить: 1.") || !strings.Contains(list.body, `class="kb-row-due"`) {
				t.Errorf("the list does not mark the article due for review:\n%s", list.body)
			}
			if p := c.get("/hr/kb?q=доходах"); !strings.Contains(p.body, "spravka-2-ndfl") {
				t.Error("searching a sample question does not find the article")
			}
			if p := c.get("/hr/kb?status=published"); strings.Contains(p.body, "spravka-2-ndfl") {
				t.Error("the published filter shows a draft")
			}

			// Without the CSRF token nothing is saved.
			noCSRF := url.Values{"title": {"Взлом"}, "answer": {"Взлом"}}
			if p := c.post("/hr/kb/new", noCSRF); p.status != http.StatusForbidden {
				t.Errorf("form without CSRF = %d, want 403", p.status)
			}

			// Two editors: the second save over version 1 is refused, and
			// keeps what was typed.
			path := "/hr/kb/articles/spravka-2-ndfl"
			edit := url.Values{"csrf": {csrf}, "version": {"1"}, "title": {"Справка 2-НДФЛ"}, "questions": {"Где взять справку 2-НДФЛ?"},
				"answer": {"Справка готова за 3 дня."}, "published": {"1"}}
			if p := c.post(path, edit); p.status != http.StatusSeeOther || !strings.Contains(p.location, "m=saved") {
				t.Fatalf("first edit = %d %s", p.status, p.location)
			}
			edit.Set("answer", "Моя правка поверх старой версии")
			p = c.post(path, edit)
			if p.status != http.StatusConflict || !strings.Contains(p.body, "Моя правка поверх старой версии") ||
				!strings.Contains(p.body, `id="kb-conflict"`) || !strings.Contains(p.body, "Справка готова за 3 дня.") ||
				!strings.Contains(p.body, `name="version" id="kb-version" value="2"`) {
				t.Fatalf("stale edit = %d:\n%s", p.status, p.body)
			}
			if a, _ := f.st.FindKBArticle(t.Context(), f.co.ID, "spravka-2-ndfl"); a.Answer != "Справка готова за 3 дня." || !a.Published {
				t.Errorf("stored article = %+v", a)
			}
			edit.Set("version", "2")
			if p := c.post(path, edit); !strings.Contains(p.location, "m=saved") {
				t.Errorf("edit over the current version = %d %s", p.status, p.location)
			}

			// History: three versions, each with its lines; restoring the
			// first makes a fourth.
			h := c.get(path + "/history")
			if h.status != http.StatusOK || strings.Count(h.body, `class="card kb-version`) != 3 ||
				!strings.Contains(h.body, `<span class="kb-del">− Справка готова за 3 дня.</span>`) ||
				!strings.Contains(h.body, `<span class="kb-ins">+ Моя правка поверх старой версии</span>`) ||
				!strings.Contains(h.body, "hr@acme.ru") {
				t.Fatalf("history = %d:\n%s", h.status, h.body)
			}
			p = c.post(path+"/restore", url.Values{"csrf": {csrf}, "version": {"1"}, "current": {"3"}})
			if !strings.Contains(p.location, "m=restored") {
				t.Fatalf("restore = %d %s", p.status, p.location)
			}
			a, _ := f.st.FindKBArticle(t.Context(), f.co.ID, "spravka-2-ndfl")
			if a.Version != 4 || a.Answer != "Закажите в боте: *Справки*." || !a.Published {
				t.Errorf("after restoring version 1: %+v", a)
			}
			if p := c.post(path+"/restore", url.Values{"csrf": {csrf}, "version": {"1"}, "current": {"3"}}); !strings.Contains(p.location, "m=no_version") {
				t.Errorf("restore from a stale page = %d %s", p.status, p.location)
			}

			if p := c.post(path+"/unpublish", url.Values{"csrf": {csrf}, "version": {"4"}}); !strings.Contains(p.location, "m=unpublished") {
				t.Errorf("unpublish = %d %s", p.status, p.location)
			}
			if p := c.post(path+"/delete", url.Values{"csrf": {csrf}, "version": {"4"}}); !strings.Contains(p.location, "m=no_version") {
				t.Errorf("delete of a stale version = %d %s", p.status, p.location)
			}
			if p := c.post(path+"/delete", url.Values{"csrf": {csrf}, "version": {"5"}}); p.location != "/hr/kb?m=deleted" {
				t.Errorf("delete = %d %s", p.status, p.location)
			}
			for action, want := range map[string]int{kb.AuditCreate: 1, kb.AuditUpdate: 2, kb.AuditRestore: 1, kb.AuditUnpublish: 1, kb.AuditDelete: 1} {
				recs, err := f.st.FindAudit(t.Context(), f.co.ID, store.AuditFilter{Action: action})
				if err != nil || len(recs) != want {
					t.Errorf("%s records = %d (%v), want %d", action, len(recs), err, want)
					continue
				}
				if recs[0].Actor.Kind != staffbot.ActorUser {
					t.Errorf("%s actor = %+v", action, recs[0].Actor)
				}
			}

			// English is there too.
			c.get("/hr/lang?to=en&next=%2Fhr%2Fkb")
			if p := c.get("/hr/kb/new"); !strings.Contains(p.body, "How employees ask it") || !strings.Contains(p.body, ">Knowledge base<") {
				t.Error("the editor has no English")
			}
		})

		t.Run("RolesAndOtherCompanies", func(t *testing.T) {
			t.Parallel()
			f := kbFixture(t, open(t))
			other := &staffbot.Company{Slug: "other", Name: "Другая"}
			if err := f.st.CreateCompany(t.Context(), other); err != nil {
				t.Fatal(err)
			}
			for _, a := range []*store.KBArticle{
				{CompanyID: f.co.ID, Slug: "own", Title: "Своя статья", Answer: "Свой ответ"},
				{CompanyID: other.ID, Slug: "foreign", Title: "Чужая статья", Answer: "Чужой ответ"},
			} {
				if _, err := f.st.SaveKBArticle(t.Context(), a, "test", t0); err != nil {
					t.Fatal(err)
				}
			}
			stranger := f.mustEmployee(other, "0001", "Чужой Сотрудник", nil)
			foreignGap := f.kbGap(stranger, store.GapUnanswered, "Чужой вопрос", "", 1)
			f.mustUser("operator@acme.ru", auth.RoleHROperator, nil, false)
			f.mustUser("analyst@acme.ru", auth.RoleAnalyst, nil, false)
			f.mustUser("hr@acme.ru", auth.RoleHRManager, nil, false)

			analyst := f.client()
			analyst.signIn("analyst@acme.ru", "")
			if p := analyst.get("/hr/kb"); p.status != http.StatusForbidden {
				t.Errorf("analyst opens the knowledge base = %d, want 403", p.status)
			}
			if p := analyst.get("/hr/dashboards/adoption"); strings.Contains(p.body, `id="nav-kb"`) {
				t.Error("the analyst's menu offers the knowledge base")
			}

			op := f.client()
			op.signIn("operator@acme.ru", "")
			p := op.get("/hr/kb/articles/own")
			if p.status != http.StatusOK || !strings.Contains(p.body, "Свой ответ") || strings.Contains(p.body, `id="kb-save"`) ||
				!strings.Contains(p.body, "Изменять статьи может HR-менеджер.") {
				t.Errorf("operator's view of an article = %d:\n%s", p.status, p.body)
			}
			csrf := op.csrf("/hr/kb")
			if p := op.post("/hr/kb/articles/own", url.Values{"csrf": {csrf}, "version": {"1"}, "title": {"Взлом"}, "answer": {"Взлом"}}); p.status != http.StatusForbidden {
				t.Errorf("operator saves an article = %d, want 403", p.status)
			}
			if p := op.get("/hr/kb/new"); p.status != http.StatusForbidden {
				t.Errorf("operator opens the new-article form = %d, want 403", p.status)
			}

			hr := f.client()
			hr.signIn("hr@acme.ru", "")
			csrf = hr.csrf("/hr/kb")
			gapID := strconv.FormatInt(foreignGap, 10)
			for _, c := range []struct {
				method, path string
				form         url.Values
			}{
				{"GET", "/hr/kb/articles/foreign", nil},
				{"GET", "/hr/kb/articles/foreign/history", nil},
				{"POST", "/hr/kb/articles/foreign", url.Values{"csrf": {csrf}, "version": {"1"}, "title": {"Взлом"}, "answer": {"Взлом"}}},
				{"POST", "/hr/kb/articles/foreign/publish", url.Values{"csrf": {csrf}}},
				{"POST", "/hr/kb/articles/foreign/delete", url.Values{"csrf": {csrf}, "version": {"1"}}},
				{"POST", "/hr/kb/articles/foreign/restore", url.Values{"csrf": {csrf}, "version": {"1"}}},
				{"POST", "/hr/kb/gaps/" + gapID + "/dismiss", url.Values{"csrf": {csrf}}},
				{"GET", "/hr/kb/new?gap=" + gapID, nil},
			} {
				var p page
				if c.method == "GET" {
					p = hr.get(c.path)
				} else {
					p = hr.post(c.path, c.form)
				}
				if p.status != http.StatusNotFound || strings.Contains(p.body, "Чуж") {
					t.Errorf("%s %s of another company = %d, want 404 and nothing of it", c.method, c.path, p.status)
				}
			}
			if p := hr.get("/hr/kb"); strings.Contains(p.body, "Чужая") {
				t.Error("the list shows another company's article")
			}
			if p := hr.get("/hr/kb/gaps"); strings.Contains(p.body, "Чужой вопрос") {
				t.Error("the gaps page shows another company's question")
			}
			if a, _ := f.st.FindKBArticle(t.Context(), other.ID, "foreign"); a.Version != 1 || a.Published {
				t.Errorf("the other company's article changed: %+v", a)
			}
		})

		t.Run("GapsPageStartsAnArticle", func(t *testing.T) {
			t.Parallel()
			f := kbFixture(t, open(t))
			emp := f.mustEmployee(f.co, "0001", "Иванова Анна Сергеевна", nil)
			parking := f.kbGap(emp, store.GapUnanswered, "Где парковка для сотрудников?", "", 3)
			f.kbGap(emp, store.GapUnanswered, "Можно ли работать из дома", "", 1)
			if _, err := f.st.SaveKBArticle(t.Context(), &store.KBArticle{CompanyID: f.co.ID, Slug: "dms", Title: "Полис ДМС",
				Answer: "Полис выдаёт HR.", Published: true}, "test", t0); err != nil {
				t.Fatal(err)
			}
			f.kbGap(emp, store.GapDisliked, "А стоматология входит в ДМС?", "dms", 2)
			f.mustUser("hr@acme.ru", auth.RoleHRManager, nil, false)
			c := f.client()
			c.signIn("hr@acme.ru", "")

			p := c.get("/hr/kb/gaps")
			if p.status != http.StatusOK {
				t.Fatalf("gaps = %d", p.status)
			}
			un, dis := p.body[strings.Index(p.body, `id="gaps-unanswered"`):strings.Index(p.body, `id="gaps-disliked-h"`)], p.body[strings.Index(p.body, `id="gaps-disliked"`):]
			if strings.Index(un, "Где парковка") > strings.Index(un, "работать из дома") || !strings.Contains(un, "<td>3</td>") {
				t.Errorf("unanswered gaps are not most frequent first with counts:\n%s", un)
			}
			if !strings.Contains(dis, "А стоматология входит в ДМС?") || !strings.Contains(dis, `href="/hr/kb/articles/dms">Полис ДМС</a>`) || !strings.Contains(dis, "<td>2</td>") {
				t.Errorf("disliked gaps:\n%s", dis)
			}

			p = c.get("/hr/kb/new?gap=" + strconv.FormatInt(parking, 10))
			if !strings.Contains(p.body, `<textarea name="questions" id="f-questions" rows="5">Где парковка для сотрудников?</textarea>`) ||
				!strings.Contains(p.body, `name="gap" value="`+strconv.FormatInt(parking, 10)+`"`) {
				t.Fatalf("the editor is not filled from the gap:\n%s", p.body)
			}
			csrf := c.csrf("/hr/kb/new")
			p = c.post("/hr/kb/new", url.Values{"csrf": {csrf}, "gap": {strconv.FormatInt(parking, 10)}, "title": {"Парковка"},
				"questions": {"Где парковка для сотрудников?"}, "answer": {"Во дворе, по пропуску."}, "published": {"1"}})
			if p.location != "/hr/kb/articles/parkovka?m=created" {
				t.Fatalf("article from the gap = %d %s", p.status, p.location)
			}
			if p := c.get("/hr/kb/gaps"); strings.Contains(p.body, "Где парковка") || !strings.Contains(p.body, "работать из дома") {
				t.Error("the answered gap is still listed, or another one went")
			}
			p = c.post("/hr/kb/gaps/"+strconv.FormatInt(f.kbGap(emp, store.GapUnanswered, "Как заказать пропуск гостю", "", 1), 10)+"/dismiss", url.Values{"csrf": {csrf}})
			if p.location != "/hr/kb/gaps?m=dismissed" {
				t.Errorf("dismiss = %d %s", p.status, p.location)
			}
			if p := c.get("/hr/kb/gaps"); strings.Contains(p.body, "пропуск гостю") {
				t.Error("a dismissed gap is still listed")
			}
		})
	})
}
