package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func mustCategory(t *testing.T, s *store.Store, companyID staffbot.CompanyID, slug string) *store.TicketCategory {
	t.Helper()
	c := &store.TicketCategory{CompanyID: companyID, Slug: slug, NameRU: "Категория " + slug, AssignMode: store.AssignManual,
		FirstResponse: "4h", Resolution: "3d"}
	err := s.InTx(t.Context(), func(tx *store.Tx) error {
		if _, err := tx.CreateTicketCategory(t.Context(), c); err != nil {
			return err
		}
		cats, err := tx.FindTicketCategoriesTx(t.Context(), companyID)
		for _, x := range cats {
			if x.Slug == slug {
				c = x
			}
		}
		return err
	})
	if err != nil || c.ID == 0 {
		t.Fatalf("create category %s: %v", slug, err)
	}
	return c
}

func mustTicket(t *testing.T, s *store.Store, e *staffbot.Employee, cat *store.TicketCategory, text string) *store.Ticket {
	t.Helper()
	tk := &store.Ticket{CompanyID: e.CompanyID, EmployeeID: e.ID, CategoryID: cat.ID, Subject: text, Status: store.TicketNew, CreatedAt: t0}
	err := s.InTx(t.Context(), func(tx *store.Tx) error {
		if err := tx.CreateTicket(t.Context(), tk); err != nil {
			return err
		}
		_, err := tx.AppendTicketMessage(t.Context(), &store.TicketMessage{CompanyID: e.CompanyID, TicketID: tk.ID,
			Kind: store.MessageEmployee, AuthorKind: "employee", Body: text, CreatedAt: t0})
		return err
	})
	if err != nil {
		t.Fatalf("create ticket: %v", err)
	}
	return tk
}

// TestTicket_ConcurrentMessages writes to one ticket from many goroutines
// at once, through two stores on the same database (two server processes,
// as far as the database can tell). Every message must land exactly once,
// with seqs 1…n without gaps, and each writer's messages in the order it
// wrote them.
func TestTicket_ConcurrentMessages(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			dsn := op.DSN(t)
			procs := []*store.Store{storetest.MustOpen(t, dsn), storetest.MustOpen(t, dsn)}
			s := procs[0]
			co := mustCreateCompany(t, s, "acme")
			e := mustCreateEmployee(t, s, co.ID, "0001")
			tk := mustTicket(t, s, e, mustCategory(t, s, co.ID, "hr"), "Вопрос")

			const writers, each = 8, 15
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				wg.Go(func() {
					st := procs[w%len(procs)]
					for i := range each {
						err := st.InTx(t.Context(), func(tx *store.Tx) error {
							if _, err := tx.LockTicket(t.Context(), co.ID, tk.ID); err != nil {
								return err
							}
							_, err := tx.AppendTicketMessage(t.Context(), &store.TicketMessage{CompanyID: co.ID, TicketID: tk.ID,
								Kind: store.MessageReply, AuthorKind: "user", AuthorID: fmt.Sprint(w),
								Body: fmt.Sprintf("%d/%d", w, i), CreatedAt: t0})
							return err
						})
						if err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("append: %v", err)
			}

			msgs, err := s.FindTicketMessages(t.Context(), co.ID, tk.ID, 0, true)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(msgs), writers*each+1; got != want {
				t.Fatalf("messages = %d, want %d", got, want)
			}
			seen := map[string]bool{}
			next := make([]int, writers)
			for i, m := range msgs {
				if m.Seq != int64(i+1) {
					t.Fatalf("message %d has seq %d: seqs must run 1…n", i, m.Seq)
				}
				if i == 0 {
					continue
				}
				if seen[m.Body] {
					t.Errorf("message %q stored twice", m.Body)
				}
				seen[m.Body] = true
				var w, n int
				fmt.Sscanf(m.Body, "%d/%d", &w, &n)
				if n != next[w] {
					t.Errorf("writer %d: message %d came where %d was due", w, n, next[w])
				}
				next[w] = n + 1
			}
			got, err := s.FindTicket(t.Context(), co.ID, tk.ID)
			if err != nil || got.LastSeq != int64(writers*each+1) {
				t.Errorf("last seq = %v, %v; want %d", got, err, writers*each+1)
			}
		})
	}
}

// TestTicket_NumbersPerCompany opens tickets in two companies at once:
// each company's numbers run 1…n.
func TestTicket_NumbersPerCompany(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		s := open(t)
		var emps []*staffbot.Employee
		var cats []*store.TicketCategory
		for _, slug := range []string{"alpha", "beta"} {
			co := mustCreateCompany(t, s, slug)
			emps = append(emps, mustCreateEmployee(t, s, co.ID, "0001"))
			cats = append(cats, mustCategory(t, s, co.ID, "hr"))
		}
		const n = 10
		var wg sync.WaitGroup
		for i := range 2 * n {
			wg.Go(func() { mustTicket(t, s, emps[i%2], cats[i%2], fmt.Sprint("вопрос ", i)) })
		}
		wg.Wait()
		for i, e := range emps {
			list, err := s.FindTickets(t.Context(), e.CompanyID, store.TicketFilter{})
			if err != nil {
				t.Fatal(err)
			}
			nums := map[int64]bool{}
			for _, tk := range list {
				nums[tk.Number] = true
			}
			for k := int64(1); k <= n; k++ {
				if !nums[k] {
					t.Errorf("company %d has no ticket №%d (numbers %v)", i, k, nums)
				}
			}
			if len(list) != n {
				t.Errorf("company %d has %d tickets, want %d", i, len(list), n)
			}
		}
	})
}

