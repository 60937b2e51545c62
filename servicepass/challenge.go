package servicepass

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/internal/crockford"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// Challenge-bound codes (docs/servicepass-format.md §11): the device shows a
// fresh challenge, the help desk types it into the console, and the
// response [Issuer.Respond] makes verifies only for that challenge, once.
// They need neither a trusted device clock nor surviving device state.
const (
	// ChallengeBits is the number of random bits in a challenge.
	ChallengeBits = 45
	// ChallengeLen is the canonical length of a challenge: 9 data symbols
	// and a check symbol.
	ChallengeLen = ChallengeBits/5 + 1
	// ResponseBits is the number of bits a response carries: a 2-bit
	// format version, the key ID, the actions, the mode and the MAC.
	ResponseBits = 75
	// ResponseMACBits is the length of a response's truncated HMAC-SHA256
	// tag.
	ResponseMACBits = 56
	// ResponseLen is the canonical length of a response: 15 data symbols
	// and a check symbol.
	ResponseLen = ResponseBits/5 + 1
	// ResponseVersion is the response format version.
	ResponseVersion = 1
	// DefaultChallengeLifetime is how long a challenge stays outstanding,
	// on the monotonic clock, unless [ChallengeOptions] says otherwise.
	DefaultChallengeLifetime = 15 * time.Minute
	// MaxChallengeLifetime bounds [ChallengeOptions.Lifetime].
	MaxChallengeLifetime = time.Hour
	// ChallengeFailures is the number of responses failing the MAC after
	// which a challenge is void. Each also counts toward the lockout.
	ChallengeFailures = 3

	responseLabel   = "mdmcred/servicepass/v1/response"
	responseMACMask = 1<<ResponseMACBits - 1
	challengeMask   = 1<<ChallengeBits - 1
)

// Challenge sentinels. A mistyped response is [ErrTypo] like a mistyped
// code; a response that fails its MAC is [ErrInvalid].
var (
	ErrChallengeMalformed = errors.New("servicepass: malformed challenge")
	ErrChallengeTypo      = errors.New("servicepass: challenge mistyped (check symbol mismatch)")
	ErrNoChallenge        = errors.New("servicepass: no outstanding challenge; show a new one")
	ErrChallengeExpired   = errors.New("servicepass: challenge expired; show a new one")
	ErrChallengeVoid      = errors.New("servicepass: challenge void after wrong responses; show a new one")
)

// Challenge is what a device shows to ask for a challenge-bound code: 45
// random bits. It is not secret. Its text is 9 Crockford Base32 symbols and
// a check symbol, displayed in two groups of five (K7Q2M-9XJ4G).
type Challenge struct {
	v uint64
}

// Canonical returns the 10 symbols without separators.
func (c Challenge) Canonical() string {
	var out [ChallengeLen]byte
	var sum uint64
	for i := 0; i < ChallengeLen-1; i++ {
		sym := (c.v >> (5 * (ChallengeLen - 2 - i))) & 31
		out[i] = crockford.Alphabet[sym]
		sum = (sum*32 + sym) % 37
	}
	out[ChallengeLen-1] = crockford.CheckAlphabet[sum]
	return string(out[:])
}

// String returns the display form, two groups of five joined by a hyphen.
func (c Challenge) String() string { return crockford.Group(c.Canonical(), 5, "-") }

// ParseChallenge reads a challenge as the help desk typed it: case, spaces,
// hyphens and the look-alikes O, I and L do not matter. A wrong length or
// character is [ErrChallengeMalformed]; a check symbol that does not match
// (every single-symbol substitution and adjacent transposition) is
// [ErrChallengeTypo], caught before anything is issued.
func ParseChallenge(s string) (Challenge, error) {
	if len(s) > maxInputLen {
		return Challenge{}, ErrChallengeMalformed
	}
	var buf [maxInputLen]byte
	norm, err := crockford.AppendNormalize(buf[:0], s)
	if err != nil || len(norm) != ChallengeLen {
		return Challenge{}, ErrChallengeMalformed
	}
	var v, sum uint64
	for _, ch := range norm[:ChallengeLen-1] {
		sym := uint64(symbolValue[ch])
		if sym >= 32 {
			return Challenge{}, ErrChallengeTypo
		}
		v = v<<5 | sym
		sum = (sum*32 + sym) % 37
	}
	if crockford.CheckAlphabet[sum] != norm[ChallengeLen-1] {
		return Challenge{}, ErrChallengeTypo
	}
	return Challenge{v: v}, nil
}

