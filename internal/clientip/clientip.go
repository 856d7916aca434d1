// Package clientip finds the address a request really came from when
// staffbot runs behind reverse proxies. Rate limits, sign-in throttling
// and the audit log all read the client from http.Request.RemoteAddr; the
// middleware here rewrites it from X-Forwarded-For or X-Real-IP, but only
// when the connection comes from a proxy the operator listed as trusted.
// Anyone else could write those headers themselves.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies is the set of reverse proxies whose forwarding headers are
// believed. The zero value trusts nobody.
type Proxies struct {
	prefixes []netip.Prefix
}

// Parse reads a comma- or space-separated list of CIDR prefixes
// ("10.0.0.0/8, 2001:db8::/32"); a bare address stands for itself alone.
// A prefix with host bits set, or one that covers every address, is
// refused: the first is usually a typo, the second would let any client
// choose the address it is counted and audited under.
func Parse(list string) (Proxies, error) {
	var p Proxies
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if !strings.Contains(f, "/") {
			addr, err := netip.ParseAddr(f)
			if err != nil {
				return Proxies{}, fmt.Errorf("%q is neither an address nor a CIDR prefix such as 10.0.0.0/8", f)
			}
			addr = addr.Unmap()
			p.prefixes = append(p.prefixes, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		pr, err := netip.ParsePrefix(f)
		if err != nil {
			return Proxies{}, fmt.Errorf("%q is not a CIDR prefix such as 10.0.0.0/8 or 2001:db8::/32", f)
		}
		if pr.Masked() != pr {
			return Proxies{}, fmt.Errorf("%q has bits set past its prefix length; did you mean %s?", f, pr.Masked())
		}
		if pr.Bits() == 0 {
			return Proxies{}, fmt.Errorf("%q trusts every address, so any client could choose its own", f)
		}
		if pr.Addr().Is4In6() {
			pr = netip.PrefixFrom(pr.Addr().Unmap(), pr.Bits()-96)
		}
		p.prefixes = append(p.prefixes, pr)
	}
	return p, nil
}

// MustParse is Parse for lists known to be good, such as those in tests.
func MustParse(list string) Proxies {
	p, err := Parse(list)
	if err != nil {
		panic("clientip: " + err.Error())
	}
	return p
}

// Empty reports whether no proxy is trusted.
func (p Proxies) Empty() bool { return len(p.prefixes) == 0 }

// String lists the prefixes.
func (p Proxies) String() string {
	s := make([]string, len(p.prefixes))
	for i, pr := range p.prefixes {
		s[i] = pr.String()
	}
	return strings.Join(s, ",")
}

func (p Proxies) trusted(a netip.Addr) bool {
	for _, pr := range p.prefixes {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the request's client address. The peer of the connection
// is the client unless it is a trusted proxy; then X-Forwarded-For is read
// from the right, skipping trusted proxies, and the first address that is
// not one is the client (the right-most untrusted address: everything left
// of it was written by a party nobody vouches for). A malformed entry
// stops the walk at the proxy that passed it on. Without X-Forwarded-For,
// X-Real-IP names the client. The result is invalid only when RemoteAddr
// itself is not an address.
func (p Proxies) Client(r *http.Request) netip.Addr {
	peer := PeerAddr(r)
	if !peer.IsValid() || !p.trusted(peer) {
		return peer
	}

	client := peer
	if hops := forwardedFor(r.Header); len(hops) > 0 {
		for i := len(hops) - 1; i >= 0; i-- {
			a, ok := parseHop(hops[i])
			if !ok {
				return client
			}
			client = a
			if !p.trusted(a) {
				return a
			}
		}
		// Every hop is a proxy of ours: the left-most is where the
		// request began.
		return client
	}
	if a, ok := parseHop(r.Header.Get("X-Real-IP")); ok {
		return a
	}
	return peer
}

// Middleware sets RemoteAddr of every request to its client's address, as
// Client finds it, so that handlers reading RemoteAddr see the real
// client. With no trusted proxies it returns next unchanged.
func (p Proxies) Middleware(next http.Handler) http.Handler {
	if p.Empty() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if peer := PeerAddr(r); peer.IsValid() && p.trusted(peer) {
			r.RemoteAddr = netip.AddrPortFrom(p.Client(r), 0).String()
		}
		next.ServeHTTP(w, r)
	})
}

// PeerAddr returns the address in RemoteAddr, unmapped from IPv4-in-IPv6,
// or the invalid address when it holds none.
func PeerAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// Network returns the network a limit counts a client by: an IPv4 address
// alone, or the /64 of an IPv6 address, since one IPv6 host usually holds
// a whole /64. It is the zero prefix for an invalid address.
func Network(a netip.Addr) netip.Prefix {
	if !a.IsValid() {
		return netip.Prefix{}
	}
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// forwardedFor returns the entries of every X-Forwarded-For line, in
// order.
func forwardedFor(h http.Header) []string {
	var out []string
	for _, line := range h.Values("X-Forwarded-For") {
		for _, e := range strings.Split(line, ",") {
			out = append(out, strings.TrimSpace(e))
		}
	}
	return out
}

// parseHop reads one address as proxies write it: "192.0.2.1",
// "192.0.2.1:5000", "2001:db8::1" or "[2001:db8::1]:443".
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), a.Zone() == ""
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), ap.Addr().Zone() == ""
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil && strings.HasPrefix(s, "[") {
		return a.Unmap(), a.Zone() == ""
	}
	return netip.Addr{}, false
}
