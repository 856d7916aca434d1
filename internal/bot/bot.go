// Package bot decides what to do with each incoming event, the same way for
// every messenger: strangers get one polite refusal, invited employees
// register with their code and give consent, and registered employees talk
// to the scenario engine, with /help and /menu available at any time.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// Engine runs scenarios; the scenario package provides it.
type Engine interface {
	// Start begins the registration-triggered scenarios of an employee.
	Start(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee) error

	// Handle takes a button press or an answer meant for a scenario and
	// reports whether it was one.
	Handle(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee, acct *staffbot.ChannelAccount, in channel.Incoming) (bool, error)
}

// Answerer handles text and button presses that no scenario took and
// reports whether it did; the faq package provides it.
type Answerer interface {
	Handle(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee, acct *staffbot.ChannelAccount, in channel.Incoming) (bool, error)
}

// Services answers the self-service catalogue (the selfservice package):
// the /services command, button data starting with "v:", answers to its
// questions and typed messages that name a service. It reports whether it
// took the event.
type Services interface {
	Handle(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee, acct *staffbot.ChannelAccount, in channel.Incoming, lang locale.Lang) (bool, error)
	// MenuButton is the catalogue's entry in the main menu.
	MenuButton(lang locale.Lang) channel.Button
}

// Acker answers a button press in a messenger that shows a spinner until
// the press is acknowledged (Telegram's answerCallbackQuery).
type Acker interface {
	Ack(ctx context.Context, co *staffbot.Company, callbackID string) error
}

// Throttling of wrong registration codes: after MaxCodeFailures within
// CodeFailureWindow, codes from that account are not even checked.
const (
	MaxCodeFailures   = 5
	CodeFailureWindow = 15 * time.Minute
)

// Button data the bot itself understands.
const (
	dataConsentYes = "c:yes"
	dataConsentNo  = "c:no"
	dataMenuHelp   = "m:help"
	dataMenuData   = "m:data"
)

// Bot routes incoming events.
type Bot struct {
	Store   *store.Store
	Engine  Engine
	Clock   staffbot.Clock
	Logger  *slog.Logger
	BaseURL string

	// Ackers answer button presses, by channel.
	Ackers map[staffbot.ChannelKind]Acker

	// Helpdesk takes requests to HR as tickets. Nil leaves it out.
	Helpdesk Helpdesk

	// FAQ answers what no scenario took: questions to the knowledge base
	// and presses on its buttons. Nil leaves them not understood.
	FAQ Answerer

	// Services is the self-service catalogue, asked before the FAQ. Nil
	// leaves the catalogue out of the menu.
	Services Services

	mu        sync.Mutex
	companies map[staffbot.CompanyID]cachedCompany
}

// companyTTL is how long Handle reuses a company it has read: under load
// it spares a query per event, and a change of a company's settings still
// shows within a second.
const companyTTL = time.Second

type cachedCompany struct {
	co      *staffbot.Company
	fetched time.Time
}

// Handle processes one incoming event. All its effects, outgoing messages
// included, commit in one transaction together with the record that the
// update was seen, so a redelivered update is handled once (its
// transaction commits nothing) and a crash before commit loses nothing.
func (b *Bot) Handle(ctx context.Context, in channel.Incoming) error {
	if in.Kind == channel.KindIgnored {
		return nil
	}
	co, err := b.company(ctx, in.CompanyID)
	if err != nil {
		return fmt.Errorf("handle update: %w", err)
	}
	now := b.Clock.Now()

	err = b.Store.InTx(ctx, func(tx *store.Tx) error {
		if in.UpdateKey != "" {
			if err := tx.SeeUpdate(ctx, co.ID, in.Channel, in.UpdateKey, now); err != nil {
				return err
			}
		}
		return b.route(ctx, tx, co, in, now)
	})
	switch {
	case errors.Is(err, store.ErrDuplicate):
		b.Logger.DebugContext(ctx, "Duplicate update skipped",
			slog.Int64("company_id", int64(co.ID)), slog.String("channel", string(in.Channel)),
			slog.String("update_id", in.UpdateKey))
	case err != nil:
		return err
	}

	// A button press is acknowledged after the work is committed; a
	// failure here only leaves a spinner on the user's screen.
	if in.Kind == channel.KindButton && in.CallbackID != "" {
		if a := b.Ackers[in.Channel]; a != nil {
			if err := a.Ack(ctx, co, in.CallbackID); err != nil {
				b.Logger.WarnContext(ctx, "Button press not acknowledged",
					slog.String("channel", string(in.Channel)), slog.String("error", err.Error()))
			}
		}
	}
	return nil
}

// company returns the company, read at most companyTTL ago. The result is
// shared and must not be changed.
func (b *Bot) company(ctx context.Context, id staffbot.CompanyID) (*staffbot.Company, error) {
	b.mu.Lock()
	c, ok := b.companies[id]
	b.mu.Unlock()
	if ok && time.Since(c.fetched) < companyTTL {
		return c.co, nil
	}
	co, err := b.Store.FindCompanyByID(ctx, id)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	if b.companies == nil {
		b.companies = map[staffbot.CompanyID]cachedCompany{}
	}
	b.companies[id] = cachedCompany{co: co, fetched: time.Now()}
	b.mu.Unlock()
	return co, nil
}

