package enrollment

import (
	"bytes"
	"context"
	"sync"
	"time"
)

// MemStoreEvents is how many audit events a [MemStore] keeps per site; older
// ones are dropped.
const MemStoreEvents = 1024

// MemStore is an in-memory [Store] for tests and single-process hosts. Its
// state is lost when the process exits. It keeps the most recent
// [MemStoreEvents] events per site. The zero value is not usable; call
// [NewMemStore].
type MemStore struct {
	mu     sync.Mutex
	recs   map[string]*Record
	index  map[string]string // string(digest) -> site
	events map[string]*eventRing
}

// eventRing keeps the most recent MemStoreEvents events in a buffer
// allocated once per site.
type eventRing struct {
	buf  []Event
	next int // where the next event goes once buf is full
}

func (r *eventRing) add(e Event) {
	if len(r.buf) < MemStoreEvents {
		if r.buf == nil {
			r.buf = make([]Event, 0, MemStoreEvents)
		}
		r.buf = append(r.buf, e)
		return
	}
	r.buf[r.next] = e
	r.next = (r.next + 1) % MemStoreEvents
}

func (r *eventRing) ordered() []Event {
	out := make([]Event, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{
		recs:   make(map[string]*Record),
		index:  make(map[string]string),
		events: make(map[string]*eventRing),
	}
}

// Put implements [Store.Put].
func (m *MemStore) Put(ctx context.Context, rec Record) error {
	if ctx == nil {
		return ErrNilContext
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if other, ok := m.index[string(rec.Digest)]; ok && other != rec.Site {
		return ErrDuplicate
	}
	rec = rec.clone()
	rec.Version = 1
	if old, ok := m.recs[rec.Site]; ok {
		delete(m.index, string(old.Digest))
		rec.Version = old.Version + 1
	}
	m.recs[rec.Site] = &rec
	m.index[string(rec.Digest)] = rec.Site
	return nil
}

// Get implements [Store.Get].
func (m *MemStore) Get(ctx context.Context, site string) (Record, error) {
	if ctx == nil {
		return Record{}, ErrNilContext
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[site]
	if !ok {
		return Record{}, ErrNoPasscode
	}
	return r.clone(), nil
}

// Lookup implements [Store.Lookup].
func (m *MemStore) Lookup(ctx context.Context, digest []byte) (string, error) {
	if ctx == nil {
		return "", ErrNilContext
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	site, ok := m.index[string(digest)]
	if !ok {
		return "", ErrNotFound
	}
	return site, nil
}

// Disable implements [Store.Disable].
func (m *MemStore) Disable(ctx context.Context, site, by string, at time.Time) error {
	if ctx == nil {
		return ErrNilContext
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[site]
	if !ok {
		return ErrNoPasscode
	}
	if !r.Disabled {
		r.Disabled, r.DisabledAt, r.DisabledBy = true, at, by
	}
	return nil
}

// UpdateLockout implements [Store.UpdateLockout] under the store's lock.
func (m *MemStore) UpdateLockout(ctx context.Context, site string, version int64, l Lockout, events ...Event) error {
	if ctx == nil {
		return ErrNilContext
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[site]
	switch {
	case !ok:
		return ErrNoPasscode
	case r.Version != version:
		return ErrConflict
	}
	r.Lockout = l.clone()
	r.Version++
	for _, e := range events {
		m.appendEvent(e)
	}
	return nil
}

// RecordUse implements [Store.RecordUse]: it appends the used event under
// the store's lock and leaves the record alone.
func (m *MemStore) RecordUse(ctx context.Context, site string, digest []byte, at time.Time, source string) error {
	if ctx == nil {
		return ErrNilContext
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[site]
	switch {
	case !ok:
		return ErrNoPasscode
	case !bytes.Equal(r.Digest, digest):
		return ErrStale
	case r.Disabled:
		return ErrDisabled
	case r.Locked:
		return ErrLocked
	}
	m.appendEvent(Event{Site: site, Kind: EventUsed, At: at, Source: source})
	return nil
}

// AppendEvent implements [Store.AppendEvent].
func (m *MemStore) AppendEvent(ctx context.Context, e Event) error {
	if ctx == nil {
		return ErrNilContext
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.appendEvent(e)
	return nil
}

func (m *MemStore) appendEvent(e Event) {
	r, ok := m.events[e.Site]
	if !ok {
		r = &eventRing{}
		m.events[e.Site] = r
	}
	r.add(e)
}

// Events implements [Store.Events]: at most the [MemStoreEvents] most
// recent.
func (m *MemStore) Events(ctx context.Context, site string) ([]Event, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.events[site]
	if !ok {
		return []Event{}, nil
	}
	return r.ordered(), nil
}
