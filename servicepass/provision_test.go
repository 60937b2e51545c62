package servicepass_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/servicepass"
)

const (
	hexKeyA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	hexKeyB = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	hexZero = "0000000000000000000000000000000000000000000000000000000000000000"
	hdr     = servicepass.ProvisioningHeader + "\n"
)

// provisioningFiles is the table of provisioning files: valid ones with
// what they hold, invalid ones with the line and field at fault and the
// sentinel the error also matches.
var provisioningFiles = []struct {
	name   string
	text   string
	device string
	mode   string // "" when not recorded
	zone   string
	ids    []uint8
	line   int // valid: 0; the whole file: -1
	field  string
	also   error
}{
	{name: "minimal", text: hdr + "device \"d\"\nzone UTC\nkey 1 " + hexKeyA + "\n", device: "d", zone: "UTC", ids: []uint8{1}},
	{name: "every record", text: "# c\n\n" + hdr + "  # x\ndevice \"dev 42 \\\"q\\\" \\u00e9\"\nmode cope\nzone Europe/Warsaw\nkey 0 " + strings.ToUpper(hexKeyA) + "\nkey 255 " + hexKeyB + "\n", device: "dev 42 \"q\" é", mode: "cope", zone: "Europe/Warsaw", ids: []uint8{0, 255}},
	{name: "records in any order", text: hdr + "key 7 " + hexKeyA + "\nzone America/Argentina/Buenos_Aires\nmode device-owner\ndevice \"d\"\n", device: "d", mode: "device-owner", zone: "America/Argentina/Buenos_Aires", ids: []uint8{7}},
	{name: "no trailing newline", text: hdr + "device \"d\"\nzone UTC\nkey 1 " + hexKeyA, device: "d", zone: "UTC", ids: []uint8{1}},
	{name: "crlf and tabs", text: servicepass.ProvisioningHeader + "\r\ndevice \"d\"\r\nzone\tEtc/GMT+5 \r\nkey 1 " + hexKeyA + "\t\r\n", device: "d", zone: "Etc/GMT+5", ids: []uint8{1}},

	{name: "empty", text: "", line: -1, field: "header"},
	{name: "only comments", text: "# nothing\n", line: -1, field: "header"},
	{name: "old device keys header", text: "mdmcred device keys v1\ndevice \"d\"\n", line: 1, field: "header"},
	{name: "no device", text: hdr + "zone UTC\nkey 1 " + hexKeyA + "\n", line: -1, field: "device"},
	{name: "no zone", text: hdr + "device \"d\"\nkey 1 " + hexKeyA + "\n", line: -1, field: "zone"},
	{name: "no key", text: hdr + "device \"d\"\nzone UTC\n", line: -1, field: "key", also: servicepass.ErrNoKeys},
	{name: "two devices", text: hdr + "device \"d\"\ndevice \"e\"\n", line: 3, field: "device"},
	{name: "unquoted device", text: hdr + "device d\n", line: 2, field: "device"},
	{name: "device not JSON", text: hdr + "device \"d\" x\n", line: 2, field: "device"},
	{name: "empty device", text: hdr + "device \"\"\n", line: 2, field: "device", also: servicepass.ErrDeviceID},
	{name: "long device", text: hdr + "device \"" + strings.Repeat("x", 256) + "\"\n", line: 2, field: "device", also: servicepass.ErrDeviceID},
	{name: "C1 control in device", text: hdr + "device \"a\\u0085b\"\n", line: 2, field: "device", also: servicepass.ErrDeviceID},
	{name: "bidi control in device", text: hdr + "device \"a\u202eb\"\n", line: 2, field: "device", also: servicepass.ErrDeviceID},
	{name: "unknown mode", text: hdr + "mode byod\n", line: 2, field: "mode", also: servicepass.ErrUnknownMode},
	{name: "two modes", text: hdr + "mode cope\nmode cope\n", line: 3, field: "mode"},
	{name: "unknown zone", text: hdr + "zone Mars/Olympus\n", line: 2, field: "zone"},
	{name: "Local zone", text: hdr + "zone Local\n", line: 2, field: "zone"},
	// Issue 22: names of whatever the machine is set to, in the system zone
	// database (Debian's /usr/share/zoneinfo/localtime links to /etc/localtime).
	{name: "localtime zone", text: hdr + "zone localtime\n", line: 2, field: "zone"},
	{name: "posixrules zone", text: hdr + "zone posixrules\n", line: 2, field: "zone"},
	{name: "LOCAL zone", text: hdr + "zone LOCAL\n", line: 2, field: "zone"},
	{name: "path zone", text: hdr + "zone ../../etc/passwd\n", line: 2, field: "zone"},
	{name: "absolute zone", text: hdr + "zone /etc/localtime\n", line: 2, field: "zone"},
	{name: "two zones", text: hdr + "zone UTC\nzone UTC\n", line: 3, field: "zone"},
	{name: "short key", text: hdr + "key 1 " + hexKeyA[:62] + "\n", line: 2, field: "key", also: servicepass.ErrKeySize},
	{name: "long key", text: hdr + "key 1 " + hexKeyA + "00\n", line: 2, field: "key", also: servicepass.ErrKeySize},
	{name: "not hex", text: hdr + "key 1 " + strings.Repeat("zz", 32) + "\n", line: 2, field: "key"},
	{name: "zero key", text: hdr + "key 1 " + hexZero + "\n", line: 2, field: "key", also: servicepass.ErrKeyUnusable},
	{name: "0xFF key", text: hdr + "key 1 " + strings.Repeat("ff", 32) + "\n", line: 2, field: "key", also: servicepass.ErrKeyUnusable},
	{name: "id 256", text: hdr + "key 256 " + hexKeyA + "\n", line: 2, field: "key"},
	{name: "negative id", text: hdr + "key -1 " + hexKeyA + "\n", line: 2, field: "key"},
	{name: "id with a leading zero", text: hdr + "key 01 " + hexKeyA + "\n", line: 2, field: "key"},
	{name: "no hex", text: hdr + "key 1\n", line: 2, field: "key"},
	{name: "duplicate id", text: hdr + "key 1 " + hexKeyA + "\nkey 1 " + hexKeyB + "\n", line: 3, field: "key", also: servicepass.ErrKeyIDTwice},
	{name: "unknown record", text: hdr + "foo bar\n", line: 2},
	{name: "not UTF-8", text: hdr + "device \"\xff\"\n", line: -1},
	{name: "too large", text: hdr + strings.Repeat("#\n", servicepass.MaxProvisioningSize), line: -1},
}

