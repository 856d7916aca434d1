package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/report"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestDigest_ReviewDue counts the articles whose review date has come, in
// the company's time zone, and names them among what needs attention.
func TestDigest_ReviewDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		st := open(t)
		co := &staffbot.Company{Slug: "acme", Name: "ООО Акме", TimeZone: "Asia/Vladivostok"}
		if err := st.CreateCompany(t.Context(), co); err != nil {
			t.Fatal(err)
		}
		// 2026-03-02 16:00 UTC is already 3 March in Vladivostok.
		now := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)
		for slug, review := range map[string]string{"past": "2026-02-01", "today": "2026-03-03", "later": "2026-03-04", "none": ""} {
			a := &store.KBArticle{CompanyID: co.ID, Slug: slug, Title: "Статья " + slug, Answer: "Ответ", Published: slug != "past"}
			if review != "" {
				d := date(review)
				a.ReviewOn = &d
			}
			if _, err := st.SaveKBArticle(t.Context(), a, "test", now); err != nil {
				t.Fatal(err)
			}
		}
		b := &report.Builder{Store: st}
		d, err := b.Digest(t.Context(), co, "onboarding", report.LastWeek(date("2026-03-03")), now)
		if err != nil {
			t.Fatal(err)
		}
		if d.ReviewDue != 2 || !d.NeedsAttention() {
			t.Fatalf("ReviewDue = %d, attention %v; want 2 (past and today)", d.ReviewDue, d.NeedsAttention())
		}
		if text := d.Text(locale.RU, ""); !strings.Contains(text, "статей пора проверить: 2") {
			t.Errorf("digest text lacks the review line:\n%s", text)
		}
		if text := d.Text(locale.EN, ""); !strings.Contains(text, "articles due for review: 2") {
			t.Errorf("English digest lacks the review line:\n%s", text)
		}
	})
}
