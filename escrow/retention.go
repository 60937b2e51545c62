package escrow

import (
	"context"
	"errors"
	"time"

	"github.com/mdmcred/mdmcred/internal/retention"
)

// DefaultPurgeAge is how long [Service.Purge] keeps closed records
// (Failed, Expired, Rotated, Retired) after their last change, and audit
// events, when the caller gives no age: 400 days, a year of audit history
// and a margin for the audit that reviews it.
const DefaultPurgeAge = 400 * 24 * time.Hour

// PurgeResult counts what [Service.Purge] deleted.
type PurgeResult struct {
	Records int // closed records, with their sealed secrets
	Events  int // audit events
}

// Purge deletes closed records last changed more than maxAge before now
// (their sealed secrets with them: such a secret can no longer be
// revealed), then every audit event older than that; zero maxAge means
// [DefaultPurgeAge]. Active and open records are never deleted. It
// works in short store operations (one row, or a batch of at most 1,000
// events, each), so it can run while the Service runs, and returns what it
// deleted also when it stops on an error or a done context. A negative
// maxAge is [ErrRetentionAge].
func (s *Service) Purge(ctx context.Context, now time.Time, maxAge time.Duration) (PurgeResult, error) {
	if ctx == nil {
		return PurgeResult{}, ErrNilContext
	}
	var res PurgeResult
	before, err := retention.Cutoff(s.store, now, maxAge, DefaultPurgeAge, ErrRetentionAge)
	if err != nil {
		return res, err
	}
	if err := ctxErr(ctx); err != nil {
		return res, err
	}
	_, err = retention.Run(ctx, func(ctx context.Context, limit int) (int, error) {
		keys, err := s.store.ClosedBefore(ctx, before, limit)
		if err != nil {
			return 0, err
		}
		for _, k := range keys {
			n := 0
			_, err := s.mutate(ctx, s.byKey(k), nil, func(e *entry, _ time.Time) decision {
				keep := e.Records[:0:0]
				for _, r := range e.Records {
					if !(r.State.Closed() && r.UpdatedAt.Before(before)) {
						keep = append(keep, r)
					}
				}
				n = len(e.Records) - len(keep)
				e.Records = keep
				return decision{write: n > 0}
			})
			if err != nil && !errors.Is(err, ErrNotFound) {
				return len(keys), err
			}
			res.Records += n
		}
		return len(keys), nil
	})
	if err != nil {
		return res, err
	}
	res.Events, err = retention.Run(ctx, func(ctx context.Context, limit int) (int, error) {
		return s.store.PurgeEvents(ctx, before, limit)
	})
	return res, err
}
