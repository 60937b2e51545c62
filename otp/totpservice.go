package otp

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/mdmcred/mdmcred/internal/attempt"
	"github.com/mdmcred/mdmcred/internal/cas"
)

// Defaults and bounds of [TOTPConfig].
const (
	// DefaultTOTPSkew steps each way around a subject's centre are
	// accepted (RFC 6238 §5.2 recommends at most one).
	DefaultTOTPSkew = 1
	// MaxTOTPSkew bounds TOTPConfig.Skew.
	MaxTOTPSkew = 10
	// NoSkew, as TOTPConfig.Skew, accepts only the centre step.
	NoSkew = -1
	// DefaultTOTPResyncWindow is how far (in steps, each way) [TOTPService.Resync]
	// searches and how far a subject's drift may go: 20 steps of 30 s is
	// ten minutes.
	DefaultTOTPResyncWindow = 20
)

// TOTPConfig configures a [TOTPService]. Zero values are documented per
// field. It holds no key: keys are passed per call.
type TOTPConfig struct {
	// Store keeps one [TOTPState] per subject. Required.
	Store TOTPStore
	// Skew is the number of steps accepted before and after the subject's
	// centre (our current step plus its drift), 1 to MaxTOTPSkew, or
	// NoSkew. Zero means DefaultTOTPSkew (1).
	Skew int
	// ResyncWindow bounds [TOTPService.Resync]'s search and a subject's
	// drift, in steps each way, 1 to MaxWindow. Zero means
	// DefaultTOTPResyncWindow (20).
	ResyncWindow int
	// MaxFailures caps the consecutive wrong codes per subject; at the cap
	// Verify and Resync return a [*BlockedError]. 1 to
	// MaxConsecutiveFailures; zero means MaxConsecutiveFailures (100), the
	// same rule as [PINConfig].MaxConsecutive.
	MaxFailures int
	// Cooldown is how long a block lasts after the latest failure (see
	// [DefaultCooldown]). Zero means DefaultCooldown (24 h); NoCooldown
	// means only Reset lifts it.
	Cooldown time.Duration
	// Now is the clock. Zero means time.Now.
	Now func() time.Time
	// Logger receives one record per verification (subject and outcome,
	// never a code). Zero means no logging.
	Logger *slog.Logger
}

// TOTPService verifies TOTP codes for subjects and owns what stateless
// [ValidateTOTP] leaves to the caller: it accepts a code at most once
// (RFC 6238 §5.2), counts consecutive failures against a cap, and tracks
// each subject's clock drift, re-centring the window on it (RFC 6238 §6),
// with a resync mode for a clock that drifted further (RFC 4226 §7.4).
// Every check for one call is decided in Go on the subject's state and its
// change written with one conditional [TOTPStore.WriteTOTP] on the revision
// it was decided on, so of any number of concurrent calls with one code, on
// any number of instances sharing a store, exactly one succeeds. Safe for concurrent use.
type TOTPService struct {
	states  *cas.Mutator[TOTPState] // the store idiom over store, with its cache
	skew    int
	resync  int
	lockout attempt.Policy
	now     func() time.Time
	log     *slog.Logger
}

// TOTPResult is what an accepted code tells: the step it matched and the
// subject's drift now recorded (steps; positive when its clock is ahead).
type TOTPResult struct {
	Step  uint64
	Drift int64
}

