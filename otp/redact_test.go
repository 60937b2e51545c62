package otp_test

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/otp"
)

var (
	keyMarker    = []byte("KEYMARKER-KEYMARKER-")             // 20 bytes
	pepperMarker = []byte("PEPPERMARKER-PEPPERMARKER-PEPPER") // 32 bytes
	allVerbs     = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}
	// A run of byte values or hex as fmt prints a []byte or an array: a
	// hash state would leak that way even if the marker forms do not match.
	byteRun = regexp.MustCompile(`(\d{1,3}[ ,]+){15}\d|[0-9a-fA-F]{32}`)
)

// leaks lists every printed form of b that must not appear.
func leaks(b []byte) []string {
	dec := strings.Trim(fmt.Sprint(b), "[]")
	return []string{
		string(b), hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
		base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b),
		base64.StdEncoding.EncodeToString(b), dec[:min(40, len(dec))], fmt.Sprintf("%q", b)[1:10],
	}
}

type hostWithKey struct {
	Name   string
	Key    otp.Key
	KeyPtr *otp.Key
	key    otp.Key
	keyPtr *otp.Key
	URI    otp.URI
}

type hostWithConfig struct {
	PIN    otp.PINConfig
	PINPtr *otp.PINConfig
	pin    otp.PINConfig
	pinPtr *otp.PINConfig
}

// printAll prints v under every verb, through slog's text and JSON
// handlers and encoding/json.
func printAll(t *testing.T, v any) []string {
	t.Helper()
	var outs []string
	for _, verb := range allVerbs {
		outs = append(outs, verb+" => "+fmt.Sprintf(verb, v))
	}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("msg", "v", v)
		outs = append(outs, "slog => "+buf.String())
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%T): %v", v, err)
	}
	return append(outs, "json => "+string(js))
}

func assertNoLeak(t *testing.T, what string, outs []string, secret []byte) {
	t.Helper()
	for _, out := range outs {
		for _, form := range leaks(secret) {
			if strings.Contains(out, form) {
				t.Errorf("%s leaks the secret (%q): %s", what, form, out)
			}
		}
		if m := byteRun.FindString(out); m != "" {
			t.Errorf("%s prints raw bytes (%s): %s", what, m, out)
		}
	}
}

func TestKeyNeverPrintsSecretUnderAnyVerb(t *testing.T) {
	k, err := otp.NewKey(keyMarker, otp.Params{Algorithm: testAlg})
	if err != nil {
		t.Fatal(err)
	}
	weak, err := otp.NewKey(keyMarker[:otp.FIPSMinSecretLen], otp.Params{Algorithm: testAlg})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"*Key":           k,
		"Key":            *k,
		"weak Key":       *weak,
		"URI":            otp.URI{Account: "a", Key: k},
		"struct":         hostWithKey{Name: "h", Key: *k, KeyPtr: k, key: *k, keyPtr: k, URI: otp.URI{Account: "a", Key: k}},
		"*struct":        &hostWithKey{Key: *k, KeyPtr: k, key: *k, keyPtr: k},
		"[]Key":          []otp.Key{*k},
		"map of *Key":    map[string]*otp.Key{"k": k},
		"[]any of Key":   []any{*k, k},
		"Secret":         k.Secret(),
		"nil *Key field": hostWithKey{},
	} {
		secret := keyMarker
		if name == "weak Key" {
			secret = keyMarker[:10]
		}
		assertNoLeak(t, name, printAll(t, v), secret)
	}
	// The parameters still show.
	if got := fmt.Sprint(*weak); !strings.Contains(got, "6 digits") || !strings.Contains(got, "weak") {
		t.Errorf("Key prints %q, want its parameters", got)
	}
}

func TestPINConfigNeverPrintsPeppers(t *testing.T) {
	cfg := otp.PINConfig{Store: otp.NewMemStore(), Peppers: otp.NewKeys(map[uint8][]byte{1: pepperMarker, 2: pepperMarker}), PepperID: 1}
	for name, v := range map[string]any{
		"PINConfig":  cfg,
		"*PINConfig": &cfg,
		"struct":     hostWithConfig{PIN: cfg, PINPtr: &cfg, pin: cfg, pinPtr: &cfg},
		"*struct":    &hostWithConfig{PIN: cfg, PINPtr: &cfg, pin: cfg, pinPtr: &cfg},
	} {
		assertNoLeak(t, name, printAll(t, v), pepperMarker)
	}
	if got := fmt.Sprint(cfg); !strings.Contains(got, "Peppers: map[1:[REDACTED] 2:[REDACTED]]") {
		t.Errorf("PINConfig prints %q, want the pepper IDs and [REDACTED]", got)
	}
}
