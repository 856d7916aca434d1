package clientip_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/clientip"
)

func TestParse(t *testing.T) {
	tests := []struct {
		list    string
		want    string
		problem string
	}{
		{"", "", ""},
		{"10.0.0.0/8", "10.0.0.0/8", ""},
		{" 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32", "10.0.0.0/8,192.0.2.7/32,2001:db8::/32", ""},
		{"::1", "::1/128", ""},
		{"10.0.0/8", "", "not a CIDR prefix"},
		{"proxy.local", "", "neither an address"},
		{"10.1.2.3/8", "", "did you mean 10.0.0.0/8"},
		{"0.0.0.0/0", "", "trusts every address"},
		{"::/0", "", "trusts every address"},
	}
	for _, tt := range tests {
		p, err := clientip.Parse(tt.list)
		switch {
		case tt.problem == "" && err != nil:
			t.Errorf("Parse(%q): %v", tt.list, err)
		case tt.problem != "" && (err == nil || !strings.Contains(err.Error(), tt.problem)):
			t.Errorf("Parse(%q) = %v, want an error saying %q", tt.list, err, tt.problem)
		case tt.problem == "" && p.String() != tt.want:
			t.Errorf("Parse(%q) = %s, want %s", tt.list, p, tt.want)
		}
	}
}

func TestProxies_Client(t *testing.T) {
	proxies := clientip.MustParse("10.0.0.0/8, 2001:db8:aa::/48")
	tests := []struct {
		name   string
		peer   string
		header map[string][]string
		want   string
	}{
		{"NoProxyHeadersIgnored", "198.51.100.9:4000", map[string][]string{"X-Forwarded-For": {"203.0.113.5"}, "X-Real-IP": {"203.0.113.6"}}, "198.51.100.9"},
		{"TrustedPeerNoHeaders", "10.0.0.2:4000", nil, "10.0.0.2"},
		{"TrustedPeerForwarded", "10.0.0.2:4000", map[string][]string{"X-Forwarded-For": {"203.0.113.5"}}, "203.0.113.5"},
		// The client wrote its own X-Forwarded-For; the proxy appended
		// the address it saw. The right-most untrusted entry wins.
		{"SpoofedLeftEntriesIgnored", "10.0.0.2:4000", map[string][]string{"X-Forwarded-For": {"1.2.3.4, 203.0.113.5"}}, "203.0.113.5"},
		{"ChainOfProxies", "10.0.0.2:4000", map[string][]string{"X-Forwarded-For": {"203.0.113.5, 10.9.9.9", "10.0.0.3"}}, "203.0.113.5"},
		{"AllHopsTrusted", "10.0.0.2:4000", map[string][]string{"X-Forwarded-For": {"10.1.1.1, 10.0.0.3"}}, "10.1.1.1"},
		{"MalformedHopStopsTheWalk", "10.0.0.2:4000", map[string][]string{"X-Forwarded-For": {"203.0.113.5, unknown, 10.0.0.3"}}, "10.0.0.3"},
		{"HopsWithPorts", "10.0.0.2:4000", map[string][]string{"X-Forwarded-For": {"203.0.113.5:1234, [2001:db8:aa::1]:443"}}, "203.0.113.5"},
		{"RealIPFromTrustedPeer", "10.0.0.2:4000", map[string][]string{"X-Real-IP": {"203.0.113.8"}}, "203.0.113.8"},
		{"ForwardedForBeatsRealIP", "10.0.0.2:4000", map[string][]string{"X-Real-IP": {"203.0.113.8"}, "X-Forwarded-For": {"203.0.113.9"}}, "203.0.113.9"},
		{"BadRealIPKeepsPeer", "10.0.0.2:4000", map[string][]string{"X-Real-IP": {"somewhere"}}, "10.0.0.2"},
		{"IPv6Proxy", "[2001:db8:aa::5]:443", map[string][]string{"X-Forwarded-For": {"2001:db8:bb::7"}}, "2001:db8:bb::7"},
		{"MappedPeer", "[::ffff:10.0.0.2]:4000", map[string][]string{"X-Forwarded-For": {"203.0.113.5"}}, "203.0.113.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for k, vs := range tt.header {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			if got := proxies.Client(r); got.String() != tt.want {
				t.Errorf("Client = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestMiddleware_RewritesRemoteAddrOnlyForTrustedPeers: handlers that
// read RemoteAddr see the real client behind a trusted proxy, and a
// client that forges the headers itself is still seen as itself.
func TestMiddleware_RewritesRemoteAddrOnlyForTrustedPeers(t *testing.T) {
	var seen string
	h := clientip.MustParse("127.0.0.0/8").Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.RemoteAddr
	}))

	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:5555"
	r.Header.Set("X-Forwarded-For", "203.0.113.5")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen != "203.0.113.5:0" {
		t.Errorf("behind the proxy: RemoteAddr = %q, want 203.0.113.5:0", seen)
	}

	r = httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "198.51.100.9:5555"
	r.Header.Set("X-Forwarded-For", "203.0.113.5")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen != "198.51.100.9:5555" {
		t.Errorf("forged header from a stranger: RemoteAddr = %q, want it unchanged", seen)
	}

	// With nobody trusted the middleware is not even installed.
	var none clientip.Proxies
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if got := none.Middleware(next); got == nil {
		t.Fatal("Middleware returned nil")
	}
}

func TestNetwork(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7":           "192.0.2.7/32",
		"2001:db8:1:2:3::9":   "2001:db8:1:2::/64",
		"::ffff:192.0.2.7":    "192.0.2.7/32",
		"not an address at a": "invalid Prefix",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		if got := clientip.Network(clientip.PeerAddr(r)).String(); got != want {
			t.Errorf("Network(%s) = %s, want %s", addr, got, want)
		}
	}
}
