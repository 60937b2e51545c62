package otp

import (
	"crypto/fips140"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Algorithm is the HMAC hash function of a [Key].
type Algorithm uint8

// Algorithms. The zero value is SHA1, the RFC 4226 default and the only one
// every authenticator app supports.
const (
	SHA1 Algorithm = iota
	SHA256
	SHA512
)

// String returns the name used in otpauth:// URIs: "SHA1", "SHA256" or
// "SHA512".
func (a Algorithm) String() string {
	switch a {
	case SHA1:
		return "SHA1"
	case SHA256:
		return "SHA256"
	case SHA512:
		return "SHA512"
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// Size returns the length of the hash output in bytes, which is also the
// secret length [GenerateKey] draws (RFC 6238 §5.1 and Appendix B).
func (a Algorithm) Size() int {
	switch a {
	case SHA256:
		return sha256.Size
	case SHA512:
		return sha512.Size
	}
	return sha1.Size
}

func (a Algorithm) valid() bool { return a <= SHA512 }

func (a Algorithm) newHash() hash.Hash {
	switch a {
	case SHA256:
		return sha256.New()
	case SHA512:
		return sha512.New()
	}
	return sha1.New()
}

func (a Algorithm) blockSize() int {
	if a == SHA512 {
		return sha512.BlockSize
	}
	return sha1.BlockSize
}

// Bounds on key parameters.
const (
	// MinSecretLen is the shortest secret accepted: 80 bits, the length
	// Google Authenticator's documentation and many existing deployments
	// use. Keys shorter than StrongSecretLen are accepted on import only and
	// marked weak ([Key.Weak]); [GenerateKey] never makes one.
	MinSecretLen = 10
	// StrongSecretLen is the shortest secret that is not weak: 128 bits,
	// the minimum of RFC 4226 §4 (R6).
	StrongSecretLen = 16
	// FIPSMinSecretLen is the shortest secret accepted in FIPS 140-3 mode:
	// 14 bytes, NIST SP 800-131A's 112-bit floor for HMAC keys, which the
	// Go Cryptographic Module enforces. See [ErrFIPS].
	FIPSMinSecretLen = 14
	// MaxSecretLen bounds the secret length so that parsing untrusted input
	// does bounded work.
	MaxSecretLen = 256
	// MinDigits and MaxDigits bound a code's length. RFC 4226 asks for at
	// least 6; the 31-bit truncated value has at most 10 decimal digits.
	MinDigits = 6
	MaxDigits = 10
	// DefaultPeriod is the TOTP time step when Params.Period is zero
	// (RFC 6238 §5.2).
	DefaultPeriod = 30 * time.Second
	// MaxPeriod bounds Params.Period.
	MaxPeriod = time.Hour
)

// Params are the parameters of a [Key] besides its secret.
type Params struct {
	// Algorithm is the HMAC hash. Zero is SHA1.
	Algorithm Algorithm
	// Digits is the code length, MinDigits to MaxDigits. Zero means 6.
	Digits int
	// Period is the TOTP time step, a whole number of seconds up to
	// MaxPeriod. Zero means DefaultPeriod (30 s). HOTP ignores it.
	Period time.Duration
}

func (p Params) withDefaults() (Params, error) {
	if p.Digits == 0 {
		p.Digits = 6
	}
	if p.Period == 0 {
		p.Period = DefaultPeriod
	}
	switch {
	case !p.Algorithm.valid():
		return p, &ParamError{Field: "Algorithm", Reason: "unknown algorithm " + p.Algorithm.String()}
	case p.Digits < MinDigits || p.Digits > MaxDigits:
		return p, &ParamError{Field: "Digits", Reason: "must be 6 to 10, got " + strconv.Itoa(p.Digits)}
	case p.Period < time.Second || p.Period > MaxPeriod || p.Period%time.Second != 0:
		return p, &ParamError{Field: "Period", Reason: "must be a whole number of seconds from 1 s to 1 h, got " + p.Period.String()}
	}
	return p, nil
}

// Key is a decoded OTP key with its HMAC state prepared: the inner and outer
// padded keys are hashed once in [NewKey], so each code costs two hash
// blocks and no allocation. A Key is immutable and safe for concurrent use.
//
// A Key never prints its secret: a Key value, a *Key, and a Key reached as
// a struct field (even an unexported one, which fmt walks by reflection
// without calling any method) show only the parameters under every fmt
// verb, log/slog and encoding/json. The key keyMaterial sits behind a pointer
// to an unexported type, which fmt prints as an address at any depth.
//
// Make a Key with [NewKey], [ParseKey], [GenerateKey] or [Generate]. A zero
// Key has no secret: validation refuses it with a [*ParamError] (it fails
// closed) and generation appends nothing.
type Key struct {
	m      keyRef
	alg    Algorithm
	digits int
	period int64 // seconds
	mod    uint32
	fast   bool // the prepared-state path agrees with crypto/hmac
}

// keyRef hides a Key's material from fmt's reflection.
type keyRef func() *keyMaterial

// keyMaterial is a Key's secret and the HMAC states derived from it.
type keyMaterial struct {
	secret []byte
	inner  []byte // marshaled hash state after absorbing key XOR ipad
	outer  []byte // marshaled hash state after absorbing key XOR opad
}

// NewKey returns a Key for a decoded secret of MinSecretLen to MaxSecretLen
// bytes. The secret is copied. A secret shorter than StrongSecretLen is
// accepted (existing 80-bit keys must be importable) and the Key reports
// [Key.Weak].
//
// In FIPS 140-3 mode (crypto/fips140.Enabled) it refuses SHA1 and secrets
// shorter than FIPSMinSecretLen with a [*ParamError] matching [ErrFIPS]; every function that
// makes a Key goes through it, so import and generation refuse them too.
func NewKey(secret []byte, p Params) (*Key, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(secret) < MinSecretLen || len(secret) > MaxSecretLen {
		reason := "too long"
		if len(secret) < MinSecretLen {
			reason = "too short"
		}
		return nil, &SecretError{Offset: -1, Reason: reason + ": " + strconv.Itoa(len(secret)) + " bytes, must be " + strconv.Itoa(MinSecretLen) + " to " + strconv.Itoa(MaxSecretLen)}
	}
	if err := checkFIPS(p.Algorithm, len(secret)); err != nil {
		return nil, err
	}
	k := &Key{
		m:      refTo(&keyMaterial{secret: append([]byte(nil), secret...)}),
		alg:    p.Algorithm,
		digits: p.Digits,
		period: int64(p.Period / time.Second),
		mod:    pow10[p.Digits],
	}
	k.prepare()
	// In FIPS mode every HMAC goes through crypto/hmac, the validated
	// module's implementation, rather than the prepared-state fast path,
	// which computes the same function outside the module's boundary.
	k.fast = !fips140.Enabled() && fastPathAgrees[k.alg]()
	return k, nil
}

// checkFIPS applies the FIPS 140-3 profile's rules for HMAC keys when FIPS
// mode is on: an approved hash (SHA-2) and at least 112 bits of key.
func checkFIPS(a Algorithm, secretLen int) error {
	if !fips140.Enabled() {
		return nil
	}
	if a == SHA1 {
		return &ParamError{Field: "Algorithm", Reason: "HMAC-SHA-1 is not allowed in FIPS 140-3 mode; use SHA256 or SHA512", Err: ErrFIPS}
	}
	if secretLen < FIPSMinSecretLen {
		return &ParamError{Field: "Secret", Err: ErrFIPS, Reason: "HMAC keys shorter than 112 bits (" + strconv.Itoa(FIPSMinSecretLen) +
			" bytes) are not allowed in FIPS 140-3 mode; got " + strconv.Itoa(secretLen) + " bytes"}
	}
	return nil
}

// prepare hashes the padded key blocks once (RFC 2104): keys longer than a
// block are hashed first, then padded with zeros to a block and XORed with
// ipad and opad.
func (k *Key) prepare() {
	bs := k.alg.blockSize()
	block := make([]byte, bs)
	if len(k.m().secret) > bs {
		h := k.alg.newHash()
		h.Write(k.m().secret)
		h.Sum(block[:0])
	} else {
		copy(block, k.m().secret)
	}
	pad := make([]byte, bs)
	for i, b := range block {
		pad[i] = b ^ 0x36
	}
	k.m().inner = marshalState(k.alg, pad)
	for i, b := range block {
		pad[i] = b ^ 0x5c
	}
	k.m().outer = marshalState(k.alg, pad)
	clear(block)
	clear(pad)
}

func refTo(m *keyMaterial) keyRef { return func() *keyMaterial { return m } }

func marshalState(a Algorithm, pad []byte) []byte {
	h := a.newHash()
	h.Write(pad)
	st, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		// The standard library hashes always marshal.
		panic("otp: hash state does not marshal: " + err.Error())
	}
	return st
}

// GenerateKey draws a random secret of p.Algorithm's output size (20, 32
// or 64 bytes, as RFC 6238 recommends) from r, or crypto/rand.Reader when r
// is nil, and returns its Key.
func GenerateKey(r io.Reader, p Params) (*Key, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = rand.Reader
	}
	secret := make([]byte, p.Algorithm.Size())
	if _, err := io.ReadFull(r, secret); err != nil {
		return nil, fmt.Errorf("otp: reading random secret: %w", err)
	}
	k, err := NewKey(secret, p)
	clear(secret)
	return k, err
}

// Algorithm returns the key's HMAC hash.
func (k *Key) Algorithm() Algorithm { return k.alg }

// Digits returns the code length.
func (k *Key) Digits() int { return k.digits }

// Period returns the TOTP time step.
func (k *Key) Period() time.Duration { return time.Duration(k.period) * time.Second }

// Params returns the key's parameters.
func (k *Key) Params() Params {
	return Params{Algorithm: k.alg, Digits: k.digits, Period: k.Period()}
}

// Secret returns the secret in unpadded upper-case Base32, the form
// authenticator apps accept for manual entry. Keep it sealed at rest.
func (k *Key) Secret() Secret {
	if !k.usable() {
		return Secret{}
	}
	return EncodeSecret(k.m().secret)
}

// Weak reports whether the secret is shorter than StrongSecretLen (128
// bits, RFC 4226 §4): an imported legacy key, such as the 80-bit keys of
// older Google Authenticator enrollments. It still works; plan to replace
// it with [GenerateKey] at the user's next enrollment.
func (k *Key) Weak() bool { return k.usable() && len(k.m().secret) < StrongSecretLen }

// Equal reports whether k and o have the same secret and parameters,
// comparing the secrets in constant time.
func (k *Key) Equal(o *Key) bool {
	if k == nil || o == nil {
		return k == o
	}
	if !k.usable() || !o.usable() {
		return !k.usable() && !o.usable() && k.alg == o.alg && k.digits == o.digits && k.period == o.period
	}
	return k.alg == o.alg && k.digits == o.digits && k.period == o.period &&
		subtle.ConstantTimeCompare(k.m().secret, o.m().secret) == 1
}

// String describes the key without its secret. It has a value receiver so
// that a dereferenced Key, or a Key field, prints the same.
func (k Key) String() string {
	weak := ""
	if k.Weak() {
		weak = ", weak"
	}
	return "otp.Key{" + k.alg.String() + ", " + strconv.Itoa(k.digits) + " digits, " + k.Period().String() + weak + ", secret " + redacted + "}"
}

// Format implements fmt.Formatter so that every verb and flag prints
// [Key.String]. A nil *Key prints as fmt prints any nil pointer.
func (k Key) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, strconv.Quote(k.String()))
		return
	}
	_, _ = io.WriteString(f, k.String())
}