// locations holds the time zones companies use, by name: loading one
// reads the system's zone file.
var locations sync.Map

// location is co.Location(), loaded once per time zone.
func location(co *staffbot.Company) *time.Location {
	if loc, ok := locations.Load(co.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc := co.Location()
	locations.Store(co.TimeZone, loc)
	return loc
}

func (b *Bot) route(ctx context.Context, tx *store.Tx, co *staffbot.Company, in channel.Incoming, now time.Time) error {
	lang := locale.FromCode(in.LanguageCode)

	switch in.Kind {
	case channel.KindBlocked, channel.KindResumed:
		return tx.SetAccountBlocked(ctx, co.ID, in.Channel, in.ExternalID, in.Kind == channel.KindBlocked)
	case channel.KindEdited:
		// An edit never re-runs a command or re-answers a question.
		return nil
	}

	// A typed message goes past the helpdesk, the scenarios and the
	// self-service catalogue, which each look for something of the
	// employee's under way; the query that finds the sender learns that
	// too, once for all of them.
	cmd := command(in)
	typed := in.Kind == channel.KindText && cmd == ""
	acct, emp, err := tx.FindSender(ctx, co.ID, in.Channel, in.ExternalID, typed)
	if errors.Is(err, staffbot.ErrNotFound) {
		return b.stranger(ctx, tx, co, in, lang, now)
	}
	if err != nil {
		return err
	}
	today := staffbot.DateOf(now.In(location(co)))
	if !emp.Active(today) {
		return b.reply(ctx, tx, co, in, channel.Outgoing{Text: locale.T(lang, "stranger")}, now)
	}
	// For the dashboards: messages per channel, active employees.
	if err := tx.RecordActivity(ctx, co.ID, emp, in.Channel, today); err != nil {
		return err
	}
	if acct.Blocked {
		// Writing to the bot is the surest sign it is unblocked; Telegram
		// does not always say so with my_chat_member.
		if err := tx.SetAccountBlocked(ctx, co.ID, in.Channel, in.ExternalID, false); err != nil {
			return err
		}
		acct.Blocked = false
	}

	if acct.ConsentedAt == nil {
		return b.consent(ctx, tx, co, emp, acct, in, lang, now)
	}

	switch {
	case isRevoke(cmd, in):
		return b.revokeConsent(ctx, tx, co, emp, acct, in, lang, now)
	case cmd == "/help" || in.Data == dataMenuHelp:
		return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: locale.T(lang, "help")}, now)
	case cmd == "/menu":
		return tx.EnqueueToAccount(ctx, acct, b.menu(lang), now)
	case cmd == "/start":
		msg := b.menu(lang)
		msg.Text = locale.T(lang, "welcome.back", emp.FirstName())
		return tx.EnqueueToAccount(ctx, acct, msg, now)
	case in.Data == dataMenuData:
		return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: myData(lang, emp)}, now)
	case in.Data == dataConsentYes || in.Data == dataConsentNo:
		// A late press on an old consent question changes nothing.
		return nil
	}

	if handled, err := b.helpdeskFirst(ctx, tx, co, emp, acct, in); err != nil || handled {
		return err
	}

	switch in.Kind {
	case channel.KindText, channel.KindButton:
		handled, err := b.Engine.Handle(ctx, tx, co, emp, acct, in)
		if err != nil || handled {
			return err
		}
		if handled, err := b.helpdeskFollowUp(ctx, tx, co, emp, acct, in); err != nil || handled {
			return err
		}
		if b.Services != nil {
			if handled, err := b.Services.Handle(ctx, tx, co, emp, acct, in, lang); err != nil || handled {
				return err
			}
		}
		if b.FAQ != nil {
			if handled, err := b.FAQ.Handle(ctx, tx, co, emp, acct, in); err != nil || handled {
				return err
			}
		}
		if in.Kind == channel.KindButton {
			return nil
		}
		return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: locale.T(lang, "not.understood")}, now)
	default:
		return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: locale.T(lang, "unsupported")}, now)
	}
}

