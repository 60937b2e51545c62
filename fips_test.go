package mdmcred_test

import (
	"bytes"
	"context"
	"crypto/fips140"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/internal/seal"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/servicepass"
)

// TestFIPSProfile lists every operation FIPS 140-3 mode refuses and why
// (docs/keys.md, "The FIPS 140-3 profile"), and operations on the same
// paths that it accepts. `make test` runs it twice: outside FIPS mode every
// row succeeds; under GODEBUG=fips140=only the refused rows fail with their
// error and say the rule, and the accepted rows still succeed.
func TestFIPSProfile(t *testing.T) {
	// Format 1 (XChaCha20-Poly1305) vector of internal/seal/testdata.
	legacy, _ := hex.DecodeString("0101000000006b02cb30c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7c4a9bbe2b165f0f097a6aea9b77e680235c62005044ea36ef1a66d")
	sealKeys := map[uint8][]byte{1: seq(32, 0)}
	sealAt := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	newSealer := func() *seal.Sealer {
		s, err := seal.New(1, sealKeys)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name string
		run  func() error
		// refused is the error FIPS mode returns (nil: accepted in both
		// modes); rule is what its message must say.
		refused error
		rule    string
	}{
		{"otp: import an HMAC-SHA-1 key", func() error {
			_, err := otp.NewKey(seq(20, 1), otp.Params{Algorithm: otp.SHA1})
			return err
		}, otp.ErrFIPS, "HMAC-SHA-1 is not allowed"},
		{"otp: import a key URI without algorithm (SHA1)", func() error {
			_, err := otp.ParseURI("otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
			return err
		}, otp.ErrFIPS, "HMAC-SHA-1 is not allowed"},
		{"otp: generate a key with the zero Params (SHA1)", func() error {
			_, err := otp.GenerateKey(nil, otp.Params{})
			return err
		}, otp.ErrFIPS, "HMAC-SHA-1 is not allowed"},
		{"otp: enroll with Generate and the zero Params (SHA1)", func() error {
			_, _, err := otp.Generate(otp.GenerateOpts{Account: "alice"})
			return err
		}, otp.ErrFIPS, "HMAC-SHA-1 is not allowed"},
		{"otp: import an 80-bit SHA256 key", func() error {
			_, err := otp.NewKey(seq(10, 1), otp.Params{Algorithm: otp.SHA256})
			return err
		}, otp.ErrFIPS, "shorter than 112 bits"},
		{"otp: import a 104-bit SHA512 key", func() error {
			_, err := otp.NewKey(seq(13, 1), otp.Params{Algorithm: otp.SHA512})
			return err
		}, otp.ErrFIPS, "shorter than 112 bits"},
		{"seal: open a value sealed with XChaCha20-Poly1305 (format 1)", func() error {
			_, err := newSealer().Open(legacy, []byte("reset-1"), sealAt)
			return err
		}, seal.ErrReseal, "re-seal"},
		{"seal: re-seal a format 1 value", func() error {
			_, err := newSealer().Reseal(legacy, []byte("reset-1"))
			return err
		}, seal.ErrReseal, "re-seal"},

		{"enrollment: reveal a copy sealed with XChaCha20-Poly1305 (format 1)", func() error {
			return revealFormat1(t)
		}, enrollment.ErrReseal, "re-sealed"},

		{"escrow: reveal a secret sealed with XChaCha20-Poly1305 (format 1)", func() error {
			return revealEscrowFormat1(t)
		}, escrow.ErrReseal, "re-sealed"},

		{"escrow: hash an Activation Lock bypass code (PBKDF2 with Apple's 4-byte salt)", func() error {
			_, err := escrow.BypassHash(escrow.NewSecret("3UM43-PUYVY-QYD1-UVCC-HEHJ-FKA4"))
			return err
		}, escrow.ErrFIPS, "4-byte salt"},

		{"otp: import a 112-bit SHA256 key", func() error {
			_, err := otp.NewKey(seq(otp.FIPSMinSecretLen, 1), otp.Params{Algorithm: otp.SHA256})
			return err
		}, nil, ""},
		{"otp: generate and validate a SHA512 TOTP code", func() error {
			k, err := otp.GenerateKey(nil, otp.Params{Algorithm: otp.SHA512})
			if err != nil {
				return err
			}
			now := time.Now()
			_, err = otp.ValidateTOTP(k, otp.TOTP(k, now).Reveal(), now, otp.ValidateOpts{})
			return err
		}, nil, ""},
		{"seal: seal and open with AES-256-GCM (format 2)", func() error {
			s := newSealer()
			pt, err := s.Open(s.Seal([]byte("x"), nil, time.Time{}), nil, sealAt)
			if err == nil && string(pt) != "x" {
				return errors.New("wrong plaintext")
			}
			return err
		}, nil, ""},
		{"servicepass: issue a code", func() error {
			m, err := servicepass.GenerateMasterKey(1, nil)
			if err != nil {
				return err
			}
			is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{m}})
			if err != nil {
				return err
			}
			_, err = is.Issue(context.Background(), servicepass.Request{DeviceID: "dev-1", Mode: servicepass.DeviceOwner,
				Actions: servicepass.Unlock, Admin: "admin"})
			return err
		}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if !fips140.Enabled() || tt.refused == nil {
				if err != nil {
					t.Fatalf("refused with FIPS mode %v: %v", fips140.Enabled(), err)
				}
				return
			}
			if !errors.Is(err, tt.refused) || !strings.Contains(err.Error(), tt.rule) {
				t.Fatalf("in FIPS mode: %v, want %v saying %q", err, tt.refused, tt.rule)
			}
		})
	}
}

