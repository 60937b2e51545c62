package passcode

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mdmcred/mdmcred/internal/cas"
	"github.com/mdmcred/mdmcred/internal/nilctx"
	"github.com/mdmcred/mdmcred/internal/seal"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// Defaults for the zero fields of [Config].
const (
	// DefaultReauthWindow: a self-service user must have signed in again
	// within the last 5 minutes.
	DefaultReauthWindow = 5 * time.Minute
	// DefaultStaleAfter: an open reset with no final answer after 24 hours
	// expires. MDM commands to an offline device wait in its queue, so a
	// shorter limit would expire resets of phones that are merely switched
	// off for the night.
	DefaultStaleAfter = 24 * time.Hour
	// DefaultRetention: the sealed passcode can be revealed for 48 hours
	// after the request, long enough to read it to the user after a reset
	// that took the whole stale window.
	DefaultRetention = 48 * time.Hour
	// SignInSkew is how far in the future a self-service sign-in time may
	// lie (clocks of the host's servers disagree a little); beyond it the
	// sign-in is refused as not recent.
	SignInSkew = time.Minute
)

// Service errors: the refusals a caller branches on. A configuration or
// request check (a Config field, a missing request field, an identifier,
// a missing Mailer) is a [*ParamError] matching [ErrParams].
var (
	// ErrNotOwner: a self-service user asked to reset a device that is
	// not theirs.
	ErrNotOwner = errors.New("passcode: not the device's user")
	// ErrReauthRequired: a self-service user did not sign in again within
	// the re-authentication window.
	ErrReauthRequired = errors.New("passcode: sign in again to continue")
	// ErrNotAllowed: the viewer may not see this reset's passcode.
	ErrNotAllowed = errors.New("passcode: not allowed to view this passcode")
	// ErrNoPasscode: the reset cleared the passcode; there is none to show.
	ErrNoPasscode = errors.New("passcode: reset has no passcode to show")
	// ErrRetentionPassed: the sealed passcode is past its retention limit.
	ErrRetentionPassed = errors.New("passcode: passcode no longer available")
	// ErrReseal: the passcode was sealed with XChaCha20-Poly1305 by an
	// earlier release (docs/sealed-format.md, format 1), which FIPS 140-3
	// mode does not open: run [Service.Reseal] outside FIPS mode first.
	ErrReseal = errors.New("passcode: sealed passcode must be re-sealed (Service.Reseal) to open in FIPS 140-3 mode")
	// ErrResetExpired: the reset went stale; it is now Expired.
	ErrResetExpired = errors.New("passcode: reset expired")
	// ErrDelivery: the reset was made but the email to the user failed.
	// Returned as a *DeliveryError together with a valid Result.
	ErrDelivery = errors.New("passcode: email delivery failed")
)

// DeliveryError wraps the Mailer's error. It matches [ErrDelivery] and
// unwraps to the Mailer's error.
type DeliveryError struct{ Err error }

// Error implements error.
func (e *DeliveryError) Error() string { return "passcode: email delivery failed: " + e.Err.Error() }

// Is reports whether target is [ErrDelivery].
func (e *DeliveryError) Is(target error) bool { return target == ErrDelivery }

// Unwrap returns the Mailer's error.
func (e *DeliveryError) Unwrap() error { return e.Err }

// Mailer sends the reset notice to the device user. The notify package
// provides implementations; a host may write its own. SendPasscode must not
// log d.Passcode.
type Mailer interface {
	SendPasscode(ctx context.Context, d Delivery) error
}

// Delivery is one reset notice for the device user.
type Delivery struct {
	To         string // the user's email address
	Language   string // BCP 47 tag of the user's language ("pl", "de-AT"); the mailer falls back to English
	DeviceName string
	// DeviceID names the device when DeviceName is empty.
	DeviceID string
	ResetID  string
	Action   Action
	// Passcode is the new passcode or lock PIN; zero when Cleared.
	Passcode Passcode
	// Cleared: the passcode was removed; the user must set a new one on
	// the device before SetNewBy or the device will demand it.
	Cleared  bool
	SetNewBy time.Time
	// ExpiresAt is when the reset goes stale if the device never answers.
	ExpiresAt time.Time
}

