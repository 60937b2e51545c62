package servicepass

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ProvisioningHeader is the first record of a provisioning file.
const ProvisioningHeader = "mdmcred servicepass provisioning v1"

// MaxProvisioningSize bounds a provisioning file: 256 keys take about
// 20 KiB.
const MaxProvisioningSize = 64 << 10

// maxZoneLen bounds an IANA zone name (the longest in use has 32 bytes).
const maxZoneLen = 64

// ErrProvisioning is matched by every error about the content of a
// provisioning file; the error is a [*ProvisioningError].
var ErrProvisioning = errors.New("servicepass: malformed provisioning file")

// ErrNotProvisioned is matched by [ReadProvisioningFile] when the file does
// not exist: the device was never provisioned (or its provisioning was
// removed). The error also matches fs.ErrNotExist.
var ErrNotProvisioned = errors.New("servicepass: device not provisioned")

// ProvisioningError says which line of a provisioning file is wrong and
// why. It matches [ErrProvisioning] and, when a key or the device ID was
// refused, that error's sentinels too (for example [ErrKeyUnusable] or
// [ErrDeviceID]). It never holds key material.
type ProvisioningError struct {
	Line   int    // 1-based; 0 for the file as a whole
	Field  string // "header", "device", "mode", "zone", "key" or "" for the file
	Reason string
	Err    error // the underlying refusal, if any
}

// Error implements error.
func (e *ProvisioningError) Error() string {
	s := ErrProvisioning.Error()
	if e.Line > 0 {
		s += fmt.Sprintf(": line %d", e.Line)
	}
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	return s + ": " + e.Reason
}

// Is reports whether target is [ErrProvisioning].
func (e *ProvisioningError) Is(target error) bool { return target == ErrProvisioning }

// Unwrap returns the underlying refusal.
func (e *ProvisioningError) Unwrap() error { return e.Err }

// Provisioning is what a device agent is given at enrollment and after
// every key rotation, and keeps outside its app database: the device ID,
// the device keyring, the time zone the issuer uses for the device's
// calendar (day-valid) codes and, if the host knows it, the activation
// mode. docs/servicepass-format.md §10 specifies its file form.
//
// The provisioning file is also the device's "provisioned" marker: a device
// whose provisioning file exists has been provisioned, so a missing device
// state next to it is damage, not a fresh install.
//
// It holds device keys, so it prints, logs and marshals to JSON without
// them (only the key IDs).
type Provisioning struct {
	// DeviceID is the device's ID exactly as the issuer knows it.
	DeviceID string
	// Mode is the device's activation mode; it is recorded only when
	// HasMode is true.
	Mode    Mode
	HasMode bool
	// Location is the device's time zone as the issuer uses it: the
	// verifier must decide calendar days in the same zone. It must be a
	// zone time.LoadLocation knows by name (UTC included, Local not).
	Location *time.Location
	// Keys is the keyring, oldest first; key IDs are unique.
	Keys []DeviceKey
}

// Check reports whether p can be written and verified with: a valid device
// ID ([ErrDeviceID]), a known mode when HasMode, a named zone
// ([ErrProvisioning]) and a keyring without duplicate or unusable keys
// (a [*KeyError]).
func (p *Provisioning) Check() error {
	if err := checkDeviceID(p.DeviceID); err != nil {
		return &ProvisioningError{Field: "device", Reason: err.Error(), Err: err}
	}
	if p.HasMode && !p.Mode.Valid() {
		return &ProvisioningError{Field: "mode", Reason: "want DeviceOwner or COPE", Err: ErrUnknownMode}
	}
	if p.Location == nil {
		return &ProvisioningError{Field: "zone", Reason: "no time zone: the device and the issuer must agree on one"}
	}
	if _, err := loadZone(p.Location.String()); err != nil {
		return &ProvisioningError{Field: "zone", Reason: err.Error()}
	}
	if err := checkKeyring(p.Keys); err != nil {
		return &ProvisioningError{Field: "key", Reason: err.Error(), Err: err}
	}
	for _, k := range p.Keys {
		if k.held != nil {
			err := &KeyError{Reason: errKeyInCustody, KeyID: int(k.id), Detail: "a held device key has no material to provision"}
			return &ProvisioningError{Field: "key", Reason: err.Error(), Err: err}
		}
	}
	return nil
}

// KeyIDs returns the key IDs of the keyring: what the host records for the
// device once its agent confirms the keyring, and passes in
// [Request.KeyIDs].
func (p Provisioning) KeyIDs() KeyIDSet {
	var s KeyIDSet
	for _, k := range p.Keys {
		s.Add(k.id)
	}
	return s
}

