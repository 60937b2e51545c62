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
	"github.com/mdmcred/mdmcred/internal/cas"
	"github.com/mdmcred/mdmcred/internal/keyedhash"
	"github.com/mdmcred/mdmcred/internal/randcode"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// PIN is a portal one-time PIN. It redacts itself under every fmt verb,
// log/slog and JSON; Reveal it only to show it to its user.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() string returns the secret text; call it only where the
//     text must be shown or sent to the person it is for.
//   - Equal(t string) bool compares with t in time that depends only on
//     the lengths.
//   - Len() int is its length in bytes; IsZero() bool reports an empty one.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED].
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
	// DefaultPINIssueLimit PINs may be issued to one user per
	// DefaultPINIssueWindow, unless PINConfig says otherwise: enough for a
	// user who lost a few, too few to turn Issue into a guessing oracle
	// (each PIN gets MaxAttempts guesses).
	DefaultPINIssueLimit  = 5
	MaxPINIssueLimit      = 100
	DefaultPINIssueWindow = time.Hour
	MaxPINIssueWindow     = 30 * 24 * time.Hour
	// MaxUserLen bounds a user, subject or actor name in bytes.
	MaxUserLen = 256
)

// pinDomain separates PIN digests from every other keyed hash.
const pinDomain = "otp/pin"

// PINConfig configures a [PINService]. Zero values are documented per field.
// It holds peppers, so it prints without them: every fmt verb, log/slog and
// encoding/json show only the pepper IDs and [REDACTED], for a PINConfig, a
// pointer to one and a struct field holding one (exported or not: [Keys]
// keeps the bytes behind a pointer that fmt prints as an address).
type PINConfig struct {
	// Store keeps one record per user. Required.
	Store Store
	// Peppers are the HMAC keys for PIN digests, by ID: each at least 32
	// random bytes, held by the server and never stored with the records.
	// Keep a retired pepper here until the PINs made under it have expired
	// (TTL). Build it with [NewKeys]. Required.
	Peppers Keys
	// PepperID names the pepper new PINs are hashed under. It must be in
	// Peppers.
	PepperID uint8
	// Length is the number of decimal digits, MinPINLength to MaxPINLength.
	// Zero means DefaultPINLength (8): 10^8 PINs against 5 attempts.
	Length int
	// TTL is how long a PIN stays valid, MinPINTTL to MaxPINTTL. Zero
	// means DefaultPINTTL (24 h).
	TTL time.Duration
	// MaxAttempts is the number of wrong tries after which one PIN is
	// void, 1 to MaxPINMaxAttempts. Zero means DefaultPINMaxAttempts (5).
	MaxAttempts int
	// MaxConsecutive caps the wrong PINs per user in a row, counted across
	// re-issued PINs until a success or [PINService.ResetFailures]; at the
	// cap Issue and Verify return a [*BlockedError]. 1 to
	// MaxConsecutiveFailures; zero means MaxConsecutiveFailures (100).
	MaxConsecutive int
	// Cooldown is how long a block lasts after the latest failure; then
	// one more attempt is allowed (see [DefaultCooldown]). Zero means
	// DefaultCooldown (24 h); NoCooldown means only ResetFailures lifts it.
	Cooldown time.Duration
	// IssueLimit is the number of PINs one user may be issued per
	// IssueWindow (a fixed window starting at the first issue in it), 1 to
	// MaxPINIssueLimit; beyond it Issue returns a [*RateLimitError]. Zero
	// means DefaultPINIssueLimit (5).
	IssueLimit int
	// IssueWindow is the rate-limit window, 1 min to MaxPINIssueWindow.
	// Zero means DefaultPINIssueWindow (1 h).
	IssueWindow time.Duration
	// Now is the clock. Zero means time.Now.
	Now func() time.Time
	// Rand is the randomness for PINs. Zero means crypto/rand.Reader.
	Rand io.Reader
	// Logger receives one record per issue and verification (user name and
	// outcome, never the PIN). Zero means no logging.
	Logger *slog.Logger
}

// String describes the config without its peppers.
func (c PINConfig) String() string {
	return fmt.Sprintf("otp.PINConfig{Peppers: %v, PepperID: %d, Length: %d, TTL: %v, MaxAttempts: %d, MaxConsecutive: %d, Cooldown: %v, IssueLimit: %d, IssueWindow: %v}",
		c.Peppers, c.PepperID, c.Length, c.TTL, c.MaxAttempts, c.MaxConsecutive, c.Cooldown, c.IssueLimit, c.IssueWindow)
}

