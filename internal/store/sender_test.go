package store_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// senderSetup is a company with one registered employee in Telegram, and
// a second company whose employee has the same Telegram id.
func senderSetup(t *testing.T, s *store.Store) (*staffbot.Company, *staffbot.Employee, *staffbot.ChannelAccount, *staffbot.Company, *staffbot.Employee) {
	t.Helper()
	co := mustDashCompany(t, s, "acme")
	emp := mustDashEmployee(t, s, co, "1", "Иванова Анна Сергеевна", "ИТ", "Москва", day("2026-02-01"))
	acct := mustJoin(t, s, co, emp, staffbot.ChannelTelegram, "5001", dashT0)
	other := mustDashCompany(t, s, "other")
	stranger := mustDashEmployee(t, s, other, "1", "Петров Пётр", "Склад", "Казань", day("2026-02-01"))
	mustJoin(t, s, other, stranger, staffbot.ChannelTelegram, "5001", dashT0)
	return co, emp, acct, other, stranger
}

func TestFindSender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("AccountAndEmployeeOfTheCompany", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, emp, _, other, stranger := senderSetup(t, s)
			ctx := t.Context()
			wantAcct, err := s.FindAccount(ctx, co.ID, staffbot.ChannelTelegram, "5001")
			if err != nil {
				t.Fatal(err)
			}
			wantEmp, err := s.FindEmployeeByID(ctx, co.ID, emp.ID)
			if err != nil {
				t.Fatal(err)
			}
			err = s.InTx(ctx, func(tx *store.Tx) error {
				for _, typed := range []bool{false, true} {
					acct, e, err := tx.FindSender(ctx, co.ID, staffbot.ChannelTelegram, "5001", typed)
					if err != nil {
						return err
					}
					if !reflect.DeepEqual(acct, wantAcct) || !reflect.DeepEqual(e, wantEmp) {
						t.Errorf("FindSender(typed %v) = %+v, %+v; want %+v, %+v", typed, acct, e, wantAcct, wantEmp)
					}
				}
				// The same Telegram user in another company is that
				// company's employee, and a stranger to this one.
				_, e, err := tx.FindSender(ctx, other.ID, staffbot.ChannelTelegram, "5001", true)
				if err != nil || e.ID != stranger.ID {
					t.Errorf("FindSender in the other company = %v, %v; want employee %d", e, err, stranger.ID)
				}
				if _, _, err := tx.FindSender(ctx, co.ID, staffbot.ChannelTelegram, "5002", true); !errors.Is(err, staffbot.ErrNotFound) {
					t.Errorf("FindSender of an unknown user = %v, want ErrNotFound", err)
				}
				if _, _, err := tx.FindSender(ctx, co.ID, staffbot.ChannelWebchat, "5001", false); !errors.Is(err, staffbot.ErrNotFound) {
					t.Errorf("FindSender in another channel = %v, want ErrNotFound", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})

		t.Run("WhatIsUnderWayIsFoundAndFollowsWrites", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, emp, acct, other, stranger := senderSetup(t, s)
			ctx := t.Context()
			mustKBArticle(t, s, co.ID, "leave", true)
			rev := mustRevision(t, s, co.ID)
			// The other company's employee has all of it under way, which
			// must not show in this company.
			cat := mustCategory(t, s, other.ID, "pay")
			mustTicket(t, s, stranger, cat, "Где расчётный листок?")
			mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: other.ID, EmployeeID: stranger.ID,
				Status: store.ServiceRequestDraft})

			err := s.InTx(ctx, func(tx *store.Tx) error {
				if _, _, err := tx.FindSender(ctx, co.ID, staffbot.ChannelTelegram, acct.ExternalID, true); err != nil {
					return err
				}
				if got, err := tx.KBRevision(ctx, co.ID); err != nil || got != rev {
					t.Errorf("KBRevision = %d, %v; want %d", got, err, rev)
				}
				if d, err := tx.FindTicketDraft(ctx, co.ID, emp.ID); !errors.Is(err, staffbot.ErrNotFound) {
					t.Errorf("FindTicketDraft = %+v, %v; want ErrNotFound", d, err)
				}
				if runs, err := tx.LockAskingRuns(ctx, co.ID, emp.ID); err != nil || len(runs) != 0 {
					t.Errorf("LockAskingRuns = %d runs, %v; want none", len(runs), err)
				}
				if tk, err := tx.FindLatestTicketOfEmployee(ctx, co.ID, emp.ID, store.TicketNew, store.TicketOpen,
					store.TicketWaiting); !errors.Is(err, staffbot.ErrNotFound) {
					t.Errorf("FindLatestTicketOfEmployee = %+v, %v; want ErrNotFound", tk, err)
				}
				if r, err := tx.FindDraftServiceRequest(ctx, co.ID, emp.ID); !errors.Is(err, staffbot.ErrNotFound) {
					t.Errorf("FindDraftServiceRequest = %+v, %v; want ErrNotFound", r, err)
				}

				// What the transaction writes itself is found afterwards.
				d := &store.TicketDraft{CompanyID: co.ID, EmployeeID: emp.ID, State: store.DraftCompose,
					Text: "Нужна справка", UpdatedAt: dashT0}
				if err := tx.SaveTicketDraft(ctx, d); err != nil {
					return err
				}
				if got, err := tx.FindTicketDraft(ctx, co.ID, emp.ID); err != nil || got.Text != d.Text {
					t.Errorf("FindTicketDraft after saving one = %+v, %v; want the draft", got, err)
				}
				run := &store.Run{CompanyID: co.ID, EmployeeID: emp.ID, Scenario: "onboarding", Version: 1, Step: "a",
					State: store.RunAsking, StartedAt: dashT0, UpdatedAt: dashT0}
				if _, err := tx.CreateRun(ctx, run); err != nil {
					return err
				}
				if runs, err := tx.LockAskingRuns(ctx, co.ID, emp.ID); err != nil || len(runs) != 1 {
					t.Errorf("LockAskingRuns after asking = %d runs, %v; want one", len(runs), err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}

			// Whatever is under way before the lookup is found after it.
			catHere := mustCategory(t, s, co.ID, "pay")
			tk := mustTicket(t, s, emp, catHere, "Где расчётный листок?")
			req := mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: co.ID, EmployeeID: emp.ID,
				Status: store.ServiceRequestDraft})
			err = s.InTx(ctx, func(tx *store.Tx) error {
				if _, _, err := tx.FindSender(ctx, co.ID, staffbot.ChannelTelegram, acct.ExternalID, true); err != nil {
					return err
				}
				if d, err := tx.FindTicketDraft(ctx, co.ID, emp.ID); err != nil || d.State != store.DraftCompose {
					t.Errorf("FindTicketDraft = %+v, %v; want the draft", d, err)
				}
				if runs, err := tx.LockAskingRuns(ctx, co.ID, emp.ID); err != nil || len(runs) != 1 {
					t.Errorf("LockAskingRuns = %d runs, %v; want one", len(runs), err)
				}
				if got, err := tx.FindLatestTicketOfEmployee(ctx, co.ID, emp.ID, store.TicketNew); err != nil || got.ID != tk.ID {
					t.Errorf("FindLatestTicketOfEmployee = %+v, %v; want ticket %d", got, err, tk.ID)
				}
				if got, err := tx.FindDraftServiceRequest(ctx, co.ID, emp.ID); err != nil || got.ID != req.ID {
					t.Errorf("FindDraftServiceRequest = %+v, %v; want request %d", got, err, req.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})

		t.Run("LookupStandsUntilTheTransactionWrites", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			if s.Dialect() != store.Postgres {
				t.Skip("SQLite runs one writing transaction at a time")
			}
			co, emp, acct, _, _ := senderSetup(t, s)
			ctx := t.Context()
			draftOutside := func() {
				t.Helper()
				err := s.InTx(ctx, func(tx *store.Tx) error {
					return tx.SaveTicketDraft(ctx, &store.TicketDraft{CompanyID: co.ID, EmployeeID: emp.ID,
						State: store.DraftCompose, Text: "Нужна справка", UpdatedAt: dashT0})
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			err := s.InTx(ctx, func(tx *store.Tx) error {
				if _, _, err := tx.FindSender(ctx, co.ID, staffbot.ChannelTelegram, acct.ExternalID, true); err != nil {
					return err
				}
				// A draft another transaction commits meanwhile is not
				// seen: the handlers see the employee as of the lookup,
				// however many of them ask. Queuing a reply changes
				// nothing of it.
				draftOutside()
				if _, err := tx.Enqueue(ctx, co.ID, &acct.ID, acct.Kind, acct.ChatID, channel.Outgoing{Text: "Привет"}, dashT0); err != nil {
					return err
				}
				if _, err := tx.FindTicketDraft(ctx, co.ID, emp.ID); !errors.Is(err, staffbot.ErrNotFound) {
					t.Errorf("FindTicketDraft = %v; want ErrNotFound as of the lookup", err)
				}
				// Any other write, and the lookups ask the database again.
				if err := tx.SetAccountBlocked(ctx, co.ID, acct.Kind, acct.ExternalID, false); err != nil {
					return err
				}
				if d, err := tx.FindTicketDraft(ctx, co.ID, emp.ID); err != nil || d.Text != "Нужна справка" {
					t.Errorf("FindTicketDraft after a write = %+v, %v; want the draft", d, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})

		t.Run("ActivityAndRepliesCounted", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, emp, acct, _, _ := senderSetup(t, s)
			ctx := t.Context()
			for i := range 3 {
				err := s.InTx(ctx, func(tx *store.Tx) error {
					_, e, err := tx.FindSender(ctx, co.ID, staffbot.ChannelTelegram, acct.ExternalID, i%2 == 0)
					if err != nil {
						return err
					}
					if err := tx.RecordActivity(ctx, co.ID, e, acct.Kind, day("2026-03-02")); err != nil {
						return err
					}
					_, err = tx.Enqueue(ctx, co.ID, &acct.ID, acct.Kind, acct.ChatID, channel.Outgoing{Text: "Ответ"}, dashT0)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := s.FlushCounts(ctx); err != nil {
				t.Fatal(err)
			}
			f := store.DashFilter{From: day("2026-02-23"), To: day("2026-03-08"), Departments: []string{emp.Department}}
			for _, c := range []struct {
				metric string
				want   int64
			}{{store.MetricMessagesIn, 3}, {store.MetricMessagesOut, 3}, {store.MetricActiveDay, 1}, {store.MetricActiveWeek, 1}} {
				if got := mustSum(t, s, co, c.metric, f, false)["2026-03-02"]; got != c.want {
					t.Errorf("%s in %s on 2 March = %d, want %d", c.metric, emp.Department, got, c.want)
				}
			}
		})
	})
}

func TestClaimQueued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("HeadsOfTheirChatsOnly", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			ctx := t.Context()
			var queued []store.Queued
			s.OnQueued = func(q []store.Queued) { queued = append(queued, q...) }
			enqueue := func(chat, text string, at time.Time) int64 {
				t.Helper()
				var id int64
				err := s.InTx(ctx, func(tx *store.Tx) error {
					var err error
					id, err = tx.Enqueue(ctx, co.ID, nil, staffbot.ChannelTelegram, chat, channel.Outgoing{Text: text}, at)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			one, two, other := enqueue("7", "one", t0), enqueue("7", "two", t0), enqueue("8", "other chat", t0)
			later := enqueue("9", "later", t0.Add(time.Hour))
			want := []store.Queued{
				{ID: one, CompanyID: co.ID, Channel: staffbot.ChannelTelegram, ChatID: "7"},
				{ID: two, CompanyID: co.ID, Channel: staffbot.ChannelTelegram, ChatID: "7"},
				{ID: other, CompanyID: co.ID, Channel: staffbot.ChannelTelegram, ChatID: "8"},
				{ID: later, CompanyID: co.ID, Channel: staffbot.ChannelTelegram, ChatID: "9"},
			}
			if !reflect.DeepEqual(queued, want) {
				t.Errorf("OnQueued heard %+v, want %+v", queued, want)
			}
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Enqueue(ctx, co.ID, nil, staffbot.ChannelTelegram, "7", channel.Outgoing{Text: "undone"}, t0); err != nil {
					return err
				}
				return errors.New("changed my mind")
			}); err == nil {
				t.Fatal("InTx = nil, want the error")
			}
			if len(queued) != len(want) {
				t.Errorf("OnQueued heard of a message that was rolled back: %+v", queued[len(want):])
			}

			claim := func(at time.Time, cands ...store.QueuedClaim) []string {
				t.Helper()
				items, err := s.ClaimQueued(ctx, at, time.Minute, cands)
				if err != nil {
					t.Fatal(err)
				}
				return texts(items)
			}
			// "two" waits for "one"; "later" is not due; three candidates
			// are padded to four, and none comes back twice.
			got := claim(t0, store.QueuedClaim{ID: one}, store.QueuedClaim{ID: two}, store.QueuedClaim{ID: other},
				store.QueuedClaim{ID: later})
			if !reflect.DeepEqual(got, []string{"one", "other chat"}) {
				t.Fatalf("first claim = %v, want [one other chat]", got)
			}
			if got := claim(t0, store.QueuedClaim{ID: one}, store.QueuedClaim{ID: two}); len(got) != 0 {
				t.Fatalf("claim while one is being sent = %v, want none", got)
			}
			if err := s.MarkOutboxSentAll(ctx, []int64{one}, t0); err != nil {
				t.Fatal(err)
			}
			if got := claim(t0, store.QueuedClaim{ID: two, After: one}); !reflect.DeepEqual(got, []string{"two"}) {
				t.Fatalf("claim after one was sent = %v, want [two]", got)
			}
			if got := claim(t0.Add(2*time.Hour), store.QueuedClaim{ID: later}); !reflect.DeepEqual(got, []string{"later"}) {
				t.Fatalf("claim when due = %v, want [later]", got)
			}

			// A message held back for a retry holds back its chat.
			held := enqueue("8", "held", t0)
			if err := s.MarkOutboxSentAll(ctx, []int64{other}, t0); err != nil {
				t.Fatal(err)
			}
			if got := claim(t0, store.QueuedClaim{ID: held, After: other}); len(got) != 1 {
				t.Fatalf("claim of held = %v, want it", got)
			}
			if err := s.RetryOutbox(ctx, held, t0.Add(time.Minute), "timeout"); err != nil {
				t.Fatal(err)
			}
			next := enqueue("8", "next", t0)
			if got := claim(t0, store.QueuedClaim{ID: next, After: other}); len(got) != 0 {
				t.Fatalf("claim behind a retry = %v, want none", got)
			}
		})
	})
}

func TestSeeUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("RedeliveryCommitsNothing", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, _, acct, _, _ := senderSetup(t, s)
			ctx := t.Context()
			// handle answers an update and blocks the account, as a
			// handler would; with swallow it ignores the error of queuing.
			handle := func(key string, swallow bool) error {
				return s.InTx(ctx, func(tx *store.Tx) error {
					if err := tx.SeeUpdate(ctx, co.ID, staffbot.ChannelTelegram, key, dashT0); err != nil {
						return err
					}
					_, err := tx.Enqueue(ctx, co.ID, &acct.ID, acct.Kind, acct.ChatID, channel.Outgoing{Text: "Ответ на " + key}, dashT0)
					if err != nil && !swallow {
						return err
					}
					return tx.SetAccountBlocked(ctx, co.ID, acct.Kind, acct.ExternalID, true)
				})
			}
			if err := handle("100", false); err != nil {
				t.Fatalf("first delivery: %v", err)
			}
			if err := s.SetAccountBlocked(ctx, co.ID, acct.Kind, acct.ExternalID, false); err != nil {
				t.Fatal(err)
			}
			for _, swallow := range []bool{false, true} {
				if err := handle("100", swallow); !errors.Is(err, store.ErrDuplicate) {
					t.Errorf("redelivery (error ignored: %v) = %v, want ErrDuplicate", swallow, err)
				}
			}
			// Without a message, the record is written before commit.
			noReply := func() error {
				return s.InTx(ctx, func(tx *store.Tx) error {
					if err := tx.SeeUpdate(ctx, co.ID, staffbot.ChannelTelegram, "101", dashT0); err != nil {
						return err
					}
					return tx.SetAccountBlocked(ctx, co.ID, acct.Kind, acct.ExternalID, true)
				})
			}
			if err := noReply(); err != nil {
				t.Fatalf("first delivery without a reply: %v", err)
			}
			if err := s.SetAccountBlocked(ctx, co.ID, acct.Kind, acct.ExternalID, false); err != nil {
				t.Fatal(err)
			}
			if err := noReply(); !errors.Is(err, store.ErrDuplicate) {
				t.Errorf("redelivery without a reply = %v, want ErrDuplicate", err)
			}

			msgs, err := s.FindChatMessages(ctx, co.ID, acct.Kind, acct.ChatID, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 1 || msgs[0].Message.Text != "Ответ на 100" {
				t.Errorf("queued %d messages, want the one answer to update 100", len(msgs))
			}
			got, err := s.FindAccount(ctx, co.ID, acct.Kind, acct.ExternalID)
			if err != nil || got.Blocked {
				t.Errorf("account = %+v, %v; want not blocked by a redelivery", got, err)
			}
		})

		t.Run("ConcurrentDeliveriesHandledOnce", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co, _, acct, _, _ := senderSetup(t, s)
			ctx := t.Context()
			const n = 8
			errs := make(chan error, n)
			for range n {
				go func() {
					errs <- s.InTx(ctx, func(tx *store.Tx) error {
						if err := tx.SeeUpdate(ctx, co.ID, staffbot.ChannelTelegram, "200", dashT0); err != nil {
							return err
						}
						_, err := tx.Enqueue(ctx, co.ID, &acct.ID, acct.Kind, acct.ChatID, channel.Outgoing{Text: "Ответ"}, dashT0)
						return err
					})
				}()
			}
			handled := 0
			for range n {
				switch err := <-errs; {
				case err == nil:
					handled++
				case !errors.Is(err, store.ErrDuplicate):
					t.Errorf("delivery: %v", err)
				}
			}
			msgs, err := s.FindChatMessages(ctx, co.ID, acct.Kind, acct.ChatID, 0, 10)
			if handled != 1 || err != nil || len(msgs) != 1 {
				t.Errorf("%d deliveries handled, %d messages queued (%v); want one of each", handled, len(msgs), err)
			}
		})
	})
}
