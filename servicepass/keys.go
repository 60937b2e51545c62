package servicepass

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"strings"

	"github.com/mdmcred/mdmcred/internal/ident"
)

// KeySize is the size in bytes of master and device keys.
const KeySize = 32

// MaxDeviceIDLen bounds a device ID, which the MAC input prefixes with a
// one-byte length.
const MaxDeviceIDLen = 255

// deviceKeySalt is the HKDF salt: a fixed domain label, so that a device key
// is never equal to a key derived from the same master for another purpose.
const deviceKeySalt = "mdmcred/servicepass/v1/device-key"

// redacted is what key material prints as.
const redacted = "[REDACTED]"

// errKey is matched by every [*KeyError] (for tests; callers use
// errors.As).
var errKey = errors.New("servicepass: invalid key")

// The reasons a key or a keyring is refused. Each comes in a [*KeyError]
// (its Reason). Only the two a caller acts on are exported: an unusable key
// (draw another) and a reused key ID (choose another ID); the others are
// programming or configuration errors, which the KeyError's message names.
var (
	// errKeySize: key material that is not KeySize bytes.
	errKeySize = errors.New("servicepass: key is not 32 bytes")
	// ErrKeyUnusable: all-zero key material (the zero MasterKey or
	// DeviceKey, or a key store that returned nothing) or all 0xFF (erased
	// storage). Anyone could forge codes under such a key.
	ErrKeyUnusable = errors.New("servicepass: unusable key (all zero or all 0xFF bytes)")
	// errNoKeys: an empty keyring.
	errNoKeys = errors.New("servicepass: no keys")
	// errKeyIDTwice: one key ID twice in a keyring.
	errKeyIDTwice = errors.New("servicepass: key ID twice in a keyring")
	// ErrKeyIDReused: a key ID that was retired, or that a device holds
	// for other key material, given to a different key. A device that
	// still holds the old key would count every genuine code made under
	// the new one as a failed attempt.
	ErrKeyIDReused = errors.New("servicepass: key ID reused for a different key")
	// errKeyNotHeld: the request's key IDs name none of the issuer's
	// master keys, so no code could verify on the device. Issue returns
	// it in a [*RuleError] (Field "KeyIDs").
	errKeyNotHeld = errors.New("servicepass: the device holds none of the issuer's key IDs")
	// errKeyInCustody: an operation that needs a master key's bytes
	// (DeriveDeviceKey, ExtractPRK) given a key a custodian holds
	// ([NewHeldMasterKey]); derive through the [Issuer] instead.
	errKeyInCustody = errors.New("servicepass: the master key is held by a custodian")
)

// ErrCustody is matched by the error an [Issuer] returns when the custodian
// of a held master key ([NewHeldMasterKey]) fails: an HSM or KMS error, a
// timeout or cancellation of the context, an answer that is not 32 bytes.
// The custodian's own error is wrapped too (errors.As reaches a
// *custody.Error). It never holds key material.
var ErrCustody = errors.New("servicepass: key custodian failed")

// KeyError says which key was refused and why. It matches its Reason with
// errors.Is. It never holds key material.
type KeyError struct {
	// Reason is why: [ErrKeyUnusable], [ErrKeyIDReused], or one of the
	// unexported reasons (wrong size, no keys, a key ID twice, a key held
	// by a custodian), whose message says which.
	Reason error
	KeyID  int // the key ID at fault, or -1
	Detail string
}

