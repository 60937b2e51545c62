package servicepass

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// fileMagic is the first line of a state file.
const fileMagic = "mdmcred servicepass device state v1\n"

// FileStore is a crash-safe DeviceStore in one file. Each change is written
// to a temporary file in the same directory, synced, renamed over the state
// file, and the directory synced, so that a crash leaves either the old or
// the new state. The file holds a magic line, the hex SHA-256 of the body,
// and the body (JSON). A file that fails the checksum or does not parse is
// damaged: it is copied aside to path + ".damaged" and the verifier starts
// afresh in degraded mode (see docs/servicepass-format.md). The damaged file
// stays in place until the fresh state replaces it, so that a process that
// stops before then finds it damaged again on the next start.
//
// One FileStore value must own the file: it keeps the state in memory after
// the first read. It is safe for concurrent use.
type FileStore struct {
	path   string
	mu     sync.Mutex
	loaded bool
	state  DeviceState
}

var _ DeviceStore = (*FileStore)(nil)

// OpenFileStore returns a FileStore for path. The file need not exist; it is
// read on first use, so a damaged file is not an error here.
func OpenFileStore(path string) (*FileStore, error) {
	if path == "" {
		return nil, errors.New("servicepass: empty state file path")
	}
	return &FileStore{path: path}, nil
}

// Update implements DeviceStore.
func (f *FileStore) Update(fn func(s *DeviceState) bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.loaded {
		f.state = f.load()
		f.loaded = true
	}
	if !fn(&f.state) {
		return nil
	}
	f.state.Damaged = false
	return f.save()
}

// load reads the state file; a missing file is a fresh state and anything
// unreadable a fresh state marked Damaged.
func (f *FileStore) load() DeviceState {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return DeviceState{}
	}
	if err == nil {
		var s DeviceState
		if s, err = decodeState(data); err == nil {
			return s
		}
		// Keep a copy for inspection. The file itself is not moved: if it
		// were, a restart before the next save would find no file, a fresh
		// state, and forget the damage (and with it the degraded flag).
		_ = os.WriteFile(f.path+".damaged", data, 0o600)
	}
	return DeviceState{Damaged: true}
}

var errStateFile = errors.New("servicepass: damaged state file")

func decodeState(data []byte) (DeviceState, error) {
	rest, ok := bytes.CutPrefix(data, []byte(fileMagic))
	if !ok || len(rest) < 2*sha256.Size+1 || rest[2*sha256.Size] != '\n' {
		return DeviceState{}, errStateFile
	}
	var want [sha256.Size]byte
	if _, err := hex.Decode(want[:], rest[:2*sha256.Size]); err != nil {
		return DeviceState{}, errStateFile
	}
	body := rest[2*sha256.Size+1:]
	if sha256.Sum256(body) != want {
		return DeviceState{}, errStateFile
	}
	var s DeviceState
	if err := json.Unmarshal(body, &s); err != nil {
		return DeviceState{}, errStateFile
	}
	return s, nil
}

func encodeState(s *DeviceState) ([]byte, error) {
	body, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	out := make([]byte, 0, len(fileMagic)+2*sha256.Size+1+len(body))
	out = append(out, fileMagic...)
	out = hex.AppendEncode(out, sum[:])
	out = append(out, '\n')
	return append(out, body...), nil
}

func (f *FileStore) save() error {
	data, err := encodeState(&f.state)
	if err != nil {
		return fmt.Errorf("servicepass: encoding device state: %w", err)
	}
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(f.path)+".tmp*")
	if err != nil {
		return fmt.Errorf("servicepass: saving device state: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("servicepass: saving device state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("servicepass: saving device state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("servicepass: saving device state: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("servicepass: saving device state: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