// Format implements fmt.Formatter: every verb prints [PINConfig.String].
func (c PINConfig) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, strconv.Quote(c.String()))
		return
	}
	_, _ = io.WriteString(f, c.String())
}

// GoString implements fmt.GoStringer.
func (c PINConfig) GoString() string { return c.String() }

// LogValue implements slog.LogValuer, without the peppers.
func (c PINConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON implements json.Marshaler, without the peppers.
func (c PINConfig) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(c.String())), nil
}

// PINService issues and verifies portal one-time PINs. It is safe for
// concurrent use; all state is in the Store.
type PINService struct {
	store      Store
	recs       *cas.Mutator[PINRecord] // the store idiom over store, with its cache
	hasher     *keyedhash.Hasher
	gen        *randcode.Generator
	length     int
	ttl        time.Duration
	maxFail    int
	perPIN     attempt.Policy // wrong tries on one PIN
	lockout    attempt.Policy // wrong PINs in a row per user
	issueLimit int
	issueWin   time.Duration
	now        func() time.Time
	rand       io.Reader
	log        *slog.Logger
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
	if cfg.IssueLimit == 0 {
		cfg.IssueLimit = DefaultPINIssueLimit
	}
	if cfg.IssueWindow == 0 {
		cfg.IssueWindow = DefaultPINIssueWindow
	}
	switch {
	case cfg.Length < MinPINLength || cfg.Length > MaxPINLength:
		return nil, &ParamError{Field: "Length", Reason: "must be 6 to 12, got " + strconv.Itoa(cfg.Length)}
	case cfg.TTL < MinPINTTL || cfg.TTL > MaxPINTTL:
		return nil, &ParamError{Field: "TTL", Reason: "must be 1 min to 30 days, got " + cfg.TTL.String()}
	case cfg.MaxAttempts < 1 || cfg.MaxAttempts > MaxPINMaxAttempts:
		return nil, &ParamError{Field: "MaxAttempts", Reason: "must be 1 to 20, got " + strconv.Itoa(cfg.MaxAttempts)}
	case cfg.IssueLimit < 1 || cfg.IssueLimit > MaxPINIssueLimit:
		return nil, &ParamError{Field: "IssueLimit", Reason: "must be 1 to 100, got " + strconv.Itoa(cfg.IssueLimit)}
	case cfg.IssueWindow < time.Minute || cfg.IssueWindow > MaxPINIssueWindow:
		return nil, &ParamError{Field: "IssueWindow", Reason: "must be 1 min to 30 days, got " + cfg.IssueWindow.String()}
	}
	lockout, err := lockoutPolicy("MaxConsecutive", cfg.MaxConsecutive, cfg.Cooldown)
	if err != nil {
		return nil, err
	}
	peppers := cfg.Peppers.Reveal()
	defer clearKeys(peppers)
	h, err := keyedhash.New(cfg.PepperID, peppers)
	if err != nil {
		// The keyedhash error names IDs and lengths, never pepper bytes.
		return nil, &ParamError{Field: "Peppers", Reason: err.Error()}
	}
	s := &PINService{
		store:      cfg.Store,
		recs:       pinMutator(cfg.Store),
		hasher:     h,
		gen:        randcode.MustNew(randcode.Spec{Alphabet: randcode.Digits, Length: cfg.Length}),
		length:     cfg.Length,
		ttl:        cfg.TTL,
		maxFail:    cfg.MaxAttempts,
		perPIN:     attempt.Policy{Threshold: cfg.MaxAttempts},
		lockout:    lockout,
		issueLimit: cfg.IssueLimit,
		issueWin:   cfg.IssueWindow,
		now:        cfg.Now,
		rand:       cfg.Rand,
		log:        cfg.Logger,
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

// material binds the PIN to the user name: a record moved to another user
// in the store does not verify. The length prefix keeps it unambiguous.
func material(user, pin string) string {
	return strconv.Itoa(len(user)) + ":" + user + pin
}

func (r *PINRecord) lockState() attempt.State {
	return attempt.State{Failures: r.Consecutive, LastFailure: r.LastFailure, Locked: r.Blocked}
}

func (r *PINRecord) setLockState(st attempt.State) {
	r.Consecutive, r.LastFailure, r.Blocked = st.Failures, st.LastFailure, st.Locked
}

// clearPIN drops the outstanding PIN, keeping the counts that outlive it.
func (r *PINRecord) clearPIN() {
	r.Digest, r.IssuedAt, r.ExpiresAt, r.Failures, r.Void = nil, time.Time{}, time.Time{}, 0, false
}

// Issue draws a new PIN for user, stores its keyed hash (voiding any PIN
// issued before) and returns the PIN and when it expires. Show the PIN to
// the user once; it cannot be read back.
//
// The user's count of consecutive wrong PINs survives: a new PIN does not
// reset it. Errors: a [*ParamError] on "user", a [*BlockedError]
// (the count reached PINConfig.MaxConsecutive), a [*RateLimitError] (more
// than IssueLimit PINs in IssueWindow), or the store's error. A refused
// Issue changes nothing.
func (s *PINService) Issue(ctx context.Context, user string) (PIN, time.Time, error) {
	if ctx == nil {
		return PIN{}, time.Time{}, ErrNilContext
	}
	if err := checkID("user", user); err != nil {
		return PIN{}, time.Time{}, err
	}
	pin, err := s.gen.Generate(s.rand)
	if err != nil {
		return PIN{}, time.Time{}, fmt.Errorf("otp: drawing PIN: %w", err)
	}
	now := s.now().UTC()
	digest := s.hasher.Sum(pinDomain, material(user, pin))
	expires := now.Add(s.ttl)
	var refused error
	err = s.recs.Mutate(ctx, user, func(rec *PINRecord) bool {
		if err := blocked(s.lockout, rec.lockState(), now); err != nil {
			refused = err
			return false
		}
		// A clock turned back leaves the window as it is (it then lasts
		// longer), rather than opening a new one.
		if rec.IssueWindow.IsZero() || !now.Before(rec.IssueWindow.Add(s.issueWin)) {
			rec.IssueWindow, rec.Issued = now, 0
		}
		if rec.Issued >= s.issueLimit {
			refused = &RateLimitError{Limit: s.issueLimit, Until: rec.IssueWindow.Add(s.issueWin)}
			return false
		}
		rec.Issued++
		rec.Digest, rec.IssuedAt, rec.ExpiresAt, rec.Failures, rec.Void = digest, now, expires, 0, false
		refused = nil
		return true
	})
	if err != nil {
		return PIN{}, time.Time{}, fmt.Errorf("otp: storing PIN: %w", err)
	}
	if refused != nil {
		s.log.InfoContext(ctx, "otp: PIN not issued", slog.String("user", user), slog.String("reason", refused.Error()))
		return PIN{}, time.Time{}, refused
	}
	s.log.InfoContext(ctx, "otp: PIN issued", slog.String("user", user), slog.Time("expires", expires))
	return secret.New(pin), expires, nil
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
// Verify calls with the right PIN, on any number of instances, exactly one
// returns nil. The check is decided in Go on the user's record and the
// change written with one conditional [Store.Write] on the revision it was
// decided on (see the package documentation's Stores section).
//
// A wrong PIN counts against the PIN (void after MaxAttempts) and against
// the user (blocked after MaxConsecutive in a row, across PINs); the right
// one resets the user's count.
//
// Errors: a [*ParamError] on "user", [ErrPINFormat] (not counted as
// an attempt: it reveals nothing), [ErrPINNotFound] (none outstanding,
// already used, or replaced), [ErrPINExpired], [ErrPINLocked] (void after
// MaxAttempts wrong PINs), a [*BlockedError], a [*PINAttemptError] matching
// [ErrPINInvalid] for a wrong PIN, or the store's error. Show the user one
// generic message for all of them; the distinctions are for logs and
// support.
func (s *PINService) Verify(ctx context.Context, user, pin string) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := checkID("user", user); err != nil {
		return err
	}
	p, ok := s.normalizePIN(pin)
	if !ok {
		return ErrPINFormat
	}
	m := material(user, p)
	now := s.now().UTC()
	var result error
	err := s.recs.Mutate(ctx, user, func(rec *PINRecord) bool {
		if !rec.HasPIN() {
			result = ErrPINNotFound
			return false
		}
		if !now.Before(rec.ExpiresAt) {
			rec.clearPIN()
			result = ErrPINExpired
			return true
		}
		if err := blocked(s.lockout, rec.lockState(), now); err != nil {
			result = err
			return false
		}
		if rec.Void || rec.Failures >= s.maxFail {
			rec.Void = true
			result = ErrPINLocked
			return true
		}
		match, _, herr := s.hasher.Verify(pinDomain, m, rec.Digest)
		if herr != nil {
			// Made under a pepper no longer configured, or corrupt: it can
			// never verify.
			rec.clearPIN()
			result = fmt.Errorf("%w: stored digest unusable", ErrPINNotFound)
			return true
		}
		if match {
			rec.clearPIN()
			rec.setLockState(s.lockout.Succeed(rec.lockState()))
			result = nil
			return true
		}
		pr := s.perPIN.Fail(attempt.State{Failures: rec.Failures, Locked: rec.Void}, now)
		rec.Failures, rec.Void = pr.State.Failures, pr.State.Locked
		r := s.lockout.Fail(rec.lockState(), now)
		rec.setLockState(r.State)
		remaining := max(0, s.maxFail-rec.Failures)
		if r.State.Locked {
			remaining = 0
		} else {
			remaining = min(remaining, s.lockout.Threshold-rec.Consecutive)
		}
		result = &PINAttemptError{Remaining: remaining}
		return true
	})
	if err != nil {
		err = fmt.Errorf("otp: PIN store: %w", err)
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

// Revoke voids user's outstanding PIN, keeping the failure count. It
// returns [ErrPINNotFound] if there is none.
func (s *PINService) Revoke(ctx context.Context, user string) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := checkID("user", user); err != nil {
		return err
	}
	found := false
	err := s.recs.Mutate(ctx, user, func(rec *PINRecord) bool {
		found = rec.HasPIN()
		rec.clearPIN()
		return found
	})
	switch {
	case err != nil:
		return fmt.Errorf("otp: PIN store: %w", err)
	case !found:
		return ErrPINNotFound
	}
	s.log.InfoContext(ctx, "otp: PIN revoked", slog.String("user", user))
	return nil
}

// PINStatus is a user's standing, for an administrator's console.
type PINStatus struct {
	// Outstanding is true while a PIN is issued and not used, revoked or
	// expired; ExpiresAt is then when it expires.
	Outstanding bool
	ExpiresAt   time.Time
	// Consecutive is the count of wrong PINs in a row, LastFailure the
	// latest.
	Consecutive int
	LastFailure time.Time
	// Blocked is true while Issue and Verify refuse the user; Until is when
	// the block lifts by itself (zero: only ResetFailures lifts it).
	Blocked bool
	Until   time.Time
}

// Status returns user's standing without changing it.
func (s *PINService) Status(ctx context.Context, user string) (PINStatus, error) {
	if ctx == nil {
		return PINStatus{}, ErrNilContext
	}
	if err := checkID("user", user); err != nil {
		return PINStatus{}, err
	}
	now := s.now().UTC()
	rec, err := s.recs.Load(ctx, user)
	if err != nil {
		return PINStatus{}, fmt.Errorf("otp: PIN store: %w", err)
	}
	st := PINStatus{Outstanding: rec.HasPIN() && now.Before(rec.ExpiresAt), Consecutive: rec.Consecutive, LastFailure: rec.LastFailure}
	if st.Outstanding {
		st.ExpiresAt = rec.ExpiresAt
	}
	var be *BlockedError
	if err := blocked(s.lockout, rec.lockState(), now); errors.As(err, &be) {
		st.Blocked, st.Until = true, be.Until
	}
	return st, nil
}

// ResetFailures is the administrator's unlock: it clears user's count of
// consecutive wrong PINs (and so any block) and logs actor as the one who
// did it. The outstanding PIN, if any, and the issue rate limit are kept.
func (s *PINService) ResetFailures(ctx context.Context, user, actor string) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := checkID("user", user); err != nil {
		return err
	}
	if err := checkID("actor", actor); err != nil {
		return err
	}
	err := s.recs.Mutate(ctx, user, func(rec *PINRecord) bool {
		if rec.Consecutive == 0 && !rec.Blocked && rec.LastFailure.IsZero() {
			return false
		}
		rec.setLockState(s.lockout.Reset(rec.lockState()))
		return true
	})
	if err != nil {
		return fmt.Errorf("otp: PIN store: %w", err)
	}
	s.log.InfoContext(ctx, "otp: PIN failures reset", slog.String("user", user), slog.String("actor", actor))
	return nil
}