// Error implements error.
func (e *KeyError) Error() string {
	s := e.Reason.Error()
	if e.KeyID >= 0 {
		s += fmt.Sprintf(" (key ID %d)", e.KeyID)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is reports whether target is e.Reason (or the package's key class).
func (e *KeyError) Is(target error) bool { return target == errKey || target == e.Reason }

// Unwrap returns e.Reason.
func (e *KeyError) Unwrap() error { return e.Reason }

// checkKey refuses key material no one may use.
func checkKey(id uint8, key *[KeySize]byte, what string) error {
	var or, and byte = 0, 0xff
	for _, b := range key {
		or |= b
		and &= b
	}
	if or == 0 || and == 0xff {
		return &KeyError{Reason: ErrKeyUnusable, KeyID: int(id), Detail: what}
	}
	return nil
}

// MasterKey is a site's secret from which every device key is derived, with
// the ID that rotation uses. It is either key bytes in memory
// ([NewMasterKey], [GenerateMasterKey]) or a key a custodian holds — an HSM,
// a KMS — that the process never sees ([NewHeldMasterKey]); an [Issuer]
// takes both and makes the same codes from the same key. It prints as
// [REDACTED] under every fmt verb, in log/slog and in encoding/json;
// [MasterKey.Bytes] reaches the bytes of an in-memory key for storage. The
// zero MasterKey is unusable: [NewIssuer] refuses it.
type MasterKey struct {
	id uint8
	// key is behind two pointers so that fmt, which prints a host's struct
	// that reaches a MasterKey through an unexported field without calling
	// Format, shows an address, never the bytes (fmt prints what one
	// pointer to an array points to, also in its bad-verb form).
	key **[KeySize]byte
	// held is the custodian of the key's PRK, for a held key (key is nil).
	held HeldPRK
}

// HeldPRK is a master key's HKDF-SHA256 pseudorandom key (the PRK, see
// [ExtractPRK]) in the hands of a custodian that computes HMAC-SHA256 under
// it and never gives it out: HMAC returns the 32-byte HMAC-SHA256 of msg.
// Every device key is one such HMAC, device key = HMAC(PRK, device ID ||
// 0x01) (RFC 5869's HKDF-Expand for one block), so an HSM's or a KMS's HMAC
// key derives the same device keys, codes and responses as the master key
// in memory. custody.Key is this interface; its backends (PKCS#11, AWS
// KMS, Vault Transit) live in nested modules, custody.LocalKey in memory.
// Timeouts and retries are the context's. An error must not hold key
// material.
type HeldPRK interface {
	HMAC(ctx context.Context, msg []byte) ([]byte, error)
}

// NewHeldMasterKey returns the master key under id whose PRK prk holds:
// import [ExtractPRK] of an existing master key into the custodian to keep
// the site's device keys, or create a new random 32-byte HMAC key there for
// a new key ID. An [Issuer] derives every device key through prk, one HMAC
// call with the request's context. [DeriveDeviceKey], [ExtractPRK] and
// [MasterKey.Bytes] have no bytes to work with and refuse it
// (a [*KeyError]). A nil prk is refused ([ErrKeyUnusable]).
func NewHeldMasterKey(id uint8, prk HeldPRK) (MasterKey, error) {
	if prk == nil || (reflect.ValueOf(prk).Kind() == reflect.Pointer && reflect.ValueOf(prk).IsNil()) {
		return MasterKey{}, &KeyError{Reason: ErrKeyUnusable, KeyID: int(id), Detail: "no custodian"}
	}
	return MasterKey{id: id, held: prk}, nil
}

// ExtractPRK returns the HKDF-SHA256 pseudorandom key of an in-memory master
// key, PRK = HMAC-SHA256(salt "mdmcred/servicepass/v1/device-key", master):
// the 32 bytes to import into an HSM or a KMS as an HMAC-SHA256 key, so that
// [NewHeldMasterKey] over it derives the same device keys (docs/keys.md).
// Wipe the result once imported. It refuses an unusable key
// ([ErrKeyUnusable]) and a held one (a [*KeyError]).
func ExtractPRK(m MasterKey) ([]byte, error) {
	if m.held != nil {
		return nil, &KeyError{Reason: errKeyInCustody, KeyID: int(m.id)}
	}
	if err := checkKey(m.id, m.raw(), "master key"); err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, m.raw()[:], []byte(deviceKeySalt))
	if err != nil {
		return nil, fmt.Errorf("servicepass: extracting the PRK: %w", err)
	}
	return prk, nil
}

// Held reports whether a custodian holds the key ([NewHeldMasterKey]).
func (m MasterKey) Held() bool { return m.held != nil }

// NewMasterKey wraps KeySize bytes of key material under id. It refuses
// material of the wrong size (a [*KeyError]) and all-zero or all-0xFF
// material ([ErrKeyUnusable]).
func NewMasterKey(id uint8, key []byte) (MasterKey, error) {
	if len(key) != KeySize {
		return MasterKey{}, &KeyError{Reason: errKeySize, KeyID: int(id), Detail: fmt.Sprintf("master key has %d bytes", len(key))}
	}
	m := MasterKey{id: id, key: boxKey(key)}
	if err := checkKey(id, m.raw(), "master key"); err != nil {
		return MasterKey{}, err
	}
	return m, nil
}

// GenerateMasterKey draws a new master key from r (crypto/rand.Reader when r
// is nil).
func GenerateMasterKey(id uint8, r io.Reader) (MasterKey, error) {
	if r == nil {
		r = rand.Reader
	}
	b := new([KeySize]byte)
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return MasterKey{}, fmt.Errorf("servicepass: reading randomness: %w", err)
	}
	if err := checkKey(id, b, "the randomness source returned a constant"); err != nil {
		return MasterKey{}, err
	}
	return MasterKey{id: id, key: &b}, nil
}

// ID returns the key ID carried in every code the key makes.
func (m MasterKey) ID() uint8 { return m.id }

// Bytes returns a copy of the key material, for the host's key storage;
// nil for a held key, whose bytes the process never sees.
func (m MasterKey) Bytes() []byte {
	if m.held != nil {
		return nil
	}
	return append([]byte(nil), m.raw()[:]...)
}

// raw returns the key material; the zero MasterKey has all-zero material.
func (m MasterKey) raw() *[KeySize]byte {
	if m.key == nil {
		return &zeroKey
	}
	return *m.key
}

// Equal reports whether m and o are the same key under the same ID: equal
// bytes, or for held keys the same custodian (compared with ==; a
// custodian of a type that is not comparable equals no other).
func (m MasterKey) Equal(o MasterKey) bool {
	if m.held != nil || o.held != nil {
		return m.id == o.id && m.held != nil && o.held != nil &&
			reflect.TypeOf(m.held).Comparable() && reflect.TypeOf(m.held) == reflect.TypeOf(o.held) && m.held == o.held
	}
	return m.id == o.id && keyEqual(m.raw(), o.raw())
}

// String redacts the key.
func (m MasterKey) String() string {
	if m.held != nil {
		return fmt.Sprintf("servicepass.MasterKey(id=%d, held by a custodian)", m.id)
	}
	return fmt.Sprintf("servicepass.MasterKey(id=%d, %s)", m.id, redacted)
}

// Format redacts the key under every verb.
func (m MasterKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, m.String()) }

