package pkcs11_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/custody"
	"github.com/mdmcred/mdmcred/custody/custodytest"
	"github.com/mdmcred/mdmcred/custody/pkcs11"
	"github.com/mdmcred/mdmcred/internal/citest"
	p11 "github.com/miekg/pkcs11"
)

const (
	tokenLabel = "mdmcred-test"
	userPIN    = "71829364"
	soPIN      = "55443322"
)

// softhsm is set by TestMain: the module path, or why SoftHSM2 is missing.
var softhsm struct {
	module  string
	missing string
}

// TestMain makes a SoftHSM2 token in a temporary directory of its own
// (SOFTHSM2_CONF), so the tests touch no token of the machine.
func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "softhsm")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		if err := setupSoftHSM(dir); err != nil {
			softhsm.missing = err.Error()
			// The examples need a token and cannot skip: outside CI, run
			// the tests alone, which skip and say why (under CI=true they
			// fail, and so do the examples).
			flag.Parse()
			if !citest.On() && flag.Lookup("test.run").Value.String() == "" {
				flag.Set("test.run", "^Test")
			}
		}
		return m.Run()
	}())
}

func setupSoftHSM(dir string) error {
	for _, p := range []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so"} {
		if _, err := os.Stat(p); err == nil {
			softhsm.module = p
			break
		}
	}
	util, err := exec.LookPath("softhsm2-util")
	if softhsm.module == "" || err != nil {
		return errors.New("SoftHSM2 (libsofthsm2.so and softhsm2-util) not installed")
	}
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		return err
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		return err
	}
	os.Setenv("SOFTHSM2_CONF", conf)
	out, err := exec.Command(util, "--init-token", "--free", "--label", tokenLabel, "--pin", userPIN, "--so-pin", soPIN).CombinedOutput()
	if err != nil {
		return fmt.Errorf("softhsm2-util --init-token: %v: %s", err, out)
	}
	return nil
}

// open opens the test token, or ends the test when SoftHSM2 is missing
// (failing under CI=true, as internal/citest rules).
func open(t *testing.T, logger *slog.Logger) *pkcs11.Token {
	t.Helper()
	if softhsm.missing != "" {
		citest.Missing(t, softhsm.missing, "apt-get install softhsm2")
	}
	tok, err := pkcs11.Open(context.Background(), pkcs11.Config{Module: softhsm.module, TokenLabel: tokenLabel, PIN: userPIN, Logger: logger})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := tok.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return tok
}

var labels atomic.Int64

func newLabel(prefix string) string { return fmt.Sprintf("%s-%d", prefix, labels.Add(1)) }

// Every device key of servicepass/testdata, derived through SoftHSM2 from
// imported PRKs, plus the suite's context, error and redaction rules.
func TestConformance(t *testing.T) {
	tok := open(t, nil)
	custodytest.RunKey(t, "pkcs11", func(t *testing.T, prk []byte) custody.Key {
		k, err := tok.ImportKey(context.Background(), newLabel("vector"), prk)
		if err != nil {
			t.Fatal(err)
		}
		return k
	})
}

