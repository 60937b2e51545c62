package servicepass

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"hash"
	"time"

	"github.com/mdmcred/mdmcred/internal/crockford"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// Code is a service password. It prints as [REDACTED] under every fmt verb,
// in log/slog and in JSON; Reveal returns the text to show the admin.
type Code = secret.String

// Format constants; docs/servicepass-format.md is the specification.
const (
	// Version is the code format version this package writes and reads.
	Version = 1
	// PayloadBits is the number of bits a code carries: 70 bits of fields
	// and a 50-bit MAC.
	PayloadBits = 120
	// MACBits is the length of the truncated HMAC-SHA256 tag.
	MACBits = 50
	// CodeLen is the canonical length: 24 data symbols and a check symbol.
	CodeLen = PayloadBits/5 + 1
	// DisplayLen is the length of the grouped form (5 groups of 5).
	DisplayLen = CodeLen + 4

	payloadBytes = PayloadBits / 8 // 15
	fieldBits    = PayloadBits - MACBits
	maxInputLen  = 64
	macLabel     = "mdmcred/servicepass/v1/mac"
	field24      = 1<<24 - 1
	macMask      = 1<<MACBits - 1
)

// Epoch is the origin of the expiry field: minutes (or, for a day-valid code,
// days) since 2026-01-01T00:00Z.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Verification sentinels; see [Verifier.Verify] for the order in which they
// are checked.
var (
	ErrMalformed   = errors.New("servicepass: malformed code")
	ErrTypo        = errors.New("servicepass: code mistyped (check symbol mismatch)")
	ErrVersion     = errors.New("servicepass: unsupported code version")
	ErrUnknownKey  = errors.New("servicepass: unknown key ID")
	ErrInvalid     = errors.New("servicepass: invalid code")
	ErrExpired     = errors.New("servicepass: code expired")
	ErrNotYetValid = errors.New("servicepass: code not yet valid")
	ErrMode        = errors.New("servicepass: code not allowed in this mode")
	ErrReplay      = errors.New("servicepass: code already used")
	ErrLockedOut   = errors.New("servicepass: locked out after failed attempts")
	ErrClockBack   = errors.New("servicepass: device clock turned back")
)

// Payload is the decoded content of a code. Decoding does not authenticate
// it: only [Verifier.Verify] checks the MAC.
type Payload struct {
	Version  uint8   // 4 bits; [Version]
	KeyID    uint8   // 8 bits
	Actions  Actions // 8 bits
	Mode     Mode    // 1 bit
	DayValid bool    // 1 bit
	Expiry   uint32  // 24 bits: minutes since Epoch, or days if DayValid
	Serial   uint32  // 24 bits, random
	MAC      uint64  // 50 bits
}

// ExpiresAt returns the instant a code that is not day-valid expires.
func (p Payload) ExpiresAt() time.Time {
	return Epoch.Add(time.Duration(p.Expiry) * time.Minute)
}

// ExpiryDate returns the last calendar day (year, month, day) of a day-valid
// code.
func (p Payload) ExpiryDate() (year int, month time.Month, day int) {
	return Epoch.AddDate(0, 0, int(p.Expiry)).Date()
}

// putBits writes the n low bits of v at bit offset pos, most significant first.
func putBits(b *[payloadBytes]byte, pos, n int, v uint64) {
	for i := n - 1; i >= 0; i-- {
		if v>>i&1 != 0 {
			b[pos/8] |= 0x80 >> (pos % 8)
		}
		pos++
	}
}

func getBits(b *[payloadBytes]byte, pos, n int) uint64 {
	var v uint64
	for i := 0; i < n; i++ {
		v = v<<1 | uint64(b[pos/8]>>(7-pos%8)&1)
		pos++
	}
	return v
}

// bytes packs p into its 15-byte form.
func (p *Payload) bytes() [payloadBytes]byte {
	var b [payloadBytes]byte
	putBits(&b, 0, 4, uint64(p.Version))
	putBits(&b, 4, 8, uint64(p.KeyID))
	putBits(&b, 12, 8, uint64(p.Actions))
	putBits(&b, 20, 1, uint64(p.Mode&1))
	if p.DayValid {
		putBits(&b, 21, 1, 1)
	}
	putBits(&b, 22, 24, uint64(p.Expiry&field24))
	putBits(&b, 46, 24, uint64(p.Serial&field24))
	putBits(&b, 70, MACBits, p.MAC&macMask)
	return b
}

