package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// Strings a text column cannot hold are refused with ErrText before any
// query (the stores here have no database at all), and the error names
// the field, never the value.
func TestTextRefused(t *testing.T) {
	ctx := context.Background()
	o, e, p, s := postgres.NewOTPStore(nil), postgres.NewEnrollmentStore(nil), postgres.NewPasscodeStore(nil), postgres.NewServicepassStore(nil)
	for _, bad := range []string{"nul\x00", "\xff\xfe"} {
		calls := map[string]error{
			"otp Put":               o.Put(ctx, otp.PINRecord{User: bad}),
			"otp Load":              func() error { _, err := o.Load(ctx, bad); return err }(),
			"otp Write":             o.Write(ctx, otp.PINRecord{User: bad, Rev: 1}, 0),
			"otp LoadTOTP":          func() error { _, err := o.LoadTOTP(ctx, bad); return err }(),
			"otp WriteTOTP":         o.WriteTOTP(ctx, otp.TOTPState{Subject: bad, Rev: 1}, 0),
			"enrollment Write":      e.Write(ctx, enrollment.Record{Site: "s", GeneratedBy: bad, Rev: 1}, 0, nil),
			"enrollment Disabled":   e.Write(ctx, enrollment.Record{Site: "s", DisabledBy: bad, Rev: 2}, 1, nil),
			"enrollment Site":       e.Write(ctx, enrollment.Record{Site: bad, Rev: 1}, 0, nil),
			"enrollment Update":     e.Write(ctx, enrollment.Record{Site: "s", Lockout: enrollment.Lockout{LastSource: bad}, Rev: 2}, 1, nil),
			"enrollment Sources":    e.Write(ctx, enrollment.Record{Site: "s", Lockout: enrollment.Lockout{Sources: []enrollment.SourceFailures{{Source: bad}}}, Rev: 2}, 1, nil),
			"enrollment Event":      e.Write(ctx, enrollment.Record{Site: "s", Rev: 2}, 1, []enrollment.Event{{Site: "s", Actor: bad}}),
			"enrollment AppendSite": e.Append(ctx, bad, 1, nil),
			"enrollment Append":     e.Append(ctx, "s", 1, []enrollment.Event{{Site: "s", Source: bad}}),
			"passcode Write":        p.Write(ctx, passcode.Reset{ID: "r", DeviceID: bad, Rev: 1}, 0, nil),
			"passcode Write open":   p.Write(ctx, passcode.Reset{ID: "r", OpenDevice: bad, Rev: 2}, 1, nil),
			"passcode Write event":  p.Write(ctx, passcode.Reset{ID: "r", Rev: 1}, 0, []passcode.Event{{ResetID: "r"}, {ResetID: "r", Actor: bad}}),
			"passcode Write ID":     p.Write(ctx, passcode.Reset{ID: bad, Rev: 2}, 1, []passcode.Event{{}}),
			"passcode Append":       p.Append(ctx, passcode.Event{ResetID: bad}),
			"servicepass Record":    s.Record(ctx, servicepass.Event{Detail: bad}),
		}
		_, calls["enrollment Load"] = e.Load(ctx, bad)
		_, calls["enrollment Events"] = e.Events(ctx, bad)
		_, calls["passcode Load"] = p.Load(ctx, bad)
		_, calls["passcode Open"] = p.Open(ctx, bad)
		_, calls["passcode Events"] = p.Events(ctx, passcode.EventQuery{DeviceID: bad})
		_, calls["servicepass Events"] = s.Events(ctx, bad)
		for name, err := range calls {
			var te *postgres.TextError
			if !errors.Is(err, postgres.ErrText) || !errors.As(err, &te) || te.Field == "" {
				t.Errorf("%s with %q: %v, want a *TextError matching ErrText", name, bad, err)
			}
		}
	}
}