// responseHeader is the 19 bits before the MAC: version (2), key ID (8),
// actions (8), mode (1).
func responseHeader(keyID uint8, a Actions, m Mode) uint64 {
	return uint64(ResponseVersion)<<17 | uint64(keyID)<<9 | uint64(a)<<1 | uint64(m&1)
}

// responseMessage is what follows the labeled prefix in the MAC input: the
// challenge as 6 bytes, then version, key ID, actions and mode, one byte
// each.
func responseMessage(dst *[10]byte, c uint64, keyID uint8, a Actions, m Mode) {
	for i := 0; i < 6; i++ {
		dst[i] = byte(c >> (8 * (5 - i)))
	}
	dst[6], dst[7], dst[8], dst[9] = ResponseVersion, keyID, byte(a), byte(m)
}

// responseMACInput returns the whole MAC input of a response (for the
// issuer and the test vectors; the verifier caches the prefix).
func responseMACInput(deviceID string, c uint64, keyID uint8, a Actions, m Mode) []byte {
	var msg [10]byte
	responseMessage(&msg, c, keyID, a, m)
	return append(labeledPrefix(responseLabel, deviceID), msg[:]...)
}

// encodeResponse returns the 16-symbol canonical text of a response.
func encodeResponse(header, mac uint64) string {
	// The 75-bit value header<<56 | mac as hi (top 11 bits) and lo.
	hi, lo := header>>8, header<<56|mac&responseMACMask
	var out [ResponseLen]byte
	var sum uint64
	for i := 0; i < ResponseLen-1; i++ {
		shift := uint(5 * (ResponseLen - 2 - i))
		var sym uint64
		if shift >= 64 {
			sym = hi >> (shift - 64) & 31
		} else {
			sym = (lo>>shift | hi<<(64-shift)) & 31
		}
		out[i] = crockford.Alphabet[sym]
		sum = (sum*32 + sym) % 37
	}
	out[ResponseLen-1] = crockford.CheckAlphabet[sum]
	return string(out[:])
}

