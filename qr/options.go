package qr

import (
	"fmt"
	"image/color"

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
	// DefaultSize is the PNG width and height used when neither
	// Options.Size nor Options.PixelsPerModule is set, for symbols of up to
	// 128 modules (version 23 with the default quiet zone); a larger symbol
	// gets [MinPixelsPerModule] pixels per module instead.
	DefaultSize = 256
	// MaxSize bounds the width and height of an image, so that one never
	// needs more than 16 MiB of memory.
	MaxSize = 4096
	// MinPixelsPerModule is the fewest pixels a module may be drawn with:
	// at one pixel per module scanners miss symbols they read at two.
	MinPixelsPerModule = 2
	// MinSize is the smallest Options.Size any symbol can have:
	// [MinPixelsPerModule] times the 21 modules of a version 1 symbol
	// without a quiet zone. Most symbols need more; [New] says how much.
	MinSize = MinPixelsPerModule * 21
	// MaxPixelsPerModule bounds Options.PixelsPerModule: the largest scale
	// at which a version 1 symbol without a quiet zone fits [MaxSize].
	MaxPixelsPerModule = MaxSize / 21
	// DefaultQuietZone is the quiet zone used when Options.QuietZone is zero:
	// the 4 modules ISO/IEC 18004 requires.
	DefaultQuietZone = 4
	// MaxQuietZone bounds Options.QuietZone.
	MaxQuietZone = 16
	// NoQuietZone, as Options.QuietZone, draws the symbol without a margin,
	// for a page that provides its own light border.
	NoQuietZone = -1
	// MinTerminalQuietZone is the quiet zone, in modules, that the terminal
	// form always draws with Options.Invert: on a dark terminal nothing else
	// provides the light border around the symbol.
	MinTerminalQuietZone = 2
	// MinContrast is the smallest difference in luminance, in percent of
	// the full range, allowed between Options.Background (lighter) and
	// Options.Foreground (darker) as they are seen: each composited over a
	// white and over a black page, in each of the luminance formulas
	// scanners use (ITU-R BT.601, BT.709 and ZXing's (R+2G+B)/4). 40 is
	// grade C of the symbol contrast in ISO/IEC 15415.
	MinContrast = 40
	// MaxDarkLuminance is the highest luminance, in percent, that
	// Options.Foreground (the dark modules) may have as it is seen (over a
	// white and over a black page, in every luminance formula of
	// MinContrast). Measured with jsQR and gozxing at 8 and 16 pixels per
	// module: every pair that failed had dark modules of 40% or more, even
	// at 40-46% contrast; 35 keeps a margin.
	MaxDarkLuminance = 35
)

