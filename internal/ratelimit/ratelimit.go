// Package ratelimit is a token bucket per client network, kept in memory
// by each process: every network may spend burst requests at once and
// gets them back at a steady rate. Public endpoints use it to stop one
// address from guessing or flooding; what must hold across processes
// (sign-in lockouts) is counted in the database instead.
package ratelimit

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// Limiter holds one bucket per key. Buckets that have filled up again
// are forgotten, so memory follows the recently active clients.
type Limiter struct {
	perSecond float64
	burst     float64

	mu        sync.Mutex
	buckets   map[netip.Prefix]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter that refills rate tokens every per and holds at
// most burst: New(10, time.Minute, 20) allows 20 at once, then ten a
// minute.
func New(rate int, per time.Duration, burst int) *Limiter {
	return &Limiter{
		perSecond: float64(rate) / per.Seconds(),
		burst:     float64(max(burst, 1)),
		buckets:   map[netip.Prefix]*bucket{},
	}
}

// Allow spends one token of key. When none is left it reports false and
// how long until the next one.
func (l *Limiter) Allow(key netip.Prefix, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()

	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = l.refill(b, now)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, l.wait(b.tokens)
}

// Check reports, without spending, whether key has a token left, and how
// long until it has one if not.
func (l *Limiter) Check(key netip.Prefix, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()

	b := l.buckets[key]
	if b == nil {
		return true, 0
	}
	tokens := l.refill(b, now)
	if tokens >= 1 {
		return true, 0
	}
	return false, l.wait(tokens)
}

func (l *Limiter) refill(b *bucket, now time.Time) float64 {
	elapsed := max(now.Sub(b.at), 0)
	return math.Min(l.burst, b.tokens+elapsed.Seconds()*l.perSecond)
}

func (l *Limiter) wait(tokens float64) time.Duration {
	return time.Duration((1 - tokens) / l.perSecond * float64(time.Second))
}

// sweep forgets, once a minute, the buckets that have filled up again.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	full := time.Duration(l.burst / l.perSecond * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, k)
		}
	}
}
