package provision

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/servicepass"
)

const hexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

var masterFiles = []struct {
	name    string
	text    string
	ids     []uint8
	retired []uint8
	line    int // 0: valid; -1: whole-file error; n: error on line n
}{
	{"minimal", MasterHeader + "\nkey 1 " + hexKey + "\n", []uint8{1}, nil, 0},
	{"comments, retired, upper case", "# c\n\n" + MasterHeader + "\n  # x\nretired 0\nkey 3 " + strings.ToUpper(hexKey) + "\nretired 7\nkey 255 " + hexKey + "\n", []uint8{3, 255}, []uint8{0, 7}, 0},
	{"no trailing newline", MasterHeader + "\nkey 1 " + hexKey, []uint8{1}, nil, 0},
	{"crlf", MasterHeader + "\r\nkey 1 " + hexKey + "\r\n", []uint8{1}, nil, 0},
	{"empty", "", nil, nil, -1},
	{"only comments", "# nothing\n", nil, nil, -1},
	{"provisioning header", servicepass.ProvisioningHeader + "\nkey 1 " + hexKey + "\n", nil, nil, 1},
	{"no key", MasterHeader + "\n", nil, nil, -1},
	{"only retired", MasterHeader + "\nretired 1\n", nil, nil, -1},
	{"device record", MasterHeader + "\ndevice \"d\"\nkey 1 " + hexKey + "\n", nil, nil, 2},
	{"short key", MasterHeader + "\nkey 1 " + hexKey[:62] + "\n", nil, nil, 2},
	{"zero key", MasterHeader + "\nkey 1 " + strings.Repeat("00", 32) + "\n", nil, nil, 2},
	{"not hex", MasterHeader + "\nkey 1 " + strings.Repeat("zz", 32) + "\n", nil, nil, 2},
	{"id 256", MasterHeader + "\nkey 256 " + hexKey + "\n", nil, nil, 2},
	{"no hex", MasterHeader + "\nkey 1\n", nil, nil, 2},
	{"duplicate id", MasterHeader + "\nkey 1 " + hexKey + "\nkey 1 " + hexKey + "\n", nil, nil, 3},
	{"retired id in use", MasterHeader + "\nretired 1\nkey 1 " + hexKey + "\n", nil, nil, 3},
	{"retired with a key", MasterHeader + "\nretired 1 " + hexKey + "\n", nil, nil, 2},
	{"unknown record", MasterHeader + "\nfoo bar\n", nil, nil, 2},
	{"too large", MasterHeader + "\n" + strings.Repeat("#\n", MaxFileSize), nil, nil, -1},
}

func TestParseMasterFile(t *testing.T) {
	for _, tc := range masterFiles {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseMasterFile([]byte(tc.text))
			if tc.line == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if len(f.Keys) != len(tc.ids) || fmt.Sprint(f.Retired) != fmt.Sprint(tc.retired) {
					t.Fatalf("got %v retired %v", f.Keys, f.Retired)
				}
				for i, k := range f.Keys {
					if k.ID() != tc.ids[i] || hex.EncodeToString(k.Bytes()) != hexKey {
						t.Errorf("key %d: ID %d", i, k.ID())
					}
					if !f.Used(k.ID()) {
						t.Errorf("Used(%d) = false", k.ID())
					}
				}
				for _, r := range tc.retired {
					if !f.Used(r) {
						t.Errorf("Used(%d) = false", r)
					}
				}
				return
			}
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v, want a *FormatError", err)
			}
			if fe.Line != max(tc.line, 0) {
				t.Errorf("line %d, want %d (%v)", fe.Line, tc.line, err)
			}
			if strings.Contains(err.Error(), hexKey[:16]) {
				t.Errorf("error %q holds key material", err)
			}
		})
	}
	if _, err := ParseMasterFile([]byte(MasterHeader + "\nkey 1 " + strings.Repeat("00", 32) + "\n")); !errors.Is(err, servicepass.ErrKeyUnusable) {
		t.Errorf("zero key: %v, want servicepass.ErrKeyUnusable", err)
	}
}

// TestRoundTrip: for all master key files, parsing what Marshal wrote gives
// them back.
func TestRoundTrip(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 200
	p := gopter.NewProperties(params)
	p.Property("master key files round-trip", prop.ForAll(
		func(ids []uint8, nretired int, b byte) bool {
			var f MasterFile
			seen := map[uint8]bool{}
			for i, id := range ids {
				if seen[id] {
					continue
				}
				seen[id] = true
				if i < nretired {
					f.Retired = append(f.Retired, id)
					continue
				}
				m, err := servicepass.NewMasterKey(id, bytes.Repeat([]byte{b | 1, byte(i)}, servicepass.KeySize/2))
				if err != nil {
					return false
				}
				f.Keys = append(f.Keys, m)
			}
			if len(f.Keys) == 0 {
				return true
			}
			got, err := ParseMasterFile(MarshalMasterFile(f))
			if err != nil || len(got.Keys) != len(f.Keys) || fmt.Sprint(got.Retired) != fmt.Sprint(f.Retired) {
				return false
			}
			for i := range got.Keys {
				if !got.Keys[i].Equal(f.Keys[i]) {
					return false
				}
			}
			return true
		},
		gen.SliceOfN(6, gen.UInt8()), gen.IntRange(0, 6), gen.UInt8(),
	))
	p.TestingRun(t)
}

