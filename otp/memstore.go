package otp

import (
	"context"
	"sync"
)

// MemStore is an in-memory [Store] and [TOTPStore] for tests, demos and
// single-process hosts. It keeps one record per user and one TOTP state
// per subject, in maps guarded by one mutex. Records are never deleted: a
// user's record outlives the PIN (it holds the failure count and the
// issue window).
type MemStore struct {
	mu   sync.Mutex
	recs map[string]PINRecord
	totp map[string]TOTPState
}

var (
	_ Store     = (*MemStore)(nil)
	_ TOTPStore = (*MemStore)(nil)
)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{recs: make(map[string]PINRecord), totp: make(map[string]TOTPState)}
}

// Put saves rec as rec.User's record, replacing any previous one. The
// services never call it; it seeds a store in tests and migrations.
func (m *MemStore) Put(ctx context.Context, rec PINRecord) error {
	if ctx == nil {
		return ErrNilContext
	}
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
	if ctx == nil {
		return ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.recs[user]
	if !ok {
		rec = PINRecord{User: user}
	}
	rec.Digest = append([]byte(nil), rec.Digest...)
	if fn(&rec) {
		rec.User = user
		rec.Digest = append([]byte(nil), rec.Digest...)
		m.recs[user] = rec
	}
	return nil
}

// UpdateTOTP implements [TOTPStore].
func (m *MemStore) UpdateTOTP(ctx context.Context, subject string, fn func(*TOTPState) bool) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.totp[subject]
	if !ok {
		st = TOTPState{Subject: subject}
	}
	if fn(&st) {
		st.Subject = subject
		m.totp[subject] = st
	}
	return nil
}
