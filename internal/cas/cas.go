// Package cas is the SDK's one store idiom, written once: load a versioned
// record, decide the change in Go, write it back with one conditional
// operation (compare-and-swap on the revision, insert-if-absent for a new
// record), and on a conflict decide again on the record that won. The
// rules live in the domain package's decide function, so every backend
// enforces the same ones; a backend only loads and conditionally writes.
//
// A [Mutator] also keeps a bounded cache of the last record it read or
// wrote per key, with its revision. On a hit it decides on the cached
// record and sends only the conditional write, conditioned on the cached
// revision: a record this process wrote last is changed in one round trip.
// The cache never makes a decision wrong, only sometimes slower:
//
//   - a decision that writes takes effect only if the stored revision is
//     the cached one, that is, only if the cached record is the stored
//     record; otherwise the write is a conflict and the decision is made
//     again on the stored record, loaded after the refusal;
//   - a decision that writes nothing (a refusal, a read) made on a cached
//     or guessed record is made again on a loaded one before it counts;
//   - a first revision is drawn at random (62 bits), so a record deleted
//     (a purge) and created again never repeats a revision a cache may
//     hold: the condition "stored revision = cached revision" cannot
//     match a different record.
//
// [Loop] is the bare retry loop, for a service that loads and writes on
// its own (escrow's, whose rows are found by record and command IDs too);
// [Mutator.Mutate] runs on it.
//
// A key missing from the cache is guessed absent: the decision on the zero
// record writes with prev 0 (insert-if-absent), which costs nothing extra
// for a new key and, for a key that exists, is refused and the stored
// record loaded: two round trips more, the refused write and the load (a
// write that only writes keeps every write that applies at one round
// trip, which matters more when refusals are rare).
package cas

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"
)

// MaxTries bounds how often [Mutator.Mutate] decides again after a
// conflict. Every conflict on a loaded record means another writer won, so
// N racing writers need at most about N tries.
const MaxTries = 1000

// DefaultCacheSize is the number of records a [Mutator] caches when New is
// given a size of zero.
const DefaultCacheSize = 10000

// Ops are a store's operations on records of type R, keyed by string.
type Ops[R any] struct {
	// Load returns key's record; a key with none gives Zero(key) with
	// revision 0.
	Load func(ctx context.Context, key string) (R, error)
	// Write stores r (whose revision is already the new one) if the stored
	// revision is prev (0: no record stored). When it is not, it returns
	// an error matching Conflict and changes nothing; the Mutator then
	// loads the stored record.
	Write func(ctx context.Context, r R, prev uint64) error
	// Rev points at a record's revision.
	Rev func(r *R) *uint64
	// Clone returns a copy of r sharing no memory with it.
	Clone func(r R) R
	// Zero returns the record of a key never stored.
	Zero func(key string) R
	// Conflict is the sentinel Write's lost race matches.
	Conflict error
}

// Mutator runs the idiom over one store. It is safe for concurrent use.
type Mutator[R any] struct {
	ops   Ops[R]
	cache *cache[R]
}

// New returns a Mutator over ops caching up to size records (zero:
// DefaultCacheSize; negative: no cache).
func New[R any](ops Ops[R], size int) *Mutator[R] {
	m := &Mutator[R]{ops: ops}
	if size < 0 {
		return m
	}
	if size == 0 {
		size = DefaultCacheSize
	}
	m.cache = &cache[R]{max: size, idx: make(map[string]*list.Element)}
	return m
}

// Load reads key's record from the store, bypassing the cache (which it
// refreshes): for reads that must see the stored record.
func (m *Mutator[R]) Load(ctx context.Context, key string) (R, error) {
	r, err := m.ops.Load(ctx, key)
	if err != nil {
		m.cache.drop(key)
		return r, err
	}
	m.remember(key, r)
	return m.ops.Clone(r), nil
}

