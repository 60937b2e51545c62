package otp_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/otp"
)

var pepper1 = bytes.Repeat([]byte{1}, 32)

type pinEnv struct {
	svc   *otp.PINService
	store *otp.MemStore
	clock *mdmcredtest.Clock
	logs  *bytes.Buffer
}

func newPINEnv(t *testing.T, mod func(*otp.PINConfig)) pinEnv {
	t.Helper()
	e := pinEnv{store: otp.NewMemStore(), clock: mdmcredtest.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)), logs: new(bytes.Buffer)}
	cfg := otp.PINConfig{
		Store:    e.store,
		Peppers:  otp.NewKeys(map[uint8][]byte{1: pepper1}),
		PepperID: 1,
		Now:      e.clock.Now,
		Rand:     mdmcredtest.Reader(rand.New(rand.NewSource(1))),
		Logger:   slog.New(slog.NewTextHandler(e.logs, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	svc, err := otp.NewPINService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func wrongPIN(pin string) string {
	b := []byte(pin)
	b[len(b)-1] = '0' + (b[len(b)-1]-'0'+1)%10
	return string(b)
}

func TestPINConfig(t *testing.T) {
	store := otp.NewMemStore()
	peppers := otp.NewKeys(map[uint8][]byte{1: pepper1})
	tests := []struct {
		name  string
		cfg   otp.PINConfig
		field string
	}{
		{"defaults", otp.PINConfig{Store: store, Peppers: peppers, PepperID: 1}, ""},
		{"bounds", otp.PINConfig{Store: store, Peppers: peppers, PepperID: 1, Length: 12, TTL: otp.MaxPINTTL, MaxAttempts: 20}, ""},
		{"low bounds", otp.PINConfig{Store: store, Peppers: peppers, PepperID: 1, Length: 6, TTL: otp.MinPINTTL, MaxAttempts: 1}, ""},
		{"no store", otp.PINConfig{Peppers: peppers, PepperID: 1}, "Store"},
		{"no peppers", otp.PINConfig{Store: store}, "Peppers"},
		{"unknown pepper ID", otp.PINConfig{Store: store, Peppers: peppers, PepperID: 2}, "Peppers"},
		{"short pepper", otp.PINConfig{Store: store, Peppers: otp.NewKeys(map[uint8][]byte{1: make([]byte, 31)}), PepperID: 1}, "Peppers"},
		{"length 5", otp.PINConfig{Store: store, Peppers: peppers, PepperID: 1, Length: 5}, "Length"},
		{"length 13", otp.PINConfig{Store: store, Peppers: peppers, PepperID: 1, Length: 13}, "Length"},
		{"TTL too short", otp.PINConfig{Store: store, Peppers: peppers, PepperID: 1, TTL: time.Minute - 1}, "TTL"},
		{"TTL too long", otp.PINConfig{Store: store, Peppers: peppers, PepperID: 1, TTL: otp.MaxPINTTL + 1}, "TTL"},
		{"negative attempts", otp.PINConfig{Store: store, Peppers: peppers, PepperID: 1, MaxAttempts: -1}, "MaxAttempts"},
		{"too many attempts", otp.PINConfig{Store: store, Peppers: peppers, PepperID: 1, MaxAttempts: 21}, "MaxAttempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := otp.NewPINService(tt.cfg)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var pe *otp.ParamError
			if !errors.As(err, &pe) || pe.Field != tt.field {
				t.Fatalf("err = %v, want a ParamError on %s", err, tt.field)
			}
		})
	}
}

func TestPINIssueAndVerify(t *testing.T) {
	ctx := context.Background()
	e := newPINEnv(t, nil)
	pin, exp, err := e.svc.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if pin.Len() != otp.DefaultPINLength || strings.Trim(pin.Reveal(), "0123456789") != "" {
		t.Fatalf("PIN of length %d, not all digits", pin.Len())
	}
	if !exp.Equal(e.clock.Now().Add(24 * time.Hour)) {
		t.Fatalf("expiry %v", exp)
	}
	if err := e.svc.Verify(ctx, "bob", pin.Reveal()); !errors.Is(err, otp.ErrPINNotFound) {
		t.Fatalf("another user's PIN: %v", err)
	}
	spaced := pin.Reveal()[:4] + " " + pin.Reveal()[4:]
	if err := e.svc.Verify(ctx, "alice", spaced); err != nil {
		t.Fatalf("right PIN: %v", err)
	}
	if err := e.svc.Verify(ctx, "alice", pin.Reveal()); !errors.Is(err, otp.ErrPINNotFound) {
		t.Fatalf("second use: %v, want ErrPINNotFound", err)
	}
	if strings.Contains(e.logs.String(), pin.Reveal()) {
		t.Fatal("the PIN was logged")
	}
	if !strings.Contains(e.logs.String(), "PIN used") {
		t.Fatalf("no log of the use: %s", e.logs.String())
	}
}

func TestPINVerifyTable(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, e pinEnv, pin string) error
		want error
	}{
		{"right PIN", func(t *testing.T, e pinEnv, pin string) error { return e.svc.Verify(ctx, "alice", pin) }, nil},
		{"wrong PIN", func(t *testing.T, e pinEnv, pin string) error { return e.svc.Verify(ctx, "alice", wrongPIN(pin)) }, otp.ErrPINInvalid},
		{"too short", func(t *testing.T, e pinEnv, pin string) error { return e.svc.Verify(ctx, "alice", pin[1:]) }, otp.ErrPINFormat},
		{"letters", func(t *testing.T, e pinEnv, pin string) error { return e.svc.Verify(ctx, "alice", "1234abcd") }, otp.ErrPINFormat},
		{"huge", func(t *testing.T, e pinEnv, pin string) error {
			return e.svc.Verify(ctx, "alice", strings.Repeat("1", 1000))
		}, otp.ErrPINFormat},
		{"empty user", func(t *testing.T, e pinEnv, pin string) error { return e.svc.Verify(ctx, "", pin) }, otp.ErrParams},
		{"long user", func(t *testing.T, e pinEnv, pin string) error {
			return e.svc.Verify(ctx, strings.Repeat("u", otp.MaxUserLen+1), pin)
		}, otp.ErrParams},
		{"last instant before expiry", func(t *testing.T, e pinEnv, pin string) error {
			e.clock.Advance(24*time.Hour - time.Nanosecond)
			return e.svc.Verify(ctx, "alice", pin)
		}, nil},
		{"at expiry", func(t *testing.T, e pinEnv, pin string) error {
			e.clock.Advance(24 * time.Hour)
			return e.svc.Verify(ctx, "alice", pin)
		}, otp.ErrPINExpired},
		{"expired is deleted", func(t *testing.T, e pinEnv, pin string) error {
			e.clock.Advance(25 * time.Hour)
			_ = e.svc.Verify(ctx, "alice", pin)
			return e.svc.Verify(ctx, "alice", pin)
		}, otp.ErrPINNotFound},
		{"new PIN voids the old", func(t *testing.T, e pinEnv, pin string) error {
			p2, _, err := e.svc.Issue(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if p2.Reveal() == pin {
				t.Fatal("the seeded reader drew the same PIN twice")
			}
			return e.svc.Verify(ctx, "alice", pin)
		}, otp.ErrPINInvalid},
		{"new PIN works and resets failures", func(t *testing.T, e pinEnv, pin string) error {
			for range 4 {
				_ = e.svc.Verify(ctx, "alice", wrongPIN(pin))
			}
			p2, _, err := e.svc.Issue(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			_ = e.svc.Verify(ctx, "alice", wrongPIN(p2.Reveal()))
			return e.svc.Verify(ctx, "alice", p2.Reveal())
		}, nil},
		{"void after max attempts", func(t *testing.T, e pinEnv, pin string) error {
			for i := range otp.DefaultPINMaxAttempts {
				var ae *otp.PINAttemptError
				if err := e.svc.Verify(ctx, "alice", wrongPIN(pin)); !errors.As(err, &ae) || ae.Remaining != otp.DefaultPINMaxAttempts-1-i {
					t.Fatalf("attempt %d: %v", i, err)
				}
			}
			return e.svc.Verify(ctx, "alice", pin)
		}, otp.ErrPINLocked},
		{"revoked", func(t *testing.T, e pinEnv, pin string) error {
			if err := e.svc.Revoke(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			return e.svc.Verify(ctx, "alice", pin)
		}, otp.ErrPINNotFound},
		{"revoke nothing", func(t *testing.T, e pinEnv, pin string) error {
			_ = e.svc.Revoke(ctx, "alice")
			return e.svc.Revoke(ctx, "alice")
		}, otp.ErrPINNotFound},
		{"record moved to another user", func(t *testing.T, e pinEnv, pin string) error {
			// A store row copied to bob (a tampered database) does not verify for bob.
			rec, _ := e.store.Load(ctx, "alice")
			rec.User = "bob"
			_ = e.store.Put(ctx, rec)
			return e.svc.Verify(ctx, "bob", pin)
		}, otp.ErrPINInvalid},
		{"cancelled context", func(t *testing.T, e pinEnv, pin string) error {
			c, cancel := context.WithCancel(ctx)
			cancel()
			return e.svc.Verify(c, "alice", pin)
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPINEnv(t, nil)
			pin, _, err := e.svc.Issue(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			err = tt.run(t, e, pin.Reveal())
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPINPepperRotation(t *testing.T) {
	ctx := context.Background()
	store := otp.NewMemStore()
	pepper2 := bytes.Repeat([]byte{2}, 32)
	old, _ := otp.NewPINService(otp.PINConfig{Store: store, Peppers: otp.NewKeys(map[uint8][]byte{1: pepper1}), PepperID: 1})
	pinA, _, _ := old.Issue(ctx, "alice")
	pinB, _, _ := old.Issue(ctx, "bob")
	rotated, _ := otp.NewPINService(otp.PINConfig{Store: store, Peppers: otp.NewKeys(map[uint8][]byte{1: pepper1, 2: pepper2}), PepperID: 2})
	if err := rotated.Verify(ctx, "alice", pinA.Reveal()); err != nil {
		t.Fatalf("PIN under the previous pepper: %v", err)
	}
	retired, _ := otp.NewPINService(otp.PINConfig{Store: store, Peppers: otp.NewKeys(map[uint8][]byte{2: pepper2}), PepperID: 2})
	if err := retired.Verify(ctx, "bob", pinB.Reveal()); !errors.Is(err, otp.ErrPINNotFound) {
		t.Fatalf("PIN under a retired pepper: %v, want ErrPINNotFound", err)
	}
}

func TestPINIssueErrors(t *testing.T) {
	ctx := context.Background()
	e := newPINEnv(t, func(c *otp.PINConfig) { c.Rand = strings.NewReader("") })
	if _, _, err := e.svc.Issue(ctx, "alice"); err == nil {
		t.Fatal("a dry reader gave a PIN")
	}
	e = newPINEnv(t, nil)
	if _, _, err := e.svc.Issue(ctx, ""); !isParam(err, "user") {
		t.Fatalf("empty user: %v", err)
	}
	c, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := e.svc.Issue(c, "alice"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if err := e.svc.Revoke(ctx, ""); !isParam(err, "user") {
		t.Fatalf("revoke empty user: %v", err)
	}
}

func TestPINLengthConfig(t *testing.T) {
	e := newPINEnv(t, func(c *otp.PINConfig) { c.Length = 6; c.MaxAttempts = 1; c.TTL = time.Hour })
	ctx := context.Background()
	pin, exp, err := e.svc.Issue(ctx, "alice")
	if err != nil || pin.Len() != 6 || !exp.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("Issue = len %d, %v, %v", pin.Len(), exp, err)
	}
	var ae *otp.PINAttemptError
	if err := e.svc.Verify(ctx, "alice", wrongPIN(pin.Reveal())); !errors.As(err, &ae) || ae.Remaining != 0 {
		t.Fatalf("one wrong attempt: %v", err)
	}
	if err := e.svc.Verify(ctx, "alice", pin.Reveal()); !errors.Is(err, otp.ErrPINLocked) {
		t.Fatalf("after the only attempt: %v", err)
	}
}
