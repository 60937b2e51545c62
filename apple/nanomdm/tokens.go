package nanomdm

import (
	"context"
	"errors"
	"sync"
	"time"
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
