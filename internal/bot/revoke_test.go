package bot_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// Registration and consent are written to the audit log as the employee's
// own actions; /revoke_consent, once confirmed, withdraws the consent and
// anonymises the employee at once, and the bot then treats them as a
// stranger.
func TestBot_RevokeConsent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		f := newFixture(t, open(t))
		e := f.mustEmployee("00030", "Кузнецова Дарья Андреевна", *date(2026, 3, 5), nil)
		const chat = 777
		n := f.mustRegister(chat, e)

		for _, action := range []string{"employee.register", "consent.give"} {
			recs, err := f.st.FindAudit(t.Context(), f.co.ID, store.AuditFilter{Action: action})
			if err != nil || len(recs) != 1 {
				t.Fatalf("%s records = %v, %v; want one", action, recs, err)
			}
			if recs[0].Actor.Kind != staffbot.ActorEmployee || recs[0].SubjectID == nil || *recs[0].SubjectID != e.ID {
				t.Errorf("%s by %+v about %v, want the employee about themselves", action, recs[0].Actor, recs[0].SubjectID)
			}
		}

		// Asked, and declined: nothing changes.
		f.push(f.tg.TextUpdate(chat, "/revoke_consent"))
		ask := f.sent(chat, n)
		if len(ask) != 1 || !strings.Contains(ask[0].Text, "отозвать согласие") {
			t.Fatalf("/revoke_consent got %q, want the question", texts(ask))
		}
		f.push(f.tg.CallbackUpdate(chat, buttonData(t, ask[0], "Нет")))
		if got := f.sent(chat, n+1); len(got) != 1 || !strings.Contains(got[0].Text, "остаётся") {
			t.Errorf("after No got %q", texts(got))
		}
		if _, err := f.account(chat); err != nil {
			t.Fatalf("account gone after No: %v", err)
		}

		// Asked again, and confirmed.
		n = len(f.tg.SentTo(chat))
		f.push(f.tg.TextUpdate(chat, "/revoke_consent"))
		ask = f.sent(chat, n)
		f.push(f.tg.CallbackUpdate(chat, buttonData(t, ask[0], "Да")))
		if got := f.sent(chat, n+1); len(got) != 1 || !strings.Contains(got[0].Text, "Согласие отозвано") {
			t.Fatalf("after Yes got %q, want the confirmation", texts(got))
		}
		if _, err := f.account(chat); !errors.Is(err, staffbot.ErrNotFound) {
			t.Errorf("account after withdrawal: err = %v, want ErrNotFound", err)
		}
		got, err := f.st.FindEmployeeByID(t.Context(), f.co.ID, e.ID)
		if err != nil || strings.Contains(got.FullName, "Кузнецова") {
			t.Errorf("employee after withdrawal = %+v, %v; want anonymised", got, err)
		}
		consents, err := f.st.FindConsents(t.Context(), f.co.ID, e.ID)
		if err != nil || len(consents) != 1 {
			t.Errorf("consent records = %v, %v; want the one kept", consents, err)
		}
		if rep, err := f.st.VerifyAudit(t.Context(), f.co.ID); err != nil || !rep.OK() {
			t.Errorf("audit chain: %v, %v", rep, err)
		}
		recs, _ := f.st.FindAudit(t.Context(), f.co.ID, store.AuditFilter{Action: "employee.anonymize"})
		if len(recs) != 1 || recs[0].Actor.Kind != staffbot.ActorEmployee {
			t.Errorf("anonymisation records = %+v, want one by the employee", recs)
		}

		// From now on the bot does not know them.
		n = len(f.tg.SentTo(chat))
		f.push(f.tg.TextUpdate(chat, "/help"))
		if got := f.sent(chat, n); len(got) != 1 || !strings.Contains(got[0].Text, "закрытый бот") {
			t.Errorf("after withdrawal /help got %q, want the stranger's refusal", texts(got))
		}
	})
}
