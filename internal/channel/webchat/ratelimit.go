package webchat

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/staffbot/staffbot/internal/clientip"
	"github.com/staffbot/staffbot/internal/ratelimit"
)

// newLimiter returns a token bucket per client network: each may spend
// burst requests at once and gets them back at perMinute.
func newLimiter(perMinute, burst int) *ratelimit.Limiter {
	return ratelimit.New(perMinute, time.Minute, burst)
}

// clientPrefix names the client a request comes from: its IPv4 address, or
// the /64 network of an IPv6 address, since one IPv6 host usually holds a
// whole /64. Behind trusted reverse proxies the server has already set
// RemoteAddr to the real client (internal/clientip).
func clientPrefix(r *http.Request) netip.Prefix {
	return clientip.Network(clientip.PeerAddr(r))
}

// allow spends a token of the request's client, answering 429 with
// Retry-After when none is left.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, l *ratelimit.Limiter) bool {
	ok, wait := l.Allow(clientPrefix(r), s.now())
	if ok {
		return true
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	http.Error(w, "Слишком много запросов, попробуйте через минуту. Too many requests.", http.StatusTooManyRequests)
	return false
}
