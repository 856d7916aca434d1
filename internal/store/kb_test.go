package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

var kbT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func mustKBArticle(t *testing.T, s *store.Store, co staffbot.CompanyID, slug string, published bool) *store.KBArticle {
	t.Helper()
	a := &store.KBArticle{CompanyID: co, Slug: slug, Title: "Статья " + slug, Questions: []string{"Как " + slug + "?"},
		Answer: "Ответ про " + slug, Tags: []string{"тег"}, Published: published}
	if _, err := s.SaveKBArticle(t.Context(), a, "hr@acme", kbT0); err != nil {
		t.Fatalf("SaveKBArticle %s: %v", slug, err)
	}
	return a
}

func mustRevision(t *testing.T, s *store.Store, co staffbot.CompanyID) int64 {
	t.Helper()
	rev, err := s.KBRevision(t.Context(), co)
	if err != nil {
		t.Fatalf("KBRevision: %v", err)
	}
	return rev
}

func TestKB(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("SaveKeepsVersions", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, emp, _ := mustRunSetup(t, s, "acme")
			a := mustKBArticle(t, s, co.ID, "vacation", false)
			rev1 := mustRevision(t, s, co.ID)

			a.Answer = "Новый ответ"
			a.Published = true
			a.OwnerID = &emp.ID
			a.ReviewOn = &staffbot.Date{Year: 2026, Month: 9, Day: 1}
			a.Departments = []string{"ИТ-отдел"}
			changed, err := s.SaveKBArticle(t.Context(), a, "hr@acme", kbT0.Add(time.Hour))
			if err != nil || !changed {
				t.Fatalf("SaveKBArticle = %v, %v; want changed", changed, err)
			}
			if a.Version != 2 {
				t.Errorf("version = %d, want 2", a.Version)
			}
			if rev2 := mustRevision(t, s, co.ID); rev2 <= rev1 {
				t.Errorf("revision %d after a change, was %d", rev2, rev1)
			}

			// Saving the same text again is not a new version.
			same := *a
			changed, err = s.SaveKBArticle(t.Context(), &same, "hr@acme", kbT0.Add(2*time.Hour))
			if err != nil || changed {
				t.Fatalf("unchanged save = %v, %v; want no change", changed, err)
			}

			got, err := s.FindKBArticle(t.Context(), co.ID, "vacation")
			if err != nil {
				t.Fatal(err)
			}
			if got.Answer != "Новый ответ" || !got.Published || got.OwnerID == nil || *got.OwnerID != emp.ID ||
				got.ReviewOn == nil || got.ReviewOn.String() != "2026-09-01" || len(got.Departments) != 1 {
				t.Errorf("FindKBArticle = %+v", got)
			}

			vs, err := s.KBArticleVersions(t.Context(), co.ID, "vacation")
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != 2 || vs[0].Version != 2 || vs[1].Article.Answer != "Ответ про vacation" || vs[1].Article.Published {
				t.Fatalf("versions = %+v", vs)
			}

			// Restoring the first version makes a third.
			if err := s.RestoreKBArticle(t.Context(), co.ID, "vacation", 1, "hr@acme", kbT0.Add(3*time.Hour)); err != nil {
				t.Fatal(err)
			}
			got, _ = s.FindKBArticle(t.Context(), co.ID, "vacation")
			if got.Version != 3 || got.Answer != "Ответ про vacation" || got.Published {
				t.Errorf("after restore = v%d %q published=%v", got.Version, got.Answer, got.Published)
			}
		})

		t.Run("ImportIsAllOrNothing", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, _, _ := mustRunSetup(t, s, "acme")
			mustKBArticle(t, s, co.ID, "kept", true)

			bad := []*store.KBArticle{
				{Slug: "one", Title: "Один", Answer: "Ответ", Published: true},
				{Slug: "two", Title: "", Answer: "Ответ"},
			}
			if _, err := s.ImportKB(t.Context(), co.ID, bad, "cli", kbT0); !errors.Is(err, staffbot.ErrInvalid) {
				t.Fatalf("import with an empty title: err = %v, want ErrInvalid", err)
			}
			if _, err := s.FindKBArticle(t.Context(), co.ID, "one"); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("a failed import left article one: %v", err)
			}

			good := []*store.KBArticle{
				{Slug: "one", Title: "Один", Answer: "Ответ", Published: true},
				{Slug: "kept", Title: "Статья kept", Questions: []string{"Как kept?"}, Answer: "Ответ про kept",
					Tags: []string{"тег"}, Published: true},
			}
			sum, err := s.ImportKB(t.Context(), co.ID, good, "cli", kbT0)
			if err != nil {
				t.Fatal(err)
			}
			if sum != (store.KBImportSummary{Created: 1, Unchanged: 1}) {
				t.Errorf("summary = %+v, want 1 created, 1 unchanged", sum)
			}
		})

		t.Run("PublishedOnlyAndCompanyIsolation", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme, _, _ := mustRunSetup(t, s, "acme")
			other, _, _ := mustRunSetup(t, s, "other")
			mustKBArticle(t, s, acme.ID, "public", true)
			mustKBArticle(t, s, acme.ID, "draft", false)
			mustKBArticle(t, s, other.ID, "theirs", true)

			pub, err := s.FindKBArticles(t.Context(), acme.ID, store.KBFilter{PublishedOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(pub) != 1 || pub[0].Slug != "public" {
				t.Errorf("published articles = %v, want only public", slugs(pub))
			}
			all, _ := s.FindKBArticles(t.Context(), acme.ID, store.KBFilter{})
			if len(all) != 2 {
				t.Errorf("all articles = %v, want public and draft", slugs(all))
			}
			if _, err := s.FindKBArticle(t.Context(), acme.ID, "theirs"); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("another company's article: err = %v, want ErrNotFound", err)
			}
			if err := s.SetKBArticlePublished(t.Context(), acme.ID, "draft", true, "hr", kbT0); err != nil {
				t.Fatal(err)
			}
			pub, _ = s.FindKBArticles(t.Context(), acme.ID, store.KBFilter{PublishedOnly: true})
			if len(pub) != 2 {
				t.Errorf("after publishing: %v", slugs(pub))
			}
			if err := s.DeleteKBArticle(t.Context(), acme.ID, "draft"); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteKBArticle(t.Context(), acme.ID, "theirs"); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("deleting another company's article: err = %v, want ErrNotFound", err)
			}
		})

		t.Run("GapsGroupSimilarQuestions", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, emp, _ := mustRunSetup(t, s, "acme")
			ask := func(text, terms string) {
				t.Helper()
				err := s.InTx(t.Context(), func(tx *store.Tx) error {
					q := &store.FAQQuestion{CompanyID: co.ID, EmployeeID: emp.ID, Text: text, Terms: strings.Fields(terms),
						Band: "low", Outcome: store.FAQUnknown, CreatedAt: kbT0}
					if err := tx.CreateFAQQuestion(t.Context(), q); err != nil {
						return err
					}
					_, err := tx.RecordFAQGap(t.Context(), q, store.GapUnanswered, kbT0)
					return err
				})
				if err != nil {
					t.Fatalf("ask %q: %v", text, err)
				}
			}
			ask("Как получить материнский капитал?", "материнск капита получ")
			ask("материнский капитал где оформить", "материнск капита оформ")
			ask("Где курилка?", "курилк")

			gaps, err := s.TopFAQGaps(t.Context(), co.ID, store.GapUnanswered, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(gaps) != 2 || gaps[0].Count != 2 || gaps[1].Count != 1 {
				t.Fatalf("gaps = %+v, want a group of two and one of one", gaps)
			}
			if gaps[0].Sample != "материнский капитал где оформить" {
				t.Errorf("sample = %q, want the latest question", gaps[0].Sample)
			}

			// The employee's words are sealed in the database.
			var raw string
			if err := s.DB().QueryRow("SELECT text_sealed FROM faq_questions ORDER BY id LIMIT 1").Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(raw, "капитал") {
				t.Errorf("question stored in the clear: %q", raw)
			}

			other, _, _ := mustRunSetup(t, s, "other")
			if g, _ := s.TopFAQGaps(t.Context(), other.ID, "", 10); len(g) != 0 {
				t.Errorf("another company sees gaps %+v", g)
			}
		})

		t.Run("HRRequestsAreSealedAndOncePerQuestion", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, emp, _ := mustRunSetup(t, s, "acme")
			qid := int64(0)
			for range 2 {
				err := s.InTx(t.Context(), func(tx *store.Tx) error {
					if qid == 0 {
						q := &store.FAQQuestion{CompanyID: co.ID, EmployeeID: emp.ID, Text: "Где взять ключ от шкафчика?",
							Band: "low", Outcome: store.FAQUnknown, CreatedAt: kbT0}
						if err := tx.CreateFAQQuestion(t.Context(), q); err != nil {
							return err
						}
						qid = q.ID
					}
					return tx.CreateHRRequest(t.Context(), &store.HRRequest{CompanyID: co.ID, EmployeeID: emp.ID,
						QuestionID: &qid, Text: "Где взять ключ от шкафчика?", CreatedAt: kbT0})
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			reqs, err := s.FindHRRequests(t.Context(), co.ID, store.HRRequestOpen)
			if err != nil {
				t.Fatal(err)
			}
			if len(reqs) != 1 || reqs[0].Text != "Где взять ключ от шкафчика?" || reqs[0].EmployeeID != emp.ID {
				t.Fatalf("requests = %+v, want one with the question", reqs)
			}
			var raw string
			if err := s.DB().QueryRow("SELECT text_sealed FROM hr_requests").Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(raw, "шкафчик") {
				t.Errorf("request stored in the clear: %q", raw)
			}
			if err := s.SetHRRequestStatus(t.Context(), co.ID, reqs[0].ID, store.HRRequestClosed); err != nil {
				t.Fatal(err)
			}
			if open, _ := s.FindHRRequests(t.Context(), co.ID, store.HRRequestOpen); len(open) != 0 {
				t.Errorf("closed request still open: %+v", open)
			}
		})

		t.Run("SettingsSealTheKey", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, _, _ := mustRunSetup(t, s, "acme")
			if f, err := s.FAQSettings(t.Context(), co.ID); err != nil || f.LLMEnabled {
				t.Fatalf("default settings = %+v, %v; want the generative layer off", f, err)
			}
			want := store.FAQSettings{LLMEnabled: true, LLMURL: "http://127.0.0.1:9/v1/chat/completions",
				LLMModel: "local", LLMKey: "sk-secret", LLMTimeout: 3 * time.Second}
			if err := s.SaveFAQSettings(t.Context(), co.ID, want); err != nil {
				t.Fatal(err)
			}
			got, err := s.FAQSettings(t.Context(), co.ID)
			if err != nil || got != want {
				t.Fatalf("FAQSettings = %+v, %v; want %+v", got, err, want)
			}
			var raw string
			if err := s.DB().QueryRow("SELECT llm_key_sealed FROM faq_settings").Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(raw, "sk-secret") {
				t.Errorf("key stored in the clear")
			}
		})
	})
}

