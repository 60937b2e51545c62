package servicepass_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// hookStore runs before inside the wrapped store's Update, after the store
// has taken its lock and read the state, before the verifier decides.
type hookStore struct {
	servicepass.DeviceStore
	before func()
}

func (h hookStore) Update(ctx context.Context, fn func([]byte) ([]byte, error)) error {
	return h.DeviceStore.Update(ctx, func(old []byte) ([]byte, error) {
		if h.before != nil {
			h.before()
		}
		return fn(old)
	})
}

// TestLockFileDeleted (issue 22 defect 6): the lock file deleted while a
// process holds it lets a second process in; the two must never both grant
// one code undetected. (Before: both granted, neither degraded.)
func TestLockFileDeleted(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "state")
	// A first grant creates the state and the lock file.
	if _, err := f.verifier(t, "dev", servicepass.DeviceOwner, openFile(t, path)).Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(time.Hour)), t0); err != nil {
		t.Fatal(err)
	}
	code := f.do(t, servicepass.AllowFactoryReset, t0.Add(time.Hour))
	b := f.verifier(t, "dev", servicepass.DeviceOwner, openFile(t, path))
	var gb servicepass.Grant
	var errB error
	a := f.verifier(t, "dev", servicepass.DeviceOwner, hookStore{DeviceStore: openFile(t, path), before: func() {
		// Process A holds the lock and has read the state: the lock file
		// is deleted and process B verifies the same code.
		if err := os.Remove(path + ".lock"); err != nil {
			t.Error(err)
		}
		gb, errB = b.Verify(context.Background(), code, t0.Add(time.Minute))
	}})
	ga, errA := a.Verify(context.Background(), code, t0.Add(time.Minute))
	if errA == nil && errB == nil && !ga.Degraded && !gb.Degraded {
		t.Fatalf("both processes granted the code, neither degraded: %+v %+v", ga, gb)
	}
	t.Logf("A: %v degraded=%v; B: %v degraded=%v", errA, ga.Degraded, errB, gb.Degraded)
	// The next process, on whatever file the two left, grants the code
	// again only degraded.
	g, err := f.verifier(t, "dev", servicepass.DeviceOwner, openFile(t, path)).Verify(context.Background(), code, t0.Add(2*time.Minute))
	if err == nil && !g.Degraded {
		t.Fatalf("a third process granted the code undegraded: %+v", g)
	}
}

// TestLockFileReplacedWhileWaiting: a process that waited for a lock file
// deleted meanwhile does not go ahead on the deleted file: it locks the one
// at the path.
func TestLockFileReplacedWhileWaiting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	a, b := openFile(t, path), openFile(t, path)
	for _, s := range []*servicepass.FileStore{a, b} { // both open the lock file
		if err := peek(s, func(*servicepass.TestState) bool { return false }); err != nil {
			t.Fatal(err)
		}
	}
	inA := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- peek(a, func(*servicepass.TestState) bool { close(inA); <-release; return false })
	}()
	<-inA
	bDone := make(chan error)
	go func() { bDone <- peek(b, func(s *servicepass.TestState) bool { s.Failures++; return true }) }()
	// B now waits on the old lock file. Replace it and let a third store
	// take the new one and keep it while A releases the old.
	if err := os.Remove(path + ".lock"); err != nil {
		t.Fatal(err)
	}
	c := openFile(t, path)
	inC := make(chan struct{})
	releaseC := make(chan struct{})
	cDone := make(chan error)
	go func() {
		cDone <- peek(c, func(s *servicepass.TestState) bool { close(inC); <-releaseC; s.Failures += 10; return true })
	}()
	<-inC
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	early := false
	select {
	case err := <-bDone:
		early = true
		t.Errorf("B went ahead on the deleted lock file while C held the new one (%v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(releaseC)
	if err := <-cDone; err != nil {
		t.Fatal(err)
	}
	if !early {
		if err := <-bDone; err != nil {
			t.Fatal(err)
		}
	}
}

// TestFarFutureSaved (issue 22 defect 7): device times after year 9999 (and
// before year 0) are saved, so an agent that runs once per attempt counts
// every failure there. (Before: RFC 3339 JSON could not hold them, every
// save failed and 50 of 50 wrong codes reached the MAC check.)
func TestFarFutureSaved(t *testing.T) {
	f := newFixture(t)
	p, err := servicepass.Decode(f.do(t, servicepass.Unlock, t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	p.MAC = flipTag(p.MAC, 1)
	bad := p.Canonical()
	for _, at := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(123456, 7, 8, 9, 10, 11, 12, time.UTC), time.Date(-50, 1, 1, 0, 0, 0, 0, time.UTC)} {
		path := filepath.Join(t.TempDir(), "state")
		invalid, locked := 0, 0
		for range 50 {
			v := f.verifier(t, "dev", servicepass.DeviceOwner, openFile(t, path))
			_, err := v.Verify(context.Background(), bad, at)
			switch {
			case errors.Is(err, servicepass.ErrNotSaved):
				t.Fatalf("at %v: %v", at, err)
			case errors.Is(err, servicepass.ErrInvalid):
				invalid++
			case errors.Is(err, servicepass.ErrLockedOut):
				locked++
			default:
				t.Fatalf("at %v: %v", at, err)
			}
		}
		if invalid != servicepass.DefaultLockout.Free+1 {
			t.Errorf("at %v: %d wrong codes reached the MAC check, want %d", at, invalid, servicepass.DefaultLockout.Free+1)
		}
		// And the times read back exactly.
		if err := readState(t, path, func(s *servicepass.TestState) {
			if !s.LastFailure.Equal(at) || !s.LockedUntil.Equal(at.Add(time.Minute)) {
				t.Errorf("read back %v, %v; want %v", s.LastFailure, s.LockedUntil, at)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFileStoreCacheFollowsOtherWriters: a store that starts from the state
// it saved last (when the file still holds its bytes) sees every save of
// another store in between, including one that writes the same size.
func TestFileStoreCacheFollowsOtherWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	a, b := openFile(t, path), openFile(t, path)
	for i := range 20 {
		w, r := a, b
		if i%2 == 1 {
			w, r = b, a
		}
		if err := peek(w, func(s *servicepass.TestState) bool { s.Failures = i + 1; return true }); err != nil {
			t.Fatal(err)
		}
		got := 0
		if err := peek(r, func(s *servicepass.TestState) bool { got = s.Failures; return false }); err != nil {
			t.Fatal(err)
		}
		if err := peek(w, func(s *servicepass.TestState) bool {
			if s.Failures != i+1 {
				t.Errorf("writer reads %d back, want %d", s.Failures, i+1)
			}
			return false
		}); err != nil {
			t.Fatal(err)
		}
		if got != i+1 {
			t.Fatalf("round %d: the other store read %d failures, want %d", i, got, i+1)
		}
	}
}

// TestFileStoreWaitEndsWithContext (issue 22): a verification waiting for
// the state while another process (here another FileStore on the same
// file) or another goroutine of this store holds it ends when its context
// does, decides nothing, and says why; the code still verifies afterwards.
func TestFileStoreWaitEndsWithContext(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "state")
	holder := openFile(t, path)
	shared := openFile(t, path)
	code := f.do(t, servicepass.Unlock, t0.Add(time.Hour))
	for name, store := range map[string]servicepass.DeviceStore{
		"another process":          openFile(t, path), // its own lock file description
		"another goroutine, store": shared,
	} {
		t.Run(name, func(t *testing.T) {
			held := holder
			if store == servicepass.DeviceStore(shared) {
				held = shared
			}
			inside, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
			go func() {
				done <- held.Update(context.Background(), func([]byte) ([]byte, error) {
					close(inside)
					<-release
					return nil, nil
				})
			}()
			<-inside
			v := f.verifier(t, "dev", servicepass.DeviceOwner, store)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			g, err := v.Verify(ctx, code, t0)
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, servicepass.ErrState) || errors.Is(err, servicepass.ErrNotSaved) || g.Actions != 0 {
				t.Fatalf("Verify while the state is held: %+v, %v; want ErrState and the context's error", g, err)
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
	g, err := f.verifier(t, "dev", servicepass.DeviceOwner, openFile(t, path)).Verify(context.Background(), code, t0)
	if err != nil || g.Degraded {
		t.Fatalf("the code after the waits ended: %+v %v; want an undegraded grant", g, err)
	}
}
