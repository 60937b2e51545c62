//go:build !race

package servicepass_test

import (
	"context"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// TestVerifyAllocs: Verify on the memory store allocates only the call
// record that carries the transition's outcome out of the store's update
// and its method value (issue 22: no pooled struct carries results), once
// warm (the use log at its size, the map grown), also with the window and
// use-log bookkeeping of issue 13. It is built without the race detector
// only, like otp's TestZeroAllocs: the instrumentation allocates.
func TestVerifyAllocs(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, benchDevice, servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	seen := map[string]bool{}
	var codes []string
	for len(codes) < 400 {
		c := f.issue(t, servicepass.Request{DeviceID: benchDevice, Mode: servicepass.DeviceOwner,
			Actions: servicepass.Unlock | servicepass.DisableKiosk, ExpiresAt: t0.Add(time.Hour)}).Code.Reveal()
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	for _, c := range codes[:250] {
		if _, err := v.Verify(context.Background(), c, t0); err != nil {
			t.Fatal(err)
		}
	}
	i := 250
	n := testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(context.Background(), codes[i], t0); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if n > 2 {
		t.Fatalf("Verify allocates %v times per call, want at most 2", n)
	}
}