// Mutate runs decide on a copy of key's record until decide's change is
// written, or decide writes nothing on a record loaded from the store.
// decide returns whether to write the record as it left it; it may be
// called several times (after a conflict, or when it refused a cached
// record) and must set all of its results each time, and must not call
// the store. Mutate returns ctx.Err() when ctx is done before decide
// runs, the store's error, or an error matching Conflict after MaxTries
// lost races.
func (m *Mutator[R]) Mutate(ctx context.Context, key string, decide func(r *R) (write bool)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cur, fresh := m.cache.get(key, m.ops.Clone)
	if !fresh {
		cur = m.ops.Zero(key)
	}
	fresh = false // a cached record is a guess until a write confirms it
	return Loop(m.ops.Conflict, func() (done, lost bool, err error) {
		next := m.ops.Clone(cur)
		if !decide(&next) {
			if fresh {
				return true, false, nil
			}
			r, err := m.ops.Load(ctx, key)
			if err != nil {
				m.cache.drop(key)
				return false, false, err
			}
			m.remember(key, r)
			cur, fresh = r, true
			return false, false, nil
		}
		prev := *m.ops.Rev(&cur)
		rev, err := NextRev(prev)
		if err != nil {
			return false, false, err
		}
		*m.ops.Rev(&next) = rev
		err = m.ops.Write(ctx, next, prev)
		if err == nil {
			m.remember(key, next)
			return true, false, nil
		}
		m.cache.drop(key)
		if !errors.Is(err, m.ops.Conflict) {
			return false, false, err
		}
		lost = fresh // another writer won on a record read from the store
		found, err := m.ops.Load(ctx, key)
		if err != nil {
			return false, false, err
		}
		m.remember(key, found)
		cur, fresh = found, true
		return false, lost, nil
	})
}

// Loop is the idiom's retry loop, for a service that loads and writes on
// its own (escrow's, whose rows are found by several keys): it calls try
// until try reports done or an error, at most MaxTries times, and returns
// that error, or one matching conflict after MaxTries tries. After a try
// that lost a race (another writer changed the record try had loaded), it
// sleeps with jitter, from up to 100 µs to up to 6.4 ms, so that racing
// callers spread out instead of retrying in step.
func Loop(conflict error, try func() (done, lost bool, err error)) error {
	losses := 0
	for range MaxTries {
		done, lost, err := try()
		switch {
		case err != nil:
			return err
		case done:
			return nil
		case lost:
			losses++
			time.Sleep(mrand.N(50 * time.Microsecond << min(losses, 7)))
		}
	}
	return fmt.Errorf("the record kept changing, %d times: %w", MaxTries, conflict)
}

// remember caches r as key's record if it is stored (revision not 0).
func (m *Mutator[R]) remember(key string, r R) {
	if *m.ops.Rev(&r) == 0 {
		m.cache.drop(key)
		return
	}
	m.cache.put(key, m.ops.Clone(r))
}

// Format prints the number of cached records, never a record: they hold
// keyed digests.
func (m *Mutator[R]) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "cas.Mutator{cached: %d}", m.cache.len())
}

// GoString is Format's %#v.
func (m *Mutator[R]) GoString() string { return fmt.Sprintf("%v", m) }

// FirstRevBits is the size of a random first revision: it leaves 2^62
// increments before a signed 64-bit column would overflow.
const FirstRevBits = 62

// NextRev returns the revision a write from prev gets: prev+1, or a random
// nonzero one below 2^FirstRevBits for a new record. A backend's own
// writes outside the idiom (a seeding Put) use it too, so that no cached
// revision can match them.
func NextRev(prev uint64) (uint64, error) {
	if prev != 0 {
		return prev + 1, nil
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("drawing a revision: %w", err)
	}
	return binary.LittleEndian.Uint64(b[:])>>(64-FirstRevBits) | 1, nil
}

// cache is a bounded least-recently-used map of records.
type cache[R any] struct {
	mu  sync.Mutex
	max int
	idx map[string]*list.Element
	lru list.List // of *entry[R], most recent first
}

type entry[R any] struct {
	key string
	val R
}

func (c *cache[R]) get(key string, clone func(R) R) (R, bool) {
	var zero R
	if c == nil {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.idx[key]
	if !ok {
		return zero, false
	}
	c.lru.MoveToFront(e)
	return clone(e.Value.(*entry[R]).val), true
}

func (c *cache[R]) put(key string, r R) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.idx[key]; ok {
		e.Value.(*entry[R]).val = r
		c.lru.MoveToFront(e)
		return
	}
	c.idx[key] = c.lru.PushFront(&entry[R]{key: key, val: r})
	if c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.idx, old.Value.(*entry[R]).key)
	}
}

func (c *cache[R]) drop(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.idx[key]; ok {
		c.lru.Remove(e)
		delete(c.idx, key)
	}
}

func (c *cache[R]) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