func payloadFromBytes(b *[payloadBytes]byte) Payload {
	return Payload{
		Version:  uint8(getBits(b, 0, 4)),
		KeyID:    uint8(getBits(b, 4, 8)),
		Actions:  Actions(getBits(b, 12, 8)),
		Mode:     Mode(getBits(b, 20, 1)),
		DayValid: getBits(b, 21, 1) == 1,
		Expiry:   uint32(getBits(b, 22, 24)),
		Serial:   uint32(getBits(b, 46, 24)),
		MAC:      getBits(b, 70, MACBits),
	}
}

// Bytes returns the 15-byte big-endian bit string of p.
func (p Payload) Bytes() []byte {
	b := p.bytes()
	return b[:]
}

// Canonical returns the canonical text of p: 24 Crockford Base32 data
// symbols and the mod-37 check symbol.
func (p Payload) Canonical() string {
	b := p.bytes()
	var out [CodeLen]byte
	crockford.AppendEncode(out[:0], b[:], PayloadBits)
	out[CodeLen-1] = checkSymbol(out[:CodeLen-1])
	return string(out[:])
}

// checkSymbol returns the check symbol of canonical data symbols.
func checkSymbol(data []byte) byte {
	c, err := crockford.Check(string(data))
	if err != nil {
		// data comes from AppendEncode, which writes data symbols only.
		panic("servicepass: internal error: " + err.Error())
	}
	return c
}

// Display groups a canonical code 5-5-5-5-5 with hyphens, the form shown to
// people and put in the QR code. Verification ignores the hyphens.
func Display(canonical string) string { return crockford.Group(canonical, 5, "-") }

// Decode parses a code as a person typed it (any case, O for 0, I or L for
// 1, hyphens and spaces anywhere) without authenticating it. It returns
// [ErrMalformed] for text that is not a code, [ErrTypo] when the check symbol
// does not match (a mistyped symbol), and [ErrVersion] for an unknown
// version.
func Decode(code string) (Payload, error) {
	var b [payloadBytes]byte
	if err := parse(code, &b); err != nil {
		return Payload{}, err
	}
	return payloadFromBytes(&b), nil
}

// parse normalizes, checks and decodes code into b without allocating.
func parse(code string, b *[payloadBytes]byte) error {
	if len(code) > maxInputLen {
		return ErrMalformed
	}
	var buf [maxInputLen]byte
	norm, err := crockford.AppendNormalize(buf[:0], code)
	if err != nil || len(norm) != CodeLen {
		return ErrMalformed
	}
	data := norm[:CodeLen-1]
	want, err := crockford.Check(string(data))
	if err != nil {
		// A check-only symbol (* ~ $ = U) where a data symbol belongs: the
		// shape is right, so it is a typo.
		return ErrTypo
	}
	if want != norm[CodeLen-1] {
		return ErrTypo
	}
	if crockford.Decode(b[:], string(data), PayloadBits) != nil {
		return ErrMalformed
	}
	if b[0]>>4 != Version {
		return ErrVersion
	}
	return nil
}

// macState is one reusable keyed HMAC with its input and output buffers,
// so that a verification does not allocate.
type macState struct {
	h   hash.Hash
	in  []byte // label || len(deviceID) || deviceID || 9 payload bytes
	sum [sha256.Size]byte
}

func macPrefix(deviceID string) []byte {
	in := make([]byte, 0, len(macLabel)+1+len(deviceID)+9)
	in = append(in, macLabel...)
	in = append(in, byte(len(deviceID)))
	in = append(in, deviceID...)
	return in
}

func newMACState(key *[KeySize]byte, deviceID string) *macState {
	return &macState{h: hmac.New(sha256.New, key[:]), in: macPrefix(deviceID)}
}

// tag returns the 50-bit MAC of the first 70 bits of b.
func (m *macState) tag(b *[payloadBytes]byte) uint64 {
	n := len(m.in)
	in := append(m.in, b[:9]...)
	in[len(in)-1] &= 0xFC // bits 70 and 71 belong to the MAC
	m.h.Reset()
	m.h.Write(in)
	m.in = in[:n]
	s := m.h.Sum(m.sum[:0])
	return binary.BigEndian.Uint64(s) >> (64 - MACBits)
}

// macEqual compares two tags in constant time.
func macEqual(a, b uint64) bool {
	var x, y [8]byte
	binary.BigEndian.PutUint64(x[:], a&macMask)
	binary.BigEndian.PutUint64(y[:], b&macMask)
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}
