package auth

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Limiter is a token bucket per client network: each may spend burst
// attempts at once and gets perMinute back every minute. It guards the
// public endpoints (sign-in, second factor, API token checks) against
// guessing from one address; the per-account lockout covers guessing from
// many. State is kept in memory, per process.
type Limiter struct {
	perMinute float64
	burst     float64

	mu        sync.Mutex
	buckets   map[netip.Prefix]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a limiter allowing burst attempts at once and
// perMinute a minute after that.
func NewLimiter(perMinute, burst int) *Limiter {
	return &Limiter{perMinute: float64(perMinute), burst: float64(burst), buckets: map[netip.Prefix]*bucket{}}
}

// Allow spends one attempt of the request's client. When none is left it
// reports false and how long until the next one.
func (l *Limiter) Allow(r *http.Request, now time.Time) (bool, time.Duration) {
	client := ClientPrefix(r)
	l.mu.Lock()
	defer l.mu.Unlock()

	l.sweep(now)
	b := l.buckets[client]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[client] = b
	}
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed.Minutes()*l.perMinute)
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
}

// Check reports, without spending, whether the request's client has an
// attempt left, and how long until it has one if not.
func (l *Limiter) Check(r *http.Request, now time.Time) (bool, time.Duration) {
	client := ClientPrefix(r)
	l.mu.Lock()
	defer l.mu.Unlock()

	b := l.buckets[client]
	if b == nil {
		return true, 0
	}
	tokens := math.Min(l.burst, b.tokens+max(now.Sub(b.at), 0).Minutes()*l.perMinute)
	if tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - tokens) / l.perMinute * float64(time.Minute))
}

// sweep forgets, once a minute, the buckets that have filled up again.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	full := time.Duration(l.burst / l.perMinute * float64(time.Minute))
	for k, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, k)
		}
	}
}

// ClientPrefix names the network a request comes from: the IPv4 address,
// or the /64 of an IPv6 address, since one IPv6 host usually holds a whole
// /64. Behind a reverse proxy, RemoteAddr must already name the real
// client.
func ClientPrefix(r *http.Request) netip.Prefix {
	addr, err := netip.ParseAddr(ClientIP(r))
	if err != nil {
		return netip.Prefix{}
	}
	addr = addr.Unmap()
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}

// ClientIP returns the request's client address without the port.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