// GoString implements fmt.GoStringer.
func (k Key) GoString() string { return k.String() }

// LogValue implements slog.LogValuer: the parameters, never the secret.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("algorithm", k.alg.String()),
		slog.Int("digits", k.digits),
		slog.Duration("period", k.Period()),
		slog.Bool("weak", k.Weak()),
	)
}

// MarshalJSON implements json.Marshaler: the parameters, never the secret.
// A Key is not meant to be stored as JSON; store [Key.Secret] sealed.
func (k Key) MarshalJSON() ([]byte, error) {
	return []byte(`{"algorithm":"` + k.alg.String() + `","digits":` + strconv.Itoa(k.digits) +
		`,"period":` + strconv.FormatInt(k.period, 10) + `,"weak":` + strconv.FormatBool(k.Weak()) + `,"secret":"` + redacted + `"}`), nil
}

var pow10 = [...]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 0}

// usable reports whether k was made by a constructor; a zero Key fails
// closed.
func (k *Key) usable() bool { return k != nil && k.m != nil && len(k.m().inner) != 0 }

// value returns the RFC 4226 HOTP value for counter: HMAC, dynamic
// truncation to 31 bits, reduced modulo 10^digits (not reduced at 10 digits,
// where the 31-bit value already fits).
func (k *Key) value(counter uint64) uint32 {
	var sum [sha512.Size]byte
	mac := k.mac(counter, &sum)
	off := mac[len(mac)-1] & 0x0f
	v := uint32(mac[off]&0x7f)<<24 | uint32(mac[off+1])<<16 | uint32(mac[off+2])<<8 | uint32(mac[off+3])
	if k.mod != 0 {
		v %= k.mod
	}
	return v
}

