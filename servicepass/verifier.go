package servicepass

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/internal/attempt"
)

// Defaults of [VerifierConfig].
const (
	DefaultSkew   = 5 * time.Minute
	DefaultWindow = 60 * time.Minute
)

// DefaultLockout is the lockout a zero [Lockout] means: three free MAC
// failures, then a back-off of one minute that doubles with each further
// failure, up to a day.
var DefaultLockout = Lockout{Free: 3, Backoff: time.Minute, MaxBackoff: 24 * time.Hour}

// ErrState is returned when the device store breaks its contract (did not
// run the update).
var ErrState = errors.New("servicepass: device state unavailable")

// Lockout is the back-off after codes that fail the MAC. Typos (check symbol
// mismatches) do not count: they carry no information about the key.
type Lockout struct {
	// Free is the number of failures before back-off starts.
	Free int
	// Backoff is the delay after the first failure beyond Free; each
	// further failure doubles it. It must be positive.
	Backoff time.Duration
	// MaxBackoff caps the delay. Zero means 24 hours.
	MaxBackoff time.Duration
}

// VerifierConfig configures a [Verifier]. Zero fields take the documented
// defaults; DeviceID, Mode and Keys are required.
type VerifierConfig struct {
	// DeviceID is this device's ID, exactly as the issuer knows it.
	DeviceID string
	// Mode is this device's activation mode.
	Mode Mode
	// Keys is the device keyring: one key per key ID still accepted. A code
	// made under a retired key ID fails with ErrUnknownKey.
	Keys []DeviceKey
	// Store keeps the device state. Zero: a new MemDeviceStore (state lost
	// on restart).
	Store DeviceStore
	// Skew is the clock skew tolerated around expiry and high-water checks.
	// Zero: DefaultSkew (5 minutes). Negative: no tolerance.
	Skew time.Duration
	// Window is the length of the privileged window. Zero: DefaultWindow
	// (60 minutes).
	Window time.Duration
	// Location is the device's time zone, which decides calendar days for
	// day-valid codes. Zero: time.Local.
	Location *time.Location
	// Lockout is the MAC-failure back-off. Zero: DefaultLockout.
	Lockout Lockout
}

// LockedOutError refuses a verification during a back-off. It matches
// [ErrLockedOut].
type LockedOutError struct {
	RetryAfter time.Duration
	Until      time.Time
}

func (e *LockedOutError) Error() string {
	return fmt.Sprintf("servicepass: locked out after failed attempts, retry after %s", e.RetryAfter.Round(time.Second))
}

// Is reports whether target is [ErrLockedOut].
func (e *LockedOutError) Is(target error) bool { return target == ErrLockedOut }

// Grant is what a verified code allows.
type Grant struct {
	Actions Actions
	Scope   Scope
	Mode    Mode
	KeyID   uint8
	Serial  uint32
	// Expiry is when the code stops verifying (for a day-valid code, the
	// end of its date in the device's location).
	Expiry   time.Time
	DayValid bool
	// WindowEnd is the end of the privileged window; see [Verifier.Window].
	WindowEnd time.Time
	// Degraded says the device state was damaged or could not be saved, so
	// that the replay guard or the lockout may have lost history.
	Degraded bool
}

type keyEntry struct {
	index int // position in the keyring, and in verifyOp.macs
	key   [KeySize]byte
}

// Verifier checks service passwords on the device, offline. Create it with
// [NewVerifier]; it is safe for concurrent use.
type Verifier struct {
	deviceID string
	mode     Mode
	keys     [256]*keyEntry
	nkeys    int
	store    DeviceStore
	skew     time.Duration
	window   time.Duration
	loc      *time.Location
	policy   attempt.Policy
	ops      sync.Pool // *verifyOp
	// challenge is the outstanding challenge (challenge.go).
	challenge challengeSlot
}

