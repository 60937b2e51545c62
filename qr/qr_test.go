package qr_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/require"

	"github.com/mdmcred/mdmcred/qr"
)

// roundTripTexts cover alphanumeric, numeric and byte mode, including UTF-8.
var roundTripTexts = []struct {
	name string
	text string
	mode qr.Mode
}{
	{"servicepass code", "7ZQ3M-K8TRW-0A4HX-9CNDE-PG2VB", qr.Alphanumeric},
	{"digits", "0123456789", qr.Numeric},
	{"url", "https://mdm.example.com/enroll?site=42&t=x", qr.Byte},
	{"utf-8", "Zażółć gęślą jaźń – Größe", qr.Byte},
	// Found by the property test: gozxing's finder-pattern detector misses
	// this symbol (go-qrcode's own PNG too); decodeImage falls back.
	{"astral planes", "\U0009f04a\U000fc8d5\U0010da48\U0009b633\U00046235\U0006a354\U000d104c\U000bee66𩂇\U00107590\U00041639", qr.Byte},
}

// optionCases span every level, quiet zone and invert setting; the raster
// settings (default size, a Size, the smallest PixelsPerModule, a larger
// one) and the colours (default, dark blue on translucent white; a negative
// is black and white) rotate through the cases so each is met with every
// level.
func optionCases() []qr.Options {
	raster := []qr.Options{{}, {Size: 333}, {PixelsPerModule: qr.MinPixelsPerModule}, {PixelsPerModule: 5}}
	colours := []qr.Options{{}, {Foreground: color.RGBA{0x00, 0x00, 0x8b, 0xff}, Background: color.NRGBA{0xff, 0xff, 0xff, 0xcc}}}
	var out []qr.Options
	for _, l := range []qr.Level{qr.Low, qr.Medium, qr.Quartile, qr.High} {
		for _, qz := range []int{0, qr.NoQuietZone, 1, qr.MaxQuietZone} {
			for _, inv := range []bool{false, true} {
				r, c := raster[len(out)%len(raster)], colours[len(out)/3%len(colours)]
				if inv {
					c = qr.Options{}
				}
				out = append(out, qr.Options{Level: l, QuietZone: qz, Invert: inv,
					Size: r.Size, PixelsPerModule: r.PixelsPerModule,
					Foreground: c.Foreground, Background: c.Background})
			}
		}
	}
	return out
}

func quietZone(o qr.Options) int {
	switch o.QuietZone {
	case 0:
		return qr.DefaultQuietZone
	case qr.NoQuietZone:
		return 0
	}
	return o.QuietZone
}

// terminalQuietZone is the quiet zone the terminal form promises: at least
// 2 modules when inverted.
func terminalQuietZone(o qr.Options) int {
	if o.Invert {
		return max(quietZone(o), 2)
	}
	return quietZone(o)
}

