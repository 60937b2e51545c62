package apple

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"

	"github.com/mdmcred/mdmcred/internal/secret"
)

// Secret is a PIN or password: redacted in every fmt verb, slog and JSON.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() string returns the secret text; call it only where the
//     text must be shown or sent to the person it is for.
//   - Equal(t string) bool compares with t in time that depends only on
//     the lengths.
//   - Len() int is its length in bytes; IsZero() bool reports an empty one.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED].
type Secret = secret.String

// NewSecret wraps a PIN or password.
func NewSecret(s string) Secret { return secret.New(s) }

// UnlockToken is the token an iOS or iPadOS device sends in its TokenUpdate
// check-in, which ClearPasscode must carry back: redacted everywhere.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() []byte returns a copy of the bytes; call it only where they
//     must be handed on (attached to the mail, written to the file asked for).
//   - Len() int is their number; IsZero() bool reports that there are none.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED] (%#v adds the length).
type UnlockToken = secret.Bytes

// NewUnlockToken copies b into an UnlockToken.
func NewUnlockToken(b []byte) UnlockToken { return secret.NewBytes(b) }

// Secrets are what [Fill] puts into a command at delivery. Leave a field
// zero when the command does not take it.
type Secrets struct {
	// UnlockToken for ClearPasscode.
	UnlockToken UnlockToken
	// PIN for DeviceLock on macOS: 6 ASCII digits.
	PIN Secret
	// CurrentPassword for SetRecoveryLock when a Recovery Lock password is
	// set.
	CurrentPassword Secret
	// NewPassword for SetRecoveryLock (left zero when the command clears
	// the password).
	NewPassword Secret
}

func (s Secrets) has(f Fields) bool {
	switch f {
	case FillUnlockToken:
		return !s.UnlockToken.IsZero()
	case FillPIN:
		return !s.PIN.IsZero()
	case FillCurrentPassword:
		return !s.CurrentPassword.IsZero()
	case FillNewPassword:
		return !s.NewPassword.IsZero()
	}
	return false
}

// maxPassword bounds a Recovery Lock password. Apple documents no bound;
// 64 bytes is beyond what the recoveryOS prompt is used with.
const maxPassword = 64

// element is the plist element for field f, checked and escaped.
func (s Secrets) element(f Fields) ([]byte, error) {
	var b bytes.Buffer
	switch f {
	case FillUnlockToken:
		b.WriteString("<data>" + base64.StdEncoding.EncodeToString(s.UnlockToken.Reveal()) + "</data>")
		return b.Bytes(), nil
	case FillPIN:
		if err := CheckPIN(s.PIN); err != nil {
			return nil, err
		}
		b.WriteString("<string>" + s.PIN.Reveal() + "</string>")
		return b.Bytes(), nil
	}
	name, v := "CurrentPassword", s.CurrentPassword
	if f == FillNewPassword {
		name, v = "NewPassword", s.NewPassword
	}
	if err := checkPassword(name, v); err != nil {
		return nil, err
	}
	b.WriteString("<string>")
	_ = xml.EscapeText(&b, []byte(v.Reveal()))
	b.WriteString("</string>")
	return b.Bytes(), nil
}

// CheckPIN reports whether pin is a DeviceLock PIN: exactly 6 ASCII digits.
// The error names the rule, never the PIN.
func CheckPIN(pin Secret) error {
	p := pin.Reveal()
	if len(p) != 6 {
		return fieldError("PIN", "must be 6 digits")
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return fieldError("PIN", "must be 6 digits")
		}
	}
	return nil
}

// checkPassword: printable, valid UTF-8, 1 to maxPassword bytes. The error
// never holds the password.
func checkPassword(field string, v Secret) error {
	p := v.Reveal()
	if p == "" || len(p) > maxPassword {
		return fieldError(field, "must be 1 to 64 bytes")
	}
	if err := checkText(field, p); err != nil {
		return err
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fieldError(field, "holds a control character")
		}
	}
	return nil
}
