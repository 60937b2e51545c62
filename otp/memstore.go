package otp

import (
	"context"
	"sync"
)

// MemStore is an in-memory [Store] for tests, demos and single-process
// hosts. Expired records stay until the user's next Verify or Issue.
type MemStore struct {
	mu   sync.Mutex
	recs map[string]PINRecord
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{recs: make(map[string]PINRecord)}
}

// Put implements [Store].
func (m *MemStore) Put(ctx context.Context, rec PINRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rec.Digest = append([]byte(nil), rec.Digest...)
	m.mu.Lock()
	m.recs[rec.User] = rec
	m.mu.Unlock()
	return nil
}

// Update implements [Store].
func (m *MemStore) Update(ctx context.Context, user string, fn func(*PINRecord) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.recs[user]
	if !ok {
		return ErrPINNotFound
	}
	rec.Digest = append([]byte(nil), rec.Digest...)
	if fn(&rec) {
		delete(m.recs, user)
		return nil
	}
	rec.User = user
	m.recs[user] = rec
	return nil
}