// LogValue redacts the key in log/slog.
func (m MasterKey) LogValue() slog.Value { return slog.StringValue(m.String()) }

// MarshalJSON redacts the key in encoding/json.
func (m MasterKey) MarshalJSON() ([]byte, error) { return redactedJSON(m.id), nil }

// DeviceKey is the key one device verifies codes with:
// HKDF-SHA256(master, salt = "mdmcred/servicepass/v1/device-key", info =
// device ID), 32 bytes, with the master key's ID. The host hands it to the
// agent at enrollment (see [Provisioning]); the agent keeps it outside its
// app database. It prints as [REDACTED] under every fmt verb, in log/slog and
// in encoding/json. The zero DeviceKey is unusable: [NewVerifier] refuses
// it.
type DeviceKey struct {
	id  uint8
	key **[KeySize]byte // behind two pointers, as in MasterKey
	// held computes the MACs instead when the key lives outside the
	// process ([NewHeldDeviceKey]); key is then nil.
	held HeldDeviceKey
}

// HeldDeviceKey is a device key held outside the process, in Android
// Keystore, the iOS Keychain or a TPM: HMAC returns HMAC-SHA256 under the
// key of msg, which is the whole MAC input of a code or a response
// (docs/servicepass-format.md §3 and §11), 32 bytes. It is called once per
// verification that reaches the MAC, at human speed. An error must not hold
// key material.
type HeldDeviceKey interface {
	HMAC(msg []byte) ([]byte, error)
}

