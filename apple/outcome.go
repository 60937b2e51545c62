package apple

import "fmt"

// OutcomeKind is what a result means for the command's lifecycle.
type OutcomeKind uint8

// Outcome kinds.
const (
	// Succeeded: the device acknowledged the command (it ran it).
	Succeeded OutcomeKind = iota + 1
	// StillPending: the device said NotNow; it will ask for the command
	// again, so the lifecycle stays where it is.
	StillPending
	// Failed: Error or CommandFormatError; the ErrorChain says why.
	Failed
	// NoResult: an Idle report, which answers no command.
	NoResult
)

var outcomeNames = [...]string{"", "succeeded", "still-pending", "failed", "no-result"}

// String returns the kind's name ("succeeded").
func (k OutcomeKind) String() string {
	if int(k) < len(outcomeNames) && k != 0 {
		return outcomeNames[k]
	}
	return fmt.Sprintf("outcome(%d)", uint8(k))
}

// LostModeState classifies the Lost Mode error codes a result carries.
type LostModeState uint8

// Lost Mode states.
const (
	// LostModeNoError: no Lost Mode error code in the chain.
	LostModeNoError LostModeState = iota
	// NotInLostMode: error 12067, the device is not in Lost Mode (a
	// DisableLostMode, or a Lost Mode query, sent to a device outside it).
	// A host may treat it as "already off".
	NotInLostMode
	// LostModeRefused: error 12069 or 12078, the device refused a Lost Mode
	// command. Apple does not document their texts; the chain keeps the
	// code and the device's descriptions.
	LostModeRefused
)

// Lost Mode error codes (MDM error domain), as LostModeState classifies
// them.
const (
	codeNotInLostMode   = 12067
	codeLostModeRefused = 12069
	codeLostModeOther   = 12078
)

// Outcome is a result typed for the lifecycle: what happened, and the
// detail a host shows (the error chain, DeviceLock's MessageResult, the
// Lost Mode state).
type Outcome struct {
	Kind        OutcomeKind
	CommandUUID string
	Status      Status
	// ErrorChain is kept whole for Failed outcomes.
	ErrorChain    []ErrorChainItem
	MessageResult MessageResult
	LostMode      LostModeState
}

// Outcome types r: Acknowledged is Succeeded, NotNow StillPending, Error and
// CommandFormatError Failed (with the chain), Idle NoResult.
func (r Result) Outcome() Outcome {
	o := Outcome{CommandUUID: r.CommandUUID, Status: r.Status, MessageResult: r.MessageResult}
	switch r.Status {
	case StatusAcknowledged:
		o.Kind = Succeeded
	case StatusNotNow:
		o.Kind = StillPending
	case StatusError, StatusCommandFormatError:
		o.Kind = Failed
		o.ErrorChain = append([]ErrorChainItem(nil), r.ErrorChain...)
	default:
		o.Kind = NoResult
	}
	for _, e := range r.ErrorChain {
		switch e.ErrorCode {
		case codeNotInLostMode:
			o.LostMode = NotInLostMode
		case codeLostModeRefused, codeLostModeOther:
			o.LostMode = LostModeRefused
		}
		if o.LostMode != LostModeNoError {
			break
		}
	}
	return o
}
