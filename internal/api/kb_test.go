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
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/api"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/kb"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// kbFixture is an API with the knowledge base, over one company, and
// another company with a secret article of its own.
type kbFixture struct {
	*fixture
	other *staffbot.Company
}

func newKBFixture(t *testing.T, open func(t *testing.T) *store.Store) *kbFixture {
	t.Helper()
	f := &fixture{t: t, st: open(t), clock: staffbot.NewManualClock(t0)}
	logger := slog.New(slog.DiscardHandler)
	rec := &audit.Recorder{Store: f.st, Clock: f.clock}
	f.svc = auth.New(f.st, f.clock, auth.Options{Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}, Logger: logger, Auditor: rec})
	srv := api.New(api.Config{Auth: f.svc, Clock: f.clock, Logger: logger})
	srv.AddKB(&kb.Service{Store: f.st, Clock: f.clock, Auditor: rec})
	mux := http.NewServeMux()
	srv.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.co = f.mustCompany("acme")
	kf := &kbFixture{fixture: f, other: f.mustCompany("other")}
	secret := &store.KBArticle{CompanyID: kf.other.ID, Slug: "vacation", Title: "Чужая тайная статья", Answer: "Чужой ответ",
		Questions: []string{"Чужой вопрос"}}
	if _, err := f.st.SaveKBArticle(t.Context(), secret, "test", t0); err != nil {
		t.Fatal(err)
	}
	return kf
}

