package passcode

import "github.com/mdmcred/mdmcred/internal/secret"

// ConfigError names the [Config] field [New] refused and why. It matches
// [ErrConfig] and unwraps to the underlying key-set error, if any.
type ConfigError struct {
	Field  string
	Reason string
	Err    error
}

// Error implements error.
func (e *ConfigError) Error() string {
	s := ErrConfig.Error() + ": " + e.Field
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is [ErrConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// Unwrap returns Err.
func (e *ConfigError) Unwrap() error { return e.Err }

// Keys is a set of keys by key ID ([Config.SealKeys]). Build it with
// [NewKeys]. Under every fmt verb (through pointers and struct fields,
// exported or not), in log/slog and in encoding/json it shows only the key
// IDs (map[1:[REDACTED]]), so a Config can be printed or logged.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() map[uint8][]byte returns a copy of the keys by ID, for the
//     mechanism that uses them; never print it.
//   - Len() int is the number of keys; IsZero() bool reports that there are
//     none.
//   - String, Format, GoString, LogValue and MarshalJSON show only the key
//     IDs and [REDACTED].
type Keys = secret.Keys

// NewKeys copies m (key ID to key bytes) into a [Keys]; the caller may
// clear m afterwards.
//
//	cfg.SealKeys = passcode.NewKeys(map[uint8][]byte{1: key})
func NewKeys(m map[uint8][]byte) Keys { return secret.NewKeys(m) }
