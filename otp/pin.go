package otp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/mdmcred/mdmcred/internal/attempt"
	"github.com/mdmcred/mdmcred/internal/keyedhash"
	"github.com/mdmcred/mdmcred/internal/randcode"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// PIN is a portal one-time PIN. It redacts itself under every fmt verb,
// log/slog and JSON; Reveal it only to show it to its user.
type PIN = secret.String

// Defaults and bounds of [PINConfig].
const (
	DefaultPINLength      = 8
	MinPINLength          = 6
	MaxPINLength          = 12
	DefaultPINTTL         = 24 * time.Hour
	MinPINTTL             = time.Minute
	MaxPINTTL             = 30 * 24 * time.Hour
	DefaultPINMaxAttempts = 5
	MaxPINMaxAttempts     = 20
	// MaxUserLen bounds a user name.
	MaxUserLen = 256
)

// pinDomain separates PIN digests from every other keyed hash.
const pinDomain = "otp/pin"

// PINConfig configures a [PINService]. Zero values are documented per field.
type PINConfig struct {
	// Store keeps one outstanding PIN per user. Required.
	Store Store
	// Peppers are the HMAC keys for PIN digests, by ID: each at least 32
	// random bytes, held by the server and never stored with the records.
	// Keep a retired pepper here until the PINs made under it have expired
	// (TTL). Required.
	Peppers map[uint8][]byte
	// PepperID names the pepper new PINs are hashed under. It must be in
	// Peppers.
	PepperID uint8
	// Length is the number of decimal digits, MinPINLength to MaxPINLength.
	// Zero means DefaultPINLength (8): 10^8 PINs against 5 attempts.
	Length int
	// TTL is how long a PIN stays valid, MinPINTTL to MaxPINTTL. Zero
	// means DefaultPINTTL (24 h).
	TTL time.Duration
	// MaxAttempts is the number of wrong PINs after which the PIN is void,
	// 1 to MaxPINMaxAttempts. Zero means DefaultPINMaxAttempts (5).
	MaxAttempts int
	// Now is the clock. Zero means time.Now.
	Now func() time.Time
	// Rand is the randomness for PINs. Zero means crypto/rand.Reader.
	Rand io.Reader
	// Logger receives one record per issue and verification (user name and
	// outcome, never the PIN). Zero means no logging.
	Logger *slog.Logger
}

// PINService issues and verifies portal one-time PINs. It is safe for
// concurrent use; all state is in the Store.
type PINService struct {
	store   Store
	hasher  *keyedhash.Hasher
	gen     *randcode.Generator
	length  int
	ttl     time.Duration
	policy  attempt.Policy
	now     func() time.Time
	rand    io.Reader
	log     *slog.Logger
	maxFail int
}

