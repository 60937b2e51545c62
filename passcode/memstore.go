package passcode

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"time"
)

// MemStore is an in-memory [Store] for tests and single-process hosts. The
// zero value is not ready; use [NewMemStore]. It is safe for concurrent use.
type MemStore struct {
	mu       sync.Mutex
	resets   map[string]*Reset
	open     map[string]string // device ID -> open reset ID
	byReset  map[string][]int
	byDevice map[string][]int
	events   []Event
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{
		resets:   make(map[string]*Reset),
		open:     make(map[string]string),
		byReset:  make(map[string][]int),
		byDevice: make(map[string][]int),
	}
}

func copyReset(r Reset) Reset {
	r.Sealed = bytes.Clone(r.Sealed)
	return r
}

func (m *MemStore) appendLocked(ev Event) {
	m.events = append(m.events, ev)
	i := len(m.events) - 1
	m.byReset[ev.ResetID] = append(m.byReset[ev.ResetID], i)
	m.byDevice[ev.DeviceID] = append(m.byDevice[ev.DeviceID], i)
}

// Create implements [Store].
func (m *MemStore) Create(ctx context.Context, r Reset, ev Event) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.resets[r.ID]; ok {
		return ErrDuplicateID
	}
	if _, ok := m.open[r.DeviceID]; ok && r.State.Open() {
		return ErrResetInProgress
	}
	c := copyReset(r)
	m.resets[r.ID] = &c
	if r.State.Open() {
		m.open[r.DeviceID] = r.ID
	}
	m.appendLocked(ev)
	return nil
}

// Get implements [Store].
func (m *MemStore) Get(ctx context.Context, id string) (Reset, error) {
	if ctx == nil {
		return Reset{}, ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return Reset{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.resets[id]
	if !ok {
		return Reset{}, ErrNotFound
	}
	return copyReset(*r), nil
}

// Open implements [Store].
func (m *MemStore) Open(ctx context.Context, deviceID string) (Reset, error) {
	if ctx == nil {
		return Reset{}, ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return Reset{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.open[deviceID]
	if !ok {
		return Reset{}, ErrNotFound
	}
	return copyReset(*m.resets[id]), nil
}

// Transition implements [Store].
func (m *MemStore) Transition(ctx context.Context, id string, from, to State, at time.Time, ev Event) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !CanTransition(from, to) {
		return &TransitionError{From: from, To: to}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.resets[id]
	if !ok {
		return ErrNotFound
	}
	if r.State != from {
		return ErrStateChanged
	}
	r.State = to
	r.UpdatedAt = at
	if !to.Open() && m.open[r.DeviceID] == id {
		delete(m.open, r.DeviceID)
	}
	m.appendLocked(ev)
	return nil
}

// Append implements [Store].
func (m *MemStore) Append(ctx context.Context, ev Event) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.resets[ev.ResetID]; !ok {
		return ErrNotFound
	}
	m.appendLocked(ev)
	return nil
}

// Events implements [Store].
func (m *MemStore) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	idx := m.byDevice[q.DeviceID]
	if q.ResetID != "" {
		idx = m.byReset[q.ResetID]
	}
	out := make([]Event, 0, len(idx))
	for _, i := range idx {
		out = append(out, m.events[i])
	}
	return out, nil
}

// Stale implements [Store].
func (m *MemStore) Stale(ctx context.Context, now time.Time, limit int) ([]Reset, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	var out []Reset
	for _, id := range m.open {
		if r := m.resets[id]; !r.StaleAt.After(now) {
			out = append(out, copyReset(*r))
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Reset) int { return a.StaleAt.Compare(b.StaleAt) })
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
