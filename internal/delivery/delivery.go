// Package delivery sends the messages queued in the outbox through each
// messenger, in order per chat, obeying rate limits and giving up on
// blocked recipients.
package delivery

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/store"
)

// Settings of the dispatcher.
const (
	claimBatch  = 128
	lease       = 60 * time.Second
	maxAttempts = 10
	idlePoll    = 500 * time.Millisecond
	claimGap    = 2 * time.Millisecond

	// queuedTTL is how long a message this process queued is tried by id
	// (see Queue) before it is left to the scan of the whole queue.
	queuedTTL = time.Second

	// settledTTL is how long the dispatcher remembers how far each chat
	// has been delivered, after its last delivery.
	settledTTL = 10 * time.Minute

	// maxQueued bounds the messages tried by id; beyond it, as when a
	// broadcast fills the queue, they are left to the scan.
	maxQueued = 8 * claimBatch
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
	holds     map[holdKey]time.Time // rate limits in force, until when

	// queued are the messages this process queued that are not leased
	// yet, by id, and settled how far each chat has been delivered (see
	// Queue).
	qmu       sync.Mutex
	queued    map[int64]queuedMsg
	settled   map[chatKey]settledMark
	lastPrune time.Time
}

// chatKey names a chat of a company's bot.
type chatKey struct {
	company staffbot.CompanyID
	channel staffbot.ChannelKind
	chat    string
}

func keyOf(q store.Queued) chatKey { return chatKey{q.CompanyID, q.Channel, q.ChatID} }

func itemKey(it *store.OutboxItem) chatKey { return chatKey{it.CompanyID, it.Channel, it.ChatID} }

// queuedMsg is a message this process queued, since when.
type queuedMsg struct {
	key   chatKey
	since time.Time
}

// settledMark says that every message of a chat up to id is delivered
// or given up, as of when.
type settledMark struct {
	id   int64
	when time.Time
}

type holdKey struct {
	company staffbot.CompanyID
	channel staffbot.ChannelKind
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
		holds:     map[holdKey]time.Time{},
		queued:    map[int64]queuedMsg{},
		settled:   map[chatKey]settledMark{},
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

// Queue tells the dispatcher of messages this process has just queued
// and committed (the store's OnQueued). Run leases each by id, which reads
// only the messages of its chat queued since the chat's last delivery,
// instead of scanning the whole queue, once it knows how far the chat has
// been delivered: from a delivery it made itself. Messages it cannot
// lease that way, and those queued by other processes, are found by the
// scan, which runs at least every idlePoll. Queue never blocks on I/O.
func (d *Dispatcher) Queue(msgs []store.Queued) {
	now := time.Now()
	d.qmu.Lock()
	for _, q := range msgs {
		if len(d.queued) >= maxQueued {
			break
		}
		d.queued[q.ID] = queuedMsg{key: keyOf(q), since: now}
	}
	d.qmu.Unlock()
}

// ForgetCompany drops a cached company, after its settings changed.
func (d *Dispatcher) ForgetCompany(id staffbot.CompanyID) {
	d.mu.Lock()
	delete(d.companies, id)
	d.mu.Unlock()
}

// Run delivers until ctx is done. Up to claimBatch messages are claimed
// and not yet delivered at a time, d.workers of them being sent, so a slow
// send holds back only its own chat. One goroutine marks delivered
// messages sent, as many per transaction as have piled up; a message's
// successor in its chat becomes due when that mark commits.
func (d *Dispatcher) Run(ctx context.Context) {
	p := &pipeline{
		slots: make(chan struct{}, claimBatch),
		sends: make(chan struct{}, d.workers),
		sent:  make(chan *store.OutboxItem, claimBatch),
	}
	marked := make(chan struct{})
	go func() {
		defer close(marked)
		d.markSent(context.WithoutCancel(ctx), p.sent)
	}()

	timer := time.NewTimer(0)
	defer timer.Stop()
	var last, lastScan time.Time
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-timer.C:
		}
		// Under load, a moment's wait lets one claim take what several
		// wakes would have claimed one by one.
		if wait := claimGap - time.Since(last); wait > 0 {
			sleep(ctx, wait)
		}
		last = time.Now()
		// The whole queue is scanned at least every idlePoll, for what
		// other processes queued, retries coming due and lapsed leases.
		scan := last.Sub(lastScan) >= idlePoll
		if scan {
			lastScan = last
		}
		if err := d.claimAll(ctx, p, scan); err != nil && ctx.Err() == nil {
			d.logger.ErrorContext(ctx, "Outbox claim failed", slog.String("error", err.Error()))
		}
		timer.Reset(idlePoll)
	}

	// What the last sends delivered is still marked, after ctx ended.
	p.wg.Wait()
	close(p.sent)
	<-marked
}

// pipeline is the state of a running dispatcher: a slot for each message
// claimed and not yet delivered, one for each send in progress, and the
// delivered messages on their way to be marked.
type pipeline struct {
	slots, sends chan struct{}
	sent         chan *store.OutboxItem
	wg           sync.WaitGroup
}