// TestRoundTrip decodes every output form back to the text, for every
// option combination, and checks each form's grid against Code.Bitmap and
// go-qrcode's own bitmap. A Size too small for the symbol must be refused
// with the minimum, which then renders.
func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTripTexts {
		for _, o := range optionCases() {
			name := fmt.Sprintf("%s/%s/size=%d/ppm=%d/qz=%d/invert=%v/colour=%v", tc.name, o.Level, o.Size, o.PixelsPerModule, o.QuietZone, o.Invert, o.Foreground != nil)
			t.Run(name, func(t *testing.T) {
				c, err := qr.New(tc.text, o)
				var oe *qr.OptionError
				if errors.As(err, &oe) {
					// Only a size the symbol is too large for may be refused.
					ref, rerr := qr.New(tc.text, qr.Options{Level: o.Level, QuietZone: o.QuietZone})
					require.NoError(t, rerr)
					m := ref.Modules()
					switch oe.Field {
					case "Size":
						require.Less(t, o.Size, 2*m)
						require.Equal(t, 2*m, oe.Min)
						o.Size = oe.Min
					case "PixelsPerModule":
						require.Greater(t, o.PixelsPerModule*m, qr.MaxSize)
						require.Equal(t, qr.MaxSize/m, oe.Max)
						o.PixelsPerModule = oe.Max
					default:
						t.Fatalf("unexpected %v", err)
					}
					c, err = qr.New(tc.text, o)
				}
				require.NoError(t, err)
				qz := quietZone(o)
				require.Equal(t, tc.mode, c.Mode())
				require.Equal(t, o.Level, c.Level())
				require.Equal(t, o, c.Options())
				require.Equal(t, 17+4*c.Version()+2*qz, c.Modules())
				bitmap := c.Bitmap()

				// The symbol is go-qrcode's, with our quiet zone.
				ref, err := goQRCodeBitmap(tc.text, o.Level)
				require.NoError(t, err)
				require.NoError(t, sameGrid(crop(bitmap, qz), crop(ref, 4)))
				for y, row := range bitmap {
					for x, d := range row {
						if x < qz || y < qz || x >= len(row)-qz || y >= len(row)-qz {
							require.False(t, d, "quiet zone module (%d,%d) is dark", x, y)
						}
					}
				}

				// PNG: pixel-exact modules of at least 2 pixels, in the
				// promised colours, and gozxing reads it.
				side, scale := wantLayout(o, c.Modules())
				require.Equal(t, side, c.Size())
				require.Equal(t, scale, c.PixelsPerModule())
				require.GreaterOrEqual(t, scale, qr.MinPixelsPerModule)
				ink, paper := wantColors(o)
				b, err := c.PNG()
				require.NoError(t, err)
				img, err := png.Decode(bytes.NewReader(b))
				require.NoError(t, err)
				grid, err := gridFromImage(img, c.Modules(), side, scale, ink, paper)
				require.NoError(t, err)
				require.NoError(t, sameGrid(grid, bitmap))
				got, err := decodeImage(img, o.Invert)
				require.NoError(t, err)
				require.Equal(t, tc.text, got.Text)
				require.Equal(t, o.Level.String(), got.Level)
				require.Equal(t, tc.mode == qr.Byte, got.Bytes, "byte segment present")
				var w bytes.Buffer
				require.NoError(t, c.WritePNG(&w))
				require.Equal(t, b, w.Bytes())

				// Data URI: the same PNG.
				uri, err := c.DataURI()
				require.NoError(t, err)
				require.True(t, strings.HasPrefix(uri, qr.DataURIPrefix))
				raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(uri, qr.DataURIPrefix))
				require.NoError(t, err)
				require.Equal(t, b, raw)

				// SVG: whole pixels per module at its stated size; parse the
				// path back into modules.
				doc := c.SVG()
				s, err := parseSVG(doc)
				require.NoError(t, err)
				require.Equal(t, scale*c.Modules(), s.Width)
				require.Equal(t, scale*c.Modules(), s.Height)
				require.LessOrEqual(t, s.Width, side)
				require.Equal(t, fillAttr(paper), s.Background)
				require.Equal(t, fillAttr(ink), s.Foreground)
				require.NoError(t, sameGrid(s.Grid, bitmap))
				got, err = decodeImage(rasterizeSVG(s), false)
				require.NoError(t, err)
				require.Equal(t, tc.text, got.Text)
				w.Reset()
				require.NoError(t, c.WriteSVG(&w))
				require.Equal(t, doc, w.String())

				// Terminal, full and half blocks: the bitmap, with the quiet
				// zone raised to 2 modules when inverted.
				for _, half := range []bool{false, true} {
					to := o
					to.HalfBlocks = half
					tc2, err := qr.New(tc.text, to)
					require.NoError(t, err)
					tqz := terminalQuietZone(to)
					require.Equal(t, tqz, tc2.TerminalQuietZone())
					term := tc2.Terminal()
					grid, err := parseTerminal(term, to, c.Modules()-2*qz+2*tqz)
					require.NoError(t, err, "half=%v", half)
					require.NoError(t, sameGrid(grid, pad(bitmap, tqz-qz)), "half=%v", half)
					w.Reset()
					require.NoError(t, tc2.WriteTerminal(&w))
					require.Equal(t, term, w.String())
				}
			})
		}
	}
}

