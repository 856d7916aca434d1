package ratelimit_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/staffbot/staffbot/internal/ratelimit"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestLimiter_BurstThenRate(t *testing.T) {
	l := ratelimit.New(10, time.Minute, 3)
	a := netip.MustParsePrefix("192.0.2.1/32")
	b := netip.MustParsePrefix("192.0.2.2/32")

	for i := range 3 {
		if ok, _ := l.Allow(a, t0); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow(a, t0)
	if ok || wait != 6*time.Second {
		t.Fatalf("fourth request: ok %v, wait %s; want refused for 6s", ok, wait)
	}
	if ok, _ := l.Check(a, t0.Add(5*time.Second)); ok {
		t.Error("Check 5s later: a token already")
	}
	if ok, _ := l.Allow(b, t0); !ok {
		t.Error("another client was refused")
	}
	if ok, _ := l.Allow(a, t0.Add(6*time.Second)); !ok {
		t.Error("6s later: still refused")
	}
	if ok, _ := l.Allow(a, t0.Add(6*time.Second)); ok {
		t.Error("6s later: two tokens came back, want one")
	}
	// Check spends nothing.
	for range 10 {
		l.Check(b, t0)
	}
	for i := range 2 {
		if ok, _ := l.Allow(b, t0); !ok {
			t.Errorf("b's token %d was spent by Check", i+2)
		}
	}
}
