package servicepass

import (
	"crypto/sha256"
	"os"
	"path/filepath"
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
