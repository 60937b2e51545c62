// Package crockford encodes bit strings in Crockford Base32
// (https://www.crockford.com/base32.html) and computes its mod-37 check
// symbol.
//
// Encoding is big-endian: the first symbol carries the 5 most significant bits
// of the first byte. A bit string whose length is not a multiple of 5 is
// padded with zero bits at the end, and [Decode] insists those bits are zero
// so that every bit string has exactly one canonical text.
//
// Input from people goes through [Normalize] first: case is folded, O reads
// as 0, I and L read as 1, and hyphens and spaces are dropped.
package crockford

import (
	"errors"
	"fmt"
	"strings"
)

// Alphabet is the 32 data symbols, by value.
const Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// CheckAlphabet is the 37 check symbols, by value: the data symbols then
// * ~ $ = U.
const CheckAlphabet = Alphabet + "*~$=U"

// Errors, matched with errors.Is; [SymbolError] adds the position.
var (
	ErrSymbol = errors.New("crockford: invalid symbol")
	ErrLength = errors.New("crockford: wrong length")
	ErrPad    = errors.New("crockford: non-zero padding bits")
	ErrCheck  = errors.New("crockford: check symbol mismatch")
)

// SymbolError reports an invalid symbol and its position in the input. It
// matches [ErrSymbol]. It never holds the input itself, which may be secret.
type SymbolError struct {
	Pos int
}

func (e *SymbolError) Error() string {
	return fmt.Sprintf("crockford: invalid symbol at position %d", e.Pos)
}

// Is reports whether target is [ErrSymbol].
func (e *SymbolError) Is(target error) bool { return target == ErrSymbol }

// decodeMap maps an input byte to its value; 0xFF is invalid, 0xFE is a
// separator to skip.
var decodeMap = func() [256]byte {
	var m [256]byte
	for i := range m {
		m[i] = 0xFF
	}
	for i := 0; i < len(CheckAlphabet); i++ {
		c := CheckAlphabet[i]
		m[c] = byte(i)
		if c >= 'A' && c <= 'Z' {
			m[c+'a'-'A'] = byte(i)
		}
	}
	m['O'], m['o'] = 0, 0
	m['I'], m['i'], m['L'], m['l'] = 1, 1, 1, 1
	m['-'], m[' '] = 0xFE, 0xFE
	return m
}()

// EncodedLen returns the number of symbols that encode nbits bits.
func EncodedLen(nbits int) int { return (nbits + 4) / 5 }

// Encode returns the symbols for the first nbits bits of src (all of src when
// nbits is 8*len(src)). It panics if nbits is negative or exceeds 8*len(src),
// which is a programming error.
func Encode(src []byte, nbits int) string {
	return string(AppendEncode(make([]byte, 0, EncodedLen(nbits)), src, nbits))
}

// AppendEncode appends the encoding of the first nbits bits of src to dst.
func AppendEncode(dst, src []byte, nbits int) []byte {
	if nbits < 0 || nbits > 8*len(src) {
		panic("crockford: nbits out of range")
	}
	for i := 0; i < nbits; i += 5 {
		var v byte
		for b := 0; b < 5; b++ {
			v <<= 1
			if bit := i + b; bit < nbits && src[bit/8]&(0x80>>(bit%8)) != 0 {
				v |= 1
			}
		}
		dst = append(dst, Alphabet[v])
	}
	return dst
}

// Normalize folds what a person typed into canonical symbols: upper case,
// O->0, I/L->1, with hyphens and spaces removed. Check symbols (*~$=U) pass
// through; a caller that expects data only rejects them in [Decode]. Any
// other byte gives a [SymbolError].
func Normalize(s string) (string, error) {
	out := make([]byte, 0, len(s))
	out, err := AppendNormalize(out, s)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// AppendNormalize is [Normalize] appending to dst, for callers that avoid
// allocation.
func AppendNormalize(dst []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		switch v := decodeMap[s[i]]; v {
		case 0xFF:
			return dst, &SymbolError{Pos: i}
		case 0xFE:
		default:
			dst = append(dst, CheckAlphabet[v])
		}
	}
	return dst, nil
}

// Decode decodes exactly nbits bits from canonical or typed symbols s (it
// normalizes as it goes) into dst, which must hold (nbits+7)/8 bytes. The
// number of symbols must be EncodedLen(nbits) and the padding bits zero.
func Decode(dst []byte, s string, nbits int) error {
	if nbits < 0 || len(dst) < (nbits+7)/8 {
		return ErrLength
	}
	clear(dst[:(nbits+7)/8])
	n := 0
	for i := 0; i < len(s); i++ {
		v := decodeMap[s[i]]
		if v == 0xFE {
			continue
		}
		if v >= 32 {
			return &SymbolError{Pos: i}
		}
		for b := 0; b < 5; b++ {
			bit := n*5 + b
			set := v&(0x10>>b) != 0
			if bit >= nbits {
				if set {
					return ErrPad
				}
				continue
			}
			if set {
				dst[bit/8] |= 0x80 >> (bit % 8)
			}
		}
		n++
		if n > EncodedLen(nbits) {
			return ErrLength
		}
	}
	if n != EncodedLen(nbits) {
		return ErrLength
	}
	return nil
}

// Check returns the check symbol of data symbols s: the value of s read as a
// base-32 number, modulo 37, as a symbol of [CheckAlphabet]. Because 37 is a
// prime larger than 32, it detects every single-symbol substitution and every
// transposition of two adjacent symbols. s is normalized as it is read; a
// byte outside the data symbols gives a [SymbolError].
func Check(s string) (byte, error) {
	var sum uint32
	for i := 0; i < len(s); i++ {
		v := decodeMap[s[i]]
		if v == 0xFE {
			continue
		}
		if v >= 32 {
			return 0, &SymbolError{Pos: i}
		}
		sum = (sum*32 + uint32(v)) % 37
	}
	return CheckAlphabet[sum], nil
}

// SplitCheck normalizes typed input, splits off its last symbol as the check
// symbol and verifies it. It returns the canonical data symbols. A wrong
// check symbol gives [ErrCheck]; an empty input gives [ErrLength].
func SplitCheck(s string) (string, error) {
	norm, err := Normalize(s)
	if err != nil {
		return "", err
	}
	if len(norm) < 2 {
		return "", ErrLength
	}
	data, check := norm[:len(norm)-1], norm[len(norm)-1]
	want, err := Check(data)
	if err != nil {
		return "", err
	}
	if want != check {
		return "", ErrCheck
	}
	return data, nil
}

// Group inserts sep between groups of size symbols, for display
// ("ABCDE-FGHJK-..."). It is pure presentation: [Normalize] removes hyphens
// and spaces again.
func Group(s string, size int, sep string) string {
	if size <= 0 || len(s) <= size {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + (len(s)-1)/size*len(sep))
	for i := 0; i < len(s); i += size {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i:min(i+size, len(s))])
	}
	return b.String()
}