// TestDefaultMatchesGoQRCode checks that the default options reproduce
// go-qrcode's bitmap exactly, border included.
func TestDefaultMatchesGoQRCode(t *testing.T) {
	for _, tc := range roundTripTexts {
		c, err := qr.New(tc.text, qr.Options{})
		require.NoError(t, err)
		ref, err := goQRCodeBitmap(tc.text, qr.Medium)
		require.NoError(t, err)
		require.NoError(t, sameGrid(c.Bitmap(), ref), tc.name)
	}
}

// TestSmallestVersion checks that no smaller version holds the text.
func TestSmallestVersion(t *testing.T) {
	for _, tc := range roundTripTexts {
		for _, l := range []qr.Level{qr.Low, qr.Medium, qr.Quartile, qr.High} {
			c, err := qr.New(tc.text, qr.Options{Level: l})
			require.NoError(t, err)
			requireSmallest(t, tc.text, c)
		}
	}
}

func requireSmallest(t *testing.T, text string, c *qr.Code) {
	t.Helper()
	rl := map[qr.Level]qrcode.RecoveryLevel{qr.Low: qrcode.Low, qr.Medium: qrcode.Medium, qr.Quartile: qrcode.High, qr.High: qrcode.Highest}[c.Level()]
	if c.Version() > 1 {
		_, err := qrcode.NewWithForcedVersion(text, c.Version()-1, rl)
		require.Error(t, err, "version %d also holds the text", c.Version()-1)
	}
}

// TestServicepassCode checks the design's requirement: a 25-symbol
// Crockford Base32 code, grouped or not, is alphanumeric and fits version 3
// or less at level M.
func TestServicepassCode(t *testing.T) {
	for _, text := range []string{
		"7ZQ3M-K8TRW-0A4HX-9CNDE-PG2VB",
		"7ZQ3MK8TRW0A4HX9CNDEPG2VB",
		"00000-00000-00000-00000-00000",
		"ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ",
		"ZZZZ ZZZZ ZZZZ ZZZZ ZZZZ ZZZZ Z",
	} {
		c, err := qr.New(text, qr.Options{})
		require.NoError(t, err, text)
		require.LessOrEqual(t, c.Version(), 3, text)
		require.Equal(t, qr.Alphanumeric, c.Mode(), text)
		got, err := pngDecode(c)
		require.NoError(t, err)
		require.Equal(t, text, got.Text)
		require.False(t, got.Bytes, "no byte-mode segment for %s", text)
	}
	// Lowercase needs byte mode: the issuer must print codes in uppercase.
	c, err := qr.New("7zq3m-k8trw-0a4hx-9cnde-pg2vb", qr.Options{})
	require.NoError(t, err)
	require.Equal(t, qr.Byte, c.Mode())
}

func pngDecode(c *qr.Code) (decoded, error) {
	b, err := c.PNG()
	if err != nil {
		return decoded{}, err
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return decoded{}, err
	}
	return decodeImage(img, c.Options().Invert)
}

