package qr

import "fmt"

// Mode is a QR Code data mode: the character set a segment is encoded in.
type Mode uint8

// Data modes, from the densest to the most general.
const (
	// Numeric holds the digits 0-9 (about 3.3 bits a digit).
	Numeric Mode = iota + 1
	// Alphanumeric holds 0-9, A-Z (uppercase only), space and $%*+-./:
	// (5.5 bits a character).
	Alphanumeric
	// Byte holds any byte (8 bits a byte); text is encoded as UTF-8.
	Byte
)

// String returns the mode's name in lowercase.
func (m Mode) String() string {
	switch m {
	case Numeric:
		return "numeric"
	case Alphanumeric:
		return "alphanumeric"
	case Byte:
		return "byte"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ModeOf returns the densest mode that can hold every byte of text. An empty
// text is [Numeric]. The encoder may still split a text into segments (for
// example a run of digits in numeric mode inside an alphanumeric text) when
// that is shorter.
func ModeOf(text string) Mode {
	m := Numeric
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z', c == ' ', c == '$', c == '%', c == '*',
			c == '+', c == '-', c == '.', c == '/', c == ':':
			m = Alphanumeric
		default:
			return Byte
		}
	}
	return m
}

// capacity40 is the number of characters a version 40 symbol holds, by mode
// and level (ISO/IEC 18004:2015 table 7).
var capacity40 = [4][3]int{
	Medium:   {5596, 3391, 2331},
	Low:      {7089, 4296, 2953},
	Quartile: {3993, 2420, 1663},
	High:     {3057, 1852, 1273},
}

// Capacity returns the longest text of mode m that fits the largest QR Code
// (version 40) at level l, in characters (bytes for [Byte]), or 0 for an
// unknown level or mode. A text that mixes modes may fit beyond the capacity
// of its densest common mode when the encoder splits it into segments.
func Capacity(l Level, m Mode) int {
	if !l.valid() || m < Numeric || m > Byte {
		return 0
	}
	return capacity40[l][m-1]
}
