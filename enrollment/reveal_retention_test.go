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
