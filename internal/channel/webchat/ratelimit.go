package webchat

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// limiter is a token bucket per client address: each address may spend
// burst requests at once and gets them back at rate per minute.
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
	return &limiter{
		perMinute: float64(perMinute),
		burst:     float64(burst),
		buckets:   map[netip.Prefix]*bucket{},
	}
}

// take spends one token of the client and reports how long to wait when
// there is none.
func (l *limiter) take(client netip.Prefix, now time.Time) (bool, time.Duration) {
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
	wait := time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
	return false, wait
}

// sweep forgets, once a minute, the buckets that have filled up again, so
// the map holds only recently active clients.
func (l *limiter) sweep(now time.Time) {
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

// clientPrefix names the client a request comes from: its IPv4 address, or
// the /64 network of an IPv6 address, since one IPv6 host usually holds a
// whole /64. Behind a reverse proxy, RemoteAddr must already have been set
// to the real client by trusted middleware.
func clientPrefix(r *http.Request) netip.Prefix {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
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

// allow spends a token of the request's client, answering 429 with
// Retry-After when none is left.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, l *limiter) bool {
	ok, wait := l.take(clientPrefix(r), s.now())
	if ok {
		return true
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	http.Error(w, "Слишком много запросов, попробуйте через минуту. Too many requests.", http.StatusTooManyRequests)
	return false
}