// revealFormat1 stores a site's passcode copy sealed in format 1 as an
// earlier release did (docs/sealed-format.md) and reveals it.
func revealFormat1(t *testing.T) error {
	ctx := context.Background()
	key := seq(32, 1)
	store := enrollment.NewMemStore()
	svc, err := enrollment.New(enrollment.Config{Store: store, Alerter: nopAlerter{},
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: seq(32, 9)}), PepperID: 1,
		SealKeys: enrollment.NewKeys(map[uint8][]byte{1: key}), SealKeyID: 1})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := svc.Generate(ctx, "berlin", "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := store.Load(ctx, "berlin")
	header := append([]byte{1, 1}, make([]byte, 8)...)
	nonce := seq(24, 3)
	if fips140.Enabled() {
		rec.Sealed = append(append(header, nonce...), make([]byte, 28)...)
	} else {
		a, err := chacha20poly1305.NewX(key)
		if err != nil {
			t.Fatal(err)
		}
		ad := append(append(bytes.Clone(header), "mdmcred/enrollment/passcode/v1\x00berlin\x00"...), rec.Digest...)
		rec.Sealed = a.Seal(append(bytes.Clone(header), nonce...), nonce, []byte(pc.Reveal()), ad)
	}
	rec.Rev++
	if err := store.Write(ctx, rec, rec.Rev-1, nil); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Reveal(ctx, "berlin", "admin@example.com")
	if err == nil && !got.Equal(pc.Reveal()) {
		return errors.New("wrong passcode")
	}
	return err
}

// revealEscrowFormat1 stores an escrowed secret sealed in format 1 as an
// earlier release did (docs/sealed-format.md, with the associated data of
// docs/escrow.md) and reveals it.
func revealEscrowFormat1(t *testing.T) error {
	ctx := context.Background()
	key := seq(32, 2)
	store := escrow.NewMemStore()
	svc, err := escrow.New(escrow.Config{Store: store, SealKeys: escrow.NewKeys(map[uint8][]byte{1: key}), SealKeyID: 1})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := svc.Report(ctx, "mac-1", escrow.KindAgentPassword, escrow.NewSecret("agent-password-1"), "agent")
	if err != nil {
		t.Fatal(err)
	}
	row, err := store.Load(ctx, escrow.Key{DeviceID: "mac-1", Kind: escrow.KindAgentPassword})
	if err != nil {
		t.Fatal(err)
	}
	header := append([]byte{1, 1}, make([]byte, 8)...)
	nonce := seq(24, 3)
	var legacy []byte
	if fips140.Enabled() {
		legacy = append(append(header, nonce...), make([]byte, 32)...)
	} else {
		a, err := chacha20poly1305.NewX(key)
		if err != nil {
			t.Fatal(err)
		}
		ad := bytes.Clone(header)
		for _, f := range []string{"mdmcred-escrow-v1", rec.ID, rec.DeviceID, rec.Kind} {
			ad = binary.BigEndian.AppendUint32(ad, uint32(len(f)))
			ad = append(ad, f...)
		}
		ad = binary.BigEndian.AppendUint64(ad, rec.Version)
		legacy = a.Seal(append(bytes.Clone(header), nonce...), nonce, []byte("agent-password-1"), ad)
	}
	var data map[string]any
	if err := json.Unmarshal(row.Data, &data); err != nil {
		t.Fatal(err)
	}
	data["records"].([]any)[0].(map[string]any)["sealed"] = legacy
	next := row
	next.Rev = row.Rev + 1
	if next.Data, err = json.Marshal(data); err != nil {
		t.Fatal(err)
	}
	if err := store.Write(ctx, next, row.Rev, nil); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Reveal(ctx, rec.ID, "admin@example.com", netip.MustParseAddr("192.0.2.1"), "check")
	if err == nil && !got.Equal("agent-password-1") {
		return errors.New("wrong secret")
	}
	return err
}

type nopAlerter struct{}

func (nopAlerter) SendLockAlert(context.Context, enrollment.Alert) error { return nil }

func seq(n int, start byte) []byte {
	b := bytes.Repeat([]byte{0}, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}
