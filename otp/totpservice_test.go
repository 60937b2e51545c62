package otp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/otp"
)

func TestTOTPConfig(t *testing.T) {
	store := otp.NewMemStore()
	for name, tt := range map[string]struct {
		cfg   otp.TOTPConfig
		field string
	}{
		"defaults":         {otp.TOTPConfig{Store: store}, ""},
		"no skew":          {otp.TOTPConfig{Store: store, Skew: otp.NoSkew}, ""},
		"max":              {otp.TOTPConfig{Store: store, Skew: otp.MaxTOTPSkew, ResyncWindow: otp.MaxWindow, MaxFailures: 100, Cooldown: otp.MaxCooldown}, ""},
		"no store":         {otp.TOTPConfig{}, "Store"},
		"skew -2":          {otp.TOTPConfig{Store: store, Skew: -2}, "Skew"},
		"skew 11":          {otp.TOTPConfig{Store: store, Skew: otp.MaxTOTPSkew + 1}, "Skew"},
		"resync 101":       {otp.TOTPConfig{Store: store, ResyncWindow: otp.MaxWindow + 1}, "ResyncWindow"},
		"resync negative":  {otp.TOTPConfig{Store: store, ResyncWindow: -1}, "ResyncWindow"},
		"failures 101":     {otp.TOTPConfig{Store: store, MaxFailures: 101}, "MaxFailures"},
		"failures -1":      {otp.TOTPConfig{Store: store, MaxFailures: -1}, "MaxFailures"},
		"cooldown too big": {otp.TOTPConfig{Store: store, Cooldown: otp.MaxCooldown + 1}, "Cooldown"},
		"cooldown -2ns":    {otp.TOTPConfig{Store: store, Cooldown: -2}, "Cooldown"},
	} {
		_, err := otp.NewTOTPService(tt.cfg)
		var pe *otp.ParamError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tt.field != "" && (!errors.As(err, &pe) || pe.Field != tt.field):
			t.Errorf("%s: %v, want a ParamError on %s", name, err, tt.field)
		}
	}
}

func newTOTPEnv(t *testing.T) (*otp.TOTPService, *mdmcredtest.Clock, *bytes.Buffer, *otp.Key) {
	t.Helper()
	clock := mdmcredtest.NewClock(time.Unix(1_700_000_000, 0))
	logs := new(bytes.Buffer)
	svc, err := otp.NewTOTPService(otp.TOTPConfig{Store: otp.NewMemStore(), Now: clock.Now, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := otp.NewKey(rfcKey, otp.Params{Algorithm: testAlg})
	return svc, clock, logs, k
}

func TestTOTPServiceRefusesBeforeTheStore(t *testing.T) {
	svc, clock, logs, k := newTOTPEnv(t)
	ctx := context.Background()
	code := otp.TOTP(k, clock.Now()).Reveal()
	if _, err := svc.Verify(ctx, "alice", &otp.Key{}, code); !errors.Is(err, otp.ErrParams) {
		t.Errorf("zero key: %v", err)
	}
	if _, err := svc.Verify(ctx, "alice", nil, code); !errors.Is(err, otp.ErrParams) {
		t.Errorf("nil key: %v", err)
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", strings.Repeat("1", 100)} {
		if _, err := svc.Verify(ctx, "alice", k, bad); !errors.Is(err, otp.ErrFormat) {
			t.Errorf("Verify(%q): %v, want ErrFormat", bad, err)
		}
		if _, err := svc.Resync(ctx, "alice", k, code, bad); !errors.Is(err, otp.ErrFormat) {
			t.Errorf("Resync(_, %q): %v, want ErrFormat", bad, err)
		}
	}
	// Malformed codes are not failures: they reveal nothing.
	if st, _, _ := svc.State(ctx, "alice"); st.Failures != 0 {
		t.Fatalf("malformed codes counted: %+v", st)
	}
	if _, err := svc.Verify(ctx, "alice", k, code); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), code) {
		t.Fatalf("the log holds the code: %s", logs.String())
	}
}

// TestTOTPServiceSixteenGoroutines: the same code from 16 goroutines in
// each of 1,000 trials is accepted exactly once per trial, on one subject
// as time moves on.
func TestTOTPServiceSixteenGoroutines(t *testing.T) {
	svc, clock, _, k := newTOTPEnv(t)
	ctx := context.Background()
	for trial := range 1000 {
		code := otp.TOTP(k, clock.Now()).Reveal()
		var ok, other atomic.Int32
		done := make(chan struct{})
		start := make(chan struct{})
		for range 16 {
			go func() {
				<-start
				if _, err := svc.Verify(ctx, "alice", k, code); err == nil {
					ok.Add(1)
				} else if !errors.Is(err, otp.ErrReplay) {
					other.Add(1)
				}
				done <- struct{}{}
			}()
		}
		close(start)
		for range 16 {
			<-done
		}
		if ok.Load() != 1 || other.Load() != 0 {
			t.Fatalf("trial %d: %d accepted, %d other errors; want exactly 1 and 0", trial, ok.Load(), other.Load())
		}
		clock.Advance(k.Period())
	}
}

