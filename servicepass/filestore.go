package servicepass

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// FileStore is a crash-safe DeviceStore in one file that several processes
// may share. Each change is written to a temporary file in the same
// directory, synced, renamed over the state file, and the directory synced,
// so that a crash leaves either the old or the new state. The file holds a
// magic line, the hex SHA-256 of the body, and the body (JSON). A file that
// fails the checksum or does not parse is damaged: it is copied aside to
// path + ".damaged" and the verifier starts afresh in degraded mode (see
// docs/servicepass-format.md). The damaged file stays in place until the
// fresh state replaces it, so that a process that stops before then finds
// it damaged again on the next start.
//
// Every Update holds an exclusive OS lock on path + ".lock" (flock on Unix,
// LockFileEx on Windows) across reading the file, running the update and
// writing it back, and reads the file afresh, so that an update sees what
// any other process last wrote and codes are granted exactly once across
// processes. After taking the lock it checks that the locked file is still
// the one at path + ".lock" (else it locks that one instead), and the state
// file records a random token the lock file holds: a lock file deleted or
// replaced while another process held it (so that two processes could each
// hold "the" lock) shows as a state written under another token, which is
// damage (grants degraded, every reversible action to revert), never a
// silent double grant. On the first Update, temporary files a crash left
// behind are removed. Where this package has no file lock (platforms other than Linux,
// Android, the BSDs, macOS, iOS and Windows) every save fails.
//
// If a save fails, the state stays in memory and later Updates of the same
// FileStore value start from it (merged with the file's state if another
// process has saved since), so that the replay guard and the lockout hold
// while the process runs. It is safe for concurrent use.
type FileStore struct {
	path   string
	mu     sync.Mutex
	lock   *os.File // path + ".lock", opened on first use
	lockID string   // the lock file's token, read under the lock
	swept  bool     // leftover temporary files removed

	// unsaved is the state whose save failed, read from a file whose
	// SHA-256 was base (the hash of no bytes when it was missing).
	unsaved *DeviceState
	base    [sha256.Size]byte

	// cache is the state this store last saved, with the exact bytes it
	// wrote and the lock file token it wrote them under: when the file
	// still holds those bytes under the same lock file, the next Update
	// starts from cache instead of decoding the file (nobody else saved).
	cache     *DeviceState
	cacheData []byte
	cacheLock string
	// readBuf and spare are reused for reading the file and encoding the
	// next state, so that a save allocates nothing in proportion to the
	// state (the garbage collector then has little to do on a device).
	readBuf, spare []byte
}

var _ DeviceStore = (*FileStore)(nil)

// OpenFileStore returns a FileStore for path. The file need not exist; it is
// read on each Update, so a damaged file is not an error here.
func OpenFileStore(path string) (*FileStore, error) {
	if path == "" {
		return nil, errors.New("servicepass: empty state file path")
	}
	return &FileStore{path: path}, nil
}

// Close releases the lock file. The store must not be used after.
func (f *FileStore) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lock == nil {
		return nil
	}
	err := f.lock.Close()
	f.lock, f.lockID = nil, ""
	return err
}

// Update implements DeviceStore.
func (f *FileStore) Update(fn func(s *DeviceState) bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	lerr := f.acquire()
	if lerr == nil {
		defer func() { _ = unlockFile(f.lock) }()
		if !f.swept {
			f.sweep()
			f.swept = true
		}
	}
	data, rerr := readFile(f.path, f.readBuf)
	if data != nil {
		f.readBuf = data[:0]
	}
	var s DeviceState
	switch {
	case f.unsaved != nil && sha256.Sum256(data) == f.base && (rerr == nil || errors.Is(rerr, fs.ErrNotExist)):
		s = *f.unsaved // nobody saved since: the unsaved state is the latest
	case f.unsaved == nil && rerr == nil && lerr == nil && f.cache != nil && f.cacheLock == f.lockID && bytes.Equal(data, f.cacheData):
		s = *f.cache // the file holds what this store saved last
	default:
		f.cache = nil
		s = f.decode(data, rerr, lerr == nil)
		if f.unsaved != nil {
			s.merge(f.unsaved)
		}
	}
	if !fn(&s) {
		if f.unsaved != nil {
			f.unsaved = &s
		}
		return nil
	}
	// s may share its map and log with the cache, which no longer
	// describes the file until the save below succeeds.
	f.cache = nil
	s.Damaged = false
	err := lerr
	var written []byte
	if err == nil {
		written, err = f.save(&s)
	}
	if err != nil {
		f.unsaved, f.base = &s, sha256.Sum256(data)
		return err
	}
	f.unsaved = nil
	f.spare = f.cacheData[:0]
	f.cache, f.cacheData, f.cacheLock = &s, written, f.lockID
	return nil
}