// NewPINService validates cfg and returns the service. Errors are
// [*ParamError].
func NewPINService(cfg PINConfig) (*PINService, error) {
	if cfg.Store == nil {
		return nil, &ParamError{Field: "Store", Reason: "required"}
	}
	if cfg.Length == 0 {
		cfg.Length = DefaultPINLength
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultPINTTL
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultPINMaxAttempts
	}
	switch {
	case cfg.Length < MinPINLength || cfg.Length > MaxPINLength:
		return nil, &ParamError{Field: "Length", Reason: "must be 6 to 12, got " + strconv.Itoa(cfg.Length)}
	case cfg.TTL < MinPINTTL || cfg.TTL > MaxPINTTL:
		return nil, &ParamError{Field: "TTL", Reason: "must be 1 min to 30 days, got " + cfg.TTL.String()}
	case cfg.MaxAttempts < 1 || cfg.MaxAttempts > MaxPINMaxAttempts:
		return nil, &ParamError{Field: "MaxAttempts", Reason: "must be 1 to 20, got " + strconv.Itoa(cfg.MaxAttempts)}
	}
	h, err := keyedhash.New(cfg.PepperID, cfg.Peppers)
	if err != nil {
		// The keyedhash error names IDs and lengths, never pepper bytes.
		return nil, &ParamError{Field: "Peppers", Reason: err.Error()}
	}
	s := &PINService{
		store:   cfg.Store,
		hasher:  h,
		gen:     randcode.MustNew(randcode.Spec{Alphabet: randcode.Digits, Length: cfg.Length}),
		length:  cfg.Length,
		ttl:     cfg.TTL,
		policy:  attempt.Policy{Threshold: cfg.MaxAttempts},
		now:     cfg.Now,
		rand:    cfg.Rand,
		log:     cfg.Logger,
		maxFail: cfg.MaxAttempts,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

func checkUser(user string) error {
	if user == "" || len(user) > MaxUserLen {
		return ErrUser
	}
	return nil
}

// material binds the PIN to the user name: a record moved to another user
// in the store does not verify. The length prefix keeps it unambiguous.
func material(user, pin string) string {
	return strconv.Itoa(len(user)) + ":" + user + pin
}

// Issue draws a new PIN for user, stores its keyed hash (voiding any PIN
// issued before) and returns the PIN and when it expires. Show the PIN to
// the user once; it cannot be read back.
func (s *PINService) Issue(ctx context.Context, user string) (PIN, time.Time, error) {
	if err := checkUser(user); err != nil {
		return PIN{}, time.Time{}, err
	}
	pin, err := s.gen.Generate(s.rand)
	if err != nil {
		return PIN{}, time.Time{}, fmt.Errorf("otp: drawing PIN: %w", err)
	}
	now := s.now().UTC()
	rec := PINRecord{
		User:      user,
		Digest:    s.hasher.Sum(pinDomain, material(user, pin)),
		IssuedAt:  now,
		ExpiresAt: now.Add(s.ttl),
	}
	if err := s.store.Put(ctx, rec); err != nil {
		return PIN{}, time.Time{}, fmt.Errorf("otp: storing PIN: %w", err)
	}
	s.log.InfoContext(ctx, "otp: PIN issued", slog.String("user", user), slog.Time("expires", rec.ExpiresAt))
	return secret.New(pin), rec.ExpiresAt, nil
}

// normalizePIN drops ASCII spaces and checks the length and digits.
func (s *PINService) normalizePIN(pin string) (string, bool) {
	if len(pin) > 4*MaxPINLength {
		return "", false
	}
	var buf [4 * MaxPINLength]byte
	n := 0
	for i := 0; i < len(pin); i++ {
		c := pin[i]
		if c == ' ' {
			continue
		}
		if c < '0' || c > '9' {
			return "", false
		}
		buf[n] = c
		n++
	}
	if n != s.length {
		return "", false
	}
	return string(buf[:n]), true
}

// Verify checks pin for user and consumes it: of any number of concurrent
// Verify calls with the right PIN, exactly one returns nil. Every check and
// state change happens in one atomic Store.Update.
//
// Errors: [ErrUser], [ErrPINFormat] (not counted as an attempt: it reveals
// nothing), [ErrPINNotFound] (none outstanding, already used, or replaced),
// [ErrPINExpired], [ErrPINLocked] (void after MaxAttempts wrong PINs), a
// [*PINAttemptError] matching [ErrPINInvalid] for a wrong PIN, or the
// store's error. Show the user one generic message for all of them; the
// distinctions are for logs and support.
func (s *PINService) Verify(ctx context.Context, user, pin string) error {
	if err := checkUser(user); err != nil {
		return err
	}
	p, ok := s.normalizePIN(pin)
	if !ok {
		return ErrPINFormat
	}
	m := material(user, p)
	now := s.now().UTC()
	var result error
	err := s.store.Update(ctx, user, func(rec *PINRecord) bool {
		if !now.Before(rec.ExpiresAt) {
			result = ErrPINExpired
			return true
		}
		if rec.Void || rec.Failures >= s.maxFail {
			rec.Void = true
			result = ErrPINLocked
			return false
		}
		match, _, herr := s.hasher.Verify(pinDomain, m, rec.Digest)
		if herr != nil {
			// Made under a pepper no longer configured, or corrupt: it can
			// never verify.
			result = fmt.Errorf("%w: stored digest unusable", ErrPINNotFound)
			return true
		}
		if match {
			result = nil
			return true
		}
		r := s.policy.Fail(attempt.State{Failures: rec.Failures, LastFailure: rec.LastFailure, Locked: rec.Void}, now)
		rec.Failures = r.State.Failures
		rec.LastFailure = now
		rec.Void = r.State.Locked
		result = &PINAttemptError{Remaining: max(0, s.maxFail-rec.Failures)}
		return false
	})
	if err != nil {
		if !errors.Is(err, ErrPINNotFound) {
			err = fmt.Errorf("otp: PIN store: %w", err)
		}
		s.log.InfoContext(ctx, "otp: PIN refused", slog.String("user", user), slog.String("reason", err.Error()))
		return err
	}
	if result != nil {
		s.log.InfoContext(ctx, "otp: PIN refused", slog.String("user", user), slog.String("reason", result.Error()))
		return result
	}
	s.log.InfoContext(ctx, "otp: PIN used", slog.String("user", user))
	return nil
}

// Revoke voids user's outstanding PIN. It returns [ErrPINNotFound] if there
// is none.
func (s *PINService) Revoke(ctx context.Context, user string) error {
	if err := checkUser(user); err != nil {
		return err
	}
	err := s.store.Update(ctx, user, func(*PINRecord) bool { return true })
	if err == nil {
		s.log.InfoContext(ctx, "otp: PIN revoked", slog.String("user", user))
	}
	return err
}
