// Package retention is the one mechanism behind every store's purge: it
// deletes in bounded batches, one short store operation at a time, so that
// a purge holds no long lock and can run while traffic runs.
//
// A store provides a step that deletes at most limit eligible rows (one
// statement, or one critical section) and reports how many it deleted;
// [Run] repeats the step until a batch comes back short.
package retention

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Batch is the most rows one step deletes: small enough that a PostgreSQL
// DELETE holds its row locks for milliseconds, large enough that a purge
// of millions of rows takes thousands of round trips, not millions.
const Batch = 1000

// ErrNilContext: a purge was called with a nil context.
var ErrNilContext = errors.New("retention: nil context")

// ErrNilStore: a purge was given a nil store.
var ErrNilStore = errors.New("retention: purge of a nil store")

// Cutoff checks a purge's arguments and returns the moment before which
// it deletes: maxAge before now, or def before now when maxAge is zero.
// store is the caller's store (its interface value), so that a nil one is
// [ErrNilStore] rather than a panic; a negative maxAge is errAge, the
// calling package's own error.
func Cutoff(store any, now time.Time, maxAge, def time.Duration, errAge error) (time.Time, error) {
	switch {
	case store == nil:
		return time.Time{}, ErrNilStore
	case maxAge < 0:
		return time.Time{}, errAge
	case maxAge == 0:
		maxAge = def
	}
	return now.Add(-maxAge), nil
}

// ErrBadCount: a store's step reported a count below zero or above the
// limit it was given, which would make [Run] loop or stop early.
var ErrBadCount = errors.New("retention: step reported an impossible count")

// Run calls step with limit [Batch] until a call deletes fewer than Batch
// rows, ctx is done, or step fails, and returns how many rows the steps
// deleted in all (also when it returns an error).
func Run(ctx context.Context, step func(ctx context.Context, limit int) (int, error)) (int, error) {
	if ctx == nil {
		return 0, ErrNilContext
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := step(ctx, Batch)
		if n < 0 || n > Batch {
			return total, fmt.Errorf("%w: %d of at most %d", ErrBadCount, n, Batch)
		}
		total += n
		if err != nil {
			return total, err
		}
		if n < Batch {
			return total, nil
		}
	}
}
