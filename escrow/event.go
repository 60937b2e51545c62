package escrow

import (
	"fmt"
	"net/netip"
	"time"
)

// EventType says what an [Event] records.
type EventType uint8

// Event types.
const (
	// EventTransition: the record moved From -> To (From is None for the
	// event that created it).
	EventTransition EventType = iota + 1
	// EventViewed: Actor was shown the secret, from Source, for Reason.
	EventViewed
	// EventViewDenied: Actor asked to see the secret and
	// [Config.Authorize] refused.
	EventViewDenied
)

var eventNames = [...]string{"", "transition", "viewed", "view-denied"}

// String returns the type's name ("viewed").
func (t EventType) String() string {
	if t != 0 && int(t) < len(eventNames) {
		return eventNames[t]
	}
	return fmt.Sprintf("event(%d)", uint8(t))
}

// ActorSystem is the Actor of events the [Service] causes itself (a stale
// secret expiring, a rotation falling due).
const ActorSystem = "system"

// Event is one entry of the audit trail. It never holds a secret.
type Event struct {
	Type      EventType
	RecordID  string
	DeviceID  string
	Kind      string // the secret's kind name
	CommandID string // the command that carries the secret, once sent
	From, To  State  // for a view, both are the record's state
	At        time.Time
	// Actor is who caused the event: an admin, an API client, the MDM
	// channel, or [ActorSystem].
	Actor string
	// Source is the address the view came from (zero for transitions).
	Source netip.Addr
	// Reason is why: the reason the viewer gave, or why the Service
	// rotated ("rotate after view", "scheduled rotation").
	Reason string
}

// EventQuery selects events: those of one record when RecordID is set,
// otherwise those of one device.
type EventQuery struct {
	RecordID string
	DeviceID string
}
