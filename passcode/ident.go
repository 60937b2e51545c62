package passcode

import "github.com/mdmcred/mdmcred/internal/ident"

// MaxIDLen bounds every identifier the Service takes (device, user, actor,
// viewer and reset IDs, the user's email address), in bytes.
const MaxIDLen = ident.MaxLen

// checkID applies the SDK's one identifier rule (internal/ident): an
// identifier must be 1 to [MaxIDLen] bytes of valid UTF-8 with no control
// character (C0, DEL, C1), no invisible formatting character (Unicode Cf:
// zero-width, bidi controls, soft hyphen) and no noncharacter. A refusal
// is a [*ParamError] naming the field, never the identifier.
func checkID(field, v string) error {
	if err := ident.Check(v, MaxIDLen); err != nil {
		return &ParamError{Field: field, Reason: err.Error(), Err: err}
	}
	return nil
}
