package otp

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mdmcred/mdmcred/internal/secret"
)

// Kind says whether a key URI is for HOTP or TOTP.
type Kind uint8

// Kinds. The zero value is TOTP, by far the common case.
const (
	TOTPKind Kind = iota
	HOTPKind
)

// String returns "totp" or "hotp", the host part of a key URI.
func (k Kind) String() string {
	switch k {
	case TOTPKind:
		return "totp"
	case HOTPKind:
		return "hotp"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// KeyURI is an otpauth:// URI. It holds the secret, so it redacts itself
// like every [secret.String]; Reveal it only to render it (a QR code).
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() string returns the secret text; call it only where the
//     text must be shown or sent to the person it is for.
//   - Equal(t string) bool compares with t in time that depends only on
//     the lengths.
//   - Len() int is its length in bytes; IsZero() bool reports an empty one.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED].
type KeyURI = secret.String

// maxURI and maxLabel bound the input ParseURI reads.
const (
	maxURI   = 4096
	maxLabel = 256
)

// URI is the content of an otpauth:// key URI in the Google Authenticator
// key-uri format:
//
//	otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30
//
// Printing a URI never shows the secret: [Key] redacts itself.
type URI struct {
	// Kind is TOTP or HOTP.
	Kind Kind
	// Issuer names the provider; it prefixes the label and is repeated in
	// the issuer parameter. Optional but strongly recommended. It must not
	// contain ':' or control characters.
	Issuer string
	// Account names the user's account (an email address, a user name).
	// Required; it must not contain ':' or control characters.
	Account string
	// Key is the secret and its parameters.
	Key *Key
	// Counter is the initial HOTP counter; TOTP ignores it.
	Counter uint64
}

func checkName(field, s string, required bool) error {
	switch {
	case s == "" && required:
		return &URIError{Field: field, Reason: "empty"}
	case len(s) > maxLabel:
		return &URIError{Field: field, Reason: "too long"}
	case !utf8.ValidString(s):
		return &URIError{Field: field, Reason: "not UTF-8"}
	case strings.ContainsRune(s, ':'):
		return &URIError{Field: field, Reason: "contains ':'"}
	case strings.TrimSpace(s) != s:
		return &URIError{Field: field, Reason: "leading or trailing space"}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return &URIError{Field: field, Reason: "contains a control character"}
		}
		// A bidirectional override could make an authenticator app show
		// an issuer that reads like another.
		if unicode.Is(unicode.Bidi_Control, r) {
			return &URIError{Field: field, Reason: "contains a bidirectional formatting character"}
		}
	}
	return nil
}

// escape percent-encodes s for a URI component, spaces as %20: several
// authenticator apps do not decode '+'.
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// Build returns the key URI. Every parameter is written, defaults included,
// so that apps which ignore some agree with the key. Errors are [*URIError].
func (u URI) Build() (KeyURI, error) {
	if u.Key == nil {
		return KeyURI{}, &URIError{Field: "secret", Reason: "no key"}
	}
	if !u.Key.usable() {
		return KeyURI{}, &URIError{Field: "secret", Reason: "zero key", Err: errZeroKey}
	}
	if u.Kind != TOTPKind && u.Kind != HOTPKind {
		return KeyURI{}, &URIError{Field: "type", Reason: "unknown kind " + u.Kind.String()}
	}
	if err := checkName("issuer", u.Issuer, false); err != nil {
		return KeyURI{}, err
	}
	if err := checkName("account", u.Account, true); err != nil {
		return KeyURI{}, err
	}
	var b strings.Builder
	b.WriteString("otpauth://")
	b.WriteString(u.Kind.String())
	b.WriteByte('/')
	if u.Issuer != "" {
		b.WriteString(escape(u.Issuer))
		b.WriteByte(':')
	}
	b.WriteString(escape(u.Account))
	b.WriteString("?secret=")
	b.WriteString(b32.EncodeToString(u.Key.m().secret))
	if u.Issuer != "" {
		b.WriteString("&issuer=")
		b.WriteString(escape(u.Issuer))
	}
	b.WriteString("&algorithm=")
	b.WriteString(u.Key.alg.String())
	b.WriteString("&digits=")
	b.WriteString(strconv.Itoa(u.Key.digits))
	if u.Kind == HOTPKind {
		b.WriteString("&counter=")
		b.WriteString(strconv.FormatUint(u.Counter, 10))
	} else {
		b.WriteString("&period=")
		b.WriteString(strconv.FormatInt(u.Key.period, 10))
	}
	return secret.New(b.String()), nil
}

// ParseURI parses an otpauth:// key URI. It accepts what [URI.Build]
// writes and what other issuers commonly write: any case in the scheme, type
// and algorithm, a lenient Base32 secret (see [DecodeSecret]), spaces after
// the label's colon, and missing optional parameters (algorithm SHA1,
// digits 6, period 30). It refuses what would make the key ambiguous: a
// repeated parameter, an issuer parameter that contradicts the label's
// prefix, an HOTP URI without a counter. Unknown parameters (image, ...)
// are ignored.
//
// Errors are [*URIError] (matching [ErrURI], and [ErrSecret] or [ErrParams]
// when the secret or a parameter is the reason); they never contain the
// secret.
func ParseURI(s string) (URI, error) {
	var u URI
	if len(s) > maxURI {
		return u, &URIError{Field: "uri", Reason: "too long"}
	}
	pu, err := url.Parse(s)
	if err != nil {
		// url errors quote the input, which holds the secret: drop them.
		return u, &URIError{Field: "uri", Reason: "not a URI"}
	}
	if !strings.EqualFold(pu.Scheme, "otpauth") {
		return u, &URIError{Field: "scheme", Reason: "not otpauth"}
	}
	if pu.Opaque != "" || pu.User != nil || pu.Port() != "" || pu.Fragment != "" {
		return u, &URIError{Field: "uri", Reason: "unexpected URI part"}
	}
	switch strings.ToLower(pu.Host) {
	case "totp":
		u.Kind = TOTPKind
	case "hotp":
		u.Kind = HOTPKind
	default:
		return u, &URIError{Field: "type", Reason: "not totp or hotp"}
	}
	label, ok := strings.CutPrefix(pu.Path, "/")
	if !ok || label == "" {
		return u, &URIError{Field: "label", Reason: "missing"}
	}
	if issuer, account, ok := strings.Cut(label, ":"); ok {
		u.Issuer = issuer
		u.Account = strings.TrimLeft(account, " ")
		if err := checkName("issuer", u.Issuer, true); err != nil {
			return u, err
		}
	} else {
		u.Account = label
	}
	if err := checkName("account", u.Account, true); err != nil {
		return u, err
	}

	q, err := url.ParseQuery(pu.RawQuery)
	if err != nil {
		return u, &URIError{Field: "query", Reason: "malformed"}
	}
	get := func(name string) (string, bool, error) {
		v, ok := q[name]
		if !ok {
			return "", false, nil
		}
		if len(v) != 1 {
			return "", false, &URIError{Field: name, Reason: "repeated"}
		}
		return v[0], true, nil
	}
	for name := range q {
		if name != strings.ToLower(name) {
			if _, dup := q[strings.ToLower(name)]; dup || isKnownParam(strings.ToLower(name)) {
				return u, &URIError{Field: strings.ToLower(name), Reason: "parameter name not lower case"}
			}
		}
	}

	var p Params
	if v, ok, err := get("algorithm"); err != nil {
		return u, err
	} else if ok {
		switch strings.ToUpper(v) {
		case "SHA1":
			p.Algorithm = SHA1
		case "SHA256":
			p.Algorithm = SHA256
		case "SHA512":
			p.Algorithm = SHA512
		default:
			return u, &URIError{Field: "algorithm", Reason: "not SHA1, SHA256 or SHA512"}
		}
	}
	if v, ok, err := get("digits"); err != nil {
		return u, err
	} else if ok {
		d, err := parseSmall(v, MaxDigits)
		if err != nil || d < MinDigits {
			return u, &URIError{Field: "digits", Reason: "must be 6 to 10"}
		}
		p.Digits = d
	}
	if v, ok, err := get("period"); err != nil {
		return u, err
	} else if ok {
		d, err := parseSmall(v, int(MaxPeriod/time.Second))
		if err != nil || d < 1 {
			return u, &URIError{Field: "period", Reason: "must be 1 to 3600 seconds"}
		}
		p.Period = time.Duration(d) * time.Second
	}
	if v, ok, err := get("counter"); err != nil {
		return u, err
	} else if ok {
		if !isDecimal(v) {
			return u, &URIError{Field: "counter", Reason: "not a decimal number"}
		}
		c, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return u, &URIError{Field: "counter", Reason: "out of range"}
		}
		u.Counter = c
	} else if u.Kind == HOTPKind {
		return u, &URIError{Field: "counter", Reason: "required for hotp"}
	}
	if v, ok, err := get("issuer"); err != nil {
		return u, err
	} else if ok {
		if err := checkName("issuer", v, false); err != nil {
			return u, err
		}
		if u.Issuer != "" && v != u.Issuer {
			return u, &URIError{Field: "issuer", Reason: "does not match the label"}
		}
		u.Issuer = v
	}
	v, ok, err := get("secret")
	if err != nil {
		return u, err
	}
	if !ok {
		return u, &URIError{Field: "secret", Reason: "missing"}
	}
	raw, err := DecodeSecret(v)
	if err != nil {
		return u, &URIError{Field: "secret", Reason: "not Base32", Err: err}
	}
	u.Key, err = NewKey(raw, p)
	clear(raw)
	if err != nil {
		return u, &URIError{Field: "secret", Reason: "unusable key", Err: err}
	}
	return u, nil
}

func isKnownParam(name string) bool {
	switch name {
	case "secret", "issuer", "algorithm", "digits", "period", "counter":
		return true
	}
	return false
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseSmall parses a decimal number from 0 to maxV.
func parseSmall(s string, maxV int) (int, error) {
	if !isDecimal(s) || len(s) > 6 {
		return 0, ErrParams
	}
	n, _ := strconv.Atoi(s)
	if n > maxV {
		return 0, ErrParams
	}
	return n, nil
}