// TestTooLarge checks the exact limit for every level and mode: Capacity
// characters fit version 40, one more is refused with the length and limit.
func TestTooLarge(t *testing.T) {
	fill := map[qr.Mode]string{qr.Numeric: "7", qr.Alphanumeric: "K", qr.Byte: "k"}
	for _, l := range []qr.Level{qr.Low, qr.Medium, qr.Quartile, qr.High} {
		for _, m := range []qr.Mode{qr.Numeric, qr.Alphanumeric, qr.Byte} {
			t.Run(l.String()+"/"+m.String(), func(t *testing.T) {
				limit := qr.Capacity(l, m)
				require.Positive(t, limit)
				c, err := qr.New(strings.Repeat(fill[m], limit), qr.Options{Level: l})
				require.NoError(t, err)
				require.Equal(t, 40, c.Version())
				require.Equal(t, m, c.Mode())

				text := strings.Repeat(fill[m], limit+1)
				_, err = qr.New(text, qr.Options{Level: l})
				require.ErrorIs(t, err, qr.ErrTooLarge)
				var tl *qr.TooLargeError
				require.ErrorAs(t, err, &tl)
				require.Equal(t, qr.TooLargeError{Len: limit + 1, Limit: limit, Level: l, Mode: m}, *tl)
				require.NotContains(t, err.Error(), fill[m]+fill[m])
			})
		}
	}
	t.Run("huge", func(t *testing.T) {
		_, err := qr.New(strings.Repeat("x", 1<<20), qr.Options{})
		var tl *qr.TooLargeError
		require.ErrorAs(t, err, &tl)
		require.Equal(t, 1<<20, tl.Len)
		require.Equal(t, qr.Capacity(qr.Medium, qr.Byte), tl.Limit)
	})
	t.Run("secret not in error", func(t *testing.T) {
		secret := strings.Repeat("SECRET-CODE-", 400)
		_, err := qr.New(secret, qr.Options{})
		require.ErrorIs(t, err, qr.ErrTooLarge)
		require.NotContains(t, err.Error(), "SECRET")
		require.Equal(t, "qr: text too large: 4800 bytes in alphanumeric mode, at most 3391 at level M", err.Error())
	})
	t.Run("mixed modes", func(t *testing.T) {
		// Digits in numeric segments let a mixed text beyond the
		// alphanumeric capacity fit.
		text := strings.Repeat("1", 5000) + "K"
		c, err := qr.New(text, qr.Options{})
		require.NoError(t, err)
		require.Equal(t, qr.Alphanumeric, c.Mode())
	})
}

func TestEmpty(t *testing.T) {
	_, err := qr.New("", qr.Options{})
	require.ErrorIs(t, err, qr.ErrEmpty)
	_, err = qr.PNG("", qr.Options{})
	require.ErrorIs(t, err, qr.ErrEmpty)
}

// optionErrorCases are rejected by Validate and by New, whatever the text.
var optionErrorCases = []struct {
	opts  qr.Options
	field string
}{
	{qr.Options{Level: qr.High + 1}, "Level"},
	{qr.Options{Level: 255}, "Level"},
	{qr.Options{Size: -1}, "Size"},
	{qr.Options{Size: 1}, "Size"},
	{qr.Options{Size: qr.MinSize - 1}, "Size"},
	{qr.Options{Size: qr.MaxSize + 1}, "Size"},
	{qr.Options{PixelsPerModule: -1}, "PixelsPerModule"},
	{qr.Options{PixelsPerModule: 1}, "PixelsPerModule"},
	{qr.Options{PixelsPerModule: qr.MaxPixelsPerModule + 1}, "PixelsPerModule"},
	{qr.Options{PixelsPerModule: 4, Size: 256}, "PixelsPerModule"},
	{qr.Options{QuietZone: qr.NoQuietZone - 1}, "QuietZone"},
	{qr.Options{QuietZone: qr.MaxQuietZone + 1}, "QuietZone"},
	{qr.Options{Foreground: color.White}, "Foreground"},
	{qr.Options{Background: color.Black}, "Background"},
	{qr.Options{Foreground: color.Gray{Y: 0xaa}}, "Foreground"},
	{qr.Options{Foreground: color.Transparent}, "Foreground"},
	{qr.Options{Background: color.Transparent}, "Background"},
	{qr.Options{Invert: true, Foreground: color.Gray{Y: 0x10}}, "Foreground"},
	{qr.Options{Invert: true, Background: color.Gray{Y: 0xf0}}, "Background"},
	{qr.Options{Foreground: (*color.RGBA)(nil)}, "Foreground"},
	{qr.Options{Background: (*color.Gray)(nil)}, "Background"},
}

