package enrollment

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/mdmcred/mdmcred/internal/cas"
	"github.com/mdmcred/mdmcred/internal/ident"
	"github.com/mdmcred/mdmcred/internal/keyedhash"
	"github.com/mdmcred/mdmcred/internal/seal"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// DefaultThreshold is the number of failed attempts in a row at a site,
// with no success in between, that locks its passcode ([RuleConsecutive])
// when Config.Threshold is zero.
const DefaultThreshold = 10

// DefaultSourceThreshold is the number of failed attempts in a row from
// one source, with no success from it in between, that locks the passcode
// ([RuleSource]) when Config.SourceThreshold is zero.
const DefaultSourceThreshold = 10

// MaxThreshold is the largest Config.Threshold and Config.SourceThreshold:
// NIST SP 800-63B §5.2.2 allows at most 100 consecutive failed attempts on
// one account, and a larger threshold would only delay the alert.
const MaxThreshold = 100

// DefaultRateFailures and DefaultRateWindow are the sliding-window rule
// ([RuleRate]) when Config.RateFailures and Config.RateWindow are zero:
// 1,000 failures at a site within 10 minutes (6,000 an hour) lock it. See
// the package documentation for the arithmetic.
const (
	DefaultRateFailures = 1000
	DefaultRateWindow   = 10 * time.Minute
)

// MinRateWindow is the shortest Config.RateWindow.
const MinRateWindow = time.Minute

// DefaultAlertTimeout bounds one lock alert when Config.AlertTimeout is zero.
const DefaultAlertTimeout = 30 * time.Second

// MaxSiteLen bounds a site identifier, in bytes.
const MaxSiteLen = ident.MaxLen

// MaxActorLen bounds an admin's email address, in bytes (RFC 5321's 64-byte
// local part, "@" and 255-byte domain).
const MaxActorLen = 320

// MaxSourceLen bounds a source label; a longer one is cut.
const MaxSourceLen = 128

// hashDomain separates company passcode digests from every other keyed hash
// made under the same pepper.
const hashDomain = "mdmcred/enrollment/passcode/v1"

// maxDraws bounds the draws Generate makes when a digest is already in use
// (which, with 2^71 passcodes, does not happen outside tests).
const maxDraws = 8

// Config configures a [Service]. Store, Alerter and Peppers are required.
type Config struct {
	// Store keeps records and events. Required; [NewMemStore] for tests.
	Store Store
	// Alerter sends the lock alert. Required.
	Alerter Alerter
	// Admins returns the addresses a site's lock alert goes to. Nil means
	// Alert.Admins is empty and the Alerter chooses the recipients. An
	// error from it counts as a failed alert.
	Admins func(ctx context.Context, site string) ([]string, error)

	// Peppers are the HMAC keys passcodes are hashed under, by ID, each at
	// least 32 random bytes held by the host (not in the Store). New
	// passcodes use Peppers[PepperID]; the others still verify and
	// resolve, so a pepper can rotate: add the new one and make it
	// current, regenerate the passcodes whose [Status].StalePepper is set,
	// then drop the old one.
	// Build it with [NewKeys]; it prints as its key IDs only.
	Peppers  Keys
	PepperID uint8

	// SealKeys, when set, keeps an AES-256-GCM sealed copy (docs/sealed-format.md) of each
	// new passcode so that [Service.Reveal] can show it again; keys are 32
	// bytes, by ID, with SealKeyID the current one. The zero Keys (the
	// default) keeps only the keyed hash: a passcode is shown once, when
	// generated.
	SealKeys  Keys
	SealKeyID uint8
	// RevealFor is how long after generation the sealed copy can be
	// opened. Zero means for as long as the passcode exists. The limit is
	// sealed into each copy and the current one is checked as well, so
	// shortening it also applies to passcodes generated before.
	RevealFor time.Duration

	// Threshold is the number of failed attempts in a row at the site,
	// with no success in between, that locks the passcode. Zero means
	// [DefaultThreshold]; negative or above [MaxThreshold] is a
	// [*ParamError].
	Threshold int
	// SourceThreshold is the number of failed attempts in a row from one
	// source (the label Verify is given), with no success from that
	// source in between, that locks the passcode: it catches one attacker
	// whose guesses are interleaved with employees' successes. Zero means
	// [DefaultSourceThreshold]; negative or above [MaxThreshold] is a
	// [*ParamError].
	SourceThreshold int
	// RateFailures and RateWindow are the sliding-window rule: the
	// passcode locks when the site's failures within the last RateWindow,
	// from any mix of sources and whatever the successes, reach
	// RateFailures. Zero means [DefaultRateFailures] and
	// [DefaultRateWindow]; a negative count, or a window under
	// [MinRateWindow], is a [*ParamError]. The window is cut to whole
	// seconds. Set RateFailures above the typo rate of the largest
	// rollout expected (see the package documentation).
	RateFailures int
	RateWindow   time.Duration
	// AlertTimeout bounds one alert. Zero means [DefaultAlertTimeout].
	AlertTimeout time.Duration

	// Now is the clock. Zero means time.Now.
	Now func() time.Time
	// Rand is the source of passcodes and nonces. Zero means
	// crypto/rand.Reader.
	Rand io.Reader
	// Logger receives lock and alert records (never a passcode). Zero
	// means discard.
	Logger *slog.Logger
}