// NewHeldDeviceKey returns the device key under id whose MACs held
// computes, for [Provisioning.Keys]. Its material is out of reach:
// [DeviceKey.Bytes] returns nil, and [Provisioning.Check] (so Encode)
// refuses it (a [*KeyError]). A failure of held makes Verify and
// VerifyResponse return an error matching [ErrCustody], with the state
// untouched. A nil held is refused ([ErrKeyUnusable]).
func NewHeldDeviceKey(id uint8, held HeldDeviceKey) (DeviceKey, error) {
	if held == nil || (reflect.ValueOf(held).Kind() == reflect.Pointer && reflect.ValueOf(held).IsNil()) {
		return DeviceKey{}, &KeyError{Reason: ErrKeyUnusable, KeyID: int(id), Detail: "no held key"}
	}
	return DeviceKey{id: id, held: held}, nil
}

// heldTag returns the first bits bits of the HMAC held computes over msg.
func heldTag(held HeldDeviceKey, id uint8, msg []byte, bits int) (uint64, error) {
	mac, err := held.HMAC(msg)
	if err != nil {
		return 0, fmt.Errorf("%w (device key ID %d): %w", ErrCustody, id, err)
	}
	if len(mac) != sha256.Size {
		return 0, fmt.Errorf("%w (device key ID %d): the held key returned %d bytes, want %d (an HMAC-SHA256)", ErrCustody, id, len(mac), sha256.Size)
	}
	return binary.BigEndian.Uint64(mac) >> (64 - bits), nil
}

// NewDeviceKey wraps provisioned key material under id. It refuses material
// of the wrong size (a [*KeyError]) and all-zero or all-0xFF material
// ([ErrKeyUnusable]).
func NewDeviceKey(id uint8, key []byte) (DeviceKey, error) {
	if len(key) != KeySize {
		return DeviceKey{}, &KeyError{Reason: errKeySize, KeyID: int(id), Detail: fmt.Sprintf("device key has %d bytes", len(key))}
	}
	d := DeviceKey{id: id, key: boxKey(key)}
	if err := checkKey(id, d.raw(), "device key"); err != nil {
		return DeviceKey{}, err
	}
	return d, nil
}

// DeriveDeviceKey derives the device key of deviceID from master. It refuses
// an unusable master key ([ErrKeyUnusable]), a held one (a [*KeyError]:
// use [Issuer.DeviceKeysContext]) and an invalid device ID ([ErrDeviceID]).
func DeriveDeviceKey(master MasterKey, deviceID string) (DeviceKey, error) {
	if master.held != nil {
		return DeviceKey{}, &KeyError{Reason: errKeyInCustody, KeyID: int(master.id), Detail: "derive through the Issuer"}
	}
	if err := checkKey(master.id, master.raw(), "master key"); err != nil {
		return DeviceKey{}, err
	}
	if err := checkDeviceID(deviceID); err != nil {
		return DeviceKey{}, err
	}
	k, err := hkdf.Key(sha256.New, master.raw()[:], []byte(deviceKeySalt), deviceID, KeySize)
	if err != nil {
		return DeviceKey{}, fmt.Errorf("servicepass: deriving device key: %w", err)
	}
	d := DeviceKey{id: master.id, key: boxKey(k)}
	clear(k)
	return d, nil
}

// ID returns the key ID.
func (d DeviceKey) ID() uint8 { return d.id }

// Bytes returns a copy of the key material, for provisioning the device;
// nil for a held key ([NewHeldDeviceKey]).
func (d DeviceKey) Bytes() []byte {
	if d.held != nil {
		return nil
	}
	return append([]byte(nil), d.raw()[:]...)
}

// raw returns the key material; the zero DeviceKey has all-zero material.
func (d DeviceKey) raw() *[KeySize]byte {
	if d.key == nil {
		return &zeroKey
	}
	return *d.key
}

// zeroKey is the material of the zero keys. Nothing writes to it.
var zeroKey [KeySize]byte

// boxKey copies KeySize bytes of b into a new key box.
func boxKey(b []byte) **[KeySize]byte {
	k := new([KeySize]byte)
	copy(k[:], b)
	return &k
}

// Equal reports whether d and o are the same key under the same ID. A held
// key equals only a key over the same comparable HeldDeviceKey.
func (d DeviceKey) Equal(o DeviceKey) bool {
	if d.held != nil || o.held != nil {
		return d.id == o.id && sameHeld(d.held, o.held)
	}
	return d.id == o.id && keyEqual(d.raw(), o.raw())
}

