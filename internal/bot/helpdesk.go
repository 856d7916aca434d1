package bot

import (
	"context"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// Escalator opens a ticket for HR from a question the bot could not
// answer, in the caller's transaction; category is a category's code or
// name, or empty to let the helpdesk choose from the text. The helpdesk
// package provides it; the FAQ can hand its questions to HR through it.
type Escalator interface {
	OpenFromEscalation(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
		text, category string) (*store.Ticket, error)
}

// Helpdesk takes employees' requests to HR (the helpdesk package).
type Helpdesk interface {
	Escalator

	// Handle takes, before any scenario, what is the helpdesk's: its
	// buttons, /tickets, the messages of a request being written, and
	// files for an open ticket. It reports whether it took the event.
	Handle(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
		acct *staffbot.ChannelAccount, in channel.Incoming) (bool, error)

	// FollowUp takes, after the scenarios and before the FAQ, a message
	// while a ticket of the employee waits for their answer.
	FollowUp(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
		acct *staffbot.ChannelAccount, in channel.Incoming) (bool, error)

	// MenuButtons are the helpdesk's rows of the main menu: "Написать в
	// HR" and the list of the employee's requests.
	MenuButtons(lang locale.Lang) [][]channel.Button
}

// helpdeskFirst gives the helpdesk its turn before the scenarios.
func (b *Bot) helpdeskFirst(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, in channel.Incoming) (bool, error) {
	if b.Helpdesk == nil {
		return false, nil
	}
	return b.Helpdesk.Handle(ctx, tx, co, emp, acct, in)
}

// helpdeskFollowUp gives the helpdesk its turn after the scenarios.
func (b *Bot) helpdeskFollowUp(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, in channel.Incoming) (bool, error) {
	if b.Helpdesk == nil {
		return false, nil
	}
	return b.Helpdesk.FollowUp(ctx, tx, co, emp, acct, in)
}

// withHelpdesk adds the helpdesk's rows to the main menu, first.
func (b *Bot) withHelpdesk(msg channel.Outgoing, lang locale.Lang) channel.Outgoing {
	if b.Helpdesk != nil {
		msg.Buttons = append(b.Helpdesk.MenuButtons(lang), msg.Buttons...)
	}
	return msg
}
