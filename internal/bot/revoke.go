package bot

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/retention"
	"github.com/staffbot/staffbot/internal/store"
)

// Withdrawing consent: /revoke_consent asks, a button confirms.
const (
	cmdRevokeConsent = "/revoke_consent"
	dataRevokeYes    = "r:yes"
	dataRevokeNo     = "r:no"
)

// isRevoke reports whether an event is part of withdrawing consent.
func isRevoke(cmd string, in channel.Incoming) bool {
	return cmd == cmdRevokeConsent || in.Data == dataRevokeYes || in.Data == dataRevokeNo
}

// revokeConsent asks a registered employee to confirm, and on yes
// withdraws their consent and anonymises them at once (152-FZ art. 21:
// processing stops when consent is withdrawn). The last reply goes to the
// chat, as the account is gone by then.
func (b *Bot) revokeConsent(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee, acct *staffbot.ChannelAccount, in channel.Incoming, lang locale.Lang, now time.Time) error {
	switch in.Data {
	case dataRevokeYes:
		ctx = staffbot.WithActor(ctx, employeeActor(emp))
		if _, err := retention.WithdrawConsent(ctx, tx, co, emp, now); err != nil {
			return fmt.Errorf("withdraw consent: %w", err)
		}
		b.Logger.InfoContext(ctx, "Consent withdrawn",
			slog.Int64("company_id", int64(co.ID)), slog.Int64("employee_id", int64(emp.ID)))
		return b.reply(ctx, tx, co, in, channel.Outgoing{Text: locale.T(lang, "consent.revoke.done")}, now)
	case dataRevokeNo:
		return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: locale.T(lang, "consent.revoke.kept")}, now)
	}
	return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{
		Text: locale.T(lang, "consent.revoke.ask"),
		Buttons: [][]channel.Button{{
			{Text: locale.T(lang, "consent.revoke.yes"), Data: dataRevokeYes},
			{Text: locale.T(lang, "consent.revoke.no"), Data: dataRevokeNo},
		}},
	}, now)
}

// employeeActor names an employee acting through the bot.
func employeeActor(emp *staffbot.Employee) staffbot.Actor {
	return staffbot.Actor{Kind: staffbot.ActorEmployee, ID: fmt.Sprint(emp.ID)}
}

// record writes an audit record of the employee's own action.
func (b *Bot) record(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee, action, objectType string, objectID int64, after map[string]any, now time.Time) error {
	id := emp.ID
	return audit.Record(ctx, tx, staffbot.AuditRecord{
		CompanyID: co.ID, At: now, Actor: employeeActor(emp), Action: action,
		ObjectType: objectType, ObjectID: fmt.Sprint(objectID), SubjectID: &id, After: audit.JSON(after),
	})
}
