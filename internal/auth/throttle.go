package auth

import (
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/staffbot/staffbot/internal/clientip"
	"github.com/staffbot/staffbot/internal/ratelimit"
)

// Limiter is a token bucket per client network: each may spend burst
// attempts at once and gets perMinute back every minute. It guards the
// public endpoints (sign-in, second factor, API token checks) against
// guessing from one address, before any password is checked; the
// database-backed counters of Throttling decide the locks. State is kept
// in memory, per process.
type Limiter struct {
	l *ratelimit.Limiter
}

// NewLimiter returns a limiter allowing burst attempts at once and
// perMinute a minute after that.
func NewLimiter(perMinute, burst int) *Limiter {
	return &Limiter{l: ratelimit.New(perMinute, time.Minute, burst)}
}

// Allow spends one attempt of the request's client. When none is left it
// reports false and how long until the next one.
func (l *Limiter) Allow(r *http.Request, now time.Time) (bool, time.Duration) {
	return l.l.Allow(ClientPrefix(r), now)
}

// Check reports, without spending, whether the request's client has an
// attempt left, and how long until it has one if not.
func (l *Limiter) Check(r *http.Request, now time.Time) (bool, time.Duration) {
	return l.l.Check(ClientPrefix(r), now)
}

// ClientPrefix names the network a request comes from: the IPv4 address,
// or the /64 of an IPv6 address, since one IPv6 host usually holds a whole
// /64. Behind trusted reverse proxies the server has already set
// RemoteAddr to the real client (internal/clientip).
func ClientPrefix(r *http.Request) netip.Prefix {
	return clientip.Network(clientip.PeerAddr(r))
}

// ClientIP returns the request's client address without the port.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
