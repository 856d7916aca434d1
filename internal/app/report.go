package app

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/report"
	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/internal/store"
)

// digestHour is when, on Monday in each company's zone, the weekly digest
// for the week before goes out. A server that was down then sends it when
// it comes back, later that week.
const digestHour = 9

// digestCheckEvery is how often, in clock time, companies are looked at.
const digestCheckEvery = time.Minute

// startReports runs the weekly digest loop, which also keeps the FAQ
// charts' rollups filed.
func (a *App) startReports(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(a.tick)
		defer t.Stop()
		var last time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := a.Clock.Now()
			if !last.IsZero() && now.Sub(last) < digestCheckEvery && now.After(last) {
				continue
			}
			last = now
			if _, err := a.SendDigests(ctx); err != nil && ctx.Err() == nil {
				a.logger.ErrorContext(ctx, "Digests not sent", slog.String("error", err.Error()))
			}
			a.refreshRollups(ctx, now)
		}
	}()
}

// SendDigests sends every company whose Monday morning has come its
// digest of the week before, once, and returns how many companies it
// sent to. Tests call it after moving the clock.
func (a *App) SendDigests(ctx context.Context) (int, error) {
	cos, err := a.Store.FindCompanies(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	for _, co := range cos {
		ok, err := a.sendDigest(ctx, co)
		if err != nil {
			errs = append(errs, fmt.Errorf("company %d: %w", co.ID, err))
			continue
		}
		if ok {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

func (a *App) sendDigest(ctx context.Context, co *staffbot.Company) (bool, error) {
	now := a.Clock.Now()
	local := now.In(co.Location())
	today := staffbot.DateOf(local)
	monday := store.WeekStart(today)
	if local.Before(monday.In(co.Location()).Add(digestHour * time.Hour)) {
		return false, nil
	}
	on, err := a.Store.DigestEnabled(ctx, co.ID)
	if err != nil || !on {
		return false, err
	}
	week := report.LastWeek(today)
	claimed, err := a.Store.ClaimDigest(ctx, co.ID, week.String(), now)
	if err != nil || !claimed {
		return false, err
	}

	b := report.Builder{Store: a.Store}
	d, err := b.Digest(ctx, co, onboardingScenario(ctx, a.Engine, co.ID), week, now)
	if err != nil {
		return false, err
	}
	users, err := a.Store.FindUsers(ctx, co.ID)
	if err != nil {
		return false, err
	}
	link := a.Config.PublicURL() + "/hr/dashboards"
	text := d.Text(locale.RU, link)

	// In the bot: every HR user linked to an employee who has joined.
	seen := map[staffbot.EmployeeID]bool{}
	var botReached int
	err = a.Store.InTx(ctx, func(tx *store.Tx) error {
		botReached = 0
		for _, u := range users {
			if u.DisabledAt != nil || u.EmployeeID == nil || seen[*u.EmployeeID] || !auth.Role(u.Role).Has(auth.PermReportsRead) {
				continue
			}
			seen[*u.EmployeeID] = true
			n, err := tx.EnqueueToEmployee(ctx, co.ID, *u.EmployeeID, channel.Outgoing{Text: text}, now)
			if err != nil {
				return err
			}
			if n > 0 {
				botReached++
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}

	// By e-mail, when it is set up: every HR user's sign-in address.
	mailed := 0
	if m := a.mailer(); m != nil {
		subject := d.Subject(locale.RU)
		for _, u := range users {
			if u.DisabledAt != nil || !auth.Role(u.Role).Has(auth.PermReportsRead) {
				continue
			}
			if err := m.Send(ctx, u.Email, subject, text); err != nil {
				a.logger.WarnContext(ctx, "Digest not mailed", slog.Int64("company_id", int64(co.ID)),
					slog.Int64("user_id", int64(u.ID)), slog.String("error", err.Error()))
				continue
			}
			mailed++
		}
	}
	if err := a.Store.RecordDigestSent(ctx, co.ID, week.String(), botReached, mailed); err != nil {
		return true, err
	}
	a.logger.InfoContext(ctx, "Digest sent", slog.Int64("company_id", int64(co.ID)), slog.String("week", week.String()),
		slog.Int("bot_recipients", botReached), slog.Int("email_recipients", mailed))
	return true, nil
}

// refreshRollups files each company's settled days of questions for the
// FAQ charts, so that a dashboard seldom waits for it.
func (a *App) refreshRollups(ctx context.Context, now time.Time) {
	cos, err := a.Store.FindCompanies(ctx)
	if err != nil {
		return
	}
	for _, co := range cos {
		if err := a.Store.RefreshFAQRollup(ctx, co.ID, co.Location(), now); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "Question rollup not refreshed", slog.Int64("company_id", int64(co.ID)),
				slog.String("error", err.Error()))
		}
	}
}

// onboardingScenario is the company's first registration scenario.
func onboardingScenario(ctx context.Context, e *scenario.Engine, companyID staffbot.CompanyID) string {
	if e != nil {
		if defs, _, err := e.CompanyScenarios(ctx, companyID); err == nil {
			for _, d := range defs {
				if d.Trigger == scenario.TriggerRegistration {
					return d.ID
				}
			}
		}
	}
	return "onboarding"
}

// mailer returns the configured e-mail sender, or nil.
func (a *App) mailer() *Mailer {
	if a.Config.SMTPURL == "" {
		return nil
	}
	m, err := NewMailer(a.Config.SMTPURL)
	if err != nil {
		return nil
	}
	return m
}

// sendMail is the cabinet's way to e-mail, nil without SMTP.
func (a *App) sendMail() func(ctx context.Context, to, subject, body string) error {
	m := a.mailer()
	if m == nil {
		return nil
	}
	return m.Send
}

// Mailer sends plain-text UTF-8 e-mail through one SMTP server, with
// STARTTLS when the server offers it (smtp://) or TLS from the start
// (smtps://), and PLAIN authentication when the URL has a user.
type Mailer struct {
	addr     string
	host     string
	implicit bool
	from     string
	user     string
	password string

	// Timeout bounds one message, connection included.
	Timeout time.Duration
}

// NewMailer reads smtp://user:password@host:port?from=address.
func NewMailer(rawURL string) (*Mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("SMTP URL: want smtp:// or smtps://host[:port]?from=address")
	}
	m := &Mailer{host: u.Hostname(), implicit: u.Scheme == "smtps", from: u.Query().Get("from"), Timeout: 30 * time.Second}
	if m.from == "" {
		return nil, errors.New("SMTP URL: the from parameter is missing")
	}
	port := u.Port()
	if port == "" {
		port = "587"
		if m.implicit {
			port = "465"
		}
	}
	m.addr = net.JoinHostPort(m.host, port)
	if u.User != nil {
		m.user = u.User.Username()
		m.password, _ = u.User.Password()
	}
	return m, nil
}

// Send delivers one message to one address.
func (m *Mailer) Send(ctx context.Context, to, subject, body string) error {
	if strings.ContainsAny(to, "\r\n<>") || !strings.Contains(to, "@") {
		return fmt.Errorf("recipient address: %w", staffbot.ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(ctx, m.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return fmt.Errorf("connect to SMTP server: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	if m.implicit {
		conn = tls.Client(conn, &tls.Config{ServerName: m.host})
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP greeting: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !m.implicit {
		if err := c.StartTLS(&tls.Config{ServerName: m.host}); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if m.user != "" {
		if err := c.Auth(smtp.PlainAuth("", m.user, m.password, m.host)); err != nil {
			return fmt.Errorf("SMTP auth: %w", err)
		}
	}
	if err := c.Mail(m.from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(message(m.from, to, subject, body)); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end message: %w", err)
	}
	return c.Quit()
}

// message builds a MIME message with a base64 UTF-8 text body.
func message(from, to, subject, body string) []byte {
	var b strings.Builder
	b.WriteString("From: " + from + "\r\n")
	b.WriteString("To: " + to + "\r\n")
	b.WriteString("Subject: " + mime.BEncoding.Encode("utf-8", subject) + "\r\n")
	b.WriteString("Date: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}
