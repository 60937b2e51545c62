package otp

import (
	"bytes"
	"context"
	"sync"

	"github.com/mdmcred/mdmcred/internal/cas"
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
	defer m.mu.Unlock()
	rev, err := cas.NextRev(m.recs[rec.User].Rev) // a new revision: no cached one matches
	if err != nil {
		return err
	}
	rec.Rev = rev
	m.recs[rec.User] = rec
	return nil
}

// Load implements [Store].
func (m *MemStore) Load(ctx context.Context, user string) (PINRecord, error) {
	if err := memCtx(ctx); err != nil {
		return PINRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.recs[user]
	if !ok {
		return PINRecord{User: user}, nil
	}
	rec.Digest = bytes.Clone(rec.Digest)
	return rec, nil
}

// Write implements [Store].
func (m *MemStore) Write(ctx context.Context, rec PINRecord, prev uint64) error {
	if err := memCtx(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs[rec.User].Rev != prev {
		return ErrConflict
	}
	rec.Digest = bytes.Clone(rec.Digest)
	m.recs[rec.User] = rec
	return nil
}

// LoadTOTP implements [TOTPStore].
func (m *MemStore) LoadTOTP(ctx context.Context, subject string) (TOTPState, error) {
	if err := memCtx(ctx); err != nil {
		return TOTPState{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.totp[subject]
	if !ok {
		return TOTPState{Subject: subject}, nil
	}
	return st, nil
}

// WriteTOTP implements [TOTPStore].
func (m *MemStore) WriteTOTP(ctx context.Context, st TOTPState, prev uint64) error {
	if err := memCtx(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.totp[st.Subject].Rev != prev {
		return ErrConflict
	}
	m.totp[st.Subject] = st
	return nil
}

func memCtx(ctx context.Context) error {
	if ctx == nil {
		return ErrNilContext
	}
	return ctx.Err()
}