// Instants go in in any location with nanoseconds and come back in UTC,
// truncated to the microsecond, whatever the session's TimeZone.
func TestTimesReadBackInUTC(t *testing.T) {
	db := open(t, newSchema(t, "TimeZone", "Asia/Kathmandu"))
	if err := postgres.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	loc := time.FixedZone("UTC-3:30", -(3*3600 + 1800))
	at := time.Date(2026, 3, 1, 9, 30, 15, 123456789, loc)
	want := at.UTC().Truncate(time.Microsecond)
	sameUTC := func(name string, got time.Time) {
		t.Helper()
		if got.Location() != time.UTC || !got.Equal(want) {
			t.Errorf("%s = %v (%v), want %v in UTC", name, got, got.Location(), want)
		}
	}

	es := postgres.NewEnrollmentStore(db)
	if err := putRecord(ctx, es, enrollment.Record{Site: "s", Digest: []byte{1}, GeneratedAt: at, DisabledAt: at,
		Lockout: enrollment.Lockout{LastFailure: at, LockedAt: at, RateStart: at}}); err != nil {
		t.Fatal(err)
	}
	r, err := es.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]time.Time{"GeneratedAt": r.GeneratedAt, "DisabledAt": r.DisabledAt, "LastFailure": r.LastFailure, "LockedAt": r.LockedAt, "RateStart": r.RateStart} {
		sameUTC(name, got)
	}

	ots := postgres.NewOTPStore(db)
	if err := ots.Put(ctx, otp.PINRecord{User: "u", Digest: []byte{1}, IssuedAt: at, ExpiresAt: at, LastFailure: at}); err != nil {
		t.Fatal(err)
	}
	p, err := ots.Load(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	sameUTC("IssuedAt", p.IssuedAt)
	sameUTC("ExpiresAt", p.ExpiresAt)
	sameUTC("LastFailure", p.LastFailure)

	ps := postgres.NewPasscodeStore(db)
	if err := ps.Write(ctx, passcode.Reset{ID: "r", DeviceID: "d", State: passcode.Requested, RequestedAt: at, UpdatedAt: at, StaleAt: at, RetainUntil: at, Rev: 1},
		0, []passcode.Event{{ResetID: "r", DeviceID: "d", At: at}}); err != nil {
		t.Fatal(err)
	}
	pr, err := ps.Load(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]time.Time{"RequestedAt": pr.RequestedAt, "UpdatedAt": pr.UpdatedAt, "StaleAt": pr.StaleAt, "RetainUntil": pr.RetainUntil} {
		sameUTC(name, got)
	}
	evs, err := ps.Events(ctx, passcode.EventQuery{ResetID: "r"})
	if err != nil || len(evs) != 1 {
		t.Fatal(evs, err)
	}
	sameUTC("passcode Event.At", evs[0].At)

	ss := postgres.NewServicepassStore(db)
	if err := ss.Record(ctx, servicepass.Event{Type: servicepass.EventIssued, At: at, ExpiresAt: at, DeviceID: "d"}); err != nil {
		t.Fatal(err)
	}
	sevs, err := ss.Events(ctx, "d")
	if err != nil || len(sevs) != 1 {
		t.Fatal(sevs, err)
	}
	sameUTC("servicepass At", sevs[0].At)
	sameUTC("servicepass ExpiresAt", sevs[0].ExpiresAt)

	// The zero time is NULL, and comes back zero.
	if err := putRecord(ctx, es, enrollment.Record{Site: "z", Digest: []byte{2}}); err != nil {
		t.Fatal(err)
	}
	var nulls int
	if err := db.QueryRow(`SELECT count(*) FROM mdmcred_enrollment_passcode WHERE site = 'z' AND generated_at IS NULL AND locked_at IS NULL`).Scan(&nulls); err != nil || nulls != 1 {
		t.Fatalf("zero times are not stored as NULL: %d, %v", nulls, err)
	}
	if z, err := es.Load(ctx, "z"); err != nil || !z.GeneratedAt.IsZero() || !z.LockedAt.IsZero() {
		t.Fatalf("zero times read back as %v, %v (%v)", z.GeneratedAt, z.LockedAt, err)
	}
}
