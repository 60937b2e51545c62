package enrollment

import (
	"context"
	"time"
)

// Alerter delivers the security alert sent when a passcode locks. A host
// typically implements it with the notify package's Mailer and its "company
// passcode alert" template.
type Alerter interface {
	// SendLockAlert tells the site's admins that its passcode locked. It is
	// called once per lock (plus any [Service.ResendAlert]), with a context
	// that the attempt's caller cannot cancel.
	SendLockAlert(ctx context.Context, a Alert) error
}

// Alert is the content of a lock alert. It holds no secret.
type Alert struct {
	Site string
	// Admins are the recipients from Config.Admins; empty when no lookup is
	// configured, in which case the Alerter chooses (a security mailbox).
	Admins []string
	// Failures is the failure count at the lock; Threshold the configured
	// Config.Threshold (consecutive failures at the site).
	Failures  int
	Threshold int
	// Rule is the lockout rule that locked the passcode.
	Rule     Rule
	LockedAt time.Time
	// LastFailure and LastSource describe the failure that locked it.
	LastFailure time.Time
	LastSource  string
}
