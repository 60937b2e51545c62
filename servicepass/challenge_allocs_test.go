//go:build !race

package servicepass_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// TestVerifyResponseAllocs: verifying a response allocates only the call
// record of its transition and its method value once the verifier is warm
// (run without the race detector: make unit does).
func TestVerifyResponseAllocs(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, benchDevice, servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	resp := make([]string, 0, 110)
	mono := &monoClock{t: time.Unix(0, 0)}
	for i := 0; i < 110; i++ {
		_, r := respondFor(t, f, v, benchDevice, servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{Clock: mono.now, Rand: &detRand{seed: "allocs"}})
		resp = append(resp, r.Code.Reveal())
	}
	// The same challenge each time (a deterministic source): each run
	// makes it outstanding again, which is measured on its own and taken
	// off.
	rd := bytes.NewReader(challengeBytes)
	opts := servicepass.ChallengeOptions{Clock: mono.now, Rand: rd}
	renew := func() {
		rd.Reset(challengeBytes)
		if _, err := v.NewChallenge(opts); err != nil {
			t.Fatal(err)
		}
	}
	renewAllocs := testing.AllocsPerRun(100, renew)
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.VerifyResponse(context.Background(), resp[i%len(resp)], t0); err != nil {
			t.Fatal(err)
		}
		i++
		renew()
	})
	if allocs-renewAllocs > 2 {
		t.Errorf("VerifyResponse allocates %.1f times", allocs-renewAllocs)
	}
}

// challengeBytes is the first 6 bytes of detRand{seed: "allocs"}.
var challengeBytes = func() []byte {
	b := make([]byte, 6)
	_, _ = (&detRand{seed: "allocs"}).Read(b)
	return b
}()