func slugs(as []*store.KBArticle) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Slug)
	}
	return out
}

// TestKB_CreateRace: two transactions creating the same new article at
// once. PostgreSQL lets both look before either inserts; the second must
// get ErrConflict, not a raw constraint error. SQLite runs one after the
// other, and the second simply saves over the first.
func TestKB_CreateRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		s := open(t)
		co, _, _ := mustRunSetup(t, s, "acme")
		article := func() *store.KBArticle {
			return &store.KBArticle{CompanyID: co.ID, Slug: "parking", Title: "Парковка", Answer: "Есть."}
		}
		inserted := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			<-inserted
			done <- s.InTx(t.Context(), func(tx *store.Tx) error {
				_, err := tx.SaveKBArticle(t.Context(), article(), "hr@b", kbT0)
				return err
			})
		}()
		err := s.InTx(t.Context(), func(tx *store.Tx) error {
			if _, err := tx.SaveKBArticle(t.Context(), article(), "hr@a", kbT0); err != nil {
				return err
			}
			close(inserted)
			time.Sleep(200 * time.Millisecond) // the other one looks and inserts meanwhile
			return nil
		})
		if err != nil {
			t.Fatalf("first save: %v", err)
		}
		if err := <-done; err != nil && !errors.Is(err, staffbot.ErrConflict) {
			t.Errorf("second save of the same new article: %v, want success or ErrConflict", err)
		}
		if a, err := s.FindKBArticle(t.Context(), co.ID, "parking"); err != nil || a.Title != "Парковка" {
			t.Errorf("article after the race: %+v, %v", a, err)
		}
	})
}

