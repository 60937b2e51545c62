package enrollment

import (
	"strconv"
	"time"
)

// EventKind names what happened to a site's passcode.
type EventKind uint8

// Event kinds.
const (
	EventGenerated   EventKind = iota + 1 // a first passcode was generated (Actor)
	EventRegenerated                      // the passcode was replaced, counters reset (Actor)
	EventDisabled                         // an admin turned self-service enrollment off (Actor)
	EventFailed                           // a wrong or malformed passcode (Source, Failures)
	EventLocked                           // the failure that reached the threshold (Source, Failures)
	EventAlertSent                        // the lock alert was delivered (Failures)
	EventAlertFailed                      // the lock alert could not be delivered (Failures)
	EventViewed                           // an admin had the passcode shown again (Actor)
	EventUsed                             // the passcode was accepted (Source)
)

var eventNames = [...]string{
	EventGenerated:   "generated",
	EventRegenerated: "regenerated",
	EventDisabled:    "disabled",
	EventFailed:      "failed",
	EventLocked:      "locked",
	EventAlertSent:   "alert-sent",
	EventAlertFailed: "alert-failed",
	EventViewed:      "viewed",
	EventUsed:        "used",
}

// String returns the kind's lowercase name ("generated", "locked" ...).
func (k EventKind) String() string {
	if int(k) < len(eventNames) && eventNames[k] != "" {
		return eventNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one audit record. It never holds a passcode, a digest or a
// sealed copy.
type Event struct {
	Site string
	Kind EventKind
	At   time.Time
	// Actor is the admin's email address, for generated, regenerated,
	// disabled and viewed.
	Actor string
	// Source is the caller's label for where an attempt came from (an IP
	// address), for failed, locked and used.
	Source string
	// Failures is the failure count, for failed, locked and alert events.
	Failures int
}