func TestOptionErrors(t *testing.T) {
	for _, tc := range optionErrorCases {
		t.Run(fmt.Sprintf("%+v", tc.opts), func(t *testing.T) {
			err := tc.opts.Validate()
			require.ErrorIs(t, err, qr.ErrInvalidOptions)
			var oe *qr.OptionError
			require.ErrorAs(t, err, &oe)
			require.Equal(t, tc.field, oe.Field)
			require.True(t, strings.HasPrefix(err.Error(), "qr: invalid options: "+tc.field+" "), err.Error())
			if oe.Max != 0 {
				require.False(t, oe.Value >= oe.Min && oe.Value <= oe.Max && oe.Field != "PixelsPerModule",
					"%d is inside the range it was refused for", oe.Value)
			}
			for _, text := range []string{"A", "ABC", strings.Repeat("x", 2000)} {
				_, err = qr.New(text, tc.opts)
				require.ErrorIs(t, err, qr.ErrInvalidOptions)
			}
		})
	}
	for _, o := range []qr.Options{{}, {Level: qr.High}, {Size: qr.MaxSize}, {Size: qr.MinSize},
		{PixelsPerModule: qr.MinPixelsPerModule}, {PixelsPerModule: qr.MaxPixelsPerModule},
		{QuietZone: qr.NoQuietZone}, {QuietZone: qr.MaxQuietZone},
		{Invert: true}, {Invert: true, Foreground: color.Black, Background: color.White},
		{Background: color.NRGBA{0xff, 0xff, 0xff, 0xcc}},
		{Foreground: color.RGBA{0xff, 0, 0, 0xff}}, {Foreground: color.Gray{Y: 0x59}}} {
		require.NoError(t, o.Validate(), "%+v", o)
	}
}

// TestContrast: the colour rule as seen over a white and over a black
// page, in BT.601, BT.709 and ZXing's luminance (issue 27): the dark
// modules at most MaxDarkLuminance percent light, the light ones lighter by
// MinContrast percent at least.
func TestContrast(t *testing.T) {
	for _, tc := range []struct {
		fg, bg color.Color
		field  string // "" when accepted
		pct    int    // the value in the error, computed by hand
	}{
		{nil, color.Gray{Y: 0x66}, "", 40},                 // 102/255
		{nil, color.Gray{Y: 0x65}, "Background", 39},       // 101/255
		{color.Gray{Y: 0x30}, color.Gray{Y: 0x96}, "", 40}, // (150-48)/255
		{color.Gray{Y: 0x30}, color.Gray{Y: 0x95}, "Background", 39},
		{color.Gray{Y: 0x59}, nil, "", 65}, // 89/255 = 34.9% light
		{color.Gray{Y: 0x5a}, nil, "", 64}, // 90/255 = 35.3%, rounded down: the limit
		{color.Gray{Y: 0x5c}, nil, "Foreground", 36},
		{color.RGBA{0xff, 0, 0, 0xff}, nil, "", 70},                // red: BT.601 luma 76.2 (BT.709 54.3, ZXing 63.75)
		{color.NRGBA{0, 0xff, 0, 0xff}, nil, "Foreground", 71},     // green: BT.709 luma 182.3
		{color.NRGBA{0, 0, 0, 0x80}, nil, "Foreground", 49},        // half-transparent black: 127 grey over white
		{color.Black, color.Transparent, "Background", 0},          // over a black page, nothing to see
		{color.Black, color.NRGBA{0xff, 0xff, 0xff, 0x66}, "", 40}, // 40% white over a black page
		{color.Black, color.NRGBA{0xff, 0xff, 0xff, 0x65}, "Background", 39},
		{color.White, color.Black, "Foreground", 100},
		{color.Gray{Y: 0x50}, color.Gray{Y: 0x10}, "Background", -26}, // light on dark: use Invert
	} {
		err := qr.Options{Foreground: tc.fg, Background: tc.bg}.Validate()
		if tc.field == "" {
			require.NoError(t, err, "%v on %v", tc.fg, tc.bg)
			continue
		}
		var oe *qr.OptionError
		require.ErrorAs(t, err, &oe, "%v on %v", tc.fg, tc.bg)
		require.Equal(t, tc.field, oe.Field, "%v on %v: %v", tc.fg, tc.bg, err)
		require.Equal(t, tc.pct, oe.Value, "%v on %v: %v", tc.fg, tc.bg, err)
		switch {
		case tc.field == "Foreground":
			require.Equal(t, qr.MaxDarkLuminance, oe.Max)
		case tc.pct > 0:
			require.Equal(t, qr.MinContrast, oe.Min)
			require.Contains(t, err.Error(), fmt.Sprintf("%d%%", tc.pct))
		default:
			require.Contains(t, err.Error(), "not darker")
		}
	}
}

