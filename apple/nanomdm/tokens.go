package nanomdm

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/apple"
)

// ErrNoToken: no UnlockToken is recorded for the enrollment.
var ErrNoToken = errors.New("nanomdm: no unlock token recorded")

// TokenStore keeps each device's UnlockToken, sealed, with the time it was
// recorded. It holds only sealed bytes; the [Service] seals and opens them.
type TokenStore interface {
	// PutToken records (or replaces) the sealed token of enrollmentID.
	PutToken(ctx context.Context, enrollmentID string, sealed []byte, at time.Time) error
	// Token returns the sealed token and when it was recorded, or
	// ErrNoToken.
	Token(ctx context.Context, enrollmentID string) (sealed []byte, at time.Time, err error)
	// DeleteToken forgets the token; deleting a missing one is not an
	// error.
	DeleteToken(ctx context.Context, enrollmentID string) error
}

// MemTokenStore is an in-memory [TokenStore], for tests and single-process
// hosts. It is safe for concurrent use.
type MemTokenStore struct {
	mu sync.Mutex
	m  map[string]memToken
}

type memToken struct {
	sealed []byte
	at     time.Time
}

var _ TokenStore = (*MemTokenStore)(nil)

// NewMemTokenStore returns an empty MemTokenStore.
func NewMemTokenStore() *MemTokenStore { return &MemTokenStore{m: map[string]memToken{}} }

// PutToken implements TokenStore.
func (s *MemTokenStore) PutToken(_ context.Context, id string, sealed []byte, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = memToken{append([]byte(nil), sealed...), at.UTC()}
	return nil
}

// Token implements TokenStore.
func (s *MemTokenStore) Token(_ context.Context, id string) ([]byte, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[id]
	if !ok {
		return nil, time.Time{}, ErrNoToken
	}
	return append([]byte(nil), t.sealed...), t.at, nil
}

// DeleteToken implements TokenStore.
func (s *MemTokenStore) DeleteToken(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}

// TokenResealer is the optional capability of a [TokenStore] that can
// re-seal the tokens it holds in batches, for [Service.ResealTokens] after a
// sealing key rotation. [MemTokenStore] implements it.
type TokenResealer interface {
	// ResealTokens is an [apple.ResealStep]: it visits at most limit
	// tokens whose enrollment ID sorts after after (byte order), in that
	// order, calls reseal for each, and replaces a token with what reseal
	// returns (when not nil), keeping its time, only if the store still
	// holds the sealed token reseal saw. It returns the last enrollment ID
	// visited, how many tokens it visited and how many it replaced.
	ResealTokens(ctx context.Context, after string, limit int, reseal func(enrollmentID string, sealed []byte) []byte) (last string, visited, replaced int, err error)
}

// ErrNotResealer: [Service.ResealTokens] on a TokenStore that does not
// implement [TokenResealer].
var ErrNotResealer = errors.New("nanomdm: the token store cannot re-seal (no ResealTokens)")

// ResealTokens re-seals every UnlockToken the TokenStore holds that is not
// sealed under the current key of [Config.Sealer] (see
// [apple.Sealer.ResealTokens]), in batches of at most 1,000 tokens, while
// the Service runs; a token a TokenUpdate replaces meanwhile is left as
// the TokenUpdate wrote it. It calls progress (when not nil) after each
// batch and returns the totals. Run it after making a new sealing key
// current in the Sealer and before removing the old one, until Resealed
// is 0 (docs/keys.md). The TokenStore must implement [TokenResealer].
func (s *Service) ResealTokens(ctx context.Context, progress func(apple.ResealProgress)) (apple.ResealProgress, error) {
	if ctx == nil {
		return apple.ResealProgress{}, apple.ErrNilContext
	}
	rs, ok := s.cfg.Tokens.(TokenResealer)
	if !ok {
		return apple.ResealProgress{}, ErrNotResealer
	}
	return s.cfg.Sealer.ResealTokens(ctx, rs.ResealTokens, progress)
}

var _ TokenResealer = (*MemTokenStore)(nil)

// ResealTokens implements [TokenResealer].
func (s *MemTokenStore) ResealTokens(ctx context.Context, after string, limit int, reseal func(enrollmentID string, sealed []byte) []byte) (string, int, int, error) {
	if ctx == nil {
		return after, 0, 0, apple.ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return after, 0, 0, err
	}
	if limit < 1 {
		return after, 0, 0, nil
	}
	type item struct {
		id     string
		sealed []byte
	}
	s.mu.Lock()
	var batch []item
	for id, t := range s.m {
		if id > after {
			batch = append(batch, item{id, bytes.Clone(t.sealed)})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(batch, func(a, b item) int { return strings.Compare(a.id, b.id) })
	batch = batch[:min(limit, len(batch))]
	changed := 0
	for _, it := range batch {
		out := reseal(it.id, it.sealed)
		if out == nil {
			continue
		}
		s.mu.Lock()
		if cur, ok := s.m[it.id]; ok && bytes.Equal(cur.sealed, it.sealed) {
			s.m[it.id] = memToken{bytes.Clone(out), cur.at}
			changed++
		}
		s.mu.Unlock()
	}
	last := after
	if len(batch) > 0 {
		last = batch[len(batch)-1].id
	}
	return last, len(batch), changed, nil
}
