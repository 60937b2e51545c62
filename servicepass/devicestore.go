package servicepass

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// DeviceState is everything the verifier remembers on the device: the
// failed-attempt lockout, the clock high-water mark, the codes already used,
// the privileged window, the revert duty of ended windows and the use log.
// A [DeviceStore] keeps it; only the verifier changes it. All instants are
// UTC. docs/servicepass-format.md §7 describes each field as persisted.
type DeviceState struct {
	// Provisioned says the device was provisioned ([InitState] or a
	// verifier with [VerifierConfig.Provisioned]): from then on a state
	// without it (a missing file) is damage, not a fresh install.
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
	// expiry, so that a verifier started with a larger skew does not find a
	// record dropped too early.
	MaxSkew time.Duration `json:"max_skew_ns,omitempty"`
	// Used holds the codes already used, by [UseKey], until they can no
	// longer verify.
	Used map[uint64]Use `json:"used,omitempty"`
	// NextForget is the earliest Forget among Used, so that pruning runs
	// only when something is due.
	NextForget time.Time `json:"next_forget,omitzero"`
	// PrunedExpiry is the latest expiry among the use records dropped so
	// far. A grant of a code expiring no later has no record to trust and is
	// degraded (only a clock reset or a larger skew makes that possible).
	PrunedExpiry time.Time `json:"pruned_expiry,omitzero"`
	// Window is the open privileged window, zero when none is open.
	Window WindowState `json:"window,omitzero"`
	// Revert is the duty left by ended (or lost) windows: the reversible
	// actions the agent has not yet acknowledged reverting.
	Revert RevertState `json:"revert,omitzero"`
	// DamagedAt is when the verifier found the state damaged (or missing
	// on a provisioned device) and started afresh, moved forward to the
	// latest device time seen by a verification during the following
	// [DamageGrace] of device time; zero if never. Grants for codes that may
	// have been used before then are marked degraded.
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
	// Damaged is set by a store that could not read its persisted state and
	// hands out a fresh one instead. The verifier records the damage and
	// clears it. It is never persisted.
	Damaged bool `json:"-"`
}

// Use records one used code.
type Use struct {
	// Forget is when the record may be dropped: the code's expiry plus
	// twice [DeviceState.MaxSkew], after which the high-water mark alone
	// refuses it.
	Forget time.Time `json:"forget"`
	// Day is, for a day-valid code, the calendar day (days since Epoch in the
	// device's location) of its latest use; the code is refused on that day
	// and on any earlier one.
	Day int32 `json:"day,omitempty"`
}

// WindowState is a privileged window as stored.
type WindowState struct {
	Actions Actions   `json:"actions,omitempty"`
	Start   time.Time `json:"start,omitzero"`
	End     time.Time `json:"end,omitzero"`
}

// RevertState is the stored duty to revert.
type RevertState struct {
	// Actions are the reversible actions to revert.
	Actions Actions `json:"actions,omitempty"`
	// Ended is the end of the latest window whose actions are in Actions;
	// zero when the duty comes only from a lost state.
	Ended time.Time `json:"ended,omitzero"`
	// Seq changes whenever the duty changes, so that the agent's
	// acknowledgement clears only the duty it saw ([Verifier.ClearWindow]).
	Seq uint64 `json:"seq,omitempty"`
	// Lost says the duty comes (also) from a state that was lost: every
	// reversible action is to be reverted.
	Lost bool `json:"lost,omitempty"`
}

// Clone returns a deep copy of s.
func (s *DeviceState) Clone() DeviceState {
	c := *s
	c.Used = maps.Clone(s.Used)
	c.Log = slices.Clone(s.Log)
	return c
}

// UseKey identifies a code in [DeviceState.Used]: key ID (8 bits), serial
// (24 bits) and the first 32 bits of the MAC.
func UseKey(p Payload) uint64 { return useKey(&p, p.MAC.Reveal()) }

func useKey(p *Payload, mac uint64) uint64 {
	return uint64(p.KeyID)<<56 | uint64(p.Serial&field24)<<32 | (mac>>(MACBits-32))&0xFFFFFFFF
}

// DeviceStore keeps one device's [DeviceState].
//
// Update runs fn exactly once with exclusive access to the state (no other
// Update runs meanwhile, in this process or, for a store shared between
// processes, in any other) and persists the state if fn returns true. fn
// sees the state as last persisted by any process (or as left in memory
// by this store value when persisting it failed). fn may change the state
// in place, including its Used map and Log. A store that cannot read its
// persisted state (missing is not damaged: that is a fresh state) hands fn
// a fresh state with Damaged set. If persisting fails, Update returns the
// error after fn ran, and the change stays in effect for later Updates of
// the same store value (so that the replay guard and the failure count hold
// at least while the process runs). fn must not keep s after it returns.
type DeviceStore interface {
	Update(fn func(s *DeviceState) (changed bool)) error
}

// MemDeviceStore is a DeviceStore in memory, for tests and for agents that
// accept losing the state on restart. The zero value is ready to use.
type MemDeviceStore struct {
	mu    sync.Mutex
	state DeviceState
}

var _ DeviceStore = (*MemDeviceStore)(nil)

// NewMemDeviceStore returns an empty MemDeviceStore.
func NewMemDeviceStore() *MemDeviceStore { return &MemDeviceStore{} }

// Update implements DeviceStore.
func (m *MemDeviceStore) Update(fn func(s *DeviceState) bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	fn(&m.state)
	m.state.Damaged = false
	return nil
}

// InitState marks the state in store as provisioned: the provisioning step
// (the one that installs the keyring) calls it once, so that afterwards a
// verifier with [VerifierConfig.Provisioned] treats a missing state as
// damage. It keeps whatever the state already holds and does nothing to a
// damaged state (the verifier records that damage on its first use).
func InitState(store DeviceStore) error {
	ran := false
	err := store.Update(func(s *DeviceState) bool {
		ran = true
		if s.Damaged || s.Provisioned {
			return false
		}
		s.Provisioned = true
		return true
	})
	if !ran {
		return stateError(err)
	}
	if err != nil {
		return &NotSavedError{Err: err}
	}
	return nil
}
