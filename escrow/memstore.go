package escrow

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemStore is an in-memory [Store] for tests and single-process hosts. The
// zero value is not ready; use [NewMemStore]. It is safe for concurrent use.
type MemStore struct {
	mu        sync.Mutex
	rows      map[Key]*Row
	byRecord  map[string]Key
	byCommand map[string]Key
	events    []Event
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{rows: map[Key]*Row{}, byRecord: map[string]Key{}, byCommand: map[string]Key{}}
}

func copyRow(r Row) Row {
	r.Data = bytes.Clone(r.Data)
	r.RecordIDs = slices.Clone(r.RecordIDs)
	r.CommandIDs = slices.Clone(r.CommandIDs)
	return r
}

// Load implements [Store].
func (m *MemStore) Load(ctx context.Context, k Key) (Row, error) {
	if err := ctxErr(ctx); err != nil {
		return Row{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rowLocked(k, true)
}

func (m *MemStore) rowLocked(k Key, ok bool) (Row, error) {
	r, found := m.rows[k]
	if !ok || !found {
		return Row{}, ErrNotFound
	}
	return copyRow(*r), nil
}

// ByRecord implements [Store].
func (m *MemStore) ByRecord(ctx context.Context, id string) (Row, error) {
	if err := ctxErr(ctx); err != nil {
		return Row{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.byRecord[id]
	return m.rowLocked(k, ok)
}

// ByCommand implements [Store].
func (m *MemStore) ByCommand(ctx context.Context, commandID string) (Row, error) {
	if err := ctxErr(ctx); err != nil {
		return Row{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.byCommand[commandID]
	return m.rowLocked(k, ok)
}

// Write implements [Store].
func (m *MemStore) Write(ctx context.Context, row Row, prev uint64, events []Event) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if row.Rev != prev+1 {
		return errors.New("escrow: MemStore.Write: row.Rev must be prev+1")
	}
	k := Key{row.DeviceID, row.Kind}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, exists := m.rows[k]
	switch {
	case prev == 0 && exists, prev != 0 && (!exists || old.Rev != prev):
		return ErrConflict
	case prev == 0 && row.Data == nil:
		return ErrConflict // nothing to delete
	}
	if exists {
		for _, id := range old.RecordIDs {
			delete(m.byRecord, id)
		}
		for _, id := range old.CommandIDs {
			delete(m.byCommand, id)
		}
	}
	if row.Data == nil {
		delete(m.rows, k)
	} else {
		c := copyRow(row)
		m.rows[k] = &c
		for _, id := range row.RecordIDs {
			m.byRecord[id] = k
		}
		for _, id := range row.CommandIDs {
			m.byCommand[id] = k
		}
	}
	m.events = append(m.events, events...)
	return nil
}

// Due implements [Store].
func (m *MemStore) Due(ctx context.Context, now time.Time, limit int) ([]Key, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	return m.pick(ctx, limit, func(r *Row) (time.Time, bool) {
		return r.DueAt, !r.DueAt.IsZero() && !r.DueAt.After(now)
	})
}

// ClosedBefore implements [Store].
func (m *MemStore) ClosedBefore(ctx context.Context, before time.Time, limit int) ([]Key, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	return m.pick(ctx, limit, func(r *Row) (time.Time, bool) {
		return r.ClosedAt, !r.ClosedAt.IsZero() && r.ClosedAt.Before(before)
	})
}

func (m *MemStore) pick(ctx context.Context, limit int, match func(*Row) (time.Time, bool)) ([]Key, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	type hit struct {
		k  Key
		at time.Time
	}
	var hits []hit
	m.mu.Lock()
	for k, r := range m.rows {
		if at, ok := match(r); ok {
			hits = append(hits, hit{k, at})
		}
	}
	m.mu.Unlock()
	slices.SortFunc(hits, func(a, b hit) int { return a.at.Compare(b.at) })
	if limit < 0 {
		limit = 0
	}
	out := make([]Key, 0, min(limit, len(hits)))
	for _, h := range hits {
		if len(out) == limit {
			break
		}
		out = append(out, h.k)
	}
	return out, nil
}

// Events implements [Store].
func (m *MemStore) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Event{}
	for _, e := range m.events {
		if (q.RecordID != "" && e.RecordID == q.RecordID) || (q.RecordID == "" && e.DeviceID == q.DeviceID) {
			out = append(out, e)
		}
	}
	return out, nil
}

// PurgeEvents implements [Store]: it deletes the oldest-written eligible
// events first.
func (m *MemStore) PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	m.events = slices.DeleteFunc(m.events, func(e Event) bool {
		if n < limit && e.At.Before(before) {
			n++
			return true
		}
		return false
	})
	return n, nil
}

// Rows implements [Store].
func (m *MemStore) Rows(ctx context.Context, after Key, limit int) ([]Row, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	var keys []Key
	for k := range m.rows {
		if keyCompare(k, after) > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, keyCompare)
	out := []Row{}
	for _, k := range keys[:min(max(limit, 0), len(keys))] {
		out = append(out, copyRow(*m.rows[k]))
	}
	m.mu.Unlock()
	return out, nil
}

// keyCompare orders keys by DeviceID, then Kind, byte by byte.
func keyCompare(a, b Key) int {
	if c := strings.Compare(a.DeviceID, b.DeviceID); c != 0 {
		return c
	}
	return strings.Compare(a.Kind, b.Kind)
}

// ctxErr is ctx.Err() that treats a nil context as an error rather than a
// panic.
func ctxErr(ctx context.Context) error {
	if ctx == nil {
		return ErrNilContext
	}
	return ctx.Err()
}