// stranger handles someone with no bound account: a valid code registers
// them; anything else gets the one short refusal and nothing more.
func (b *Bot) stranger(ctx context.Context, tx *store.Tx, co *staffbot.Company, in channel.Incoming, lang locale.Lang, now time.Time) error {
	refuse := channel.Outgoing{Text: locale.T(lang, "stranger")}
	code, ok := startCode(in)
	if !ok {
		return b.reply(ctx, tx, co, in, refuse, now)
	}

	fails, err := tx.CountRegistrationFailures(ctx, co.ID, in.Channel, in.ExternalID, now.Add(-CodeFailureWindow))
	if err != nil {
		return err
	}
	if fails >= MaxCodeFailures {
		b.Logger.WarnContext(ctx, "Registration throttled",
			slog.Int64("company_id", int64(co.ID)), slog.String("channel", string(in.Channel)))
		return b.reply(ctx, tx, co, in, channel.Outgoing{Text: locale.T(lang, "throttled")}, now)
	}

	acct := &staffbot.ChannelAccount{Kind: in.Channel, ExternalID: in.ExternalID, ChatID: in.ChatID}
	today := staffbot.DateOf(now.In(location(co)))
	emp, err := tx.RedeemInvite(ctx, co.ID, staffbot.HashInviteCode(code), acct, now, today)
	if store.IsNotFoundOrExpired(err) {
		if err := tx.RecordRegistrationFailure(ctx, co.ID, in.Channel, in.ExternalID, now); err != nil {
			return err
		}
		return b.reply(ctx, tx, co, in, refuse, now)
	}
	if err != nil {
		return err
	}

	b.Logger.InfoContext(ctx, "Employee registered",
		slog.Int64("company_id", int64(co.ID)), slog.Int64("employee_id", int64(emp.ID)),
		slog.String("channel", string(in.Channel)))
	if err := b.record(ctx, tx, co, emp, "employee.register", "channel_account", acct.ID,
		map[string]any{"channel": in.Channel}, now); err != nil {
		return err
	}
	return tx.EnqueueToAccount(ctx, acct, b.consentQuestion(co, emp, lang), now)
}

func (b *Bot) consent(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee, acct *staffbot.ChannelAccount, in channel.Incoming, lang locale.Lang, now time.Time) error {
	switch in.Data {
	case dataConsentYes:
		if err := tx.GiveConsent(ctx, acct, staffbot.ConsentTextVersion, now); err != nil {
			return err
		}
		if err := b.record(ctx, tx, co, emp, "consent.give", "channel_account", acct.ID,
			map[string]any{"text_version": staffbot.ConsentTextVersion, "channel": acct.Kind}, now); err != nil {
			return err
		}
		if err := tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: locale.T(lang, "consent.thanks")}, now); err != nil {
			return err
		}
		return b.Engine.Start(ctx, tx, co, emp)
	case dataConsentNo:
		if err := b.record(ctx, tx, co, emp, "consent.decline", "channel_account", acct.ID,
			map[string]any{"text_version": staffbot.ConsentTextVersion}, now); err != nil {
			return err
		}
		return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: locale.T(lang, "consent.declined")}, now)
	}
	return tx.EnqueueToAccount(ctx, acct, b.consentQuestion(co, emp, lang), now)
}

func (b *Bot) consentQuestion(co *staffbot.Company, emp *staffbot.Employee, lang locale.Lang) channel.Outgoing {
	link := b.BaseURL + "/consent"
	return channel.Outgoing{
		Text: locale.T(lang, "consent.ask", emp.FirstName(), co.Name, staffbot.ConsentTextVersion, link),
		Buttons: [][]channel.Button{{
			{Text: locale.T(lang, "consent.yes"), Data: dataConsentYes},
			{Text: locale.T(lang, "consent.no"), Data: dataConsentNo},
		}},
	}
}

// reply answers the chat an event came from, whether or not it belongs to
// an account.
func (b *Bot) reply(ctx context.Context, tx *store.Tx, co *staffbot.Company, in channel.Incoming, msg channel.Outgoing, now time.Time) error {
	if in.ChatID == "" {
		return nil
	}
	_, err := tx.Enqueue(ctx, co.ID, nil, in.Channel, in.ChatID, msg, now)
	return err
}

func (b *Bot) menu(lang locale.Lang) channel.Outgoing {
	msg := channel.Outgoing{
		Text: locale.T(lang, "menu"),
		Buttons: [][]channel.Button{
			{{Text: locale.T(lang, "menu.mydata"), Data: dataMenuData}},
			{{Text: locale.T(lang, "menu.help"), Data: dataMenuHelp}},
		},
	}
	if b.Services != nil {
		msg.Buttons = append([][]channel.Button{{b.Services.MenuButton(lang)}}, msg.Buttons...)
	}
	return b.withHelpdesk(msg, lang)
}

func myData(lang locale.Lang, e *staffbot.Employee) string {
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	return locale.T(lang, "mydata", e.FullName, e.PersonnelNumber, dash(e.Position), dash(e.Department),
		dash(e.Office), e.HiredOn.Russian())
}

// command returns the command word of a text message ("/start", "/help"),
// dropping a Telegram "@botname" suffix, or "" for other events.
func command(in channel.Incoming) string {
	if in.Kind != channel.KindText || !strings.HasPrefix(in.Text, "/") {
		return ""
	}
	word, _, _ := strings.Cut(strings.TrimSpace(in.Text), " ")
	word, _, _ = strings.Cut(word, "@")
	return strings.ToLower(word)
}

// startCode extracts the registration code from "/start CODE".
func startCode(in channel.Incoming) (string, bool) {
	if command(in) != "/start" {
		return "", false
	}
	_, code, _ := strings.Cut(strings.TrimSpace(in.Text), " ")
	code = strings.TrimSpace(code)
	if !staffbot.ValidInviteCodeShape(code) {
		return "", false
	}
	return code, true
}
