package android

import (
	"bytes"
	"encoding/json"
	"time"
)

// ErrorCode is a Command's errorCode: why the device could not run it.
type ErrorCode string

// Error codes. A code this package does not know is kept as AMAPI sent it.
const (
	// ErrorUnknown (UNKNOWN): an unknown error occurred.
	ErrorUnknown ErrorCode = "UNKNOWN"
	// ErrorAPILevel (API_LEVEL): the device's API level does not support
	// the command.
	ErrorAPILevel ErrorCode = "API_LEVEL"
	// ErrorManagementMode (MANAGEMENT_MODE): the management mode (device
	// owner, profile owner) does not support the command.
	ErrorManagementMode ErrorCode = "MANAGEMENT_MODE"
	// ErrorInvalidValue (INVALID_VALUE): a parameter was refused, such as a
	// numeric password shorter than 6 on Android 14.
	ErrorInvalidValue ErrorCode = "INVALID_VALUE"
	// ErrorUnsupported (UNSUPPORTED): the device does not support the
	// command; updating Android Device Policy may help.
	ErrorUnsupported ErrorCode = "UNSUPPORTED"

	errorUnspecified ErrorCode = "COMMAND_ERROR_CODE_UNSPECIFIED"
)

// Status is a Lost Mode command's own status (startLostModeStatus.status or
// stopLostModeStatus.status).
type Status string

// Statuses. A status this package does not know is kept as AMAPI sent it.
const (
	// StatusSuccess (SUCCESS): the device entered or left Lost Mode.
	StatusSuccess Status = "SUCCESS"
	// StatusResetPasswordRecently (RESET_PASSWORD_RECENTLY): the device
	// was not put into Lost Mode because an admin reset its password
	// recently.
	StatusResetPasswordRecently Status = "RESET_PASSWORD_RECENTLY"
	// StatusUserExitLostModeRecently (USER_EXIT_LOST_MODE_RECENTLY): the
	// device was not put into Lost Mode because the user left it recently.
	StatusUserExitLostModeRecently Status = "USER_EXIT_LOST_MODE_RECENTLY"
	// StatusAlreadyInLostMode (ALREADY_IN_LOST_MODE): the device is
	// already in Lost Mode.
	StatusAlreadyInLostMode Status = "ALREADY_IN_LOST_MODE"
	// StatusNotInLostMode (NOT_IN_LOST_MODE): STOP_LOST_MODE found the
	// device not in Lost Mode.
	StatusNotInLostMode Status = "NOT_IN_LOST_MODE"

	statusUnspecified Status = "STATUS_UNSPECIFIED"
)

// Command is the Command an Operation's metadata carries, as far as the
// lifecycle needs it. A newPassword in the metadata is never read: it is
// not kept in any field.
type Command struct {
	Type CommandType
	// CreateTime is when AMAPI created the command (UTC); zero if absent.
	CreateTime time.Time
	// Duration is how long the command is valid; zero if absent.
	Duration time.Duration
	// UserName is the resource name of the device's user.
	UserName string
	// ErrorCode says why the command failed; empty if it did not.
	ErrorCode ErrorCode
	// ResetFlags are a RESET_PASSWORD's flags as AMAPI echoes them.
	ResetFlags ResetFlags
	// LostModeStatus is startLostModeStatus.status or
	// stopLostModeStatus.status; empty when there is none.
	LostModeStatus Status
}

// Deadline is when the command expires: CreateTime + Duration, or
// CreateTime + DefaultDuration when the duration is absent. Zero when
// CreateTime is absent.
func (c Command) Deadline() time.Time {
	if c.CreateTime.IsZero() {
		return time.Time{}
	}
	d := c.Duration
	if d <= 0 {
		d = DefaultDuration
	}
	return c.CreateTime.Add(d)
}

// RPCStatus is an Operation's error: a google.rpc.Status.
type RPCStatus struct {
	// Code is the google.rpc.Code (1 CANCELLED, 3 INVALID_ARGUMENT, ...).
	Code int
	// Message is the developer-facing message.
	Message string
}

