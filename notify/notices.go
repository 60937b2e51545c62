package notify

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/servicepass"
)

// Secret is a credential carried by a notice (a service password, a new
// passcode, a one-time PIN). It prints as [REDACTED] under fmt, log/slog and
// JSON; only the rendered email bodies contain its value. It is the same
// type as the domain packages' secret aliases, so their values assign
// directly.
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

// NewSecret wraps a credential's text.
func NewSecret(s string) Secret { return secret.New(s) }

// SecretBytes is raw data that shows a credential or may: the PNG of a
// code's QR symbol (servicepass.Issued.QRPNG), an inline part's data
// ([Inline.Data]). It prints as [REDACTED] under fmt (%#v adds the length),
// log/slog and JSON; Reveal returns a copy of the bytes, Len their number.
// It is the same type as servicepass.QRImage, so an issued QR image assigns
// directly.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() []byte returns a copy of the bytes; call it only where they
//     must be handed on (attached to the mail, written to the file asked for).
//   - Len() int is their number; IsZero() bool reports that there are none.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED] (%#v adds the length).
type SecretBytes = secret.Bytes

// NewSecretBytes copies b into a [SecretBytes].
func NewSecretBytes(b []byte) SecretBytes { return secret.NewBytes(b) }

// ServicePassword is the email that delivers a service password to the
// person who will type it (or scan it) on the device. It is made from what
// servicepass.Issuer.Issue returned, as it is: the device, its mode, the
// actions, the expiry (for a day-valid code, its one date), the device's
// zone, the privileged window and the code come from Issued alone, so the
// email cannot disagree with the code. [ServicePassMailer] builds it for the
// issuer's mail port.
type ServicePassword struct {
	// To lists the recipients. Required.
	To []string
	// Language is the recipient's language preference: a BCP 47 tag or an
	// Accept-Language list (see [Negotiate]). Zero: English.
	Language string
	// DeviceName is the device's display name, for the subject and the
	// body: people know a device by its name. Zero: the email names the
	// device by Issued.DeviceID.
	DeviceName string
	// Issued is the service password, as servicepass.Issuer.Issue returned
	// it. Required: its DeviceID (unless DeviceName is set), Display (the
	// code shown), ExpiresAt, and a Mode and Actions that
	// servicepass.CheckRules accepts. The email shows:
	//   - the actions in words, in servicepass's bit order; Unlock on a COPE
	//     device as unlocking the work profile; for
	//     RemoveNetworkRestrictions, exactly the policies
	//     servicepass.NetworkPolicies(Mode) lists;
	//   - ExpiresAt in Location (the device's zone, named), or in the
	//     catalog's zone when Location is nil; for a day-valid code only
	//     ExpiryDate, on the device's calendar (DayValid must be what
	//     servicepass.DayValid says for Mode and Actions);
	//   - Window, when positive, in whole minutes rounded up;
	//   - QRPNG, when set, inline in the HTML body.
	Issued servicepass.Issued
}

// PasscodeReset is the email that tells the acting admin or the device user
// about a device passcode reset: the new passcode, or, when the platform
// clears the passcode instead (iOS), what to do next.
type PasscodeReset struct {
	// To lists the recipients. Required.
	To []string
	// Language is the recipient's language preference (see [Negotiate]).
	Language string
	// TimeZone is the zone in which times are shown. Zero: the catalog's
	// default.
	TimeZone *time.Location
	// DeviceName is the device's display name. DeviceName or DeviceID is
	// required.
	DeviceName string
	// DeviceID is the device's identifier.
	DeviceID string
	// NewPasscode is the passcode the device was given. Exactly one of
	// NewPasscode and Cleared is set.
	NewPasscode Secret
	// Cleared reports that the passcode was removed and the user must set a
	// new one.
	Cleared bool
	// ExpiresAt is, with NewPasscode, when the reset request lapses; with
	// Cleared, the time by which the user must set a new passcode. Zero: not
	// mentioned.
	ExpiresAt time.Time
}

