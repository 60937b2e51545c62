package servicepass

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DeviceStore keeps one device's verifier state as opaque bytes: the
// verifier encodes them, with a version and a checksum
// (docs/servicepass-format.md §7), decodes them and decides what bytes it
// cannot decode mean (damage). A store only keeps them.
//
// Update calls fn once with exclusive access to the state: no other Update
// of the same state runs meanwhile, in this process or, for a store shared
// between processes, in any other. old is what was last stored (nil when
// nothing was: a store must keep a stored state apart from no state). fn
// returns the bytes to store, or nil to leave the state as it is, or an
// error, which Update returns without storing. Update returns the error of
// storing, if any. Neither side keeps or changes the other's slice after
// fn returns: a store copies new.
//
// Update may return without calling fn only when ctx ends while it waits
// for another process's access; it then returns ctx's error. A store that
// cannot get exclusive access for another reason may still call fn with
// what it can read, and then returns that reason without storing.
type DeviceStore interface {
	Update(ctx context.Context, fn func(old []byte) (new []byte, err error)) error
}

// MemDeviceStore is a DeviceStore in memory, for tests and for agents that
// accept losing the state on restart. [NewMemDeviceStore] returns one
// holding a freshly provisioned state; the zero value holds none, which a
// verifier reports as a lost state. A verifier keeps its state in a
// MemDeviceStore decoded (it encodes the bytes only for a caller of
// Update), so that a verification costs no encoding.
type MemDeviceStore struct {
	mu   sync.Mutex
	data []byte
	// state, when not nil, is the state decoded (data is then stale): a
	// verifier's updates run on it directly ([MemDeviceStore.updateState]).
	state *deviceState
}

var _ DeviceStore = (*MemDeviceStore)(nil)

// NewMemDeviceStore returns a MemDeviceStore holding a freshly provisioned
// state.
func NewMemDeviceStore() *MemDeviceStore {
	return &MemDeviceStore{state: &deviceState{Provisioned: true}}
}

