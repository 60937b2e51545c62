package passcode

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// MemStore is an in-memory [Store] for tests and single-process hosts. The
// zero value is not ready; use [NewMemStore]. It is safe for concurrent use.
type MemStore struct {
	mu       sync.Mutex
	resets   map[string]*Reset
	open     map[string]string // OpenDevice -> reset ID
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

// errRev is Write's refusal of a reset whose Rev is not prev+1: a
// caller's mistake, not a conflict.
var errRev = errors.New("passcode: Store.Write: r.Rev must be prev+1")

// errForeignEvent is Write's refusal of an event of another reset or
// device: a caller's mistake, not a conflict.
var errForeignEvent = errors.New("passcode: Store.Write: an event's ResetID and DeviceID must be r's")

// Write implements [Store].
func (m *MemStore) Write(ctx context.Context, r Reset, prev uint64, events []Event) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.Rev != prev+1 {
		return errRev
	}
	for _, ev := range events {
		if ev.ResetID != r.ID || ev.DeviceID != r.DeviceID {
			return errForeignEvent
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.resets[r.ID]
	switch {
	case prev == 0 && ok, prev != 0 && (!ok || cur.Rev != prev):
		return ErrConflict
	}
	if r.OpenDevice != "" {
		if holder, taken := m.open[r.OpenDevice]; taken && holder != r.ID {
			return ErrConflict
		}
	}
	if ok && cur.OpenDevice != "" && m.open[cur.OpenDevice] == r.ID {
		delete(m.open, cur.OpenDevice)
	}
	c := copyReset(r)
	m.resets[r.ID] = &c
	if r.OpenDevice != "" {
		m.open[r.OpenDevice] = r.ID
	}
	for _, ev := range events {
		m.appendLocked(ev)
	}
	return nil
}

// Load implements [Store].
func (m *MemStore) Load(ctx context.Context, id string) (Reset, error) {
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
