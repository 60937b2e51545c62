package enrollment

import "github.com/mdmcred/mdmcred/internal/secret"

// Keys is a set of keys by key ID: [Config.Peppers] and [Config.SealKeys].
// A map[uint8][]byte literal assigns to it. Under every fmt verb, in
// log/slog and in encoding/json it shows only the key IDs
// (map[1:[REDACTED]]), so a Config can be printed or logged; fmt cannot
// call its methods when it reaches it through an unexported struct field,
// so hold a Config by pointer if it must sit in one.
type Keys = secret.Keys
