package enrollment_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
)

// TestRevealForAppliesToOlderCopies: Config.RevealFor is "how long after
// generation the sealed copy can be opened"; a host that shortens it (or
// sets one where there was none) expects it to hold for passcodes sealed
// before, not only for new ones.
func TestRevealForAppliesToOlderCopies(t *testing.T) {
	ctx := context.Background()
	keys := enrollment.NewKeys(map[uint8][]byte{1: pepper(5)})
	unlimited := newFixture(t, func(c *enrollment.Config) { c.SealKeys, c.SealKeyID = keys, 1 })
	unlimited.generate(t, "site")

	limited := newFixture(t, func(c *enrollment.Config) {
		c.Store, c.SealKeys, c.SealKeyID, c.RevealFor = unlimited.store, keys, 1, time.Hour
		c.Now = unlimited.clock.Now
	})
	if _, err := limited.svc.Reveal(ctx, "site", "v@example.com"); err != nil {
		t.Fatalf("Reveal within RevealFor: %v", err)
	}
	unlimited.clock.Advance(time.Hour + time.Second)
	if p, err := limited.svc.Reveal(ctx, "site", "v@example.com"); !errors.Is(err, enrollment.ErrNoReveal) {
		t.Fatalf("Reveal %v after RevealFor = %v, %v; want ErrNoReveal", time.Hour+time.Second, p, err)
	}
}

// TestRevealForIsSealedIntoTheCopy: with no RevealFor a copy opens for as
// long as the passcode exists; one sealed under a RevealFor keeps that
// limit even for a service configured without one.
func TestRevealForIsSealedIntoTheCopy(t *testing.T) {
	ctx := context.Background()
	keys := enrollment.NewKeys(map[uint8][]byte{1: pepper(5)})
	unlimited := newFixture(t, func(c *enrollment.Config) { c.SealKeys, c.SealKeyID = keys, 1 })
	unlimited.generate(t, "forever")
	unlimited.clock.Advance(30 * 24 * time.Hour)
	if _, err := unlimited.svc.Reveal(ctx, "forever", "v@example.com"); err != nil {
		t.Fatalf("Reveal 30 days on without RevealFor: %v", err)
	}

	limited := newFixture(t, func(c *enrollment.Config) {
		c.Store, c.SealKeys, c.SealKeyID, c.RevealFor = unlimited.store, keys, 1, time.Hour
		c.Now = unlimited.clock.Now
	})
	limited.generate(t, "hour")
	unlimited.clock.Advance(time.Hour + time.Second)
	if p, err := unlimited.svc.Reveal(ctx, "hour", "v@example.com"); !errors.Is(err, enrollment.ErrNoReveal) {
		t.Fatalf("Reveal past the sealed RevealFor by a service without one = %v, %v; want ErrNoReveal", p, err)
	}
}