// parseResponse normalizes, checks and splits a typed response without
// allocating.
func parseResponse(s string) (header, mac uint64, err error) {
	if len(s) > maxInputLen {
		return 0, 0, ErrMalformed
	}
	var buf [maxInputLen]byte
	norm, err := crockford.AppendNormalize(buf[:0], s)
	if err != nil || len(norm) != ResponseLen {
		return 0, 0, ErrMalformed
	}
	var hi, lo uint64
	for _, ch := range norm[:ResponseLen-1] {
		v := symbolValue[ch]
		if v >= 32 {
			return 0, 0, ErrTypo
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	if sum := (hi%37*pow64mod37 + lo%37) % 37; crockford.CheckAlphabet[sum] != norm[ResponseLen-1] {
		return 0, 0, ErrTypo
	}
	header = hi<<8 | lo>>56
	if header>>17 != ResponseVersion {
		return 0, 0, ErrVersion
	}
	return header, lo & responseMACMask, nil
}

// ResponseRequest asks for the response to a device's challenge.
type ResponseRequest struct {
	// DeviceID is the device's ID. The help desk must make sure the
	// caller is at this device (see docs/servicepass-format.md §11): the
	// response works for whoever holds the device.
	DeviceID string
	// Challenge is the challenge the device shows, as typed; a typo is
	// [ErrChallengeTypo].
	Challenge string
	// Mode is the device's activation mode.
	Mode Mode
	// Actions to grant; see [CheckRules]. Set Password on COPE is allowed
	// (a response has no expiry date).
	Actions Actions
	// KeyIDs are the key IDs the device is known to hold, as in
	// [Request.KeyIDs]. Empty: the newest master key.
	KeyIDs KeyIDSet
	// Admin is the acting administrator, for the audit log. Required.
	Admin string
}

// Response is a challenge-bound code.
type Response struct {
	// Code is the canonical form: 16 symbols, no separators.
	Code Code
	// Display is the grouped form: XXXX-XXXX-XXXX-XXXX.
	Display Code
	// Challenge is the challenge it answers, in display form.
	Challenge string
	KeyID     uint8
}

// EventResponded: a response to a device's challenge was made. Its Detail
// holds the challenge.
const EventResponded EventType = "responded"

// Respond makes the response to a device's challenge: a MAC under the
// device key over the device ID, the challenge, the actions, the mode and
// the key ID, under a domain label of its own. It checks the request (a
// [*RuleError] for a broken rule, [ErrChallengeTypo] or
// [ErrChallengeMalformed] for the challenge) and records an
// [EventResponded] audit event (never the response).
func (is *Issuer) Respond(ctx context.Context, r ResponseRequest) (Response, error) {
	if ctx == nil {
		return Response{}, ErrNilContext
	}
	if err := checkAdmin(r.Admin); err != nil {
		return Response{}, err
	}
	if err := checkDeviceID(r.DeviceID); err != nil {
		return Response{}, err
	}
	c, err := ParseChallenge(r.Challenge)
	if err != nil {
		return Response{}, err
	}
	if err := CheckRules(r.Mode, r.Actions); err != nil {
		return Response{}, err
	}
	ki, err := is.issuingKey(r.KeyIDs)
	if err != nil {
		return Response{}, err
	}
	master := is.keys[ki]
	var dk [KeySize]byte
	if err := is.deviceKey(ctx, ki, r.DeviceID, &dk); err != nil {
		return Response{}, err
	}
	h := hmac.New(sha256.New, dk[:])
	clear(dk[:])
	h.Write(responseMACInput(r.DeviceID, c.v, master.id, r.Actions, r.Mode))
	sum := h.Sum(nil)
	var mac uint64
	for _, b := range sum[:8] {
		mac = mac<<8 | uint64(b)
	}
	canonical := encodeResponse(responseHeader(master.id, r.Actions, r.Mode), mac>>(64-ResponseMACBits))
	out := Response{Code: secret.New(canonical), Display: secret.New(crockford.Group(canonical, 4, "-")), Challenge: c.String(), KeyID: master.id}
	ev := Event{Type: EventResponded, At: is.now().UTC(), Admin: r.Admin, DeviceID: r.DeviceID, Mode: r.Mode,
		Actions: r.Actions, KeyID: master.id, Detail: "challenge " + c.String()}
	if err := is.store.Record(ctx, ev); err != nil {
		return Response{}, fmt.Errorf("servicepass: recording audit event: %w", err)
	}
	if is.log.Enabled(ctx, slog.LevelInfo) {
		is.log.LogAttrs(ctx, slog.LevelInfo, "challenge response made",
			slog.String("device_id", r.DeviceID), slog.String("actions", r.Actions.String()),
			slog.String("challenge", c.String()), slog.String("admin", r.Admin))
	}
	return out, nil
}

// ChallengeOptions configures [Verifier.NewChallenge]. The zero value takes
// the defaults.
type ChallengeOptions struct {
	// Lifetime is how long the challenge stays outstanding, measured on
	// Clock. Zero: DefaultChallengeLifetime (15 minutes). At most
	// MaxChallengeLifetime.
	Lifetime time.Duration
	// Clock measures the lifetime; only differences between its readings
	// are used. Zero: time.Now, whose readings carry Go's monotonic clock,
	// so setting the wall clock changes nothing (the monotonic clock may
	// stop while the device sleeps, which only lengthens the lifetime).
	Clock func() time.Time
	// Rand is the source of the challenge. Zero: crypto/rand.Reader.
	Rand io.Reader
}

// challengeSlot is a Verifier's outstanding challenge, in memory only:
// losing it (a restart) just means showing a new one.
type challengeSlot struct {
	mu       sync.Mutex
	out      bool // a challenge is outstanding
	void     bool // the last challenge was voided by failures
	expired  bool // the last challenge expired unused
	value    uint64
	text     string // display form, for the use log
	made     time.Time
	lifetime time.Duration
	clock    func() time.Time
	failures int
	macs     []*macState // by keyEntry.index, made on first use
	msg      [10]byte    // the MAC message's scratch
}

// NewChallenge makes a new challenge for a challenge-bound code and makes
// it the outstanding one, replacing any earlier one. Show its String to the
// user, who reads it to the help desk.
func (v *Verifier) NewChallenge(opts ChallengeOptions) (Challenge, error) {
	if opts.Lifetime < 0 || opts.Lifetime > MaxChallengeLifetime {
		return Challenge{}, fmt.Errorf("servicepass: challenge lifetime %s, want up to %s", opts.Lifetime, MaxChallengeLifetime)
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = DefaultChallengeLifetime
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	var b [6]byte
	if _, err := io.ReadFull(opts.Rand, b[:]); err != nil {
		return Challenge{}, fmt.Errorf("servicepass: reading randomness: %w", err)
	}
	var x uint64
	for _, c := range b {
		x = x<<8 | uint64(c)
	}
	c := Challenge{v: x >> 3} // the first 45 of 48 random bits
	sl := &v.challenge
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.macs == nil {
		sl.macs = make([]*macState, v.nkeys)
	}
	sl.out, sl.void, sl.expired, sl.value, sl.text, sl.made, sl.lifetime, sl.clock, sl.failures =
		true, false, false, c.v, c.String(), opts.Clock(), opts.Lifetime, opts.Clock, 0
	return c, nil
}

// responseInput is a typed response as the transition sees it: its header
// fields, whether its MAC matched the outstanding challenge (computed
// outside the state lock) and the challenge's display form.
type responseInput struct {
	actions Actions
	mode    Mode
	keyID   uint8
	macOK   bool
	text    string
}

// responseCall runs one response's transition inside the store's update.
type responseCall struct {
	v   *Verifier
	in  responseInput
	now time.Time
	out outcome
}

func (c *responseCall) run(s *deviceState) bool {
	c.out = c.v.stepResponse(s, &c.in, c.now)
	return c.out.changed
}

// VerifyResponse checks a challenge-bound code against the outstanding
// challenge at the device time now (used only for the lockout and the
// privileged window: a response has no expiry, so any wall-clock time
// works). It checks in this order, returning the first failure:
//
//  1. shape: [ErrMalformed]; check symbol: [ErrTypo] (not counted);
//     format version: [ErrVersion];
//  2. outstanding challenge: [ErrNoChallenge] (none made, already used or
//     replaced, or the process restarted), [ErrChallengeExpired],
//     [ErrChallengeVoid];
//  3. key ID in the keyring: [ErrUnknownKey];
//  4. lockout: [*LockedOutError] matching [ErrLockedOut];
//  5. MAC, in constant time: [ErrInvalid], which counts toward the lockout
//     and, after ChallengeFailures of them, voids the challenge;
//  6. mode rules: [ErrMode] (the challenge is used up);
//
// then it uses up the challenge, opens the privileged window and grants.
// The grant is never degraded: the challenge is used once, in memory, so no
// replay is possible even when the device state is damaged, deleted or
// cannot be saved (then the lockout and the window hold in memory only).
// Grant.Serial and Grant.Expiry are zero.
func (v *Verifier) VerifyResponse(ctx context.Context, response string, now time.Time) (Grant, error) {
	if ctx == nil {
		return Grant{}, ErrNilContext
	}
	header, mac, err := parseResponse(response)
	if err != nil {
		return Grant{}, err
	}
	sl := &v.challenge
	sl.mu.Lock()
	defer sl.mu.Unlock()
	switch {
	case sl.void:
		return Grant{}, ErrChallengeVoid
	case sl.expired:
		return Grant{}, ErrChallengeExpired
	case !sl.out:
		return Grant{}, ErrNoChallenge
	case sl.clock().Sub(sl.made) >= sl.lifetime:
		sl.out, sl.expired = false, true
		return Grant{}, ErrChallengeExpired
	}
	in := responseInput{keyID: uint8(header >> 9), actions: Actions(header >> 1), mode: Mode(header & 1), text: sl.text}
	e := v.keys[in.keyID]
	if e == nil {
		return Grant{}, ErrUnknownKey
	}
	var tag uint64
	if e.held != nil {
		if tag, err = heldTag(e.held, in.keyID, responseMACInput(v.deviceID, sl.value, in.keyID, in.actions, in.mode), ResponseMACBits); err != nil {
			return Grant{}, err
		}
	} else {
		ms := sl.macs[e.index]
		if ms == nil {
			ms = newLabeledMACState(e.key, responseLabel, v.deviceID)
			sl.macs[e.index] = ms
		}
		responseMessage(&sl.msg, sl.value, in.keyID, in.actions, in.mode)
		tag = ms.first64(sl.msg[:]) >> (64 - ResponseMACBits)
	}
	in.macOK = macEqual(tag, mac)
	c := &responseCall{v: v, in: in, now: now}
	ran, serr := v.update(ctx, c.run) // a failed save still leaves the change in memory
	if !ran {
		// The store did not run the update (its wait for another process
		// ended): decide on a fresh state, so that the outstanding
		// challenge alone stands between a guess and a grant, and say the
		// state was not saved.
		var scratch deviceState
		c.run(&scratch)
		serr = &NotSavedError{Err: serr}
	}
	g, err := c.out.grant, c.out.err
	if serr != nil {
		// Never silent: the grant or refusal says the state was not saved.
		// A response grant stays non-degraded (a response cannot be
		// replayed, whatever the state remembers).
		if err != nil {
			err = fmt.Errorf("%w; %w", err, serr)
		} else {
			g.StateError = serr
		}
	}
	switch {
	case errors.Is(err, ErrInvalid):
		if sl.failures++; sl.failures >= ChallengeFailures {
			sl.out, sl.void = false, true
		}
	case err == nil, errors.Is(err, ErrMode):
		sl.out = false
	}
	return g, err
}

// stepResponse is the transition of a typed response: from the state s,
// the response in and the device time now to the next state (s, changed in
// place) and the outcome, with the checks of [Verifier.VerifyResponse] from
// the lockout on in the documented order (docs/servicepass-format.md §11:
// lockout, MAC, mode, grant). The challenge's own bookkeeping (used, void,
// expired) stays with VerifyResponse: it lives in memory only.
//
// It reads and writes the lockout (Failures, LastFailure, LockedUntil),
// the privileged window and the use log exactly as Verify does; it never
// touches the clock high-water mark or the use records (a response has no
// expiry and cannot be replayed). A damaged or lost state is recovered as Verify recovers it
// (the revert duty of every reversible action included), and the grant
// opens the window through the same openWindow as a code's grant.
func (v *Verifier) stepResponse(s *deviceState, in *responseInput, now time.Time) outcome {
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
	if !in.macOK {
		v.fail(s, now)
		return outcome{err: ErrInvalid, changed: true}
	}
	if in.mode != v.mode {
		return outcome{err: fmt.Errorf("%w: response is for %v, device is %v", ErrMode, in.mode, v.mode), changed: changed}
	}
	if err := CheckRules(in.mode, in.actions); err != nil {
		return outcome{err: fmt.Errorf("%w: %w", ErrMode, err), changed: changed}
	}
	s.Failures, s.LastFailure, s.LockedUntil = 0, time.Time{}, time.Time{}
	v.openWindow(s, in.actions, now)
	s.logUse(UseEntry{KeyID: in.keyID, Challenge: in.text, At: now.UTC()})
	return outcome{changed: true, grant: Grant{
		Actions:   in.actions,
		Scope:     ScopeOf(in.mode, in.actions),
		Mode:      in.mode,
		KeyID:     in.keyID,
		WindowEnd: s.Window.End,
	}}
}