// NewTOTPService validates cfg and returns the service. Errors are
// [*ParamError].
func NewTOTPService(cfg TOTPConfig) (*TOTPService, error) {
	if cfg.Store == nil {
		return nil, &ParamError{Field: "Store", Reason: "required"}
	}
	switch cfg.Skew {
	case 0:
		cfg.Skew = DefaultTOTPSkew
	case NoSkew:
		cfg.Skew = 0
	default:
		if cfg.Skew < 1 || cfg.Skew > MaxTOTPSkew {
			return nil, &ParamError{Field: "Skew", Reason: "must be NoSkew or 1 to 10, got " + strconv.Itoa(cfg.Skew)}
		}
	}
	if cfg.ResyncWindow == 0 {
		cfg.ResyncWindow = DefaultTOTPResyncWindow
	}
	if cfg.ResyncWindow < 1 || cfg.ResyncWindow > MaxWindow {
		return nil, &ParamError{Field: "ResyncWindow", Reason: "must be 1 to 100, got " + strconv.Itoa(cfg.ResyncWindow)}
	}
	lockout, err := lockoutPolicy("MaxFailures", cfg.MaxFailures, cfg.Cooldown)
	if err != nil {
		return nil, err
	}
	s := &TOTPService{states: totpMutator(cfg.Store), skew: cfg.Skew, resync: cfg.ResyncWindow, lockout: lockout, now: cfg.Now, log: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Verify checks code for subject under key and, if it is accepted, records
// its step so that it (and every earlier code) is refused from then on. The
// window is the configured Skew around our current step shifted by the
// subject's recorded drift; the drift of the matched step is recorded.
//
// Errors: a [*ParamError] for subject or a zero key,
// [ErrFormat] (not counted: it reveals nothing), a [*BlockedError], then
// [ErrReplay] or [ErrInvalid] (each counted as a failure), or the store's
// error.
func (s *TOTPService) Verify(ctx context.Context, subject string, key *Key, code string) (TOTPResult, error) {
	if ctx == nil {
		return TOTPResult{}, ErrNilContext
	}
	if err := s.precheck(subject, key, code); err != nil {
		return TOTPResult{}, err
	}
	now := s.now()
	cur := key.Step(now)
	var res TOTPResult
	var result error
	err := s.states.Mutate(ctx, subject, func(st *TOTPState) bool {
		if err := blocked(s.lockout, st.lockState(), now); err != nil {
			result = err
			return false
		}
		drift := clampDrift(st.Drift, s.resync)
		centre := now.Add(time.Duration(drift) * key.Period())
		step, err := ValidateTOTP(key, code, centre, ValidateOpts{Past: s.skew, Future: s.skew, MinStep: st.NextStep})
		if err != nil {
			*st = st.transition(s.lockout, evFail, now, 0, 0)
			result = err
			return true
		}
		res = TOTPResult{Step: step, Drift: clampDrift(int64(step)-int64(cur), s.resync)}
		*st = st.transition(s.lockout, evAccept, now, step, res.Drift)
		result = nil
		return true
	})
	return res, s.finish(ctx, "verify", subject, res, result, err)
}

// Resync re-establishes a subject whose clock drifted beyond the window:
// it accepts two consecutive codes, code1 then code2, matched at steps n
// and n+1 anywhere within ResyncWindow steps of our current step (and at
// or after the subject's NextStep), as RFC 4226 §7.4 and RFC 6238 §6
// describe. It records NextStep n+2 and the drift of n+1. Every step in
// the window is computed and compared in constant time.
//
// Errors are those of [TOTPService.Verify]; a pair that does not match
// counts as one failure.
func (s *TOTPService) Resync(ctx context.Context, subject string, key *Key, code1, code2 string) (TOTPResult, error) {
	if ctx == nil {
		return TOTPResult{}, ErrNilContext
	}
	if err := s.precheck(subject, key, code1); err != nil {
		return TOTPResult{}, err
	}
	w2, ok := parseCode(code2, key.digits)
	if !ok {
		return TOTPResult{}, ErrFormat
	}
	w1, _ := parseCode(code1, key.digits)
	now := s.now()
	cur := key.Step(now)
	var res TOTPResult
	var result error
	err := s.states.Mutate(ctx, subject, func(st *TOTPState) bool {
		if err := blocked(s.lockout, st.lockState(), now); err != nil {
			result = err
			return false
		}
		n, found, replay := matchPair(key, w1, w2, cur, s.resync, st.NextStep)
		if !found {
			*st = st.transition(s.lockout, evFail, now, 0, 0)
			result = ErrInvalid
			if replay {
				result = ErrReplay
			}
			return true
		}
		res = TOTPResult{Step: n + 1, Drift: int64(n+1) - int64(cur)}
		*st = st.transition(s.lockout, evAccept, now, n+1, res.Drift)
		result = nil
		return true
	})
	return res, s.finish(ctx, "resync", subject, res, result, err)
}

// matchPair finds the latest n within window steps of cur with code w1 at
// n and w2 at n+1, n >= minStep, computing every candidate.
func matchPair(k *Key, w1, w2 uint32, cur uint64, window int, minStep uint64) (n uint64, found, replay bool) {
	lo := cur - uint64(window)
	if cur < uint64(window) {
		lo = 0
	}
	hi := cur + uint64(window)
	prev := k.value(lo)
	f, r := 0, 0
	for c := lo; c < hi; c++ {
		next := k.value(c + 1)
		eq := subtle.ConstantTimeEq(int32(prev), int32(w1)) & subtle.ConstantTimeEq(int32(next), int32(w2))
		fresh := 0
		if c >= minStep {
			fresh = 1
		}
		hit := eq & fresh
		mask := -uint64(hit)
		n = n&^mask | c&mask
		f |= hit
		r |= eq &^ fresh
		prev = next
	}
	return n, f == 1, f == 0 && r == 1
}

// Reset is the administrator's unlock for subject: it clears the failure
// count (and so any block) and the recorded drift, and logs actor. The
// replay record (NextStep) is kept: a reset never makes a used code
// acceptable again. When the subject's key is replaced, call
// [TOTPService.Forget] instead.
func (s *TOTPService) Reset(ctx context.Context, subject, actor string) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := checkID("subject", subject); err != nil {
		return err
	}
	if err := checkID("actor", actor); err != nil {
		return err
	}
	now := s.now()
	err := s.states.Mutate(ctx, subject, func(st *TOTPState) bool {
		if *st == (TOTPState{Subject: st.Subject, NextStep: st.NextStep, Rev: st.Rev}) {
			return false
		}
		*st = st.transition(s.lockout, evReset, now, 0, 0)
		return true
	})
	if err != nil {
		return fmt.Errorf("otp: TOTP store: %w", err)
	}
	s.log.InfoContext(ctx, "otp: TOTP failures reset", slog.String("subject", subject), slog.String("actor", actor))
	return nil
}

// Forget clears everything recorded for subject, the replay record
// included, and logs actor. Call it when the subject's key is replaced
// (re-enrollment): the old key's steps mean nothing for the new one, and a
// new key with a longer period would otherwise find its steps below the
// old NextStep and be refused as replays.
func (s *TOTPService) Forget(ctx context.Context, subject, actor string) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := checkID("subject", subject); err != nil {
		return err
	}
	if err := checkID("actor", actor); err != nil {
		return err
	}
	now := s.now()
	err := s.states.Mutate(ctx, subject, func(st *TOTPState) bool {
		if *st == (TOTPState{Subject: st.Subject, Rev: st.Rev}) {
			return false
		}
		*st = st.transition(s.lockout, evForget, now, 0, 0)
		return true
	})
	if err != nil {
		return fmt.Errorf("otp: TOTP store: %w", err)
	}
	s.log.InfoContext(ctx, "otp: TOTP state forgotten", slog.String("subject", subject), slog.String("actor", actor))
	return nil
}