// Config configures a [Service]. Store and SealKeys are required.
type Config struct {
	// Store keeps resets and events. Required.
	Store Store
	// SealKeys are 32-byte AES-256-GCM keys by key ID, under which
	// passcodes are sealed at rest; keep old keys until their passcodes'
	// retention has passed. Required; build it with [NewKeys]. It prints
	// as its key IDs only.
	SealKeys Keys
	// SealKeyID names the key in SealKeys new passcodes are sealed under.
	SealKeyID uint8
	// Mailer sends notices to device users. Zero: none; a request with
	// NotifyUser is refused with a [*ParamError] on "Mailer".
	Mailer Mailer
	// Now is the clock. Zero: time.Now.
	Now func() time.Time
	// Rand is the randomness for passcodes, reset IDs and nonces. Zero:
	// crypto/rand.Reader.
	Rand io.Reader
	// Logger receives one line per reset, view and failure, never a
	// passcode. Zero: discard.
	Logger *slog.Logger
	// ReauthWindow is how recent a self-service user's sign-in must be.
	// Zero: DefaultReauthWindow (5 minutes).
	ReauthWindow time.Duration
	// StaleAfter is how long a reset may stay open. Zero:
	// DefaultStaleAfter (24 hours).
	StaleAfter time.Duration
	// Retention is how long a sealed passcode can be revealed, counted from
	// the request; at least StaleAfter. Zero: DefaultRetention (48 hours),
	// or StaleAfter if that is longer.
	Retention time.Duration
}

// Service runs passcode resets: it checks the platform, generates the
// passcode, tracks the lifecycle, mails the user and reveals the passcode to
// those allowed. It is safe for concurrent use.
type Service struct {
	store      Store
	sealer     *seal.Sealer
	mailer     Mailer
	now        func() time.Time
	rand       io.Reader
	log        *slog.Logger
	reauth     time.Duration
	staleAfter time.Duration
	retention  time.Duration
}

// New validates cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, &ParamError{Field: "Store", Reason: "required"}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	keys := cfg.SealKeys.Reveal()
	sealer, err := seal.New(cfg.SealKeyID, keys)
	for _, k := range keys {
		clear(k) // the Sealer keeps its own copy
	}
	if err != nil {
		return nil, &ParamError{Field: "SealKeys", Reason: err.Error(), Err: err}
	}
	s := &Service{store: cfg.Store, sealer: sealer, mailer: cfg.Mailer, now: cfg.Now, rand: cfg.Rand,
		log: cfg.Logger, reauth: cfg.ReauthWindow, staleAfter: cfg.StaleAfter, retention: cfg.Retention}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.reauth == 0 {
		s.reauth = DefaultReauthWindow
	}
	if s.staleAfter == 0 {
		s.staleAfter = DefaultStaleAfter
	}
	if s.retention == 0 {
		s.retention = max(DefaultRetention, s.staleAfter)
	}
	switch {
	case s.reauth < 0:
		return nil, &ParamError{Field: "ReauthWindow", Reason: "negative"}
	case s.staleAfter < 0:
		return nil, &ParamError{Field: "StaleAfter", Reason: "negative"}
	case s.retention < s.staleAfter:
		return nil, &ParamError{Field: "Retention", Reason: fmt.Sprintf("%s is shorter than StaleAfter %s", s.retention, s.staleAfter)}
	}
	return s, nil
}

// ResetRequest is an admin's request to reset one device's passcode.
type ResetRequest struct {
	Device Device
	// Actor is the acting admin's ID; only they may reveal the passcode.
	Actor string
	// NotifyUser asks for the passcode (or the clear notice) to be emailed
	// to UserEmail in Language.
	NotifyUser bool
	UserEmail  string
	Language   string
}