func TestParseProvisioning(t *testing.T) {
	for _, tc := range provisioningFiles {
		t.Run(tc.name, func(t *testing.T) {
			p, err := servicepass.ParseProvisioning([]byte(tc.text))
			if tc.line == 0 {
				if err != nil {
					t.Fatal(err)
				}
				mode := ""
				if p.HasMode {
					mode = map[servicepass.Mode]string{servicepass.DeviceOwner: "device-owner", servicepass.COPE: "cope"}[p.Mode]
				}
				if p.DeviceID != tc.device || mode != tc.mode || p.Location.String() != tc.zone || fmt.Sprint(p.KeyIDs().List()) != fmt.Sprint(tc.ids) {
					t.Fatalf("got %q %q %s %v, want %q %q %s %v", p.DeviceID, mode, p.Location, p.KeyIDs(), tc.device, tc.mode, tc.zone, tc.ids)
				}
				if len(p.Keys) != len(tc.ids) || p.Keys[0].ID() != tc.ids[0] {
					t.Fatalf("keys out of order: %v", p.Keys)
				}
				return
			}
			var pe *servicepass.ProvisioningError
			if !errors.As(err, &pe) || !errors.Is(err, servicepass.ErrProvisioning) || p != nil {
				t.Fatalf("got %v, %v; want a *ProvisioningError", p, err)
			}
			if want := max(tc.line, 0); pe.Line != want || pe.Field != tc.field {
				t.Errorf("line %d field %q, want line %d field %q (%v)", pe.Line, pe.Field, want, tc.field, err)
			}
			if tc.also != nil && !errors.Is(err, tc.also) {
				t.Errorf("err = %v, want it to match %v", err, tc.also)
			}
			if strings.Contains(err.Error(), hexKeyA[8:24]) || strings.Contains(err.Error(), hexKeyB[8:24]) {
				t.Errorf("error %q holds key material", err)
			}
		})
	}
}

