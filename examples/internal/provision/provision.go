// Package provision reads and writes the files the example programs share
// besides the device's provisioning file (whose format is public API:
// servicepass.Provisioning, specified in docs/servicepass-format.md §10): a
// site's master key file as earlier versions of the issuer CLI wrote it
// (the CLI now writes the key file of package keyfile and reads this one
// to convert it), and the names of modes and actions used on the command
// lines.
//
// It imports the standard library and servicepass only, so that the device
// agent stays standard-library only.
//
// # Master key file
//
// UTF-8 text, one record per line; blank lines and lines starting with '#'
// are ignored. The first record names the file's kind and version:
//
//	mdmcred master keys v1
//	retired 0
//	key 1 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//	key 2 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
//
// A key line holds the key ID (0 to 255, decimal) and the 32 key bytes in
// lowercase or uppercase hex; all-zero and all-0xFF keys are refused. Keys
// are oldest first; the last one issues to devices known to hold it. A
// retired line records a key ID that was used and retired: it may never be
// given to a new key (servicepass.ErrKeyIDReused). Every key ID appears at
// most once in the file. The file is written with mode 0600 and should stay
// readable only by its owner.
package provision

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// MasterHeader is the first record of a master key file.
const MasterHeader = "mdmcred master keys v1"

// MaxFileSize bounds a key file: 256 keys take well under 32 KiB.
const MaxFileSize = 64 << 10

// ErrFormat is matched by every error about a master key file's content.
var ErrFormat = errors.New("provision: malformed key file")

// FormatError says which line of a key file is wrong. It never holds key
// material. It wraps the servicepass error that refused a key, if any.
type FormatError struct {
	Line   int // 1-based; 0 for the file as a whole
	Reason string
	Err    error
}

// Error implements error.
func (e *FormatError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%v: %s", ErrFormat, e.Reason)
	}
	return fmt.Sprintf("%v: line %d: %s", ErrFormat, e.Line, e.Reason)
}

// Is reports whether target is ErrFormat.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

// Unwrap returns the servicepass error that refused a key, if any.
func (e *FormatError) Unwrap() error { return e.Err }

// MasterFile is the content of a master key file.
type MasterFile struct {
	// Keys are the master keys, oldest first.
	Keys []servicepass.MasterKey
	// Retired are the key IDs used before and retired.
	Retired []uint8
}

// Used reports whether id is a current or retired key ID of f.
func (f MasterFile) Used(id uint8) bool {
	for _, k := range f.Keys {
		if k.ID() == id {
			return true
		}
	}
	for _, r := range f.Retired {
		if r == id {
			return true
		}
	}
	return false
}

// IsMasterFile reports whether data starts (after blank and comment
// lines) with MasterHeader: a master key file, which the issuer CLI now
// reads only to convert it to the key file format (package keyfile).
func IsMasterFile(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxFileSize+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		return line == MasterHeader
	}
	return false
}

// ParseMasterFile parses a master key file.
func ParseMasterFile(data []byte) (MasterFile, error) {
	var f MasterFile
	if len(data) > MaxFileSize {
		return f, &FormatError{Reason: fmt.Sprintf("larger than %d bytes", MaxFileSize)}
	}
	seen := make(map[uint8]bool)
	sawHeader := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxFileSize+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !sawHeader {
			if line != MasterHeader {
				return f, &FormatError{Line: n, Reason: fmt.Sprintf("want the header %q", MasterHeader)}
			}
			sawHeader = true
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		idText, hexText, _ := strings.Cut(rest, " ")
		if word != "key" && word != "retired" {
			return f, &FormatError{Line: n, Reason: "unknown record"}
		}
		id, err := strconv.ParseUint(idText, 10, 8)
		if err != nil {
			return f, &FormatError{Line: n, Reason: "key ID is not a number from 0 to 255"}
		}
		if seen[uint8(id)] {
			return f, &FormatError{Line: n, Reason: fmt.Sprintf("key ID %d appears twice", id)}
		}
		seen[uint8(id)] = true
		if word == "retired" {
			if hexText != "" {
				return f, &FormatError{Line: n, Reason: "want: retired <id>"}
			}
			f.Retired = append(f.Retired, uint8(id))
			continue
		}
		key, err := hex.DecodeString(strings.TrimSpace(hexText))
		if err != nil || len(key) != servicepass.KeySize {
			return f, &FormatError{Line: n, Reason: fmt.Sprintf("key is not %d bytes of hex", servicepass.KeySize)}
		}
		m, err := servicepass.NewMasterKey(uint8(id), key)
		clear(key)
		if err != nil {
			return f, &FormatError{Line: n, Reason: err.Error(), Err: err}
		}
		f.Keys = append(f.Keys, m)
	}
	if err := sc.Err(); err != nil {
		return f, &FormatError{Reason: err.Error()}
	}
	if !sawHeader {
		return f, &FormatError{Reason: fmt.Sprintf("empty file, want the header %q", MasterHeader)}
	}
	if len(f.Keys) == 0 {
		return f, &FormatError{Reason: "no key"}
	}
	return f, nil
}

// MarshalMasterFile returns the text of a master key file.
func MarshalMasterFile(f MasterFile) []byte {
	var b bytes.Buffer
	b.WriteString("# mdmcred site master keys: keep secret. Oldest first; retired IDs are never reused.\n")
	b.WriteString(MasterHeader + "\n")
	for _, id := range f.Retired {
		fmt.Fprintf(&b, "retired %d\n", id)
	}
	for _, k := range f.Keys {
		fmt.Fprintf(&b, "key %d %s\n", k.ID(), hex.EncodeToString(k.Bytes()))
	}
	return b.Bytes()
}

// MarshalDeviceKeys returns a provisioning file (servicepass format) for
// deviceID with keys, in UTC and without a mode: a shorthand for the
// examples' tests. Programs build a [servicepass.Provisioning] with the
// device's zone instead. It returns nil when the provisioning is invalid.
func MarshalDeviceKeys(deviceID string, keys []servicepass.DeviceKey) []byte {
	b, _ := (&servicepass.Provisioning{DeviceID: deviceID, Keys: keys, Location: time.UTC}).Encode()
	return b
}

// ParseDeviceKeys parses a provisioning file and returns its device ID and
// keyring: a shorthand for [servicepass.ParseProvisioning], which also gives
// the zone and the mode.
func ParseDeviceKeys(data []byte) (deviceID string, keys []servicepass.DeviceKey, err error) {
	p, err := servicepass.ParseProvisioning(data)
	if err != nil {
		return "", nil, err
	}
	return p.DeviceID, p.Keys, nil
}

// ReadFile reads a key file of at most MaxFileSize bytes.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, &FormatError{Reason: fmt.Sprintf("%s is larger than %d bytes", path, MaxFileSize)}
	}
	return data, nil
}

// WriteFile writes data to path with mode 0600. With replace false it refuses
// to overwrite an existing file; with replace true it replaces the file
// atomically (a temporary file in the same directory, synced, then renamed).
func WriteFile(path string, data []byte, replace bool) (err error) {
	if !replace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			os.Remove(path)
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			os.Remove(path)
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
