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

func TestKB_Editing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("FilterByStatusCategoryTagReviewAndText", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, _, _ := mustRunSetup(t, s, "acme")
			other, _, _ := mustRunSetup(t, s, "other")
			due := staffbot.Date{Year: 2026, Month: 3, Day: 1}
			later := staffbot.Date{Year: 2026, Month: 4, Day: 1}
			for _, a := range []*store.KBArticle{
				{CompanyID: co.ID, Slug: "vacation", Title: "Ежегодный отпуск", Questions: []string{"Сколько дней ОТПУСКА положено?"},
					Answer: "28", Category: "Отпуск", Tags: []string{"Отпуск", "график"}, ReviewOn: &due, Published: true},
				{CompanyID: co.ID, Slug: "child", Title: "Больничный по уходу", Questions: []string{"Заболел ребёнок, что делать"},
					Answer: "ЭЛН", Category: "Больничный", ReviewOn: &later},
				{CompanyID: other.ID, Slug: "foreign", Title: "Отпуск в другой компании", Answer: "Чужой", Category: "Отпуск",
					ReviewOn: &due, Published: true},
			} {
				if _, err := s.SaveKBArticle(t.Context(), a, "test", kbT0); err != nil {
					t.Fatal(err)
				}
			}
			for name, tt := range map[string]struct {
				f    store.KBFilter
				want string
			}{
				"All":             {store.KBFilter{}, "child,vacation"},
				"Drafts":          {store.KBFilter{DraftsOnly: true}, "child"},
				"Published":       {store.KBFilter{PublishedOnly: true}, "vacation"},
				"CategoryAnyCase": {store.KBFilter{Category: " отпуск "}, "vacation"},
				"Tag":             {store.KBFilter{Tag: "ГРАФИК"}, "vacation"},
				"DueByToday":      {store.KBFilter{DueBy: &due}, "vacation"},
				"DueLater":        {store.KBFilter{DueBy: &later}, "child,vacation"},
				"TextYoAndCase":   {store.KBFilter{Query: "РЕБЕНОК делать"}, "child"},
				"TextInTitle":     {store.KBFilter{Query: "ежегодный"}, "vacation"},
				"TextAllWords":    {store.KBFilter{Query: "отпуск ребенок"}, ""},
			} {
				got, err := s.FindKBArticles(t.Context(), co.ID, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var slugs []string
				for _, a := range got {
					slugs = append(slugs, a.Slug)
				}
				if strings.Join(slugs, ",") != tt.want {
					t.Errorf("%s: %v, want %s", name, slugs, tt.want)
				}
			}
		})

		t.Run("TxEditsLockDeleteAndHistory", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, emp, _ := mustRunSetup(t, s, "acme")
			other, _, _ := mustRunSetup(t, s, "other")
			mustKBArticle(t, s, co.ID, "dms", false)
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				a, err := tx.LockKBArticle(t.Context(), co.ID, "dms")
				if err != nil {
					return err
				}
				a.Answer = "Новый ответ"
				if changed, err := tx.SaveKBArticle(t.Context(), a, "user:1", kbT0.Add(time.Hour)); err != nil || !changed {
					t.Errorf("SaveKBArticle in a transaction = %v, %v", changed, err)
				}
				vs, err := tx.KBArticleVersions(t.Context(), co.ID, "dms")
				if err != nil || len(vs) != 2 || vs[0].SavedBy != "user:1" {
					t.Errorf("versions in the transaction = %+v, %v", vs, err)
				}
				id, err := tx.KBOwnerByNumber(t.Context(), co.ID, "0001")
				if err != nil || id != emp.ID {
					t.Errorf("KBOwnerByNumber = %d, %v; want %d", id, err, emp.ID)
				}
				if _, err := tx.KBOwnerByNumber(t.Context(), other.ID, "0009"); !errors.Is(err, staffbot.ErrNotFound) {
					t.Errorf("a missing owner: %v", err)
				}
				if _, err := tx.LockKBArticle(t.Context(), other.ID, "dms"); !errors.Is(err, staffbot.ErrNotFound) {
					t.Errorf("another company's article: %v", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			rev := mustRevision(t, s, co.ID)
			if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.DeleteKBArticle(t.Context(), other.ID, "dms") }); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("deleting through another company = %v, want ErrNotFound", err)
			}
			if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.DeleteKBArticle(t.Context(), co.ID, "dms") }); err != nil {
				t.Fatal(err)
			}
			if mustRevision(t, s, co.ID) <= rev {
				t.Error("a deletion did not move the revision")
			}
			if _, err := s.KBArticleVersions(t.Context(), co.ID, "dms"); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("history of a deleted article: %v", err)
			}
		})

		t.Run("ResolvedGapsLeaveTheListAndStartAgain", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, emp, _ := mustRunSetup(t, s, "acme")
			other, _, _ := mustRunSetup(t, s, "other")
			ask := func(text string, at time.Time) int64 {
				t.Helper()
				var id int64
				err := s.InTx(t.Context(), func(tx *store.Tx) error {
					q := &store.FAQQuestion{CompanyID: co.ID, EmployeeID: emp.ID, Text: text, Terms: []string{"парковк", "офис"},
						Band: "none", Outcome: store.FAQUnknown, CreatedAt: at}
					if err := tx.CreateFAQQuestion(t.Context(), q); err != nil {
						return err
					}
					var err error
					id, err = tx.RecordFAQGap(t.Context(), q, store.GapUnanswered, at)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			first := ask("Где парковка у офиса?", kbT0)
			if again := ask("парковка офис где", kbT0.Add(time.Minute)); again != first {
				t.Fatalf("a similar question made gap %d, want %d", again, first)
			}
			g, err := s.FindFAQGap(t.Context(), co.ID, first)
			if err != nil || g.Count != 2 || g.Sample != "парковка офис где" || g.ResolvedAt != nil {
				t.Fatalf("FindFAQGap = %+v, %v", g, err)
			}
			if _, err := s.FindFAQGap(t.Context(), other.ID, first); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("another company finds the gap: %v", err)
			}

			resolve := func(companyID staffbot.CompanyID, slug string) (bool, error) {
				var closed bool
				err := s.InTx(t.Context(), func(tx *store.Tx) error {
					var err error
					closed, err = tx.ResolveFAQGap(t.Context(), companyID, first, slug, kbT0.Add(time.Hour))
					return err
				})
				return closed, err
			}
			if _, err := resolve(other.ID, ""); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("another company resolves the gap: %v", err)
			}
			if closed, err := resolve(co.ID, "parking"); err != nil || !closed {
				t.Fatalf("ResolveFAQGap = %v, %v", closed, err)
			}
			if closed, err := resolve(co.ID, "other"); err != nil || closed {
				t.Errorf("resolving twice = %v, %v; want nothing done", closed, err)
			}
			if g, _ := s.FindFAQGap(t.Context(), co.ID, first); g.ResolvedSlug != "parking" || g.ResolvedAt == nil || !g.ResolvedAt.Equal(kbT0.Add(time.Hour)) {
				t.Errorf("resolved gap = %+v", g)
			}
			if top, _ := s.TopFAQGaps(t.Context(), co.ID, "", 10); len(top) != 0 {
				t.Errorf("open gaps after resolving = %+v", top)
			}
			// The article did not help everyone: the same question again
			// opens a new group.
			if next := ask("Где парковка у офиса?", kbT0.Add(2*time.Hour)); next == first {
				t.Error("a question after the gap was resolved joined the closed group")
			}
			if top, _ := s.TopFAQGaps(t.Context(), co.ID, "", 10); len(top) != 1 || top[0].Count != 1 {
				t.Errorf("open gaps = %+v, want the new group of one", top)
			}
		})
	})
}