// CheckUpdate reports whether next may replace p on the device: the same
// device ID, and no key ID of p given to different key material in next
// ([ErrKeyIDReused]). An agent calls it before it installs a new
// provisioning after a rotation. Key IDs p holds and next lacks are
// retired.
func (p *Provisioning) CheckUpdate(next *Provisioning) error {
	if err := next.Check(); err != nil {
		return err
	}
	if next.DeviceID != p.DeviceID {
		return &ProvisioningError{Field: "device", Reason: "the new provisioning is for another device", Err: ErrDeviceID}
	}
	for _, k := range p.Keys {
		for _, n := range next.Keys {
			if n.id == k.id && !keyEqual(n.raw(), k.raw()) {
				err := &KeyError{Reason: ErrKeyIDReused, KeyID: int(k.id), Detail: "the device holds other key material under this ID"}
				return &ProvisioningError{Field: "key", Reason: err.Error(), Err: err}
			}
		}
	}
	return nil
}

// Encode returns the file form of p (docs/servicepass-format.md §10),
// after [Provisioning.Check].
func (p *Provisioning) Encode() ([]byte, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# mdmcred service password provisioning: install on the device, outside the agent's database; keep secret.\n")
	b.WriteString(ProvisioningHeader + "\n")
	b.WriteString("device ")
	enc := json.NewEncoder(&b) // a JSON string, newline-terminated
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p.DeviceID); err != nil {
		return nil, fmt.Errorf("servicepass: encoding the device ID: %w", err)
	}
	if p.HasMode {
		b.WriteString("mode " + modeWord(p.Mode) + "\n")
	}
	b.WriteString("zone " + p.Location.String() + "\n")
	for _, k := range p.Keys {
		fmt.Fprintf(&b, "key %d %s\n", k.id, hex.EncodeToString(k.raw()[:]))
	}
	return b.Bytes(), nil
}

// ParseProvisioning parses the file form of a provisioning. Every refusal
// is a [*ProvisioningError] matching [ErrProvisioning].
func ParseProvisioning(data []byte) (*Provisioning, error) {
	if len(data) > MaxProvisioningSize {
		return nil, &ProvisioningError{Reason: fmt.Sprintf("larger than %d bytes", MaxProvisioningSize)}
	}
	if !utf8.Valid(data) {
		return nil, &ProvisioningError{Reason: "not UTF-8"}
	}
	p := &Provisioning{}
	var sawHeader, sawDevice, sawZone bool
	var seen [256]bool
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxProvisioningSize+1)
	n := 0
	for sc.Scan() {
		n++
		line := strings.Trim(sc.Text(), " \t\r")
		if line == "" || line[0] == '#' {
			continue
		}
		bad := func(field, reason string, err error) (*Provisioning, error) {
			return nil, &ProvisioningError{Line: n, Field: field, Reason: reason, Err: err}
		}
		if !sawHeader {
			if line != ProvisioningHeader {
				return bad("header", fmt.Sprintf("want the header %q", ProvisioningHeader), nil)
			}
			sawHeader = true
			continue
		}
		word, rest := cutField(line)
		switch word {
		case "device":
			if sawDevice {
				return bad(word, "appears twice", nil)
			}
			var id string
			if !strings.HasPrefix(rest, `"`) || json.Unmarshal([]byte(rest), &id) != nil {
				return bad(word, "want a JSON string", nil)
			}
			if err := checkDeviceID(id); err != nil {
				return bad(word, err.Error(), err)
			}
			p.DeviceID, sawDevice = id, true
		case "mode":
			if p.HasMode {
				return bad(word, "appears twice", nil)
			}
			m, ok := parseModeWord(rest)
			if !ok {
				return bad(word, "want device-owner or cope", ErrUnknownMode)
			}
			p.Mode, p.HasMode = m, true
		case "zone":
			if sawZone {
				return bad(word, "appears twice", nil)
			}
			loc, err := loadZone(rest)
			if err != nil {
				return bad(word, err.Error(), nil)
			}
			p.Location, sawZone = loc, true
		case "key":
			idText, hexText := cutField(rest)
			if hexText == "" {
				return bad(word, "want: key <id> <64 hex digits>", nil)
			}
			id, err := strconv.ParseUint(idText, 10, 8)
			if err != nil || (len(idText) > 1 && idText[0] == '0') {
				return bad(word, "key ID is not a decimal number from 0 to 255", nil)
			}
			raw, err := hex.DecodeString(hexText)
			if err != nil || len(raw) != KeySize {
				return bad(word, fmt.Sprintf("key is not %d bytes of hex", KeySize), &KeyError{Reason: errKeySize, KeyID: int(id)})
			}
			k, err := NewDeviceKey(uint8(id), raw)
			clear(raw)
			if err != nil {
				return bad(word, err.Error(), err)
			}
			if seen[id] {
				err := &KeyError{Reason: errKeyIDTwice, KeyID: int(id)}
				return bad(word, err.Error(), err)
			}
			seen[id] = true
			p.Keys = append(p.Keys, k)
		default:
			return bad("", "unknown record", nil)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &ProvisioningError{Reason: err.Error()}
	}
	switch {
	case !sawHeader:
		return nil, &ProvisioningError{Field: "header", Reason: fmt.Sprintf("empty file, want the header %q", ProvisioningHeader)}
	case !sawDevice:
		return nil, &ProvisioningError{Field: "device", Reason: "no device record"}
	case !sawZone:
		return nil, &ProvisioningError{Field: "zone", Reason: "no zone record"}
	case len(p.Keys) == 0:
		err := &KeyError{Reason: errNoKeys, KeyID: -1}
		return nil, &ProvisioningError{Field: "key", Reason: "no key record", Err: err}
	}
	return p, nil
}

