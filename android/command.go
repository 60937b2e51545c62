package android

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/passcode"
)

// CommandType is a Command's type as AMAPI spells it.
type CommandType string

// The command types this package builds and reads. AMAPI has others (REBOOT,
// WIPE, ...); [ParseOperation] keeps their name as it is.
const (
	// Lock locks the device as if the screen timeout had expired; on a
	// work profile with its own challenge, only the work profile.
	Lock CommandType = "LOCK"
	// ResetPassword sets a new password on the device (or the work profile).
	ResetPassword CommandType = "RESET_PASSWORD"
	// StartLostMode puts a company-owned device into Lost Mode.
	StartLostMode CommandType = "START_LOST_MODE"
	// StopLostMode takes a device out of Lost Mode.
	StopLostMode CommandType = "STOP_LOST_MODE"
)

// ResetFlags are RESET_PASSWORD's resetPasswordFlags, a bit set.
type ResetFlags uint8

// Reset flags.
const (
	// RequireEntry (REQUIRE_ENTRY): no other admin may change the password
	// again until the user has entered it.
	RequireEntry ResetFlags = 1 << iota
	// DoNotAskCredentialsOnBoot (DO_NOT_ASK_CREDENTIALS_ON_BOOT): the device
	// boots without asking for the password.
	DoNotAskCredentialsOnBoot
	// LockNow (LOCK_NOW): lock the device once the password is reset.
	LockNow

	allFlags = RequireEntry | DoNotAskCredentialsOnBoot | LockNow
)

var flagNames = [...]string{"REQUIRE_ENTRY", "DO_NOT_ASK_CREDENTIALS_ON_BOOT", "LOCK_NOW"}

// names returns the AMAPI names of the known flags in f, in bit order.
func (f ResetFlags) names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// String returns the flags' AMAPI names joined by "|" ("REQUIRE_ENTRY|LOCK_NOW"),
// "0" for none, and unknown bits as a hexadecimal remainder.
func (f ResetFlags) String() string {
	if f == 0 {
		return "0"
	}
	s := strings.Join(f.names(), "|")
	if rest := f &^ allFlags; rest != 0 {
		if s != "" {
			s += "|"
		}
		s += fmt.Sprintf("0x%x", uint8(rest))
	}
	return s
}

// Body is the JSON body of one devices.issueCommand request. It may hold
// the new password of a RESET_PASSWORD, so it prints as [REDACTED] under
// every fmt verb, slog and encoding/json; only its Reveal method gives the
// bytes, to write to the HTTP request. Do not store or log it: build it
// right before the call and drop it after.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() []byte returns a copy of the bytes; call it only where they
//     must be handed on (attached to the mail, written to the file asked for).
//   - Len() int is their number; IsZero() bool reports that there are none.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED] (%#v adds the length).
type Body = secret.Bytes

// Options are what every command takes.
type Options struct {
	// Duration is how long the command stays valid; a device that has not
	// executed it by then never will. Zero: DefaultDuration (10 minutes).
	// AMAPI sets no maximum.
	Duration time.Duration
}

func (o Options) duration() (string, error) {
	switch {
	case o.Duration < 0:
		return "", invalid("duration", "must be positive")
	case o.Duration == 0:
		return formatDuration(DefaultDuration), nil
	}
	return formatDuration(o.Duration), nil
}

// command is the request form of AMAPI's Command resource: only the fields
// this package sends, in AMAPI's names.
type command struct {
	Type                CommandType    `json:"type"`
	Duration            string         `json:"duration"`
	NewPassword         string         `json:"newPassword,omitempty"`
	ResetPasswordFlags  []string       `json:"resetPasswordFlags,omitempty"`
	StartLostModeParams *startLostMode `json:"startLostModeParams,omitempty"`
	StopLostModeParams  *struct{}      `json:"stopLostModeParams,omitempty"`
}

func build(c command, o Options) (Body, error) {
	d, err := o.duration()
	if err != nil {
		return Body{}, err
	}
	c.Duration = d
	b, err := json.Marshal(c)
	if err != nil { // not reached: every field is a string, slice or struct of them
		return Body{}, invalid("command", "cannot be encoded")
	}
	body := secret.NewBytes(b)
	clear(b)
	return body, nil
}

// LockCommand builds a LOCK command.
func LockCommand(o Options) (Body, error) { return build(command{Type: Lock}, o) }

// StopLostModeCommand builds a STOP_LOST_MODE command.
func StopLostModeCommand(o Options) (Body, error) {
	return build(command{Type: StopLostMode, StopLostModeParams: &struct{}{}}, o)
}

// MinPasswordLength and MaxPasswordLength bound a RESET_PASSWORD's new
// password: Android's lock screen takes 4 to 16 characters
// ([passcode.AndroidMaxLength]).
const (
	MinPasswordLength = 4
	MaxPasswordLength = passcode.AndroidMaxLength
)

// ResetPasswordCommand builds a RESET_PASSWORD command that sets newPassword
// with flags. The password is taken here and nowhere else: it goes into the
// returned Body and is not kept.
//
// The password must be 4 to 16 printable ASCII characters (Android's lock
// screen refuses anything else with CONTAINS_INVALID_CHARACTERS). An empty
// password, which AMAPI would take as "remove the password", is refused:
// this package never clears a device's password. Android 14's rule (a
// numeric password of at least 6 digits) depends on the device and is
// checked by [passcode.Check], which gives the policy to generate from.
func ResetPasswordCommand(newPassword passcode.Passcode, flags ResetFlags, o Options) (Body, error) {
	pw := newPassword.Reveal()
	switch n := len(pw); {
	case n == 0:
		return Body{}, invalid("newPassword", "required")
	case n < MinPasswordLength:
		return Body{}, invalid("newPassword", fmt.Sprintf("at least %d characters", MinPasswordLength))
	case n > MaxPasswordLength:
		return Body{}, invalid("newPassword", fmt.Sprintf("at most %d characters", MaxPasswordLength))
	}
	for i := 0; i < len(pw); i++ {
		if pw[i] < 0x20 || pw[i] > 0x7e {
			return Body{}, invalid("newPassword", fmt.Sprintf("printable ASCII only (byte %d is not)", i))
		}
	}
	if flags&^allFlags != 0 {
		return Body{}, invalid("resetPasswordFlags", "unknown flag "+flags.String())
	}
	return build(command{Type: ResetPassword, NewPassword: pw, ResetPasswordFlags: flags.names()}, o)
}