// CompanyPasscodeAlert is the security alert sent to a site's admins when
// the site's company enrollment passcode locks after failed attempts.
type CompanyPasscodeAlert struct {
	// To lists the recipients (the site's admins). Required.
	To []string
	// Language is the recipients' language preference (see [Negotiate]).
	Language string
	// TimeZone is the zone in which times are shown. Zero: the catalog's
	// default.
	TimeZone *time.Location
	// Site is the site's display name. Required.
	Site string
	// Attempts is the number of failed attempts that led to the lock.
	Attempts int
	// LastFailure is when the last failed attempt happened. Zero: not shown.
	LastFailure time.Time
	// LastSource describes where the last attempt came from (an IP address,
	// a device). Zero: not shown.
	LastSource string
	// Rule is the lockout rule that locked the passcode (in a row at the
	// site, in a row from one source, or the rate at the site), shown in
	// the recipients' language. Zero: not shown; a value enrollment does not
	// define is refused.
	Rule enrollment.Rule
}

// OneTimePIN is the email that delivers a self-service portal one-time PIN
// to its user.
type OneTimePIN struct {
	// To lists the recipients. Required.
	To []string
	// Language is the recipient's language preference (see [Negotiate]).
	Language string
	// TimeZone is the zone in which times are shown. Zero: the catalog's
	// default.
	TimeZone *time.Location
	// User is the user name the PIN was issued to. Required.
	User string
	// PIN is the one-time PIN. Required.
	PIN Secret
	// ExpiresAt is when the PIN stops working. Required.
	ExpiresAt time.Time
}

func (n ServicePassword) describe() description {
	iss := n.Issued
	zone := ""
	if iss.Location != nil {
		zone = iss.Location.String()
	}
	expires := ""
	if !iss.ExpiresAt.IsZero() {
		expires = iss.ExpiresAt.Format(time.RFC3339)
	}
	return description{name: "notify.ServicePassword", fields: []slog.Attr{
		slog.Any("To", append([]string{}, n.To...)),
		slog.String("Language", n.Language),
		slog.String("DeviceName", n.DeviceName),
		slog.String("Issued.DeviceID", iss.DeviceID),
		slog.String("Issued.Mode", iss.Mode.String()),
		slog.String("Issued.Actions", iss.Actions.String()),
		slog.String("Issued.Code", redacted(!iss.Code.IsZero())),
		slog.String("Issued.Display", redacted(!iss.Display.IsZero())),
		slog.String("Issued.ExpiresAt", expires),
		slog.Bool("Issued.DayValid", iss.DayValid),
		slog.String("Issued.ExpiryDate", expiryDate(iss.ExpiryDate)),
		slog.String("Issued.Location", zone),
		slog.String("Issued.Window", iss.Window.String()),
		slog.Uint64("Issued.Serial", uint64(iss.Serial)),
		slog.Uint64("Issued.KeyID", uint64(iss.KeyID)),
		slog.String("Issued.QRPNG", redacted(!iss.QRPNG.IsZero())),
	}}
}

// String describes n with its code (Issued.Code and Issued.Display) and
// Issued.QRPNG (an image of the code) redacted.
func (n ServicePassword) String() string { return n.describe().String() }

// Format implements fmt.Formatter: every verb prints [ServicePassword.String].
func (n ServicePassword) Format(f fmt.State, verb rune) { n.describe().format(f, verb) }

// LogValue implements slog.LogValuer with the code and its QR image
// redacted.
func (n ServicePassword) LogValue() slog.Value { return n.describe().logValue() }

// MarshalJSON implements json.Marshaler with the code and its QR image
// redacted.
func (n ServicePassword) MarshalJSON() ([]byte, error) { return n.describe().marshalJSON() }

func expiryDate(d servicepass.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}
