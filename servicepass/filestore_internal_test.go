package servicepass

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestVerifierUnsavedMerge: a verifier whose save failed keeps its state
// while nobody else saves, and merges what guards into the stored state
// when another verifier has saved since. (Failing a save on purpose needs
// an unprivileged user; the test sets the unsaved state directly.)
func TestVerifierUnsavedMerge(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	enc := func(s deviceState) []byte {
		b, err := encodeState(&s, "")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	stored := enc(deviceState{Provisioned: true, Failures: 1})
	c := &stateCache{
		unsaved: &deviceState{Failures: 5, Used: map[uint64]use{7: {Forget: t0}}, Revert: revertState{Actions: DisableKiosk, Seq: 3}},
		base:    stored,
	}
	if s := c.load(stored); s.Failures != 5 || len(s.Used) != 1 {
		t.Errorf("unsaved state not used while the store is unchanged: %+v", s)
	}
	other := enc(deviceState{Provisioned: true, Failures: 2, HighWater: t0})
	s := c.load(other)
	if s.Failures != 5 || !s.HighWater.Equal(t0) || len(s.Used) != 1 || s.Revert.Actions != DisableKiosk || s.Revert.Seq != 4 {
		t.Errorf("merged state: %+v", s)
	}
	// Nothing stored is a lost state, also under an unsaved one.
	c = &stateCache{}
	if s := c.load(nil); !s.Damaged {
		t.Errorf("no stored state read as %+v, want damaged", s)
	}
}

// TestStampLock: the file store's lock token goes into a state blob under a
// new checksum and reads back; a blob whose checksum fails is refused, so
// stamping never makes damage look sound.
func TestStampLock(t *testing.T) {
	blob, err := encodeState(&deviceState{Provisioned: true, Failures: 3}, "")
	if err != nil {
		t.Fatal(err)
	}
	file, err := stampLock(nil, blob, "abcd")
	if err != nil {
		t.Fatal(err)
	}
	if lock, ok := stateLock(file); !ok || lock != "abcd" {
		t.Fatalf("stateLock = %q, %v", lock, ok)
	}
	s, lock, err := decodeState(file)
	if err != nil || lock != "abcd" || s.Failures != 3 {
		t.Fatalf("decodeState = %+v, %q, %v", s, lock, err)
	}
	bad := append([]byte(nil), blob...)
	bad[len(bad)-1] ^= 1
	if _, err := stampLock(nil, bad, "abcd"); err == nil {
		t.Fatal("stampLock accepted a blob whose checksum fails")
	}
	if _, ok := stateLock(bad); ok {
		t.Fatal("stateLock accepted a file whose checksum fails")
	}
}

// FuzzStateFile feeds arbitrary bytes to the state file parser, seeded with
// real state files: it never panics, a file it accepts encodes back to the
// same state, and the file store hands a file it rejects to the verifier as
// damaged.
func FuzzStateFile(f *testing.F) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	full := deviceState{Provisioned: true, Failures: 2, LastFailure: t0, HighWater: t0, MaxSkew: time.Hour,
		Used: map[uint64]use{1: {Forget: t0, Day: 3}}, NextForget: t0, PrunedExpiry: t0,
		Window: windowState{Actions: DisableKiosk, Start: t0, End: t0.Add(time.Hour)},
		Revert: revertState{Actions: AllowFactoryReset, Ended: t0, Seq: 9, Lost: true}, DamagedAt: t0, DamageFound: t0,
		Log: []UseEntry{{Seq: 1, KeyID: 2, Serial: 3, At: t0, Degraded: true}}, LogNext: 2, LogDropped: 1}
	far := full
	far.LastFailure, far.LockedUntil = time.Date(123456, 1, 2, 3, 4, 5, 6, time.UTC), time.Date(-3, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, s := range []deviceState{{}, full, far} {
		data, err := encodeState(&s, []string{"", "00ff", "0123456789abcdef0123456789abcdef"}[i])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)-1])
	}
	// A version 1 file, as this package wrote before version 2.
	v1 := `{"failures":2,"last_failure":"2026-11-22T10:00:00Z","used":{"1":{"forget":"2026-11-22T10:00:00Z","day":3}},"log":[{"seq":1,"key_id":2,"serial":3,"at":"2026-11-22T10:00:00Z"}],"log_next":2}`
	sum := sha256.Sum256([]byte(v1))
	f.Add([]byte(fileMagicV1 + hex.EncodeToString(sum[:]) + "\n" + v1))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, lock, err := decodeState(data)
		if err == nil {
			again, err := encodeState(&s, lock)
			if err != nil {
				t.Fatal(err)
			}
			s2, lock2, err := decodeState(again)
			if err != nil {
				t.Fatalf("re-encoded state does not decode: %v", err)
			}
			// Use records are written in map order: compare states.
			if !reflect.DeepEqual(stateForCompare(s), stateForCompare(s2)) || lock2 != lock {
				t.Fatalf("state does not round-trip:\n%+v\n%+v", s, s2)
			}
		}
		path := filepath.Join(t.TempDir(), "state")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		fs, _ := OpenFileStore(path)
		defer fs.Close()
		if uerr := fs.Update(context.Background(), func(old []byte) ([]byte, error) {
			// The store's lock file is new, with a token no file written
			// before can name: a file that names one is damaged.
			if st := decodeStored(old); st.Damaged != (err != nil || lock != "") {
				t.Errorf("Damaged = %v for a file the parser says %v (lock token %q)", st.Damaged, err, lock)
			}
			return nil, nil
		}); uerr != nil {
			t.Fatal(uerr)
		}
	})
}

// stateForCompare normalizes what a round trip may change and a reader
// cannot tell apart: the log's spare capacity, and an empty map or log
// against none.
func stateForCompare(s deviceState) deviceState {
	if len(s.Used) == 0 {
		s.Used = nil
	}
	if len(s.Log) == 0 {
		s.Log = nil
	} else {
		s.Log = s.Log[:len(s.Log):len(s.Log)]
	}
	return s
}
