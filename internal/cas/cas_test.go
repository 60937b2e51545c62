package cas

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// rec is the record of the tests: a counter and a one-time token.
type rec struct {
	Key    string
	N      int
	Token  bool
	Secret []byte // stands for a keyed digest: never printed
	Rev    uint64
}

var errConflict = errors.New("conflict")

// store is an in-memory backend counting its operations. It also logs
// them in order ("load k", "write k", "refused k") for the tests that
// check what follows a refused write.
type store struct {
	mu            sync.Mutex
	m             map[string]rec
	log           []string
	loads, writes atomic.Int32
}

func newStore() *store { return &store{m: map[string]rec{}} }

func (s *store) load(ctx context.Context, key string) (rec, error) {
	s.loads.Add(1)
	if err := ctx.Err(); err != nil {
		return rec{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, "load "+key)
	r, ok := s.m[key]
	if !ok {
		return rec{Key: key}, nil
	}
	return r, nil
}

func (s *store) write(_ context.Context, r rec, prev uint64) error {
	s.writes.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[r.Key].Rev != prev {
		s.log = append(s.log, "refused "+r.Key)
		return errConflict
	}
	s.log = append(s.log, "write "+r.Key)
	s.m[r.Key] = r
	return nil
}

// takeLog returns the operations logged since the last call.
func (s *store) takeLog() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.log
	s.log = nil
	return l
}

// loadsAfterRefusals reports the first refused write in log that the next
// operation does not follow with a load of the same key, or "".
func loadsAfterRefusals(log []string) string {
	for i, op := range log {
		if key, ok := strings.CutPrefix(op, "refused "); ok && (i+1 == len(log) || log[i+1] != "load "+key) {
			return fmt.Sprintf("operation %d of %q: a refused write not followed by a load of %s", i, log, key)
		}
	}
	return ""
}

// set replaces key's record behind every Mutator's back, as another
// instance or a seeding Put does: at a new revision.
func (s *store) set(key string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rev, err := NextRev(s.m[key].Rev)
	if err != nil {
		panic(err)
	}
	s.m[key] = rec{Key: key, N: n, Rev: rev}
}

// del deletes key's record, as a purge does.
func (s *store) del(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

func (s *store) counts() (int32, int32) { return s.loads.Swap(0), s.writes.Swap(0) }

func newMutator(s *store, size int) *Mutator[rec] {
	return New(Ops[rec]{
		Load:     s.load,
		Write:    s.write,
		Rev:      func(r *rec) *uint64 { return &r.Rev },
		Clone:    func(r rec) rec { r.Secret = append([]byte(nil), r.Secret...); return r },
		Zero:     func(key string) rec { return rec{Key: key} },
		Conflict: errConflict,
	}, size)
}

func inc(r *rec) bool { r.N++; return true }

// take consumes the token: ok reports whether there was one.
func take(ok *bool) func(r *rec) bool {
	return func(r *rec) bool {
		*ok = r.Token
		r.Token = false
		return *ok
	}
}

func give(r *rec) bool { r.Token = true; return true }

// TestRoundTrips counts the store operations of each path, and their
// order: the figures store/postgres's statement table and the otp package
// doc give. A refused write is always followed by a load of the record
// that won.
func TestRoundTrips(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	m := newMutator(s, 0)
	other := newMutator(s, 0)
	var ok bool
	steps := []struct {
		name          string
		do            func() error
		loads, writes int32
		log           []string
	}{
		{"new key: one insert", func() error { return m.Mutate(ctx, "a", give) }, 0, 1,
			[]string{"write a"}},
		{"cached key: one write", func() error { return m.Mutate(ctx, "a", take(&ok)) }, 0, 1,
			[]string{"write a"}},
		{"cached refusal: confirmed by a load", func() error { return m.Mutate(ctx, "a", take(&ok)) }, 1, 0,
			[]string{"load a"}},
		{"uncached key that exists: insert refused, a load, then the write", func() error { return other.Mutate(ctx, "a", give) }, 1, 2,
			[]string{"refused a", "load a", "write a"}},
		{"stale cache: write refused, a load, then the write", func() error { return m.Mutate(ctx, "a", inc) }, 1, 2,
			[]string{"refused a", "load a", "write a"}},
		{"cached again after the conflict: one write", func() error { return m.Mutate(ctx, "a", take(&ok)) }, 0, 1,
			[]string{"write a"}},
		{"stale cache refuses: a load, then the write", func() error {
			if err := other.Mutate(ctx, "a", give); err != nil {
				return err
			}
			s.counts()
			s.takeLog()
			return m.Mutate(ctx, "a", take(&ok))
		}, 1, 1, []string{"load a", "write a"}},
		{"missing key refused: one load", func() error { return m.Mutate(ctx, "b", take(&ok)) }, 1, 0,
			[]string{"load b"}},
		{"load bypasses the cache", func() error { _, err := m.Load(ctx, "a"); return err }, 1, 0,
			[]string{"load a"}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if l, w := s.counts(); l != st.loads || w != st.writes {
			t.Errorf("%s: %d loads, %d writes; want %d, %d", st.name, l, w, st.loads, st.writes)
		}
		if got := s.takeLog(); !slices.Equal(got, st.log) {
			t.Errorf("%s: operations %q, want %q", st.name, got, st.log)
		}
	}
}

func TestFirstRevisionIsRandomAndPositive(t *testing.T) {
	seen := map[uint64]bool{}
	for range 100 {
		r, err := NextRev(0)
		if err != nil {
			t.Fatal(err)
		}
		if r == 0 || r >= 1<<FirstRevBits || seen[r] {
			t.Fatalf("first revision %d: zero, too large or repeated", r)
		}
		seen[r] = true
	}
	if r, _ := NextRev(41); r != 42 {
		t.Fatalf("next revision after 41 = %d", r)
	}
}

func TestCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	m := newMutator(s, 3)
	for i := range 10 {
		if err := m.Mutate(ctx, fmt.Sprint("k", i), inc); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.cache.len(); n != 3 {
		t.Fatalf("%d records cached, want the bound 3", n)
	}
	if _, ok := m.cache.get("k9", func(r rec) rec { return r }); !ok {
		t.Fatal("the most recent record was evicted")
	}
	if _, ok := m.cache.get("k0", func(r rec) rec { return r }); ok {
		t.Fatal("the oldest record was kept")
	}
	if none := newMutator(s, -1); none.Mutate(ctx, "k0", inc) != nil || none.cache.len() != 0 {
		t.Fatal("a Mutator without a cache")
	}
}

func TestFormatPrintsNoRecord(t *testing.T) {
	s := newStore()
	m := newMutator(s, 0)
	if err := m.Mutate(context.Background(), "a", func(r *rec) bool { r.Secret = []byte("SECRETMARK"); return true }); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for _, v := range []any{m, struct{ M *Mutator[rec] }{m}} {
			out := fmt.Sprintf(verb, v)
			if want := "cached: 1"; verb != "%x" && verb != "%X" && verb != "%d" && v == any(m) && !contains(out, want) {
				t.Errorf("%s: %q lacks %q", verb, out, want)
			}
			if contains(out, "SECRETMARK") || contains(out, fmt.Sprintf("%x", "SECRETMARK")) {
				t.Errorf("%s printed the record: %s", verb, out)
			}
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := newMutator(newStore(), 0).Mutate(ctx, "a", func(*rec) bool { called = true; return true })
	if !errors.Is(err, context.Canceled) || called {
		t.Fatalf("Mutate on a canceled context: %v, decide called %v", err, called)
	}
}

func TestStoreErrorDropsTheCachedRecord(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	m := newMutator(s, 0)
	if err := m.Mutate(ctx, "a", inc); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	m.ops.Write = func(context.Context, rec, uint64) error { return boom }
	if err := m.Mutate(ctx, "a", inc); !errors.Is(err, boom) {
		t.Fatalf("Mutate: %v, want the store's error", err)
	}
	if m.cache.len() != 0 {
		t.Fatal("a record whose write failed (and may have applied) stays cached")
	}
}

// TestRaceExactlyOnce races goroutines of several Mutators (instances,
// each with its own cache, some stale) over one store: every increment
// counts once, and each token is taken exactly once.
func TestRaceExactlyOnce(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	ms := []*Mutator[rec]{newMutator(s, 0), newMutator(s, 0), newMutator(s, 1)}
	const racers, rounds = 24, 40
	for round := range rounds {
		if err := ms[round%len(ms)].Mutate(ctx, "k", give); err != nil {
			t.Fatal(err)
		}
		var took atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				m := ms[i%len(ms)]
				var ok bool
				if err := m.Mutate(ctx, "k", take(&ok)); err != nil {
					t.Error(err)
				}
				if ok {
					took.Add(1)
				}
				if err := m.Mutate(ctx, "k", inc); err != nil {
					t.Error(err)
				}
				_ = m.Mutate(ctx, fmt.Sprint("other", i%3), inc) // evicts k from the one-record cache
			}()
		}
		close(start)
		wg.Wait()
		if n := took.Load(); n != 1 {
			t.Fatalf("round %d: the token was taken %d times, want 1", round, n)
		}
	}
	if r, _ := s.load(ctx, "k"); r.N != racers*rounds {
		t.Fatalf("%d increments counted %d", racers*rounds, r.N)
	}
}

// TestPropertyMatchesModel drives random sequences of operations from
// three Mutators (small caches, so records are evicted too) interleaved
// with writes and deletes behind their backs (another instance, a purge),
// and checks every outcome against a model that has no cache: a stale
// cache never changes an outcome, only its cost. Every refused write is
// followed by a load of the record that won.
func TestPropertyMatchesModel(t *testing.T) {
	type op struct {
		Kind, M, Key, N int
	}
	genOp := gopter.CombineGens(gen.IntRange(0, 4), gen.IntRange(0, 2), gen.IntRange(0, 2), gen.IntRange(0, 5)).
		Map(func(v []any) op { return op{v[0].(int), v[1].(int), v[2].(int), v[3].(int)} })
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 300
	props := gopter.NewProperties(params)
	props.Property("outcomes and the store match a cacheless model", prop.ForAll(func(ops []op) string {
		ctx := context.Background()
		s := newStore()
		ms := []*Mutator[rec]{newMutator(s, 1), newMutator(s, 2), newMutator(s, 0)}
		type state struct {
			n     int
			token bool
		}
		model := map[string]state{}
		for i, o := range ops {
			key := fmt.Sprint("k", o.Key)
			m := ms[o.M]
			st := model[key]
			switch o.Kind {
			case 0:
				if err := m.Mutate(ctx, key, inc); err != nil {
					return err.Error()
				}
				st.n++
			case 1:
				var ok bool
				if err := m.Mutate(ctx, key, take(&ok)); err != nil {
					return err.Error()
				}
				if ok != st.token {
					return fmt.Sprintf("op %d %+v: took %v, model has token %v", i, o, ok, st.token)
				}
				st.token = false
			case 2:
				if err := m.Mutate(ctx, key, give); err != nil {
					return err.Error()
				}
				st.token = true
			case 3:
				s.set(key, o.N)
				st = state{n: o.N}
			case 4:
				s.del(key)
				st = state{}
			}
			model[key] = st
			if msg := loadsAfterRefusals(s.takeLog()); msg != "" {
				return fmt.Sprintf("op %d %+v: %s", i, o, msg)
			}
			r, _ := s.load(ctx, key)
			if r.N != st.n || r.Token != st.token {
				return fmt.Sprintf("op %d %+v: store has %+v, model %+v", i, o, r, st)
			}
		}
		return ""
	}, gen.SliceOf(genOp)))
	props.TestingRun(t)
}

func TestLoop(t *testing.T) {
	boom := errors.New("boom")
	for _, tt := range []struct {
		name      string
		results   func(n int) (bool, bool, error)
		wantErr   error
		wantCalls int
	}{
		{"done at once", func(int) (bool, bool, error) { return true, false, nil }, nil, 1},
		{"done after two tries", func(n int) (bool, bool, error) { return n == 3, n < 3, nil }, nil, 3},
		{"an error stops it", func(n int) (bool, bool, error) { return false, false, boom }, boom, 1},
		{"never done: a conflict after MaxTries", func(int) (bool, bool, error) { return false, false, nil }, errConflict, MaxTries},
	} {
		calls := 0
		err := Loop(errConflict, func() (bool, bool, error) { calls++; return tt.results(calls) })
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) || calls != tt.wantCalls {
			t.Errorf("%s: %v after %d calls, want %v after %d", tt.name, err, calls, tt.wantErr, tt.wantCalls)
		}
	}
}