// Result is a reset just requested.
type Result struct {
	Reset      Reset
	Capability Capability
	// Passcode is the new passcode or lock PIN to send to the device with
	// the MDM command; zero for ClearPasscode.
	Passcode Passcode
}

// Request starts an admin reset of req.Device: it checks the platform
// ([Check]), generates the passcode, records the reset in state Requested
// and, if asked, emails the user. The host then sends the MDM command with
// Result.Passcode and reports progress with [Service.Transition].
//
// A device with an open reset gives an *InProgressError (matching
// [ErrResetInProgress]), unless that reset is stale: it is then expired and
// the new one proceeds. When only the email fails, Request returns the
// Result and a *DeliveryError: the reset stands.
func (s *Service) Request(ctx context.Context, req ResetRequest) (Result, error) {
	if ctx == nil {
		return Result{}, ErrNilContext
	}
	if req.Actor == "" {
		return Result{}, &ParamError{Field: "Actor", Reason: "required"}
	}
	if err := checkID("Actor", req.Actor); err != nil {
		return Result{}, err
	}
	return s.request(ctx, req, false)
}

// SelfServiceRequest is a device user's reset request from the portal.
type SelfServiceRequest struct {
	// User is the signed-in user's ID; it must equal Device.Owner.
	User   string
	Device Device
	// SignedInAt is when the user last signed in (entered their
	// password again); it must lie within the re-authentication window.
	SignedInAt time.Time
	NotifyUser bool
	UserEmail  string
	Language   string
}

// SelfService starts a reset the device's own user asked for in the portal.
// It returns [ErrNotOwner] unless req.User is the device's user, and
// [ErrReauthRequired] unless the user signed in again within
// [Config.ReauthWindow]; otherwise it behaves like [Service.Request] with the
// user as actor. The user may then [Service.Reveal] the passcode.
func (s *Service) SelfService(ctx context.Context, req SelfServiceRequest) (Result, error) {
	if ctx == nil {
		return Result{}, ErrNilContext
	}
	if req.User == "" {
		return Result{}, ErrNotOwner
	}
	if err := checkID("User", req.User); err != nil {
		return Result{}, err
	}
	if req.Device.Owner != req.User {
		return Result{}, ErrNotOwner
	}
	if !s.recent(req.SignedInAt) {
		return Result{}, ErrReauthRequired
	}
	return s.request(ctx, ResetRequest{Device: req.Device, Actor: req.User, NotifyUser: req.NotifyUser,
		UserEmail: req.UserEmail, Language: req.Language}, true)
}

func (s *Service) recent(signedInAt time.Time) bool {
	now := s.now()
	return !signedInAt.IsZero() && !signedInAt.After(now.Add(SignInSkew)) && now.Sub(signedInAt) <= s.reauth
}

