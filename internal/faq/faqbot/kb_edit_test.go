package faqbot_test

import (
	"strings"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/kb"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestResponder_FollowsKBEdits edits the knowledge base the way the
// cabinet and the API do, between questions to one responder: a draft is
// not answered, the published article is from the next question on, and
// its edit replaces the answer, because each change moves the revision
// the responder's cached index is checked against.
func TestResponder_FollowsKBEdits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		e := newEnv(t, open)
		svc := &kb.Service{Store: e.s, Clock: staffbot.NewManualClock(t0)}
		hr := &auth.Principal{CompanyID: e.co.ID, Role: auth.RoleHRManager, UserID: 1}
		const question = "Где можно оставить велосипед у офиса?"

		ask := func() string {
			t.Helper()
			_, msgs := e.send(text(question))
			return one(t, msgs).Text
		}
		if got := ask(); strings.Contains(got, "велопарковк") {
			t.Fatalf("answered before any article: %q", got)
		}

		a, err := svc.Create(t.Context(), hr, kb.Input{Title: "Велопарковка у офиса",
			Questions: []string{"Где оставить велосипед?", "Есть ли велопарковка у офиса?"},
			Answer:    "Велопарковка во дворе, у входа Б."})
		if err != nil {
			t.Fatal(err)
		}
		if got := ask(); strings.Contains(got, "у входа Б") {
			t.Errorf("a draft was answered: %q", got)
		}

		if a, err = svc.SetPublished(t.Context(), hr, a.Slug, true, a.Version); err != nil {
			t.Fatal(err)
		}
		if got := ask(); !strings.Contains(got, "Велопарковка во дворе, у входа Б.") {
			t.Errorf("after publishing, the answer is %q", got)
		}

		in := kb.Input{Title: a.Title, Questions: a.Questions, Answer: "Велопарковка переехала к входу В.", Published: true}
		if _, err := svc.Update(t.Context(), hr, a.Slug, a.Version, in); err != nil {
			t.Fatal(err)
		}
		if got := ask(); !strings.Contains(got, "к входу В") || strings.Contains(got, "у входа Б") {
			t.Errorf("after the edit, the answer is %q", got)
		}
	})
}
