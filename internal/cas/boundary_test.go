package cas

import (
	"context"
	"errors"
	"testing"
)

// TestCacheSizes: a negative size caches nothing, zero caches up to
// DefaultCacheSize, and one caches exactly one record.
func TestCacheSizes(t *testing.T) {
	s := newStore()
	for _, tc := range []struct {
		size, max int
	}{{-1, -1}, {0, DefaultCacheSize}, {1, 1}, {2, 2}} {
		m := newMutator(s, tc.size)
		if tc.max < 0 {
			if m.cache != nil {
				t.Errorf("size %d: a cache of %d", tc.size, m.cache.max)
			}
			continue
		}
		if m.cache == nil || m.cache.max != tc.max {
			t.Errorf("size %d: cache %+v, want a bound of %d", tc.size, m.cache, tc.max)
		}
	}
}

// TestLoadError: Mutator.Load returns the store's error (not a record)
// and drops the key's cached record; a successful Load refreshes it.
func TestLoadError(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	m := newMutator(s, 0)
	if err := m.Mutate(ctx, "a", inc); err != nil {
		t.Fatal(err)
	}
	if r, err := m.Load(ctx, "a"); err != nil || r.N != 1 || m.cache.len() != 1 {
		t.Fatalf("Load: %+v, %v, %d cached", r, err, m.cache.len())
	}
	boom := errors.New("boom")
	m.ops.Load = func(context.Context, string) (rec, error) { return rec{Key: "a", N: 7, Rev: 9}, boom }
	if r, err := m.Load(ctx, "a"); !errors.Is(err, boom) {
		t.Fatalf("Load: %+v, %v, want the store's error", r, err)
	}
	if m.cache.len() != 0 {
		t.Fatal("a failed Load kept the cached record")
	}
	if _, ok := m.cache.get("a", m.ops.Clone); ok {
		t.Fatal("a failed Load cached what it returned")
	}
}

// TestMutateLoadErrors: the store's Load error reaches Mutate's caller,
// with the key's cached record dropped, both when decide refused a cached
// record and when a write was refused (and the record that won must be
// loaded).
func TestMutateLoadErrors(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	failLoad := func(context.Context, string) (rec, error) { return rec{}, boom }

	s := newStore()
	m := newMutator(s, 0)
	if err := m.Mutate(ctx, "a", inc); err != nil {
		t.Fatal(err)
	}
	m.ops.Load = failLoad
	if err := m.Mutate(ctx, "a", func(*rec) bool { return false }); !errors.Is(err, boom) || m.cache.len() != 0 {
		t.Fatalf("decide refused the cached record: %v, %d cached", err, m.cache.len())
	}

	s = newStore()
	m = newMutator(s, 0)
	if err := m.Mutate(ctx, "a", inc); err != nil {
		t.Fatal(err)
	}
	s.set("a", 5)
	m.ops.Load = failLoad
	calls := 0
	if err := m.Mutate(ctx, "a", func(r *rec) bool { calls++; return inc(r) }); !errors.Is(err, boom) || calls != 1 || m.cache.len() != 0 {
		t.Fatalf("a lost write: %v after %d decides, %d cached", err, calls, m.cache.len())
	}
	if got := m.GoString(); got != "cas.Mutator{cached: 0}" {
		t.Fatalf("GoString() = %q", got)
	}
}