func (s *Service) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("passcode: reading randomness: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func (s *Service) request(ctx context.Context, req ResetRequest, self bool) (Result, error) {
	if req.Device.ID == "" {
		return Result{}, &ParamError{Field: "Device.ID", Reason: "required"}
	}
	if err := checkID("Device.ID", req.Device.ID); err != nil {
		return Result{}, err
	}
	if req.Device.Owner != "" {
		if err := checkID("Device.Owner", req.Device.Owner); err != nil {
			return Result{}, err
		}
	}
	if req.NotifyUser {
		if s.mailer == nil {
			return Result{}, &ParamError{Field: "Mailer", Reason: "required to notify the user"}
		}
		if req.UserEmail == "" {
			return Result{}, &ParamError{Field: "UserEmail", Reason: "required to notify the user"}
		}
		if err := checkID("UserEmail", req.UserEmail); err != nil {
			return Result{}, err
		}
	}
	c, err := Check(req.Device)
	if err != nil {
		return Result{}, err
	}
	id, err := s.newID()
	if err != nil {
		return Result{}, err
	}
	now := s.now().UTC()
	r := Reset{ID: id, DeviceID: req.Device.ID, Platform: c.Platform, Action: c.Action, State: Requested,
		RequestedBy: req.Actor, SelfService: self, Owner: req.Device.Owner, RequestedAt: now, UpdatedAt: now,
		StaleAt: now.Add(s.staleAfter), Grace: c.Grace, OpenDevice: req.Device.ID, Rev: 1}
	var pc Passcode
	if c.Action != ClearPasscode {
		if pc, err = Generate(c.Policy, s.rand); err != nil {
			return Result{}, err
		}
		r.RetainUntil = now.Add(s.retention)
		pt := []byte(pc.Reveal())
		r.Sealed = s.sealer.Seal(pt, sealAD(r), r.RetainUntil)
		clear(pt)
	}
	ev := Event{Kind: EventTransition, ResetID: id, DeviceID: r.DeviceID, To: Requested, At: now, Actor: req.Actor}
	if err := s.create(ctx, r, ev, now); err != nil {
		return Result{}, err
	}
	s.log.InfoContext(ctx, "passcode reset requested", "reset", id, "device", r.DeviceID,
		"platform", r.Platform.String(), "action", r.Action.String(), "actor", req.Actor, "self_service", self)
	res := Result{Reset: r, Capability: c, Passcode: pc}
	if req.NotifyUser {
		return res, s.notify(ctx, r, req, pc)
	}
	return res, nil
}

// create stores r (Rev 1, OpenDevice set: a reset as requested) with its
// creation event in one insert-if-absent [Store.Write]. On ErrConflict it
// decides in Go what refused it: the device's open reset
// ([*InProgressError], unless it is stale: it is then expired and the
// insert tried again), a reset with the same ID ([ErrDuplicateID]), or
// neither any more (the open reset closed meanwhile: try again).
func (s *Service) create(ctx context.Context, r Reset, ev Event, now time.Time) error {
	return s.loop(func() (done, lost bool, err error) {
		err = s.store.Write(ctx, r, 0, []Event{ev})
		if !errors.Is(err, ErrConflict) {
			return err == nil, false, err
		}
		open, err := s.store.Open(ctx, r.DeviceID)
		switch {
		case errors.Is(err, ErrNotFound):
			if _, err := s.store.Load(ctx, r.ID); err == nil {
				return false, false, ErrDuplicateID
			} else if !errors.Is(err, ErrNotFound) {
				return false, false, err
			}
			return false, true, nil // closed meanwhile
		case err != nil:
			return false, false, err
		case now.Before(open.StaleAt):
			return false, false, &InProgressError{ResetID: open.ID, State: open.State, Since: open.RequestedAt}
		}
		err = s.expire(ctx, open, now)
		if errors.Is(err, ErrConflict) {
			return false, true, nil
		}
		return false, false, err
	})
}

// loop is internal/cas's retry loop on ErrConflict; a caller sees
// ErrStateChanged (wrapping it) only when every try met a conflict.
func (s *Service) loop(try func() (done, lost bool, err error)) error {
	err := cas.Loop(ErrConflict, try)
	if errors.Is(err, ErrConflict) {
		return fmt.Errorf("%w: %w", ErrStateChanged, err)
	}
	return err
}

// moved is r in state to at now, one revision on: OpenDevice follows the
// state.
func moved(r Reset, to State, now time.Time) Reset {
	r.State, r.UpdatedAt, r.Rev = to, now, r.Rev+1
	r.OpenDevice = ""
	if to.Open() {
		r.OpenDevice = r.DeviceID
	}
	return r
}

// expire writes r, as read, moved to Expired: one compare-and-swap on r.Rev
// (ErrConflict if it changed since).
func (s *Service) expire(ctx context.Context, r Reset, now time.Time) error {
	_, err := s.write(ctx, r, Expired, now, ActorSystem, true)
	return err
}