func (f *kbFixture) send(method, path, token string, body any) (int, string, http.Header) {
	f.t.Helper()
	var r io.Reader
	if body != nil {
		var buf bytes.Buffer
		json.NewEncoder(&buf).Encode(body)
		r = &buf
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (f *kbFixture) article(body string) api.KBArticle {
	f.t.Helper()
	var a api.KBArticle
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		f.t.Fatalf("article %s: %v", body, err)
	}
	return a
}

func (f *kbFixture) audits(action string) []*staffbot.AuditRecord {
	f.t.Helper()
	recs, err := f.st.FindAudit(f.t.Context(), f.co.ID, store.AuditFilter{Action: action})
	if err != nil {
		f.t.Fatal(err)
	}
	return recs
}

func (f *kbFixture) revision() int64 {
	f.t.Helper()
	rev, err := f.st.KBRevision(f.t.Context(), f.co.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return rev
}

func TestAPI_KB(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("CreateValidateUpdateConflict", func(t *testing.T) {
			t.Parallel()
			f := newKBFixture(t, open)
			owner := f.mustEmployee(f.co, "0007", nil)
			hr, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHRManager})

			// Every bad field is named at once, and nothing is stored.
			status, body, _ := f.send("POST", "/api/v1/kb/articles", hr, map[string]any{
				"title": "  ", "answer": "", "review_on": "2026-02-30", "slug": "Bad Slug", "owner_id": 999999,
				"attachments": []map[string]string{{"name": "Бланк", "url": "javascript:alert(1)"}},
			})
			var inv api.KBInvalid
			if err := json.Unmarshal([]byte(body), &inv); status != http.StatusBadRequest || err != nil || inv.Error.Code != "invalid" {
				t.Fatalf("invalid article = %d %s", status, body)
			}
			var fields []string
			for _, p := range inv.Error.Fields {
				fields = append(fields, p.Field)
			}
			for _, want := range []string{"slug", "title", "answer", "review_on", "owner", "attachments"} {
				if !slices.Contains(fields, want) {
					t.Errorf("problems name %v, want %s among them", fields, want)
				}
			}
			if f.revision() != 0 {
				t.Error("a refused article moved the knowledge base's revision")
			}

			status, body, hdr := f.send("POST", "/api/v1/kb/articles", hr, map[string]any{
				"title": "Перенос отпуска", "questions": []string{"Как перенести отпуск?", " ", "Можно ли сдвинуть отпуск"},
				"answer": "Напишите заявление за две недели.", "category": "Отпуск", "tags": []string{"отпуск"},
				"owner_id": owner.ID, "review_on": "2026-09-01",
			})
			a := f.article(body)
			if status != http.StatusCreated || a.Slug != "perenos-otpuska" || a.Version != 1 || a.Published || len(a.Questions) != 2 ||
				a.OwnerID == nil || *a.OwnerID != int64(owner.ID) || a.ReviewOn == nil || *a.ReviewOn != "2026-09-01" || a.ReviewDue {
				t.Fatalf("create = %d %s", status, body)
			}
			if hdr.Get("Location") != "/api/v1/kb/articles/perenos-otpuska" {
				t.Errorf("Location = %q", hdr.Get("Location"))
			}
			rev := f.revision()
			if rev == 0 {
				t.Error("creating an article did not move the revision")
			}
			// The same title again gets a slug of its own.
			_, body, _ = f.send("POST", "/api/v1/kb/articles", hr, map[string]any{"title": "Перенос отпуска", "answer": "Другой ответ"})
			if a2 := f.article(body); a2.Slug != "perenos-otpuska-2" {
				t.Errorf("second article's slug = %q, want perenos-otpuska-2", a2.Slug)
			}
			// A slug taken is a problem of the slug field.
			status, body, _ = f.send("POST", "/api/v1/kb/articles", hr, map[string]any{"slug": "perenos-otpuska", "title": "T", "answer": "A"})
			if status != http.StatusBadRequest || !strings.Contains(body, `"field":"slug","code":"taken"`) {
				t.Errorf("taken slug = %d %s", status, body)
			}

			path := "/api/v1/kb/articles/perenos-otpuska"
			edit := map[string]any{"version": 1, "title": "Перенос отпуска", "questions": a.Questions,
				"answer": "Заявление подаётся в боте за 14 дней.", "category": "Отпуск", "tags": []string{"отпуск"}}
			status, body, _ = f.send("PUT", path, hr, edit)
			if a := f.article(body); status != http.StatusOK || a.Version != 2 || a.Answer != "Заявление подаётся в боте за 14 дней." || a.OwnerID != nil {
				t.Fatalf("update = %d %s", status, body)
			}
			if f.revision() <= rev {
				t.Error("an update did not move the revision")
			}

			// Someone edited version 1 too: their save is refused with the
			// article as it is now.
			edit["answer"] = "Устаревшая правка"
			status, body, _ = f.send("PUT", path, hr, edit)
			var cf api.KBConflict
			if err := json.Unmarshal([]byte(body), &cf); status != http.StatusConflict || err != nil || cf.Current.Version != 2 ||
				cf.Current.Answer != "Заявление подаётся в боте за 14 дней." {
				t.Fatalf("stale update = %d %s", status, body)
			}
			status, body, _ = f.send("PUT", path, hr, map[string]any{"title": "Без версии", "answer": "A"})
			if status != http.StatusBadRequest || !strings.Contains(body, `"field":"version"`) {
				t.Errorf("update without a version = %d %s", status, body)
			}
			for _, bad := range []string{`{"version":2,"title":"T","answer":"A","colour":"red"}`, `[1,2]`, `{"version":"2"}`} {
				req, _ := http.NewRequest("PUT", f.srv.URL+path, strings.NewReader(bad))
				req.Header.Set("Authorization", "Bearer "+hr)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest {
					t.Errorf("PUT %s = %d, want 400", bad, resp.StatusCode)
				}
			}
			if got, _ := f.st.FindKBArticle(t.Context(), f.co.ID, "perenos-otpuska"); got.Version != 2 || got.Answer != "Заявление подаётся в боте за 14 дней." {
				t.Errorf("stored article = %+v after refused updates", got)
			}

			creates, updates := f.audits(kb.AuditCreate), f.audits(kb.AuditUpdate)
			if len(creates) != 2 || len(updates) != 1 {
				t.Fatalf("audit: %d creates, %d updates; want 2 and 1", len(creates), len(updates))
			}
			u := updates[0]
			if u.Actor.Kind != staffbot.ActorAPIToken || u.ObjectType != kb.ObjectArticle || u.ObjectID != "perenos-otpuska" ||
				!strings.Contains(string(u.After), "14 дней") || !strings.Contains(string(u.Before), "за две недели") || strings.Contains(string(u.After), "title") {
				t.Errorf("update record = %+v before %s after %s", u, u.Before, u.After)
			}
		})

		t.Run("PublishHistoryRestoreDelete", func(t *testing.T) {
			t.Parallel()
			f := newKBFixture(t, open)
			hr, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleAdmin})
			f.send("POST", "/api/v1/kb/articles", hr, map[string]any{"slug": "dms", "title": "Полис ДМС", "answer": "Первый ответ"})
			path := "/api/v1/kb/articles/dms"
			f.send("PUT", path, hr, map[string]any{"version": 1, "title": "Полис ДМС", "answer": "Второй ответ"})

			status, body, _ := f.send("POST", path+"/publish", hr, map[string]any{"version": 1})
			if status != http.StatusConflict {
				t.Errorf("publish with a stale version = %d %s", status, body)
			}
			status, body, _ = f.send("POST", path+"/publish", hr, nil)
			if a := f.article(body); status != http.StatusOK || !a.Published || a.Version != 3 {
				t.Fatalf("publish = %d %s", status, body)
			}
			status, body, _ = f.send("GET", path+"/versions", hr, nil)
			var vs struct {
				Data []api.KBArticleVersion `json:"data"`
			}
			if err := json.Unmarshal([]byte(body), &vs); status != http.StatusOK || err != nil || len(vs.Data) != 3 ||
				vs.Data[0].Version != 3 || vs.Data[2].Article.Answer != "Первый ответ" || vs.Data[2].SavedBy == "" {
				t.Fatalf("versions = %d %s", status, body)
			}

			status, body, _ = f.send("POST", path+"/restore", hr, map[string]any{"version": 1, "current_version": 3})
			if a := f.article(body); status != http.StatusOK || a.Version != 4 || a.Answer != "Первый ответ" || !a.Published {
				t.Fatalf("restore = %d %s; want version 4 with the first answer, still published", status, body)
			}
			if status, _, _ := f.send("POST", path+"/restore", hr, map[string]any{"version": 9}); status != http.StatusNotFound {
				t.Errorf("restore of a missing version = %d, want 404", status)
			}
			if status, _, _ := f.send("POST", path+"/restore", hr, map[string]any{"version": 1, "current_version": 2}); status != http.StatusConflict {
				t.Errorf("restore from a stale version = %d, want 409", status)
			}
			status, body, _ = f.send("POST", path+"/unpublish", hr, map[string]any{"version": 4})
			if a := f.article(body); status != http.StatusOK || a.Published || a.Version != 5 {
				t.Fatalf("unpublish = %d %s", status, body)
			}

			if status, body, _ := f.send("DELETE", path, hr, nil); status != http.StatusBadRequest {
				t.Errorf("delete without a version = %d %s", status, body)
			}
			if status, _, _ := f.send("DELETE", path+"?version=4", hr, nil); status != http.StatusConflict {
				t.Errorf("delete of a stale version = %d, want 409", status)
			}
			if status, body, _ := f.send("DELETE", path+"?version=5", hr, nil); status != http.StatusNoContent {
				t.Fatalf("delete = %d %s", status, body)
			}
			if status, _, _ := f.send("GET", path, hr, nil); status != http.StatusNotFound {
				t.Errorf("deleted article = %d, want 404", status)
			}
			for action, want := range map[string]int{kb.AuditPublish: 1, kb.AuditUnpublish: 1, kb.AuditRestore: 1, kb.AuditDelete: 1} {
				if n := len(f.audits(action)); n != want {
					t.Errorf("%d %s records, want %d", n, action, want)
				}
			}
		})

		t.Run("ListFilters", func(t *testing.T) {
			t.Parallel()
			f := newKBFixture(t, open)
			hr, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHRManager})
			for _, a := range []map[string]any{
				{"slug": "vacation", "title": "Ежегодный отпуск", "questions": []string{"Сколько дней отпуска положено?"}, "answer": "28 дней",
					"category": "Отпуск", "tags": []string{"отпуск", "график"}, "published": true, "review_on": "2026-03-01"},
				{"slug": "sick", "title": "Больничный", "questions": []string{"Что делать, если заболел ребёнок"}, "answer": "ЭЛН",
					"category": "Больничный", "tags": []string{"больничный"}, "review_on": "2026-03-02"},
				{"slug": "salary", "title": "Зарплата", "answer": "10 и 25 числа", "category": "Деньги", "published": true, "review_on": "2026-04-01"},
			} {
				if status, body, _ := f.send("POST", "/api/v1/kb/articles", hr, a); status != http.StatusCreated {
					t.Fatalf("create %v = %d %s", a["slug"], status, body)
				}
			}
			slugs := func(query string) []string {
				t.Helper()
				status, body, _ := f.send("GET", "/api/v1/kb/articles"+query, hr, nil)
				var list struct {
					Data []api.KBArticle `json:"data"`
				}
				if err := json.Unmarshal([]byte(body), &list); status != http.StatusOK || err != nil {
					t.Fatalf("list %s = %d %s", query, status, body)
				}
				var out []string
				for _, a := range list.Data {
					out = append(out, a.Slug)
				}
				return out
			}
			for query, want := range map[string]string{
				"":                     "salary,sick,vacation",
				"?status=draft":        "sick",
				"?status=published":    "salary,vacation",
				"?category=отпуск":     "vacation",
				"?tag=График":          "vacation",
				"?review_due=true":     "sick,vacation",
				"?q=РЕБЕНОК":           "sick",
				"?q=отпуск+дней":       "vacation",
				"?q=зарплата&tag=нету": "",
			} {
				if got := strings.Join(slugs(query), ","); got != want {
					t.Errorf("list%s = %s, want %s", query, got, want)
				}
			}
			for _, bad := range []string{"?status=old", "?review_due=soon"} {
				if status, _, _ := f.send("GET", "/api/v1/kb/articles"+bad, hr, nil); status != http.StatusBadRequest {
					t.Errorf("list%s = %d, want 400", bad, status)
				}
			}
			_, body, _ := f.send("GET", "/api/v1/kb/articles/vacation", hr, nil)
			if a := f.article(body); !a.ReviewDue {
				t.Errorf("an article due yesterday is not marked: %s", body)
			}
		})

		t.Run("PermissionsAndIsolation", func(t *testing.T) {
			t.Parallel()
			f := newKBFixture(t, open)
			admin, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleAdmin})
			operator, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHROperator})
			analyst, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleAnalyst})
			f.send("POST", "/api/v1/kb/articles", admin, map[string]any{"slug": "own", "title": "Своя статья", "answer": "Ответ"})

			if status, _, _ := f.send("GET", "/api/v1/kb/articles", analyst, nil); status != http.StatusForbidden {
				t.Errorf("analyst lists articles = %d, want 403", status)
			}
			if status, _, _ := f.send("GET", "/api/v1/kb/articles/own", operator, nil); status != http.StatusOK {
				t.Errorf("operator reads an article = %d, want 200", status)
			}
			if status, _, _ := f.send("POST", "/api/v1/kb/articles", operator, map[string]any{"title": "T", "answer": "A"}); status != http.StatusForbidden {
				t.Errorf("operator writes an article = %d, want 403", status)
			}
			if status, _, _ := f.send("POST", "/api/v1/kb/articles/own/publish", operator, nil); status != http.StatusForbidden {
				t.Errorf("operator publishes = %d, want 403", status)
			}

			// Company "other" has an article "vacation"; for acme it does
			// not exist, whatever the call.
			for _, c := range []struct {
				method, path string
				body         any
			}{
				{"GET", "/api/v1/kb/articles/vacation", nil},
				{"PUT", "/api/v1/kb/articles/vacation", map[string]any{"version": 1, "title": "Взлом", "answer": "Взлом"}},
				{"DELETE", "/api/v1/kb/articles/vacation?version=1", nil},
				{"POST", "/api/v1/kb/articles/vacation/publish", nil},
				{"POST", "/api/v1/kb/articles/vacation/restore", map[string]any{"version": 1}},
				{"GET", "/api/v1/kb/articles/vacation/versions", nil},
			} {
				status, body, _ := f.send(c.method, c.path, admin, c.body)
				if status != http.StatusNotFound || strings.Contains(body, "Чужая") || strings.Contains(body, "Чужой") {
					t.Errorf("%s %s for another company's article = %d %s, want 404 and nothing of it", c.method, c.path, status, body)
				}
			}
			if _, body, _ := f.send("GET", "/api/v1/kb/articles?q=чужой", admin, nil); strings.Contains(body, "Чужая") {
				t.Error("the list shows another company's article")
			}
			got, err := f.st.FindKBArticle(t.Context(), f.other.ID, "vacation")
			if err != nil || got.Version != 1 || got.Title != "Чужая тайная статья" || got.Published {
				t.Errorf("the other company's article = %+v, %v; want it untouched", got, err)
			}
		})

		t.Run("Gaps", func(t *testing.T) {
			t.Parallel()
			f := newKBFixture(t, open)
			hr, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHRManager})
			emp := f.mustEmployee(f.co, "0001", nil)
			stranger := f.mustEmployee(f.other, "0001", nil)
			parking := mustGap(t, f.st, f.co.ID, emp.ID, store.GapUnanswered, "Где парковка для сотрудников?", []string{"парковк", "сотрудник"}, 3)
			mustGap(t, f.st, f.co.ID, emp.ID, store.GapUnanswered, "Как получить пропуск", []string{"пропуск", "получ"}, 1)
			foreign := mustGap(t, f.st, f.other.ID, stranger.ID, store.GapUnanswered, "Чужой вопрос о премии", []string{"прем"}, 5)

			status, body, _ := f.send("GET", "/api/v1/kb/gaps", hr, nil)
			var list struct {
				Data []api.KBGap `json:"data"`
			}
			if err := json.Unmarshal([]byte(body), &list); status != http.StatusOK || err != nil || len(list.Data) != 2 {
				t.Fatalf("gaps = %d %s", status, body)
			}
			if g := list.Data[0]; g.ID != parking || g.Count != 3 || g.Sample != "Где парковка для сотрудников?" || g.Kind != "unanswered" {
				t.Errorf("top gap = %+v", g)
			}
			if strings.Contains(body, "Чужой") {
				t.Error("the gaps show another company's question")
			}
			if _, body, _ := f.send("GET", "/api/v1/kb/gaps?kind=disliked", hr, nil); !strings.Contains(body, `"data":[]`) {
				t.Errorf("disliked gaps = %s, want none", body)
			}
			if n := len(f.audits(kb.AuditGapsRead)); n != 2 {
				t.Errorf("%d gap reads recorded, want 2", n)
			}

			// An article written for the gap takes it off the list.
			status, body, _ = f.send("POST", "/api/v1/kb/articles", hr, map[string]any{"title": "Парковка", "answer": "Во дворе, по пропуску.",
				"questions": []string{"Где парковка для сотрудников?"}, "gap_id": parking, "published": true})
			if status != http.StatusCreated {
				t.Fatalf("article for the gap = %d %s", status, body)
			}
			_, body, _ = f.send("GET", "/api/v1/kb/gaps", hr, nil)
			json.Unmarshal([]byte(body), &list)
			if len(list.Data) != 1 || list.Data[0].Sample != "Как получить пропуск" {
				t.Errorf("after the article, gaps = %s", body)
			}
			if g, err := f.st.FindFAQGap(t.Context(), f.co.ID, parking); err != nil || g.ResolvedSlug != "parkovka" || g.ResolvedAt == nil {
				t.Errorf("the answered gap = %+v, %v", g, err)
			}

			id := strconv.FormatInt(list.Data[0].ID, 10)
			if status, _, _ := f.send("POST", "/api/v1/kb/gaps/"+id+"/dismiss", hr, nil); status != http.StatusNoContent {
				t.Errorf("dismiss = %d", status)
			}
			if status, _, _ := f.send("POST", "/api/v1/kb/gaps/"+id+"/dismiss", hr, nil); status != http.StatusNoContent {
				t.Errorf("dismissing twice = %d, want 204", status)
			}
			if n := len(f.audits(kb.AuditGapDismiss)); n != 1 {
				t.Errorf("%d dismissals recorded, want 1", n)
			}
			if status, _, _ := f.send("POST", "/api/v1/kb/gaps/"+strconv.FormatInt(foreign, 10)+"/dismiss", hr, nil); status != http.StatusNotFound {
				t.Errorf("dismissing another company's gap = %d, want 404", status)
			}
			if g, _ := f.st.FindFAQGap(t.Context(), f.other.ID, foreign); g == nil || g.ResolvedAt != nil {
				t.Errorf("another company's gap was closed: %+v", g)
			}
		})
	})
}

