package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
)

// DefaultAllowedUpdates are the update types staffbot asks for.
var DefaultAllowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member"}

// Poller receives one company's updates by long polling, for installations
// that cannot take webhooks. Only one poller may run per bot token: Telegram
// answers a second one with 409 Conflict, and the two then steal updates
// from each other.
type Poller struct {
	// Lock, if set, is called once before polling starts. It must block
	// until this process is the only poller of the bot token (the caller
	// backs it with a database lock, for instance) and return a function
	// that gives the lock up; Run calls it when it returns. An error from
	// Lock ends Run.
	Lock func(ctx context.Context) (release func(), err error)

	// PollTimeout is how long one getUpdates call waits for updates;
	// 25 s when zero. Whole seconds are used.
	PollTimeout time.Duration

	// AllowedUpdates are the update types asked for; DefaultAllowedUpdates
	// when nil.
	AllowedUpdates []string

	// MinBackoff and MaxBackoff bound the pause after a failed call, which
	// doubles on each failure in a row; 1 s and 30 s when zero.
	MinBackoff, MaxBackoff time.Duration

	// ConflictAlertAfter is how long 409 Conflict may last before it is
	// logged as an error instead of a warning; 1 min when zero.
	ConflictAlertAfter time.Duration

	client    *Client
	companyID staffbot.CompanyID
	handle    func(ctx context.Context, in channel.Incoming) error
	logger    *slog.Logger
	offset    int64 // next update id wanted
	confirmed int64 // offset last sent to Telegram
}

// NewPoller returns a poller that passes each update of the company's bot to
// handle, in order, with CompanyID set. The offset moves past an update only
// once handle returned nil for it, so a failed update is fetched again.
func NewPoller(
	c *Client,
	companyID staffbot.CompanyID,
	handle func(ctx context.Context, in channel.Incoming) error,
	logger *slog.Logger,
) *Poller {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Poller{client: c, companyID: companyID, handle: handle, logger: logger}
}

// Run polls until ctx is done, then returns nil. It returns an error when
// Lock fails or Telegram rejects the token.
func (p *Poller) Run(ctx context.Context) error {
	if p.Lock != nil {
		release, err := p.Lock(ctx)
		if err != nil {
			return fmt.Errorf("lock poller: %w", err)
		}
		defer release()
	}

	companyID := slog.Int64("company_id", int64(p.companyID))
	p.logger.InfoContext(ctx, "Telegram poller started", companyID)
	defer p.logger.InfoContext(ctx, "Telegram poller stopped", companyID)

	timeout := int(orDefault(p.PollTimeout, 25*time.Second) / time.Second)
	allowed := p.AllowedUpdates
	if allowed == nil {
		allowed = DefaultAllowedUpdates
	}
	minBackoff := orDefault(p.MinBackoff, time.Second)
	backoff := minBackoff
	var conflictSince time.Time

	defer p.confirm(ctx)
	for ctx.Err() == nil {
		asked := p.offset
		updates, err := p.client.GetUpdates(ctx, asked, max(timeout, 1), allowed)
		handled := false
		if err == nil {
			p.confirmed = asked
			conflictSince, handled = time.Time{}, true
			err = p.process(ctx, updates)
			if err == nil {
				backoff = minBackoff
				continue
			}
		}
		if ctx.Err() != nil {
			break
		}

		wait := backoff
		backoff = min(2*backoff, orDefault(p.MaxBackoff, 30*time.Second))
		var rl *channel.RateLimitError
		switch {
		case handled:
			p.logger.ErrorContext(ctx, "Telegram update failed", companyID,
				slog.Duration("retry_in", wait), slog.String("error", err.Error()))
		case errors.Is(err, ErrUnauthorized):
			return fmt.Errorf("poll: %w", err)
		case errors.As(err, &rl):
			wait = rl.RetryAfter
			p.logger.WarnContext(ctx, "Telegram rate limit", companyID,
				slog.Duration("retry_after", wait))
		case errors.Is(err, ErrConflict):
			if conflictSince.IsZero() {
				conflictSince = time.Now()
			}
			level, lasted := slog.LevelWarn, time.Since(conflictSince)
			if lasted > orDefault(p.ConflictAlertAfter, time.Minute) {
				level = slog.LevelError
			}
			p.logger.Log(ctx, level, "Telegram polling conflict", companyID,
				slog.Duration("duration", lasted), slog.Duration("retry_in", wait),
				slog.String("error", err.Error()))
		default:
			p.logger.WarnContext(ctx, "Telegram polling failed", companyID,
				slog.Duration("retry_in", wait), slog.String("error", err.Error()))
		}
		_ = sleep(ctx, wait)
	}
	return nil
}

// confirm tells Telegram, on the way out, that the updates handled since
// the last call are done, so that the next poller does not get them again.
func (p *Poller) confirm(ctx context.Context) {
	if p.offset <= p.confirmed {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := p.client.GetUpdates(ctx, p.offset, 0, nil); err != nil {
		p.logger.WarnContext(ctx, "Telegram offset not confirmed",
			slog.Int64("company_id", int64(p.companyID)), slog.String("error", err.Error()))
	}
}

// process handles a batch in order and stops at the first failure.
func (p *Poller) process(ctx context.Context, updates []json.RawMessage) error {
	for _, raw := range updates {
		var head struct {
			UpdateID *int64 `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil || head.UpdateID == nil {
			p.logger.WarnContext(ctx, "Telegram update without id",
				slog.Int64("company_id", int64(p.companyID)))
			continue
		}
		id := *head.UpdateID

		in, err := ParseUpdate(raw)
		if err != nil {
			p.logger.WarnContext(ctx, "Telegram update malformed",
				slog.Int64("company_id", int64(p.companyID)),
				slog.Int64("update_id", id), slog.String("error", err.Error()))
			p.offset = id + 1
			continue
		}
		in.CompanyID = p.companyID
		if in.ReceivedAt.IsZero() {
			in.ReceivedAt = time.Now().UTC()
		}
		if err := p.handle(ctx, in); err != nil {
			return fmt.Errorf("handle update %d: %w", id, err)
		}
		p.offset = id + 1
	}
	return nil
}

// orDefault returns d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
