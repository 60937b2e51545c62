package passcode

import (
	"errors"
	"fmt"
	"time"
)

// State is a step of a reset's lifecycle:
//
//	Requested -> Pending -> Acknowledged -> Succeeded
//	    |           |            |
//	    +-----------+------------+--------> Failed | Expired
//
// Requested: the reset is recorded and the passcode generated. Pending: the
// command is queued for the device. Acknowledged: the device received it.
// Succeeded: the device reports the passcode set, cleared or the lock
// applied. Failed: the command could not be delivered or the device refused
// it. Expired: no final answer came before the stale deadline
// ([Config.StaleAfter]). The last three are final; a device has at most one
// reset in the other three (its open reset).
type State uint8

// States. The zero State, None, means "no state yet": it is the From of a
// reset's first event, and no reset is ever in it.
const (
	None      State = 0
	Requested State = iota
	Pending
	Acknowledged
	Succeeded
	Failed
	Expired
)

var stateNames = [...]string{"none", "requested", "pending", "acknowledged", "succeeded", "failed", "expired"}

// String returns the state's name ("pending", "none" for the zero State),
// or "state(N)" for an invalid state.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Open reports whether s is Requested, Pending or Acknowledged: the reset is
// still under way and blocks another one for the same device.
func (s State) Open() bool { return s >= Requested && s <= Acknowledged }

// Final reports whether s is Succeeded, Failed or Expired.
func (s State) Final() bool { return s >= Succeeded && s <= Expired }

// CanTransition reports whether the lifecycle allows moving from one state to
// another: one step forward (Requested -> Pending -> Acknowledged ->
// Succeeded), or from any open state to Failed or Expired. Nothing leaves a
// final state, and no state moves to itself.
func CanTransition(from, to State) bool {
	if !from.Open() {
		return false
	}
	switch to {
	case Pending:
		return from == Requested
	case Acknowledged:
		return from == Pending
	case Succeeded:
		return from == Acknowledged
	case Failed, Expired:
		return true
	}
	return false
}

// Lifecycle errors.
var (
	// ErrInvalidTransition: the lifecycle does not allow the move. Returned
	// as a *TransitionError.
	ErrInvalidTransition = errors.New("passcode: invalid state transition")
	// ErrResetInProgress: the device already has an open reset; a second
	// one is refused, not stacked. Returned as an *InProgressError by the
	// Service.
	ErrResetInProgress = errors.New("passcode: a reset is already in progress for this device")
	// ErrNotFound: no reset with that ID (or no open reset for the device).
	ErrNotFound = errors.New("passcode: reset not found")
	// ErrStateChanged: the reset kept changing while the [Service] tried
	// to move it (every one of its conditional writes met [ErrConflict]).
	ErrStateChanged = errors.New("passcode: reset state changed concurrently")
	// ErrDuplicateID: a reset with that ID already exists (the Service
	// tells it from a device's open reset after a refused insert).
	ErrDuplicateID = errors.New("passcode: duplicate reset ID")
	// ErrConflict: a [Store.Write] found the record changed since it was
	// read: read it again and decide again. It is returned when the reset
	// is not at revision prev (or, for prev 0, exists already), or when
	// another reset holds the same non-empty OpenDevice. The [Service]
	// loads again and decides again; a caller sees it only wrapped in
	// [ErrStateChanged] when that keeps happening.
	ErrConflict = errors.New("passcode: reset changed since it was read")
)

// TransitionError says which move was refused. It matches
// [ErrInvalidTransition].
type TransitionError struct {
	From, To State
}

// Error implements error.
func (e *TransitionError) Error() string {
	return "passcode: invalid state transition: " + e.From.String() + " -> " + e.To.String()
}

// Is reports whether target is [ErrInvalidTransition].
func (e *TransitionError) Is(target error) bool { return target == ErrInvalidTransition }

// InProgressError names the device's open reset that blocked a new request.
// It matches [ErrResetInProgress].
type InProgressError struct {
	ResetID string
	State   State
	Since   time.Time // when the open reset was requested
}

// Error implements error.
func (e *InProgressError) Error() string {
	return fmt.Sprintf("passcode: a reset is already in progress for this device: %s since %s (%s)",
		e.ResetID, e.Since.UTC().Format(time.RFC3339), e.State)
}

// Is reports whether target is [ErrResetInProgress].
func (e *InProgressError) Is(target error) bool { return target == ErrResetInProgress }

// EventKind says what an [Event] records.
type EventKind uint8

// Event kinds.
const (
	// EventTransition: the reset moved From -> To (From is zero for the
	// request that created it).
	EventTransition EventKind = iota + 1
	// EventViewed: Actor was shown the passcode (From = To = current state).
	EventViewed
	// EventViewDenied: Actor asked to see the passcode and was refused.
	EventViewDenied
	// EventNotified: the passcode (or the clear notice) was emailed to the
	// device user.
	EventNotified
	// EventNotifyFailed: the email to the device user could not be sent.
	EventNotifyFailed
)

var eventNames = [...]string{"", "transition", "viewed", "view-denied", "notified", "notify-failed"}

// String returns the kind's name ("viewed").
func (k EventKind) String() string {
	if int(k) < len(eventNames) && k != 0 {
		return eventNames[k]
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// ActorSystem is the Actor of events the Service causes itself (a stale
// reset expiring).
const ActorSystem = "system"

// Event is one entry of a reset's audit trail. It never holds a passcode.
type Event struct {
	Kind     EventKind
	ResetID  string
	DeviceID string
	From, To State
	At       time.Time // UTC
	// Actor is who caused the event: an admin or user ID, the host's
	// device-channel name, or ActorSystem.
	Actor string
}

// Reset is the stored record of one passcode reset.
type Reset struct {
	ID       string
	DeviceID string
	Platform Platform
	Action   Action
	State    State
	// RequestedBy is the acting admin, or the user in self-service.
	RequestedBy string
	// SelfService marks a reset the device's user made in the portal.
	SelfService bool
	// Owner is the device's user when the reset was requested.
	Owner       string
	RequestedAt time.Time // UTC
	UpdatedAt   time.Time // UTC, last transition
	// StaleAt is when an open reset expires (RequestedAt + StaleAfter).
	StaleAt time.Time
	// Sealed is the new passcode sealed with AES-256-GCM
	// (docs/sealed-format.md), bound to ID, DeviceID, RequestedBy, Owner
	// and SelfService (none of which the Service changes after the reset
	// is created) and carrying its own retention limit; nil for
	// ClearPasscode. It is opaque to the Store.
	Sealed []byte
	// RetainUntil is when Sealed can no longer be opened.
	RetainUntil time.Time
	// Grace is, for ClearPasscode, how long the user has to set a new
	// passcode once it is cleared.
	Grace time.Duration
	// OpenDevice is DeviceID while the reset is open (Requested, Pending
	// or Acknowledged) and empty once it is final. The [Service] sets it;
	// a [Store] keeps at most one reset per non-empty OpenDevice (a
	// [Store.Write] that would give a second reset the same value returns
	// [ErrConflict]), which is how one open reset per device holds
	// exactly once without the store knowing the lifecycle. [Store.Open]
	// and [Store.Stale] select on it.
	OpenDevice string
	// Rev is the reset's revision in the [Store]: 0 for a reset never
	// written, 1 once created, one more at each [Store.Write] (and at
	// each re-seal). The Service sets it.
	Rev uint64
}
