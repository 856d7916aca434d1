package securelink

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Limits of the public endpoints per client network. Viewing a page is
// cheap; sending a code or trying one is where guessing would happen.
const (
	pagePerMinute = 30
	formPerMinute = 10
)

// limiter is a token bucket per client network: each may spend burst
// requests at once and gets them back at perMinute.
type limiter struct {
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

func newLimiter(perMinute, burst int) *limiter {
	return &limiter{perMinute: float64(perMinute), burst: float64(burst), buckets: map[netip.Prefix]*bucket{}}
}

// take spends a token of the client and reports how long to wait when none
// is left.
func (l *limiter) take(client netip.Prefix, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()

	if now.Sub(l.lastSweep) > time.Minute {
		l.lastSweep = now
		full := time.Duration(l.burst / l.perMinute * float64(time.Minute))
		for k, b := range l.buckets {
			if now.Sub(b.at) > full {
				delete(l.buckets, k)
			}
		}
	}

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

// clientAddr is the request's client address. Behind a reverse proxy,
// RemoteAddr must already have been set to the real client by trusted
// middleware.
func clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap()
}

// limitKey is what the rate limits count by: an IPv4 address, or the /64
// of an IPv6 address, since one IPv6 host usually holds a whole /64.
func limitKey(r *http.Request) netip.Prefix {
	addr := clientAddr(r)
	if !addr.IsValid() {
		return netip.Prefix{}
	}
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}

// clientNetwork is what the record of a visit keeps of the client: the
// IPv4 /24 or IPv6 /48 it came from, never the address itself.
func clientNetwork(r *http.Request) string {
	addr := clientAddr(r)
	if !addr.IsValid() {
		return ""
	}
	bits := 24
	if addr.Is6() {
		bits = 48
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}