// NewVerifier checks cfg and returns a Verifier.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if err := checkDeviceID(cfg.DeviceID); err != nil {
		return nil, err
	}
	if !cfg.Mode.Valid() {
		return nil, &RuleError{Rule: ErrUnknownMode, Field: "Mode"}
	}
	if err := checkKeyring(cfg.Keys); err != nil {
		return nil, err
	}
	v := &Verifier{
		deviceID: cfg.DeviceID,
		mode:     cfg.Mode,
		store:    cfg.Store,
		skew:     cfg.Skew,
		window:   cfg.Window,
		loc:      cfg.Location,
	}
	for _, k := range cfg.Keys {
		v.keys[k.id] = &keyEntry{index: v.nkeys, key: *k.raw()}
		v.nkeys++
	}
	if v.store == nil {
		v.store = NewMemDeviceStore()
	}
	if v.skew == 0 {
		v.skew = DefaultSkew
	} else if v.skew < 0 {
		v.skew = 0
	}
	if v.window <= 0 {
		v.window = DefaultWindow
	}
	if v.loc == nil {
		v.loc = time.Local
	}
	l := cfg.Lockout
	if l == (Lockout{}) {
		l = DefaultLockout
	}
	if l.Backoff <= 0 || l.Free < 0 || l.MaxBackoff < 0 {
		return nil, fmt.Errorf("servicepass: invalid lockout %+v", l)
	}
	v.policy = attempt.Policy{Free: l.Free, Backoff: l.Backoff, MaxBackoff: l.MaxBackoff}
	v.ops.New = func() any {
		op := &verifyOp{v: v, macs: make([]*macState, v.nkeys)}
		op.fn = op.apply
		return op
	}
	return v, nil
}

// verifyOp carries one verification through the store's update; it is
// pooled, with its update function bound once, so that the hot path does
// not allocate.
type verifyOp struct {
	v     *Verifier
	fn    func(*DeviceState) bool
	macs  []*macState // by keyEntry.index, made on first use
	p     Payload
	macOK bool
	now   time.Time
	ran   bool
	grant Grant
	err   error
}

// Verify checks code at the device time now and, if it grants, records its
// use and opens the privileged window. It checks in this order, returning
// the first failure:
//
//  1. shape: [ErrMalformed] (wrong length or characters);
//  2. check symbol: [ErrTypo] (not counted as a failed attempt);
//  3. version: [ErrVersion]; key ID in the keyring: [ErrUnknownKey];
//  4. lockout: [*LockedOutError] matching [ErrLockedOut];
//  5. MAC, in constant time: [ErrInvalid], which counts toward the lockout;
//  6. validity with the clock skew: [ErrExpired], [ErrNotYetValid];
//  7. clock high-water mark: [ErrClockBack];
//  8. mode rules: [ErrMode] (also matching the broken rule's sentinel);
//  9. single use: [ErrReplay] (a day-valid code: once per calendar day).
//
// A damaged device state does not stop verification; see [Grant.Degraded]
// and docs/servicepass-format.md.
func (v *Verifier) Verify(code string, now time.Time) (Grant, error) {
	var b [payloadBytes]byte
	if err := parse(code, &b); err != nil {
		return Grant{}, err
	}
	p := payloadFromBytes(&b)
	e := v.keys[p.KeyID]
	if e == nil {
		return Grant{}, ErrUnknownKey
	}
	op := v.ops.Get().(*verifyOp)
	// The tag is computed before the state lock so that verifications run
	// in parallel; it is consulted only after the lockout check.
	ms := op.macs[e.index]
	if ms == nil {
		ms = newMACState(&e.key, v.deviceID)
		op.macs[e.index] = ms
	}
	tag := ms.tag(&b)
	op.p, op.macOK, op.now, op.ran, op.grant, op.err = p, macEqual(tag, p.MAC), now, false, Grant{}, nil
	serr := v.store.Update(op.fn)
	g, err, ran := op.grant, op.err, op.ran
	op.err = nil
	v.ops.Put(op)
	if !ran {
		return Grant{}, fmt.Errorf("%w: %w", ErrState, serr)
	}
	if serr != nil && err == nil {
		g.Degraded = true
	}
	return g, err
}

// apply is the atomic part of Verify, run under the store's lock.
func (op *verifyOp) apply(s *DeviceState) bool {
	op.ran = true
	v, p, now := op.v, &op.p, op.now
	changed := false
	if s.Damaged {
		*s = DeviceState{DamagedAt: now.UTC()}
		changed = true
	}
	as := attempt.State{Failures: s.Failures, LastFailure: s.LastFailure, LockedUntil: s.LockedUntil}
	if err := v.policy.Check(as, now); err != nil {
		var le *attempt.LockedError
		if errors.As(err, &le) {
			op.err = &LockedOutError{RetryAfter: le.RetryAfter, Until: le.Until}
		} else {
			op.err = &LockedOutError{}
		}
		return changed
	}
	highWater := s.HighWater
	if now.After(s.HighWater) {
		s.HighWater = now.UTC()
		changed = true
	}
	// Until the first grant after a damage (the damage emptied Used, and
	// every grant leaves its own record), DamagedAt follows the latest
	// device time, so that a clock set back when the damage was found
	// cannot make a replay of a code used before it look undamaged.
	if !s.DamagedAt.IsZero() && len(s.Used) == 0 && now.After(s.DamagedAt) {
		s.DamagedAt = now.UTC()
		changed = true
	}
	if !op.macOK {
		r := v.policy.Fail(as, now.UTC())
		s.Failures, s.LastFailure, s.LockedUntil = r.State.Failures, r.State.LastFailure, r.State.LockedUntil
		op.err = ErrInvalid
		return true
	}

	var expiry time.Time
	var today int32
	if p.DayValid {
		y, m, d := Epoch.AddDate(0, 0, int(p.Expiry)).Date()
		expiry = endOfDate(y, m, d, v.loc)
		today = dayNumber(now.In(v.loc))
		if int64(p.Expiry)-int64(today) > int64(MaxValidity/(24*time.Hour))+1 {
			op.err = ErrNotYetValid
			return changed
		}
	} else {
		expiry = p.ExpiresAt()
		if expiry.Sub(now) > MaxValidity+v.skew {
			op.err = ErrNotYetValid
			return changed
		}
	}
	if !now.Before(expiry.Add(v.skew)) {
		op.err = ErrExpired
		return changed
	}
	if now.Before(highWater.Add(-v.skew)) {
		op.err = ErrClockBack
		return changed
	}
	if p.Mode != v.mode {
		op.err = fmt.Errorf("%w: code is for %v, device is %v", ErrMode, p.Mode, v.mode)
		return changed
	}
	if err := CheckRules(p.Mode, p.Actions); err != nil {
		op.err = fmt.Errorf("%w: %w", ErrMode, err)
		return changed
	}
	if p.DayValid != DayValid(p.Mode, p.Actions) {
		op.err = fmt.Errorf("%w: day-valid flag does not match the actions", ErrMode)
		return changed
	}

	key := UseKey(*p)
	if s.Used == nil {
		s.Used = make(map[uint64]Use)
	}
	forget := expiry.Add(2 * v.skew).UTC()
	if p.DayValid {
		// Refuse a day on or before the latest use: the clock skew lets
		// the device time step back over midnight, and alternating between
		// two days must not give a second use on either.
		if u, used := s.Used[key]; used && today <= u.Day {
			op.err = ErrReplay
			return changed
		}
		s.Used[key] = Use{Forget: forget, Day: today}
	} else {
		// One map operation: if the insert did not grow the map, the code
		// was there already (its record is rewritten with the same value).
		n := len(s.Used)
		s.Used[key] = Use{Forget: forget}
		if len(s.Used) == n {
			op.err = ErrReplay
			return changed
		}
	}
	if s.NextForget.IsZero() || forget.Before(s.NextForget) {
		s.NextForget = forget
	}
	if !s.NextForget.IsZero() && s.HighWater.After(s.NextForget) {
		s.prune()
	}
	s.Failures, s.LastFailure, s.LockedUntil = 0, time.Time{}, time.Time{}

	end := now.Add(v.window).UTC()
	if s.Window.Actions == 0 {
		s.Window.Start = now.UTC()
	}
	s.Window.Actions |= p.Actions
	if end.After(s.Window.End) {
		s.Window.End = end
	}
	op.grant = Grant{
		Actions:   p.Actions,
		Scope:     ScopeOf(p.Mode, p.Actions),
		Mode:      p.Mode,
		KeyID:     p.KeyID,
		Serial:    p.Serial,
		Expiry:    expiry.UTC(),
		DayValid:  p.DayValid,
		WindowEnd: s.Window.End,
		Degraded:  !s.DamagedAt.IsZero() && !expiry.Add(-MaxValidity-24*time.Hour).After(s.DamagedAt.Add(v.skew)),
	}
	return true
}

// prune drops the use records the high-water mark alone now refuses.
func (s *DeviceState) prune() {
	var next time.Time
	for k, u := range s.Used {
		if s.HighWater.After(u.Forget) {
			delete(s.Used, k)
		} else if next.IsZero() || u.Forget.Before(next) {
			next = u.Forget
		}
	}
	s.NextForget = next
}

// dayNumber returns the days from Epoch's date to t's date in t's location.
func dayNumber(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(Epoch) / (24 * time.Hour))
}