// TestProvisioningRoundTrip: for all device IDs, modes, zones and keyrings,
// parsing what Encode wrote gives them back.
func TestProvisioningRoundTrip(t *testing.T) {
	zones := []string{"UTC", "Europe/Warsaw", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "Pacific/Chatham", "Etc/GMT-14"}
	p := gopter.NewProperties(params(3, 300))
	p.Property("ParseProvisioning(Encode(p)) == p", prop.ForAll(
		func(device string, mode int, zone int, ids []uint8, seed uint8) bool {
			in := &servicepass.Provisioning{DeviceID: device, Mode: servicepass.Mode(mode % 2), HasMode: mode < 2, Location: mustLoc(zones[zone])}
			seen := map[uint8]bool{}
			for i, id := range ids {
				if seen[id] {
					continue
				}
				seen[id] = true
				b := make([]byte, servicepass.KeySize)
				for j := range b {
					b[j] = seed + byte(i*31+j)
				}
				k, err := servicepass.NewDeviceKey(id, b)
				if err != nil {
					t.Logf("NewDeviceKey: %v", err)
					return false
				}
				in.Keys = append(in.Keys, k)
			}
			text, err := in.Encode()
			if err != nil {
				t.Logf("Encode(%q): %v", device, err)
				return false
			}
			out, err := servicepass.ParseProvisioning(text)
			if err != nil {
				t.Logf("Parse: %v\n%s", err, text)
				return false
			}
			if out.DeviceID != in.DeviceID || out.HasMode != in.HasMode || (in.HasMode && out.Mode != in.Mode) ||
				out.Location.String() != in.Location.String() || len(out.Keys) != len(in.Keys) {
				return false
			}
			for i := range out.Keys {
				if !out.Keys[i].Equal(in.Keys[i]) {
					return false
				}
			}
			return true
		},
		gen.AnyString().Map(deviceIDFrom),
		gen.IntRange(0, 2),
		gen.IntRange(0, len(zones)-1),
		gen.SliceOfN(5, gen.UInt8()).SuchThat(func(ids []uint8) bool { return len(ids) > 0 }),
		gen.UInt8(),
	))
	p.TestingRun(t)
}