// ReadProvisioningFile reads and parses the provisioning file at path. A
// missing file is [ErrNotProvisioned] (also matching fs.ErrNotExist).
func ReadProvisioningFile(path string) (*Provisioning, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", ErrNotProvisioned, err)
	}
	if err != nil {
		return nil, fmt.Errorf("servicepass: reading the provisioning file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxProvisioningSize+1))
	if err != nil {
		return nil, fmt.Errorf("servicepass: reading the provisioning file: %w", err)
	}
	defer clear(data)
	return ParseProvisioning(data)
}

// WriteProvisioningFile writes p to path with mode 0600, replacing any file
// there atomically: a temporary file in the same directory, synced, renamed
// over path, then the directory synced. On failure nothing is left behind
// and an existing file is unchanged.
func WriteProvisioningFile(path string, p *Provisioning) (err error) {
	data, err := p.Encode()
	if err != nil {
		return err
	}
	defer clear(data)
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("servicepass: writing the provisioning file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("servicepass: writing the provisioning file: %w", err)
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // not supported everywhere (Windows); the rename is done
		d.Close()
	}
	return nil
}

// String describes p without its keys.
func (p Provisioning) String() string {
	zone := "<none>"
	if p.Location != nil {
		zone = p.Location.String()
	}
	mode := "unrecorded"
	if p.HasMode {
		mode = p.Mode.String()
	}
	return fmt.Sprintf("servicepass.Provisioning(device %q, mode %s, zone %s, key IDs %s, %s)",
		p.DeviceID, mode, zone, p.KeyIDs(), redacted)
}

// Format prints [Provisioning.String] under every verb.
func (p Provisioning) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, p.String()) }

// LogValue logs p without its keys.
func (p Provisioning) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("device_id", p.DeviceID), slog.Any("key_ids", p.KeyIDs().List()), slog.String("keys", redacted)}
	if p.HasMode {
		attrs = append(attrs, slog.String("mode", p.Mode.String()))
	}
	if p.Location != nil {
		attrs = append(attrs, slog.String("zone", p.Location.String()))
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON encodes p without its keys.
func (p Provisioning) MarshalJSON() ([]byte, error) {
	v := struct {
		DeviceID string `json:"device_id"`
		Mode     string `json:"mode,omitempty"`
		Zone     string `json:"zone,omitempty"`
		KeyIDs   []int  `json:"key_ids"`
		Keys     string `json:"keys"`
	}{DeviceID: p.DeviceID, KeyIDs: ints(p.KeyIDs().List()), Keys: redacted}
	if p.HasMode {
		v.Mode = modeWord(p.Mode)
	}
	if p.Location != nil {
		v.Zone = p.Location.String()
	}
	return json.Marshal(v)
}

// cutField splits a record at its first run of spaces and tabs.
func cutField(s string) (word, rest string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.Trim(s[i:], " \t")
}

// modeWord and parseModeWord are the mode record's spellings.
func modeWord(m Mode) string {
	if m == COPE {
		return "cope"
	}
	return "device-owner"
}

func parseModeWord(s string) (Mode, bool) {
	switch s {
	case "device-owner":
		return DeviceOwner, true
	case "cope":
		return COPE, true
	}
	return 0, false
}

// loadZone accepts an IANA zone name (letters, digits and "/_-+", at most
// 64 bytes, no empty path element) that time.LoadLocation knows.
// "Local", "localtime" and "posixrules", in any case, are refused: they
// name whatever the machine is set to (Debian's zone database links
// localtime to /etc/localtime; a case-insensitive file system finds
// LOCALTIME too), which is what the two sides must not depend on.
func loadZone(name string) (*time.Location, error) {
	if name == "" || len(name) > maxZoneLen {
		return nil, errors.New("want an IANA time zone name such as Europe/Warsaw or UTC")
	}
	for _, machine := range []string{"Local", "localtime", "posixrules"} {
		if strings.EqualFold(name, machine) {
			return nil, fmt.Errorf("%q is not a zone the issuer can share (it names the machine's zone); name the zone, for example Europe/Warsaw", name)
		}
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" {
			return nil, fmt.Errorf("%q is not an IANA time zone name", name)
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '+') {
				return nil, fmt.Errorf("%q is not an IANA time zone name", name)
			}
		}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (link time/tzdata if the system has no zone database)", name)
	}
	return loc, nil
}

// ints widens key IDs for JSON, which would encode a []uint8 as base64.
func ints(ids []uint8) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}