// Operation is AMAPI's long-running Operation for one command, as returned
// by devices.issueCommand and operations.get and carried by COMMAND
// notifications.
type Operation struct {
	// Name is "enterprises/{e}/devices/{d}/operations/{o}".
	Name string
	// Done: the command finished (successfully or not).
	Done bool
	// Error is the operation's error, nil if none.
	Error *RPCStatus
	// Command is the Command in the metadata (zero when absent).
	Command Command
}

// MaxOperationSize bounds the JSON [ParseOperation] reads (1 MiB).
const MaxOperationSize = 1 << 20

type rawOperation struct {
	Name     string          `json:"name"`
	Done     bool            `json:"done"`
	Error    *rawStatus      `json:"error"`
	Metadata json.RawMessage `json:"metadata"`
}

type rawStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rawCommand struct {
	Type                CommandType `json:"type"`
	CreateTime          string      `json:"createTime"`
	Duration            string      `json:"duration"`
	UserName            string      `json:"userName"`
	ErrorCode           ErrorCode   `json:"errorCode"`
	ResetPasswordFlags  []string    `json:"resetPasswordFlags"`
	StartLostModeStatus *rawLost    `json:"startLostModeStatus"`
	StopLostModeStatus  *rawLost    `json:"stopLostModeStatus"`
}

type rawLost struct {
	Status Status `json:"status"`
}

// ParseOperation reads an Operation in AMAPI's JSON form. The metadata's
// "@type" is ignored; its Command fields are read as listed on [Command],
// and a newPassword there is skipped unread. Unknown fields are ignored.
// A malformed document gives an [*Error] naming the field.
func ParseOperation(data []byte) (Operation, error) {
	if len(data) > MaxOperationSize {
		return Operation{}, invalid("operation", "larger than 1 MiB")
	}
	var raw rawOperation
	if err := json.Unmarshal(data, &raw); err != nil {
		return Operation{}, invalid("operation", "not a JSON object of the Operation resource")
	}
	if raw.Name == "" {
		return Operation{}, invalid("name", "required")
	}
	op := Operation{Name: raw.Name, Done: raw.Done}
	if raw.Error != nil {
		op.Error = &RPCStatus{Code: raw.Error.Code, Message: raw.Error.Message}
	}
	if m := bytes.TrimSpace(raw.Metadata); len(m) > 0 && !bytes.Equal(m, []byte("null")) {
		c, err := parseCommand(m)
		if err != nil {
			return Operation{}, err
		}
		op.Command = c
	}
	return op, nil
}

func parseCommand(m []byte) (Command, error) {
	var rc rawCommand
	if err := json.Unmarshal(m, &rc); err != nil {
		return Command{}, invalid("metadata", "not a JSON object of the Command resource")
	}
	c := Command{Type: rc.Type, UserName: rc.UserName, ErrorCode: rc.ErrorCode}
	if c.ErrorCode == errorUnspecified {
		c.ErrorCode = ""
	}
	if rc.CreateTime != "" {
		t, err := time.Parse(time.RFC3339Nano, rc.CreateTime)
		if err != nil {
			return Command{}, invalid("metadata.createTime", "not an RFC 3339 timestamp")
		}
		c.CreateTime = t.UTC()
	}
	if rc.Duration != "" {
		d, ok := parseDuration(rc.Duration)
		if !ok || d < 0 {
			return Command{}, invalid("metadata.duration", `not a non-negative duration such as "600s"`)
		}
		c.Duration = d
	}
	for _, f := range rc.ResetPasswordFlags {
		switch f {
		case "REQUIRE_ENTRY":
			c.ResetFlags |= RequireEntry
		case "DO_NOT_ASK_CREDENTIALS_ON_BOOT":
			c.ResetFlags |= DoNotAskCredentialsOnBoot
		case "LOCK_NOW":
			c.ResetFlags |= LockNow
		}
	}
	for _, s := range []*rawLost{rc.StartLostModeStatus, rc.StopLostModeStatus} {
		if s != nil && s.Status != "" && s.Status != statusUnspecified {
			c.LostModeStatus = s.Status
		}
	}
	return c, nil
}
