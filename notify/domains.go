package notify

import (
	"context"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
)

// The domain packages define their own narrow mail ports and never import
// notify; the adapters below are the glue a host would otherwise write,
// converting each domain notice to the matching notice here.
var (
	_ servicepass.Mailer = ServicePassMailer{}
	_ enrollment.Alerter = EnrollmentAlerter{}
	_ passcode.Mailer    = PasscodeMailer{}
)

// ServicePassMailer sends servicepass.Issuer's emails through a Notifier.
// Wire it as servicepass.IssuerConfig.Mailer. The email is made from the
// servicepass.Issued the issuer returns, as it is (see [ServicePassword]):
// the device's zone (servicepass.Request.Location, from the device's
// provisioning) and the privileged window (servicepass.IssuerConfig.Window)
// come from the issuer, never from a copy here. An issue that names no
// zone shows its expiry in the catalog's zone ([CatalogConfig.Location]).
type ServicePassMailer struct {
	// Notifier renders and sends. Required.
	Notifier *Notifier
	// DeviceName returns a device's display name from its ID (the host's
	// inventory), for the subject and the body: people know a device by
	// its name. Zero, or an empty name: the email names the device by its
	// ID.
	DeviceName func(deviceID string) string `json:"-"`
}

// SendServicePassword implements servicepass.Mailer.
func (a ServicePassMailer) SendServicePassword(ctx context.Context, to, language string, iss servicepass.Issued) error {
	if ctx == nil {
		return ErrNilContext
	}
	if a.Notifier == nil {
		return configError("ServicePassMailer.Notifier", "required")
	}
	name := ""
	if a.DeviceName != nil {
		name = a.DeviceName(iss.DeviceID)
	}
	return a.Notifier.SendServicePassword(ctx, ServicePassword{To: []string{to}, Language: language, DeviceName: name, Issued: iss})
}

// EnrollmentAlerter sends enrollment.Service's lock alerts through a
// Notifier. Wire it as enrollment.Config.Alerter.
type EnrollmentAlerter struct {
	// Notifier renders and sends. Required.
	Notifier *Notifier
	// Fallback receives the alert when the site has no admins on record
	// (a security mailbox). Zero: such an alert fails with a [*FieldError]
	// for CompanyPasscodeAlert.To, matching [ErrInvalidNotice].
	Fallback []string
	// Language is the admins' language preference. Zero: English.
	Language string
	// TimeZone is where the admins read times. Zero: the catalog's default.
	TimeZone *time.Location
}

// SendLockAlert implements enrollment.Alerter.
func (a EnrollmentAlerter) SendLockAlert(ctx context.Context, al enrollment.Alert) error {
	if ctx == nil {
		return ErrNilContext
	}
	if a.Notifier == nil {
		return configError("EnrollmentAlerter.Notifier", "required")
	}
	to := al.Admins
	if len(to) == 0 {
		to = a.Fallback
	}
	return a.Notifier.SendCompanyPasscodeAlert(ctx, CompanyPasscodeAlert{
		To:          to,
		Language:    a.Language,
		TimeZone:    a.TimeZone,
		Site:        al.Site,
		Attempts:    al.Failures,
		LastFailure: al.LastFailure,
		LastSource:  al.LastSource,
		Rule:        al.Rule,
	})
}

// PasscodeMailer sends passcode.Service's reset notices to device users
// through a Notifier. Wire it as passcode.Config.Mailer.
type PasscodeMailer struct {
	// Notifier renders and sends. Required.
	Notifier *Notifier
	// TimeZone is where the user reads times. Zero: the catalog's default.
	TimeZone *time.Location
}

// SendPasscode implements passcode.Mailer.
func (a PasscodeMailer) SendPasscode(ctx context.Context, d passcode.Delivery) error {
	if ctx == nil {
		return ErrNilContext
	}
	if a.Notifier == nil {
		return configError("PasscodeMailer.Notifier", "required")
	}
	pr := PasscodeReset{
		To:          []string{d.To},
		Language:    d.Language,
		TimeZone:    a.TimeZone,
		DeviceName:  d.DeviceName,
		DeviceID:    d.DeviceID,
		NewPasscode: d.Passcode,
		Cleared:     d.Cleared,
		ExpiresAt:   d.ExpiresAt,
	}
	if d.Cleared {
		pr.NewPasscode = Secret{}
		pr.ExpiresAt = d.SetNewBy
	}
	return a.Notifier.SendPasscodeReset(ctx, pr)
}
