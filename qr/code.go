package qr

import (
	"fmt"

	"github.com/skip2/go-qrcode"
)

// Code is an encoded QR Code: the module grid and how it was chosen. It holds
// the modules but not the text, and is safe for concurrent use (its methods
// only read it). Create one with [New].
type Code struct {
	opts    Options // validated
	version int
	mode    Mode
	qz      int      // quiet zone in modules
	n       int      // modules per side without the quiet zone
	dark    [][]bool // [y][x], n×n, without the quiet zone
}

// New encodes text in the smallest QR Code that holds it at opts.Level. It
// returns [ErrEmpty] for an empty text, an [*OptionError] for invalid
// options and a [*TooLargeError] when the text does not fit. Neither the
// text nor any part of it appears in an error.
func New(text string, opts Options) (c *Code, err error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if text == "" {
		return nil, ErrEmpty
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
	return &Code{
		opts:    opts,
		version: q.VersionNumber,
		mode:    mode,
		qz:      opts.quietZone(),
		n:       len(dark),
		dark:    dark,
	}, nil
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

// at reports whether the module at (x, y) of the grid with quiet zone is
// dark; coordinates outside the symbol are light.
func (c *Code) at(x, y int) bool {
	x, y = x-c.qz, y-c.qz
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
