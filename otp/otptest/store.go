package otptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
)

// Racers is the number of goroutines RunStore races against one record.
const Racers = 32

// RunStore runs the conformance suite against stores made by newStore, one
// fresh, empty store per subtest. A backend that passes it can be given to
// otp.NewPINService.
func RunStore(t *testing.T, newStore func(t *testing.T) otp.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := func(user string, d byte) otp.PINRecord {
		return otp.PINRecord{
			User:      user,
			Digest:    bytes.Repeat([]byte{d}, 34),
			IssuedAt:  at,
			ExpiresAt: at.Add(24 * time.Hour),
		}
	}
	get := func(t *testing.T, s otp.Store, user string) (otp.PINRecord, error) {
		t.Helper()
		var got otp.PINRecord
		err := s.Update(ctx, user, func(r *otp.PINRecord) bool {
			got = *r
			got.Digest = bytes.Clone(r.Digest)
			return false
		})
		return got, err
	}
	same := func(t *testing.T, got, want otp.PINRecord) {
		t.Helper()
		if got.User != want.User || !bytes.Equal(got.Digest, want.Digest) ||
			!got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
			got.Failures != want.Failures || !got.LastFailure.Equal(want.LastFailure) || got.Void != want.Void {
			t.Fatalf("record = %+v, want %+v", got, want)
		}
	}

	t.Run("MissingUser", func(t *testing.T) {
		s := newStore(t)
		called := false
		err := s.Update(ctx, "nobody", func(*otp.PINRecord) bool { called = true; return false })
		if !errors.Is(err, otp.ErrPINNotFound) || called {
			t.Fatalf("Update on a missing user = %v (fn called: %v), want ErrPINNotFound without calling fn", err, called)
		}
	})

	t.Run("PutThenUpdateSeesRecord", func(t *testing.T) {
		s := newStore(t)
		want := rec("alice", 1)
		want.Failures, want.LastFailure = 2, at.Add(time.Minute)
		if err := s.Put(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := get(t, s, "alice")
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, want)
	})

	t.Run("StoreKeepsItsOwnDigest", func(t *testing.T) {
		s := newStore(t)
		r := rec("alice", 1)
		if err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Digest[0] = 99
		got, err := get(t, s, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest[0] != 1 {
			t.Fatal("the store shares the caller's Digest slice")
		}
	})

	t.Run("PutReplaces", func(t *testing.T) {
		s := newStore(t)
		old := rec("alice", 1)
		old.Failures, old.Void = 4, true
		if err := s.Put(ctx, old); err != nil {
			t.Fatal(err)
		}
		fresh := rec("alice", 2)
		if err := s.Put(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		got, err := get(t, s, "alice")
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, fresh)
	})

	t.Run("UpdateSavesChanges", func(t *testing.T) {
		s := newStore(t)
		if err := s.Put(ctx, rec("alice", 1)); err != nil {
			t.Fatal(err)
		}
		err := s.Update(ctx, "alice", func(r *otp.PINRecord) bool {
			r.Failures, r.LastFailure, r.Void = 5, at.Add(time.Hour), true
			return false
		})
		if err != nil {
			t.Fatal(err)
		}
		want := rec("alice", 1)
		want.Failures, want.LastFailure, want.Void = 5, at.Add(time.Hour), true
		got, err := get(t, s, "alice")
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, want)
	})

	t.Run("UpdateRemoves", func(t *testing.T) {
		s := newStore(t)
		if err := s.Put(ctx, rec("alice", 1)); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(ctx, "alice", func(*otp.PINRecord) bool { return true }); err != nil {
			t.Fatal(err)
		}
		if _, err := get(t, s, "alice"); !errors.Is(err, otp.ErrPINNotFound) {
			t.Fatalf("after removal: %v, want ErrPINNotFound", err)
		}
	})

	t.Run("UsersAreIsolated", func(t *testing.T) {
		s := newStore(t)
		a, b := rec("alice", 1), rec("bob", 2)
		for _, r := range []otp.PINRecord{a, b} {
			if err := s.Put(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Update(ctx, "alice", func(*otp.PINRecord) bool { return true }); err != nil {
			t.Fatal(err)
		}
		got, err := get(t, s, "bob")
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, b)
	})

	t.Run("RaceRemoveExactlyOnce", func(t *testing.T) {
		s := newStore(t)
		if err := s.Put(ctx, rec("alice", 1)); err != nil {
			t.Fatal(err)
		}
		var removed atomic.Int32
		race(t, func(int) error {
			var mine bool
			err := s.Update(ctx, "alice", func(*otp.PINRecord) bool { mine = true; return true })
			if errors.Is(err, otp.ErrPINNotFound) {
				return nil
			}
			if err == nil && mine {
				removed.Add(1)
			}
			return err
		})
		if n := removed.Load(); n != 1 {
			t.Fatalf("%d racing Updates removed the record %d times, want exactly 1", Racers, n)
		}
	})

	t.Run("RaceCountsEveryFailure", func(t *testing.T) {
		s := newStore(t)
		if err := s.Put(ctx, rec("alice", 1)); err != nil {
			t.Fatal(err)
		}
		race(t, func(int) error {
			return s.Update(ctx, "alice", func(r *otp.PINRecord) bool { r.Failures++; return false })
		})
		got, err := get(t, s, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if got.Failures != Racers {
			t.Fatalf("%d racing increments counted %d", Racers, got.Failures)
		}
	})

	t.Run("RaceVerifyExactlyOneSuccess", func(t *testing.T) {
		pepper := make([]byte, 32)
		if _, err := rand.Read(pepper); err != nil {
			t.Fatal(err)
		}
		svc, err := otp.NewPINService(otp.PINConfig{Store: newStore(t), Peppers: map[uint8][]byte{1: pepper}, PepperID: 1})
		if err != nil {
			t.Fatal(err)
		}
		pin, _, err := svc.Issue(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		var ok atomic.Int32
		race(t, func(int) error {
			err := svc.Verify(ctx, "alice", pin.Reveal())
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, otp.ErrPINNotFound):
				return err
			}
			return nil
		})
		if n := ok.Load(); n != 1 {
			t.Fatalf("%d racing verifiers with the right PIN: %d succeeded, want exactly 1", Racers, n)
		}
	})

	t.Run("RaceWrongPINsVoidOnce", func(t *testing.T) {
		pepper := make([]byte, 32)
		if _, err := rand.Read(pepper); err != nil {
			t.Fatal(err)
		}
		svc, err := otp.NewPINService(otp.PINConfig{Store: newStore(t), Peppers: map[uint8][]byte{1: pepper}, PepperID: 1})
		if err != nil {
			t.Fatal(err)
		}
		pin, _, err := svc.Issue(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		wrong := []byte(pin.Reveal())
		wrong[0] = '0' + (wrong[0]-'0'+1)%10
		var counted, locked atomic.Int32
		race(t, func(int) error {
			err := svc.Verify(ctx, "alice", string(wrong))
			var ae *otp.PINAttemptError
			switch {
			case errors.As(err, &ae):
				counted.Add(1)
			case errors.Is(err, otp.ErrPINLocked):
				locked.Add(1)
			default:
				return fmt.Errorf("wrong PIN: %v", err)
			}
			return nil
		})
		if counted.Load() != otp.DefaultPINMaxAttempts || locked.Load() != Racers-otp.DefaultPINMaxAttempts {
			t.Fatalf("counted %d wrong attempts and refused %d as void, want %d and %d",
				counted.Load(), locked.Load(), otp.DefaultPINMaxAttempts, Racers-otp.DefaultPINMaxAttempts)
		}
		if err := svc.Verify(ctx, "alice", pin.Reveal()); !errors.Is(err, otp.ErrPINLocked) {
			t.Fatalf("right PIN after the limit: %v, want ErrPINLocked", err)
		}
	})
}

// race runs f in Racers goroutines released together and fails t with the
// first error.
func race(t *testing.T, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, Racers)
	for i := range Racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := f(i); err != nil {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
