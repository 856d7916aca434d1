package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func mustCreateCompany(t *testing.T, s *store.Store, slug string) *staffbot.Company {
	t.Helper()
	co := &staffbot.Company{Slug: slug, Name: slug, TelegramToken: "123:secret-token-" + slug}
	if err := s.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany(%s): %v", slug, err)
	}
	return co
}

func mustCreateEmployee(t *testing.T, s *store.Store, companyID staffbot.CompanyID, number string) *staffbot.Employee {
	t.Helper()
	e := &staffbot.Employee{
		CompanyID:       companyID,
		PersonnelNumber: number,
		FullName:        "Петров Пётр Петрович",
		Phone:           "+79123456789",
		Email:           "p@example.com",
		HiredOn:         staffbot.Date{Year: 2026, Month: 3, Day: 2},
	}
	if err := s.CreateEmployee(t.Context(), e, t0); err != nil {
		t.Fatalf("CreateEmployee(%s): %v", number, err)
	}
	return e
}

func telegramAccount(id string) *staffbot.ChannelAccount {
	return &staffbot.ChannelAccount{Kind: staffbot.ChannelTelegram, ExternalID: id, ChatID: id}
}

func mustInvite(t *testing.T, s *store.Store, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID) string {
	t.Helper()
	code := staffbot.NewInviteCode()
	if _, err := s.CreateInvite(t.Context(), companyID, employeeID, staffbot.HashInviteCode(code), t0, staffbot.DefaultInviteTTL); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	return code
}

func redeem(t *testing.T, s *store.Store, companyID staffbot.CompanyID, code string, acct *staffbot.ChannelAccount, now time.Time) (*staffbot.Employee, error) {
	t.Helper()
	var emp *staffbot.Employee
	err := s.InTx(t.Context(), func(tx *store.Tx) error {
		var err error
		emp, err = tx.RedeemInvite(t.Context(), companyID, staffbot.HashInviteCode(code), acct, now, staffbot.DateOf(now))
		return err
	})
	return emp, err
}

func TestStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("CompanySecretsRoundTrip", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")

			got, err := s.FindCompanyBySlug(t.Context(), "acme")
			if err != nil {
				t.Fatal(err)
			}
			if got.TelegramToken != co.TelegramToken || got.TimeZone != staffbot.DefaultTimeZone {
				t.Errorf("got token %q zone %q, want %q %q", got.TelegramToken, got.TimeZone, co.TelegramToken, staffbot.DefaultTimeZone)
			}

			var raw string
			if err := s.DB().QueryRow("SELECT telegram_token_sealed FROM companies").Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if raw == co.TelegramToken || raw == "" {
				t.Errorf("token stored in the clear: %q", raw)
			}
		})

		t.Run("DuplicateSlugConflicts", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			mustCreateCompany(t, s, "acme")
			err := s.CreateCompany(t.Context(), &staffbot.Company{Slug: "acme"})
			if !errors.Is(err, staffbot.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
		})

		t.Run("RedeemBindsAccount", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			emp := mustCreateEmployee(t, s, co.ID, "0001")
			code := mustInvite(t, s, co.ID, emp.ID)

			got, err := redeem(t, s, co.ID, code, telegramAccount("42"), t0.Add(time.Hour))
			if err != nil {
				t.Fatalf("RedeemInvite: %v", err)
			}
			if got.ID != emp.ID {
				t.Errorf("employee = %d, want %d", got.ID, emp.ID)
			}

			_, err = redeem(t, s, co.ID, code, telegramAccount("43"), t0.Add(2*time.Hour))
			if !errors.Is(err, staffbot.ErrExpired) {
				t.Errorf("second use: err = %v, want ErrExpired", err)
			}
		})

		t.Run("CodeOfAnotherCompanyIsNotFound", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			emp := mustCreateEmployee(t, s, acme.ID, "0001")
			code := mustInvite(t, s, acme.ID, emp.ID)

			_, err := redeem(t, s, other.ID, code, telegramAccount("42"), t0)
			if !errors.Is(err, staffbot.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})

		t.Run("ExpiredCodeRefused", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			emp := mustCreateEmployee(t, s, co.ID, "0001")
			code := mustInvite(t, s, co.ID, emp.ID)

			_, err := redeem(t, s, co.ID, code, telegramAccount("42"), t0.Add(staffbot.DefaultInviteTTL+time.Second))
			if !errors.Is(err, staffbot.ErrExpired) {
				t.Fatalf("err = %v, want ErrExpired", err)
			}
		})

		t.Run("ReinviteRetiresOldCode", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			emp := mustCreateEmployee(t, s, co.ID, "0001")
			old := mustInvite(t, s, co.ID, emp.ID)
			fresh := mustInvite(t, s, co.ID, emp.ID)

			if _, err := redeem(t, s, co.ID, old, telegramAccount("42"), t0.Add(time.Minute)); !errors.Is(err, staffbot.ErrExpired) {
				t.Errorf("old code: err = %v, want ErrExpired", err)
			}
			if _, err := redeem(t, s, co.ID, fresh, telegramAccount("42"), t0.Add(time.Minute)); err != nil {
				t.Errorf("fresh code: %v", err)
			}
		})

		t.Run("DismissedEmployeeCannotRegister", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			e := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: "0009", FullName: "Ушедший Иван",
				HiredOn: staffbot.Date{Year: 2020, Month: 1, Day: 1}, DismissedOn: &staffbot.Date{Year: 2026, Month: 3, Day: 1}}
			if err := s.CreateEmployee(t.Context(), e, t0); err != nil {
				t.Fatal(err)
			}
			code := mustInvite(t, s, co.ID, e.ID)
			_, err := redeem(t, s, co.ID, code, telegramAccount("42"), t0)
			if !errors.Is(err, staffbot.ErrExpired) {
				t.Fatalf("err = %v, want ErrExpired", err)
			}
		})

		t.Run("UpdateSeenOnce", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			var first, second bool
			s.InTx(t.Context(), func(tx *store.Tx) error {
				first, _ = tx.MarkUpdateSeen(t.Context(), co.ID, staffbot.ChannelTelegram, "1001", t0)
				second, _ = tx.MarkUpdateSeen(t.Context(), co.ID, staffbot.ChannelTelegram, "1001", t0)
				return nil
			})
			if !first || second {
				t.Errorf("first = %v, second = %v; want true, false", first, second)
			}
		})

		t.Run("OutboxKeepsChatOrder", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				for _, text := range []string{"one", "two"} {
					if _, err := tx.Enqueue(t.Context(), co.ID, nil, staffbot.ChannelTelegram, "7", channel.Outgoing{Text: text}, t0); err != nil {
						return err
					}
				}
				_, err := tx.Enqueue(t.Context(), co.ID, nil, staffbot.ChannelTelegram, "8", channel.Outgoing{Text: "other chat"}, t0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}

			items, err := s.ClaimOutbox(t.Context(), t0, time.Minute, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 2 || items[0].Message.Text != "one" || items[1].Message.Text != "other chat" {
				t.Fatalf("first claim = %v, want heads of both chats", texts(items))
			}
			if err := s.MarkOutboxSent(t.Context(), items[0].ID, t0); err != nil {
				t.Fatal(err)
			}
			items, err = s.ClaimOutbox(t.Context(), t0, time.Minute, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].Message.Text != "two" {
				t.Fatalf("second claim = %v, want [two]", texts(items))
			}

			// A lease that runs out makes the message due again.
			items, err = s.ClaimOutbox(t.Context(), t0.Add(2*time.Minute), time.Minute, 10)
			if err != nil {
				t.Fatal(err)
			}
			if got := texts(items); len(got) != 2 {
				t.Fatalf("after lease expiry = %v, want two messages", got)
			}
		})
	})
}

func texts(items []*store.OutboxItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Message.Text)
	}
	return out
}
