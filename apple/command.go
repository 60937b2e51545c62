package apple

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"

	"github.com/mdmcred/mdmcred/internal/ident"
)

// RequestType is an MDM command's RequestType.
type RequestType string

// The commands this package builds.
const (
	ClearPasscode        RequestType = "ClearPasscode"
	DeviceLock           RequestType = "DeviceLock"
	EnableLostMode       RequestType = "EnableLostMode"
	DisableLostMode      RequestType = "DisableLostMode"
	SetRecoveryLock      RequestType = "SetRecoveryLock"
	SetAutoAdminPassword RequestType = "SetAutoAdminPassword"
)

// Command is an MDM command ready to queue. Its Template is the command's
// plist with every secret left out: where the device needs the UnlockToken,
// the PIN or a password, the template holds a placeholder that [Fill]
// replaces when the MDM server delivers the command. Queue the Template as
// it is; no queue row then holds a secret.
type Command struct {
	// UUID is the CommandUUID, which the device's result repeats.
	UUID        string
	RequestType RequestType
	// Template is the command plist (XML) with placeholders for Fills.
	// It holds no secret.
	Template []byte
	// Fills lists the secrets Fill must put in before delivery.
	Fills Fields
}

// Fields is a set of secrets a [Command] takes at delivery.
type Fields uint8

// The secrets a template can wait for.
const (
	// FillUnlockToken: ClearPasscode's UnlockToken (from TokenUpdate).
	FillUnlockToken Fields = 1 << iota
	// FillPIN: DeviceLock's 6-digit PIN (macOS).
	FillPIN
	// FillCurrentPassword: SetRecoveryLock's CurrentPassword.
	FillCurrentPassword
	// FillNewPassword: SetRecoveryLock's NewPassword (set, not clear).
	FillNewPassword
)

var fieldNames = [...]string{"UnlockToken", "PIN", "CurrentPassword", "NewPassword"}

// String lists the fields by plist key ("PIN|NewPassword"), "none" for the
// empty set.
func (f Fields) String() string {
	if f == 0 {
		return "none"
	}
	var parts []string
	for i, n := range fieldNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := f &^ (1<<len(fieldNames) - 1); rest != 0 {
		parts = append(parts, "0x"+hex.EncodeToString([]byte{byte(rest)}))
	}
	return strings.Join(parts, "|")
}

// fillPrefix starts every placeholder's text. No builder value and no
// filled secret may contain it (checkText), so the only elements that match
// a placeholder are the placeholders.
const fillPrefix = "mdmcred-fill:"

// placeholder is the element a template holds where field f goes.
func placeholder(f Fields) string {
	const prefix = fillPrefix
	if f == FillUnlockToken {
		return "<data>" + base64.StdEncoding.EncodeToString([]byte(prefix+fieldNames[0])) + "</data>"
	}
	for i, n := range fieldNames {
		if f == 1<<i {
			return "<string>" + prefix + n + "</string>"
		}
	}
	return ""
}

// NewCommandUUID returns a random (version 4) UUID in upper case, the form
// Apple's examples use, read from r (crypto/rand.Reader when nil).
func NewCommandUUID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fieldError("CommandUUID", "reading randomness: "+err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// maxUUID bounds a CommandUUID (Apple's are 36 characters; hosts use their
// own forms too).
const maxUUID = 128

func checkUUID(uuid string) error {
	if err := ident.Check(uuid, maxUUID); err != nil {
		return fieldError("CommandUUID", err.Error())
	}
	return nil
}

// build writes the command plist: the Command dictionary (RequestType
// first, then what body writes) and the CommandUUID.
func build(uuid string, rt RequestType, fills Fields, body func(w *plistWriter)) (Command, error) {
	if err := checkUUID(uuid); err != nil {
		return Command{}, err
	}
	w := newPlistWriter()
	w.beginDict("")
	w.beginDict("Command")
	w.str("RequestType", string(rt))
	if body != nil {
		body(w)
	}
	w.endDict()
	w.str("CommandUUID", uuid)
	w.endDict()
	return Command{UUID: uuid, RequestType: rt, Template: w.bytes(), Fills: fills}, nil
}

// Fill returns template with every placeholder replaced by its secret from
// s, escaped. Call it when the MDM server hands the command to the device,
// never before queueing. Each placeholder must appear at most once and have
// its secret; a secret given for a field the template does not wait for is
// refused too (it would be a secret meant for another command). A template
// with no placeholder and empty Secrets comes back unchanged. The returned
// bytes hold the secrets: send them and drop them.
func Fill(template []byte, s Secrets) ([]byte, error) {
	out := append([]byte(nil), template...)
	for i := range fieldNames {
		f := Fields(1 << i)
		ph := []byte(placeholder(f))
		n := bytes.Count(out, ph)
		given := s.has(f)
		switch {
		case n > 1:
			return nil, fieldError(fieldNames[i], "placeholder appears more than once")
		case n == 1 && !given:
			return nil, fieldError(fieldNames[i], "the template waits for this secret and none was given")
		case n == 0 && given:
			return nil, fieldError(fieldNames[i], "a secret was given that the template does not take")
		case n == 0:
			continue
		}
		elem, err := s.element(f)
		if err != nil {
			return nil, err
		}
		out = bytes.Replace(out, ph, elem, 1)
	}
	return out, nil
}

// Placeholders reports which secrets a queued command waits for (the
// fields whose placeholder it holds). An MDM middleware calls it on each
// command it delivers: none means the command is not one to fill.
func Placeholders(template []byte) Fields {
	var f Fields
	for i := range fieldNames {
		if bytes.Contains(template, []byte(placeholder(Fields(1<<i)))) {
			f |= 1 << i
		}
	}
	return f
}