// mac computes HMAC(secret, counter) from the prepared states. Each hash
// has its own function so that the compiler sees the concrete type, inlines
// New and keeps the state on the stack: no allocation.
//
// Those functions pad the final block themselves (the message lengths are
// fixed) and read the chaining value, which after the last block is the
// digest, from the hash's binary state: one block function call per hash and
// none of Sum's copying. The binary state layout (4 magic bytes, then the
// chaining value big-endian) is the standard library's; NewKey checks the
// result against crypto/hmac once and, should the layout ever differ, the Key
// falls back to crypto/hmac on every call (slower, allocating, still right).
func (k *Key) mac(counter uint64, sum *[sha512.Size]byte) []byte {
	if !k.fast {
		return k.macStd(counter, sum)
	}
	var msg [8]byte
	putUint64(msg[:], counter)
	m := k.m()
	switch k.alg {
	case SHA256:
		return mac256(m.inner, m.outer, msg[:], sum)
	case SHA512:
		return mac512(m.inner, m.outer, msg[:], sum)
	}
	return mac1(m.inner, m.outer, msg[:], sum)
}

// macStd is the fallback through crypto/hmac. It copies into sum so that
// the fast path's buffers stay on the stack.
func (k *Key) macStd(counter uint64, sum *[sha512.Size]byte) []byte {
	msg := make([]byte, 8)
	putUint64(msg, counter)
	m := hmac.New(k.alg.newHash, k.m().secret)
	m.Write(msg)
	return sum[:copy(sum[:], m.Sum(nil))]
}

