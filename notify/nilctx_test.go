package notify_test

import (
	"context"
	"testing"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/notify"
)

// TestNilContext: every function and method of notify that takes a context
// refuses a nil one with ErrNilContext, sends nothing and does not panic.
func TestNilContext(t *testing.T) {
	n, rec := newNotifier(t)
	var called bool
	f := notify.MailerFunc(func(context.Context, notify.Message) error { called = true; return nil })
	got := gentest.CheckNilContext(t, notify.ErrNilContext,
		n, rec, f, &notify.Outbox{}, &notify.SMTP{},
		notify.ServicePassMailer{Notifier: n}, notify.EnrollmentAlerter{Notifier: n}, notify.PasscodeMailer{Notifier: n})
	if got != 11 {
		t.Errorf("reached %d functions, want 11", got)
	}
	if len(rec.Messages()) != 0 || called {
		t.Error("a message was sent under a nil context")
	}
}