// Update implements DeviceStore.
func (m *MemDeviceStore) Update(ctx context.Context, fn func(old []byte) ([]byte, error)) error {
	if ctx == nil {
		return ErrNilContext
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state != nil {
		if !m.state.Damaged { // a damaged state stands for no bytes
			var err error
			if m.data, err = appendState(m.data[:0], m.state, ""); err != nil {
				return err
			}
		}
		m.state = nil
	}
	next, err := fn(m.data)
	if err != nil || next == nil {
		return err
	}
	if m.data == nil {
		m.data = make([]byte, 0, len(next))
	}
	m.data = append(m.data[:0], next...)
	return nil
}

// updateState runs step on the decoded state, as a verifier's update does
// on the bytes of another store, without encoding or decoding them.
func (m *MemDeviceStore) updateState(step func(s *deviceState) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state == nil {
		m.state = decodeStored(m.data)
	}
	if step(m.state) {
		m.state.Damaged = false
	}
}

// InstallProvisioning is the device's provisioning step, in one call: it
// creates the device state in store (keeping a state that exists) and then
// writes p to the provisioning file at path ([WriteProvisioningFile]).
//
// The provisioning is what says the device was provisioned (there is no
// second switch): a verifier made from it treats a missing state as damage,
// because an attacker who deletes the state must not get a fresh one in
// which used codes verify again. A fresh install is told apart by this
// step, which leaves a state before it leaves the provisioning: a crash in
// between leaves a state and no provisioning, and installing again keeps
// that state.
//
// A provisioning file already at path is a key rotation: p must be a valid
// update of it ([Provisioning.CheckUpdate]), and the state is left as it is
// (a state missing then stays missing, which the verifier reports as a
// loss); a damaged file there is replaced, the state again left as it is.
// A host that keeps the provisioning itself (the keys in a platform
// keystore, see [NewHeldDeviceKey]) passes an empty path and a nil p: only
// the state is created.
func InstallProvisioning(ctx context.Context, path string, p *Provisioning, store DeviceStore) error {
	if ctx == nil {
		return ErrNilContext
	}
	if store == nil {
		return errors.New("servicepass: InstallProvisioning needs a device store")
	}
	if path == "" {
		if p != nil {
			return errors.New("servicepass: InstallProvisioning got a provisioning without a path")
		}
		return createState(ctx, store)
	}
	if p == nil {
		return errors.New("servicepass: InstallProvisioning got a path without a provisioning")
	}
	old, err := ReadProvisioningFile(path)
	switch {
	case err == nil:
		if err := old.CheckUpdate(p); err != nil {
			return err
		}
	case errors.Is(err, ErrNotProvisioned):
		if err := p.Check(); err != nil {
			return err
		}
		if err := createState(ctx, store); err != nil {
			return err
		}
	case errors.Is(err, ErrProvisioning):
		// A damaged file is replaced, the state left as it is: the device
		// was provisioned (it has a file), so no fresh state.
		if err := p.Check(); err != nil {
			return err
		}
	default:
		return err
	}
	return WriteProvisioningFile(path, p)
}

// createState stores a freshly provisioned state unless store holds one
// (damaged or not). A state it could not store is a [*NotSavedError].
func createState(ctx context.Context, store DeviceStore) error {
	ran := false
	err := store.Update(ctx, func(old []byte) ([]byte, error) {
		ran = true
		if old != nil {
			return nil, nil
		}
		return encodeState(&deviceState{Provisioned: true}, "")
	})
	switch {
	case err == nil:
		return nil
	case ran:
		return &NotSavedError{Err: fmt.Errorf("creating the device state: %w", err)}
	}
	return stateError(err)
}

// ErrState is matched by the error of a call whose store did not run the
// update (its wait for another process ended with ctx, or the store broke
// its contract): nothing was decided. The error also wraps the store's.
var ErrState = errors.New("servicepass: device state unavailable")

func stateError(err error) error { return fmt.Errorf("%w: %w", ErrState, err) }

// deviceState is everything the verifier remembers on the device: the
// failed-attempt lockout, the clock high-water mark, the codes already used,
// the privileged window, the revert duty of ended windows and the use log.
// All instants are UTC. docs/servicepass-format.md §7 describes each field
// as persisted. (The fields keep their names and JSON tags: version 1 of
// the state file is JSON.)
type deviceState struct {
	// Provisioned is set in every state this version writes; a version 1
	// state without it was written by a verifier without provisioning.
	Provisioned bool `json:"provisioned,omitempty"`
	// Failures counts MAC failures since the last successful use.
	Failures int `json:"failures,omitempty"`
	// LastFailure is the time of the latest MAC failure.
	LastFailure time.Time `json:"last_failure,omitzero"`
	// LockedUntil is the end of the current back-off.
	LockedUntil time.Time `json:"locked_until,omitzero"`
	// HighWater is the latest device time at which a code was granted. Only
	// a grant moves it (an Emergency Database Reset grant may move it back,
	// see [Grant.ClockReset]); nothing unauthenticated does.
	HighWater time.Time `json:"high_water,omitzero"`
	// MaxSkew is the largest clock skew any verifier has used on this
	// state. Use records are kept for twice this skew after their code's
	// expiry.
	MaxSkew time.Duration `json:"max_skew_ns,omitempty"`
	// Used holds the codes already used, by useKey, until they can no
	// longer verify.
	Used map[uint64]use `json:"used,omitempty"`
	// NextForget is the earliest Forget among Used.
	NextForget time.Time `json:"next_forget,omitzero"`
	// PrunedExpiry is the latest expiry among the use records dropped so
	// far. A grant of a code expiring no later has no record to trust and is
	// degraded.
	PrunedExpiry time.Time `json:"pruned_expiry,omitzero"`
	// Window is the open privileged window, zero when none is open.
	Window windowState `json:"window,omitzero"`
	// Revert is the duty left by ended (or lost) windows.
	Revert revertState `json:"revert,omitzero"`
	// DamagedAt is when the verifier found the state damaged (or missing)
	// and started afresh, moved forward to the latest device time seen by a
	// verification during the following damageGrace of device time; zero if
	// never. Grants for codes that may have been used before then are
	// degraded.
	DamagedAt time.Time `json:"damaged_at,omitzero"`
	// DamageFound is the device time at which the damage was found.
	DamageFound time.Time `json:"damage_found,omitzero"`
	// Log is the use log, oldest first, at most [UseLogSize] entries.
	Log []UseEntry `json:"log,omitempty"`
	// LogNext is the sequence number of the next use log entry.
	LogNext uint64 `json:"log_next,omitempty"`
	// LogDropped counts entries dropped unacknowledged because the log
	// was full.
	LogDropped uint64 `json:"log_dropped,omitempty"`
	// Damaged says the stored bytes were missing or could not be decoded:
	// the verifier records the damage and clears it. Never persisted.
	Damaged bool `json:"-"`
}

// use records one used code.
type use struct {
	// Forget is when the record may be dropped: the code's expiry plus
	// twice MaxSkew, after which the high-water mark alone refuses it.
	Forget time.Time `json:"forget"`
	// Day is, for a day-valid code, the calendar day (days since Epoch in the
	// device's location) of its latest use.
	Day int32 `json:"day,omitempty"`
}

// windowState is a privileged window as stored.
type windowState struct {
	Actions Actions   `json:"actions,omitempty"`
	Start   time.Time `json:"start,omitzero"`
	End     time.Time `json:"end,omitzero"`
}

// revertState is the stored duty to revert.
type revertState struct {
	// Actions are the reversible actions to revert.
	Actions Actions `json:"actions,omitempty"`
	// Ended is the end of the latest window whose actions are in Actions;
	// zero when the duty comes only from a lost state.
	Ended time.Time `json:"ended,omitzero"`
	// Seq changes whenever the duty changes ([Verifier.ClearWindow]).
	Seq uint64 `json:"seq,omitempty"`
	// Lost says the duty comes (also) from a state that was lost.
	Lost bool `json:"lost,omitempty"`
}

// useKey identifies a code in deviceState.Used: key ID (8 bits), serial
// (24 bits) and the first 32 bits of the MAC.
func useKey(p *Payload, mac uint64) uint64 {
	return uint64(p.KeyID)<<56 | uint64(p.Serial&field24)<<32 | (mac>>(MACBits-32))&0xFFFFFFFF
}

// stateCache is what a verifier remembers of its store between updates.
type stateCache struct {
	mu sync.Mutex
	// unsaved is the state whose save failed, decided on the stored bytes
	// base (none when baseNil): while the store still holds those bytes,
	// nobody saved since and unsaved is the latest state; otherwise it is
	// merged into what was saved.
	unsaved *deviceState
	base    []byte
	baseNil bool
	// last is the state this verifier last stored or read, with its exact
	// bytes: when the store hands them back, no other verifier saved since
	// and last is used instead of decoding them.
	last      *deviceState
	lastBytes []byte
	// spare is reused to encode the next state.
	spare []byte

	// call is the update in progress (under mu) and fn its run method,
	// bound once, so that an update allocates nothing of its own.
	call updateCall
	fn   func(old []byte) ([]byte, error)
}

// updateCall is one store update of a verifier.
type updateCall struct {
	c       *stateCache
	step    func(s *deviceState) (changed bool)
	ran     bool
	changed bool
	s       *deviceState
	written []byte
}

// run is the function the store runs: decode, step, encode.
func (u *updateCall) run(old []byte) ([]byte, error) {
	c := u.c
	u.ran = true
	u.s = c.load(old)
	if u.changed = u.step(u.s); !u.changed {
		return nil, nil
	}
	c.last, c.lastBytes = nil, c.lastBytes[:0] // s may share its map and log with last
	// What the state was decided on, in case the save fails.
	c.base, c.baseNil = append(c.base[:0], old...), old == nil
	var err error
	if u.written, err = appendState(c.spare[:0], u.s, ""); err != nil {
		return nil, err
	}
	return u.written, nil
}

// update runs step on the device state inside one store update and stores
// the result if step reports a change. It reports whether step ran (only a
// wait that ctx ended stops it) and the store's error, a [*NotSavedError]
// when step ran. A change that could not be stored stays in effect for
// later updates of this verifier.
func (v *Verifier) update(ctx context.Context, step func(s *deviceState) (changed bool)) (ran bool, err error) {
	if m, ok := v.store.(*MemDeviceStore); ok {
		m.updateState(step) // saving in memory cannot fail
		return true, nil
	}
	c := v.state
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fn == nil {
		c.call.c = c
		c.fn = c.call.run
	}
	u := &c.call
	u.step, u.ran, u.changed, u.s, u.written = step, false, false, nil, nil
	defer func() { u.step, u.s, u.written = nil, nil, nil }()
	serr := v.store.Update(ctx, c.fn)
	if !u.ran {
		return false, stateError(serr)
	}
	switch {
	case u.changed && serr == nil:
		c.unsaved = nil
		c.spare = c.lastBytes
		c.last, c.lastBytes = u.s, u.written
	case u.changed:
		c.unsaved = u.s
	case c.unsaved != nil:
		c.unsaved = u.s
	}
	if serr != nil {
		return true, &NotSavedError{Err: serr}
	}
	return true, nil
}

// load turns the bytes the store holds into the state to decide on.
func (c *stateCache) load(old []byte) *deviceState {
	if c.unsaved != nil && (old == nil) == c.baseNil && bytes.Equal(old, c.base) {
		return c.unsaved
	}
	if c.unsaved == nil && c.last != nil && bytes.Equal(old, c.lastBytes) {
		return c.last
	}
	s := decodeStored(old)
	if c.unsaved != nil {
		s.merge(c.unsaved)
	} else if !s.Damaged {
		// Remember what was read: the next update usually finds it
		// unchanged.
		c.last, c.lastBytes = s, append(c.lastBytes[:0], old...)
	}
	return s
}

// decodeStored decodes what a store holds: nothing, or bytes that do not
// decode, is a fresh state marked Damaged (the device was provisioned, so
// a state was stored, and is now lost).
func decodeStored(old []byte) *deviceState {
	if old == nil {
		return &deviceState{Damaged: true}
	}
	s, _, err := decodeState(old)
	if err != nil {
		return &deviceState{Damaged: true}
	}
	return &s
}

// merge folds into s (read from what another verifier saved) what o (this
// verifier's unsaved state) knows that guards: use records, failures, the
// clock mark, windows and revert duties. Nothing it adds can grant a code
// twice or hide a revert; a use log entry of o may be lost (its grant
// reported StateError).
func (s *deviceState) merge(o *deviceState) {
	s.Provisioned = s.Provisioned || o.Provisioned
	s.Failures = max(s.Failures, o.Failures)
	s.LastFailure = later(s.LastFailure, o.LastFailure)
	s.LockedUntil = later(s.LockedUntil, o.LockedUntil)
	s.HighWater = later(s.HighWater, o.HighWater)
	if o.MaxSkew > s.MaxSkew {
		s.growSkew(o.MaxSkew)
	}
	for k, u := range o.Used {
		if s.Used == nil {
			s.Used = make(map[uint64]use)
		}
		c := s.Used[k]
		s.Used[k] = use{Forget: later(c.Forget, u.Forget), Day: max(c.Day, u.Day)}
		if s.NextForget.IsZero() || u.Forget.Before(s.NextForget) {
			s.NextForget = u.Forget
		}
	}
	s.PrunedExpiry = later(s.PrunedExpiry, o.PrunedExpiry)
	if o.Window.Actions != 0 {
		if s.Window.Actions == 0 || o.Window.Start.Before(s.Window.Start) {
			s.Window.Start = o.Window.Start
		}
		s.Window.Actions |= o.Window.Actions
		s.Window.End = later(s.Window.End, o.Window.End)
	}
	if o.Revert.Actions != 0 || o.Revert.Lost {
		s.Revert.Actions |= o.Revert.Actions
		s.Revert.Ended = later(s.Revert.Ended, o.Revert.Ended)
		s.Revert.Lost = s.Revert.Lost || o.Revert.Lost
		s.Revert.Seq = max(s.Revert.Seq, o.Revert.Seq) + 1
	}
	s.DamagedAt = later(s.DamagedAt, o.DamagedAt)
	s.DamageFound = later(s.DamageFound, o.DamageFound)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
