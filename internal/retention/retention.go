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
)

// Batch is the most rows one step deletes: small enough that a PostgreSQL
// DELETE holds its row locks for milliseconds, large enough that a purge
// of millions of rows takes thousands of round trips, not millions.
const Batch = 1000

// ErrNilContext: a purge was called with a nil context.
var ErrNilContext = errors.New("retention: nil context")

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
