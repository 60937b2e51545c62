package provision

import (
	"bytes"
	"errors"
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

var deviceFiles = []struct {
	name   string
	text   string
	device string
	ids    []uint8
	line   int // 0: valid; -1: whole-file error; n: error on line n
}{
	{"minimal", DeviceHeader + "\ndevice \"d\"\nkey 1 " + hexKey + "\n", "d", []uint8{1}, 0},
	{"comments and blanks", "# c\n\n" + DeviceHeader + "\n  # x\ndevice \"dev 42\\n\"\nkey 0 " + strings.ToUpper(hexKey) + "\nkey 255 " + hexKey + "\n", "dev 42\n", []uint8{0, 255}, 0},
	{"no trailing newline", DeviceHeader + "\ndevice \"d\"\nkey 1 " + hexKey, "d", []uint8{1}, 0},
	{"crlf", DeviceHeader + "\r\ndevice \"d\"\r\nkey 1 " + hexKey + "\r\n", "d", []uint8{1}, 0},
	{"empty", "", "", nil, -1},
	{"only comments", "# nothing\n", "", nil, -1},
	{"master header", MasterHeader + "\nkey 1 " + hexKey + "\n", "", nil, 1},
	{"no key", DeviceHeader + "\ndevice \"d\"\n", "", nil, -1},
	{"no device", DeviceHeader + "\nkey 1 " + hexKey + "\n", "", nil, -1},
	{"two devices", DeviceHeader + "\ndevice \"d\"\ndevice \"e\"\n", "", nil, 3},
	{"unquoted device", DeviceHeader + "\ndevice d\n", "", nil, 2},
	{"empty device", DeviceHeader + "\ndevice \"\"\n", "", nil, 2},
	{"long device", DeviceHeader + "\ndevice \"" + strings.Repeat("x", 256) + "\"\n", "", nil, 2},
	{"short key", DeviceHeader + "\ndevice \"d\"\nkey 1 " + hexKey[:62] + "\n", "", nil, 3},
	{"long key", DeviceHeader + "\ndevice \"d\"\nkey 1 " + hexKey + "00\n", "", nil, 3},
	{"not hex", DeviceHeader + "\ndevice \"d\"\nkey 1 " + strings.Repeat("zz", 32) + "\n", "", nil, 3},
	{"id 256", DeviceHeader + "\ndevice \"d\"\nkey 256 " + hexKey + "\n", "", nil, 3},
	{"negative id", DeviceHeader + "\ndevice \"d\"\nkey -1 " + hexKey + "\n", "", nil, 3},
	{"no hex", DeviceHeader + "\ndevice \"d\"\nkey 1\n", "", nil, 3},
	{"duplicate id", DeviceHeader + "\ndevice \"d\"\nkey 1 " + hexKey + "\nkey 1 " + hexKey + "\n", "", nil, 4},
	{"unknown record", DeviceHeader + "\nfoo bar\n", "", nil, 2},
	{"too large", DeviceHeader + "\n" + strings.Repeat("#\n", MaxFileSize), "", nil, -1},
}

func TestParseDeviceKeys(t *testing.T) {
	for _, tc := range deviceFiles {
		t.Run(tc.name, func(t *testing.T) {
			dev, keys, err := ParseDeviceKeys([]byte(tc.text))
			if tc.line == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if dev != tc.device || len(keys) != len(tc.ids) {
					t.Fatalf("got %q with %d keys, want %q with %d", dev, len(keys), tc.device, len(tc.ids))
				}
				for i, k := range keys {
					if k.ID() != tc.ids[i] {
						t.Errorf("key %d: ID %d, want %d", i, k.ID(), tc.ids[i])
					}
					if hexOf(k.Bytes()) != hexKey {
						t.Errorf("key %d: wrong bytes", i)
					}
				}
				return
			}
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v, want a *FormatError", err)
			}
			want := tc.line
			if want < 0 {
				want = 0
			}
			if fe.Line != want {
				t.Errorf("line %d, want %d (%v)", fe.Line, want, err)
			}
			if strings.Contains(err.Error(), hexKey[:16]) {
				t.Errorf("error %q holds key material", err)
			}
		})
	}
}

