package seal

import (
	"context"
	"errors"
	"fmt"

	"github.com/mdmcred/mdmcred/internal/retention"
)

// Progress counts what a re-seal ([Sealer.ResealAll]) did so far.
type Progress struct {
	// Visited is how many sealed values were read.
	Visited int
	// Resealed is how many were re-sealed and written back.
	Resealed int
	// Failed is how many did not open (a key no longer in the set, a value
	// bound to other associated data, format 1 in FIPS mode): they are left
	// as they are; Open refuses them alike.
	Failed int
}

// Step is one batch of a store's re-seal: it reads at most limit store
// entries (rows, records) that hold sealed values and whose key sorts after
// after, in key order; for each sealed value it calls fn with the value and
// its associated data, and when fn returns a new value (not nil) it
// replaces the sealed value with it in one atomic operation that applies
// only if the entry still holds the value fn saw (or, for an entry that
// holds several values, that the entry did not change since it was read).
// It reports what it did in a [Batch]. fn is called once per value a
// batch visits: a step that reads an entry again (after losing a
// compare-and-swap) reuses the results it already has for the values it
// sees again, so that [Progress] counts each value once.
type Step func(ctx context.Context, after string, limit int, fn func(sealed, ad []byte) []byte) (Batch, error)

// Batch is what one [Step] did.
type Batch struct {
	// Last is the key of the last entry read (after when none was).
	Last string
	// Read is how many store entries the step read, at most its limit; a
	// batch that reads fewer ends the re-seal.
	Read int
	// Visited is how many sealed values the entries held (one per entry
	// for a store that keeps one value per entry, as passcode resets).
	Visited int
	// Replaced is how many of them were re-sealed and written back.
	Replaced int
}

// ErrBadStep: a store's step reported counts outside their bounds (Read
// in 0..limit, Replaced in 0..Visited), or a last key that does not move
// forward, which would make ResealAll loop or stop early.
var ErrBadStep = errors.New("seal: re-seal step reported an impossible batch")

// ResealAll re-seals, batch by batch (retention.Batch entries per store
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
		b, err := step(ctx, after, retention.Batch, fn)
		if b.Read < 0 || b.Read > retention.Batch || b.Visited < 0 || b.Replaced < 0 || b.Replaced > b.Visited || (b.Read > 0 && b.Last <= after) {
			return p, fmt.Errorf("%w: %d read, %d visited, %d replaced, last key after %q", ErrBadStep, b.Read, b.Visited, b.Replaced, after)
		}
		p.Visited += b.Visited
		p.Resealed += b.Replaced
		if progress != nil {
			progress(p)
		}
		if err != nil {
			return p, err
		}
		if b.Read < retention.Batch {
			return p, nil
		}
		after = b.Last
	}
}

// OnePerEntry makes the [Batch] of a store that keeps one sealed value per
// entry (a passcode reset, an enrollment record, an UnlockToken) from what
// its step returns: the last key, entries visited and replaced. Call it as
// seal.OnePerEntry(store.ResealX(ctx, after, limit, ...)).
func OnePerEntry(last string, visited, replaced int, err error) (Batch, error) {
	return Batch{Last: last, Read: visited, Visited: visited, Replaced: replaced}, err
}