// The imported key cannot be read back: CKA_VALUE is refused, the key is
// sensitive, not extractable, and was never extractable.
func TestNotExtractable(t *testing.T) {
	if softhsm.missing != "" {
		citest.Missing(t, softhsm.missing, "apt-get install softhsm2")
	}
	prk := custodytest.PRK(custodytest.Vectors(t)[0].Master)
	tok := open(t, nil)
	imported, err := tok.ImportKey(context.Background(), newLabel("extract"), prk)
	if err != nil {
		t.Fatal(err)
	}
	created, err := tok.CreateKey(context.Background(), newLabel("created"))
	if err != nil {
		t.Fatal(err)
	}

	// A second, independent session on the same token, through the raw
	// PKCS#11 API, as an attacker holding the PIN would use it.
	c := p11.New(softhsm.module)
	if err := c.Initialize(); err != nil && !errors.Is(err, p11.Error(p11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
		t.Fatal(err)
	}
	slots, err := c.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	var slot uint
	for _, s := range slots {
		if info, err := c.GetTokenInfo(s); err == nil && strings.TrimRight(info.Label, " ") == tokenLabel {
			slot = s
		}
	}
	sh, err := c.OpenSession(slot, p11.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseSession(sh)
	if err := c.Login(sh, p11.CKU_USER, userPIN); err != nil && !errors.Is(err, p11.Error(p11.CKR_USER_ALREADY_LOGGED_IN)) {
		t.Fatal(err)
	}

	for _, k := range []*pkcs11.Key{imported, created} {
		if err := c.FindObjectsInit(sh, []*p11.Attribute{p11.NewAttribute(p11.CKA_LABEL, k.Label())}); err != nil {
			t.Fatal(err)
		}
		hs, _, err := c.FindObjects(sh, 2)
		_ = c.FindObjectsFinal(sh)
		if err != nil || len(hs) != 1 {
			t.Fatalf("%v: found %d objects, %v", k, len(hs), err)
		}
		h := hs[0]

		attrs, err := c.GetAttributeValue(sh, h, []*p11.Attribute{p11.NewAttribute(p11.CKA_VALUE, nil)})
		if !errors.Is(err, p11.Error(p11.CKR_ATTRIBUTE_SENSITIVE)) {
			t.Errorf("%v: reading CKA_VALUE returned %v, %v; want CKR_ATTRIBUTE_SENSITIVE", k, attrs, err)
		}
		for _, a := range attrs {
			custodytest.NoSecret(t, prk, string(a.Value))
		}

		flags, err := c.GetAttributeValue(sh, h, []*p11.Attribute{
			p11.NewAttribute(p11.CKA_SENSITIVE, nil),
			p11.NewAttribute(p11.CKA_EXTRACTABLE, nil),
			p11.NewAttribute(p11.CKA_ALWAYS_SENSITIVE, nil),
			p11.NewAttribute(p11.CKA_NEVER_EXTRACTABLE, nil),
			p11.NewAttribute(p11.CKA_TOKEN, nil),
		})
		if err != nil {
			t.Fatalf("%v: reading flags: %v", k, err)
		}
		want := map[uint]bool{p11.CKA_SENSITIVE: true, p11.CKA_EXTRACTABLE: false, p11.CKA_TOKEN: true}
		if k == created {
			// Generated on the token: sensitive and unextractable from birth.
			want[p11.CKA_ALWAYS_SENSITIVE] = true
			want[p11.CKA_NEVER_EXTRACTABLE] = true
		}
		for _, a := range flags {
			w, ok := want[a.Type]
			got := len(a.Value) == 1 && a.Value[0] == 1
			if ok && got != w {
				t.Errorf("%v: attribute 0x%x is %v, want %v", k, a.Type, got, w)
			}
		}

		// Nor can it be wrapped out under a key the attacker makes.
		wrapKey, err := c.GenerateKey(sh, []*p11.Mechanism{p11.NewMechanism(p11.CKM_AES_KEY_GEN, nil)}, []*p11.Attribute{
			p11.NewAttribute(p11.CKA_CLASS, p11.CKO_SECRET_KEY),
			p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_AES),
			p11.NewAttribute(p11.CKA_VALUE_LEN, 32),
			p11.NewAttribute(p11.CKA_WRAP, true),
			p11.NewAttribute(p11.CKA_TOKEN, false),
		})
		if err != nil {
			t.Fatal(err)
		}
		if w, err := c.WrapKey(sh, []*p11.Mechanism{p11.NewMechanism(p11.CKM_AES_KEY_WRAP, nil)}, wrapKey, h); err == nil {
			t.Errorf("%v: wrapped out as %d bytes", k, len(w))
		}
	}
}

func TestCreateAndFind(t *testing.T) {
	tok := open(t, nil)
	ctx := context.Background()
	label := newLabel("site")
	created, err := tok.CreateKey(ctx, label)
	if err != nil {
		t.Fatal(err)
	}
	found, err := tok.FindKey(ctx, label)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("device-1\x01")
	a, err := created.HMAC(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := found.HMAC(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || len(a) != 32 {
		t.Errorf("created and found keys disagree: %x, %x", a, b)
	}
	other, err := tok.CreateKey(ctx, newLabel("site"))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := other.HMAC(ctx, msg); bytes.Equal(a, c) {
		t.Error("two created keys give the same HMAC")
	}
}

// Every refusal is a *custody.Error naming pkcs11 and the operation.
func TestErrors(t *testing.T) {
	tok := open(t, nil)
	ctx := context.Background()
	used := newLabel("used")
	if _, err := tok.CreateKey(ctx, used); err != nil {
		t.Fatal(err)
	}
	prk := bytes.Repeat([]byte{0x42}, 32)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name  string
		call  func() error
		op    string
		cause error
	}{
		{"find missing", func() error { _, err := tok.FindKey(ctx, "no-such-key"); return err }, "find", pkcs11.ErrKeyNotFound},
		{"import short", func() error { _, err := tok.ImportKey(ctx, newLabel("short"), prk[:16]); return err }, "import", nil},
		{"import label in use", func() error { _, err := tok.ImportKey(ctx, used, prk); return err }, "import", nil},
		{"create label in use", func() error { _, err := tok.CreateKey(ctx, used); return err }, "create", nil},
		{"create empty label", func() error { _, err := tok.CreateKey(ctx, ""); return err }, "create", nil},
		{"import cancelled", func() error { _, err := tok.ImportKey(cancelled, newLabel("c"), prk); return err }, "import", context.Canceled},
		{"create cancelled", func() error { _, err := tok.CreateKey(cancelled, newLabel("c")); return err }, "create", context.Canceled},
		{"find cancelled", func() error { _, err := tok.FindKey(cancelled, used); return err }, "find", context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			custodytest.CheckError(t, err, "pkcs11", tt.op, tt.cause)
			custodytest.NoSecret(t, prk, err.Error())
		})
	}
	if _, err := tok.FindKey(ctx, used); err != nil {
		t.Errorf("a refused import replaced or hid the key in use: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if softhsm.missing != "" {
		citest.Missing(t, softhsm.missing, "apt-get install softhsm2")
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		cfg  pkcs11.Config
	}{
		{"no module", context.Background(), pkcs11.Config{TokenLabel: tokenLabel, PIN: userPIN}},
		{"no label", context.Background(), pkcs11.Config{Module: softhsm.module, PIN: userPIN}},
		{"missing module", context.Background(), pkcs11.Config{Module: "/nonexistent/lib.so", TokenLabel: tokenLabel, PIN: userPIN}},
		{"unknown token", context.Background(), pkcs11.Config{Module: softhsm.module, TokenLabel: "nope", PIN: userPIN}},
		{"wrong PIN", context.Background(), pkcs11.Config{Module: softhsm.module, TokenLabel: tokenLabel, PIN: "00000000-wrong"}},
		{"cancelled", cancelled, pkcs11.Config{Module: softhsm.module, TokenLabel: tokenLabel, PIN: userPIN}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := pkcs11.Open(tt.ctx, tt.cfg)
			if err == nil {
				tok.Close()
				t.Fatal("Open succeeded")
			}
			custodytest.CheckError(t, err, "pkcs11", "open", nil)
			for _, pin := range []string{userPIN, tt.cfg.PIN} {
				if pin != "" && strings.Contains(err.Error(), pin) {
					t.Errorf("error shows the PIN: %v", err)
				}
			}
		})
	}
}

// The PIN prints nowhere; calls after Close fail with a typed error.
func TestRedactionAndClose(t *testing.T) {
	cfg := pkcs11.Config{Module: "/x.so", TokenLabel: "t", PIN: "PIN-Mq7Zx-4Kp9"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if s := fmt.Sprintf(verb, cfg); strings.Contains(s, cfg.PIN) || strings.Contains(s, fmt.Sprintf("%x", cfg.PIN)) {
			t.Errorf("%s shows the PIN: %s", verb, s)
		}
	}
	var logs bytes.Buffer
	tok := open(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	prk := make([]byte, 32)
	_, _ = rand.Read(prk)
	k, err := tok.ImportKey(context.Background(), newLabel("closing"), prk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.ImportKey(context.Background(), k.Label(), prk); err == nil {
		t.Fatal("second import under one label succeeded")
	} else {
		custodytest.NoSecret(t, prk, err.Error())
	}
	if err := tok.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = k.HMAC(context.Background(), []byte("x"))
	custodytest.CheckError(t, err, "pkcs11", "hmac", nil)
	if logs.Len() == 0 {
		t.Error("failed calls logged nothing")
	}
	custodytest.NoSecret(t, prk, logs.String(), err.Error())
	if strings.Contains(logs.String(), userPIN) {
		t.Error("log shows the PIN")
	}
}

// A call waits for a free session under its context: it ends with the
// context when every session is busy, and runs once one is free again.
// Close waits for the session held.
func TestWaitForSession(t *testing.T) {
	if softhsm.missing != "" {
		citest.Missing(t, softhsm.missing, "apt-get install softhsm2")
	}
	tok, err := pkcs11.Open(context.Background(), pkcs11.Config{Module: softhsm.module, TokenLabel: tokenLabel, PIN: userPIN, Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	prk := bytes.Repeat([]byte{0x11}, 32)
	k, err := tok.ImportKey(context.Background(), newLabel("wait"), prk)
	if err != nil {
		t.Fatal(err)
	}
	release := pkcs11.HoldSession(tok)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = k.HMAC(ctx, []byte("d\x01"))
	custodytest.CheckError(t, err, "pkcs11", "hmac", context.DeadlineExceeded)

	done := make(chan error, 1)
	go func() { _, err := k.HMAC(context.Background(), []byte("d\x01")); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("call ran without a free session: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("call after the session was freed: %v", err)
	}

	release = pkcs11.HoldSession(tok)
	closed := make(chan error, 1)
	go func() { closed <- tok.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned while a session was held: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	_, err = k.HMAC(context.Background(), []byte("d\x01"))
	custodytest.CheckError(t, err, "pkcs11", "hmac", nil)
}

// Two Tokens on one library: closing one leaves the other working
// (C_Finalize is process-wide, so only the last Close calls it).
func TestTwoTokens(t *testing.T) {
	a, b := open(t, nil), open(t, nil)
	ka, err := a.CreateKey(context.Background(), newLabel("two"))
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.FindKey(context.Background(), ka.Label())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := kb.HMAC(context.Background(), []byte("d\x01")); err != nil {
		t.Fatalf("the other token stopped working when one closed: %v", err)
	}
}
