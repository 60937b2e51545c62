package servicepass

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"encoding/binary"
	"errors"
	"hash"
	"time"

	"github.com/mdmcred/mdmcred/internal/crockford"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// Code is a service password. It prints as [REDACTED] under every fmt verb,
// in log/slog and in JSON; Reveal returns the text to show the admin.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() string returns the secret text; call it only where the
//     text must be shown or sent to the person it is for.
//   - Equal(t string) bool compares with t in time that depends only on
//     the lengths.
//   - Len() int is its length in bytes; IsZero() bool reports an empty one.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED].
type Code = secret.String

// QRImage is the PNG of a code's QR symbol ([Issued.QRPNG]).
// The image shows the code, so it redacts itself like a [Code]: every fmt
// verb, log/slog and JSON print [REDACTED] (%#v adds the length); Reveal
// returns a copy of the PNG bytes, Len their number.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() []byte returns a copy of the bytes; call it only where they
//     must be handed on (attached to the mail, written to the file asked for).
//   - Len() int is their number; IsZero() bool reports that there are none.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED] (%#v adds the length).
type QRImage = secret.Bytes

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

// Tag is a code's truncated MAC. With the other fields of its [Payload] it
// is the working code, so it redacts itself like a [Code]: every fmt verb,
// log/slog and JSON print [REDACTED]; Reveal returns the value.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() uint64 returns the MAC, for the code's encoder.
//   - Equal(v uint64) bool compares with v in constant time.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED].
type Tag = secret.Uint64

// Payload is the decoded content of a code. Decoding does not authenticate
// it: only [Verifier.Verify] checks the MAC. A Payload prints every field
// but the MAC, which is a [Tag]: Canonical rebuilds the working code, so do
// not log it either.
type Payload struct {
	Version  uint8   // 4 bits; [Version]
	KeyID    uint8   // 8 bits
	Actions  Actions // 8 bits
	Mode     Mode    // 1 bit
	DayValid bool    // 1 bit
	Expiry   uint32  // 24 bits: minutes since Epoch, or days if DayValid
	Serial   uint32  // 24 bits, random
	MAC      Tag     // 50 bits
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

// bytes packs p into its 15-byte form: the first 64 bits as one big-endian
// word, the remaining 56 (6 serial bits and the MAC) as another.
func (p *Payload) bytes() [payloadBytes]byte {
	var day uint64
	if p.DayValid {
		day = 1
	}
	serial := uint64(p.Serial & field24)
	hi := uint64(p.Version&0xF)<<60 | uint64(p.KeyID)<<52 | uint64(p.Actions)<<44 | uint64(p.Mode&1)<<43 |
		day<<42 | uint64(p.Expiry&field24)<<18 | serial>>6
	lo := (serial&0x3F)<<MACBits | p.MAC.Reveal()&macMask
	var b [payloadBytes]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], lo<<8)
	copy(b[8:], t[:7])
	return b
}

// payloadFromBytes returns the fields of payload bytes b, without the MAC
// (see macFromBytes), so that verifying does not allocate a [Tag].
func payloadFromBytes(b *[payloadBytes]byte) Payload {
	hi := binary.BigEndian.Uint64(b[:8])
	lo := lo56(b)
	return Payload{
		Version:  uint8(hi >> 60),
		KeyID:    uint8(hi >> 52),
		Actions:  Actions(hi >> 44),
		Mode:     Mode(hi >> 43 & 1),
		DayValid: hi>>42&1 == 1,
		Expiry:   uint32(hi >> 18 & field24),
		Serial:   uint32(hi&0x3FFFF)<<6 | uint32(lo>>MACBits),
	}
}

// macFromBytes returns the MAC of payload bytes b.
func macFromBytes(b *[payloadBytes]byte) uint64 { return lo56(b) & macMask }

// lo56 returns the last 7 bytes of b as an integer.
func lo56(b *[payloadBytes]byte) uint64 {
	var t [8]byte
	copy(t[:7], b[8:])
	return binary.BigEndian.Uint64(t[:]) >> 8
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
	p := payloadFromBytes(&b)
	p.MAC = secret.NewUint64(macFromBytes(&b))
	return p, nil
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
	// Pack the 24 data symbols, 120 bits, into two words: hi holds the
	// first 56 bits, lo the last 64. A check-only symbol (* ~ $ = U) where
	// a data symbol belongs is a typo: the shape is right.
	var hi, lo uint64
	for _, c := range norm[:CodeLen-1] {
		v := symbolValue[c]
		if v >= 32 {
			return ErrTypo
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	// The check symbol is the value of the data symbols read as a base-32
	// number, modulo 37 (crockford.Check); that number is hi*2^64 + lo.
	if sum := (hi%37*pow64mod37 + lo%37) % 37; crockford.CheckAlphabet[sum] != norm[CodeLen-1] {
		return ErrTypo
	}
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], hi<<8)
	copy(b[:7], t[:7])
	binary.BigEndian.PutUint64(b[7:], lo)
	if b[0]>>4 != Version {
		return ErrVersion
	}
	return nil
}

