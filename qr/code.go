package qr

import (
	"fmt"
	"image/color"
	"unicode/utf8"

	"github.com/skip2/go-qrcode"
)

// Code is an encoded QR Code: the module grid and how it was chosen. It holds
// the modules but not the text, and is safe for concurrent use (its methods
// only read it). Create one with [New].
type Code struct {
	opts    Options // validated
	version int
	mode    Mode
	qz      int         // quiet zone in modules
	n       int         // modules per side without the quiet zone
	dark    [][]bool    // [y][x], n×n, without the quiet zone
	side    int         // PNG width and height in pixels
	scale   int         // pixels per module, at least MinPixelsPerModule
	ink     color.NRGBA // colour of the dark modules, after Invert
	paper   color.NRGBA // colour of the light modules and margin, after Invert
}

// New encodes text in the smallest QR Code that holds it at opts.Level. It
// returns [ErrEmpty] for an empty text, a [*UTF8Error] for a text that is
// not valid UTF-8, a [*TooLargeError] when the text does not fit, and an
// [*OptionError] for invalid options, including a Size or PixelsPerModule
// that does not suit the symbol's module count. Neither the text nor any
// part of it appears in an error.
func New(text string, opts Options) (c *Code, err error) {
	fg, bg, err := opts.validate(true)
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, ErrEmpty
	}
	if !utf8.ValidString(text) {
		return nil, &UTF8Error{Offset: invalidUTF8(text)}
	}
	mode := ModeOf(text)
	// The numeric capacity bounds every text the encoder could accept;
	// checking it first keeps a huge input from reaching the encoder.
	if len(text) > Capacity(opts.Level, Numeric) {
		return nil, tooLarge(text, opts.Level, mode)
	}
	// go-qrcode reports internal invariant failures with log.Panic; no input
	// should reach them, but a panic must not escape this package.
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, ErrEncode
		}
	}()
	q, err := qrcode.New(text, opts.Level.recovery())
	if err != nil {
		// The text is non-empty and within count-field bounds, so the only
		// failure left is "content too long to encode": even the single
		// segment in the text's densest mode, which the encoder always
		// considers, exceeds version 40, hence Len > Limit.
		return nil, tooLarge(text, opts.Level, mode)
	}
	q.DisableBorder = true
	dark := q.Bitmap() // Bitmap encodes; call it once only
	qz := opts.quietZone()
	side, scale, err := opts.layout(len(dark) + 2*qz)
	if err != nil {
		return nil, err
	}
	if opts.Invert {
		fg, bg = bg, fg
	}
	return &Code{
		opts:    opts,
		version: q.VersionNumber,
		mode:    mode,
		qz:      qz,
		n:       len(dark),
		dark:    dark,
		side:    side,
		scale:   scale,
		ink:     fg,
		paper:   bg,
	}, nil
}

// invalidUTF8 returns the offset of the first byte of s that does not start
// a valid UTF-8 sequence, or len(s).
func invalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return i
			}
		}
	}
	return len(s)
}

func tooLarge(text string, l Level, m Mode) error {
	return &TooLargeError{Len: len(text), Limit: Capacity(l, m), Level: l, Mode: m}
}

// Version returns the QR Code version, 1 to 40; version v has 17+4v modules
// per side.
func (c *Code) Version() int { return c.version }

// Level returns the error-correction level the code was encoded at.
func (c *Code) Level() Level { return c.opts.Level }

// Mode returns the densest mode that holds every character of the text
// ([ModeOf]); [Alphanumeric] means no byte-mode segment was needed.
func (c *Code) Mode() Mode { return c.mode }

// Options returns the options the code was created with.
func (c *Code) Options() Options { return c.opts }

// Modules returns the number of modules per side including the quiet zone,
// the side of the grid that [Code.Bitmap] returns.
func (c *Code) Modules() int { return c.n + 2*c.qz }

// Bitmap returns a fresh copy of the module grid including the quiet zone:
// bitmap[y][x] is true for a dark module. It does not reflect
// Options.Invert, which is a matter of drawing.
func (c *Code) Bitmap() [][]bool {
	m := c.Modules()
	out := make([][]bool, m)
	cells := make([]bool, m*m)
	for y := range out {
		out[y] = cells[y*m : (y+1)*m : (y+1)*m]
	}
	for y, row := range c.dark {
		copy(out[y+c.qz][c.qz:], row)
	}
	return out
}

// at reports whether the module at (x, y) of a grid with a quiet zone of qz
// modules is dark; coordinates outside the symbol are light.
func (c *Code) at(x, y, qz int) bool {
	x, y = x-qz, y-qz
	if x < 0 || y < 0 || x >= c.n || y >= c.n {
		return false
	}
	return c.dark[y][x]
}

// String describes the code without its modules, so that logging a Code
// never leaks the text it encodes.
func (c Code) String() string {
	return fmt.Sprintf("qr.Code{version %d, level %s, %s}", c.version, c.opts.Level, c.mode)
}

// GoString is [Code.String], so that %#v does not print the modules either.
func (c Code) GoString() string { return c.String() }

// Format makes every fmt verb print [Code.String].
func (c Code) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }
