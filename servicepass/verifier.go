package servicepass

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/internal/attempt"
)

// Defaults of [VerifierOptions].
const (
	DefaultSkew   = 5 * time.Minute
	DefaultWindow = 60 * time.Minute
)

// DefaultLockout is the lockout a zero [Lockout] means: three free MAC
// failures, then a back-off of one minute that doubles with each further
// failure, up to a day.
var DefaultLockout = Lockout{Free: 3, Backoff: time.Minute, MaxBackoff: 24 * time.Hour}

// ErrNotSaved is matched by a [*NotSavedError]: the verifier decided, but the
// device state could not be persisted.
var ErrNotSaved = errors.New("servicepass: device state not saved")

// NotSavedError says the device state could not be saved, and why. The
// verifier still decided (and keeps the change in memory for the rest of
// the process): a refusal wraps it next to the reason for the refusal, a
// grant carries it in [Grant.StateError]. It matches [ErrNotSaved] and
// unwraps to the store's error.
type NotSavedError struct {
	Err error
}

func (e *NotSavedError) Error() string { return ErrNotSaved.Error() + ": " + e.Err.Error() }

// Is reports whether target is [ErrNotSaved].
func (e *NotSavedError) Is(target error) bool { return target == ErrNotSaved }

// Unwrap returns the store's error.
func (e *NotSavedError) Unwrap() error { return e.Err }

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

// VerifierOptions tunes a [Verifier]. A nil *VerifierOptions, and each
// zero field, takes the documented default.
type VerifierOptions struct {
	// Skew is the clock skew tolerated around expiry and high-water checks.
	// Zero: DefaultSkew (5 minutes). Negative: no tolerance.
	Skew time.Duration
	// Window is the length of the privileged window. Zero: DefaultWindow
	// (60 minutes).
	Window time.Duration
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
	// Degraded says this code may have been used before without the device
	// knowing: the device state was damaged or lost since the code could
	// have been used, its use record may have been dropped under a smaller
	// clock skew or a wrong clock mark, or the state could not be saved
	// (then StateError says why). The agent reports degraded grants (see
	// [Verifier.UseLog]).
	Degraded bool
	// StateError is a [*NotSavedError] when the grant could not be
	// persisted: the replay guard holds only while this process runs, and
	// the use is not in the persisted use log.
	StateError error
	// ClockReset says this grant, an Emergency Database Reset code, moved
	// the clock high-water mark back to the device time: the mark was ahead
	// of the clock (see docs/servicepass-format.md §7).
	ClockReset bool
}

type keyEntry struct {
	index int // position in the keyring, and in verifyOp.macs
	// key is behind a pointer so that fmt, which prints a struct it reaches
	// through an unexported field by reflection (and dereferences one level
	// under a verb it cannot apply, %!s(...)), shows an address, never the
	// key bytes.
	key *[KeySize]byte
	// held computes the MACs of a held key ([NewHeldDeviceKey]); key is
	// then nil.
	held HeldDeviceKey
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
	// state is what the verifier remembers of the store's state between
	// updates (devicestore.go); behind a pointer, so that printing a
	// Verifier shows an address, not the state.
	state *stateCache
	// macs pools MAC machinery ([]*macState by keyEntry.index, made on
	// first use), which is not safe for concurrent use; results never
	// travel through it.
	macs sync.Pool
	// challenge is the outstanding challenge (challenge.go).
	challenge challengeSlot
}

