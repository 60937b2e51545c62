package otptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/internal/ident"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/otp"
)

// Racers is the number of goroutines RunStore races against one record.
const Racers = 32

// BadIDs are identifiers every otp service refuses with the same
// *otp.ParamError on every backend, before the store sees them: NUL, C0 and C1
// controls, DEL, invisible formatting characters, invalid UTF-8, empty and
// over-long values. The value is the reason ident reports.
var BadIDs = map[string]error{
	"":                                    ident.ErrEmpty,
	"ali\x00ce":                           ident.ErrControl,
	"alice\n":                             ident.ErrControl,
	"al\x7fice":                           ident.ErrControl,
	"al\u0085ice":                         ident.ErrControl, // C1 NEL
	"al\u009bice":                         ident.ErrControl, // C1 CSI
	"al\u202eice":                         ident.ErrFormat,  // right-to-left override
	"al\u200bice":                         ident.ErrFormat,  // zero width space
	"al\xffice":                           ident.ErrUTF8,
	strings.Repeat("a", otp.MaxUserLen+1): ident.ErrTooLong,
}

// GoodIDs are unusual identifiers every store must keep apart and return
// unchanged: the longest allowed, non-ASCII, quotes and SQL.
var GoodIDs = []string{
	strings.Repeat("a", otp.MaxUserLen),
	"zoë@example.com",
	"中文用户",
	"o'brien\"; DROP TABLE mdmcred_otp_pin; --",
	"a b",
	"A", "a",
}

func newPepper(t *testing.T) otp.Keys {
	t.Helper()
	p := make([]byte, 32)
	if _, err := rand.Read(p); err != nil {
		t.Fatal(err)
	}
	return otp.NewKeys(map[uint8][]byte{1: p})
}

