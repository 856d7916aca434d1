package securelink

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/staffbot/staffbot/internal/clientip"
	"github.com/staffbot/staffbot/internal/ratelimit"
)

// Limits of the public endpoints per client network. Viewing a page is
// cheap; sending a code or trying one is where guessing would happen.
const (
	pagePerMinute = 30
	formPerMinute = 10
)

// newLimiter returns a token bucket per client network: each may spend
// burst requests at once and gets them back at perMinute.
func newLimiter(perMinute, burst int) *ratelimit.Limiter {
	return ratelimit.New(perMinute, time.Minute, burst)
}

// limitKey is what the rate limits count by: an IPv4 address, or the /64
// of an IPv6 address, since one IPv6 host usually holds a whole /64.
// Behind trusted reverse proxies the server has already set RemoteAddr to
// the real client (internal/clientip).
func limitKey(r *http.Request) netip.Prefix {
	return clientip.Network(clientip.PeerAddr(r))
}

// clientNetwork is what the record of a visit keeps of the client: the
// IPv4 /24 or IPv6 /48 it came from, never the address itself.
func clientNetwork(r *http.Request) string {
	addr := clientip.PeerAddr(r)
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
