package servicepass_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// TestUnusableKeys: the zero keys and constant material are refused with a
// typed error by every constructor and every consumer of keys (finding 8).
func TestUnusableKeys(t *testing.T) {
	zero := make([]byte, servicepass.KeySize)
	ones := bytes.Repeat([]byte{0xff}, servicepass.KeySize)
	good := testMaster(1)
	dk := mustDeviceKey(t, good, "d")
	checks := []struct {
		name string
		err  error
		want error
	}{
		{"NewMasterKey zero", second(servicepass.NewMasterKey(1, zero)), servicepass.ErrKeyUnusable},
		{"NewMasterKey 0xFF", second(servicepass.NewMasterKey(1, ones)), servicepass.ErrKeyUnusable},
		{"NewMasterKey short", second(servicepass.NewMasterKey(1, zero[:31])), servicepass.ErrKeySize},
		{"NewDeviceKey zero", second(servicepass.NewDeviceKey(1, zero)), servicepass.ErrKeyUnusable},
		{"NewDeviceKey 0xFF", second(servicepass.NewDeviceKey(1, ones)), servicepass.ErrKeyUnusable},
		{"NewDeviceKey long", second(servicepass.NewDeviceKey(1, append(zero, 1))), servicepass.ErrKeySize},
		{"GenerateMasterKey from a constant source", second(servicepass.GenerateMasterKey(1, bytes.NewReader(zero))), servicepass.ErrKeyUnusable},
		{"DeriveDeviceKey from the zero MasterKey", second(servicepass.DeriveDeviceKey(servicepass.MasterKey{}, "d")), servicepass.ErrKeyUnusable},
		{"NewIssuer with the zero MasterKey", second(servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{good, {}}})), servicepass.ErrKeyUnusable},
		{"NewIssuer without keys", second(servicepass.NewIssuer(servicepass.IssuerConfig{})), servicepass.ErrNoKeys},
		{"NewIssuer with an ID twice", second(servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{good, good}})), servicepass.ErrKeyIDTwice},
		{"NewVerifier with the zero DeviceKey", second(servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "d", Mode: servicepass.DeviceOwner, HasMode: true, Keys: []servicepass.DeviceKey{{}}, Location: time.UTC}, nil, nil)), servicepass.ErrKeyUnusable},
		{"NewVerifier with a zero key beside a good one", second(servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "d", Mode: servicepass.DeviceOwner, HasMode: true, Keys: []servicepass.DeviceKey{dk, {}}, Location: time.UTC}, nil, nil)), servicepass.ErrKeyUnusable},
		{"NewVerifier without keys", second(servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "d", Mode: servicepass.DeviceOwner, HasMode: true, Location: time.UTC}, nil, nil)), servicepass.ErrNoKeys},
		{"NewVerifier with an ID twice", second(servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "d", Mode: servicepass.DeviceOwner, HasMode: true, Keys: []servicepass.DeviceKey{dk, dk}, Location: time.UTC}, nil, nil)), servicepass.ErrKeyIDTwice},
	}
	for _, c := range checks {
		var ke *servicepass.KeyError
		if !errors.Is(c.err, c.want) || !errors.Is(c.err, servicepass.ErrKey) || !errors.As(c.err, &ke) {
			t.Errorf("%s: err = %v, want a *KeyError matching %v and ErrKey", c.name, c.err, c.want)
		}
	}
	// A key that merely starts with zeros is fine.
	almost := append([]byte(nil), zero...)
	almost[31] = 1
	if _, err := servicepass.NewMasterKey(1, almost); err != nil {
		t.Errorf("a key with one nonzero byte: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestKeyErrorString(t *testing.T) {
	err := &servicepass.KeyError{Reason: servicepass.ErrKeyIDReused, KeyID: 3, Detail: "retired"}
	if got := err.Error(); got != "servicepass: key ID reused for a different key (key ID 3): retired" {
		t.Errorf("Error() = %q", got)
	}
	if errors.Unwrap(err) != servicepass.ErrKeyIDReused || errors.Is(err, servicepass.ErrKeySize) {
		t.Error("matching")
	}
	if got := (&servicepass.KeyError{Reason: servicepass.ErrNoKeys, KeyID: -1}).Error(); got != "servicepass: no keys" {
		t.Errorf("Error() = %q", got)
	}
}

// TestRetiredKeyID: a key ID the site retired cannot be given to a new
// master key (finding 7).
func TestRetiredKeyID(t *testing.T) {
	_, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{testMaster(2), testMaster(1)}, Retired: []uint8{1}})
	var ke *servicepass.KeyError
	if !errors.Is(err, servicepass.ErrKeyIDReused) || !errors.As(err, &ke) || ke.KeyID != 1 {
		t.Fatalf("err = %v, want ErrKeyIDReused for key ID 1", err)
	}
	if _, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{testMaster(2)}, Retired: []uint8{1}}); err != nil {
		t.Fatal(err)
	}
}