// NewVerifier returns the Verifier of the device p describes (its device
// ID, activation mode, keyring and zone; see [ReadProvisioningFile]), which
// keeps its state in store ([OpenFileStore] on a device; nil: a new
// [NewMemDeviceStore], lost on restart), tuned by opts (nil: the
// defaults).
//
// Having a provisioning means the device was provisioned: a store that
// holds no state then holds a lost one (grants are degraded and every
// reversible action is reported for revert), because the provisioning step
// ([InstallProvisioning]) created it. p must record the mode (HasMode);
// its Location is required on a COPE device (it decides calendar days for
// day-valid codes; there is no time.Local default, because Go fixes
// time.Local to UTC on Android and iOS) and means UTC when nil on a Device
// Owner device. Keys may be held in a platform keystore
// ([NewHeldDeviceKey]).
func NewVerifier(p *Provisioning, store DeviceStore, opts *VerifierOptions) (*Verifier, error) {
	if p == nil {
		return nil, &ProvisioningError{Reason: "no provisioning"}
	}
	if err := checkDeviceID(p.DeviceID); err != nil {
		return nil, &ProvisioningError{Field: "device", Reason: err.Error(), Err: err}
	}
	if !p.HasMode || !p.Mode.Valid() {
		return nil, &ProvisioningError{Field: "mode", Reason: "the verifier needs the activation mode: DeviceOwner or COPE", Err: ErrUnknownMode}
	}
	if p.Location == nil && p.Mode == COPE {
		return nil, &ProvisioningError{Field: "zone", Reason: "a COPE device needs the zone its day-valid codes are issued in"}
	}
	if err := checkKeyring(p.Keys); err != nil {
		return nil, &ProvisioningError{Field: "key", Reason: err.Error(), Err: err}
	}
	var o VerifierOptions
	if opts != nil {
		o = *opts
	}
	v := &Verifier{
		deviceID: p.DeviceID,
		mode:     p.Mode,
		store:    store,
		skew:     o.Skew,
		window:   o.Window,
		loc:      p.Location,
		state:    &stateCache{},
	}
	for _, k := range p.Keys {
		e := &keyEntry{index: v.nkeys, held: k.held}
		if k.held == nil {
			kb := *k.raw()
			e.key = &kb
		}
		v.keys[k.id] = e
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
		v.loc = time.UTC
	}
	l := o.Lockout
	if l == (Lockout{}) {
		l = DefaultLockout
	}
	if l.Backoff <= 0 || l.Free < 0 || l.MaxBackoff < 0 {
		return nil, fmt.Errorf("servicepass: invalid VerifierOptions.Lockout %+v: Backoff must be positive, Free and MaxBackoff not negative", l)
	}
	v.policy = attempt.Policy{Free: l.Free, Backoff: l.Backoff, MaxBackoff: l.MaxBackoff}
	v.macs.New = func() any {
		m := make([]*macState, v.nkeys)
		return &m
	}
	return v, nil
}

// codeInput is a typed code as the transition sees it: its fields, its MAC
// and whether the MAC matched (computed outside the state lock).
type codeInput struct {
	p     Payload // without its MAC
	mac   uint64
	macOK bool
}

// outcome is what one transition decided: a grant or a refusal, and
// whether the state changed (and must be saved).
type outcome struct {
	grant   Grant
	err     error
	changed bool
}

// codeCall runs one code's transition inside the store's update.
type codeCall struct {
	v   *Verifier
	in  codeInput
	now time.Time
	out outcome
}

func (c *codeCall) run(s *deviceState) bool {
	c.out = c.v.stepCode(s, &c.in, c.now)
	return c.out.changed
}