// Service generates, verifies and administers company passcodes. It is safe
// for concurrent use.
type Service struct {
	store        Store
	alerter      Alerter
	admins       func(context.Context, string) ([]string, error)
	hasher       *keyedhash.Hasher
	sealer       *seal.Sealer
	revealFor    time.Duration
	rules        rules
	alertTimeout time.Duration
	now          func() time.Time
	rand         io.Reader
	log          *slog.Logger
	// stripes serialize, within this Service, the writes of racing
	// attempts on one site once their compare-and-swap has conflicted, so
	// that N callers make O(N) store calls instead of O(N^2); other
	// instances still race through the compare-and-swap.
	stripes [64]sync.Mutex
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, &ParamError{Field: "Store", Reason: "required"}
	}
	if cfg.Alerter == nil {
		return nil, &ParamError{Field: "Alerter", Reason: "required"}
	}
	if cfg.Threshold < 0 || cfg.Threshold > MaxThreshold {
		return nil, &ParamError{Field: "Threshold", Reason: fmt.Sprintf("%d is outside 0 to %d", cfg.Threshold, MaxThreshold)}
	}
	if cfg.SourceThreshold < 0 || cfg.SourceThreshold > MaxThreshold {
		return nil, &ParamError{Field: "SourceThreshold", Reason: fmt.Sprintf("%d is outside 0 to %d", cfg.SourceThreshold, MaxThreshold)}
	}
	if cfg.RateFailures < 0 {
		return nil, &ParamError{Field: "RateFailures", Reason: "negative"}
	}
	if cfg.RateWindow != 0 && cfg.RateWindow < MinRateWindow {
		return nil, &ParamError{Field: "RateWindow", Reason: fmt.Sprintf("%v is under %v", cfg.RateWindow, MinRateWindow)}
	}
	if cfg.RevealFor < 0 {
		return nil, &ParamError{Field: "RevealFor", Reason: "negative"}
	}
	if cfg.AlertTimeout < 0 {
		return nil, &ParamError{Field: "AlertTimeout", Reason: "negative"}
	}
	peppers := cfg.Peppers.Reveal()
	defer clearKeys(peppers)
	h, err := keyedhash.New(cfg.PepperID, peppers)
	if err != nil {
		return nil, &ParamError{Field: "Peppers", Reason: err.Error(), Err: err}
	}
	s := &Service{
		store: cfg.Store, alerter: cfg.Alerter, admins: cfg.Admins, hasher: h,
		revealFor: cfg.RevealFor, alertTimeout: cfg.AlertTimeout,
		rules: rules{
			threshold: cmp.Or(cfg.Threshold, DefaultThreshold), sourceThreshold: cmp.Or(cfg.SourceThreshold, DefaultSourceThreshold),
			rateFailures: cmp.Or(cfg.RateFailures, DefaultRateFailures), rateWindow: cmp.Or(cfg.RateWindow, DefaultRateWindow).Truncate(time.Second),
		},
		now: cfg.Now, rand: cfg.Rand, log: cfg.Logger,
	}
	if s.alertTimeout == 0 {
		s.alertTimeout = DefaultAlertTimeout
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
	if !cfg.SealKeys.IsZero() {
		keys := cfg.SealKeys.Reveal()
		defer clearKeys(keys)
		if s.sealer, err = seal.New(cfg.SealKeyID, keys); err != nil {
			return nil, &ParamError{Field: "SealKeys", Reason: err.Error(), Err: err}
		}
	}
	return s, nil
}

// Threshold returns the number of failed attempts in a row at a site that
// locks its passcode ([RuleConsecutive]).
func (s *Service) Threshold() int { return s.rules.threshold }

// Generate makes a new passcode for site, replacing any previous one (which
// stops working at once), and returns it for display to the admin
// generatedBy (an email address). The new passcode is active with its
// counters at zero. Only its keyed hash is stored, plus a sealed copy when
// Reveal is configured.
//
// The new record and its audit event are one write ([Store.Write]), which
// replaces the record Generate loaded, or inserts the site's first; if
// another write came in between, Generate loads and writes again.
func (s *Service) Generate(ctx context.Context, site, generatedBy string) (Passcode, error) {
	if ctx == nil {
		return Passcode{}, ErrNilContext
	}
	return s.generate(ctx, site, generatedBy, EventGenerated)
}