// TestSizeTooSmall: a raster needs two pixels per module; exactly that is
// accepted, one pixel less is refused by New (for every form, SVG
// included) with the minimum in the error.
func TestSizeTooSmall(t *testing.T) {
	c, err := qr.New("HELLO", qr.Options{})
	require.NoError(t, err)
	m := c.Modules() // 21 + 8
	for _, tc := range []struct {
		size int
		ok   bool
	}{{2*m - 1, false}, {2 * m, true}, {2*m + 1, true}, {qr.MinSize, false}} {
		c, err := qr.New("HELLO", qr.Options{Size: tc.size})
		if !tc.ok {
			var oe *qr.OptionError
			require.ErrorAs(t, err, &oe, "size %d", tc.size)
			require.Equal(t, qr.OptionError{Field: "Size", Value: tc.size, Min: 2 * m, Max: qr.MaxSize,
				Reason: fmt.Sprintf("below %d, the minimum for %d modules at 2 pixels each", 2*m, m)}, *oe)
			require.EqualError(t, err, fmt.Sprintf("qr: invalid options: Size %d: below %d, the minimum for %d modules at 2 pixels each", tc.size, 2*m, m))
			for _, err := range []error{second(qr.PNG("HELLO", qr.Options{Size: tc.size})), second(qr.SVG("HELLO", qr.Options{Size: tc.size})),
				second(qr.DataURI("HELLO", qr.Options{Size: tc.size}))} {
				require.ErrorIs(t, err, qr.ErrInvalidOptions)
			}
			continue
		}
		require.NoError(t, err, "size %d", tc.size)
		require.Equal(t, tc.size, c.Size())
		require.Equal(t, 2, c.PixelsPerModule())
	}
	// The default grows for a symbol too large for 256 pixels at 2 each.
	big, err := qr.New(strings.Repeat("k", qr.Capacity(qr.Medium, qr.Byte)), qr.Options{QuietZone: qr.MaxQuietZone})
	require.NoError(t, err)
	require.Equal(t, 177+32, big.Modules())
	require.Equal(t, 2*big.Modules(), big.Size())
	// PixelsPerModule must keep the image within MaxSize.
	_, err = qr.New(strings.Repeat("k", qr.Capacity(qr.Medium, qr.Byte)), qr.Options{PixelsPerModule: 23})
	var oe *qr.OptionError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, "PixelsPerModule", oe.Field)
	require.Equal(t, qr.MaxSize/185, oe.Max)
}

// TestPixelsPerModule: the image is exactly the modules times the scale.
func TestPixelsPerModule(t *testing.T) {
	for _, ppm := range []int{2, 3, 7, 10} {
		c, err := qr.New("20870-75K60-V7AW7-6XC92-456RR", qr.Options{PixelsPerModule: ppm})
		require.NoError(t, err)
		require.Equal(t, 33*ppm, c.Size())
		img, err := c.Image()
		require.NoError(t, err)
		grid, err := gridFromImage(img, 33, 33*ppm, ppm, color.Black, color.White)
		require.NoError(t, err)
		require.NoError(t, sameGrid(grid, c.Bitmap()))
	}
}

