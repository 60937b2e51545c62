package servicepass_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

const benchDevice = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"

// BenchmarkHMACFloor is the floor BenchmarkVerify is measured against: one
// reused HMAC-SHA256 under the device key over the same bytes Verify MACs
// (domain label, device ID length and bytes, zero padding to a whole
// SHA-256 block, 9 payload bytes).
func BenchmarkHMACFloor(b *testing.B) {
	dk := mustDeviceKey(b, testMaster(1), benchDevice)
	msg := append([]byte("mdmcred/servicepass/v1/mac"), byte(len(benchDevice)))
	msg = append(msg, benchDevice...)
	msg = append(msg, make([]byte, (sha256.BlockSize-len(msg)%sha256.BlockSize)%sha256.BlockSize)...)
	msg = append(msg, 0x10, 0x10, 0x10, 0x00, 0xA0, 0x00, 0x12, 0x34, 0x54)
	h := hmac.New(sha256.New, dk.Bytes())
	var sum [sha256.Size]byte
	b.ReportAllocs()
	for b.Loop() {
		h.Reset()
		h.Write(msg)
		h.Sum(sum[:0])
	}
}

// BenchmarkVerify verifies a fresh valid code each iteration (a used code
// would be a replay) with a derived key and memory state. Codes are issued
// in batches outside the timer; each batch is an hour later, so that the
// previous batch's use records are pruned as on a real device (which holds
// a handful of records; a batch keeps up to 2048).
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	v := f.verifier(b, benchDevice, servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	codes := make([]string, 1024)
	now := t0
	refill := func() {
		now = now.Add(time.Hour)
		f.clock.Set(now)
		seen := make(map[string]bool, len(codes))
		for i := 0; i < len(codes); {
			// Same device, actions and expiry: only the 24-bit serial
			// differs, so a batch repeats a code now and then.
			c := f.issue(b, servicepass.Request{DeviceID: benchDevice, Mode: servicepass.DeviceOwner,
				Actions: servicepass.Unlock | servicepass.DisableKiosk, ExpiresAt: now.Add(servicepass.MinValidity)}).Code.Reveal()
			if !seen[c] {
				seen[c] = true
				codes[i] = c
				i++
			}
		}
	}
	refill()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(codes) == 0 && i > 0 {
			b.StopTimer()
			refill()
			b.StartTimer()
		}
		if _, err := v.Verify(context.Background(), codes[i%len(codes)], now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyTypo is the cost of rejecting a mistyped code (no MAC).
func BenchmarkVerifyTypo(b *testing.B) {
	f := newFixture(b)
	v := f.verifier(b, benchDevice, servicepass.DeviceOwner, nil)
	c := []byte(f.issue(b, servicepass.Request{DeviceID: benchDevice, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock}).Code.Reveal())
	c[0] = map[bool]byte{true: 'A', false: 'B'}[c[0] != 'A']
	code := string(c)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), code, t0); err == nil {
			b.Fatal("accepted a typo")
		}
	}
}

// BenchmarkIssue issues a code without QR or email: validation, device key
// derivation (HKDF-SHA256), serial, MAC, encoding and the audit record.
func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	r := servicepass.Request{DeviceID: benchDevice, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "admin@example.com"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.is.Issue(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyFileStore is BenchmarkVerify on a FileStore: lock, read,
// decode, decide, encode, write a temporary file, fsync it, rename it and
// fsync the directory, per grant. Measured, not asserted: it depends on the
// disk.
func BenchmarkVerifyFileStore(b *testing.B) {
	f := newFixture(b)
	fs, err := servicepass.OpenFileStore(filepath.Join(b.TempDir(), "state"))
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	v := f.verifier(b, benchDevice, servicepass.DeviceOwner, fs)
	codes := make([]string, 256)
	now := t0
	refill := func() {
		now = now.Add(time.Hour)
		f.clock.Set(now)
		seen := make(map[string]bool, len(codes))
		for i := 0; i < len(codes); {
			c := f.issue(b, servicepass.Request{DeviceID: benchDevice, Mode: servicepass.DeviceOwner,
				Actions: servicepass.Unlock, ExpiresAt: now.Add(servicepass.MinValidity)}).Code.Reveal()
			if !seen[c] {
				seen[c] = true
				codes[i] = c
				i++
			}
		}
	}
	refill()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(codes) == 0 && i > 0 {
			b.StopTimer()
			refill()
			b.StartTimer()
		}
		if _, err := v.Verify(context.Background(), codes[i%len(codes)], now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFileStoreAtFloor is Verify on a FileStore holding 100 and 2,000
// use records beside its floor, in one run (issue 22): "Verify" verifies a
// code with a wrong MAC under a lockout that never engages, so that every
// call counts a failure and saves a state of constant size; "Floor" reads
// the state file and writes the same bytes the way a save does (temporary
// file, fsync, rename, directory fsync), with no lock, decoding or
// deciding. The ratio is what the state encoding and the lock cost.
func BenchmarkFileStoreAtFloor(b *testing.B) {
	for _, used := range []int{100, 2000} {
		f := newFixture(b)
		path := filepath.Join(b.TempDir(), "state")
		fs, err := servicepass.OpenFileStore(path)
		if err != nil {
			b.Fatal(err)
		}
		keys, err := f.is.DeviceKeys(benchDevice)
		if err != nil {
			b.Fatal(err)
		}
		v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: benchDevice, Mode: servicepass.DeviceOwner, HasMode: true, Keys: keys, Location: time.UTC}, fs, &servicepass.VerifierOptions{Lockout: servicepass.Lockout{Free: 1 << 30, Backoff: time.Minute}})
		if err != nil {
			b.Fatal(err)
		}
		// Fill the record with used codes, in one save: the codes are
		// verified on a memory store whose state is then written here.
		mem := servicepass.NewMemDeviceStore()
		mv, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: benchDevice, Mode: servicepass.DeviceOwner, HasMode: true, Keys: keys, Location: time.UTC}, mem, nil)
		if err != nil {
			b.Fatal(err)
		}
		var wrong string
		for n := 0; n < used; {
			c := f.issue(b, servicepass.Request{DeviceID: benchDevice, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock,
				ExpiresAt: t0.Add(24 * time.Hour)}).Code.Reveal()
			if _, err := mv.Verify(context.Background(), c, t0); err == nil {
				n++
			}
			wrong = c
		}
		var filled []byte
		_ = mem.Update(context.Background(), func(old []byte) ([]byte, error) { filled = bytes.Clone(old); return nil, nil })
		if err := fs.Update(context.Background(), func([]byte) ([]byte, error) { return filled, nil }); err != nil {
			b.Fatal(err)
		}
		p, _ := servicepass.Decode(wrong)
		p.MAC = flipTag(p.MAC, 1)
		wrong = p.Canonical()
		b.Run(fmt.Sprintf("used=%d/Verify", used), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(context.Background(), wrong, t0); !errors.Is(err, servicepass.ErrInvalid) {
					b.Fatal(err)
				}
			}
		})
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("used=%d/Floor", used), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := floorSave(path); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data)), "file-bytes")
		})
		_ = fs.Close()
	}
}

// floorSave reads the file at path and writes its bytes back as a save
// does: a temporary file in the same directory, fsync, rename, fsync of
// the directory.
func floorSave(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