// Regenerate is [Service.Generate] for a site whose passcode was locked,
// disabled or leaked: it makes a new passcode, re-enables self-service
// enrollment and resets the counters. It is recorded as "regenerated".
func (s *Service) Regenerate(ctx context.Context, site, by string) (Passcode, error) {
	if ctx == nil {
		return Passcode{}, ErrNilContext
	}
	return s.generate(ctx, site, by, EventRegenerated)
}

func (s *Service) generate(ctx context.Context, site, by string, kind EventKind) (Passcode, error) {
	if err := checkSite(site); err != nil {
		return Passcode{}, err
	}
	if err := checkActor(by); err != nil {
		return Passcode{}, err
	}
	now := s.now().UTC()
	for range maxDraws {
		code, err := generator.Generate(s.rand)
		if err != nil {
			return Passcode{}, fmt.Errorf("enrollment: generating passcode: %w", err)
		}
		if taken, err := s.takenUnderOldPepper(ctx, site, code); err != nil {
			return Passcode{}, err
		} else if taken {
			continue
		}
		rec := Record{Site: site, Digest: s.hasher.Sum(hashDomain, code), GeneratedAt: now, GeneratedBy: by}
		if s.sealer != nil {
			var notAfter time.Time
			if s.revealFor > 0 {
				notAfter = now.Add(s.revealFor)
			}
			rec.Sealed = s.sealer.Seal([]byte(code), sealAD(site, rec.Digest), notAfter)
		}
		events := []Event{{Site: site, Kind: kind, At: now, Actor: by}}
		err = cas.Loop(ErrConflict, func() (done, lost bool, err error) {
			cur, err := s.store.Load(ctx, site)
			if err != nil && !errors.Is(err, ErrNoPasscode) {
				return false, false, err
			}
			rec.Rev = cur.Rev + 1
			switch err := s.store.Write(ctx, rec, cur.Rev, events); {
			case errors.Is(err, ErrConflict):
				return false, true, nil
			case err != nil:
				return false, false, err
			}
			return true, false, nil
		})
		switch {
		case errors.Is(err, ErrDuplicate):
			continue
		case err != nil:
			return Passcode{}, fmt.Errorf("enrollment: storing passcode: %w", err)
		}
		s.log.InfoContext(ctx, "enrollment: passcode "+kind.String(), "site", site, "by", by)
		return secret.New(code), nil
	}
	return Passcode{}, fmt.Errorf("enrollment: generating passcode: %w", ErrDuplicate)
}

// takenUnderOldPepper reports whether code is another site's passcode
// hashed under a pepper other than the current one, which the store's
// uniqueness check on the current digest cannot see.
func (s *Service) takenUnderOldPepper(ctx context.Context, site, code string) (bool, error) {
	for _, id := range s.hasher.IDs()[1:] {
		d, _ := s.hasher.SumWith(id, hashDomain, code)
		switch other, err := s.store.Lookup(ctx, d); {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return false, fmt.Errorf("enrollment: looking up passcode: %w", err)
		case other != site:
			return true, nil
		}
	}
	return false, nil
}

// Disable turns self-service enrollment off for site; Verify then returns
// [ErrDisabled] until [Service.Regenerate]. by is the admin's email address.
// Disabling a disabled passcode keeps the first admin and time, and is
// recorded too. It returns [ErrNoPasscode] for a site without a passcode.
func (s *Service) Disable(ctx context.Context, site, by string) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := checkSite(site); err != nil {
		return err
	}
	if err := checkActor(by); err != nil {
		return err
	}
	now := s.now().UTC()
	err := cas.Loop(ErrConflict, func() (done, lost bool, err error) {
		rec, err := s.store.Load(ctx, site)
		if err != nil {
			return false, false, err
		}
		next := rec
		if !rec.Disabled {
			next.Disabled, next.DisabledAt, next.DisabledBy = true, now, by
		}
		next.Rev = rec.Rev + 1
		switch err := s.store.Write(ctx, next, rec.Rev, []Event{{Site: site, Kind: EventDisabled, At: now, Actor: by}}); {
		case errors.Is(err, ErrConflict):
			return false, true, nil
		case err != nil:
			return false, false, err
		}
		return true, false, nil
	})
	if err != nil {
		return wrapStore("disabling passcode", err)
	}
	s.log.InfoContext(ctx, "enrollment: passcode disabled", "site", site, "by", by)
	return nil
}

