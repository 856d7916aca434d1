package kb_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/kb"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newService(t *testing.T, open func(t *testing.T) *store.Store) (*kb.Service, *auth.Principal) {
	t.Helper()
	st := open(t)
	co := &staffbot.Company{Slug: "acme", Name: "Акме"}
	if err := st.CreateCompany(t.Context(), co); err != nil {
		t.Fatal(err)
	}
	clock := staffbot.NewManualClock(t0)
	svc := &kb.Service{Store: st, Clock: clock, Auditor: &audit.Recorder{Store: st, Clock: clock}}
	return svc, &auth.Principal{CompanyID: co.ID, Role: auth.RoleHRManager, UserID: 7}
}

func audits(t *testing.T, svc *kb.Service, p *auth.Principal, action string) int {
	t.Helper()
	recs, err := svc.Store.FindAudit(t.Context(), p.CompanyID, store.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

func TestService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("ConcurrentEditsOfOneVersion", func(t *testing.T) {
			t.Parallel()
			svc, p := newService(t, open)
			a, err := svc.Create(t.Context(), p, kb.Input{Title: "Полис ДМС", Answer: "Первый ответ"})
			if err != nil {
				t.Fatal(err)
			}
			// Eight editors opened version 1; exactly one save wins, the
			// others learn the article moved on.
			var (
				wg        sync.WaitGroup
				mu        sync.Mutex
				saved     int
				conflicts int
			)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := svc.Update(t.Context(), p, a.Slug, 1, kb.Input{Title: "Полис ДМС", Answer: "Правка " + string(rune('A'+i))})
					var cf *kb.ConflictError
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						saved++
					case errors.As(err, &cf) && cf.Current.Version == 2 && errors.Is(err, staffbot.ErrConflict):
						conflicts++
					default:
						t.Errorf("Update: %v", err)
					}
				}()
			}
			wg.Wait()
			if saved != 1 || conflicts != 7 {
				t.Errorf("%d saved, %d conflicts; want 1 and 7", saved, conflicts)
			}
			vs, err := svc.Versions(t.Context(), p, a.Slug)
			if err != nil || len(vs) != 2 {
				t.Errorf("versions = %d, %v; want 2", len(vs), err)
			}
			if n := audits(t, svc, p, kb.AuditUpdate); n != 1 {
				t.Errorf("%d update records, want 1", n)
			}
		})

		t.Run("NothingWrittenWithoutAChange", func(t *testing.T) {
			t.Parallel()
			svc, p := newService(t, open)
			in := kb.Input{Title: "Пропуск", Answer: "На ресепшене", Questions: []string{"Где взять пропуск?"}}
			if _, err := svc.Create(t.Context(), p, kb.Input{Title: " ", Answer: "x"}); !errors.Is(err, staffbot.ErrInvalid) {
				t.Fatalf("Create without a title = %v", err)
			}
			a, err := svc.Create(t.Context(), p, in)
			if err != nil {
				t.Fatal(err)
			}
			rev, _ := svc.Store.KBRevision(t.Context(), p.CompanyID)
			same, err := svc.Update(t.Context(), p, a.Slug, 1, in)
			if err != nil || same.Version != 1 {
				t.Fatalf("unchanged update = %+v, %v", same, err)
			}
			if again, _ := svc.Store.KBRevision(t.Context(), p.CompanyID); again != rev {
				t.Error("an update that changed nothing moved the revision")
			}
			if n := audits(t, svc, p, kb.AuditCreate) + audits(t, svc, p, kb.AuditUpdate); n != 1 {
				t.Errorf("%d records, want the one create", n)
			}
		})

		t.Run("RoleIsChecked", func(t *testing.T) {
			t.Parallel()
			svc, p := newService(t, open)
			analyst := &auth.Principal{CompanyID: p.CompanyID, Role: auth.RoleAnalyst, UserID: 8}
			operator := &auth.Principal{CompanyID: p.CompanyID, Role: auth.RoleHROperator, UserID: 9}
			if _, err := svc.List(t.Context(), analyst, store.KBFilter{}); !errors.Is(err, staffbot.ErrForbidden) {
				t.Errorf("analyst lists: %v", err)
			}
			if _, err := svc.Gaps(t.Context(), analyst, "", 10); !errors.Is(err, staffbot.ErrForbidden) {
				t.Errorf("analyst reads gaps: %v", err)
			}
			if _, err := svc.Create(t.Context(), operator, kb.Input{Title: "T", Answer: "A"}); !errors.Is(err, staffbot.ErrForbidden) {
				t.Errorf("operator creates: %v", err)
			}
			if _, err := svc.List(t.Context(), operator, store.KBFilter{}); err != nil {
				t.Errorf("operator lists: %v", err)
			}
		})
	})
}