func TestParseMasterKeys(t *testing.T) {
	keys, err := ParseMasterKeys([]byte(MasterHeader + "\nkey 3 " + hexKey + "\nkey 4 " + hexKey + "\n"))
	if err != nil || len(keys) != 2 || keys[0].ID() != 3 || keys[1].ID() != 4 {
		t.Fatalf("keys %v, err %v", keys, err)
	}
	for _, bad := range []string{
		DeviceHeader + "\ndevice \"d\"\nkey 1 " + hexKey + "\n", // a device file
		MasterHeader + "\ndevice \"d\"\nkey 1 " + hexKey + "\n", // no device record in a master file
		MasterHeader + "\n",
	} {
		if _, err := ParseMasterKeys([]byte(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: err = %v, want ErrFormat", bad, err)
		}
	}
}

// TestRoundTrip: for all device IDs and keyrings, parsing what Marshal
// wrote gives them back.
func TestRoundTrip(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 200
	p := gopter.NewProperties(params)
	p.Property("device key files round-trip", prop.ForAll(
		func(device string, ids []uint8, seed []byte) bool {
			var ring []servicepass.DeviceKey
			seen := map[uint8]bool{}
			for i, id := range ids {
				if seen[id] {
					continue
				}
				seen[id] = true
				k, err := servicepass.NewDeviceKey(id, bytes.Repeat([]byte{byte(i) ^ seed[0]}, servicepass.KeySize))
				if err != nil {
					return false
				}
				ring = append(ring, k)
			}
			gotDev, got, err := ParseDeviceKeys(MarshalDeviceKeys(device, ring))
			if err != nil || gotDev != device || len(got) != len(ring) {
				return false
			}
			for i := range got {
				if got[i].ID() != ring[i].ID() || !bytes.Equal(got[i].Bytes(), ring[i].Bytes()) {
					return false
				}
			}
			return true
		},
		gen.AnyString().SuchThat(func(s string) bool { return s != "" && len(s) <= servicepass.MaxDeviceIDLen }),
		gen.SliceOfN(4, gen.UInt8()).SuchThat(func(ids []uint8) bool { return len(ids) > 0 }),
		gen.SliceOfN(1, gen.UInt8()),
	))
	p.Property("master key files round-trip", prop.ForAll(
		func(id uint8, b byte) bool {
			m, _ := servicepass.NewMasterKey(id, bytes.Repeat([]byte{b}, servicepass.KeySize))
			got, err := ParseMasterKeys(MarshalMasterKeys([]servicepass.MasterKey{m}))
			return err == nil && len(got) == 1 && got[0].ID() == id && bytes.Equal(got[0].Bytes(), m.Bytes())
		},
		gen.UInt8(), gen.UInt8(),
	))
	p.TestingRun(t)
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

func FuzzParseDeviceKeys(f *testing.F) {
	for _, tc := range deviceFiles {
		if len(tc.text) < 4096 {
			f.Add([]byte(tc.text))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dev, keys, err := ParseDeviceKeys(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not match ErrFormat", err)
			}
			return
		}
		// What parses, marshals and parses back the same.
		dev2, keys2, err := ParseDeviceKeys(MarshalDeviceKeys(dev, keys))
		if err != nil || dev2 != dev || len(keys2) != len(keys) {
			t.Fatalf("round trip: %q %d %v", dev2, len(keys2), err)
		}
	})
}

func FuzzParseMasterKeys(f *testing.F) {
	f.Add([]byte(MasterHeader + "\nkey 1 " + hexKey + "\n"))
	for _, tc := range deviceFiles {
		if len(tc.text) < 4096 {
			f.Add([]byte(strings.Replace(tc.text, DeviceHeader, MasterHeader, 1)))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParseMasterKeys(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not match ErrFormat", err)
			}
			return
		}
		if _, err := ParseMasterKeys(MarshalMasterKeys(keys)); err != nil {
			t.Fatal(err)
		}
	})
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