// sameHeld compares two held keys, false for incomparable ones.
func sameHeld(a, b HeldDeviceKey) (same bool) {
	defer func() {
		if recover() != nil { // an incomparable dynamic type
			same = false
		}
	}()
	return a == b
}

// String redacts the key.
func (d DeviceKey) String() string {
	return fmt.Sprintf("servicepass.DeviceKey(id=%d, %s)", d.id, redacted)
}

// Format redacts the key under every verb.
func (d DeviceKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, d.String()) }

// LogValue redacts the key in log/slog.
func (d DeviceKey) LogValue() slog.Value { return slog.StringValue(d.String()) }

// MarshalJSON redacts the key in encoding/json.
func (d DeviceKey) MarshalJSON() ([]byte, error) { return redactedJSON(d.id), nil }

func redactedJSON(id uint8) []byte {
	return fmt.Appendf(nil, `{"id":%d,"key":%q}`, id, redacted)
}

// keyEqual compares key material in constant time.
func keyEqual(a, b *[KeySize]byte) bool {
	var d byte
	for i := range a {
		d |= a[i] ^ b[i]
	}
	return d == 0
}

// KeyIDSet is a set of key IDs: the keyring a device is known to hold, as
// the host records it (see [Request.KeyIDs]). The zero value is the empty
// set. It is comparable, so a [Request] stays comparable.
type KeyIDSet [4]uint64

// KeyIDsOf returns the set of ids.
func KeyIDsOf(ids ...uint8) KeyIDSet {
	var s KeyIDSet
	for _, id := range ids {
		s.Add(id)
	}
	return s
}

// Add puts id in s.
func (s *KeyIDSet) Add(id uint8) { s[id>>6] |= 1 << (id & 63) }

// Has reports whether id is in s.
func (s KeyIDSet) Has(id uint8) bool { return s[id>>6]&(1<<(id&63)) != 0 }

// IsEmpty reports whether s holds no ID.
func (s KeyIDSet) IsEmpty() bool { return s == KeyIDSet{} }

// List returns the IDs in s in increasing order.
func (s KeyIDSet) List() []uint8 {
	var out []uint8
	for id := 0; id < 256; id++ {
		if s.Has(uint8(id)) {
			out = append(out, uint8(id))
		}
	}
	return out
}

// String returns the IDs as "{1, 2}".
func (s KeyIDSet) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range s.List() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(int(id)))
	}
	b.WriteByte('}')
	return b.String()
}

// checkKeyring refuses an empty keyring, a key ID twice and unusable keys.
func checkKeyring(keys []DeviceKey) error {
	if len(keys) == 0 {
		return &KeyError{Reason: errNoKeys, KeyID: -1, Detail: "no device keys"}
	}
	var seen [256]bool
	for _, k := range keys {
		if seen[k.id] {
			return &KeyError{Reason: errKeyIDTwice, KeyID: int(k.id)}
		}
		seen[k.id] = true
		if k.held != nil {
			continue // its material is out of reach
		}
		if err := checkKey(k.id, k.raw(), "device key"); err != nil {
			return err
		}
	}
	return nil
}

// CheckDeviceID reports whether id is a valid device ID (see
// docs/servicepass-format.md §1): nil or a [*RuleError] matching
// [ErrDeviceID]. Hosts call it when they enroll a device, so that a device
// whose ID the issuer would refuse is never provisioned.
func CheckDeviceID(id string) error { return checkDeviceID(id) }

// checkDeviceID applies the project's identifier rule (internal/ident) with
// a bound of MaxDeviceIDLen bytes: 1 to 255 bytes of valid UTF-8 with no
// control character (C0, DEL, C1), no format character (Unicode Cf, the bidi
// controls included) and no noncharacter. docs/servicepass-format.md states
// the same rule.
func checkDeviceID(id string) error {
	if err := ident.Check(id, MaxDeviceIDLen); err != nil {
		return &RuleError{Rule: ErrDeviceID, Field: "DeviceID", Detail: err.Error()}
	}
	return nil
}