// TestDeviceKeysWrappers: the deprecated device key helpers write and read
// the servicepass provisioning format.
func TestDeviceKeysWrappers(t *testing.T) {
	m, _ := servicepass.NewMasterKey(1, mustHex(hexKey))
	dk, _ := servicepass.DeriveDeviceKey(m, "d")
	text := MarshalDeviceKeys("d", []servicepass.DeviceKey{dk})
	p, err := servicepass.ParseProvisioning(text)
	if err != nil || p.DeviceID != "d" || p.Location.String() != "UTC" {
		t.Fatalf("%v %v", p, err)
	}
	dev, keys, err := ParseDeviceKeys(text)
	if err != nil || dev != "d" || len(keys) != 1 || !keys[0].Equal(dk) {
		t.Fatalf("%q %v %v", dev, keys, err)
	}
	if _, _, err := ParseDeviceKeys([]byte("junk")); !errors.Is(err, servicepass.ErrProvisioning) {
		t.Errorf("junk: %v", err)
	}
	if MarshalDeviceKeys("", nil) != nil {
		t.Error("an invalid provisioning was written")
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k")
	if err := WriteFile(path, []byte("one"), false); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("two"), false); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second exclusive write: %v, want os.ErrExist", err)
	}
	if err := WriteFile(path, []byte("three"), true); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil || string(got) != "three" {
		t.Fatalf("read %q, %v", got, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "k"), nil, true); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("#"), MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); !errors.Is(err, ErrFormat) {
		t.Errorf("oversized file: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestNames(t *testing.T) {
	modes := []struct {
		in   string
		want servicepass.Mode
		ok   bool
	}{
		{"device-owner", servicepass.DeviceOwner, true},
		{"DeviceOwner", servicepass.DeviceOwner, true},
		{"do", servicepass.DeviceOwner, true},
		{"COPE", servicepass.COPE, true},
		{"cope", servicepass.COPE, true},
		{"", 0, false},
		{"byod", 0, false},
	}
	for _, tc := range modes {
		m, err := ParseMode(tc.in)
		if (err == nil) != tc.ok || (tc.ok && m != tc.want) {
			t.Errorf("ParseMode(%q) = %v, %v", tc.in, m, err)
		}
		if tc.ok {
			if back, _ := ParseMode(ModeName(m)); back != m {
				t.Errorf("ModeName(%v) does not parse back", m)
			}
		}
	}
	actions := []struct {
		in   string
		want servicepass.Actions
		ok   bool
	}{
		{"unlock", servicepass.Unlock, true},
		{"Unlock,DisableKiosk", servicepass.Unlock | servicepass.DisableKiosk, true},
		{" remove-network-restrictions , allow_factory_reset ", servicepass.RemoveNetworkRestrictions | servicepass.AllowFactoryReset, true},
		{"set-password", servicepass.SetPassword, true},
		{"", 0, true},
		{"unlock,,", servicepass.Unlock, true},
		{"unlok", 0, false},
		{"unlock,reboot", 0, false},
	}
	for _, tc := range actions {
		a, err := ParseActions(tc.in)
		if (err == nil) != tc.ok || a != tc.want {
			t.Errorf("ParseActions(%q) = %v, %v", tc.in, a, err)
		}
	}
	for _, a := range servicepass.AllActions.List() {
		if back, err := ParseActions(ActionName(a)); err != nil || back != a {
			t.Errorf("ActionName(%v) = %q does not parse back: %v", a, ActionName(a), err)
		}
	}
	if got := ActionName(servicepass.EmergencyDatabaseReset); got != "emergency-database-reset" {
		t.Errorf("ActionName = %q", got)
	}
}

func FuzzParseMasterFile(f *testing.F) {
	for _, tc := range masterFiles {
		if len(tc.text) < 4096 {
			f.Add([]byte(tc.text))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mf, err := ParseMasterFile(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not match ErrFormat", err)
			}
			return
		}
		back, err := ParseMasterFile(MarshalMasterFile(mf))
		if err != nil || len(back.Keys) != len(mf.Keys) || fmt.Sprint(back.Retired) != fmt.Sprint(mf.Retired) {
			t.Fatalf("round trip: %v %v", back, err)
		}
	})
}
