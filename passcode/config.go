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

// Keys is a set of keys by key ID ([Config.SealKeys]). A map[uint8][]byte
// literal assigns to it. Under every fmt verb, in log/slog and in
// encoding/json it shows only the key IDs (map[1:[REDACTED]]), so a Config
// can be printed or logged; fmt cannot call its methods when it reaches it
// through an unexported struct field, so hold a Config by pointer if it must
// sit in one.
type Keys = secret.Keys
