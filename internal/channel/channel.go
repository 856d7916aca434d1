// Package channel is the conversation model shared by every messenger: what
// comes in (text, button presses, files, contacts, blocks) and what goes out
// (formatted text, buttons, links, files). Adapters such as telegram and
// webchat translate between this model and their wire formats.
package channel

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/staffbot/staffbot"
)

// IncomingKind tells what an Incoming carries.
type IncomingKind string

// The kinds of incoming events.
const (
	KindText    IncomingKind = "text"    // a typed message or command
	KindButton  IncomingKind = "button"  // a press on one of our buttons
	KindFile    IncomingKind = "file"    // a document or photo
	KindContact IncomingKind = "contact" // a shared phone contact
	KindEdited  IncomingKind = "edited"  // an edit of an earlier message
	KindBlocked IncomingKind = "blocked" // the user blocked the bot
	KindResumed IncomingKind = "resumed" // the user unblocked the bot
	KindOther   IncomingKind = "other"   // stickers, voice and the like
	KindIgnored IncomingKind = "ignored" // group chatter and service noise
)

// Incoming is one event from an employee (or a stranger) in a messenger.
type Incoming struct {
	Channel   staffbot.ChannelKind
	CompanyID staffbot.CompanyID

	// UpdateKey identifies the delivery, so a redelivered update is
	// handled once. For Telegram it is the update_id.
	UpdateKey string

	// ExternalID is the sender's id in the messenger; ChatID is where a
	// reply goes.
	ExternalID string
	ChatID     string

	Kind IncomingKind
	Text string

	// Data is the payload of a pressed button; CallbackID must be
	// acknowledged (Telegram shows a spinner until it is).
	Data       string
	CallbackID string

	Phone    string // from a shared contact
	FileName string
	FileID   string

	// LanguageCode is the messenger's idea of the user's language ("ru",
	// "en"), used until the employee picks one.
	LanguageCode string

	ReceivedAt time.Time
}

// Format tells how Outgoing.Text is marked up.
type Format string

// Text formats. Markup is a small safe subset: *bold*, _italic_ and
// [text](url) links; adapters render it in their own syntax and escape
// everything else.
const (
	FormatPlain  Format = ""
	FormatMarkup Format = "markup"
)

// Button is one choice under a message. Data comes back in an Incoming of
// KindButton; URL buttons open a link instead.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Outgoing is one message to send.
type Outgoing struct {
	Text   string `json:"text"`
	Format Format `json:"format,omitempty"`

	// Buttons are rows of buttons shown under the message.
	Buttons [][]Button `json:"buttons,omitempty"`

	// FileURL and FileName attach a file served by staffbot itself.
	FileURL  string `json:"file_url,omitempty"`
	FileName string `json:"file_name,omitempty"`
}

// Sender delivers messages to one messenger.
type Sender interface {
	Kind() staffbot.ChannelKind
	Send(ctx context.Context, co *staffbot.Company, chatID string, msg Outgoing) error
}

// Delivery errors that senders return, so the dispatcher can act on them
// without knowing the messenger.
var (
	// ErrBlocked: the user blocked the bot or deleted their account. The
	// account is marked unreachable and the message dropped.
	ErrBlocked = errors.New("recipient blocked the bot")

	// ErrBadRequest: the messenger refused the message itself; retrying
	// the same message will not help.
	ErrBadRequest = errors.New("message refused")
)

// RateLimitError says the messenger asked us to wait before sending again.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s", e.RetryAfter)
}

// ChatMigratedError says a group chat moved to a new id; the stored id must
// be replaced and the message sent again once.
type ChatMigratedError struct {
	NewChatID string
}

func (e *ChatMigratedError) Error() string {
	return "chat migrated to " + e.NewChatID
}
