package qr

import (
	"fmt"

	"github.com/skip2/go-qrcode"
)

// Level is a QR Code error-correction level: how much of the symbol may be
// damaged or covered and still be read. Higher levels need larger symbols.
// The zero value is [Medium].
type Level uint8

// Error-correction levels, in the order of the zero value first.
const (
	// Medium recovers about 15% of the symbol; the default, and what the
	// servicepass code format is sized for.
	Medium Level = iota
	// Low recovers about 7%.
	Low
	// Quartile recovers about 25%.
	Quartile
	// High recovers about 30%.
	High
)

// String returns the level's letter: "L", "M", "Q" or "H".
func (l Level) String() string {
	switch l {
	case Low:
		return "L"
	case Medium:
		return "M"
	case Quartile:
		return "Q"
	case High:
		return "H"
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

func (l Level) valid() bool { return l <= High }

func (l Level) recovery() qrcode.RecoveryLevel {
	switch l {
	case Low:
		return qrcode.Low
	case Quartile:
		return qrcode.High // go-qrcode calls Q "High"
	case High:
		return qrcode.Highest
	}
	return qrcode.Medium
}

// Bounds of [Options] fields.
const (
	// DefaultSize is the PNG width and height used when Options.Size is zero.
	DefaultSize = 256
	// MaxSize bounds Options.Size so that an image never needs more than
	// 16 MiB of memory.
	MaxSize = 4096
	// DefaultQuietZone is the quiet zone used when Options.QuietZone is zero:
	// the 4 modules ISO/IEC 18004 requires.
	DefaultQuietZone = 4
	// MaxQuietZone bounds Options.QuietZone.
	MaxQuietZone = 16
	// NoQuietZone, as Options.QuietZone, draws the symbol without a margin,
	// for a page that provides its own light border.
	NoQuietZone = -1
)

// Options control the rendering. The zero value is the recommended default:
// level M, a 4-module quiet zone, a 256-pixel image, dark modules on a light
// background, and full blocks in a terminal.
type Options struct {
	// Level is the error-correction level; zero is [Medium].
	Level Level

	// Size is the width and height in pixels of the PNG (and of the data URI
	// image), and the width and height attributes of the SVG; zero is
	// [DefaultSize], at most [MaxSize]. Every module is drawn as the same
	// whole number of pixels; pixels left over are added to the margin,
	// split evenly. Size must leave at least one pixel per module.
	// The terminal form ignores Size.
	Size int

	// QuietZone is the light margin around the symbol, in modules; zero is
	// [DefaultQuietZone], at most [MaxQuietZone]; [NoQuietZone] for none.
	QuietZone int

	// Invert swaps the two colours: in the PNG and the SVG the dark modules
	// are drawn white on a black background and quiet zone (a negative that
	// scanners with inverted-code support read). In a terminal, where the
	// block characters take the foreground colour, Invert draws the light
	// modules and the quiet zone instead of the dark ones: set it on a dark
	// terminal (light text on a dark background) to show a normal QR Code.
	Invert bool

	// HalfBlocks makes the terminal form draw two module rows per line with
	// the half-block characters ▀ ▄ █, for a symbol half as tall. Full blocks
	// (two █ per module) are the default because more fonts render them
	// without gaps.
	HalfBlocks bool
}

// Validate checks the fields of o against their bounds, returning an
// [*OptionError] for the first one out of range.
func (o Options) Validate() error {
	if !o.Level.valid() {
		return &OptionError{Field: "Level", Value: int(o.Level), Reason: "not one of Low, Medium, Quartile, High"}
	}
	if o.Size < 0 || o.Size > MaxSize {
		return &OptionError{Field: "Size", Value: o.Size, Reason: fmt.Sprintf("outside 0..%d", MaxSize)}
	}
	if o.QuietZone < NoQuietZone || o.QuietZone > MaxQuietZone {
		return &OptionError{Field: "QuietZone", Value: o.QuietZone, Reason: fmt.Sprintf("outside %d..%d", NoQuietZone, MaxQuietZone)}
	}
	return nil
}

func (o Options) size() int {
	if o.Size == 0 {
		return DefaultSize
	}
	return o.Size
}

func (o Options) quietZone() int {
	switch o.QuietZone {
	case 0:
		return DefaultQuietZone
	case NoQuietZone:
		return 0
	}
	return o.QuietZone
}