// claimAll claims due messages and starts delivering them until none are
// left: those this process queued by id, and, when scan is set or some of
// those cannot be leased by id, whatever a scan of the whole queue finds.
// While a backlog lasts it claims only when half of claimBatch is free,
// since a scan reads every undelivered message, however few it takes.
func (d *Dispatcher) claimAll(ctx context.Context, p *pipeline, scan bool) error {
	want := 1
	for {
		free := 0
		for free < want {
			select {
			case p.slots <- struct{}{}:
				free++
			case <-ctx.Done():
				for range free {
					<-p.slots
				}
				return nil
			}
		}
	fill:
		for free < claimBatch {
			select {
			case p.slots <- struct{}{}:
				free++
			default:
				break fill
			}
		}

		items, rest, err := d.claimQueued(ctx, free)
		if err == nil && (scan || rest) && len(items) < free {
			var more []*store.OutboxItem
			more, err = d.store.ClaimOutbox(ctx, d.clock.Now(), lease, free-len(items))
			items = append(items, more...)
		}
		for range free - len(items) {
			<-p.slots
		}
		if err != nil {
			return err
		}
		d.leased(items)
		// Each claimed item heads a different chat, and a chat's next
		// message is not due before this one is marked, so parallel sends
		// reorder no chat.
		for _, it := range items {
			p.wg.Add(1)
			go func() {
				defer func() { <-p.slots; p.wg.Done() }()
				p.sends <- struct{}{}
				defer func() { <-p.sends }()
				d.deliver(ctx, it, func(it *store.OutboxItem) { p.sent <- it })
			}()
		}
		if len(items) < free {
			return nil
		}
		want = claimBatch / 2
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// markSent records delivered messages, all that arrived while the
// previous transaction ran (or within claimGap of it) in the next one, and
// wakes the claimer for the chats they unblock.
func (d *Dispatcher) markSent(ctx context.Context, sent <-chan *store.OutboxItem) {
	items := make([]*store.OutboxItem, 0, claimBatch)
	ids := make([]int64, 0, claimBatch)
	var last time.Time
	for it := range sent {
		items = append(items[:0], it)
		if wait := claimGap - time.Since(last); wait > 0 {
			time.Sleep(wait)
		}
		last = time.Now()
	more:
		for len(items) < claimBatch {
			select {
			case it, ok := <-sent:
				if !ok {
					break more
				}
				items = append(items, it)
			default:
				break more
			}
		}
		ids = ids[:0]
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		if err := d.store.MarkOutboxSentAll(ctx, ids, d.clock.Now()); err != nil {
			d.logger.ErrorContext(ctx, "Outbox mark sent failed",
				slog.Int("messages", len(ids)), slog.String("error", err.Error()))
		} else {
			d.settle(items...)
		}
		d.Wake()
	}
}

// claimQueued leases by id up to limit of the messages this process
// queued, those of chats whose deliveries it knows, and reports whether
// others are waiting that only a scan of the queue can lease.
func (d *Dispatcher) claimQueued(ctx context.Context, limit int) ([]*store.OutboxItem, bool, error) {
	now := time.Now()
	var (
		cands []store.QueuedClaim
		rest  bool
	)
	d.qmu.Lock()
	for id, q := range d.queued {
		if now.Sub(q.since) > queuedTTL {
			// Held up, or leased by another process: the scan sees to it.
			delete(d.queued, id)
			continue
		}
		mark, ok := d.settled[q.key]
		switch {
		case !ok:
			rest = true
			continue
		case id <= mark.id:
			// Leased by a scan before Queue heard of it, and delivered.
			delete(d.queued, id)
			continue
		}
		cands = append(cands, store.QueuedClaim{ID: id, After: mark.id})
	}
	if now.Sub(d.lastPrune) > settledTTL {
		d.lastPrune = now
		for k, mark := range d.settled {
			if now.Sub(mark.when) > settledTTL {
				delete(d.settled, k)
			}
		}
	}
	d.qmu.Unlock()
	if len(cands) == 0 {
		return nil, rest, nil
	}
	slices.SortFunc(cands, func(a, b store.QueuedClaim) int { return cmp.Compare(a.ID, b.ID) })
	if len(cands) > limit {
		cands = cands[:limit]
	}
	items, err := d.store.ClaimQueued(ctx, d.clock.Now(), lease, cands)
	return items, rest, err
}

// leased forgets the claimed messages among those this process queued.
func (d *Dispatcher) leased(items []*store.OutboxItem) {
	d.qmu.Lock()
	for _, it := range items {
		delete(d.queued, it.ID)
	}
	d.qmu.Unlock()
}

// settle notes that the messages are delivered or given up for good: the
// next message of each chat may be leased by id.
func (d *Dispatcher) settle(items ...*store.OutboxItem) {
	now := time.Now()
	d.qmu.Lock()
	for _, it := range items {
		k := itemKey(it)
		if mark, ok := d.settled[k]; !ok || it.ID > mark.id {
			d.settled[k] = settledMark{id: it.ID, when: now}
		}
		delete(d.queued, it.ID)
	}
	d.qmu.Unlock()
}

// DeliverOnce claims one batch of due messages, delivers it and marks
// what was delivered, returning how many it claimed.
func (d *Dispatcher) DeliverOnce(ctx context.Context) (int, error) {
	items, err := d.store.ClaimOutbox(ctx, d.clock.Now(), lease, claimBatch)
	if err != nil || len(items) == 0 {
		return 0, err
	}

	// Each claimed item heads a different chat, so they may go in
	// parallel without reordering any chat.
	var (
		mu   sync.Mutex
		sent []*store.OutboxItem
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, d.workers)
	for _, it := range items {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.deliver(ctx, it, func(it *store.OutboxItem) {
				mu.Lock()
				sent = append(sent, it)
				mu.Unlock()
			})
		}()
	}
	wg.Wait()
	ids := make([]int64, len(sent))
	for i, it := range sent {
		ids[i] = it.ID
	}
	if err := d.store.MarkOutboxSentAll(ctx, ids, d.clock.Now()); err != nil {
		d.logger.ErrorContext(ctx, "Outbox mark sent failed",
			slog.Int("messages", len(ids)), slog.String("error", err.Error()))
	} else {
		d.settle(sent...)
	}
	d.leased(items)
	return len(items), nil
}

// deliver sends one message and deals with the outcome; a delivered
// message is handed to sent, which marks it.
func (d *Dispatcher) deliver(ctx context.Context, it *store.OutboxItem, sent func(it *store.OutboxItem)) {
	log := d.logger.With(slog.Int64("company_id", int64(it.CompanyID)),
		slog.String("channel", string(it.Channel)), slog.Int64("outbox_id", it.ID))

	sender := d.senders[it.Channel]
	if sender == nil {
		d.fail(ctx, log, it, store.OutcomeFailed, "no sender for channel")
		return
	}
	// A rate limit holds every message of the company's bot, those queued
	// after it came included, not only the ones waiting when it came.
	if until, held := d.heldUntil(it.CompanyID, it.Channel); held {
		if err := d.store.RetryOutbox(ctx, it.ID, until, "rate limited"); err != nil {
			log.ErrorContext(ctx, "Outbox retry failed", slog.String("error", err.Error()))
		}
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
		sent(it)
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
		d.hold(it.CompanyID, it.Channel, until)
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
		d.fail(ctx, log, it, blockedOutcome(err), "")
	case errors.Is(err, channel.ErrBadRequest):
		d.fail(ctx, log, it, store.OutcomeInvalid, err.Error())
	default:
		d.retry(ctx, log, it, err)
	}
}

func (d *Dispatcher) retry(ctx context.Context, log *slog.Logger, it *store.OutboxItem, cause error) {
	if it.Attempts >= maxAttempts {
		d.fail(ctx, log, it, store.OutcomeFailed, cause.Error())
		return
	}
	backoff := time.Duration(it.Attempts*it.Attempts) * time.Second
	log.WarnContext(ctx, "Delivery will be retried", slog.Int("attempt", it.Attempts),
		slog.Duration("backoff", backoff), slog.String("error", cause.Error()))
	if err := d.store.RetryOutbox(ctx, it.ID, d.clock.Now().Add(backoff), cause.Error()); err != nil {
		log.ErrorContext(ctx, "Outbox retry failed", slog.String("error", err.Error()))
	}
}

// fail gives up on a message. The outcome (store.OutcomeBlocked…) is what
// HR's report counts and metrics see; detail is kept with it in the outbox.
func (d *Dispatcher) fail(ctx context.Context, log *slog.Logger, it *store.OutboxItem, outcome, detail string) {
	reason := store.FailureReason(outcome, detail)
	log.ErrorContext(ctx, "Message dropped", slog.String("reason", reason))
	if err := d.store.MarkOutboxFailed(ctx, it.ID, reason, d.clock.Now()); err != nil {
		log.ErrorContext(ctx, "Outbox mark failed", slog.String("error", err.Error()))
	} else {
		d.settle(it)
	}
	if d.observer != nil {
		d.observer.Failed(it.Channel, outcome)
	}
}

// blockedOutcome tells apart the ways a recipient is out of reach, for
// HR's delivery report.
func blockedOutcome(err error) string {
	switch {
	case errors.Is(err, telegram.ErrDeactivated):
		return store.OutcomeDeactivated
	case errors.Is(err, telegram.ErrNotStarted):
		return store.OutcomeNotOnboarded
	}
	return store.OutcomeBlocked
}

// hold remembers a rate limit of a company's bot in one channel.
func (d *Dispatcher) hold(co staffbot.CompanyID, kind staffbot.ChannelKind, until time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := holdKey{co, kind}
	if until.After(d.holds[k]) {
		d.holds[k] = until
	}
}

// heldUntil reports whether a rate limit is still in force, and until when.
func (d *Dispatcher) heldUntil(co staffbot.CompanyID, kind staffbot.ChannelKind) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := holdKey{co, kind}
	until, ok := d.holds[k]
	if ok && !d.clock.Now().Before(until) {
		delete(d.holds, k)
		return time.Time{}, false
	}
	return until, ok
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