// Options control the rendering. The zero value is the recommended default:
// level M, a 4-module quiet zone, a 256-pixel image, black modules on white,
// and full blocks in a terminal.
type Options struct {
	// Level is the error-correction level; zero is [Medium].
	Level Level

	// Size is the width and height in pixels of the PNG (and of the data URI
	// image), at most [MaxSize]. Every module is drawn as the same whole
	// number of pixels, the largest that fits; pixels left over are added
	// to the margin, split evenly. The SVG's width and height are that
	// scale times the modules, so at most Size. Size must leave
	// [MinPixelsPerModule] pixels per module: [New] refuses a smaller one
	// with an [*OptionError] whose Min is the smallest Size for the symbol.
	// Zero means [DefaultSize], or [MinPixelsPerModule] pixels per module
	// for a symbol too large for it. The terminal form ignores Size.
	Size int

	// PixelsPerModule, instead of Size, sets the side of a module in
	// pixels, from [MinPixelsPerModule] to [MaxPixelsPerModule]; the image
	// is then exactly the modules (quiet zone included) times this, and
	// must fit [MaxSize]. Zero means Size decides. Setting both is an
	// [*OptionError]. The terminal form ignores it.
	PixelsPerModule int

	// QuietZone is the light margin around the symbol, in modules; zero is
	// [DefaultQuietZone], at most [MaxQuietZone]; [NoQuietZone] for none.
	// The inverted terminal form draws at least [MinTerminalQuietZone].
	QuietZone int

	// Foreground is the colour of the dark modules in the PNG and the SVG;
	// nil is black. Background is the colour of the light modules and the
	// quiet zone; nil is white. As in github.com/skip2/go-qrcode, either may
	// be any color.Color, translucency included, but they are judged as
	// they will be seen, composited over a white and over a black page:
	// Background must be lighter than Foreground by at least [MinContrast]
	// percent on both pages and in every luminance formula scanners use.
	// So a fully transparent Background (which is black on a dark page) is
	// refused, and so are light-on-dark colours (use Invert) and
	// mid-luminance "dark" colours such as pure green (Foreground above
	// [MaxDarkLuminance] is an [*OptionError] for Foreground). A colour with no
	// alpha at all is stored as transparent white, never transparent black.
	// The refusal is an [*OptionError] for Background whose Value is the
	// contrast found. The terminal form draws in the terminal's own
	// colours.
	Foreground, Background color.Color

	// Invert swaps the two colours: in the PNG and the SVG the dark modules
	// are drawn in Background (white) on a Foreground (black) background and
	// quiet zone (a negative that scanners with inverted-code support read).
	// A negative must be black and white: with Invert, a Foreground other
	// than black or a Background other than white is an [*OptionError], as
	// decoders (jsQR) miss coloured and grey negatives.
	// In a terminal, where the block characters take the foreground colour,
	// Invert draws the light modules and the quiet zone instead of the dark
	// ones: set it on a dark terminal (light text on a dark background) to
	// show a normal QR Code.
	Invert bool

	// HalfBlocks makes the terminal form draw two module rows per line with
	// the half-block characters ▀ ▄ █, for a symbol half as tall. Full blocks
	// (two █ per module) are the default because more fonts render them
	// without gaps.
	HalfBlocks bool
}

// Validate checks the fields of o against the bounds that hold for every
// symbol, returning an [*OptionError] for the first one out of range. [New]
// also checks Size and PixelsPerModule against the symbol's module count.
func (o Options) Validate() error {
	_, _, err := o.validate(false)
	return err
}

// validate is Validate, returning the foreground and background colours it
// checked, before Invert. For New, which knows the symbol (forSymbol), a
// positive Size below MinSize is left to layout, whose error names the
// symbol's own minimum.
func (o Options) validate(forSymbol bool) (fg, bg color.NRGBA, err error) {
	if !o.Level.valid() {
		return fg, bg, &OptionError{Field: "Level", Value: int(o.Level), Min: int(Medium), Max: int(High),
			Reason: "not one of Low, Medium, Quartile, High"}
	}
	if o.Size < 0 || o.Size > MaxSize || (o.Size > 0 && o.Size < MinSize && !forSymbol) {
		return fg, bg, &OptionError{Field: "Size", Value: o.Size, Min: MinSize, Max: MaxSize,
			Reason: fmt.Sprintf("outside %d..%d (zero for the default)", MinSize, MaxSize)}
	}
	if o.PixelsPerModule != 0 && (o.PixelsPerModule < MinPixelsPerModule || o.PixelsPerModule > MaxPixelsPerModule) {
		return fg, bg, &OptionError{Field: "PixelsPerModule", Value: o.PixelsPerModule, Min: MinPixelsPerModule, Max: MaxPixelsPerModule,
			Reason: fmt.Sprintf("outside %d..%d (zero to follow Size)", MinPixelsPerModule, MaxPixelsPerModule)}
	}
	if o.PixelsPerModule != 0 && o.Size != 0 {
		return fg, bg, &OptionError{Field: "PixelsPerModule", Value: o.PixelsPerModule,
			Reason: "set together with Size; set one of them"}
	}
	if o.QuietZone < NoQuietZone || o.QuietZone > MaxQuietZone {
		return fg, bg, &OptionError{Field: "QuietZone", Value: o.QuietZone, Min: NoQuietZone, Max: MaxQuietZone,
			Reason: fmt.Sprintf("outside %d..%d", NoQuietZone, MaxQuietZone)}
	}
	return o.colors()
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
