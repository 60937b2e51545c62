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
// non-premultiplied colours and checks their contrast as seen (see
// [seenContrast]). A color.Color whose RGBA method panics (a nil pointer in
// the interface, say) is an [*OptionError], not a panic.
func (o Options) colors() (fg, bg color.NRGBA, err error) {
	if fg, err = resolve("Foreground", o.Foreground, black); err != nil {
		return fg, bg, err
	}
	if bg, err = resolve("Background", o.Background, white); err != nil {
		return fg, bg, err
	}
	if o.Invert && (fg != black || bg != white) {
		field := "Foreground"
		if fg == black {
			field = "Background"
		}
		return fg, bg, &OptionError{Field: field,
			Reason: "with Invert the colours must be black and white (nil): decoders (jsQR) miss coloured, grey and translucent negatives"}
	}
	if l, page, weights := seenLuminance(fg); l > MaxDarkLuminance {
		return fg, bg, &OptionError{Field: "Foreground", Value: l, Min: 0, Max: MaxDarkLuminance,
			Reason: fmt.Sprintf("over a %s page, in %s luminance, the dark modules are %d%% light, at most %d%% allowed: decoders miss mid-luminance \"dark\" colours",
				page, weights, l, MaxDarkLuminance)}
	}
	if d, page, weights := seenContrast(fg, bg); d < MinContrast {
		reason := fmt.Sprintf("over a %s page, in %s luminance, the light modules are %d%% lighter than the dark ones (Foreground), at least %d%% needed",
			page, weights, d, MinContrast)
		if d <= 0 {
			reason = fmt.Sprintf("over a %s page, in %s luminance, Foreground is not darker than Background: light-on-dark colours are refused (use Invert for a negative)",
				page, weights)
		}
		return fg, bg, &OptionError{Field: "Background", Value: d, Min: MinContrast, Max: 100, Reason: reason}
	}
	return fg, bg, nil
}

// resolve converts c to a non-premultiplied colour. A fully transparent
// colour becomes transparent white: color.NRGBAModel makes
// color.Transparent transparent black, which decoders that ignore the alpha
// channel (and pages that drop it) read as black.
func resolve(field string, c color.Color, def color.NRGBA) (out color.NRGBA, err error) {
	if c == nil {
		return def, nil
	}
	defer func() {
		if recover() != nil {
			out, err = def, &OptionError{Field: field, Reason: "its RGBA method panicked"}
		}
	}()
	out = color.NRGBAModel.Convert(c).(color.NRGBA)
	if out.A == 0 {
		out = color.NRGBA{R: 0xff, G: 0xff, B: 0xff}
	}
	return out, nil
}

// pages are what a symbol may be shown on: a translucent colour is seen
// composited over the page.
var pages = [...]struct {
	name string
	c    color.NRGBA
}{{"white", white}, {"black", black}}

// lumaWeights are the luminance formulas scanners use to turn colour into
// grey, in thousandths: ITU-R BT.601 (zbar, many phone pipelines), ITU-R
// BT.709 (jsQR) and ZXing's (R+2G+B)/4. Pure green is 59% luminance in the
// first, 72% in the second and 50% in the third: a colour must pass in all.
var lumaWeights = [...]struct {
	name    string
	r, g, b int
}{{"BT.601", 299, 587, 114}, {"BT.709", 213, 715, 72}, {"ZXing", 250, 500, 250}}

// seenLuminance returns the highest luminance of c, in percent, as seen
// over either page in any formula of [lumaWeights], with that page and
// formula.
func seenLuminance(c color.NRGBA) (l int, page, weights string) {
	l = -1
	for _, p := range pages {
		v := over(c, p.c)
		for _, w := range lumaWeights {
			if x := (w.r*int(v.R) + w.g*int(v.G) + w.b*int(v.B)) * 100 / (255 * 1000); x > l {
				l, page, weights = x, p.name, w.name
			}
		}
	}
	return l, page, weights
}

// seenContrast returns how much lighter, in percent of the full range, the
// light modules (bg) are than the dark ones (fg) where they look closest:
// the minimum over both pages (white and black, each colour composited
// over it) and every luminance formula of [lumaWeights], with the page
// and the formula of that minimum. It is negative when fg is the lighter
// colour there.
func seenContrast(fg, bg color.NRGBA) (d int, page, weights string) {
	d = 101
	for _, p := range pages {
		f, b := over(fg, p.c), over(bg, p.c)
		for _, w := range lumaWeights {
			lf := w.r*int(f.R) + w.g*int(f.G) + w.b*int(f.B)
			lb := w.r*int(b.R) + w.g*int(b.G) + w.b*int(b.B)
			// Rounded towards minus infinity, so 39.9% is 39.
			if v := floorDiv((lb-lf)*100, 255*1000); v < d {
				d, page, weights = v, p.name, w.name
			}
		}
	}
	return d, page, weights
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// over composites c over the opaque page colour p.
func over(c, p color.NRGBA) color.NRGBA {
	mix := func(v, w uint8) uint8 { return uint8((int(v)*int(c.A) + int(w)*(255-int(c.A)) + 127) / 255) }
	return color.NRGBA{R: mix(c.R, p.R), G: mix(c.G, p.G), B: mix(c.B, p.B), A: 0xff}
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
