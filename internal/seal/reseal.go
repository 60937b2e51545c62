package seal

import (
	"context"
	"errors"
	"fmt"

	"github.com/mdmcred/mdmcred/internal/retention"
)

// Progress counts what a re-seal ([Sealer.ResealAll]) did so far.
type Progress struct {
	// Visited is how many records holding a sealed value were read.
	Visited int
	// Resealed is how many were re-sealed and written back.
	Resealed int
	// Failed is how many did not open (a key no longer in the set, a value
	// bound to other associated data, format 1 in FIPS mode): they are left
	// as they are; Open refuses them alike.
	Failed int
}

// Step is one batch of a store's re-seal: it visits at most limit records
// that hold a sealed value and whose key sorts after after, in key order;
// for each it calls fn with the sealed value and the record's associated
// data, and when fn returns a new value (not nil) it replaces the sealed
// value with it in one atomic operation that applies only if the record
// still holds the value fn saw. It returns the last key visited, how many
// records it visited and how many it replaced.
type Step func(ctx context.Context, after string, limit int, fn func(sealed, ad []byte) []byte) (last string, visited, replaced int, err error)

// ErrBadStep: a store's step reported counts outside 0..limit, or a last
// key that does not move forward, which would make ResealAll loop or stop
// early.
var ErrBadStep = errors.New("seal: re-seal step reported an impossible batch")

// ResealAll re-seals, batch by batch (retention.Batch records per store
// operation, as the purges do), every value step visits that is not in
// the current format under the current key ([Sealer.NeedsReseal]), with
// [Sealer.Reseal]. It calls progress (when not nil) after each batch and
// returns the totals, also when it stops on an error or a done context.
func (s *Sealer) ResealAll(ctx context.Context, step Step, progress func(Progress)) (Progress, error) {
	var p Progress
	if ctx == nil {
		return p, retention.ErrNilContext
	}
	if step == nil {
		return p, retention.ErrNilStore
	}
	fn := func(sealed, ad []byte) []byte {
		if !s.NeedsReseal(sealed) {
			return nil
		}
		out, err := s.Reseal(sealed, ad)
		if err != nil {
			p.Failed++
			return nil
		}
		return out
	}
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		last, visited, replaced, err := step(ctx, after, retention.Batch, fn)
		if visited < 0 || visited > retention.Batch || replaced < 0 || replaced > visited || (visited > 0 && last <= after) {
			return p, fmt.Errorf("%w: %d visited, %d replaced, last key after %q", ErrBadStep, visited, replaced, after)
		}
		p.Visited += visited
		p.Resealed += replaced
		if progress != nil {
			progress(p)
		}
		if err != nil {
			return p, err
		}
		if visited < retention.Batch {
			return p, nil
		}
		after = last
	}
}
