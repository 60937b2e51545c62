package mdmcredtest

import (
	"io"
	"math/rand"
)

// Reader returns an io.Reader of pseudo-random bytes drawn from rng, for a
// service's Rand field or a generator inside a gopter generator (pass
// gopter's GenParameters.Rng), so a failing case replays from its seed. It
// never fails. Never use it outside tests: it is predictable by design.
func Reader(rng *rand.Rand) io.Reader { return &rngReader{rng: rng} }

type rngReader struct{ rng *rand.Rand }

func (r *rngReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(r.rng.Uint32())
	}
	return len(b), nil
}