// State returns subject's state and phase without changing them.
func (s *TOTPService) State(ctx context.Context, subject string) (TOTPState, TOTPPhase, error) {
	if ctx == nil {
		return TOTPState{}, 0, ErrNilContext
	}
	if err := checkID("subject", subject); err != nil {
		return TOTPState{}, 0, err
	}
	now := s.now()
	got, err := s.states.Load(ctx, subject)
	if err != nil {
		return TOTPState{}, 0, fmt.Errorf("otp: TOTP store: %w", err)
	}
	return got, got.phase(s.lockout, now), nil
}

func (s *TOTPService) precheck(subject string, key *Key, code string) error {
	if err := checkID("subject", subject); err != nil {
		return err
	}
	if !key.usable() {
		return errZeroKey
	}
	if _, ok := parseCode(code, key.digits); !ok {
		return ErrFormat
	}
	return nil
}

func (s *TOTPService) finish(ctx context.Context, op, subject string, res TOTPResult, result, err error) error {
	if err != nil {
		err = fmt.Errorf("otp: TOTP store: %w", err)
	}
	if !s.log.Enabled(ctx, slog.LevelInfo) {
		// Building the attributes costs allocations even for a discarding
		// handler; Verify is a hot path.
		if err != nil {
			return err
		}
		return result
	}
	if err != nil {
		s.log.InfoContext(ctx, "otp: TOTP "+op+" failed", slog.String("subject", subject), slog.String("reason", err.Error()))
		return err
	}
	if result != nil {
		s.log.InfoContext(ctx, "otp: TOTP "+op+" refused", slog.String("subject", subject), slog.String("reason", result.Error()))
		return result
	}
	s.log.InfoContext(ctx, "otp: TOTP "+op+" accepted", slog.String("subject", subject), slog.Uint64("step", res.Step), slog.Int64("drift", res.Drift))
	return nil
}

func clampDrift(d int64, bound int) int64 {
	return max(-int64(bound), min(int64(bound), d))
}
