package otp

import (
	"bytes"
	"crypto/fips140"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// modeAlgs and modeMinLen are the algorithms and the shortest secret the
// mode accepts: FIPS 140-3 mode refuses SHA1 and secrets under
// FIPSMinSecretLen.
func modeAlgs() []Algorithm {
	if fips140.Enabled() {
		return []Algorithm{SHA256, SHA512}
	}
	return []Algorithm{SHA1, SHA256, SHA512}
}

func modeMinLen() int {
	if fips140.Enabled() {
		return FIPSMinSecretLen
	}
	return MinSecretLen
}

// TestFastPathInUse: outside FIPS mode keys use the prepared-state path; in
// FIPS mode every HMAC goes through crypto/hmac (the validated module).
func TestFastPathInUse(t *testing.T) {
	for _, a := range modeAlgs() {
		k, err := NewKey(make([]byte, 20), Params{Algorithm: a})
		if err != nil {
			t.Fatal(err)
		}
		if k.fast == fips140.Enabled() {
			t.Errorf("%v: fast = %v in FIPS mode %v", a, k.fast, fips140.Enabled())
		}
	}
}

// TestPropertyFastEqualsStd checks the prepared-state HMAC against the
// crypto/hmac fallback for any key (including keys longer than a block)
// and counter, so both paths are known to give the RFC's codes.
func TestPropertyFastEqualsStd(t *testing.T) {
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	p.Property("fast path == crypto/hmac", prop.ForAll(
		func(secret []byte, counter uint64, alg int) bool {
			algs := modeAlgs()
			k, err := NewKey(secret, Params{Algorithm: algs[alg%len(algs)]})
			if err != nil {
				return false
			}
			var a, b [64]byte
			k.fast = true // also in FIPS mode, to compare the two paths
			fast := k.mac(counter, &a)
			k.fast = false
			std := k.mac(counter, &b)
			return bytes.Equal(fast, std) && len(fast) == k.alg.Size()
		},
		gen.SliceOfN(200, gen.UInt8()).Map(func(b []byte) []byte { return b[:modeMinLen()+int(b[0])%(200-modeMinLen())] }),
		gen.UInt64(),
		gen.IntRange(0, 2),
	))
	p.TestingRun(t)
}

// TestFastPathEveryKeyLength compares the prepared-state HMAC with
// crypto/hmac for every accepted key length (around both block sizes, and
// the hashed long-key path up to MaxSecretLen) and counters at the edges,
// for each algorithm: the once-per-algorithm check in NewKey stands for
// all of them.
func TestFastPathEveryKeyLength(t *testing.T) {
	counters := []uint64{0, 1, 1<<32 - 1, 1 << 32, 1<<63 - 1, 1 << 63, ^uint64(0)}
	for _, a := range modeAlgs() {
		for n := modeMinLen(); n <= MaxSecretLen; n++ {
			secret := make([]byte, n)
			for i := range secret {
				secret[i] = byte(n*7 + i*13)
			}
			k, err := NewKey(secret, Params{Algorithm: a})
			if err != nil {
				t.Fatal(err)
			}
			k.fast = true // also in FIPS mode, to compare the two paths
			for _, c := range counters {
				var f, s [64]byte
				fast := k.mac(c, &f)
				std := k.macStd(c, &s)
				if !bytes.Equal(fast, std) || len(fast) != a.Size() {
					t.Fatalf("%v key of %d bytes, counter %d: fast %x, crypto/hmac %x", a, n, c, fast, std)
				}
			}
		}
	}
}
