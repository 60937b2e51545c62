package apple

import (
	"strconv"
)

// Status is a command result's Status.
type Status string

// The statuses a device reports.
const (
	// StatusAcknowledged: the device ran the command.
	StatusAcknowledged Status = "Acknowledged"
	// StatusNotNow: the device cannot run it now (locked, busy) and will ask
	// again later.
	StatusNotNow Status = "NotNow"
	// StatusError: the device tried and failed; ErrorChain says why.
	StatusError Status = "Error"
	// StatusCommandFormatError: the device could not read the command.
	StatusCommandFormatError Status = "CommandFormatError"
	// StatusIdle: the device reports no result and asks for a command.
	StatusIdle Status = "Idle"
)

// ErrorChainItem is one entry of a result's ErrorChain, outermost first.
type ErrorChainItem struct {
	ErrorCode            int64
	ErrorDomain          string
	LocalizedDescription string
	USEnglishDescription string
}

// MessageResult is DeviceLock's report on the Lock Screen message.
type MessageResult string

// DeviceLock's message results.
const (
	MessageSuccess          MessageResult = "Success"
	MessageDeviceInLostMode MessageResult = "DeviceInLostMode"
	MessageNoPasscodeSet    MessageResult = "NoPasscodeSet"
	MessageUnknown          MessageResult = "Unknown"
)

// Result is a device's command result (the body of a report to the MDM
// server's command endpoint), as [ParseResult] reads it.
type Result struct {
	Status      Status
	CommandUUID string // empty when Status is Idle
	UDID        string // the device channel's identifier, when sent
	ErrorChain  []ErrorChainItem
	// MessageResult is set in DeviceLock results that showed (or failed to
	// show) a message.
	MessageResult MessageResult
}

// ParseResult reads a command result plist. It checks what the lifecycle
// depends on: a known Status, a CommandUUID unless Idle, a well-formed
// ErrorChain; MessageResult is kept as a string (the constants name the
// values Apple documents); other keys are ignored. Any input gives a
// Result or an *Error, never a panic.
func ParseResult(b []byte) (Result, error) {
	v, err := decodePlist(b)
	if err != nil {
		return Result{}, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Result{}, fieldError("plist", "top level is not a dict")
	}
	var r Result
	st, err := str(m, "Status", true)
	if err != nil {
		return Result{}, err
	}
	r.Status = Status(st)
	switch r.Status {
	case StatusAcknowledged, StatusNotNow, StatusError, StatusCommandFormatError, StatusIdle:
	default:
		return Result{}, fieldError("Status", "unknown status "+strconv.Quote(truncate(st)))
	}
	if r.CommandUUID, err = str(m, "CommandUUID", r.Status != StatusIdle); err != nil {
		return Result{}, err
	}
	if r.CommandUUID != "" {
		if err := checkUUID(r.CommandUUID); err != nil {
			return Result{}, err
		}
	}
	if r.UDID, err = str(m, "UDID", false); err != nil {
		return Result{}, err
	}
	mr, err := str(m, "MessageResult", false)
	if err != nil {
		return Result{}, err
	}
	// A value Apple adds later is kept as it came: the message is
	// informational, and refusing the result would leave the command's
	// lifecycle stuck.
	r.MessageResult = MessageResult(mr)
	if ec, ok := m["ErrorChain"]; ok {
		a, ok := ec.([]any)
		if !ok {
			return Result{}, fieldError("ErrorChain", "is not an array")
		}
		for i, e := range a {
			item, err := chainItem(i, e)
			if err != nil {
				return Result{}, err
			}
			r.ErrorChain = append(r.ErrorChain, item)
		}
	}
	return r, nil
}

func chainItem(i int, v any) (ErrorChainItem, error) {
	name := "ErrorChain[" + strconv.Itoa(i) + "]"
	m, ok := v.(map[string]any)
	if !ok {
		return ErrorChainItem{}, fieldError(name, "is not a dict")
	}
	var it ErrorChainItem
	c, ok := m["ErrorCode"]
	if !ok {
		return ErrorChainItem{}, fieldError(name+".ErrorCode", "is required")
	}
	if it.ErrorCode, ok = c.(int64); !ok {
		return ErrorChainItem{}, fieldError(name+".ErrorCode", "is not an integer")
	}
	var err error
	if it.ErrorDomain, err = str(m, "ErrorDomain", false); err != nil {
		return ErrorChainItem{}, prefixed(name, err)
	}
	if it.LocalizedDescription, err = str(m, "LocalizedDescription", false); err != nil {
		return ErrorChainItem{}, prefixed(name, err)
	}
	if it.USEnglishDescription, err = str(m, "USEnglishDescription", false); err != nil {
		return ErrorChainItem{}, prefixed(name, err)
	}
	return it, nil
}

func prefixed(name string, err error) error {
	if e, ok := err.(*Error); ok {
		return &Error{Field: name + "." + e.Field, Rule: e.Rule, Offset: e.Offset}
	}
	return err
}

// str reads a string value of m.
func str(m map[string]any, key string, required bool) (string, error) {
	v, ok := m[key]
	if !ok {
		if required {
			return "", fieldError(key, "is required")
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fieldError(key, "is not a string")
	}
	return s, nil
}
