package amapi_test

import (
	"context"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"google.golang.org/api/androidmanagement/v1"
	"google.golang.org/api/option"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/android/amapi"
	"github.com/mdmcred/mdmcred/android/androidtest"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

// TestSharedFake runs Google's client against android/androidtest, the
// standard-library fake the console uses: its Operations are ones Google's
// client decodes and the lifecycle reads, and its devices answer as
// documented there.
func TestSharedFake(t *testing.T) {
	R, P, A, S, F := passcode.Requested, passcode.Pending, passcode.Acknowledged, passcode.Succeeded, passcode.Failed
	clock := mdmcredtest.NewClock(start)
	fake := androidtest.New(androidtest.Config{Now: clock.Now})
	if !fake.AddDevice(device, androidtest.Device{APILevel: 34}) {
		t.Fatal("AddDevice")
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	svc, err := androidmanagement.NewService(context.Background(), option.WithEndpoint(srv.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	c, err := amapi.New(amapi.Config{Service: svc, Now: clock.Now, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ps := newPasscodeService(t, passcode.NewMemStore(), clock.Now, nil)
	ctx := context.Background()

	for _, tc := range []struct {
		name   string
		device passcode.Device // as the host's inventory has it
		want   android.Outcome
		trail  []passcode.State
	}{
		{"Android 14, 6 digits", passcode.Device{ID: "3a1", Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 34,
			Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: 4, MaxLength: 6}}, android.Outcome{State: S}, []passcode.State{R, P, A, S}},
		// The inventory says Android 13; the device runs 14 and refuses
		// 4 digits.
		{"inventory out of date", passcode.Device{ID: "3a1", Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 33,
			Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: 4}}, android.Outcome{State: F, Reason: "INVALID_VALUE"}, []passcode.State{R, F}},
	} {
		res, err := ps.Request(ctx, passcode.ResetRequest{Device: tc.device, Actor: "admin@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		op, err := c.ResetPassword(ctx, ps, res, device, 0, android.Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := c.Await(ctx, ps, res.Reset.ID, op.Name)
		if err != nil || got != tc.want {
			t.Fatalf("%s: Await = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
		if trail := states(t, ps, res.Reset.ID); !reflect.DeepEqual(trail, tc.trail) {
			t.Fatalf("%s: events %v, want %v", tc.name, trail, tc.trail)
		}
		clock.Advance(time.Minute)
	}

	// Lost Mode a minute after a reset: refused with its status.
	body, err := android.StartLostModeCommand(android.LostMode{Message: android.Message{Default: "Call IT"}}, android.Options{})
	if err != nil {
		t.Fatal(err)
	}
	op, err := c.Issue(ctx, device, body)
	if err != nil {
		t.Fatal(err)
	}
	if op, err = c.Get(ctx, op.Name); err != nil || op.Outcome(clock.Now()) != (android.Outcome{State: F, Reason: "RESET_PASSWORD_RECENTLY"}) {
		t.Fatalf("START_LOST_MODE: %+v %v", op.Outcome(clock.Now()), err)
	}
}