// TestUTF8: a text that is not valid UTF-8 is refused with the offset of
// the first bad byte, never the bytes; valid UTF-8, astral planes included,
// is accepted.
func TestUTF8(t *testing.T) {
	for _, tc := range []struct {
		text   string
		offset int
	}{
		{"\xff", 0},
		{"ABC\xff", 3},
		{"caf\xe9", 3},      // Latin-1
		{"\xed\xa0\x80", 0}, // a UTF-16 surrogate in UTF-8 form
		{"ok\xc0\x80", 2},   // overlong NUL
		{"\xf0\x9f\x98", 0}, // truncated
		{"Zaż\xf3łć", 4},
		{"\ufffd\xff", 3}, // a real U+FFFD before the bad byte
	} {
		_, err := qr.New(tc.text, qr.Options{})
		require.ErrorIs(t, err, qr.ErrUTF8, "%q", tc.text)
		var ue *qr.UTF8Error
		require.ErrorAs(t, err, &ue)
		require.Equal(t, tc.offset, ue.Offset, "%q", tc.text)
		require.Equal(t, fmt.Sprintf("qr: text is not valid UTF-8: invalid byte at offset %d", tc.offset), err.Error())
		require.False(t, errors.Is(err, qr.ErrInvalidOptions) || errors.Is(err, qr.ErrEmpty) || errors.Is(err, qr.ErrTooLarge))
		for _, err := range []error{second(qr.PNG(tc.text, qr.Options{})), second(qr.SVG(tc.text, qr.Options{})),
			second(qr.Terminal(tc.text, qr.Options{})), second(qr.DataURI(tc.text, qr.Options{}))} {
			require.ErrorIs(t, err, qr.ErrUTF8)
		}
	}
	for _, text := range []string{"\u00e9", "\U0010ffff", "\ufffd", "a\x00b"} {
		_, err := qr.New(text, qr.Options{})
		require.NoError(t, err, "%q", text)
	}
}

func TestModeOf(t *testing.T) {
	for _, tc := range []struct {
		text string
		want qr.Mode
	}{
		{"", qr.Numeric},
		{"0", qr.Numeric},
		{"0123456789", qr.Numeric},
		{"A", qr.Alphanumeric},
		{"0-9 $%*+./:", qr.Alphanumeric},
		{"ABCXYZ", qr.Alphanumeric},
		{"a", qr.Byte},
		{"ABC#", qr.Byte},
		{"ABC\x00", qr.Byte},
		{"É", qr.Byte},
		{"\xff", qr.Byte},
	} {
		require.Equal(t, tc.want, qr.ModeOf(tc.text), "%q", tc.text)
	}
}

func TestStrings(t *testing.T) {
	for l, want := range map[qr.Level]string{qr.Low: "L", qr.Medium: "M", qr.Quartile: "Q", qr.High: "H", 9: "Level(9)"} {
		require.Equal(t, want, l.String())
	}
	for m, want := range map[qr.Mode]string{qr.Numeric: "numeric", qr.Alphanumeric: "alphanumeric", qr.Byte: "byte", 0: "Mode(0)"} {
		require.Equal(t, want, m.String())
	}
	require.Zero(t, qr.Capacity(9, qr.Byte))
	require.Zero(t, qr.Capacity(qr.Low, 0))
	require.Zero(t, qr.Capacity(qr.Low, qr.Byte+1))
	var e error = &qr.OptionError{Field: "Size", Value: -1, Reason: "outside 0..4096"}
	require.Equal(t, "qr: invalid options: Size -1: outside 0..4096", e.Error())
}

// TestCodeFormat: printing a Code never prints its modules.
func TestCodeFormat(t *testing.T) {
	c, err := qr.New("7ZQ3M-K8TRW-0A4HX-9CNDE-PG2VB", qr.Options{})
	require.NoError(t, err)
	want := "qr.Code{version 2, level M, alphanumeric}"
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		require.Equal(t, want, fmt.Sprintf(verb, c), verb)
		require.Equal(t, want, fmt.Sprintf(verb, *c), verb)
	}
	require.Equal(t, want, c.String())
	require.Equal(t, want, c.GoString())
}

// TestBitmapIsACopy: changing the returned grid does not change the code.
func TestBitmapIsACopy(t *testing.T) {
	c, err := qr.New("ABC", qr.Options{})
	require.NoError(t, err)
	b := c.Bitmap()
	for _, row := range b {
		for x := range row {
			row[x] = !row[x]
		}
	}
	require.NoError(t, sameGrid(crop(c.Bitmap(), 4), crop(mustRef(t, "ABC"), 4)))
}

func mustRef(t *testing.T, text string) [][]bool {
	t.Helper()
	ref, err := goQRCodeBitmap(text, qr.Medium)
	require.NoError(t, err)
	return ref
}

// pngPort is the servicepass issuer's QR port, declared there; PNGEncoder
// must satisfy it without either package importing the other.
type pngPort interface {
	EncodePNG(text string) ([]byte, error)
}