// Reveal shows an active passcode again to the admin viewer (an email
// address) and records an audit event "viewed" first: no view goes
// unrecorded. It returns [ErrNoReveal] when sealing is not configured, the
// passcode was generated without it, or Config.RevealFor has passed;
// [ErrLocked] or [ErrDisabled] for a passcode that no longer works.
func (s *Service) Reveal(ctx context.Context, site, viewer string) (Passcode, error) {
	if ctx == nil {
		return Passcode{}, ErrNilContext
	}
	if err := checkSite(site); err != nil {
		return Passcode{}, err
	}
	if err := checkActor(viewer); err != nil {
		return Passcode{}, err
	}
	if s.sealer == nil {
		return Passcode{}, fmt.Errorf("%w: sealing is not configured", ErrNoReveal)
	}
	var code string
	err := cas.Loop(ErrConflict, func() (done, lost bool, err error) {
		rec, err := s.store.Load(ctx, site)
		if err != nil {
			return false, false, wrapStore("reading passcode", err)
		}
		now := s.now().UTC()
		if err := s.revealable(rec, now); err != nil {
			return false, false, err
		}
		pt, err := s.sealer.Open(rec.Sealed, sealAD(site, rec.Digest), now)
		switch {
		case errors.Is(err, seal.ErrExpired):
			return false, false, fmt.Errorf("%w: retention limit passed", ErrNoReveal)
		case errors.Is(err, seal.ErrReseal):
			return false, false, fmt.Errorf("%w: %w", ErrNoReveal, ErrReseal)
		case err != nil:
			return false, false, fmt.Errorf("%w: %w", ErrNoReveal, err)
		}
		code = string(pt)
		clear(pt)
		// Recorded at the revision the decision was made on: a passcode
		// locked, disabled or replaced meanwhile is decided again.
		switch err := s.store.Append(ctx, site, rec.Rev, []Event{{Site: site, Kind: EventViewed, At: now, Actor: viewer}}); {
		case errors.Is(err, ErrConflict):
			code = ""
			return false, true, nil
		case err != nil:
			return false, false, fmt.Errorf("enrollment: recording viewed event: %w", err)
		}
		return true, false, nil
	})
	if err != nil {
		return Passcode{}, err
	}
	return secret.New(code), nil
}

// revealable refuses a record whose sealed copy Reveal must not open at
// now.
func (s *Service) revealable(rec Record, now time.Time) error {
	switch {
	case rec.Disabled:
		return ErrDisabled
	case rec.Locked:
		return ErrLocked
	case rec.Sealed == nil:
		return fmt.Errorf("%w: no sealed copy", ErrNoReveal)
	case s.revealFor > 0 && now.After(rec.GeneratedAt.Add(s.revealFor)):
		// The limit sealed into the copy is the one configured when it was
		// made; the current one holds too, should the host have shortened it.
		return fmt.Errorf("%w: retention limit passed", ErrNoReveal)
	}
	return nil
}

// Events returns the site's audit log, oldest first (as far back as the
// Store keeps it).
func (s *Service) Events(ctx context.Context, site string) ([]Event, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	if err := checkSite(site); err != nil {
		return nil, err
	}
	return s.store.Events(ctx, site)
}

func sealAD(site string, digest []byte) []byte {
	ad := make([]byte, 0, len(hashDomain)+1+len(site)+1+len(digest))
	ad = append(ad, hashDomain...)
	ad = append(ad, 0)
	ad = append(ad, site...)
	ad = append(ad, 0)
	return append(ad, digest...)
}

// checkSite applies the SDK's one identifier rule (internal/ident) to a
// site, at every service entry point, before any Store call.
func checkSite(site string) error {
	if err := ident.Check(site, MaxSiteLen); err != nil {
		return &ParamError{Field: "site", Reason: err.Error(), Err: err}
	}
	return nil
}

// checkActor applies the identifier rule and then accepts only a bare
// address ("admin@example.com"), not a display name form, so that audit
// records compare equal.
func checkActor(who string) error {
	if err := ident.Check(who, MaxActorLen); err != nil {
		return &ParamError{Field: "actor", Reason: err.Error(), Err: err}
	}
	a, err := mail.ParseAddress(who)
	if err != nil || a.Name != "" || a.Address != who {
		return &ParamError{Field: "actor", Reason: "not a bare email address"}
	}
	return nil
}

func cleanSource(src string) string {
	if len(src) > MaxSourceLen {
		src = src[:MaxSourceLen]
	}
	// The label reaches logs, events and the plain-text alert: drop control
	// and bidirectional formatting characters, which could forge a line or
	// reverse the text an admin reads.
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(src, "\uFFFD"))
}

// wrapStore keeps the sentinels a Store returns matchable and adds context
// to the rest.
func wrapStore(what string, err error) error {
	for _, s := range []error{ErrNoPasscode, ErrLocked, ErrDisabled, ErrNotFound} {
		if errors.Is(err, s) {
			return err
		}
	}
	return fmt.Errorf("enrollment: %s: %w", what, err)
}
