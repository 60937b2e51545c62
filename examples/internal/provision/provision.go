// Package provision reads and writes the files the example programs share:
// a site's master key file (written by the issuer CLI) and a device key file
// (derived from it for one device, installed on the device for its agent),
// and parses the names of modes and actions used on their command lines.
//
// It imports the standard library and servicepass only, so that the device
// agent stays standard-library only.
//
// # File formats
//
// Both files are UTF-8 text, one record per line; blank lines and lines
// starting with '#' are ignored. The first record names the file's kind and
// version:
//
//	mdmcred master keys v1
//	key 1 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//	key 2 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
//
//	mdmcred device keys v1
//	device "device-42"
//	key 1 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
//
// A key line holds the key ID (0 to 255, decimal) and the 32 key bytes in
// lowercase or uppercase hex. Key IDs are unique within a file. In a master
// key file the last key is the one that issues, the others remain for
// rotation. A device key file holds the device ID as a Go quoted string
// (strconv.Quote) and the device's keyring. Files are written with mode 0600
// and should stay readable only by their owner.
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

	"github.com/mdmcred/mdmcred/servicepass"
)

// File headers: the first record of each kind of file.
const (
	MasterHeader = "mdmcred master keys v1"
	DeviceHeader = "mdmcred device keys v1"
)

// MaxFileSize bounds a key file: 256 keys take well under 32 KiB.
const MaxFileSize = 64 << 10

// ErrFormat is matched by every error about a key file's content.
var ErrFormat = errors.New("provision: malformed key file")

// FormatError says which line of a key file is wrong. It never holds key
// material.
type FormatError struct {
	Line   int // 1-based; 0 for the file as a whole
	Reason string
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

// keyLine is one parsed "key" record.
type keyLine struct {
	id  uint8
	key []byte
}

// parsed is the content of a key file.
type parsed struct {
	device    string
	hasDevice bool
	keys      []keyLine
}

// parse reads a key file of the given header.
func parse(data []byte, header string) (parsed, error) {
	var p parsed
	if len(data) > MaxFileSize {
		return p, &FormatError{Reason: fmt.Sprintf("larger than %d bytes", MaxFileSize)}
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
			if line != header {
				return p, &FormatError{Line: n, Reason: fmt.Sprintf("want the header %q", header)}
			}
			sawHeader = true
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch {
		case word == "key":
			idText, hexText, ok := strings.Cut(rest, " ")
			if !ok {
				return p, &FormatError{Line: n, Reason: "want: key <id> <hex>"}
			}
			id, err := strconv.ParseUint(idText, 10, 8)
			if err != nil {
				return p, &FormatError{Line: n, Reason: "key ID is not a number from 0 to 255"}
			}
			key, err := hex.DecodeString(strings.TrimSpace(hexText))
			if err != nil || len(key) != servicepass.KeySize {
				return p, &FormatError{Line: n, Reason: fmt.Sprintf("key is not %d bytes of hex", servicepass.KeySize)}
			}
			if seen[uint8(id)] {
				return p, &FormatError{Line: n, Reason: fmt.Sprintf("key ID %d appears twice", id)}
			}
			seen[uint8(id)] = true
			p.keys = append(p.keys, keyLine{id: uint8(id), key: key})
		case word == "device" && header == DeviceHeader:
			if p.hasDevice {
				return p, &FormatError{Line: n, Reason: "device appears twice"}
			}
			id, err := strconv.Unquote(rest)
			if err != nil || id == "" || len(id) > servicepass.MaxDeviceIDLen {
				return p, &FormatError{Line: n, Reason: "device ID is not a quoted string of 1 to 255 bytes"}
			}
			p.device, p.hasDevice = id, true
		default:
			return p, &FormatError{Line: n, Reason: "unknown record"}
		}
	}
	if err := sc.Err(); err != nil {
		return p, &FormatError{Reason: err.Error()}
	}
	if !sawHeader {
		return p, &FormatError{Reason: fmt.Sprintf("empty file, want the header %q", header)}
	}
	if len(p.keys) == 0 {
		return p, &FormatError{Reason: "no key"}
	}
	if header == DeviceHeader && !p.hasDevice {
		return p, &FormatError{Reason: "no device record"}
	}
	return p, nil
}

// ParseMasterKeys parses a master key file. The last key is the one that
// issues.
func ParseMasterKeys(data []byte) ([]servicepass.MasterKey, error) {
	p, err := parse(data, MasterHeader)
	if err != nil {
		return nil, err
	}
	keys := make([]servicepass.MasterKey, 0, len(p.keys))
	for _, k := range p.keys {
		m, err := servicepass.NewMasterKey(k.id, k.key)
		if err != nil {
			return nil, err
		}
		keys = append(keys, m)
	}
	return keys, nil
}

// ParseDeviceKeys parses a device key file and returns the device ID it was
// derived for and the keyring.
func ParseDeviceKeys(data []byte) (deviceID string, keys []servicepass.DeviceKey, err error) {
	p, err := parse(data, DeviceHeader)
	if err != nil {
		return "", nil, err
	}
	keys = make([]servicepass.DeviceKey, 0, len(p.keys))
	for _, k := range p.keys {
		d, err := servicepass.NewDeviceKey(k.id, k.key)
		if err != nil {
			return "", nil, err
		}
		keys = append(keys, d)
	}
	return p.device, keys, nil
}

// MarshalMasterKeys returns the text of a master key file holding keys.
func MarshalMasterKeys(keys []servicepass.MasterKey) []byte {
	var b bytes.Buffer
	b.WriteString("# mdmcred site master keys: keep secret. The last key issues.\n")
	b.WriteString(MasterHeader + "\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "key %d %s\n", k.ID(), hex.EncodeToString(k.Bytes()))
	}
	return b.Bytes()
}

// MarshalDeviceKeys returns the text of a device key file for deviceID.
func MarshalDeviceKeys(deviceID string, keys []servicepass.DeviceKey) []byte {
	var b bytes.Buffer
	b.WriteString("# mdmcred device keyring: install on the device, outside the agent's database.\n")
	b.WriteString(DeviceHeader + "\n")
	fmt.Fprintf(&b, "device %s\n", strconv.Quote(deviceID))
	for _, k := range keys {
		fmt.Fprintf(&b, "key %d %s\n", k.ID(), hex.EncodeToString(k.Bytes()))
	}
	return b.Bytes()
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
