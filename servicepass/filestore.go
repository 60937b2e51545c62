package servicepass

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileStore is a crash-safe DeviceStore in one file that several processes
// may share. Each change is written to a temporary file in the same
// directory, synced, renamed over the state file, and the directory synced,
// so that a crash leaves either the old or the new state. A file that
// fails its checksum is copied aside to path + ".damaged" and handed to the
// verifier as it is (which finds it damaged and starts afresh, degraded:
// see docs/servicepass-format.md §7). The damaged file stays in place
// until the fresh state replaces it, so that a process that stops before
// then finds it damaged again on the next start.
//
// Every Update holds an exclusive OS lock on path + ".lock" (flock on Unix,
// LockFileEx on Windows) across reading the file, running fn and writing
// it back, and reads the file afresh, so that an update sees what any
// other process last wrote and codes are granted exactly once across
// processes; it waits for another process's lock until ctx ends. After
// taking the lock it checks that the locked file is still the one at path
// + ".lock" (else it locks that one instead), and the state file records a
// random token the lock file holds: a lock file deleted or replaced while
// another process held it (so that two processes could each hold "the"
// lock) shows as a state written under another token, which is handed to
// fn as damaged (empty), never as a state two processes may both decide
// on. On the first Update, temporary files a crash left behind are
// removed. Where this package has no file lock (platforms other than
// Linux, Android, the BSDs, macOS, iOS and Windows) every save fails.
//
// It is safe for concurrent use.
type FileStore struct {
	path   string
	sem    chan struct{} // held across an Update or Close
	lock   *os.File      // path + ".lock", opened on first use
	lockID string        // the lock file's token, read under the lock
	swept  bool          // leftover temporary files removed

	// lastFile is what this store last wrote, under the lock file token
	// lastLock, and lastBlob the bytes fn returned for it: while the file
	// still holds lastFile, fn gets lastBlob, the exact bytes its verifier
	// stored (which then need no decoding).
	lastFile, lastBlob []byte
	lastLock           string
	// readBuf and spare are reused for reading the file and writing the
	// next one, so that a save allocates nothing in proportion to the
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
	return &FileStore{path: path, sem: make(chan struct{}, 1)}, nil
}

// Close releases the lock file. The store must not be used after.
func (f *FileStore) Close() error {
	f.sem <- struct{}{}
	defer func() { <-f.sem }()
	if f.lock == nil {
		return nil
	}
	err := f.lock.Close()
	f.lock, f.lockID = nil, ""
	return err
}

// Update implements DeviceStore.
func (f *FileStore) Update(ctx context.Context, fn func(old []byte) ([]byte, error)) error {
	if ctx == nil {
		return ErrNilContext
	}
	select {
	case f.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("servicepass: waiting for the device state: %w", ctx.Err())
	}
	defer func() { <-f.sem }()
	lerr := f.acquire(ctx)
	if lerr == nil {
		defer func() { _ = unlockFile(f.lock) }()
		if !f.swept {
			f.sweep()
			f.swept = true
		}
	} else if ctx.Err() != nil {
		return lerr
	}
	data, rerr := readFile(f.path, f.readBuf)
	if data != nil {
		f.readBuf = data[:0]
	}
	next, err := fn(f.view(data, rerr, lerr == nil))
	if err != nil {
		return err
	}
	if next == nil || lerr != nil {
		return lerr
	}
	written, err := f.save(next)
	if err != nil {
		return err // the file is as it was: a failed save renames nothing
	}
	f.spare = f.lastFile[:0]
	f.lastFile, f.lastLock = written, f.lockID
	if f.lastBlob == nil {
		f.lastBlob = make([]byte, 0, len(next))
	}
	f.lastBlob = append(f.lastBlob[:0], next...)
	return nil
}

// view is what fn gets for what reading the state file gave: nil for a
// missing file, the verifier's own bytes for the file this store last
// wrote, the file's bytes otherwise, and empty (non-nil) bytes for a file
// that cannot be read or, with locked, was written under another lock
// file's token (the lock file was deleted or replaced, so another process
// may have decided on this state at the same time): both are damage.
func (f *FileStore) view(data []byte, err error, locked bool) []byte {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return []byte{}
	}
	if locked && f.lastFile != nil && f.lastLock == f.lockID && bytes.Equal(data, f.lastFile) {
		return f.lastBlob
	}
	lock, ok := stateLock(data)
	if ok && (!locked || lock == "" || lock == f.lockID) {
		return data
	}
	// Keep a copy for inspection. The file itself is not moved: if it
	// were, a restart before the next save would find no file, a lost
	// state again, but not the damage's copy.
	_ = os.WriteFile(f.path+".damaged", data, 0o600)
	if ok {
		return []byte{}
	}
	return data
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

// acquire opens the lock file if needed, locks it (waiting until ctx ends)
// and reads its token.
func (f *FileStore) acquire(ctx context.Context) error {
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
		if err := waitLock(ctx, f.lock); err != nil {
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
	var buf [maxLockToken / 2]byte
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

// waitLock locks f, polling while another process holds it, until ctx
// ends.
func waitLock(ctx context.Context, f *os.File) error {
	wait := time.Millisecond
	for {
		ok, err := tryLockFile(f)
		if ok || err != nil {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 20*time.Millisecond)
	}
}

// save writes the state blob under the lock file's token to the file and
// returns the bytes written.
func (f *FileStore) save(blob []byte) ([]byte, error) {
	data, err := stampLock(f.spare[:0], blob, f.lockID)
	if err != nil {
		// Not a state file this package wrote: kept as it is (no token).
		data = append(f.spare[:0], blob...)
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
