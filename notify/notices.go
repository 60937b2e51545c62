package notify

import (
	"fmt"
	"log/slog"
	"strings"
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
// code's QR symbol ([ServicePassword.QRPNG]), an inline part's data
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

// Action names a service-password action in a [ServicePassword] notice; the
// catalog renders it in words in the recipient's language.
//
// [ParseAction] accepts the names below in any case and with or without
// separators, so "DisableKiosk", "disable_kiosk" and "disable-kiosk" are the
// same action.
type Action string

// The actions a service password can grant (see the servicepass package).
const (
	// ActionUnlock leaves Lost Mode.
	ActionUnlock Action = "unlock"
	// ActionUnlockWorkProfile unlocks the work profile (Unlock on a COPE
	// device).
	ActionUnlockWorkProfile Action = "unlock-work-profile"
	// ActionDisableKiosk leaves kiosk mode.
	ActionDisableKiosk Action = "disable-kiosk"
	// ActionRemoveNetworkRestrictions lifts the network policies of the
	// device's mode (see ServicePassword.Mode).
	ActionRemoveNetworkRestrictions Action = "remove-network-restrictions"
	// ActionAllowDeveloperOptions allows the developer options.
	ActionAllowDeveloperOptions Action = "allow-developer-options"
	// ActionAllowDeactivation allows deactivating device management.
	ActionAllowDeactivation Action = "allow-deactivation"
	// ActionAllowFactoryReset allows a factory reset.
	ActionAllowFactoryReset Action = "allow-factory-reset"
	// ActionEmergencyDatabaseReset resets the agent's database.
	ActionEmergencyDatabaseReset Action = "emergency-database-reset"
	// ActionSetPassword sets a new device password (COPE, day-valid codes).
	ActionSetPassword Action = "set-password"
)

// actions lists every Action with its message key, in display order.
var actions = []struct {
	a   Action
	key string
}{
	{ActionUnlock, "action.unlock"},
	{ActionUnlockWorkProfile, "action.unlock_work_profile"},
	{ActionDisableKiosk, "action.disable_kiosk"},
	{ActionRemoveNetworkRestrictions, "action.remove_network_restrictions"},
	{ActionAllowDeveloperOptions, "action.allow_developer_options"},
	{ActionAllowDeactivation, "action.allow_deactivation"},
	{ActionAllowFactoryReset, "action.allow_factory_reset"},
	{ActionEmergencyDatabaseReset, "action.emergency_database_reset"},
	{ActionSetPassword, "action.set_password"},
}

// Actions returns every action this package has words for.
func Actions() []Action {
	out := make([]Action, len(actions))
	for i, a := range actions {
		out[i] = a.a
	}
	return out
}

// ParseAction returns the Action named s, ignoring case and the separators
// '-', '_', '.' and space, and false when there is none.
func ParseAction(s string) (Action, bool) {
	i := actionIndex(s)
	if i < 0 {
		return "", false
	}
	return actions[i].a, true
}

func actionIndex(s string) int {
	if len(s) > 64 {
		return -1
	}
	n := squash(s)
	for i, a := range actions {
		if squash(string(a.a)) == n {
			return i
		}
	}
	return -1
}

func squash(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ServicePassword is the email that delivers a service password to the
// person who will type it (or scan it) on the device.
type ServicePassword struct {
	// To lists the recipients. Required.
	To []string
	// Language is the recipient's language preference: a BCP 47 tag or an
	// Accept-Language list (see [Negotiate]). Zero: English.
	Language string
	// TimeZone is the zone in which times are shown (with its abbreviation).
	// Zero: the catalog's default (UTC unless configured).
	TimeZone *time.Location
	// DeviceName is the device's display name. DeviceName or DeviceID is
	// required.
	DeviceName string
	// DeviceID is the device's identifier (serial number, UDID, ...).
	DeviceID string
	// Actions lists what the password allows. Required; each must be known
	// to [ParseAction].
	Actions []Action
	// Mode is the device's activation mode. It decides which network
	// policies the email lists under [ActionRemoveNetworkRestrictions]:
	// exactly those servicepass.NetworkPolicies(Mode) returns (private DNS
	// only on COPE). Zero: servicepass.DeviceOwner.
	Mode servicepass.Mode
	// ExpiresAt is when the password stops working. Required. A day-valid
	// code shows ExpiryDate instead.
	ExpiresAt time.Time
	// DayValid marks a code valid until the end of a calendar day on the
	// device (COPE SetPassword): only that date, ExpiryDate, is shown.
	DayValid bool
	// ExpiryDate is, for a day-valid code (and required there), its last
	// valid day on the device's calendar, as servicepass issued it
	// (servicepass.Issued.ExpiryDate): shown as it is, in no time zone.
	ExpiryDate servicepass.Date
	// Window is how long the granted actions hold once the password is
	// entered. Zero: not mentioned.
	Window time.Duration
	// Code is the service password in its display form. Required.
	Code Secret
	// QRPNG is a PNG of the code's QR symbol, embedded inline and shown in
	// the HTML body. Zero: no QR.
	QRPNG SecretBytes
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
	acts := make([]string, len(n.Actions))
	for i, a := range n.Actions {
		acts[i] = string(a)
	}
	zone := ""
	if n.TimeZone != nil {
		zone = n.TimeZone.String()
	}
	expires := ""
	if !n.ExpiresAt.IsZero() {
		expires = n.ExpiresAt.Format(time.RFC3339)
	}
	return description{name: "notify.ServicePassword", fields: []slog.Attr{
		slog.Any("To", append([]string{}, n.To...)),
		slog.String("Language", n.Language),
		slog.String("TimeZone", zone),
		slog.String("DeviceName", n.DeviceName),
		slog.String("DeviceID", n.DeviceID),
		slog.Any("Actions", acts),
		slog.String("Mode", n.Mode.String()),
		slog.String("ExpiresAt", expires),
		slog.Bool("DayValid", n.DayValid),
		slog.String("ExpiryDate", expiryDate(n.ExpiryDate)),
		slog.String("Window", n.Window.String()),
		slog.String("Code", redacted(!n.Code.IsZero())),
		slog.String("QRPNG", redacted(!n.QRPNG.IsZero())),
	}}
}

// String describes n with its Code and QRPNG (an image of the code)
// redacted.
func (n ServicePassword) String() string { return n.describe().String() }

// Format implements fmt.Formatter: every verb prints [ServicePassword.String].
func (n ServicePassword) Format(f fmt.State, verb rune) { n.describe().format(f, verb) }

// LogValue implements slog.LogValuer with the Code and QRPNG redacted.
func (n ServicePassword) LogValue() slog.Value { return n.describe().logValue() }

// MarshalJSON implements json.Marshaler with the Code and QRPNG redacted.
func (n ServicePassword) MarshalJSON() ([]byte, error) { return n.describe().marshalJSON() }

func expiryDate(d servicepass.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}
