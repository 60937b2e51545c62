package qr_test

import (
	"bytes"
	"errors"
	"image/png"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mdmcred/mdmcred/qr"
)

// Regression tests for the findings of issue 15, one each. They use only
// the API that existed before the fix, so that each fails on the old code.

// Finding 1: Size 33 for a 33-module symbol gave a 33×33 PNG at 1 pixel per
// module, which zbarimg cannot read. It is now refused with the minimum, 66,
// and the minimum decodes in both decoders.
func TestRegressionOnePixelPerModule(t *testing.T) {
	const text = "20870-75K60-V7AW7-6XC92-456RR"
	b, err := qr.PNG(text, qr.Options{Size: 33})
	require.Nil(t, b)
	var oe *qr.OptionError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, "Size", oe.Field)
	require.Equal(t, 66, oe.Min)
	require.Contains(t, err.Error(), "66")
	for size := 34; size < 66; size++ {
		_, err := qr.PNG(text, qr.Options{Size: size})
		require.ErrorIs(t, err, qr.ErrInvalidOptions, "size %d", size)
	}
	b, err = qr.PNG(text, qr.Options{Size: 66})
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	got, err := gozxingAsIs(img, false)
	require.NoError(t, err)
	require.Equal(t, text, got)
	got, err = zbarPNG(t, b, false)
	require.NoError(t, err)
	require.Equal(t, text, got)
}

// Finding 2a: 65 modules (version 4 with a 16-module quiet zone) in an SVG
// of 137 px drew modules of 2 and 3 pixels. The SVG is now 130 px, 2 px a
// module, and decodes when rasterized at its stated size.
func TestRegressionSVGUnevenModules(t *testing.T) {
	const text = "otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME"
	doc, err := qr.SVG(text, qr.Options{Size: 137, QuietZone: qr.MaxQuietZone})
	require.NoError(t, err)
	s, err := parseSVG(doc)
	require.NoError(t, err)
	require.Len(t, s.Grid, 65)
	require.Equal(t, 130, s.Width, "width must be a whole multiple of 65 modules")
	require.Equal(t, 130, s.Height)
	img := rasterizeSVG(s)
	got, err := gozxingAsIs(img, false)
	require.NoError(t, err)
	require.Equal(t, text, got)
	got, err = zbarImage(t, img, false)
	require.NoError(t, err)
	require.Equal(t, text, got)
}

// Finding 2b: SVG with Size 1 gave width="1" with no error, where PNG
// refused it.
func TestRegressionSVGSizeOne(t *testing.T) {
	doc, err := qr.SVG("HELLO", qr.Options{Size: 1})
	require.Empty(t, doc)
	var oe *qr.OptionError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, "Size", oe.Field)
	_, perr := qr.PNG("HELLO", qr.Options{Size: 1})
	require.Equal(t, perr, err, "SVG and PNG refuse the same Size alike")
}

// Finding 3: inverted terminal output without a quiet zone put the symbol
// straight onto the dark terminal; a screenshot did not decode. It now
// carries 2 light modules around the symbol, and decodes in both decoders.
func TestRegressionInvertedTerminalQuietZone(t *testing.T) {
	const text = "20870-75K60-V7AW7-6XC92-456RR"
	for _, qz := range []int{qr.NoQuietZone, 1} {
		for _, half := range []bool{false, true} {
			term, err := qr.Terminal(text, qr.Options{QuietZone: qz, Invert: true, HalfBlocks: half})
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSuffix(term, "\n"), "\n")
			// The first line draws light modules only: at least 2 rows of
			// quiet zone (1 line of "█" in half blocks, 2 of "██").
			full := strings.Repeat("█", len([]rune(lines[0])))
			require.Equal(t, full, lines[0], "qz=%d half=%v", qz, half)
			if !half {
				require.Equal(t, full, lines[1], "qz=%d", qz)
			}
			for _, l := range lines {
				r := []rune(l)
				width := 2 // runes of quiet zone on each side: 2 modules
				if !half {
					width = 4
				}
				require.Equal(t, strings.Repeat("█", width), string(r[:width]), "qz=%d half=%v", qz, half)
				require.Equal(t, strings.Repeat("█", width), string(r[len(r)-width:]), "qz=%d half=%v", qz, half)
			}
			img := screenshot(t, term, half, true)
			got, err := gozxingAsIs(img, false)
			require.NoError(t, err, "gozxing qz=%d half=%v", qz, half)
			require.Equal(t, text, got)
			got, err = zbarImage(t, img, false)
			require.NoError(t, err, "zbarimg qz=%d half=%v", qz, half)
			require.Equal(t, text, got)
		}
	}
}

// Finding 4: bytes that are not UTF-8 were encoded and then rewritten by
// zbar. They are now refused before encoding.
func TestRegressionNotUTF8(t *testing.T) {
	for _, text := range []string{"caf\xe9", "\xff\xfe", "ABC\x80"} {
		b, err := qr.PNG(text, qr.Options{})
		require.Nil(t, b)
		require.Error(t, err, "%q", text)
		require.True(t, errors.Is(err, qr.ErrUTF8), "%q: %v", text, err)
		require.NotContains(t, err.Error(), text)
	}
}
