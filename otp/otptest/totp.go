package otptest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/otp"
)

// TOTPRacers goroutines race one code in each of TOTPTrials trials of
// RunTOTPStore's exactly-once test.
const (
	TOTPRacers = 16
	TOTPTrials = 1000
)

// TOTPKey is the key RunTOTPStore verifies codes of: the RFC 6238 SHA-256
// seed, which FIPS 140-3 mode accepts too.
func TOTPKey() *otp.Key {
	k, err := otp.NewKey([]byte("12345678901234567890123456789012"), otp.Params{Algorithm: otp.SHA256})
	if err != nil {
		panic(err)
	}
	return k
}

// RunTOTPStore runs the conformance suite against TOTP stores made by
// newStore, one fresh, empty store per subtest: the store's contract, then
// otp.TOTPService's rules on top of it (a code accepted exactly once by
// TOTPRacers goroutines in each of TOTPTrials trials, the failure cap and
// cool-down, drift tracking and resync, the identifier rule). A backend that
// passes it can be given to otp.NewTOTPService.
func RunTOTPStore(t *testing.T, newStore func(t *testing.T) otp.TOTPStore) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 12, 0, 10, 0, time.UTC)
	key := TOTPKey()
	cur := key.Step(at)
	code := func(step uint64) string { return otp.HOTP(key, step).Reveal() }
	get := func(t *testing.T, s otp.TOTPStore, subject string) otp.TOTPState {
		t.Helper()
		var got otp.TOTPState
		if err := updateTOTP(ctx, s, subject, func(st *otp.TOTPState) bool { got = *st; return false }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	put := func(t *testing.T, s otp.TOTPStore, st otp.TOTPState) {
		t.Helper()
		if err := updateTOTP(ctx, s, st.Subject, func(p *otp.TOTPState) bool { *p = st; return true }); err != nil {
			t.Fatal(err)
		}
	}
	same := func(t *testing.T, got, want otp.TOTPState) {
		t.Helper()
		if got.Subject != want.Subject || got.NextStep != want.NextStep || got.Drift != want.Drift ||
			got.Failures != want.Failures || !got.LastFailure.Equal(want.LastFailure) || got.Blocked != want.Blocked {
			t.Fatalf("state = %+v, want %+v", got, want)
		}
	}
	service := func(t *testing.T, s otp.TOTPStore, clock *mdmcredtest.Clock, cfg otp.TOTPConfig) *otp.TOTPService {
		t.Helper()
		cfg.Store, cfg.Now = s, clock.Now
		svc, err := otp.NewTOTPService(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}

	t.Run("MissingSubjectIsZeroAndNotCreated", func(t *testing.T) {
		s := newStore(t)
		calls := 0
		var seen otp.TOTPState
		if err := updateTOTP(ctx, s, "nobody", func(st *otp.TOTPState) bool { calls++; seen = *st; st.NextStep = 5; return false }); err != nil {
			t.Fatal(err)
		}
		if calls != 1 || seen != (otp.TOTPState{Subject: "nobody"}) {
			t.Fatalf("fn called %d times with %+v, want once with a zero state", calls, seen)
		}
		same(t, get(t, s, "nobody"), otp.TOTPState{Subject: "nobody"})
	})

	t.Run("SaveThenRead", func(t *testing.T) {
		s := newStore(t)
		for _, want := range []otp.TOTPState{
			{Subject: "alice", NextStep: 1<<63 - 1, Drift: -otp.MaxWindow, Failures: 100, LastFailure: at, Blocked: true},
			{Subject: "alice", NextStep: cur, Drift: 3},
		} {
			put(t, s, want)
			same(t, get(t, s, "alice"), want)
		}
	})

	t.Run("WriteIsConditional", func(t *testing.T) {
		s := newStore(t)
		first := otp.TOTPState{Subject: "alice", NextStep: 7, Rev: 5}
		if err := s.WriteTOTP(ctx, first, 0); err != nil {
			t.Fatalf("insert of a new state: %v", err)
		}
		again := otp.TOTPState{Subject: "alice", NextStep: 9, Failures: 1, Rev: 9}
		for _, prev := range []uint64{0, 4, 6, 9} {
			if err := s.WriteTOTP(ctx, again, prev); !errors.Is(err, otp.ErrConflict) {
				t.Fatalf("write from revision %d on revision 5: %v, want ErrConflict", prev, err)
			}
		}
		loaded, err := s.LoadTOTP(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if same(t, loaded, first); loaded.Rev != 5 {
			t.Fatalf("LoadTOTP: revision %d, want 5", loaded.Rev)
		}
		again.Rev = 6
		if err := s.WriteTOTP(ctx, again, 5); err != nil {
			t.Fatalf("write from the stored revision: %v", err)
		}
		if loaded, err = s.LoadTOTP(ctx, "alice"); err != nil || loaded.Rev != 6 {
			t.Fatalf("after the write: %+v, %v", loaded, err)
		}
		same(t, loaded, again)
	})

	t.Run("SubjectsAreIsolatedAndKeptVerbatim", func(t *testing.T) {
		s := newStore(t)
		for i, id := range GoodIDs {
			put(t, s, otp.TOTPState{Subject: id, NextStep: uint64(i + 1)})
		}
		for i, id := range GoodIDs {
			same(t, get(t, s, id), otp.TOTPState{Subject: id, NextStep: uint64(i + 1)})
		}
	})

	t.Run("RaceCountsEveryChange", func(t *testing.T) {
		s := newStore(t)
		race(t, func(int) error {
			return updateTOTP(ctx, s, "alice", func(st *otp.TOTPState) bool { st.Failures++; return true })
		})
		if got := get(t, s, "alice"); got.Failures != Racers {
			t.Fatalf("%d racing increments on a new subject counted %d", Racers, got.Failures)
		}
	})

	t.Run("RaceCodeAcceptedExactlyOnce", func(t *testing.T) {
		svc := service(t, newStore(t), mdmcredtest.NewClock(at), otp.TOTPConfig{})
		c := code(cur)
		for trial := range TOTPTrials {
			subject := fmt.Sprintf("trial-%d", trial)
			var ok, replay atomic.Int32
			raceN(t, TOTPRacers, func(int) error {
				switch _, err := svc.Verify(ctx, subject, key, c); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, otp.ErrReplay):
					replay.Add(1)
				default:
					return err
				}
				return nil
			})
			if ok.Load() != 1 || replay.Load() != TOTPRacers-1 {
				t.Fatalf("trial %d: %d racing verifiers of one code: %d accepted, %d replays; want 1 and %d",
					trial, TOTPRacers, ok.Load(), replay.Load(), TOTPRacers-1)
			}
		}
	})

	t.Run("EarlierCodesRefusedAfterALaterOne", func(t *testing.T) {
		clock := mdmcredtest.NewClock(at)
		svc := service(t, newStore(t), clock, otp.TOTPConfig{})
		if res, err := svc.Verify(ctx, "alice", key, code(cur+1)); err != nil || res.Step != cur+1 || res.Drift != 1 {
			t.Fatalf("next step's code: %+v, %v", res, err)
		}
		// The window is now centred on cur+1: cur and cur+1 are in it and
		// used up; cur-1 is outside it.
		for _, step := range []uint64{cur, cur + 1} {
			if _, err := svc.Verify(ctx, "alice", key, code(step)); !errors.Is(err, otp.ErrReplay) {
				t.Fatalf("code of step %d after step %d: %v, want ErrReplay", step, cur+1, err)
			}
		}
		if _, err := svc.Verify(ctx, "alice", key, code(cur-1)); !errors.Is(err, otp.ErrInvalid) {
			t.Fatalf("code of step %d, outside the re-centred window: %v, want ErrInvalid", cur-1, err)
		}
	})

	t.Run("FailureCapCooldownAndReset", func(t *testing.T) {
		clock := mdmcredtest.NewClock(at)
		svc := service(t, newStore(t), clock, otp.TOTPConfig{})
		wrong := wrongPIN(code(cur))
		for i := range otp.MaxConsecutiveFailures {
			if _, err := svc.Verify(ctx, "alice", key, wrong); !errors.Is(err, otp.ErrInvalid) {
				t.Fatalf("wrong code %d: %v", i+1, err)
			}
		}
		_, err := svc.Verify(ctx, "alice", key, code(cur))
		var be *otp.BlockedError
		if !errors.As(err, &be) || be.Failures != otp.MaxConsecutiveFailures || !be.Until.Equal(at.Add(otp.DefaultCooldown)) {
			t.Fatalf("right code after %d wrong ones: %v, want a BlockedError until %v", otp.MaxConsecutiveFailures, err, at.Add(otp.DefaultCooldown))
		}
		if _, ph, _ := svc.State(ctx, "alice"); ph != otp.TOTPBlocked {
			t.Fatalf("phase %v, want blocked", ph)
		}
		clock.Set(be.Until)
		if _, ph, _ := svc.State(ctx, "alice"); ph != otp.TOTPProbation {
			t.Fatalf("phase after the cool-down %v, want probation", ph)
		}
		if _, err := svc.Verify(ctx, "alice", key, wrong); !errors.Is(err, otp.ErrInvalid) {
			t.Fatalf("wrong code on probation: %v", err)
		}
		if _, err := svc.Verify(ctx, "alice", key, code(key.Step(clock.Now()))); !errors.Is(err, otp.ErrBlocked) {
			t.Fatalf("right code after a failure on probation: %v, want ErrBlocked", err)
		}
		if err := svc.Reset(ctx, "alice", "admin@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Verify(ctx, "alice", key, code(key.Step(clock.Now()))); err != nil {
			t.Fatalf("right code after the reset: %v", err)
		}
		if st, ph, _ := svc.State(ctx, "alice"); ph != otp.TOTPOpen || st.Failures != 0 {
			t.Fatalf("after a success: %+v %v", st, ph)
		}
	})

	t.Run("DriftResyncAndRecentre", func(t *testing.T) {
		clock := mdmcredtest.NewClock(at)
		svc := service(t, newStore(t), clock, otp.TOTPConfig{})
		// The subject's clock is 5 steps ahead: out of the window.
		if _, err := svc.Verify(ctx, "alice", key, code(cur+5)); !errors.Is(err, otp.ErrInvalid) {
			t.Fatalf("code 5 steps ahead: %v, want ErrInvalid", err)
		}
		res, err := svc.Resync(ctx, "alice", key, code(cur+5), code(cur+6))
		if err != nil || res.Step != cur+6 || res.Drift != 6 {
			t.Fatalf("Resync = %+v, %v; want step %d drift 6", res, err, cur+6)
		}
		if _, err := svc.Resync(ctx, "alice", key, code(cur+5), code(cur+6)); !errors.Is(err, otp.ErrReplay) {
			t.Fatalf("the same resync pair again: %v, want ErrReplay", err)
		}
		// Ten minutes on, the window is centred on the drift.
		clock.Advance(10 * time.Minute)
		now := key.Step(clock.Now())
		res, err = svc.Verify(ctx, "alice", key, code(now+7))
		if err != nil || res.Drift != 7 {
			t.Fatalf("code at the drift plus one: %+v, %v", res, err)
		}
		if st, _, _ := svc.State(ctx, "alice"); st.Drift != 7 || st.NextStep != now+8 {
			t.Fatalf("state %+v, want drift 7, next step %d", st, now+8)
		}
		if _, err := svc.Verify(ctx, "alice", key, code(now+7)); !errors.Is(err, otp.ErrReplay) {
			t.Fatalf("the same code again: %v, want ErrReplay", err)
		}
		if _, err := svc.Verify(ctx, "alice", key, code(now)); !errors.Is(err, otp.ErrInvalid) {
			t.Fatalf("our own current step, 7 steps behind the subject: %v, want ErrInvalid", err)
		}
		// A pair that is not consecutive is refused.
		clock.Advance(time.Hour)
		now = key.Step(clock.Now())
		if _, err := svc.Resync(ctx, "alice", key, code(now), code(now+2)); !errors.Is(err, otp.ErrInvalid) {
			t.Fatalf("non-consecutive pair: %v, want ErrInvalid", err)
		}
	})

	// Two services on one store are two instances, each with its own cache
	// of the states it last read or wrote: a stale cache must never accept
	// a used code, miss a failure, or unblock a subject.
	t.Run("StaleCacheNeverReplaysOrForgetsAFailure", func(t *testing.T) {
		s := newStore(t)
		clock := mdmcredtest.NewClock(at)
		a := service(t, s, clock, otp.TOTPConfig{MaxFailures: 3})
		b := service(t, s, clock, otp.TOTPConfig{MaxFailures: 3})
		if _, err := a.Verify(ctx, "alice", key, code(cur)); err != nil { // a caches NextStep cur+1
			t.Fatal(err)
		}
		if _, err := b.Verify(ctx, "alice", key, code(cur+1)); err != nil {
			t.Fatalf("next step's code on the other instance: %v", err)
		}
		if _, err := a.Verify(ctx, "alice", key, code(cur+1)); !errors.Is(err, otp.ErrReplay) {
			t.Fatalf("the code the other instance accepted, on the instance whose cache predates it: %v, want ErrReplay", err)
		}
		// Failures alternate between the instances: every one counts (the
		// replay above is the first), and the cap blocks on both.
		wrong := wrongPIN(code(cur))
		for i, svc := range []*otp.TOTPService{b, a} {
			if _, err := svc.Verify(ctx, "alice", key, wrong); !errors.Is(err, otp.ErrInvalid) {
				t.Fatalf("wrong code %d: %v", i+1, err)
			}
		}
		for name, svc := range map[string]*otp.TOTPService{"a": a, "b": b} {
			if _, err := svc.Verify(ctx, "alice", key, code(cur+2)); !errors.Is(err, otp.ErrBlocked) {
				t.Fatalf("right code on %s after 3 failures on both: %v, want ErrBlocked", name, err)
			}
		}
		if st, _, err := b.State(ctx, "alice"); err != nil || st.Failures != 3 || !st.Blocked {
			t.Fatalf("state %+v, %v; want 3 failures, blocked", st, err)
		}
		// An administrator's reset on one instance opens both.
		if err := b.Reset(ctx, "alice", "admin@example.com"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(key.Period()) // the reset cleared the drift: the next step's code is the current one
		if _, err := a.Verify(ctx, "alice", key, code(cur+2)); err != nil {
			t.Fatalf("right code after a reset on the other instance: %v", err)
		}
	})

	t.Run("BadIdentifiersRefusedBeforeTheStore", func(t *testing.T) {
		s := newStore(t)
		svc := service(t, s, mdmcredtest.NewClock(at), otp.TOTPConfig{})
		for id, reason := range BadIDs {
			for name, err := range map[string]error{
				"Verify":      func() error { _, err := svc.Verify(ctx, id, key, code(cur)); return err }(),
				"Resync":      func() error { _, err := svc.Resync(ctx, id, key, code(cur), code(cur+1)); return err }(),
				"State":       func() error { _, _, err := svc.State(ctx, id); return err }(),
				"Reset":       svc.Reset(ctx, id, "admin"),
				"ResetActor":  svc.Reset(ctx, "alice", id),
				"Forget":      svc.Forget(ctx, id, "admin"),
				"ForgetActor": svc.Forget(ctx, "alice", id),
			} {
				field := "subject"
				if strings.HasSuffix(name, "Actor") {
					field = "actor"
				}
				var pe *otp.ParamError
				if !errors.As(err, &pe) || !errors.Is(err, otp.ErrParams) || !errors.Is(err, reason) || pe.Field != field {
					t.Errorf("%s(%q) = %v, want a ParamError on %s for %v", name, id, err, field, reason)
				}
			}
		}
		for _, id := range GoodIDs {
			if _, err := svc.Verify(ctx, id, key, code(cur)); err != nil {
				t.Fatalf("Verify(%q): %v", id, err)
			}
		}
	})
}