var _ pngPort = qr.PNGEncoder{}

func TestPNGEncoder(t *testing.T) {
	var port pngPort = qr.PNGEncoder{Options: qr.Options{Level: qr.Quartile, Size: 200}}
	b, err := port.EncodePNG("7ZQ3M-K8TRW-0A4HX-9CNDE-PG2VB")
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, 200, img.Bounds().Dx())
	got, err := decodeImage(img, false)
	require.NoError(t, err)
	require.Equal(t, "7ZQ3M-K8TRW-0A4HX-9CNDE-PG2VB", got.Text)
	require.Equal(t, "Q", got.Level)

	_, err = port.EncodePNG("")
	require.ErrorIs(t, err, qr.ErrEmpty)
}

// TestOneShotHelpers: the package functions equal the Code methods and pass
// errors through.
func TestOneShotHelpers(t *testing.T) {
	o := qr.Options{HalfBlocks: true, Invert: true, Size: 99}
	c, err := qr.New("HELLO", o)
	require.NoError(t, err)
	p, err := qr.PNG("HELLO", o)
	require.NoError(t, err)
	wantPNG, err := c.PNG()
	require.NoError(t, err)
	require.Equal(t, wantPNG, p)
	u, err := qr.DataURI("HELLO", o)
	require.NoError(t, err)
	wantURI, err := c.DataURI()
	require.NoError(t, err)
	require.Equal(t, wantURI, u)
	s, err := qr.SVG("HELLO", o)
	require.NoError(t, err)
	require.Equal(t, c.SVG(), s)
	term, err := qr.Terminal("HELLO", o)
	require.NoError(t, err)
	require.Equal(t, c.Terminal(), term)

	bad := qr.Options{Size: -1}
	for _, err := range []error{
		second(qr.PNG("HELLO", bad)), second(qr.DataURI("HELLO", bad)),
		second(qr.SVG("HELLO", bad)), second(qr.Terminal("HELLO", bad)),
	} {
		require.True(t, errors.Is(err, qr.ErrInvalidOptions), "%v", err)
	}
}

func second[T any](_ T, err error) error { return err }

// The zero Code holds no symbol: its drawing methods return ErrEmpty rather
// than divide by zero.
func TestZeroCodeDoesNotPanic(t *testing.T) {
	var c qr.Code
	if _, err := c.PNG(); !errors.Is(err, qr.ErrEmpty) {
		t.Errorf("zero Code PNG: %v, want ErrEmpty", err)
	}
	if _, err := c.Image(); !errors.Is(err, qr.ErrEmpty) {
		t.Errorf("zero Code Image: %v, want ErrEmpty", err)
	}
	if _, err := c.DataURI(); !errors.Is(err, qr.ErrEmpty) {
		t.Errorf("zero Code DataURI: %v, want ErrEmpty", err)
	}
	var w bytes.Buffer
	for name, err := range map[string]error{"WritePNG": c.WritePNG(&w), "WriteSVG": c.WriteSVG(&w), "WriteTerminal": c.WriteTerminal(&w)} {
		if !errors.Is(err, qr.ErrEmpty) {
			t.Errorf("zero Code %s: %v, want ErrEmpty", name, err)
		}
	}
	if w.Len() != 0 || c.SVG() != "" || c.Terminal() != "" || c.Size() != 0 || c.PixelsPerModule() != 0 {
		t.Errorf("zero Code drew something: %d bytes written, SVG %q, terminal %q, size %d", w.Len(), c.SVG(), c.Terminal(), c.Size())
	}
	_ = c.Bitmap()
}

// failingWriter fails every write, like a closed connection.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

var errWrite = errors.New("write failed")

// TestWriteErrors: a writer's error is returned as it is.
func TestWriteErrors(t *testing.T) {
	c, err := qr.New("HELLO", qr.Options{})
	require.NoError(t, err)
	require.ErrorIs(t, c.WritePNG(failingWriter{}), errWrite)
	require.ErrorIs(t, c.WriteSVG(failingWriter{}), errWrite)
	require.ErrorIs(t, c.WriteTerminal(failingWriter{}), errWrite)
}
