package app_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"mime"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// fakeSMTP is a mail server on loopback that accepts every message and
// keeps it: enough of RFC 5321 for net/smtp.
type fakeSMTP struct {
	ln   net.Listener
	mu   sync.Mutex
	mail []fakeMail
}

type fakeMail struct {
	From, To string
	Data     string
}

func newFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 fake ESMTP")
	var m fakeMail
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		cmd := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			tp.PrintfLine("250-fake\r\n250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			m = fakeMail{From: strings.Trim(line[10:], "<> ")}
			tp.PrintfLine("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			m.To = strings.Trim(line[8:], "<> ")
			tp.PrintfLine("250 ok")
		case cmd == "DATA":
			tp.PrintfLine("354 go on")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.Data = string(data)
			s.mu.Lock()
			s.mail = append(s.mail, m)
			s.mu.Unlock()
			tp.PrintfLine("250 queued")
		case cmd == "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("250 ok")
		}
	}
}

func (s *fakeSMTP) received() []fakeMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]fakeMail(nil), s.mail...)
}

// body decodes a message's base64 text.
func (m fakeMail) body(t *testing.T) (subject, text string) {
	t.Helper()
	// ReadDotBytes has turned the message's CRLFs into LFs.
	head, b64, ok := strings.Cut(strings.ReplaceAll(m.Data, "\r\n", "\n"), "\n\n")
	if !ok {
		t.Fatalf("message without a body:\n%s", m.Data)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(b64, "\n", ""))
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	r := textproto.NewReader(bufio.NewReader(strings.NewReader(head + "\n\n")))
	h, err := r.ReadMIMEHeader()
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return subject, string(raw)
}

