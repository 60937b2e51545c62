package servicepass

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// KeySize is the size in bytes of master and device keys.
const KeySize = 32

// MaxDeviceIDLen bounds a device ID, which the MAC input prefixes with a
// one-byte length.
const MaxDeviceIDLen = 255

// deviceKeySalt is the HKDF salt: a fixed domain label, so that a device key
// is never equal to a key derived from the same master for another purpose.
const deviceKeySalt = "mdmcred/servicepass/v1/device-key"

// ErrKey is returned for a key of the wrong size or a duplicate key ID.
var ErrKey = errors.New("servicepass: invalid key")

// MasterKey is a site's secret from which every device key is derived, with
// the ID that rotation uses. It prints as [REDACTED] under every fmt verb;
// [MasterKey.Bytes] reaches the key for storage.
type MasterKey struct {
	id  uint8
	key [KeySize]byte
}

// NewMasterKey wraps KeySize bytes of key material under id.
func NewMasterKey(id uint8, key []byte) (MasterKey, error) {
	if len(key) != KeySize {
		return MasterKey{}, fmt.Errorf("%w: master key has %d bytes, want %d", ErrKey, len(key), KeySize)
	}
	m := MasterKey{id: id}
	copy(m.key[:], key)
	return m, nil
}

// GenerateMasterKey draws a new master key from r (crypto/rand.Reader when r
// is nil).
func GenerateMasterKey(id uint8, r io.Reader) (MasterKey, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [KeySize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return MasterKey{}, fmt.Errorf("servicepass: reading randomness: %w", err)
	}
	return MasterKey{id: id, key: b}, nil
}

// ID returns the key ID carried in every code the key makes.
func (m MasterKey) ID() uint8 { return m.id }

// Bytes returns a copy of the key material, for the host's key storage.
func (m MasterKey) Bytes() []byte { return append([]byte(nil), m.key[:]...) }

// String redacts the key.
func (m MasterKey) String() string {
	return fmt.Sprintf("servicepass.MasterKey(id=%d, [REDACTED])", m.id)
}

// Format redacts the key under every verb.
func (m MasterKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, m.String()) }

// DeviceKey is the key one device verifies codes with:
// HKDF-SHA256(master, salt = "mdmcred/servicepass/v1/device-key", info =
// device ID), 32 bytes, with the master key's ID. The host hands it to the
// agent at enrollment; the agent keeps it outside its app database. It prints
// as [REDACTED].
type DeviceKey struct {
	id  uint8
	key [KeySize]byte
}

// NewDeviceKey wraps provisioned key material under id.
func NewDeviceKey(id uint8, key []byte) (DeviceKey, error) {
	if len(key) != KeySize {
		return DeviceKey{}, fmt.Errorf("%w: device key has %d bytes, want %d", ErrKey, len(key), KeySize)
	}
	d := DeviceKey{id: id}
	copy(d.key[:], key)
	return d, nil
}

// DeriveDeviceKey derives the device key of deviceID from master.
func DeriveDeviceKey(master MasterKey, deviceID string) (DeviceKey, error) {
	if err := checkDeviceID(deviceID); err != nil {
		return DeviceKey{}, err
	}
	k, err := hkdf.Key(sha256.New, master.key[:], []byte(deviceKeySalt), deviceID, KeySize)
	if err != nil {
		return DeviceKey{}, fmt.Errorf("servicepass: deriving device key: %w", err)
	}
	d := DeviceKey{id: master.id}
	copy(d.key[:], k)
	clear(k)
	return d, nil
}

// ID returns the key ID.
func (d DeviceKey) ID() uint8 { return d.id }

// Bytes returns a copy of the key material, for provisioning the device.
func (d DeviceKey) Bytes() []byte { return append([]byte(nil), d.key[:]...) }

// String redacts the key.
func (d DeviceKey) String() string {
	return fmt.Sprintf("servicepass.DeviceKey(id=%d, [REDACTED])", d.id)
}

// Format redacts the key under every verb.
func (d DeviceKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, d.String()) }

// checkDeviceID accepts 1 to MaxDeviceIDLen bytes of UTF-8 without control
// characters.
func checkDeviceID(id string) error {
	if id == "" || len(id) > MaxDeviceIDLen {
		return &RuleError{Rule: ErrDeviceID, Field: "DeviceID", Detail: fmt.Sprintf("length %d, want 1 to %d bytes", len(id), MaxDeviceIDLen)}
	}
	if !utf8.ValidString(id) {
		return &RuleError{Rule: ErrDeviceID, Field: "DeviceID", Detail: "not UTF-8"}
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return &RuleError{Rule: ErrDeviceID, Field: "DeviceID", Detail: "holds a control character"}
		}
	}
	return nil
}