// stateOffset is where the chaining value starts in a marshaled state.
const stateOffset = 4

func mac1(inner, outer, msg []byte, sum *[sha512.Size]byte) []byte {
	var blk [sha1.BlockSize]byte
	var st [256]byte
	h := sha1.New()
	u, a := h.(encoding.BinaryUnmarshaler), h.(encoding.BinaryAppender)
	_ = u.UnmarshalBinary(inner)
	h.Write(lastBlock(blk[:], msg))
	s, _ := a.AppendBinary(st[:0])
	_ = u.UnmarshalBinary(outer)
	h.Write(lastBlock(blk[:], s[stateOffset:stateOffset+sha1.Size]))
	s, _ = a.AppendBinary(st[:0])
	return sum[:copy(sum[:], s[stateOffset:stateOffset+sha1.Size])]
}

func mac256(inner, outer, msg []byte, sum *[sha512.Size]byte) []byte {
	var blk [sha256.BlockSize]byte
	var st [256]byte
	h := sha256.New()
	u, a := h.(encoding.BinaryUnmarshaler), h.(encoding.BinaryAppender)
	_ = u.UnmarshalBinary(inner)
	h.Write(lastBlock(blk[:], msg))
	s, _ := a.AppendBinary(st[:0])
	_ = u.UnmarshalBinary(outer)
	h.Write(lastBlock(blk[:], s[stateOffset:stateOffset+sha256.Size]))
	s, _ = a.AppendBinary(st[:0])
	return sum[:copy(sum[:], s[stateOffset:stateOffset+sha256.Size])]
}