func TestTicket_IdempotentMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		s := open(t)
		co := mustCreateCompany(t, s, "acme")
		tk := mustTicket(t, s, mustCreateEmployee(t, s, co.ID, "0001"), mustCategory(t, s, co.ID, "hr"), "Вопрос")
		var dups []bool
		for range 2 {
			m := &store.TicketMessage{CompanyID: co.ID, TicketID: tk.ID, Kind: store.MessageReply, AuthorKind: "user",
				Body: "Ответ", IdemKey: "k-1", CreatedAt: t0}
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				dup, err := tx.AppendTicketMessage(t.Context(), m)
				dups = append(dups, dup)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if m.Seq != 2 {
				t.Errorf("seq = %d, want 2 both times", m.Seq)
			}
		}
		if dups[0] || !dups[1] {
			t.Errorf("dup = %v, want [false true]", dups)
		}
		msgs, _ := s.FindTicketMessages(t.Context(), co.ID, tk.ID, 0, true)
		if len(msgs) != 2 {
			t.Errorf("messages = %d, want 2", len(msgs))
		}
	})
}

// TestTicket_Isolation: another company's ticket, and one outside a
// reader's scope, look missing; texts are sealed at rest.
func TestTicket_Isolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		s := open(t)
		acme := mustCreateCompany(t, s, "acme")
		other := mustCreateCompany(t, s, "other")
		sales := mustStaff(t, s, acme.ID, "0001", "Продажи", "Москва", nil)
		mustStaff(t, s, acme.ID, "0002", "ИТ", "Москва", nil)
		tk := mustTicket(t, s, sales, mustCategory(t, s, acme.ID, "hr"), "Секретный вопрос о зарплате")

		if _, err := s.FindTicket(t.Context(), other.ID, tk.ID); !errors.Is(err, staffbot.ErrNotFound) {
			t.Errorf("other company's FindTicket err = %v, want ErrNotFound", err)
		}
		if _, err := s.FindTicketInScope(t.Context(), acme.ID, store.EmployeeScope{Departments: []string{"ИТ"}}, tk.ID); !errors.Is(err, staffbot.ErrNotFound) {
			t.Errorf("out of scope err = %v, want ErrNotFound", err)
		}
		got, err := s.FindTicketInScope(t.Context(), acme.ID, store.EmployeeScope{Departments: []string{"Продажи"}}, tk.ID)
		if err != nil || got.Subject != "Секретный вопрос о зарплате" {
			t.Errorf("in scope = %+v, %v", got, err)
		}
		if list, _ := s.FindTickets(t.Context(), other.ID, store.TicketFilter{}); len(list) != 0 {
			t.Errorf("other company lists %d tickets", len(list))
		}

		var subject, body string
		if err := s.DB().QueryRow("SELECT subject_sealed FROM tickets").Scan(&subject); err != nil {
			t.Fatal(err)
		}
		if err := s.DB().QueryRow("SELECT body_sealed FROM ticket_messages").Scan(&body); err != nil {
			t.Fatal(err)
		}
		for _, raw := range []string{subject, body} {
			if strings.Contains(raw, "Секретный") || raw == "" {
				t.Errorf("stored text %q is not sealed", raw)
			}
		}
	})
}

func TestTicket_FindDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		s := open(t)
		co := mustCreateCompany(t, s, "acme")
		e := mustCreateEmployee(t, s, co.ID, "0001")
		cat := mustCategory(t, s, co.ID, "hr")
		due := t0.Add(time.Hour)
		late := mustTicket(t, s, e, cat, "Первый")
		resolved := mustTicket(t, s, e, cat, "Второй")
		err := s.InTx(t.Context(), func(tx *store.Tx) error {
			tk, err := tx.LockTicket(t.Context(), co.ID, late.ID)
			if err != nil {
				return err
			}
			tk.FirstResponseDueAt = &due
			if err := tx.UpdateTicket(t.Context(), tk); err != nil {
				return err
			}
			tk, err = tx.LockTicket(t.Context(), co.ID, resolved.ID)
			if err != nil {
				return err
			}
			tk.Status, tk.ResolvedAt = store.TicketResolved, &t0
			return tx.UpdateTicket(t.Context(), tk)
		})
		if err != nil {
			t.Fatal(err)
		}

		breached, closing, err := s.FindTicketsDue(t.Context(), t0.Add(30*time.Minute), 10)
		if err != nil || len(breached) != 0 || len(closing) != 0 {
			t.Errorf("before due: %v %v %v", breached, closing, err)
		}
		breached, closing, err = s.FindTicketsDue(t.Context(), t0.Add(8*24*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(breached) != 1 || breached[0].ID != late.ID {
			t.Errorf("breached = %v, want ticket %d", breached, late.ID)
		}
		if len(closing) != 1 || closing[0].ID != resolved.ID {
			t.Errorf("closing after 8 days = %v, want ticket %d (7 days by default)", closing, resolved.ID)
		}
	})
}