// Verify checks code at the device time now and, if it grants, records its
// use, opens (or extends) the privileged window and appends to the use log.
// It checks in this order, returning the first failure:
//
//  1. shape: [ErrMalformed] (wrong length or characters);
//  2. check symbol: [ErrTypo] (not counted as a failed attempt);
//  3. version: [ErrVersion]; key ID in the keyring: [ErrUnknownKey];
//  4. lockout: [*LockedOutError] matching [ErrLockedOut];
//  5. MAC, in constant time: [ErrInvalid], which counts toward the lockout;
//  6. validity with the clock skew: [ErrExpired], [ErrNotYetValid];
//  7. clock high-water mark: [ErrClockBack] (an Emergency Database Reset
//     code instead resets the mark, see [Grant.ClockReset]);
//  8. mode rules: [ErrMode] (also matching the broken rule's sentinel);
//  9. single use: [ErrReplay] (a day-valid code: once per calendar day).
//
// Only a grant moves the clock mark: no unauthenticated input (a wrong MAC,
// an expired code, a window poll) can lock genuine codes out.
//
// A damaged or lost device state does not stop verification; see
// [Grant.Degraded] and docs/servicepass-format.md. A state that cannot be
// saved does not either: a refusal then also matches [ErrNotSaved], and a
// grant carries the reason in [Grant.StateError]. ctx bounds the wait for
// the state while another process holds it; if it ends first, Verify
// decides nothing and returns an error matching ctx's.
func (v *Verifier) Verify(ctx context.Context, code string, now time.Time) (Grant, error) {
	if ctx == nil {
		return Grant{}, ErrNilContext
	}
	var b [payloadBytes]byte
	if err := parse(code, &b); err != nil {
		return Grant{}, err
	}
	p := payloadFromBytes(&b)
	e := v.keys[p.KeyID]
	if e == nil {
		return Grant{}, ErrUnknownKey
	}
	// The tag is computed before the state lock so that verifications run
	// in parallel; the transition consults it only after the lockout check.
	var tag uint64
	if e.held != nil {
		var err error
		if tag, err = heldTag(e.held, p.KeyID, macInput(v.deviceID, &b), MACBits); err != nil {
			return Grant{}, err
		}
	} else {
		macs := v.macs.Get().(*[]*macState)
		ms := (*macs)[e.index]
		if ms == nil {
			ms = newMACState(e.key, v.deviceID)
			(*macs)[e.index] = ms
		}
		tag = ms.tag(&b)
		v.macs.Put(macs)
	}
	mac := macFromBytes(&b)
	c := &codeCall{v: v, in: codeInput{p: p, mac: mac, macOK: macEqual(tag, mac)}, now: now}
	ran, serr := v.update(ctx, c.run)
	if !ran {
		return Grant{}, serr
	}
	g, err := c.out.grant, c.out.err
	if serr != nil {
		if err != nil {
			return Grant{}, fmt.Errorf("%w; %w", err, serr)
		}
		g.Degraded, g.StateError = true, serr
	}
	return g, err
}

// damageGrace is how long, in device time after a damaged or lost state is
// found, [deviceState.DamagedAt] keeps following the latest device time a
// verification shows: a clock that read early when the damage was found
// (set back, or not yet set) must not hide a replay of a code used before
// the damage. It is the longest a day-valid code is accepted ahead plus a
// day.
const damageGrace = maxDaysAheadDuration + 24*time.Hour

// maxDaysAhead is how many calendar days after the device's today the date
// of a day-valid code may lie: a genuine code ends at most 30 days after it
// was issued, plus a day for the issuer's and device's zones and clocks.
const maxDaysAhead = int64(MaxValidity/(24*time.Hour)) + 1

const maxDaysAheadDuration = time.Duration(maxDaysAhead) * 24 * time.Hour

// recoverDamage starts a fresh state after damage (or a lost state on a
// provisioned device) found at now: the grants that follow are degraded and
// every reversible action is to be reverted.
func (v *Verifier) recoverDamage(s *deviceState, now time.Time) {
	now = now.UTC()
	// The lost state's sequence numbers are gone: start the revert duty's
	// and the use log's afresh at random ones, so that an acknowledgement
	// of a status or a log read before the loss matches nothing after it.
	// (Started from the time, two losses at one device time shared a revert
	// sequence number; started from 0, an old "through 4" deleted new
	// entries.)
	*s = deviceState{
		Provisioned: true,
		DamagedAt:   now,
		DamageFound: now,
		Revert:      revertState{Actions: Reversible, Seq: randomSeq(), Lost: true},
		LogNext:     randomSeq(),
	}
}

// randomSeq returns a random sequence number below 2^62, so that counting
// up from it never wraps.
func randomSeq() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it crashes the program instead)
	return binary.BigEndian.Uint64(b[:]) >> 2
}

// lost reports whether s is damaged or missing.
func (v *Verifier) lost(s *deviceState) bool { return s.Damaged }

// lockout returns the refusal of an attempt at now during a back-off (a
// [*LockedOutError]), or nil, and whether it changed s. Codes and challenge
// responses share it.
//
// A back-off runs from the device time of the failure that started it. When
// it ends further from now than its own length (the failure was typed at a
// clock set ahead, or this clock is turned back), it is re-anchored at now
// with its full length: no unauthenticated input at any device time keeps
// an attempt waiting longer than the cap (a wrong code typed while the clock
// read 2100 once locked everything out until 2100), and turning the clock
// back does not escape a back-off either.
func (v *Verifier) lockout(s *deviceState, now time.Time) (changed bool, err error) {
	if !s.LockedUntil.IsZero() {
		d := v.policy.Delay(s.Failures)
		if s.LockedUntil.Sub(now) > d {
			now = now.UTC()
			s.LastFailure, s.LockedUntil = now, now.Add(d)
			changed = true
		}
	}
	if err := v.policy.Check(s.attempts(), now); err != nil {
		return changed, lockedOut(err)
	}
	return changed, nil
}

