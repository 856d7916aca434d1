package app_test

import (
	"strconv"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/kb"
	"github.com/staffbot/staffbot/internal/store"
)

// isoKBObjects gives the tenant a knowledge-base article and a gap, each
// with a marker. The slugs differ between tenants, so that asking for the
// other company's slug cannot land on an article of one's own.
func isoKBObjects(t *testing.T, a *app.App, tn *isoTenant, emp *staffbot.Employee) {
	t.Helper()
	ctx := t.Context()
	art := &store.KBArticle{CompanyID: tn.co.ID, Slug: "secret-" + tn.co.Slug, Title: "Тайная статья " + tn.co.Slug,
		Questions: []string{"Тайный вопрос " + tn.co.Slug}, Answer: "Тайный ответ " + tn.co.Slug}
	if _, err := a.Store.SaveKBArticle(ctx, art, "test", a.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	var gap int64
	err := a.Store.InTx(ctx, func(tx *store.Tx) error {
		q := &store.FAQQuestion{CompanyID: tn.co.ID, EmployeeID: emp.ID, Text: "Незаданный вопрос " + tn.co.Slug,
			Terms: []string{"незадан"}, Band: "none", Outcome: store.FAQUnknown, CreatedAt: a.Clock.Now()}
		if err := tx.CreateFAQQuestion(ctx, q); err != nil {
			return err
		}
		var err error
		gap, err = tx.RecordFAQGap(ctx, q, store.GapUnanswered, q.CreatedAt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tn.objects[kb.ObjectArticle] = art.Slug
	tn.objects[kb.ObjectGap] = strconv.FormatInt(gap, 10)
	tn.markers = append(tn.markers, art.Title, art.Answer, "Незаданный вопрос "+tn.co.Slug)
}