// write writes r, as read, moved to state to at now, with its transition
// event, whose actor is actor, or ActorSystem for a move the system makes
// (a stale reset expiring): one compare-and-swap on r.Rev (ErrConflict if
// it changed since). It logs the move once written and returns the reset
// as written.
func (s *Service) write(ctx context.Context, r Reset, to State, now time.Time, actor string, system bool) (Reset, error) {
	by := actor
	if system {
		by = ActorSystem
	}
	next := moved(r, to, now)
	ev := Event{Kind: EventTransition, ResetID: r.ID, DeviceID: r.DeviceID, From: r.State, To: to, At: now, Actor: by}
	if err := s.store.Write(ctx, next, r.Rev, []Event{ev}); err != nil {
		return Reset{}, err
	}
	if system {
		s.log.InfoContext(ctx, "passcode reset expired", "reset", r.ID, "device", r.DeviceID, "from", r.State.String())
	} else {
		s.log.InfoContext(ctx, "passcode reset transition", "reset", r.ID, "device", r.DeviceID,
			"from", r.State.String(), "to", to.String(), "actor", actor)
	}
	return next, nil
}

// decision is what [Service.move]'s decide made of a reset: the state to
// move to (None: none), whether the system makes the move (a stale reset
// expiring), and the error the call returns.
type decision struct {
	to     State
	system bool
	err    error
}

// move is the store idiom for an existing reset: decide on the reset (cur
// when not nil: one another query just read, such as Stale's; else
// loaded), write the decision with one compare-and-swap [Store.Write], and
// on ErrConflict load and decide again.
// decide returns the state to move to (None: write nothing), whether the
// system rather than actor makes the move, and the error the call returns
// once the decision is made (or written).
func (s *Service) move(ctx context.Context, id string, cur *Reset, actor string,
	decide func(r Reset, now time.Time) decision) (Reset, error) {
	var out Reset
	var outErr error
	err := s.loop(func() (done, lost bool, err error) {
		fresh := cur == nil
		var r Reset
		if fresh {
			if r, err = s.store.Load(ctx, id); err != nil {
				return false, false, err
			}
		} else {
			r, cur = *cur, nil
		}
		now := s.now().UTC()
		d := decide(r, now)
		to, derr := d.to, d.err
		if to == None {
			out, outErr = r, derr
			return true, false, nil
		}
		next, err := s.write(ctx, r, to, now, actor, d.system)
		switch {
		case errors.Is(err, ErrConflict):
			return false, fresh, nil
		case err != nil:
			return false, false, err
		}
		out, outErr = next, derr
		return true, false, nil
	})
	if err != nil {
		return Reset{}, err
	}
	return out, outErr
}

func (s *Service) notify(ctx context.Context, r Reset, req ResetRequest, pc Passcode) error {
	d := Delivery{To: req.UserEmail, Language: req.Language, DeviceName: req.Device.Name, DeviceID: r.DeviceID, ResetID: r.ID,
		Action: r.Action, Passcode: pc, ExpiresAt: r.StaleAt}
	if r.Action == ClearPasscode {
		d.Cleared = true
		d.SetNewBy = r.RequestedAt.Add(r.Grace)
	}
	ev := Event{Kind: EventNotified, ResetID: r.ID, DeviceID: r.DeviceID, From: r.State, To: r.State,
		At: s.now().UTC(), Actor: ActorSystem}
	mailErr := s.mailer.SendPasscode(ctx, d)
	if mailErr != nil {
		ev.Kind = EventNotifyFailed
		s.log.WarnContext(ctx, "passcode reset email failed", "reset", r.ID, "device", r.DeviceID, "error", mailErr)
	}
	if err := s.store.Append(ctx, ev); err != nil {
		return err
	}
	if mailErr != nil {
		return &DeliveryError{Err: mailErr}
	}
	return nil
}

