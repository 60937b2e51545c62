package qr

import (
	"fmt"
	"image/color"
	"strconv"
)

var (
	black = color.NRGBA{A: 0xff}
	white = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
)

// colors resolves Options.Foreground and Options.Background to
// non-premultiplied colours and checks their contrast. A color.Color whose
// RGBA method panics (a nil pointer in the interface, say) is an
// [*OptionError], not a panic.
func (o Options) colors() (fg, bg color.NRGBA, err error) {
	if fg, err = resolve("Foreground", o.Foreground, black); err != nil {
		return fg, bg, err
	}
	if bg, err = resolve("Background", o.Background, white); err != nil {
		return fg, bg, err
	}
	if d := contrast(fg, bg); d < MinContrast {
		return fg, bg, &OptionError{Field: "Background", Value: d, Min: MinContrast, Max: 100,
			Reason: fmt.Sprintf("luminance differs from Foreground by %d%%, at least %d%% needed", d, MinContrast)}
	}
	return fg, bg, nil
}

func resolve(field string, c color.Color, def color.NRGBA) (out color.NRGBA, err error) {
	if c == nil {
		return def, nil
	}
	defer func() {
		if recover() != nil {
			out, err = def, &OptionError{Field: field, Reason: "its RGBA method panicked"}
		}
	}()
	return color.NRGBAModel.Convert(c).(color.NRGBA), nil
}

// contrast is the difference in luminance (ITU-R BT.601 luma) of two
// colours composited over white, in percent.
func contrast(a, b color.NRGBA) int {
	d := luma(a) - luma(b)
	if d < 0 {
		d = -d
	}
	return d * 100 / (255 * 1000)
}

// luma returns 1000 times the BT.601 luma, 0 to 255000, of c over white.
func luma(c color.NRGBA) int {
	over := func(v uint8) int { return (int(v)*int(c.A) + 255*(255-int(c.A))) / 255 }
	return 299*over(c.R) + 587*over(c.G) + 114*over(c.B)
}

// appendHex appends c as an SVG colour, #rrggbb.
func appendHex(b []byte, c color.NRGBA) []byte {
	const digits = "0123456789abcdef"
	b = append(b, '#')
	for _, v := range [3]uint8{c.R, c.G, c.B} {
		b = append(b, digits[v>>4], digits[v&0xf])
	}
	return b
}

// appendOpacity appends c's alpha as a decimal from 0 to 1 with up to three
// digits, for an SVG fill-opacity attribute.
func appendOpacity(b []byte, c color.NRGBA) []byte {
	return strconv.AppendFloat(b, float64(int(c.A)*1000/255)/1000, 'f', -1, 64)
}
