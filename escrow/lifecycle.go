package escrow

import (
	"fmt"
	"time"
)

// State is a step of one escrowed secret's lifecycle:
//
//	            Send          Acknowledge
//	Generated -------> Sent -------------> Active ---Supersede--> Rotated
//	  |  |               |  \                 \
//	  |  +--Retire--+    |   +-Fail-> Failed    +---Retire------> Retired
//	  |             v    |
//	  +-Fail/Expire-+  Expire -> Expired --Acknowledge (late)--> Active
//
//	(none) --Report--> Active
//
// Generated: the secret is drawn and sealed; the command that carries it is
// not queued yet. Sent: the command is queued (the record holds its command
// ID). Active: the device acknowledged the command, so the secret is the
// one in force; a secret is never Active before that (a secret a device or
// agent reported itself is Active at once: the report is the device's
// word). Failed: the device refused the command or it could not be
// delivered. Expired: no answer came before the stale deadline; a late
// acknowledgement still makes it Active, since the device did set it.
// Rotated: a newer secret of the same kind became Active. Retired: the host
// retired it (device unenrolled, secret withdrawn).
//
// Generated and Sent are open: a device has at most one open record per
// kind. Active is in force: at most one per device and kind.
type State uint8

// States. None is the zero State: the From of a record's first event.
const (
	None State = iota
	Generated
	Sent
	Active
	Failed
	Expired
	Rotated
	Retired
)

var stateNames = [...]string{"none", "generated", "sent", "active", "failed", "expired", "rotated", "retired"}

// String returns the state's name ("sent"), or "state(N)" for an invalid
// one.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Open reports whether s is Generated or Sent: the secret is being set and
// blocks another of its kind on the device.
func (s State) Open() bool { return s == Generated || s == Sent }

// Closed reports whether s is Failed, Expired, Rotated or Retired: the
// secret is history, kept (and revealable) until retention purges it.
func (s State) Closed() bool { return s >= Failed && s <= Retired }

// Input is what happens to a secret: the event a [Next] step consumes.
type Input uint8

// Inputs.
const (
	// Generate: a new secret was drawn (a first one, a rotation, a new
	// lock PIN).
	Generate Input = iota + 1
	// Report: a device or agent reported the secret in force.
	Report
	// Send: the command carrying the secret was queued.
	Send
	// Acknowledge: the device acknowledged the command.
	Acknowledge
	// Fail: the device answered with an error, or the host cancelled.
	Fail
	// Expire: no answer before the stale deadline.
	Expire
	// Supersede: a newer secret of the kind became Active.
	Supersede
	// Retire: the host withdrew the secret.
	Retire
)

var inputNames = [...]string{"", "generate", "report", "send", "acknowledge", "fail", "expire", "supersede", "retire"}

// String returns the input's name ("acknowledge").
func (in Input) String() string {
	if in != 0 && int(in) < len(inputNames) {
		return inputNames[in]
	}
	return fmt.Sprintf("input(%d)", uint8(in))
}

// moves is the lifecycle's whole table: (state, input) -> next state. A
// pair not listed is refused.
var moves = map[[2]uint8]State{
	{uint8(None), uint8(Generate)}:       Generated,
	{uint8(None), uint8(Report)}:         Active,
	{uint8(Generated), uint8(Send)}:      Sent,
	{uint8(Generated), uint8(Fail)}:      Failed,
	{uint8(Generated), uint8(Expire)}:    Expired,
	{uint8(Generated), uint8(Retire)}:    Retired,
	{uint8(Sent), uint8(Acknowledge)}:    Active,
	{uint8(Sent), uint8(Fail)}:           Failed,
	{uint8(Sent), uint8(Expire)}:         Expired,
	{uint8(Expired), uint8(Acknowledge)}: Active,
	{uint8(Expired), uint8(Fail)}:        Failed,
	{uint8(Active), uint8(Supersede)}:    Rotated,
	{uint8(Active), uint8(Retire)}:       Retired,
}

// Next is the lifecycle's transition function: the state a secret in
// state from moves to on input in, or a [*TransitionError] when the table
// has no such move.
func Next(from State, in Input) (State, error) {
	to, ok := moves[[2]uint8{uint8(from), uint8(in)}]
	if !ok {
		return from, &TransitionError{From: from, Input: in}
	}
	return to, nil
}

// step applies in to r at time at: the only writer of r.State. It also
// stamps the instants the lifecycle defines (SentAt, ActivatedAt,
// UpdatedAt).
func (r *Record) step(in Input, at time.Time) (Event, error) {
	to, err := Next(r.State, in)
	if err != nil {
		return Event{}, err
	}
	ev := Event{Type: EventTransition, RecordID: r.ID, DeviceID: r.DeviceID, Kind: r.Kind,
		CommandID: r.CommandID, From: r.State, To: to, At: at}
	r.State, r.UpdatedAt = to, at
	switch to {
	case Sent:
		r.SentAt = at
	case Active:
		r.ActivatedAt = at
	}
	return ev, nil
}