// TestIssueUnderHeldKey: during a rotation the issuer makes codes under the
// newest key the device holds, so an offline device that never received
// the new keyring still verifies them (finding 7).
func TestIssueUnderHeldKey(t *testing.T) {
	f := newFixture(t, testMaster(1), testMaster(2), testMaster(3))
	old := f.is.KeyIDs()
	if fmt.Sprint(old) != "[1 2 3]" {
		t.Fatalf("KeyIDs = %v", old)
	}
	// The device was provisioned before keys 2 and 3 existed.
	ring := []servicepass.DeviceKey{mustDeviceKey(t, testMaster(1), "offline")}
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "offline", Mode: servicepass.DeviceOwner, HasMode: true, Keys: ring, Location: time.UTC}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		held servicepass.KeyIDSet
		want uint8
		err  error
	}{
		{servicepass.KeyIDSet{}, 3, nil},
		{servicepass.KeyIDsOf(1), 1, nil},
		{servicepass.KeyIDsOf(1, 2), 2, nil},
		{servicepass.KeyIDsOf(3, 1), 3, nil},
		{servicepass.KeyIDsOf(1, 200), 1, nil},
		{servicepass.KeyIDsOf(9), 0, servicepass.ErrKeyNotHeld},
	}
	for _, tt := range tests {
		iss, err := f.is.Issue(context.Background(), servicepass.Request{DeviceID: "offline", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a", KeyIDs: tt.held})
		if tt.err != nil {
			var re *servicepass.RuleError
			if !errors.Is(err, tt.err) || !errors.As(err, &re) || re.Field != "KeyIDs" {
				t.Errorf("held %v: err = %v, want %v", tt.held, err, tt.err)
			}
			continue
		}
		if err != nil || iss.KeyID != tt.want {
			t.Errorf("held %v: key %d, %v; want key %d", tt.held, iss.KeyID, err, tt.want)
			continue
		}
		_, verr := v.Verify(context.Background(), iss.Code.Reveal(), t0)
		if tt.want == 1 && verr != nil {
			t.Errorf("held %v: the offline device refused the code: %v", tt.held, verr)
		}
		if tt.want != 1 && !errors.Is(verr, servicepass.ErrUnknownKey) {
			t.Errorf("held %v: the offline device said %v, want ErrUnknownKey", tt.held, verr)
		}
	}
}

func TestKeyIDSet(t *testing.T) {
	s := servicepass.KeyIDsOf(0, 63, 64, 255, 64)
	if got := s.String(); got != "{0, 63, 64, 255}" {
		t.Errorf("String = %q", got)
	}
	for id := 0; id < 256; id++ {
		want := id == 0 || id == 63 || id == 64 || id == 255
		if s.Has(uint8(id)) != want {
			t.Errorf("Has(%d) = %v", id, !want)
		}
	}
	if s.IsEmpty() || !(servicepass.KeyIDSet{}).IsEmpty() || len(s.List()) != 4 {
		t.Error("IsEmpty or List")
	}
}

// TestDeviceIDRule: the device ID follows the identifier rule of the spec
// (§1): no C0, DEL or C1 control, no format character, no noncharacter
// (finding 10: C1 controls were accepted).
func TestDeviceIDRule(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		id string
		ok bool
	}{
		{"device-42", true},
		{"Zażółć 42", true},
		{strings.Repeat("d", servicepass.MaxDeviceIDLen), true},
		{"", false},
		{strings.Repeat("d", servicepass.MaxDeviceIDLen+1), false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a\x7fb", false},
		{"a\u0080b", false},
		{"a\u0085b", false}, // NEL
		{"a\u009fb", false},
		{"a\u200bb", false}, // zero-width space
		{"a\u202eb", false}, // right-to-left override
		{"a\ufffeb", false}, // noncharacter
		{"a\xffb", false},
	}
	for _, tt := range tests {
		_, ierr := f.is.Issue(context.Background(), servicepass.Request{DeviceID: tt.id, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a"})
		_, derr := servicepass.DeriveDeviceKey(testMaster(1), tt.id)
		dk := mustDeviceKey(t, testMaster(1), "x")
		_, verr := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: tt.id, Mode: servicepass.DeviceOwner, HasMode: true, Keys: []servicepass.DeviceKey{dk}, Location: time.UTC}, nil, nil)
		for name, err := range map[string]error{"Issue": ierr, "DeriveDeviceKey": derr, "NewVerifier": verr} {
			if tt.ok && err != nil {
				t.Errorf("%s(%q): %v", name, tt.id, err)
			}
			if !tt.ok && !errors.Is(err, servicepass.ErrDeviceID) {
				t.Errorf("%s(%q) = %v, want ErrDeviceID", name, tt.id, err)
			}
			if !tt.ok && err != nil && tt.id != "" && strings.Contains(err.Error(), tt.id) {
				t.Errorf("%s: the error repeats the hostile ID: %v", name, err)
			}
		}
	}
}

// TestNilContext: every servicepass function that takes a context returns
// ErrNilContext for a nil one instead of panicking (finding 10).
func TestNilContext(t *testing.T) {
	f := newFixture(t)
	var nilCtx context.Context
	if _, err := f.is.Issue(nilCtx, servicepass.Request{DeviceID: "d", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a"}); !errors.Is(err, servicepass.ErrNilContext) {
		t.Errorf("Issue: %v", err)
	}
	m := servicepass.NewMemStore()
	if err := m.Record(nilCtx, servicepass.Event{}); !errors.Is(err, servicepass.ErrNilContext) {
		t.Errorf("MemStore.Record: %v", err)
	}
	if _, err := m.Events(nilCtx, ""); !errors.Is(err, servicepass.ErrNilContext) {
		t.Errorf("MemStore.Events: %v", err)
	}
}

// secretFormats are the fmt verbs a secret must survive.
var secretFormats = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}

// leaks reports whether out shows key material: the hex (either case) or
// the decimal bytes of any of the keys, or the raw bytes.
func leaks(out string, keys ...[]byte) bool {
	for _, k := range keys {
		dec := strings.Trim(fmt.Sprint(k), "[]")
		if strings.Contains(out, fmt.Sprintf("%x", k[:8])) || strings.Contains(out, fmt.Sprintf("%X", k[:8])) ||
			strings.Contains(out, dec[:20]) || strings.Contains(out, string(k[:8])) ||
			strings.Contains(out, fmt.Sprintf("%x", k[8:16])) {
			return true
		}
	}
	return false
}

// TestKeyMaterialRedacted: every servicepass value that holds key material
// redacts it under every verb, through pointers and as a field, in
// log/slog (text and JSON) and in encoding/json (issue 14, finding 1:
// fmt.Println(issuer) printed the master key).
func TestKeyMaterialRedacted(t *testing.T) {
	m1, m2 := testMaster(0x41), testMaster(0x61)
	is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{m1, m2}})
	if err != nil {
		t.Fatal(err)
	}
	prov, err := is.Provision("device-42", servicepass.COPE, warsaw)
	if err != nil {
		t.Fatal(err)
	}
	dk := prov.Keys[0]
	keyBytes := [][]byte{m1.Bytes(), m2.Bytes(), prov.Keys[0].Bytes(), prov.Keys[1].Bytes()}
	icfg := servicepass.IssuerConfig{Keys: []servicepass.MasterKey{m1, m2}}
	type holder struct {
		Name   string
		Issuer *servicepass.Issuer
		Prov   *servicepass.Provisioning
		Key    servicepass.MasterKey
		hidden servicepass.DeviceKey
	}
	values := map[string]any{
		"*Issuer":               is,
		"Issuer":                *is,
		"MasterKey":             m1,
		"*MasterKey":            &m1,
		"DeviceKey":             dk,
		"*DeviceKey":            &dk,
		"[]DeviceKey":           prov.Keys,
		"*Provisioning":         prov,
		"Provisioning":          *prov,
		"IssuerConfig":          icfg,
		"*IssuerConfig":         &icfg,
		"struct with fields":    holder{Name: "h", Issuer: is, Prov: prov, Key: m2, hidden: dk},
		"pointer to the struct": &holder{Name: "h", Issuer: is, Prov: prov, Key: m2, hidden: dk},
		"map":                   map[string]any{"issuer": is, "prov": prov},
	}
	for name, v := range values {
		for _, format := range secretFormats {
			out := fmt.Sprintf(format, v)
			if leaks(out, keyBytes...) {
				t.Errorf("%s under %s leaks: %s", name, format, out)
			}
		}
		if out := fmt.Sprintln(v); leaks(out, keyBytes...) {
			t.Errorf("%s through Println leaks: %s", name, out)
		}
		for _, h := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var buf bytes.Buffer
			slog.New(h(&buf)).Info("x", "v", v, slog.Any("any", v))
			if leaks(buf.String(), keyBytes...) {
				t.Errorf("%s in slog leaks: %s", name, buf.String())
			}
		}
		if out, err := json.Marshal(v); err == nil && leaks(string(out), keyBytes...) {
			t.Errorf("%s in JSON leaks: %s", name, out)
		}
	}
	// The redacted forms still say what they are.
	for _, c := range []struct{ got, want string }{
		{fmt.Sprint(is), "servicepass.Issuer(key IDs [65 97], [REDACTED])"},
		{fmt.Sprintf("%#v", m1), "servicepass.MasterKey(id=65, [REDACTED])"},
		{fmt.Sprint(prov), `servicepass.Provisioning(device "device-42", mode COPE, zone Europe/Warsaw, key IDs {65, 97}, [REDACTED])`},
		{string(must(json.Marshal(is))), `{"key_ids":[65,97],"keys":"[REDACTED]"}`},
		{string(must(json.Marshal(dk))), `{"id":65,"key":"[REDACTED]"}`},
		{string(must(json.Marshal(prov))), `{"device_id":"device-42","mode":"cope","zone":"Europe/Warsaw","key_ids":[65,97],"keys":"[REDACTED]"}`},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	// The leak detector itself finds raw key material.
	if !leaks(fmt.Sprintf("%x", m1.Bytes()), keyBytes...) || !leaks(fmt.Sprint(m1.Bytes()), keyBytes...) {
		t.Fatal("leaks() misses raw keys")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A Request stays comparable with the key choice in it (KeyIDSet is an
// array, not a slice), so hosts that compare or map requests keep working.
var _ = servicepass.Request{KeyIDs: servicepass.KeyIDsOf(1)} == servicepass.Request{}
