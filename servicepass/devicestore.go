package servicepass

import (
	"maps"
	"sync"
	"time"
)

// DeviceState is everything the verifier remembers on the device: the
// failed-attempt lockout, the clock high-water mark, the codes already used
// and the privileged window. A [DeviceStore] keeps it; only the verifier
// changes it. All instants are UTC.
type DeviceState struct {
	// Failures counts MAC failures since the last successful use.
	Failures int `json:"failures,omitempty"`
	// LastFailure is the time of the latest MAC failure.
	LastFailure time.Time `json:"last_failure,omitzero"`
	// LockedUntil is the end of the current back-off.
	LockedUntil time.Time `json:"locked_until,omitzero"`
	// HighWater is the latest device time the verifier has seen.
	HighWater time.Time `json:"high_water,omitzero"`
	// Used holds the codes already used, by [UseKey], until they can no
	// longer verify.
	Used map[uint64]Use `json:"used,omitempty"`
	// NextForget is the earliest Forget among Used, so that pruning runs
	// only when something is due.
	NextForget time.Time `json:"next_forget,omitzero"`
	// Window is the privileged window, zero when none is open.
	Window WindowState `json:"window,omitzero"`
	// DamagedAt is when the verifier found the state damaged and started
	// afresh, moved forward to the latest device time seen until the first
	// grant after the damage; zero if never. Grants for codes that may have
	// been used before then are marked degraded.
	DamagedAt time.Time `json:"damaged_at,omitzero"`
	// Damaged is set by a store that could not read its persisted state and
	// hands out a fresh one instead. The verifier records DamagedAt and
	// clears it. It is never persisted.
	Damaged bool `json:"-"`
}

// Use records one used code.
type Use struct {
	// Forget is when the record may be dropped: the code's expiry plus
	// twice the clock skew, after which the high-water mark alone refuses it.
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

// Clone returns a deep copy of s.
func (s *DeviceState) Clone() DeviceState {
	c := *s
	c.Used = maps.Clone(s.Used)
	return c
}

// UseKey identifies a code in [DeviceState.Used]: key ID (8 bits), serial
// (24 bits) and the first 32 bits of the MAC.
func UseKey(p Payload) uint64 {
	return uint64(p.KeyID)<<56 | uint64(p.Serial&field24)<<32 | (p.MAC>>(MACBits-32))&0xFFFFFFFF
}

// DeviceStore keeps one device's [DeviceState].
//
// Update runs fn exactly once with exclusive access to the state (no other
// Update runs meanwhile) and persists the state if fn returns true. fn may
// change the state in place, including its Used map. A store that cannot
// read its persisted state (missing is not damaged: that is a fresh state)
// hands fn a fresh state with Damaged set. If persisting fails, Update
// returns the error after fn ran, and the change stays in effect for later
// Updates of the same store value (so that the replay guard holds at least
// while the process runs). fn must not keep s after it returns.
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