// RunStore runs the conformance suite against PIN stores made by newStore,
// one fresh, empty store per subtest: the store's own contract, then the
// PIN service's rules on top of it (exactly-once use under races, the
// per-user failure cap that survives re-issue, the issue rate limit and the
// identifier rule). A backend that passes it can be given to
// otp.NewPINService.
func RunStore(t *testing.T, newStore func(t *testing.T) otp.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := func(user string, d byte) otp.PINRecord {
		return otp.PINRecord{
			User: user, Digest: bytes.Repeat([]byte{d}, 34), IssuedAt: at, ExpiresAt: at.Add(24 * time.Hour),
			Failures: 1, Consecutive: 7, LastFailure: at.Add(time.Minute), IssueWindow: at, Issued: 3,
		}
	}
	put := func(t *testing.T, s otp.Store, r otp.PINRecord) {
		t.Helper()
		if err := updatePIN(ctx, s, r.User, func(p *otp.PINRecord) bool { *p = r; return true }); err != nil {
			t.Fatal(err)
		}
	}
	get := func(t *testing.T, s otp.Store, user string) otp.PINRecord {
		t.Helper()
		var got otp.PINRecord
		err := updatePIN(ctx, s, user, func(r *otp.PINRecord) bool {
			got = *r
			got.Digest = bytes.Clone(r.Digest)
			return false
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	same := func(t *testing.T, got, want otp.PINRecord) {
		t.Helper()
		if got.User != want.User || !bytes.Equal(got.Digest, want.Digest) ||
			!got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
			got.Failures != want.Failures || got.Void != want.Void ||
			got.Consecutive != want.Consecutive || !got.LastFailure.Equal(want.LastFailure) || got.Blocked != want.Blocked ||
			!got.IssueWindow.Equal(want.IssueWindow) || got.Issued != want.Issued {
			t.Fatalf("record = %+v, want %+v", got, want)
		}
	}
	newService := func(t *testing.T, s otp.Store, clock *mdmcredtest.Clock, cfg otp.PINConfig) *otp.PINService {
		t.Helper()
		cfg.Store, cfg.Peppers, cfg.PepperID = s, newPepper(t), 1
		if clock != nil {
			cfg.Now = clock.Now
		}
		svc, err := otp.NewPINService(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}

	t.Run("MissingUserIsZeroAndNotCreated", func(t *testing.T) {
		s := newStore(t)
		var seen otp.PINRecord
		called := 0
		if err := updatePIN(ctx, s, "nobody", func(r *otp.PINRecord) bool { called++; seen = *r; return false }); err != nil {
			t.Fatal(err)
		}
		if called != 1 || seen.User != "nobody" || seen.HasPIN() || seen.Consecutive != 0 || seen.Issued != 0 {
			t.Fatalf("fn called %d times with %+v, want once with a zero record for nobody", called, seen)
		}
		// fn made a change but returned false: nothing may be written.
		_ = updatePIN(ctx, s, "nobody", func(r *otp.PINRecord) bool { r.Consecutive = 9; return false })
		if got := get(t, s, "nobody"); got.Consecutive != 0 {
			t.Fatalf("an unsaved change was written: %+v", got)
		}
	})

	t.Run("SaveThenRead", func(t *testing.T) {
		s := newStore(t)
		want := rec("alice", 1)
		want.Blocked, want.Void = true, true
		put(t, s, want)
		same(t, get(t, s, "alice"), want)
	})

	t.Run("StoreKeepsItsOwnDigest", func(t *testing.T) {
		s := newStore(t)
		r := rec("alice", 1)
		put(t, s, r)
		r.Digest[0] = 99
		if got := get(t, s, "alice"); got.Digest[0] != 1 {
			t.Fatal("the store shares the caller's Digest slice")
		}
	})

	t.Run("SaveClearsDigest", func(t *testing.T) {
		s := newStore(t)
		put(t, s, rec("alice", 1))
		if err := updatePIN(ctx, s, "alice", func(r *otp.PINRecord) bool { r.Digest = nil; return true }); err != nil {
			t.Fatal(err)
		}
		got := get(t, s, "alice")
		if got.HasPIN() || got.Consecutive != 7 {
			t.Fatalf("after clearing the PIN: %+v", got)
		}
	})

	t.Run("UsersAreIsolatedAndKeptVerbatim", func(t *testing.T) {
		s := newStore(t)
		for i, u := range GoodIDs {
			put(t, s, rec(u, byte(i+1)))
		}
		for i, u := range GoodIDs {
			same(t, get(t, s, u), rec(u, byte(i+1)))
		}
	})

	t.Run("RaceCountsEveryChange", func(t *testing.T) {
		s := newStore(t)
		race(t, func(int) error {
			return updatePIN(ctx, s, "alice", func(r *otp.PINRecord) bool { r.Consecutive++; return true })
		})
		if got := get(t, s, "alice"); got.Consecutive != Racers {
			t.Fatalf("%d racing increments on a new user counted %d", Racers, got.Consecutive)
		}
	})

	t.Run("RaceVerifyExactlyOneSuccess", func(t *testing.T) {
		svc := newService(t, newStore(t), nil, otp.PINConfig{})
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
		svc := newService(t, newStore(t), nil, otp.PINConfig{})
		pin, _, err := svc.Issue(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		wrong := []byte(pin.Reveal())
		wrong[0] = '0' + (wrong[0]-'0'+1)%10
		var counted, void atomic.Int32
		race(t, func(int) error {
			err := svc.Verify(ctx, "alice", string(wrong))
			var ae *otp.PINAttemptError
			switch {
			case errors.As(err, &ae):
				counted.Add(1)
			case errors.Is(err, otp.ErrPINLocked):
				void.Add(1)
			default:
				return fmt.Errorf("wrong PIN: %v", err)
			}
			return nil
		})
		if counted.Load() != otp.DefaultPINMaxAttempts || void.Load() != Racers-otp.DefaultPINMaxAttempts {
			t.Fatalf("counted %d wrong attempts and refused %d as void, want %d and %d",
				counted.Load(), void.Load(), otp.DefaultPINMaxAttempts, Racers-otp.DefaultPINMaxAttempts)
		}
		if err := svc.Verify(ctx, "alice", pin.Reveal()); !errors.Is(err, otp.ErrPINLocked) {
			t.Fatalf("right PIN after the limit: %v, want ErrPINLocked", err)
		}
	})

	t.Run("FailureCapSurvivesReissue", func(t *testing.T) {
		clock := mdmcredtest.NewClock(at)
		svc := newService(t, newStore(t), clock, otp.PINConfig{IssueLimit: otp.MaxPINIssueLimit, IssueWindow: time.Minute})
		wrongs := 0
		for wrongs < otp.MaxConsecutiveFailures {
			pin, _, err := svc.Issue(ctx, "alice")
			if err != nil {
				t.Fatalf("Issue after %d wrong PINs: %v", wrongs, err)
			}
			for range otp.DefaultPINMaxAttempts {
				if err := svc.Verify(ctx, "alice", wrongPIN(pin.Reveal())); !errors.Is(err, otp.ErrPINInvalid) {
					t.Fatalf("wrong PIN %d: %v", wrongs+1, err)
				}
				wrongs++
			}
			clock.Advance(time.Second)
		}
		_, _, err := svc.Issue(ctx, "alice")
		var be *otp.BlockedError
		if !errors.As(err, &be) || be.Failures != otp.MaxConsecutiveFailures || !errors.Is(err, otp.ErrBlocked) {
			t.Fatalf("Issue after %d wrong PINs in a row: %v, want a BlockedError", wrongs, err)
		}
		if st, err := svc.Status(ctx, "alice"); err != nil || !st.Blocked || st.Consecutive != otp.MaxConsecutiveFailures {
			t.Fatalf("Status = %+v, %v", st, err)
		}
		// The cool-down lifts it.
		clock.Set(be.Until)
		pin, _, err := svc.Issue(ctx, "alice")
		if err != nil {
			t.Fatalf("Issue after the cool-down: %v", err)
		}
		if err := svc.Verify(ctx, "alice", pin.Reveal()); err != nil {
			t.Fatalf("right PIN after the cool-down: %v", err)
		}
	})

	t.Run("ProbationFailureBlocksAgainAndAdminResets", func(t *testing.T) {
		clock := mdmcredtest.NewClock(at)
		svc := newService(t, newStore(t), clock, otp.PINConfig{MaxConsecutive: 3, MaxAttempts: 5, TTL: 2 * otp.DefaultCooldown})
		pin, _, err := svc.Issue(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			_ = svc.Verify(ctx, "alice", wrongPIN(pin.Reveal()))
		}
		if err := svc.Verify(ctx, "alice", pin.Reveal()); !errors.Is(err, otp.ErrBlocked) {
			t.Fatalf("right PIN while blocked: %v, want ErrBlocked", err)
		}
		clock.Advance(otp.DefaultCooldown)
		if err := svc.Verify(ctx, "alice", wrongPIN(pin.Reveal())); !errors.Is(err, otp.ErrPINInvalid) {
			t.Fatalf("wrong PIN after the cool-down: %v", err)
		}
		if _, _, err := svc.Issue(ctx, "alice"); !errors.Is(err, otp.ErrBlocked) {
			t.Fatalf("Issue after a failure on probation: %v, want ErrBlocked", err)
		}
		if err := svc.ResetFailures(ctx, "alice", "admin@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Issue(ctx, "alice"); err != nil {
			t.Fatalf("Issue after the admin reset: %v", err)
		}
	})

	t.Run("IssueRateLimit", func(t *testing.T) {
		clock := mdmcredtest.NewClock(at)
		svc := newService(t, newStore(t), clock, otp.PINConfig{})
		for i := range otp.DefaultPINIssueLimit {
			if _, _, err := svc.Issue(ctx, "alice"); err != nil {
				t.Fatalf("Issue %d: %v", i+1, err)
			}
		}
		_, _, err := svc.Issue(ctx, "alice")
		var re *otp.RateLimitError
		if !errors.As(err, &re) || !re.Until.Equal(at.Add(otp.DefaultPINIssueWindow)) {
			t.Fatalf("Issue %d in the window: %v, want a RateLimitError until %v", otp.DefaultPINIssueLimit+1, err, at.Add(otp.DefaultPINIssueWindow))
		}
		if _, _, err := svc.Issue(ctx, "bob"); err != nil {
			t.Fatalf("another user is limited too: %v", err)
		}
		clock.Set(re.Until)
		if _, _, err := svc.Issue(ctx, "alice"); err != nil {
			t.Fatalf("Issue in the next window: %v", err)
		}
	})

	t.Run("RaceIssueRateLimitExact", func(t *testing.T) {
		svc := newService(t, newStore(t), mdmcredtest.NewClock(at), otp.PINConfig{})
		var ok, limited atomic.Int32
		race(t, func(int) error {
			_, _, err := svc.Issue(ctx, "alice")
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, otp.ErrRateLimited):
				limited.Add(1)
			default:
				return err
			}
			return nil
		})
		if ok.Load() != otp.DefaultPINIssueLimit || limited.Load() != Racers-otp.DefaultPINIssueLimit {
			t.Fatalf("%d racing Issues: %d issued, %d limited; want %d and %d", Racers, ok.Load(), limited.Load(), otp.DefaultPINIssueLimit, Racers-otp.DefaultPINIssueLimit)
		}
	})

	t.Run("WriteIsConditional", func(t *testing.T) {
		s := newStore(t)
		first := rec("alice", 1)
		first.Rev = 5
		if err := s.Write(ctx, first, 0); err != nil {
			t.Fatalf("insert of a new record: %v", err)
		}
		again := rec("alice", 2)
		again.Rev = 9
		if err := s.Write(ctx, again, 0); !errors.Is(err, otp.ErrConflict) {
			t.Fatalf("second insert-if-absent: %v, want ErrConflict", err)
		}
		for _, prev := range []uint64{4, 6, 9} {
			if err := s.Write(ctx, again, prev); !errors.Is(err, otp.ErrConflict) {
				t.Fatalf("write from revision %d on revision 5: %v, want ErrConflict", prev, err)
			}
		}
		loaded, err := s.Load(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		same(t, loaded, first)
		if loaded.Rev != 5 {
			t.Fatalf("Load: revision %d, want 5", loaded.Rev)
		}
		again.Rev = 6
		if err := s.Write(ctx, again, 5); err != nil {
			t.Fatalf("write from the stored revision: %v", err)
		}
		if loaded, _ = s.Load(ctx, "alice"); loaded.Rev != 6 || loaded.Digest[0] != 2 {
			t.Fatalf("after the write: %+v", loaded)
		}
		if missing, err := s.Load(ctx, "nobody"); err != nil || missing.Rev != 0 || missing.User != "nobody" || missing.HasPIN() {
			t.Fatalf("Load of a missing user = %+v, %v; want a zero record with Rev 0", missing, err)
		}
	})

	t.Run("RaceOneWriteFromOneRevision", func(t *testing.T) {
		s := newStore(t)
		for _, prev := range []uint64{0, 1} {
			var won atomic.Int32
			race(t, func(i int) error {
				r := rec("alice", byte(i+1))
				r.Rev = prev + 1
				err := s.Write(ctx, r, prev)
				switch {
				case err == nil:
					won.Add(1)
				case !errors.Is(err, otp.ErrConflict):
					return err
				}
				return nil
			})
			if n := won.Load(); n != 1 {
				t.Fatalf("%d racing writes from revision %d: %d applied, want exactly 1", Racers, prev, n)
			}
		}
	})

	// Two services on one store are two instances, each with its own cache
	// of the records it last read or wrote: a stale cache must never
	// accept a used PIN again or count past the attempt cap.
	twoServices := func(t *testing.T, s otp.Store, cfg otp.PINConfig) (*otp.PINService, *otp.PINService) {
		t.Helper()
		cfg.Store, cfg.Peppers, cfg.PepperID = s, newPepper(t), 1
		a, err := otp.NewPINService(cfg)
		if err != nil {
			t.Fatal(err)
		}
		b, err := otp.NewPINService(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}

	t.Run("StaleCacheNeverReplays", func(t *testing.T) {
		a, b := twoServices(t, newStore(t), otp.PINConfig{})
		pin, _, err := a.Issue(ctx, "alice") // a caches the record with the PIN
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Verify(ctx, "alice", pin.Reveal()); err != nil {
			t.Fatalf("first use, on the other instance: %v", err)
		}
		if err := a.Verify(ctx, "alice", pin.Reveal()); !errors.Is(err, otp.ErrPINNotFound) {
			t.Fatalf("replay on the instance whose cache still holds the PIN: %v, want ErrPINNotFound", err)
		}
		// And a PIN issued elsewhere is found although a's cache says none.
		pin2, _, err := b.Issue(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Verify(ctx, "alice", pin2.Reveal()); err != nil {
			t.Fatalf("a PIN issued on the other instance: %v", err)
		}
	})

	t.Run("RaceTwoInstancesExactlyOnce", func(t *testing.T) {
		a, b := twoServices(t, newStore(t), otp.PINConfig{IssueLimit: otp.MaxPINIssueLimit})
		for round := range 5 {
			issuer := []*otp.PINService{a, b}[round%2]
			pin, _, err := issuer.Issue(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			var ok atomic.Int32
			race(t, func(i int) error {
				err := []*otp.PINService{a, b}[i%2].Verify(ctx, "alice", pin.Reveal())
				switch {
				case err == nil:
					ok.Add(1)
				case !errors.Is(err, otp.ErrPINNotFound):
					return err
				}
				return nil
			})
			if n := ok.Load(); n != 1 {
				t.Fatalf("round %d: %d racing verifiers on two instances: %d succeeded, want exactly 1", round, Racers, n)
			}
		}
		pin, _, err := a.Issue(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		var counted, void atomic.Int32
		race(t, func(i int) error {
			err := []*otp.PINService{a, b}[i%2].Verify(ctx, "alice", wrongPIN(pin.Reveal()))
			var ae *otp.PINAttemptError
			switch {
			case errors.As(err, &ae):
				counted.Add(1)
			case errors.Is(err, otp.ErrPINLocked):
				void.Add(1)
			default:
				return fmt.Errorf("wrong PIN: %v", err)
			}
			return nil
		})
		if counted.Load() != otp.DefaultPINMaxAttempts {
			t.Fatalf("two instances counted %d wrong attempts, want exactly %d", counted.Load(), otp.DefaultPINMaxAttempts)
		}
		if err := b.Verify(ctx, "alice", pin.Reveal()); !errors.Is(err, otp.ErrPINLocked) {
			t.Fatalf("right PIN after the cap: %v, want ErrPINLocked", err)
		}
	})

	t.Run("BadIdentifiersRefusedBeforeTheStore", func(t *testing.T) {
		s := newStore(t)
		svc := newService(t, s, nil, otp.PINConfig{})
		for id, reason := range BadIDs {
			for name, err := range map[string]error{
				"Issue":         func() error { _, _, err := svc.Issue(ctx, id); return err }(),
				"Verify":        svc.Verify(ctx, id, "12345678"),
				"Revoke":        svc.Revoke(ctx, id),
				"Status":        func() error { _, err := svc.Status(ctx, id); return err }(),
				"ResetFailures": svc.ResetFailures(ctx, id, "admin"),
				"ResetActor":    svc.ResetFailures(ctx, "alice", id),
			} {
				field := "user"
				if name == "ResetActor" {
					field = "actor"
				}
				var pe *otp.ParamError
				if !errors.As(err, &pe) || !errors.Is(err, otp.ErrParams) || !errors.Is(err, reason) || pe.Field != field {
					t.Errorf("%s(%q) = %v, want a ParamError on %s for %v", name, id, err, field, reason)
				}
			}
		}
		for _, id := range GoodIDs {
			pin, _, err := svc.Issue(ctx, id)
			if err != nil {
				t.Fatalf("Issue(%q): %v", id, err)
			}
			if err := svc.Verify(ctx, id, pin.Reveal()); err != nil {
				t.Fatalf("Verify(%q): %v", id, err)
			}
		}
	})
}

// wrongPIN changes the first digit of pin.
func wrongPIN(pin string) string {
	b := []byte(pin)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// race runs f in Racers goroutines released together and fails t with the
// first error.
func race(t *testing.T, f func(i int) error) {
	t.Helper()
	raceN(t, Racers, f)
}

func raceN(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
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