// sealAD is the associated data a reset's passcode is sealed with: the
// reset ID and every field Reveal decides access on (device, requester,
// owner, self-service), none of which changes after the reset is
// created. A stored row whose fields were rewritten, or which carries
// another reset's sealed passcode, then fails to open instead of showing
// the passcode to someone else. Each field is length-prefixed so that no
// two resets share an AD.
func sealAD(r Reset) []byte {
	fields := []string{"passcode-reset-v1", r.ID, r.DeviceID, r.RequestedBy, r.Owner}
	var ad []byte
	for _, f := range fields {
		ad = binary.BigEndian.AppendUint32(ad, uint32(len(f)))
		ad = append(ad, f...)
	}
	if r.SelfService {
		return append(ad, 1)
	}
	return append(ad, 0)
}

// Viewer is who asks to see a reset's passcode.
type Viewer struct {
	// ID is the admin's or user's ID.
	ID string
	// SelfService marks the device's user in the portal; SignedInAt must
	// then lie within the re-authentication window.
	SelfService bool
	SignedInAt  time.Time
}

// Reveal opens the reset's sealed passcode for v and records the view. Only
// the admin who requested an admin reset, or the device's own user in the
// portal (signed in again within the window) for a self-service reset, may
// see it: an admin reset reaches the user only by the email the admin chose
// to send, so a user whose access an admin is revoking cannot read the new
// passcode in the portal. Anyone else gets
// [ErrNotAllowed] (or [ErrReauthRequired]) and the refusal is recorded too.
// A reset that cleared the passcode gives [ErrNoPasscode]; one past its
// retention, [ErrRetentionPassed]. The passcode stays viewable after the
// reset ends (a device offline past the stale deadline may still apply the
// queued command), until the retention limit.
func (s *Service) Reveal(ctx context.Context, resetID string, v Viewer) (Passcode, error) {
	if ctx == nil {
		return Passcode{}, ErrNilContext
	}
	if err := checkID("reset ID", resetID); err != nil {
		return Passcode{}, err
	}
	if v.ID != "" {
		// An empty viewer is refused below, and the refusal recorded; a
		// malformed one never reaches the audit log.
		if err := checkID("Viewer.ID", v.ID); err != nil {
			return Passcode{}, err
		}
	}
	r, err := s.store.Load(ctx, resetID)
	if err != nil {
		return Passcode{}, err
	}
	now := s.now().UTC()
	var deny error
	switch {
	case v.ID == "":
		deny = ErrNotAllowed
	case v.SelfService && (!r.SelfService || r.Owner == "" || v.ID != r.Owner):
		deny = ErrNotAllowed
	case v.SelfService && !s.recent(v.SignedInAt):
		deny = ErrReauthRequired
	case !v.SelfService && (r.SelfService || v.ID != r.RequestedBy):
		deny = ErrNotAllowed
	}
	ev := Event{Kind: EventViewed, ResetID: r.ID, DeviceID: r.DeviceID, From: r.State, To: r.State, At: now, Actor: v.ID}
	if deny != nil {
		ev.Kind = EventViewDenied
		s.log.WarnContext(ctx, "passcode view denied", "reset", r.ID, "device", r.DeviceID, "viewer", v.ID)
		if err := s.store.Append(ctx, ev); err != nil {
			return Passcode{}, err
		}
		return Passcode{}, deny
	}
	if r.Sealed == nil {
		return Passcode{}, ErrNoPasscode
	}
	pt, err := s.sealer.Open(r.Sealed, sealAD(r), now)
	switch {
	case errors.Is(err, seal.ErrExpired):
		return Passcode{}, ErrRetentionPassed
	case errors.Is(err, seal.ErrReseal):
		return Passcode{}, ErrReseal
	case err != nil:
		return Passcode{}, fmt.Errorf("passcode: opening sealed passcode: %w", err)
	}
	pc := secret.New(string(pt))
	clear(pt)
	// Record before showing: a view that cannot be recorded is not shown.
	if err := s.store.Append(ctx, ev); err != nil {
		return Passcode{}, err
	}
	s.log.InfoContext(ctx, "passcode viewed", "reset", r.ID, "device", r.DeviceID, "viewer", v.ID)
	return pc, nil
}

