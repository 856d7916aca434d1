package staffbot

import "time"

// CompanyID identifies a tenant. Every stored row carries one.
type CompanyID int64

// DefaultTimeZone is the zone a company gets when none is given.
const DefaultTimeZone = "Europe/Moscow"

// Company is one tenant: an employer running its own closed bot.
type Company struct {
	ID       CompanyID
	Slug     string
	Name     string
	TimeZone string

	// TelegramBotUsername is the bot's @username without the "@", used to
	// build t.me deep links. TelegramToken is decrypted only when loaded
	// for a channel; it is stored sealed.
	TelegramBotUsername string
	TelegramToken       string

	// TelegramWebhookSecret is checked against the
	// X-Telegram-Bot-Api-Secret-Token header of every webhook call.
	TelegramWebhookSecret string

	CreatedAt time.Time
}

// Location returns the company's time zone, falling back to Moscow time
// when the stored name is unknown to this system.
func (c *Company) Location() *time.Location {
	if loc, err := time.LoadLocation(c.TimeZone); err == nil {
		return loc
	}
	if loc, err := time.LoadLocation(DefaultTimeZone); err == nil {
		return loc
	}
	return time.FixedZone("MSK", 3*60*60)
}
