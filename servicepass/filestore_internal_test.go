package servicepass

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestFileStoreUnsavedMerge: a FileStore whose save failed keeps its state
// while nobody else saves, and merges what guards into the file's state when
// another process has saved since. (Failing a save on purpose needs an
// unprivileged user; the test sets the unsaved state directly.)
func TestFileStoreUnsavedMerge(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "state")
	a, _ := OpenFileStore(path)
	b, _ := OpenFileStore(path)
	defer a.Close()
	defer b.Close()
	if err := a.Update(func(s *DeviceState) bool { s.Failures = 1; return true }); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a.unsaved = &DeviceState{Failures: 5, Used: map[uint64]Use{7: {Forget: t0}}, Revert: RevertState{Actions: DisableKiosk, Seq: 3}}
	a.base = sha256.Sum256(data)
	if err := a.Update(func(s *DeviceState) bool {
		if s.Failures != 5 || len(s.Used) != 1 {
			t.Errorf("unsaved state not used while the file is unchanged: %+v", s)
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(s *DeviceState) bool { s.Failures, s.HighWater = 2, t0; return true }); err != nil {
		t.Fatal(err)
	}
	if err := a.Update(func(s *DeviceState) bool {
		if s.Failures != 5 || !s.HighWater.Equal(t0) || len(s.Used) != 1 || s.Revert.Actions != DisableKiosk || s.Revert.Seq != 4 {
			t.Errorf("merged state: %+v", s)
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if a.unsaved != nil {
		t.Error("unsaved state kept after a successful save")
	}
	if err := b.Update(func(s *DeviceState) bool {
		if s.Failures != 5 || len(s.Used) != 1 {
			t.Errorf("saved merge: %+v", s)
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
}

// FuzzStateFile feeds arbitrary bytes to the state file parser, seeded with
// real state files: it never panics, a file it accepts encodes back to the
// same state, and the file store hands a file it rejects to the verifier as
// damaged.
func FuzzStateFile(f *testing.F) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	full := DeviceState{Provisioned: true, Failures: 2, LastFailure: t0, HighWater: t0, MaxSkew: time.Hour,
		Used: map[uint64]Use{1: {Forget: t0, Day: 3}}, NextForget: t0, PrunedExpiry: t0,
		Window: WindowState{Actions: DisableKiosk, Start: t0, End: t0.Add(time.Hour)},
		Revert: RevertState{Actions: AllowFactoryReset, Ended: t0, Seq: 9, Lost: true}, DamagedAt: t0, DamageFound: t0,
		Log: []UseEntry{{Seq: 1, KeyID: 2, Serial: 3, At: t0, Degraded: true}}, LogNext: 2, LogDropped: 1}
	far := full
	far.LastFailure, far.LockedUntil = time.Date(123456, 1, 2, 3, 4, 5, 6, time.UTC), time.Date(-3, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, s := range []DeviceState{{}, full, far} {
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
		if uerr := fs.Update(func(st *DeviceState) bool {
			// The store's lock file is new, with a token no file written
			// before can name: a file that names one is damaged.
			if st.Damaged != (err != nil || lock != "") {
				t.Errorf("Damaged = %v for a file the parser says %v (lock token %q)", st.Damaged, err, lock)
			}
			return false
		}); uerr != nil {
			t.Fatal(uerr)
		}
	})
}

// stateForCompare normalizes what a round trip may change and a reader
// cannot tell apart: the log's spare capacity, and an empty map or log
// against none.
func stateForCompare(s DeviceState) DeviceState {
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
