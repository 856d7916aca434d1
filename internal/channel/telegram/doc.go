// Package telegram connects staffbot to the Telegram Bot API: a Client for
// the methods staffbot calls, ParseUpdate to turn updates into
// channel.Incoming, a Sender that renders and splits channel.Outgoing, a
// WebhookHandler and a long-polling Poller.
//
// The bot token is part of every request URL. It never appears in an error
// or a log line: errors from the HTTP client are redacted before they are
// returned.
package telegram
