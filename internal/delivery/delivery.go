// Package delivery sends the messages queued in the outbox through each
// messenger, in order per chat, obeying rate limits and giving up on
// blocked recipients.
package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/store"
)

// Settings of the dispatcher.
const (
	claimBatch  = 128
	lease       = 60 * time.Second
	maxAttempts = 10
	idlePoll    = 500 * time.Millisecond
)

// Observer is told what happened to each message, for metrics.
type Observer interface {
	Sent(kind staffbot.ChannelKind)
	Failed(kind staffbot.ChannelKind, reason string)
}

// Dispatcher delivers outbox messages.
type Dispatcher struct {
	store    *store.Store
	senders  map[staffbot.ChannelKind]channel.Sender
	clock    staffbot.Clock
	logger   *slog.Logger
	observer Observer
	workers  int

	wake chan struct{}

	mu        sync.Mutex
	companies map[staffbot.CompanyID]cachedCompany
}

type cachedCompany struct {
	co      *staffbot.Company
	fetched time.Time
}

// New returns a dispatcher for the given senders.
func New(st *store.Store, senders []channel.Sender, clock staffbot.Clock, logger *slog.Logger, obs Observer) *Dispatcher {
	d := &Dispatcher{
		store:     st,
		senders:   map[staffbot.ChannelKind]channel.Sender{},
		clock:     clock,
		logger:    logger,
		observer:  obs,
		workers:   32,
		wake:      make(chan struct{}, 1),
		companies: map[staffbot.CompanyID]cachedCompany{},
	}
	for _, s := range senders {
		d.senders[s.Kind()] = s
	}
	return d
}

// Wake makes the dispatcher look at the outbox now rather than at its next
// poll. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// ForgetCompany drops a cached company, after its settings changed.
func (d *Dispatcher) ForgetCompany(id staffbot.CompanyID) {
	d.mu.Lock()
	delete(d.companies, id)
	d.mu.Unlock()
}

// Run delivers until ctx is done.
func (d *Dispatcher) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-timer.C:
		}

		for {
			n, err := d.DeliverOnce(ctx)
			if err != nil && ctx.Err() == nil {
				d.logger.ErrorContext(ctx, "Outbox claim failed", slog.String("error", err.Error()))
			}
			if n == 0 || err != nil || ctx.Err() != nil {
				break
			}
		}
		timer.Reset(idlePoll)
	}
}

// DeliverOnce claims one batch of due messages and delivers it, returning
// how many it claimed.
func (d *Dispatcher) DeliverOnce(ctx context.Context) (int, error) {
	items, err := d.store.ClaimOutbox(ctx, d.clock.Now(), lease, claimBatch)
	if err != nil || len(items) == 0 {
		return 0, err
	}

	// Each claimed item heads a different chat, so they may go in
	// parallel without reordering any chat.
	sem := make(chan struct{}, d.workers)
	var wg sync.WaitGroup
	for _, it := range items {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.deliver(ctx, it)
		}()
	}
	wg.Wait()
	return len(items), nil
}

func (d *Dispatcher) deliver(ctx context.Context, it *store.OutboxItem) {
	log := d.logger.With(slog.Int64("company_id", int64(it.CompanyID)),
		slog.String("channel", string(it.Channel)), slog.Int64("outbox_id", it.ID))

	sender := d.senders[it.Channel]
	if sender == nil {
		d.fail(ctx, log, it, "no sender for channel")
		return
	}
	co, err := d.company(ctx, it.CompanyID)
	if err != nil {
		d.retry(ctx, log, it, err)
		return
	}

	err = sender.Send(ctx, co, it.ChatID, it.Message)

	var rl *channel.RateLimitError
	var moved *channel.ChatMigratedError
	switch {
	case err == nil:
		if err := d.store.MarkOutboxSent(ctx, it.ID, d.clock.Now()); err != nil {
			log.ErrorContext(ctx, "Outbox mark sent failed", slog.String("error", err.Error()))
		}
		if d.observer != nil {
			d.observer.Sent(it.Channel)
		}
	case errors.As(err, &rl):
		// The whole bot is slowed down, not just this chat.
		until := d.clock.Now().Add(rl.RetryAfter)
		log.WarnContext(ctx, "Messenger rate limit", slog.Duration("retry_after", rl.RetryAfter))
		if err := d.store.RetryOutbox(ctx, it.ID, until, "rate limited"); err != nil {
			log.ErrorContext(ctx, "Outbox retry failed", slog.String("error", err.Error()))
		}
		if err := d.store.HoldChannel(ctx, it.CompanyID, it.Channel, until); err != nil {
			log.ErrorContext(ctx, "Outbox hold failed", slog.String("error", err.Error()))
		}
	case errors.As(err, &moved):
		log.InfoContext(ctx, "Chat migrated")
		if err := d.store.UpdateChatID(ctx, it.CompanyID, it.Channel, it.ChatID, moved.NewChatID); err != nil {
			log.ErrorContext(ctx, "Chat id update failed", slog.String("error", err.Error()))
		}
		d.retry(ctx, log, it, err)
	case errors.Is(err, channel.ErrBlocked):
		log.InfoContext(ctx, "Recipient blocked the bot")
		if it.AccountID != nil {
			if err := d.store.SetAccountBlockedByID(ctx, it.CompanyID, *it.AccountID); err != nil {
				log.ErrorContext(ctx, "Account block failed", slog.String("error", err.Error()))
			}
		}
		d.fail(ctx, log, it, "blocked")
	case errors.Is(err, channel.ErrBadRequest):
		d.fail(ctx, log, it, err.Error())
	default:
		d.retry(ctx, log, it, err)
	}
}

func (d *Dispatcher) retry(ctx context.Context, log *slog.Logger, it *store.OutboxItem, cause error) {
	if it.Attempts >= maxAttempts {
		d.fail(ctx, log, it, cause.Error())
		return
	}
	backoff := time.Duration(it.Attempts*it.Attempts) * time.Second
	log.WarnContext(ctx, "Delivery will be retried", slog.Int("attempt", it.Attempts),
		slog.Duration("backoff", backoff), slog.String("error", cause.Error()))
	if err := d.store.RetryOutbox(ctx, it.ID, d.clock.Now().Add(backoff), cause.Error()); err != nil {
		log.ErrorContext(ctx, "Outbox retry failed", slog.String("error", err.Error()))
	}
}

func (d *Dispatcher) fail(ctx context.Context, log *slog.Logger, it *store.OutboxItem, reason string) {
	log.ErrorContext(ctx, "Message dropped", slog.String("reason", reason))
	if err := d.store.MarkOutboxFailed(ctx, it.ID, reason, d.clock.Now()); err != nil {
		log.ErrorContext(ctx, "Outbox mark failed", slog.String("error", err.Error()))
	}
	if d.observer != nil {
		d.observer.Failed(it.Channel, reason)
	}
}

func (d *Dispatcher) company(ctx context.Context, id staffbot.CompanyID) (*staffbot.Company, error) {
	d.mu.Lock()
	c, ok := d.companies[id]
	d.mu.Unlock()
	if ok && time.Since(c.fetched) < time.Minute {
		return c.co, nil
	}
	co, err := d.store.FindCompanyByID(ctx, id)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.companies[id] = cachedCompany{co: co, fetched: time.Now()}
	d.mu.Unlock()
	return co, nil
}