// readFile reads the file at path into buf's storage, grown as needed.
func readFile(path string, buf []byte) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil && int64(cap(buf)) < fi.Size()+512 {
		buf = make([]byte, 0, fi.Size()+512)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := fh.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// acquire opens the lock file if needed, locks it and reads its token.
func (f *FileStore) acquire() error {
	// A lock file deleted (or replaced) since it was opened no longer
	// excludes the processes that open the path now: lock the one at the
	// path. Each round means another process replaced it meanwhile.
	for range 16 {
		if f.lock == nil {
			l, err := os.OpenFile(f.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				return fmt.Errorf("servicepass: locking device state: %w", err)
			}
			f.lock, f.lockID = l, ""
		}
		if err := lockFile(f.lock); err != nil {
			return fmt.Errorf("servicepass: locking device state: %w", err)
		}
		held, err1 := f.lock.Stat()
		at, err2 := os.Stat(f.path + ".lock")
		if err1 == nil && err2 == nil && os.SameFile(held, at) {
			return f.readToken()
		}
		_ = unlockFile(f.lock)
		_ = f.lock.Close()
		f.lock, f.lockID = nil, ""
	}
	return errors.New("servicepass: locking device state: the lock file keeps being replaced")
}

// readToken reads the held lock file's token, writing a random one into a
// new (empty) lock file first.
func (f *FileStore) readToken() error {
	if f.lockID != "" {
		return nil
	}
	var buf [64]byte
	n, err := f.lock.ReadAt(buf[:], 0)
	if n == 0 && (err == nil || errors.Is(err, io.EOF)) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		if _, err := f.lock.WriteAt(b[:], 0); err != nil {
			return fmt.Errorf("servicepass: locking device state: %w", err)
		}
		if err := f.lock.Sync(); err != nil {
			return fmt.Errorf("servicepass: locking device state: %w", err)
		}
		n = copy(buf[:], b[:])
	} else if n == 0 {
		return fmt.Errorf("servicepass: locking device state: %w", err)
	}
	f.lockID = hex.EncodeToString(buf[:n])
	return nil
}

// sweep removes the temporary files of saves a crash interrupted. It runs
// under the lock, so no other process is writing one.
func (f *FileStore) sweep() {
	dir, prefix := filepath.Dir(f.path), filepath.Base(f.path)+".tmp"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// decode turns what reading the state file gave into a state: a missing
// file is a fresh state and anything unreadable a fresh state marked
// Damaged. With locked, a state written under another lock file's token is
// damaged too: the lock file was deleted or replaced, so another process
// may have decided on this state at the same time.
func (f *FileStore) decode(data []byte, err error, locked bool) DeviceState {
	if errors.Is(err, fs.ErrNotExist) {
		return DeviceState{}
	}
	if err == nil {
		s, lock, err := decodeState(data)
		if err == nil && (!locked || lock == "" || lock == f.lockID) {
			return s
		}
		// Keep a copy for inspection. The file itself is not moved: if it
		// were, a restart before the next save would find no file, a fresh
		// state, and forget the damage (and with it the degraded flag).
		_ = os.WriteFile(f.path+".damaged", data, 0o600)
	}
	return DeviceState{Damaged: true}
}

// merge folds into s (read from the file another process saved) what o (this
// process's unsaved state) knows that guards: use records, failures, the
// clock mark, windows and revert duties. Nothing it adds can grant a code
// twice or hide a revert; a use log entry of o may be lost (its grant
// reported StateError).
func (s *DeviceState) merge(o *DeviceState) {
	s.Provisioned = s.Provisioned || o.Provisioned
	s.Failures = max(s.Failures, o.Failures)
	s.LastFailure = later(s.LastFailure, o.LastFailure)
	s.LockedUntil = later(s.LockedUntil, o.LockedUntil)
	s.HighWater = later(s.HighWater, o.HighWater)
	if o.MaxSkew > s.MaxSkew {
		s.growSkew(o.MaxSkew)
	}
	for k, u := range o.Used {
		if s.Used == nil {
			s.Used = make(map[uint64]Use)
		}
		c := s.Used[k]
		s.Used[k] = Use{Forget: later(c.Forget, u.Forget), Day: max(c.Day, u.Day)}
		if s.NextForget.IsZero() || u.Forget.Before(s.NextForget) {
			s.NextForget = u.Forget
		}
	}
	s.PrunedExpiry = later(s.PrunedExpiry, o.PrunedExpiry)
	if o.Window.Actions != 0 {
		if s.Window.Actions == 0 || o.Window.Start.Before(s.Window.Start) {
			s.Window.Start = o.Window.Start
		}
		s.Window.Actions |= o.Window.Actions
		s.Window.End = later(s.Window.End, o.Window.End)
	}
	if o.Revert.Actions != 0 || o.Revert.Lost {
		s.Revert.Actions |= o.Revert.Actions
		s.Revert.Ended = later(s.Revert.Ended, o.Revert.Ended)
		s.Revert.Lost = s.Revert.Lost || o.Revert.Lost
		s.Revert.Seq = max(s.Revert.Seq, o.Revert.Seq) + 1
	}
	s.DamagedAt = later(s.DamagedAt, o.DamagedAt)
	s.DamageFound = later(s.DamageFound, o.DamageFound)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// save writes s to the file and returns the bytes written.
func (f *FileStore) save(s *DeviceState) ([]byte, error) {
	data, err := appendState(f.spare[:0], s, f.lockID)
	if err != nil {
		return nil, fmt.Errorf("servicepass: encoding device state: %w", err)
	}
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(f.path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("servicepass: saving device state: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return nil, fmt.Errorf("servicepass: saving device state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("servicepass: saving device state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("servicepass: saving device state: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return nil, fmt.Errorf("servicepass: saving device state: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return data, nil
}