func ExampleTOTPService() {
	clock := mdmcredtest.NewClock(time.Unix(1_700_000_000, 0))
	svc, err := otp.NewTOTPService(otp.TOTPConfig{Store: otp.NewMemStore(), Now: clock.Now})
	if err != nil {
		panic(err)
	}
	key, _ := otp.ParseKey("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA", otp.Params{Algorithm: otp.SHA256})
	ctx := context.Background()
	code := otp.TOTP(key, clock.Now()).Reveal() // what the user's app shows

	res, err := svc.Verify(ctx, "user-42", key, code)
	fmt.Println(res.Step, err)
	_, err = svc.Verify(ctx, "user-42", key, code) // the same code again
	fmt.Println(err)

	// The user's phone clock runs 4 minutes (8 steps) fast: its codes are
	// outside the window, so the user enters two consecutive codes.
	phone := func() time.Time { return clock.Now().Add(4 * time.Minute) }
	_, err = svc.Verify(ctx, "user-42", key, otp.TOTP(key, phone()).Reveal())
	fmt.Println(err)
	first := otp.TOTP(key, phone()).Reveal()
	clock.Advance(key.Period()) // the user waits for the next code
	second := otp.TOTP(key, phone()).Reveal()
	res, err = svc.Resync(ctx, "user-42", key, first, second)
	fmt.Println(res.Drift, err)
	// From now on the window is centred 8 steps ahead.
	clock.Advance(time.Hour)
	res, err = svc.Verify(ctx, "user-42", key, otp.TOTP(key, phone()).Reveal())
	fmt.Println(res.Drift, err)
	// Output:
	// 56666666 <nil>
	// otp: code already used
	// otp: invalid code
	// 8 <nil>
	// 8 <nil>
}

func ExampleGenerate() {
	key, uri, err := otp.Generate(otp.GenerateOpts{
		Issuer:  "ACME",
		Account: "alice@example.com",
		// SHA1, the zero Params, is what every app supports; FIPS 140-3
		// mode refuses it, SHA256 works in both.
		Params: otp.Params{Algorithm: otp.SHA256},
		Rand:   bytes.NewReader(bytes.Repeat([]byte{0x42}, 32)), // crypto/rand when nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(key)
	fmt.Println(uri.Reveal()) // render it as a QR code; keep key.Secret() sealed
	// Output:
	// otp.Key{SHA256, 6 digits, 30s, secret [REDACTED]}
	// otpauth://totp/ACME:alice%40example.com?secret=IJBEEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBEEQSCIJBA&issuer=ACME&algorithm=SHA256&digits=6&period=30
}

// TestTOTPForgetAfterKeyChange: a key with a longer period has lower step
// numbers; after Forget its codes verify, before it they are replays.
func TestTOTPForgetAfterKeyChange(t *testing.T) {
	svc, clock, _, k := newTOTPEnv(t)
	ctx := context.Background()
	if _, err := svc.Verify(ctx, "alice", k, otp.TOTP(k, clock.Now()).Reveal()); err != nil {
		t.Fatal(err)
	}
	k2, _ := otp.NewKey(rfcKey[:16], otp.Params{Algorithm: testAlg, Period: time.Hour})
	code := otp.TOTP(k2, clock.Now()).Reveal()
	if _, err := svc.Verify(ctx, "alice", k2, code); !errors.Is(err, otp.ErrReplay) {
		t.Fatalf("new key before Forget: %v, want ErrReplay", err)
	}
	if err := svc.Forget(ctx, "alice", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Verify(ctx, "alice", k2, code); err != nil {
		t.Fatalf("new key after Forget: %v", err)
	}
	if err := svc.Forget(ctx, "alice", "bad\x00actor"); !isParam(err, "actor") {
		t.Fatalf("bad actor: %v", err)
	}
}

type failingStore struct{ err error }

func (f failingStore) LoadTOTP(context.Context, string) (otp.TOTPState, error) {
	return otp.TOTPState{}, f.err
}

func (f failingStore) WriteTOTP(context.Context, otp.TOTPState, uint64) error {
	return f.err
}

func TestTOTPStoreErrorsAreWrapped(t *testing.T) {
	boom := errors.New("disk on fire")
	logs := new(bytes.Buffer)
	svc, err := otp.NewTOTPService(otp.TOTPConfig{Store: failingStore{boom}, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := otp.NewKey(rfcKey, otp.Params{Algorithm: testAlg})
	ctx := context.Background()
	code := otp.TOTP(k, time.Now()).Reveal()
	_, verr := svc.Verify(ctx, "alice", k, code)
	_, rerr := svc.Resync(ctx, "alice", k, code, code)
	_, _, serr := svc.State(ctx, "alice")
	for name, err := range map[string]error{
		"Verify": verr, "Resync": rerr, "State": serr,
		"Reset": svc.Reset(ctx, "alice", "admin"), "Forget": svc.Forget(ctx, "alice", "admin"),
	} {
		if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "otp: TOTP store: ") {
			t.Errorf("%s: %v, want the store's error wrapped", name, err)
		}
	}
	if !strings.Contains(logs.String(), "disk on fire") || strings.Contains(logs.String(), code) {
		t.Errorf("log: %s", logs.String())
	}
}