func mac512(inner, outer, msg []byte, sum *[sha512.Size]byte) []byte {
	var blk [sha512.BlockSize]byte
	var st [256]byte
	h := sha512.New()
	u, a := h.(encoding.BinaryUnmarshaler), h.(encoding.BinaryAppender)
	_ = u.UnmarshalBinary(inner)
	h.Write(lastBlock(blk[:], msg))
	s, _ := a.AppendBinary(st[:0])
	_ = u.UnmarshalBinary(outer)
	h.Write(lastBlock(blk[:], s[stateOffset:stateOffset+sha512.Size]))
	s, _ = a.AppendBinary(st[:0])
	return sum[:copy(sum[:], s[stateOffset:stateOffset+sha512.Size])]
}

// lastBlock fills blk (one hash block) with data and the Merkle-Damgard
// padding of a message made of one block already absorbed (the padded key)
// followed by data: 0x80, zeros, and the message length in bits, big-endian,
// in the last 8 bytes (SHA-1, SHA-256) or 16 bytes (SHA-512, whose upper 8
// are zero here). data must leave room for the padding.
func lastBlock(blk, data []byte) []byte {
	clear(blk)
	copy(blk, data)
	blk[len(data)] = 0x80
	bits := uint64(len(blk)+len(data)) * 8
	putUint64(blk[len(blk)-8:], bits)
	return blk
}

// fastPathAgrees reports, per algorithm, whether the prepared-state
// functions give crypto/hmac's answer, which they do whenever the standard
// library's binary hash state has the layout they read. It depends on the
// hash implementation only, not on the key (prepare's two key paths, hash
// a long key or zero-pad a short one, do not touch the layout), so it is
// checked once per algorithm, with a key shorter than a block and one
// longer, and remembered. TestFastPathEveryKeyLength checks every
// accepted key length.
var fastPathAgrees = map[Algorithm]func() bool{
	SHA1:   sync.OnceValue(func() bool { return agrees(SHA1) }),
	SHA256: sync.OnceValue(func() bool { return agrees(SHA256) }),
	SHA512: sync.OnceValue(func() bool { return agrees(SHA512) }),
}

func agrees(a Algorithm) bool {
	for _, n := range []int{32, 200} {
		secret := make([]byte, n)
		for i := range secret {
			secret[i] = byte(i)
		}
		k := &Key{m: refTo(&keyMaterial{secret: secret}), alg: a}
		k.prepare()
		var fast, std [sha512.Size]byte
		for _, c := range []uint64{0, 1, 1 << 40} {
			k.fast = true
			got := k.mac(c, &fast)
			if !hmac.Equal(got, k.macStd(c, &std)) {
				return false
			}
		}
	}
	return true
}

func putUint64(b []byte, v uint64) {
	_ = b[7]
	b[0], b[1], b[2], b[3] = byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32)
	b[4], b[5], b[6], b[7] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// appendCode appends v as exactly digits decimal digits, leading zeros kept.
func appendCode(dst []byte, v uint32, digits int) []byte {
	if digits < MinDigits || digits > MaxDigits {
		return dst
	}
	var buf [MaxDigits]byte
	for i := digits - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:digits]...)
}

// parseCode reads a code of exactly digits decimal digits, ignoring ASCII
// spaces (codes are often shown as "123 456").
func parseCode(code string, digits int) (uint32, bool) {
	if len(code) > 4*MaxDigits {
		return 0, false
	}
	var v uint64
	n := 0
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c == ' ' {
			continue
		}
		if c < '0' || c > '9' || n == digits {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
		n++
	}
	if n != digits || v > 1<<31-1 {
		// A 10-digit code above 2^31-1 cannot come from the 31-bit value.
		return 0, false
	}
	return uint32(v), true
}