// mustGap records n questions of an employee as one gap and returns its id.
// sendRaw sends body as it is, with the Content-Type given (none when
// empty), and reads the answer as KBInvalid when it is one.
func (f *kbFixture) sendRaw(method, path, token, contentType string, body io.Reader) (int, api.KBInvalid, string) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var inv api.KBInvalid
	json.Unmarshal(b, &inv)
	return resp.StatusCode, inv, string(b)
}

func TestAPI_KBBody(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		f := newKBFixture(t, open)
		hr, _ := f.mustToken(f.co, auth.NewToken{Role: auth.RoleHRManager})
		const create = "/api/v1/kb/articles"

		// A body far over the limit is 413, not a malformed body.
		huge := `{"title":"T","answer":"` + strings.Repeat("а", 5<<20/2) + `"}`
		if status, _, body := f.sendRaw("POST", create, hr, "application/json", strings.NewReader(huge)); status != http.StatusRequestEntityTooLarge ||
			!strings.Contains(body, `"too_large"`) {
			t.Errorf("5 MB body = %d %.200s", status, body)
		}

		// Unknown fields and wrong types name the field.
		for _, c := range []struct{ body, field, code string }{
			{`{"title":"T","answer":"A","colour":"red"}`, "colour", "unknown"},
			{`{"title":"T","answer":"A","questions":"one"}`, "questions", "type"},
			{`{"title":7,"answer":"A"}`, "title", "type"},
			{`{"title":"T","answer":"A","owner_id":"12"}`, "owner_id", "type"},
		} {
			status, inv, body := f.sendRaw("POST", create, hr, "application/json", strings.NewReader(c.body))
			if status != http.StatusBadRequest || inv.Error.Code != "invalid" || len(inv.Error.Fields) != 1 ||
				inv.Error.Fields[0].Field != c.field || inv.Error.Fields[0].Code != c.code || !strings.Contains(inv.Error.Message, c.field) {
				t.Errorf("%s = %d %s, want 400 naming %s (%s)", c.body, status, body, c.field, c.code)
			}
		}

		// Anything after the object is refused, white space aside.
		for _, bad := range []string{`{"title":"T","answer":"A"}{"x":1}`, `{"title":"T","answer":"A"} 1`, `{"title":"T","answer":"A"}]`, `{"title":"T","answer":"A"`} {
			if status, inv, body := f.sendRaw("POST", create, hr, "application/json", strings.NewReader(bad)); status != http.StatusBadRequest ||
				inv.Error.Code != "invalid" || inv.Error.Fields == nil {
				t.Errorf("%s = %d %s, want 400", bad, status, body)
			}
		}
		if f.revision() != 0 {
			t.Fatal("a refused body stored an article")
		}

		// A body of another type is 415; the charset parameter is fine.
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/jsonx"} {
			if status, _, body := f.sendRaw("POST", create, hr, ct, strings.NewReader(`{"title":"T","answer":"A"}`)); status != http.StatusUnsupportedMediaType ||
				!strings.Contains(body, "unsupported_media_type") {
				t.Errorf("Content-Type %q = %d %s, want 415", ct, status, body)
			}
		}
		status, _, body := f.sendRaw("POST", create, hr, "application/json; charset=utf-8", strings.NewReader("{\"title\":\"Отпуск\",\"answer\":\"A\"}\n\n"))
		if status != http.StatusCreated {
			t.Fatalf("good body = %d %s", status, body)
		}
		// Publishing needs no body, so no Content-Type either.
		if status, _, body := f.sendRaw("POST", create+"/otpusk/publish", hr, "", nil); status != http.StatusOK {
			t.Errorf("publish without a body = %d %s", status, body)
		}
		if status, _, body := f.sendRaw("POST", create+"/otpusk/unpublish", hr, "text/plain", strings.NewReader(`{"version":2}`)); status != http.StatusUnsupportedMediaType {
			t.Errorf("unpublish with a text/plain body = %d %s", status, body)
		}
		// A required body that is missing is a 400.
		if status, inv, body := f.sendRaw("POST", create+"/otpusk/restore", hr, "", nil); status != http.StatusBadRequest || inv.Error.Code != "invalid" {
			t.Errorf("restore without a body = %d %s", status, body)
		}
	})
}

func mustGap(t *testing.T, st *store.Store, co staffbot.CompanyID, emp staffbot.EmployeeID, kind, text string, terms []string, n int) int64 {
	t.Helper()
	var id int64
	for i := range n {
		err := st.InTx(t.Context(), func(tx *store.Tx) error {
			q := &store.FAQQuestion{CompanyID: co, EmployeeID: emp, Text: text, Terms: terms, Band: "none",
				Outcome: store.FAQUnknown, CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
			if err := tx.CreateFAQQuestion(t.Context(), q); err != nil {
				return err
			}
			var err error
			id, err = tx.RecordFAQGap(t.Context(), q, kind, q.CreatedAt)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return id
}
