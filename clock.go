package staffbot

import (
	"sync"
	"time"
)

// Clock tells the time. Production code uses SystemClock; tests use a
// ManualClock so that a step scheduled days ahead can be reached at once.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// ManualClock is a clock that moves only when told to.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// ScaledClock runs speed times faster than the wall clock from the moment
// it is made; the demo uses it to let weeks of onboarding pass in minutes.
type ScaledClock struct {
	start time.Time
	speed float64
}

// NewScaledClock returns a clock that starts now and runs speed times as
// fast as real time.
func NewScaledClock(speed float64) *ScaledClock {
	return &ScaledClock{start: time.Now(), speed: speed}
}

// Now returns the scaled time.
func (c *ScaledClock) Now() time.Time {
	elapsed := time.Since(c.start)
	return c.start.Add(time.Duration(float64(elapsed) * c.speed))
}