func TestProvisioningCheck(t *testing.T) {
	dk := mustDeviceKey(t, testMaster(1), "d")
	bad := []struct {
		p    servicepass.Provisioning
		want error
	}{
		{servicepass.Provisioning{DeviceID: "", Location: warsaw, Keys: []servicepass.DeviceKey{dk}}, servicepass.ErrDeviceID},
		{servicepass.Provisioning{DeviceID: "d", Location: nil, Keys: []servicepass.DeviceKey{dk}}, servicepass.ErrProvisioning},
		{servicepass.Provisioning{DeviceID: "d", Location: mustLocal(), Keys: []servicepass.DeviceKey{dk}}, servicepass.ErrProvisioning},
		{servicepass.Provisioning{DeviceID: "d", Location: fixedZone(), Keys: []servicepass.DeviceKey{dk}}, servicepass.ErrProvisioning},
		{servicepass.Provisioning{DeviceID: "d", Location: warsaw}, servicepass.ErrNoKeys},
		{servicepass.Provisioning{DeviceID: "d", Location: warsaw, Keys: []servicepass.DeviceKey{{}}}, servicepass.ErrKeyUnusable},
		{servicepass.Provisioning{DeviceID: "d", Location: warsaw, Keys: []servicepass.DeviceKey{dk, dk}}, servicepass.ErrKeyIDTwice},
		{servicepass.Provisioning{DeviceID: "d", Location: warsaw, Mode: 3, HasMode: true, Keys: []servicepass.DeviceKey{dk}}, servicepass.ErrUnknownMode},
	}
	for i, tc := range bad {
		if _, err := tc.p.Encode(); !errors.Is(err, tc.want) || !errors.Is(err, servicepass.ErrProvisioning) {
			t.Errorf("case %d: Encode: %v, want %v", i, err, tc.want)
		}
		if err := servicepass.WriteProvisioningFile(filepath.Join(t.TempDir(), "p"), &tc.p); !errors.Is(err, tc.want) {
			t.Errorf("case %d: WriteProvisioningFile: %v", i, err)
		}
	}
}

// TestProvisioningUpdate: an agent refuses a new provisioning that gives a
// key ID it holds to other key material (a reused key ID), or that is for
// another device.
func TestProvisioningUpdate(t *testing.T) {
	f := newFixture(t, testMaster(1))
	cur, err := f.is.Provision("d", servicepass.DeviceOwner, warsaw)
	if err != nil {
		t.Fatal(err)
	}
	rotated := newFixture(t, testMaster(1), testMaster(2))
	next, _ := rotated.is.Provision("d", servicepass.DeviceOwner, warsaw)
	if err := cur.CheckUpdate(next); err != nil {
		t.Errorf("adding key 2: %v", err)
	}
	retired := newFixture(t, testMaster(2))
	onlyNew, _ := retired.is.Provision("d", servicepass.DeviceOwner, warsaw)
	if err := next.CheckUpdate(onlyNew); err != nil {
		t.Errorf("retiring key 1: %v", err)
	}
	// A new master key under the old ID 1.
	other, _ := servicepass.NewMasterKey(1, testMaster(50).Bytes())
	reused := newFixture(t, other)
	bad, _ := reused.is.Provision("d", servicepass.DeviceOwner, warsaw)
	if err := cur.CheckUpdate(bad); !errors.Is(err, servicepass.ErrKeyIDReused) || !errors.Is(err, servicepass.ErrProvisioning) {
		t.Errorf("reused key ID: %v", err)
	}
	elsewhere, _ := f.is.Provision("e", servicepass.DeviceOwner, warsaw)
	if err := cur.CheckUpdate(elsewhere); !errors.Is(err, servicepass.ErrDeviceID) {
		t.Errorf("other device: %v", err)
	}
	if err := cur.CheckUpdate(&servicepass.Provisioning{DeviceID: "d"}); !errors.Is(err, servicepass.ErrProvisioning) {
		t.Errorf("invalid update: %v", err)
	}
}