// TestDigest_BotAndMail sends the weekly digest on Monday morning in the
// company's zone: in the bot to HR users linked to an employee who joined,
// and by e-mail to every HR user, once a week.
func TestDigest_BotAndMail(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			smtp := newFakeSMTP(t)
			// Monday 2 March 2026, 08:00 in Moscow.
			clock := staffbot.NewManualClock(time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC))
			dsn := op.DSN(t)
			if op.Name == "SQLite" {
				dsn = "sqlite://" + dsn
			}
			cfg := config.Config{
				Addr: "127.0.0.1:0", DataDir: t.TempDir(), DatabaseURL: dsn, TelegramAPIURL: "http://127.0.0.1:9",
				TelegramMode: "poll", MasterKey: hex.EncodeToString(storetest.TestKey), LogLevel: "error", LogFormat: "json",
				BaseURL: "https://hr.acme.example", SMTPURL: "smtp://" + smtp.ln.Addr().String() + "?from=staffbot@acme.example",
			}
			a, err := app.Open(context.Background(), cfg, app.Options{Clock: clock, Logger: testLogger()})
			if err != nil {
				t.Fatalf("app.Open: %v", err)
			}
			t.Cleanup(func() { a.Close() })
			ctx := t.Context()

			co := &staffbot.Company{Slug: "acme", Name: "ООО Акме", TimeZone: "Europe/Moscow"}
			if err := a.Store.CreateCompany(ctx, co); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Store.SeedActivity(ctx, co.ID, store.SeedOptions{Today: staffbot.Date{Year: 2026, Month: 3, Day: 1}, Days: 60,
				Employees: 120, Scenario: "onboarding", Steps: []string{"a", "b", "c"}, Seed: 5}); err != nil {
				t.Fatal(err)
			}
			hr := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: "HR1", FullName: "Кадрова Ирина", HiredOn: staffbot.Date{Year: 2024, Month: 1, Day: 9}}
			if err := a.Store.CreateEmployee(ctx, hr, clock.Now()); err != nil {
				t.Fatal(err)
			}
			code := staffbot.NewInviteCode()
			if _, err := a.Store.CreateInvite(ctx, co.ID, hr.ID, staffbot.HashInviteCode(code), clock.Now(), staffbot.DefaultInviteTTL); err != nil {
				t.Fatal(err)
			}
			acct := &staffbot.ChannelAccount{Kind: staffbot.ChannelWebchat, ExternalID: "hr-chat", ChatID: "hr-chat"}
			err = a.Store.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.RedeemInvite(ctx, co.ID, staffbot.HashInviteCode(code), acct, clock.Now(), staffbot.DateOf(clock.Now())); err != nil {
					return err
				}
				return tx.GiveConsent(ctx, acct, staffbot.ConsentTextVersion, clock.Now())
			})
			if err != nil {
				t.Fatal(err)
			}
			svc := auth.New(a.Store, clock, auth.Options{Logger: testLogger()})
			for _, nu := range []auth.NewUser{
				{Email: "hr@acme.example", Role: auth.RoleHRManager, EmployeeID: &hr.ID},
				{Email: "owner@acme.example", Role: auth.RoleOwner},
				{Email: "operator@acme.example", Role: auth.RoleHROperator},
			} {
				if _, _, err := svc.CreateUser(ctx, nil, co.ID, nu); err != nil {
					t.Fatal(err)
				}
			}

			if n, err := a.SendDigests(ctx); err != nil || n != 0 {
				t.Fatalf("digests at 08:00 = %d, %v; want none before 09:00", n, err)
			}
			clock.Set(time.Date(2026, 3, 2, 6, 30, 0, 0, time.UTC))
			if n, err := a.SendDigests(ctx); err != nil || n != 1 {
				t.Fatalf("digests at 09:30 = %d, %v; want 1", n, err)
			}
			if n, err := a.SendDigests(ctx); err != nil || n != 0 {
				t.Fatalf("digests again = %d, %v; want none: one a week", n, err)
			}

			msgs, err := a.Store.FindChatMessages(ctx, co.ID, staffbot.ChannelWebchat, "hr-chat", 0, 10)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("the HR manager's chat = %d messages, %v", len(msgs), err)
			}
			text := msgs[0].Message.Text
			for _, want := range []string{"Еженедельная сводка HR · ООО Акме", "Неделя 23.02.2026 — 01.03.2026", "https://hr.acme.example/hr/dashboards"} {
				if !strings.Contains(text, want) {
					t.Errorf("bot digest lacks %q:\n%s", want, text)
				}
			}

			mail := smtp.received()
			var to []string
			for _, m := range mail {
				to = append(to, m.To)
			}
			if len(mail) != 2 || !strings.Contains(strings.Join(to, " "), "hr@acme.example") || !strings.Contains(strings.Join(to, " "), "owner@acme.example") {
				t.Fatalf("mail went to %v, want the HR manager and the owner (the operator reads no reports)", to)
			}
			subject, body := mail[0].body(t)
			if subject != "Сводка HR за неделю 23.02.2026 — 01.03.2026" || body != strings.ReplaceAll(text, "\n", "\r\n") {
				t.Errorf("mail subject %q, body:\n%s", subject, body)
			}
			recs, err := a.Store.FindAudit(ctx, co.ID, store.AuditFilter{Action: "report.digest_send"})
			if err != nil || len(recs) != 1 || !strings.Contains(string(recs[0].After), `"email_recipients":2`) {
				t.Errorf("digest audit = %v, %v", recs, err)
			}

			// Turned off, the next week's digest does not go.
			if err := a.Store.SetDigestEnabled(ctx, co.ID, false, clock.Now()); err != nil {
				t.Fatal(err)
			}
			clock.Set(time.Date(2026, 3, 9, 7, 0, 0, 0, time.UTC))
			if n, err := a.SendDigests(ctx); err != nil || n != 0 {
				t.Errorf("digests when off = %d, %v", n, err)
			}
		})
	}
}

// TestMailer_RefusesHeaderInjection keeps a recipient from adding headers
// or recipients of its own.
func TestMailer_RefusesHeaderInjection(t *testing.T) {
	m, err := app.NewMailer("smtp://127.0.0.1:1?from=a@b.ru")
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"x@y.ru\r\nBcc: z@w.ru", "not an address", "<x@y.ru>"} {
		if err := m.Send(t.Context(), to, "s", "b"); err == nil || !strings.Contains(err.Error(), "recipient") {
			t.Errorf("Send to %q = %v, want a refused recipient", to, err)
		}
	}
}
