package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// everyCall calls every method of every store once, with valid arguments,
// and returns the errors by name.
func everyCall(ctx context.Context, o *postgres.OTPStore, e *postgres.EnrollmentStore, p *postgres.PasscodeStore, s *postgres.ServicepassStore) map[string]error {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r := passcode.Reset{ID: "r", DeviceID: "d", State: passcode.Requested, OpenDevice: "d", Rev: 1}
	ev := passcode.Event{Kind: passcode.EventTransition, ResetID: "r", DeviceID: "d", To: passcode.Requested, At: t0}
	calls := map[string]error{
		"otp Put":              o.Put(ctx, otp.PINRecord{User: "u", Digest: []byte{1}}),
		"otp Load":             func() error { _, err := o.Load(ctx, "u"); return err }(),
		"otp Write":            o.Write(ctx, otp.PINRecord{User: "u", Rev: 1}, 0),
		"otp LoadTOTP":         func() error { _, err := o.LoadTOTP(ctx, "u"); return err }(),
		"otp WriteTOTP":        o.WriteTOTP(ctx, otp.TOTPState{Subject: "u", Rev: 1}, 0),
		"enrollment Write":     e.Write(ctx, enrollment.Record{Site: "s", Digest: []byte{1}, Rev: 1}, 0, []enrollment.Event{{Site: "s", Kind: enrollment.EventGenerated, At: t0}}),
		"enrollment Update":    e.Write(ctx, enrollment.Record{Site: "s", Digest: []byte{1}, Rev: 2, Lockout: enrollment.Lockout{Failures: 1}}, 1, nil),
		"enrollment Append":    e.Append(ctx, "s", 1, []enrollment.Event{{Site: "s", Kind: enrollment.EventUsed, At: t0, Source: "src"}}),
		"passcode Write":       p.Write(ctx, r, 0, []passcode.Event{ev}),
		"passcode Write (CAS)": func() error { r.Rev = 2; return p.Write(ctx, r, 1, []passcode.Event{ev, ev}) }(),
		"passcode Append":      p.Append(ctx, ev),
		"servicepass Record":   s.Record(ctx, servicepass.Event{Type: servicepass.EventIssued, DeviceID: "d", At: t0}),
	}
	_, calls["enrollment Load"] = e.Load(ctx, "s")
	_, calls["enrollment Lookup"] = e.Lookup(ctx, []byte{1})
	_, calls["enrollment Events"] = e.Events(ctx, "s")
	_, calls["passcode Load"] = p.Load(ctx, "r")
	_, calls["passcode Open"] = p.Open(ctx, "d")
	_, calls["passcode Events"] = p.Events(ctx, passcode.EventQuery{DeviceID: "d"})
	_, calls["passcode Stale"] = p.Stale(ctx, t0, 10)
	_, calls["servicepass Events (device)"] = s.Events(ctx, "d")
	_, calls["servicepass Events (all)"] = s.Events(ctx, "")
	return calls
}

var domainSentinels = []error{otp.ErrPINNotFound, enrollment.ErrNoPasscode, enrollment.ErrNotFound, enrollment.ErrDuplicate,
	enrollment.ErrConflict, enrollment.ErrDisabled, enrollment.ErrLocked, passcode.ErrNotFound, passcode.ErrResetInProgress,
	passcode.ErrDuplicateID, passcode.ErrStateChanged, passcode.ErrInvalidTransition, passcode.ErrConflict}

// A server error (here: the tables are missing, Migrate was never called)
// comes back as an error from every method, never as a domain answer such
// as "not found", and is prefixed with the package and operation.
func TestServerErrorsAreNotDomainAnswers(t *testing.T) {
	db := open(t, newSchema(t))
	calls := everyCall(context.Background(), postgres.NewOTPStore(db), postgres.NewEnrollmentStore(db),
		postgres.NewPasscodeStore(db), postgres.NewServicepassStore(db))
	for name, err := range calls {
		if err == nil {
			t.Errorf("%s without tables succeeded", name)
			continue
		}
		for _, s := range domainSentinels {
			if errors.Is(err, s) {
				t.Errorf("%s without tables: %v, a domain answer", name, err)
			}
		}
		if !strings.HasPrefix(err.Error(), "postgres: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
}

// A canceled context fails every method and changes nothing.
func TestCanceledContext(t *testing.T) {
	db := migrated(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, err := range everyCall(ctx, postgres.NewOTPStore(db), postgres.NewEnrollmentStore(db),
		postgres.NewPasscodeStore(db), postgres.NewServicepassStore(db)) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: %v, want context.Canceled", name, err)
		}
	}
	for _, table := range []string{"mdmcred_otp_pin", "mdmcred_enrollment_passcode", "mdmcred_enrollment_event",
		"mdmcred_passcode_reset", "mdmcred_passcode_event", "mdmcred_servicepass_event"} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s has %d rows after canceled calls (%v)", table, n, err)
		}
	}
}