func TestProvisioningFile(t *testing.T) {
	f := newFixture(t, testMaster(1), testMaster(2))
	p, err := f.is.Provision("device-42", servicepass.COPE, warsaw)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "provisioning")
	if _, err := servicepass.ReadProvisioningFile(path); !errors.Is(err, servicepass.ErrNotProvisioned) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v, want ErrNotProvisioned", err)
	}
	if err := servicepass.WriteProvisioningFile(path, p); err != nil {
		t.Fatal(err)
	}
	if err := servicepass.WriteProvisioningFile(path, p); err != nil {
		t.Fatalf("replacing: %v", err)
	}
	got, err := servicepass.ReadProvisioningFile(path)
	if err != nil || got.DeviceID != "device-42" || !got.HasMode || got.Mode != servicepass.COPE || got.Location.String() != "Europe/Warsaw" || len(got.Keys) != 2 {
		t.Fatalf("read back %v, %v", got, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	// A failed write leaves the existing file as it was.
	before, _ := os.ReadFile(path)
	if err := servicepass.WriteProvisioningFile(path, &servicepass.Provisioning{DeviceID: "x"}); err == nil {
		t.Fatal("wrote an invalid provisioning")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a failed write changed the file")
	}
	if err := servicepass.WriteProvisioningFile(filepath.Join(dir, "missing", "p"), p); err == nil {
		t.Error("wrote into a missing directory")
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("#"), servicepass.MaxProvisioningSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := servicepass.ReadProvisioningFile(path); !errors.Is(err, servicepass.ErrProvisioning) {
		t.Errorf("oversized file: %v", err)
	}
	if _, err := servicepass.ReadProvisioningFile(dir); err == nil || errors.Is(err, servicepass.ErrNotProvisioned) {
		t.Errorf("a directory: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// TestProvisioningVerifies: a device set up from its provisioning file alone
// verifies the codes the issuer makes, in the zone the issuer used.
func TestProvisioningVerifies(t *testing.T) {
	f := newFixture(t)
	p, _ := f.is.Provision("cope-1", servicepass.COPE, warsaw)
	text, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := servicepass.ParseProvisioning(text)
	if err != nil {
		t.Fatal(err)
	}
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: got.DeviceID, Mode: got.Mode, HasMode: true, Keys: got.Keys, Location: got.Location}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	iss := f.issue(t, servicepass.Request{DeviceID: "cope-1", Mode: servicepass.COPE, Actions: servicepass.SetPassword,
		ExpiryDate: servicepass.DateOf(t0.In(warsaw)), Location: warsaw, KeyIDs: got.KeyIDs()})
	// 23:30 in Warsaw is 22:30 UTC: still the code's date on the device
	// calendar the provisioning carried.
	if _, err := v.Verify(context.Background(), iss.Code.Reveal(), t0.Add(12*time.Hour+30*time.Minute)); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if _, err := f.is.Provision("x", servicepass.COPE, nil); !errors.Is(err, servicepass.ErrProvisioning) {
		t.Errorf("Provision without a zone: %v", err)
	}
}

func FuzzParseProvisioning(f *testing.F) {
	for _, tc := range provisioningFiles {
		if len(tc.text) < 4096 {
			f.Add([]byte(tc.text))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := servicepass.ParseProvisioning(data)
		if err != nil {
			var pe *servicepass.ProvisioningError
			if !errors.As(err, &pe) || !errors.Is(err, servicepass.ErrProvisioning) || p != nil {
				t.Fatalf("error %v is not a *ProvisioningError", err)
			}
			return
		}
		if err := p.Check(); err != nil {
			t.Fatalf("parsed a provisioning that fails Check: %v", err)
		}
		text, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		q, err := servicepass.ParseProvisioning(text)
		if err != nil || q.DeviceID != p.DeviceID || q.HasMode != p.HasMode || q.Mode != p.Mode || q.Location.String() != p.Location.String() || len(q.Keys) != len(p.Keys) {
			t.Fatalf("round trip: %v %v", q, err)
		}
		for i := range q.Keys {
			if !q.Keys[i].Equal(p.Keys[i]) {
				t.Fatal("round trip changed a key")
			}
		}
	})
}

// deviceIDFrom keeps the runes of s a device ID may hold, at most
// MaxDeviceIDLen bytes of them; "d" if none.
func deviceIDFrom(s string) string {
	var b strings.Builder
	for _, r := range s {
		if servicepass.CheckDeviceID(string(r)) == nil && b.Len()+len(string(r)) <= servicepass.MaxDeviceIDLen {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "d"
	}
	return b.String()
}

func mustLocal() *time.Location { return time.Local }

func fixedZone() *time.Location { return time.FixedZone("XYZ", 3600) }
