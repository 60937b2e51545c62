// Package mdmcredtest holds what a host's tests share across every mdmcred
// package: [Clock], a fake clock for every service's Now field, and
// [Reader], a seeded io.Reader for a service's Rand field or a generator
// inside a gopter generator. Call [NewClock] first and pass clock.Now to the
// service (servicepass.IssuerConfig, enrollment.Config, passcode.Config,
// otp.PINConfig); move time with [Clock.Advance].
//
// Each domain package has its own test kit next to it
// (servicepass/servicepasstest, enrollment/enrollmenttest,
// passcode/passcodetest, otp/otptest) with gopter generators and the
// conformance suite for its Store; docs/testkit.md documents them together.
//
// Import test kits only from _test.go files: they pull in gopter and
// testing, and a test (deps_test.go) fails if a production package imports
// them.
package mdmcredtest

import (
	"sync"
	"time"
)

// Clock is a fake clock for every service type's Now field: it stands still
// until the test moves it. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading t (in UTC).
func NewClock(t time.Time) *Clock { return &Clock{now: t.UTC()} }

// Now returns the clock's time. Pass the method value (clock.Now) wherever a
// func() time.Time is asked for.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d (backwards when d is negative, to simulate a
// device clock turned back) and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set moves the clock to t (in UTC).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}
