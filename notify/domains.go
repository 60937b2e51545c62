package notify

import (
	"context"
	"fmt"
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
// Wire it as servicepass.IssuerConfig.Mailer.
type ServicePassMailer struct {
	// Notifier renders and sends. Required.
	Notifier *Notifier
	// TimeZone is where the recipient reads times when the issue names no
	// device zone. Zero: the catalog's default. An email whose issue
	// carries the device's zone (servicepass.Request.Location, from the
	// device's provisioning) shows its expiry in that zone and names it
	// ("2026-11-23 11:00 CET (Europe/Berlin)"); a day-valid code always
	// shows its expiry date on the device's calendar.
	TimeZone *time.Location
	// Window is the privileged window the device opens on use, mentioned
	// in the mail. Zero: servicepass.DefaultWindow.
	Window time.Duration
	// DeviceName returns a device's display name from its ID (the host's
	// inventory), for the subject and the body: people know a device by
	// its name. Zero, or an empty name: the email names the device by its
	// ID.
	DeviceName func(deviceID string) string `json:"-"`
}

// SendServicePassword implements servicepass.Mailer.
func (a ServicePassMailer) SendServicePassword(ctx context.Context, e servicepass.Email) error {
	if ctx == nil {
		return ErrNilContext
	}
	if a.Notifier == nil {
		return fmt.Errorf("%w: ServicePassMailer has no Notifier", ErrConfig)
	}
	zone := a.TimeZone
	if e.Location != nil {
		// The device's zone: the code expires on the device's clock.
		zone = e.Location
	}
	window := a.Window
	if window == 0 {
		window = servicepass.DefaultWindow
	}
	if e.DayValid && e.ExpiryDate.IsZero() {
		// servicepass sets it on every day-valid code: the one date the
		// email shows, computed once, by the issuer.
		return fmt.Errorf("%w: service password: day-valid without ExpiryDate", ErrInvalidNotice)
	}
	name := ""
	if a.DeviceName != nil {
		name = a.DeviceName(e.DeviceID)
	}
	return a.Notifier.SendServicePassword(ctx, ServicePassword{
		To:         []string{e.To},
		Language:   e.Language,
		TimeZone:   zone,
		DeviceID:   e.DeviceID,
		DeviceName: name,
		Mode:       e.Mode,
		Actions:    ServicePassActions(e.Mode, e.Actions),
		ExpiresAt:  e.ExpiresAt,
		DayValid:   e.DayValid,
		ExpiryDate: e.ExpiryDate,
		Window:     window,
		Code:       e.Code,
		QRPNG:      e.QRPNG,
	})
}

// ServicePassActions names a service password's actions for a notice, in
// servicepass's order; on COPE, Unlock opens the work profile, and the
// notice says so.
func ServicePassActions(mode servicepass.Mode, actions servicepass.Actions) []Action {
	var out []Action
	for _, a := range actions.List() {
		na, ok := servicePassAction[a]
		if !ok {
			continue // a bit servicepass does not define; CheckRules refuses it
		}
		if a == servicepass.Unlock && mode == servicepass.COPE {
			na = ActionUnlockWorkProfile
		}
		out = append(out, na)
	}
	return out
}

// servicePassAction is each servicepass action's notice action: one table,
// not the action's printed name parsed again.
var servicePassAction = map[servicepass.Actions]Action{
	servicepass.Unlock:                    ActionUnlock,
	servicepass.DisableKiosk:              ActionDisableKiosk,
	servicepass.RemoveNetworkRestrictions: ActionRemoveNetworkRestrictions,
	servicepass.AllowDeveloperOptions:     ActionAllowDeveloperOptions,
	servicepass.AllowDeactivation:         ActionAllowDeactivation,
	servicepass.AllowFactoryReset:         ActionAllowFactoryReset,
	servicepass.EmergencyDatabaseReset:    ActionEmergencyDatabaseReset,
	servicepass.SetPassword:               ActionSetPassword,
}

// EnrollmentAlerter sends enrollment.Service's lock alerts through a
// Notifier. Wire it as enrollment.Config.Alerter.
type EnrollmentAlerter struct {
	// Notifier renders and sends. Required.
	Notifier *Notifier
	// Fallback receives the alert when the site has no admins on record
	// (a security mailbox). Zero: such an alert fails with ErrInvalidNotice.
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
		return fmt.Errorf("%w: EnrollmentAlerter has no Notifier", ErrConfig)
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
		return fmt.Errorf("%w: PasscodeMailer has no Notifier", ErrConfig)
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
