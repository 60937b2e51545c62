package passcode_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/internal/ident"
	"github.com/mdmcred/mdmcred/passcode"
)

// TestAndroidPolicyTooLongIsNotRecorded: a reset of an Android device
// whose policy allows more than 16 characters is refused with the
// platform's reason, and no reset or event is stored.
func TestAndroidPolicyTooLongIsNotRecorded(t *testing.T) {
	f := newFixture(t, nil)
	d := pixel("d1")
	d.Policy = passcode.Policy{Kind: passcode.Complex, MinLength: 12, MaxLength: 24}
	_, err := f.svc.Request(context.Background(), passcode.ResetRequest{Device: d, Actor: "admin"})
	var ue *passcode.UnsupportedError
	if !errors.As(err, &ue) || ue.Platform != passcode.AndroidDeviceOwner {
		t.Fatalf("Request = %v, want an *UnsupportedError", err)
	}
	if _, err := f.store.Open(context.Background(), "d1"); !errors.Is(err, passcode.ErrNotFound) {
		t.Fatalf("a refused reset was stored: %v", err)
	}
	d.Policy.MaxLength = passcode.AndroidMaxLength
	if _, err := f.svc.Request(context.Background(), passcode.ResetRequest{Device: d, Actor: "admin"}); err != nil {
		t.Fatalf("a 12-16 policy was refused: %v", err)
	}
}

// FuzzRequestIdentifiers: for any device ID and actor, Request either
// succeeds, for identifiers the one rule accepts, or returns an
// *ParamError naming the refused field; it never panics.
func FuzzRequestIdentifiers(f *testing.F) {
	for _, id := range gentest.BadIdents(passcode.MaxIDLen) {
		f.Add(id.Value, "admin")
		f.Add("device", id.Value)
	}
	for _, id := range gentest.GoodIdents(passcode.MaxIDLen) {
		f.Add(id.Value, id.Value)
	}
	svc, err := passcode.New(passcode.Config{Store: passcode.NewMemStore(),
		SealKeys: passcode.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{1}, 32)}), SealKeyID: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, device, actor string) {
		d := pixel(device)
		d.Owner = ""
		res, err := svc.Request(context.Background(), passcode.ResetRequest{Device: d, Actor: actor})
		var ie *passcode.ParamError
		switch {
		case device == "" || actor == "":
			if !errors.Is(err, passcode.ErrParams) {
				t.Fatalf("empty identifier: %v", err)
			}
		case ident.Check(actor, passcode.MaxIDLen) != nil:
			if !errors.As(err, &ie) || ie.Field != "Actor" {
				t.Fatalf("bad actor: %v", err)
			}
		case ident.Check(device, passcode.MaxIDLen) != nil:
			if !errors.As(err, &ie) || ie.Field != "Device.ID" {
				t.Fatalf("bad device ID: %v", err)
			}
		case errors.Is(err, passcode.ErrResetInProgress):
		case err != nil:
			t.Fatalf("good identifiers refused: %v", err)
		default:
			if res.Reset.DeviceID != device || res.Reset.RequestedBy != actor {
				t.Fatalf("identifiers changed on the way: %q %q", res.Reset.DeviceID, res.Reset.RequestedBy)
			}
		}
	})
}