// symbolValue maps a normalized symbol to its value in
// crockford.CheckAlphabet: 0 to 31 for data symbols, 32 to 36 for the
// check-only ones.
var symbolValue = func() (m [256]byte) {
	for i := 0; i < len(crockford.CheckAlphabet); i++ {
		m[crockford.CheckAlphabet[i]] = byte(i)
	}
	return m
}()

// pow64mod37 is 2^64 mod 37.
const pow64mod37 = (1 << 63 % 37) * 2 % 37

// macState computes HMAC-SHA256 (RFC 2104) tags for one device key and
// device ID without allocating. The MAC input starts with a constant
// prefix padded to whole SHA-256 blocks, so the inner hash state after
// (key XOR ipad) || prefix is computed once and restored for each code:
// a tag then costs two SHA-256 compressions. TestMACStateMatchesHMAC checks
// it against crypto/hmac.
type macState struct {
	inner, outer   hash.Hash
	innerU, outerU encoding.BinaryUnmarshaler
	// mid holds the marshaled inner and outer HMAC states, which are as good
	// as the key: behind a pointer so that fmt reaching a macState by
	// reflection prints an address, never the bytes.
	mid  *macMids
	last [9]byte
}

// macMids are a key's prepared HMAC-SHA256 midstates, and the scratch the
// latest MAC is computed in.
type macMids struct {
	inner, outer []byte
	sum          [sha256.Size]byte
}

// macPrefix returns label || len(deviceID) || deviceID || zero bytes up to
// a multiple of the SHA-256 block size, with the code's label.
func macPrefix(deviceID string) []byte { return labeledPrefix(macLabel, deviceID) }

// labeledPrefix is macPrefix under any domain label (challenge responses
// use their own).
func labeledPrefix(label, deviceID string) []byte {
	n := len(label) + 1 + len(deviceID)
	n += (sha256.BlockSize - n%sha256.BlockSize) % sha256.BlockSize
	in := make([]byte, 0, n)
	in = append(in, label...)
	in = append(in, byte(len(deviceID)))
	in = append(in, deviceID...)
	return in[:n]
}

// macInput returns the whole MAC input for payload bytes b.
func macInput(deviceID string, b *[payloadBytes]byte) []byte {
	in := append(macPrefix(deviceID), b[:9]...)
	in[len(in)-1] &= 0xFC // bits 70 and 71 belong to the MAC
	return in
}

func newMACState(key *[KeySize]byte, deviceID string) *macState {
	return newLabeledMACState(key, macLabel, deviceID)
}

// newLabeledMACState is newMACState for MAC inputs that start with
// labeledPrefix(label, deviceID).
func newLabeledMACState(key *[KeySize]byte, label, deviceID string) *macState {
	var ipad, opad [sha256.BlockSize]byte
	copy(ipad[:], key[:])
	copy(opad[:], key[:])
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	m := &macState{inner: sha256.New(), outer: sha256.New()}
	m.innerU = m.inner.(encoding.BinaryUnmarshaler)
	m.outerU = m.outer.(encoding.BinaryUnmarshaler)
	m.inner.Write(ipad[:])
	m.inner.Write(labeledPrefix(label, deviceID))
	m.outer.Write(opad[:])
	// sha256 digests always marshal; an error here is impossible.
	m.mid = new(macMids)
	m.mid.inner, _ = m.inner.(encoding.BinaryMarshaler).MarshalBinary()
	m.mid.outer, _ = m.outer.(encoding.BinaryMarshaler).MarshalBinary()
	clear(ipad[:])
	clear(opad[:])
	return m
}

// tag returns the 50-bit MAC of the first 70 bits of b.
func (m *macState) tag(b *[payloadBytes]byte) uint64 {
	copy(m.last[:], b[:9])
	m.last[8] &= 0xFC // bits 70 and 71 belong to the MAC
	return m.first64(m.last[:]) >> (64 - MACBits)
}

// first64 returns the first 64 bits of the HMAC of the prefix followed by
// msg.
func (m *macState) first64(msg []byte) uint64 {
	_ = m.innerU.UnmarshalBinary(m.mid.inner)
	m.inner.Write(msg)
	s := m.inner.Sum(m.mid.sum[:0])
	_ = m.outerU.UnmarshalBinary(m.mid.outer)
	m.outer.Write(s)
	s = m.outer.Sum(m.mid.sum[:0])
	return binary.BigEndian.Uint64(s)
}

// macEqual compares two tags in constant time, on every bit: a code's tag
// has 50 bits and a response's 56, both already truncated by their callers,
// so no mask belongs here (one once cut response MACs to 50 bits).
func macEqual(a, b uint64) bool {
	var x, y [8]byte
	binary.BigEndian.PutUint64(x[:], a)
	binary.BigEndian.PutUint64(y[:], b)
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}
