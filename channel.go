package staffbot

import "time"

// ChannelKind names a messenger or the built-in web chat.
type ChannelKind string

// The channels staffbot speaks.
const (
	ChannelTelegram ChannelKind = "telegram"
	ChannelWebchat  ChannelKind = "webchat"
)

// ChannelAccount binds an employee to their account in one messenger.
type ChannelAccount struct {
	ID         int64
	CompanyID  CompanyID
	EmployeeID EmployeeID
	Kind       ChannelKind

	// ExternalID is the messenger's user id (Telegram from.id) or, for the
	// web chat, the hash of the session token.
	ExternalID string

	// ChatID is where replies go; for Telegram a private chat has the same
	// id as the user.
	ChatID string

	// Blocked is set when the employee blocked the bot or the messenger
	// refused delivery as to a blocked user; nothing is sent while it holds.
	Blocked bool

	// ConsentedAt is nil until the employee accepts the personal-data
	// consent text; nothing but the consent question reaches them before.
	ConsentedAt *time.Time

	RegisteredAt time.Time
}

// ConsentTextVersion is the version of the personal-data consent text the
// bot shows now. Bump it whenever the text changes.
const ConsentTextVersion = "2026-12-01"

// Consent records that an employee accepted a version of the consent text.
type Consent struct {
	CompanyID   CompanyID
	EmployeeID  EmployeeID
	TextVersion string
	Channel     ChannelKind
	GivenAt     time.Time
}