// lockedOut is the [*LockedOutError] for an attempt.Policy refusal.
func lockedOut(err error) error {
	var le *attempt.LockedError
	if errors.As(err, &le) {
		return &LockedOutError{RetryAfter: le.RetryAfter, Until: le.Until}
	}
	return &LockedOutError{}
}

// attempts is s's lockout state.
func (s *deviceState) attempts() attempt.State {
	return attempt.State{Failures: s.Failures, LastFailure: s.LastFailure, LockedUntil: s.LockedUntil}
}

// fail counts a wrong MAC at now toward the lockout.
func (v *Verifier) fail(s *deviceState, now time.Time) {
	r := v.policy.Fail(s.attempts(), now.UTC())
	s.Failures, s.LastFailure, s.LockedUntil = r.State.Failures, r.State.LastFailure, r.State.LockedUntil
}

// stepCode is the transition of a typed code: from the state s, the code
// in and the device time now to the next state (s, changed in place) and
// the outcome. It applies the checks of [Verifier.Verify] from the lockout
// on, in the documented order (docs/servicepass-format.md §5, steps 5 to
// 11: lockout, MAC, validity, clock mark, mode, single use, grant), and
// does nothing else: no I/O, no clock, no randomness except the fresh
// sequence numbers of a lost state. Verify drives it through the store;
// the vectors and the model test drive Verify.
func (v *Verifier) stepCode(s *deviceState, in *codeInput, now time.Time) outcome {
	p := &in.p
	changed := false
	if v.lost(s) {
		v.recoverDamage(s, now)
		changed = true
	}
	if moved, err := v.lockout(s, now); err != nil {
		return outcome{err: err, changed: changed || moved}
	} else if moved {
		changed = true
	}
	// After a damage, DamagedAt follows the latest device time seen for
	// damageGrace, so that a clock that read early when the damage was
	// found cannot hide a replay. Moving it forward only marks more grants
	// degraded, so an unauthenticated attempt may do it.
	if !s.DamagedAt.IsZero() && now.After(s.DamagedAt) && now.Before(s.DamageFound.Add(damageGrace)) {
		s.DamagedAt = now.UTC()
		changed = true
	}
	if !in.macOK {
		v.fail(s, now)
		return outcome{err: ErrInvalid, changed: true}
	}

	var expiry time.Time
	var today int32
	if p.DayValid {
		y, m, d := Epoch.AddDate(0, 0, int(p.Expiry)).Date()
		expiry = endOfDate(y, m, d, v.loc)
		today = dayNumber(now.In(v.loc))
		if int64(p.Expiry)-int64(today) > maxDaysAhead {
			return outcome{err: ErrNotYetValid, changed: changed}
		}
	} else {
		expiry = p.ExpiresAt()
		if expiry.Sub(now) > MaxValidity+v.skew {
			return outcome{err: ErrNotYetValid, changed: changed}
		}
	}
	if !now.Before(expiry.Add(v.skew)) {
		return outcome{err: ErrExpired, changed: changed}
	}
	// A genuine code valid at now bounds now by the real time (a code is
	// issued at most 30 days before its expiry), so until the first grant
	// after a damage DamagedAt follows it beyond damageGrace too: a damage
	// found at a clock set far back must not hide a replay.
	if !s.DamagedAt.IsZero() && s.HighWater.IsZero() && now.After(s.DamagedAt) {
		s.DamagedAt = now.UTC()
		changed = true
	}
	clockReset := false
	if now.Before(s.HighWater.Add(-v.skew)) {
		// The mark is moved only by grants, so it is ahead of this clock
		// only if a genuine code was used at a wrong (later) device time,
		// or this clock is turned back. An Emergency Database Reset code,
		// which an administrator issues for a device in trouble, resets it.
		if p.Actions != EmergencyDatabaseReset || p.Mode != v.mode {
			return outcome{err: ErrClockBack, changed: changed}
		}
		clockReset = true
	}
	if p.Mode != v.mode {
		return outcome{err: fmt.Errorf("%w: code is for %v, device is %v", ErrMode, p.Mode, v.mode), changed: changed}
	}
	if err := CheckRules(p.Mode, p.Actions); err != nil {
		return outcome{err: fmt.Errorf("%w: %w", ErrMode, err), changed: changed}
	}
	if p.DayValid != DayValid(p.Mode, p.Actions) {
		return outcome{err: fmt.Errorf("%w: day-valid flag does not match the actions", ErrMode), changed: changed}
	}

	if v.skew > s.MaxSkew {
		s.growSkew(v.skew)
		changed = true
	}
	key := useKey(p, in.mac)
	if s.Used == nil {
		s.Used = make(map[uint64]use)
	}
	forget := expiry.Add(2 * s.MaxSkew).UTC()
	// recorded: the code has a use record. Past the replay check below,
	// only a day-valid code (used on an earlier day) can have one.
	recorded := false
	if p.DayValid {
		// Refuse a day on or before the latest use: the clock skew lets
		// the device time step back over midnight, and alternating between
		// two days must not give a second use on either.
		u, used := s.Used[key]
		if used && today <= u.Day {
			return outcome{err: ErrReplay, changed: changed}
		}
		recorded = used
		s.Used[key] = use{Forget: forget, Day: today}
	} else {
		// One map operation: if the insert did not grow the map, the code
		// was there already (its record is rewritten with the same value).
		n := len(s.Used)
		s.Used[key] = use{Forget: forget}
		if len(s.Used) == n {
			return outcome{err: ErrReplay, changed: changed}
		}
	}
	if clockReset || now.After(s.HighWater) {
		s.HighWater = now.UTC()
	}
	if s.NextForget.IsZero() || forget.Before(s.NextForget) {
		s.NextForget = forget
	}
	if !s.NextForget.IsZero() && s.HighWater.After(s.NextForget) {
		s.prune()
	}
	s.Failures, s.LastFailure, s.LockedUntil = 0, time.Time{}, time.Time{}
	v.openWindow(s, p.Actions, now)

	degraded := !recorded && !expiry.After(s.PrunedExpiry)
	if !s.DamagedAt.IsZero() {
		if p.DayValid {
			degraded = degraded || int64(p.Expiry)-maxDaysAhead <= int64(dayNumber(s.DamagedAt.Add(s.MaxSkew).In(v.loc)))
		} else {
			degraded = degraded || !expiry.Add(-MaxValidity).After(s.DamagedAt.Add(s.MaxSkew))
		}
	}
	s.logUse(UseEntry{KeyID: p.KeyID, Serial: p.Serial, At: now.UTC(), Degraded: degraded})
	return outcome{changed: true, grant: Grant{
		Actions:    p.Actions,
		Scope:      ScopeOf(p.Mode, p.Actions),
		Mode:       p.Mode,
		KeyID:      p.KeyID,
		Serial:     p.Serial,
		Expiry:     expiry.UTC(),
		DayValid:   p.DayValid,
		WindowEnd:  s.Window.End,
		Degraded:   degraded,
		ClockReset: clockReset,
	}}
}

// growSkew keeps every use record for twice the larger skew.
func (s *deviceState) growSkew(skew time.Duration) {
	d := 2 * (skew - s.MaxSkew)
	for k, u := range s.Used {
		u.Forget = u.Forget.Add(d)
		s.Used[k] = u
	}
	if !s.NextForget.IsZero() {
		s.NextForget = s.NextForget.Add(d)
	}
	s.MaxSkew = skew
}

// prune drops the use records the high-water mark alone now refuses.
func (s *deviceState) prune() {
	var next time.Time
	for k, u := range s.Used {
		if s.HighWater.After(u.Forget) {
			if e := u.Forget.Add(-2 * s.MaxSkew); e.After(s.PrunedExpiry) {
				s.PrunedExpiry = e
			}
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
