package qr_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
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

// optionCases span every level, quiet zone and invert setting; sizes, which
// only the raster forms use, rotate through the cases so each is met with
// every level.
func optionCases() []qr.Options {
	sizes := []int{0, 117, 333}
	var out []qr.Options
	for _, l := range []qr.Level{qr.Low, qr.Medium, qr.Quartile, qr.High} {
		for _, qz := range []int{0, qr.NoQuietZone, 1, qr.MaxQuietZone} {
			for _, inv := range []bool{false, true} {
				size := sizes[len(out)%len(sizes)]
				out = append(out, qr.Options{Level: l, Size: size, QuietZone: qz, Invert: inv})
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

func pixels(o qr.Options) int {
	if o.Size == 0 {
		return qr.DefaultSize
	}
	return o.Size
}

// TestRoundTrip decodes every output form back to the text, for every
// option combination, and checks each form's grid against Code.Bitmap and
// go-qrcode's own bitmap.
func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTripTexts {
		for _, o := range optionCases() {
			name := fmt.Sprintf("%s/%s/size=%d/qz=%d/invert=%v", tc.name, o.Level, o.Size, o.QuietZone, o.Invert)
			t.Run(name, func(t *testing.T) {
				c, err := qr.New(tc.text, o)
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

				// PNG: pixel-exact modules, and gozxing reads it.
				b, err := c.PNG()
				require.NoError(t, err)
				img, err := png.Decode(bytes.NewReader(b))
				require.NoError(t, err)
				grid, err := gridFromImage(img, c.Modules(), pixels(o), o.Invert)
				require.NoError(t, err)
				require.NoError(t, sameGrid(grid, bitmap))
				got, err := decodeImage(img, o.Invert)
				require.NoError(t, err)
				require.Equal(t, tc.text, got.Text)
				require.Equal(t, o.Level.String(), got.Level)
				require.Equal(t, tc.mode == qr.Byte, got.Bytes, "byte segment present")

				// Data URI: the same PNG.
				uri, err := c.DataURI()
				require.NoError(t, err)
				require.True(t, strings.HasPrefix(uri, qr.DataURIPrefix))
				raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(uri, qr.DataURIPrefix))
				require.NoError(t, err)
				require.Equal(t, b, raw)

				// SVG: parse the path back into modules.
				s, err := parseSVG(c.SVG())
				require.NoError(t, err)
				require.Equal(t, pixels(o), s.Width)
				require.Equal(t, pixels(o), s.Height)
				bg, fg := "#fff", "#000"
				if o.Invert {
					bg, fg = fg, bg
				}
				require.Equal(t, bg, s.Background)
				require.Equal(t, fg, s.Foreground)
				require.NoError(t, sameGrid(s.Grid, bitmap))
				got, err = decodeImage(rasterize(s.Grid, 4), false)
				require.NoError(t, err)
				require.Equal(t, tc.text, got.Text)

				// Terminal, full and half blocks.
				for _, half := range []bool{false, true} {
					to := o
					to.HalfBlocks = half
					tc2, err := qr.New(tc.text, to)
					require.NoError(t, err)
					grid, err := parseTerminal(tc2.Terminal(), to, c.Modules())
					require.NoError(t, err, "half=%v", half)
					// Equal to the SVG's grid, which decoded above.
					require.NoError(t, sameGrid(grid, bitmap), "half=%v", half)
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

// optionErrorCases are rejected by Validate and by New.
var optionErrorCases = []struct {
	opts  qr.Options
	field string
}{
	{qr.Options{Level: qr.High + 1}, "Level"},
	{qr.Options{Level: 255}, "Level"},
	{qr.Options{Size: -1}, "Size"},
	{qr.Options{Size: qr.MaxSize + 1}, "Size"},
	{qr.Options{QuietZone: qr.NoQuietZone - 1}, "QuietZone"},
	{qr.Options{QuietZone: qr.MaxQuietZone + 1}, "QuietZone"},
}

func TestOptionErrors(t *testing.T) {
	for _, tc := range optionErrorCases {
		t.Run(fmt.Sprintf("%+v", tc.opts), func(t *testing.T) {
			err := tc.opts.Validate()
			require.ErrorIs(t, err, qr.ErrInvalidOptions)
			var oe *qr.OptionError
			require.ErrorAs(t, err, &oe)
			require.Equal(t, tc.field, oe.Field)
			_, err = qr.New("ABC", tc.opts)
			require.ErrorIs(t, err, qr.ErrInvalidOptions)
		})
	}
	for _, o := range []qr.Options{{}, {Level: qr.High}, {Size: qr.MaxSize}, {Size: 1}, {QuietZone: qr.NoQuietZone}, {QuietZone: qr.MaxQuietZone}} {
		require.NoError(t, o.Validate(), "%+v", o)
	}
}

// TestSizeTooSmall: a raster needs one pixel per module; exactly that is
// accepted, one pixel less is refused. SVG and terminal ignore Size.
func TestSizeTooSmall(t *testing.T) {
	c, err := qr.New("HELLO", qr.Options{})
	require.NoError(t, err)
	m := c.Modules() // 21 + 8
	for _, tc := range []struct {
		size int
		ok   bool
	}{{m - 1, false}, {m, true}, {m + 1, true}, {1, false}} {
		c, err := qr.New("HELLO", qr.Options{Size: tc.size})
		require.NoError(t, err)
		_, errPNG := c.PNG()
		_, errURI := c.DataURI()
		_, errImg := c.Image()
		for _, err := range []error{errPNG, errURI, errImg} {
			if tc.ok {
				require.NoError(t, err, "size %d", tc.size)
			} else {
				require.ErrorIs(t, err, qr.ErrInvalidOptions, "size %d", tc.size)
			}
		}
		_, err = parseSVG(c.SVG())
		require.NoError(t, err)
	}
	_, err = qr.PNG("HELLO", qr.Options{Size: m - 1})
	var oe *qr.OptionError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, "Size", oe.Field)
	require.Equal(t, m-1, oe.Value)
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
	_ = c.SVG()
	_ = c.Terminal()
	_ = c.Bitmap()
}
