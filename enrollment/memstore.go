package enrollment

import (
	"context"
	"errors"
	"sync"
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

// Load implements [Store.Load].
func (m *MemStore) Load(ctx context.Context, site string) (Record, error) {
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

// Write implements [Store.Write] under the store's lock.
func (m *MemStore) Write(ctx context.Context, rec Record, prev uint64, events []Event) error {
	if ctx == nil {
		return ErrNilContext
	}
	if rec.Rev != prev+1 {
		return errRev
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.recs[rec.Site]
	switch {
	case !ok && prev != 0, ok && old.Rev != prev:
		return ErrConflict
	}
	if other, taken := m.index[string(rec.Digest)]; taken && other != rec.Site {
		return ErrDuplicate
	}
	if ok {
		delete(m.index, string(old.Digest))
	}
	rec = rec.clone()
	m.recs[rec.Site] = &rec
	m.index[string(rec.Digest)] = rec.Site
	m.appendEvents(events)
	return nil
}

// errRev refuses a Write whose record is not at the revision after prev.
var errRev = errors.New("enrollment: Write: rec.Rev must be prev+1")

// Append implements [Store.Append] under the store's lock: it leaves the
// record alone.
func (m *MemStore) Append(ctx context.Context, site string, rev uint64, events []Event) error {
	if ctx == nil {
		return ErrNilContext
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.recs[site]; !ok || r.Rev != rev {
		return ErrConflict
	}
	m.appendEvents(events)
	return nil
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

func (m *MemStore) appendEvents(events []Event) {
	for _, e := range events {
		m.appendEvent(e)
	}
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