// TestKB_DeleteKeepsDislikedQuestions: questions whose answer from an
// article was disliked stay in front of HR when the article is deleted,
// now as unanswered ones.
func TestKB_DeleteKeepsDislikedQuestions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		s := open(t)
		co, emp, _ := mustRunSetup(t, s, "acme")
		mustKBArticle(t, s, co.ID, "parking", true)
		err := s.InTx(t.Context(), func(tx *store.Tx) error {
			q := &store.FAQQuestion{CompanyID: co.ID, EmployeeID: emp.ID, Text: "где оставить машину",
				Terms: []string{"машин", "оставл"}, Band: "high", ArticleSlug: "parking", Outcome: store.FAQAnswered,
				CreatedAt: kbT0}
			if err := tx.CreateFAQQuestion(t.Context(), q); err != nil {
				return err
			}
			_, err := tx.RecordFAQGap(t.Context(), q, store.GapDisliked, kbT0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteKBArticle(t.Context(), co.ID, "parking"); err != nil {
			t.Fatal(err)
		}
		if g, err := s.TopFAQGaps(t.Context(), co.ID, store.GapDisliked, 10); err != nil || len(g) != 0 {
			t.Errorf("disliked gaps after the delete = %+v, %v; want none", g, err)
		}
		g, err := s.TopFAQGaps(t.Context(), co.ID, store.GapUnanswered, 10)
		if err != nil || len(g) != 1 || g[0].ArticleSlug != "" || g[0].Count != 1 || g[0].Sample != "где оставить машину" {
			t.Errorf("unanswered gaps after the delete = %+v, %v; want the disliked question", g, err)
		}
	})
}
