package servicepass_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/internal/vectors"
)

// hmacKey is a held device key the way a phone's keystore computes it:
// HMAC-SHA256 under bytes the verifier never sees. fail makes the next
// calls fail; short makes them return too few bytes.
type hmacKey struct {
	key         []byte
	fail, short int
	calls       int
}

func (h *hmacKey) HMAC(msg []byte) ([]byte, error) {
	h.calls++
	if h.fail > 0 {
		h.fail--
		return nil, errors.New("keystore locked")
	}
	m := hmac.New(sha256.New, h.key)
	m.Write(msg)
	if h.short > 0 {
		h.short--
		return m.Sum(nil)[:8], nil
	}
	return m.Sum(nil), nil
}

// newTestIssuer is an issuer over master key 1 at vecT0.
func newTestIssuer(t *testing.T) *servicepass.Issuer {
	t.Helper()
	is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{testMaster(1)}, Now: func() time.Time { return vecT0 }})
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// heldKeyring returns keys held by hmacKey values over the material of keys.
func heldKeyring(t *testing.T, keys []servicepass.DeviceKey) []servicepass.DeviceKey {
	t.Helper()
	var held []servicepass.DeviceKey
	for _, k := range keys {
		h, err := servicepass.NewHeldDeviceKey(k.ID(), &hmacKey{key: k.Bytes()})
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, h)
	}
	return held
}

// TestHeldKeyVectors: a verifier whose keys are held decides every step
// of the code vectors exactly as one with the key bytes.
func TestHeldDeviceKeyVectors(t *testing.T) {
	cases, _, err := vectors.Load(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			p, err := servicepass.ParseProvisioning(c.Provisioning)
			if err != nil {
				t.Fatal(err)
			}
			mk := func(keys []servicepass.DeviceKey) *servicepass.Verifier {
				v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: p.DeviceID, Mode: p.Mode, HasMode: true, Keys: keys, Location: p.Location}, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			plain, held := mk(p.Keys), mk(heldKeyring(t, p.Keys))
			for i, s := range c.Steps {
				now := time.UnixMilli(s.NowMs)
				if s.Op == "window" {
					w1, e1 := plain.Window(context.Background(), now)
					w2, e2 := held.Window(context.Background(), now)
					if !reflect.DeepEqual(w1, w2) || (e1 == nil) != (e2 == nil) {
						t.Errorf("step %d: window %+v, %v; held %+v, %v", i, w1, e1, w2, e2)
					}
					continue
				}
				g1, e1 := plain.Verify(context.Background(), s.Code, now)
				g2, e2 := held.Verify(context.Background(), s.Code, now)
				if resultName(e1) != resultName(e2) || !reflect.DeepEqual(g1, g2) {
					t.Errorf("step %d: %s %+v; held %s %+v", i, resultName(e1), g1, resultName(e2), g2)
				}
			}
		})
	}
}

// TestHeldKeyResponse: a challenge response verifies under a held key, on
// all 56 bits of its MAC.
func TestHeldDeviceKeyResponse(t *testing.T) {
	is := newTestIssuer(t)
	dk := mustDeviceKey(t, testMaster(1), "device-7")
	held := heldKeyring(t, []servicepass.DeviceKey{dk})
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "device-7", Mode: servicepass.DeviceOwner, HasMode: true, Keys: held}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := v.NewChallenge(servicepass.ChallengeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "device-7", Challenge: ch.String(),
		Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if g, err := v.VerifyResponse(context.Background(), resp.Display.Reveal(), vecT0); err != nil || g.Actions != servicepass.Unlock {
		t.Fatalf("held response: %+v, %v", g, err)
	}
}

// TestHeldKeyFailure: a held key that fails, or answers with the wrong
// length, refuses with ErrCustody and leaves the state as it was: no
// failed attempt counted, the code not used.
func TestHeldDeviceKeyFailure(t *testing.T) {
	is := newTestIssuer(t)
	dk := mustDeviceKey(t, testMaster(1), vecDO)
	tests := []struct {
		name        string
		fail, short int
	}{
		{"keystore error", 5, 0},
		{"short MAC", 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hk := &hmacKey{key: dk.Bytes(), fail: tt.fail, short: tt.short}
			k, err := servicepass.NewHeldDeviceKey(1, hk)
			if err != nil {
				t.Fatal(err)
			}
			v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: vecDO, Mode: servicepass.DeviceOwner, HasMode: true, Keys: []servicepass.DeviceKey{k}}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			iss, err := is.Issue(context.Background(), servicepass.Request{DeviceID: vecDO, Mode: servicepass.DeviceOwner,
				Actions: servicepass.Unlock, ExpiresAt: vecT0.Add(2 * time.Hour), Admin: "a@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			code := iss.Display.Reveal()
			for range 5 {
				if _, err := v.Verify(context.Background(), code, vecT0); !errors.Is(err, servicepass.ErrCustody) {
					t.Fatalf("got %v, want ErrCustody", err)
				}
			}
			if g, err := v.Verify(context.Background(), code, vecT0); err != nil || g.Degraded {
				t.Fatalf("after the keystore recovered: %+v, %v", g, err)
			}
		})
	}
}

func TestHeldDeviceKeyMaterialOutOfReach(t *testing.T) {
	if _, err := servicepass.NewHeldDeviceKey(1, nil); !errors.Is(err, servicepass.ErrKeyUnusable) {
		t.Errorf("nil held key: %v", err)
	}
	if _, err := servicepass.NewHeldDeviceKey(1, (*hmacKey)(nil)); !errors.Is(err, servicepass.ErrKeyUnusable) {
		t.Errorf("typed nil held key: %v", err)
	}
	hk := &hmacKey{key: make([]byte, 32)}
	k, err := servicepass.NewHeldDeviceKey(3, hk)
	if err != nil {
		t.Fatal(err)
	}
	if k.Bytes() != nil || k.ID() != 3 {
		t.Errorf("Bytes %x, ID %d", k.Bytes(), k.ID())
	}
	k2, _ := servicepass.NewHeldDeviceKey(3, hk)
	other, _ := servicepass.NewHeldDeviceKey(3, &hmacKey{})
	if !k.Equal(k2) || k.Equal(other) || k.Equal(mustDeviceKey(t, testMaster(3), vecDO)) {
		t.Error("Equal")
	}
	p := servicepass.Provisioning{DeviceID: vecDO, Location: time.UTC, Keys: []servicepass.DeviceKey{k}}
	if _, err := p.Encode(); !errors.Is(err, servicepass.ErrKeyInCustody) {
		t.Errorf("Encode of a held key: %v", err)
	}
}