// Transition moves a reset to state to on actor's behalf (the host's MDM
// channel reporting Pending, Acknowledged, Succeeded or Failed, or an admin
// cancelling with Failed). A move the lifecycle does not allow gives a
// *TransitionError (matching [ErrInvalidTransition]). An open reset past its
// stale deadline is expired instead and the call returns [ErrResetExpired]
// (unless to is Expired). The move is written with a compare-and-swap on
// the reset's revision: when another writer changed the reset first,
// Transition reads it again and decides again on what it finds (a move
// the new state no longer allows is then a *TransitionError); it returns
// [ErrStateChanged] only if every try keeps losing.
func (s *Service) Transition(ctx context.Context, resetID string, to State, actor string) (Reset, error) {
	if ctx == nil {
		return Reset{}, ErrNilContext
	}
	if actor == "" {
		return Reset{}, &ParamError{Field: "actor", Reason: "required"}
	}
	if err := checkID("reset ID", resetID); err != nil {
		return Reset{}, err
	}
	if err := checkID("actor", actor); err != nil {
		return Reset{}, err
	}
	r, err := s.move(ctx, resetID, nil, actor, func(r Reset, now time.Time) decision {
		switch {
		case r.State.Open() && !now.Before(r.StaleAt) && to != Expired:
			return decision{to: Expired, system: true, err: ErrResetExpired}
		case !CanTransition(r.State, to):
			return decision{err: &TransitionError{From: r.State, To: to}}
		}
		return decision{to: to}
	})
	if err != nil {
		return Reset{}, err
	}
	return r, nil
}

// ExpireStale moves every open reset past its stale deadline to Expired and
// returns how many it moved. Call it periodically (every few minutes);
// without it, stale resets still expire when next touched.
func (s *Service) ExpireStale(ctx context.Context) (int, error) {
	if ctx == nil {
		return 0, ErrNilContext
	}
	const batch = 100
	n := 0
	for round := 0; round < 1000; round++ {
		now := s.now().UTC()
		rs, err := s.store.Stale(ctx, now, batch)
		if err != nil {
			return n, err
		}
		for _, r := range rs {
			wrote := false
			_, err := s.move(ctx, r.ID, &r, ActorSystem, func(r Reset, now time.Time) decision {
				wrote = r.State.Open() && !now.Before(r.StaleAt)
				if wrote {
					return decision{to: Expired, system: true}
				}
				return decision{} // no longer open and stale: left alone
			})
			switch {
			case err == nil && wrote:
				n++
			case err != nil && !errors.Is(err, ErrNotFound):
				return n, err
			}
		}
		if len(rs) < batch {
			break
		}
	}
	return n, nil
}

// Get returns the reset with that ID, or [ErrNotFound].
func (s *Service) Get(ctx context.Context, resetID string) (Reset, error) {
	if ctx == nil {
		return Reset{}, ErrNilContext
	}
	if err := checkID("reset ID", resetID); err != nil {
		return Reset{}, err
	}
	return s.store.Load(ctx, resetID)
}

// Events returns the audit trail of one reset (q.ResetID) or one device
// (q.DeviceID), oldest first.
func (s *Service) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	switch {
	case q.ResetID == "" && q.DeviceID == "":
		return nil, &ParamError{Field: "EventQuery", Reason: "needs ResetID or DeviceID"}
	case q.ResetID != "":
		if err := checkID("ResetID", q.ResetID); err != nil {
			return nil, err
		}
	default:
		if err := checkID("DeviceID", q.DeviceID); err != nil {
			return nil, err
		}
	}
	return s.store.Events(ctx, q)
}

// ErrNilContext is returned by every function and method of this package
// that takes a context when it is given a nil one, before any work. It
// matches the ErrNilContext of every other mdmcred package (see
// CONTRIBUTING.md).
var ErrNilContext = nilctx.New("passcode")
