package qr_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/require"

	"github.com/mdmcred/mdmcred/internal/citest"
	"github.com/mdmcred/mdmcred/qr"
)

// zbarimg returns the path of zbarimg (Debian's zbar-tools), a decoder this
// package has no part in. CI installs it (.ci/run) and fails without it;
// elsewhere the test is skipped when it is missing.
func zbarimg(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("zbarimg")
	if err != nil {
		citest.Missing(t, "zbarimg not found", "apt-get install zbar-tools (.ci/run does)")
	}
	return p
}

// zbarPNG decodes a PNG file's bytes with zbarimg, which converts the text
// to UTF-8 as it sees fit (no --raw): exactly what a user's scanner app
// shows. inverted asks it to try the negative image too.
func zbarPNG(t testing.TB, b []byte, inverted bool) (string, error) {
	t.Helper()
	bin := zbarimg(t)
	f := filepath.Join(t.TempDir(), "qr.png")
	require.NoError(t, os.WriteFile(f, b, 0o600))
	args := []string{"-q", "--nodbus"}
	if inverted {
		args = append(args, "-Stest-inverted")
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, append(args, f)...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("zbarimg: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	s := out.String()
	const prefix = "QR-Code:"
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, "\n") || strings.Count(s, prefix) != 1 {
		return "", fmt.Errorf("zbarimg: unexpected output %q", s)
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, prefix), "\n"), nil
}

// zbarImage encodes img as a PNG with the standard library and decodes it
// with zbarimg.
func zbarImage(t testing.TB, img image.Image, inverted bool) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return zbarPNG(t, buf.Bytes(), inverted)
}

// gozxingAsIs decodes img with gozxing as it is, with no margin added: the
// image must carry its own quiet zone. A negative (inverted) image is turned
// back to positive pixel by pixel first, since gozxing reads positives only.
func gozxingAsIs(img image.Image, inverted bool) (string, error) {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			// Premultiplied, composited over a white page.
			r, gg, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			r, gg, bb = r+0xffff-a, gg+0xffff-a, bb+0xffff-a
			v := uint8((299*r + 587*gg + 114*bb) / 1000 >> 8)
			if inverted {
				v = 0xff - v
			}
			g.Pix[g.PixOffset(x, y)] = v
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(g)
	if err != nil {
		return "", err
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_CHARACTER_SET: "UTF-8"}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// decoderTexts are decoded by both decoders in every output kind: the
// service password from the finding, a URL in byte mode and
// non-ASCII UTF-8.
var decoderTexts = []string{
	"20870-75K60-V7AW7-6XC92-456RR",
	"https://mdm.example.com/enroll?site=42&t=x",
	"Zażółć gęślą jaźń – Größe",
}

// sizeCases are the raster settings each text is drawn at: the smallest
// Size the symbol allows (2 pixels per module, found from New's error), the
// smallest PixelsPerModule, and the defaults.
func sizeCases(t *testing.T, text string, o qr.Options) map[string]qr.Options {
	t.Helper()
	c, err := qr.New(text, o)
	require.NoError(t, err)
	min := qr.MinPixelsPerModule * c.Modules()
	small := o
	small.Size = min - 1
	_, err = qr.New(text, small)
	var oe *qr.OptionError
	require.ErrorAs(t, err, &oe, "Size %d", min-1)
	require.Equal(t, "Size", oe.Field)
	require.Equal(t, min, oe.Min)
	require.Contains(t, err.Error(), fmt.Sprint(min))

	minSize, ppm := o, o
	minSize.Size = min
	ppm.PixelsPerModule = qr.MinPixelsPerModule
	return map[string]qr.Options{"min-size": minSize, "min-ppm": ppm, "default": o}
}

// TestDecoders reads every output kind with gozxing and zbarimg, as the
// image stands (its own quiet zone, no margin added), at the smallest
// allowed size and at the defaults, positive and inverted.
func TestDecoders(t *testing.T) {
	for i, text := range decoderTexts {
		levels := []qr.Level{qr.Medium}
		if i == 0 {
			levels = append(levels, qr.High)
		}
		for _, level := range levels {
			for _, qz := range []int{0, 2} {
				for _, inv := range []bool{false, true} {
					base := qr.Options{Level: level, QuietZone: qz, Invert: inv}
					for name, o := range sizeCases(t, text, base) {
						t.Run(fmt.Sprintf("%.12s/%s/qz=%d/invert=%v/%s", text, level, qz, inv, name), func(t *testing.T) {
							t.Parallel() // zbarimg runs as a process
							c, err := qr.New(text, o)
							require.NoError(t, err)
							requireDecodesRaster(t, c, text)
						})
					}
				}
			}
		}
		for _, qz := range []int{0, 1, qr.NoQuietZone} {
			for _, inv := range []bool{false, true} {
				for _, half := range []bool{false, true} {
					// A light terminal lends its background as the quiet
					// zone (screenshot draws a border of it); a dark one
					// cannot, so the inverted rendering must draw one.
					o := qr.Options{QuietZone: qz, Invert: inv, HalfBlocks: half}
					t.Run(fmt.Sprintf("%.12s/terminal/qz=%d/invert=%v/half=%v", text, qz, inv, half), func(t *testing.T) {
						t.Parallel()
						c, err := qr.New(text, o)
						require.NoError(t, err)
						requireDecodesTerminal(t, c, text)
					})
				}
			}
		}
	}
}

// requireDecodesRaster decodes the PNG, the data URI and the SVG
// (rasterized at its stated size) with both decoders.
func requireDecodesRaster(t *testing.T, c *qr.Code, text string) {
	t.Helper()
	o := c.Options()
	b, err := c.PNG()
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	side, scale := wantLayout(o, c.Modules())
	require.GreaterOrEqual(t, scale, qr.MinPixelsPerModule)
	ink, paper := wantColors(o)
	_, err = gridFromImage(img, c.Modules(), side, scale, ink, paper)
	require.NoError(t, err)
	got, err := gozxingAsIs(img, o.Invert)
	require.NoError(t, err, "gozxing PNG")
	require.Equal(t, text, got, "gozxing PNG")
	got, err = zbarPNG(t, b, o.Invert)
	require.NoError(t, err, "zbarimg PNG")
	require.Equal(t, text, got, "zbarimg PNG")

	uri, err := c.DataURI()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(uri, qr.DataURIPrefix))
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(uri, qr.DataURIPrefix))
	require.NoError(t, err)
	got, err = zbarPNG(t, raw, o.Invert)
	require.NoError(t, err, "zbarimg data URI")
	require.Equal(t, text, got, "zbarimg data URI")
	uimg, err := png.Decode(bytes.NewReader(raw))
	require.NoError(t, err)
	got, err = gozxingAsIs(uimg, o.Invert)
	require.NoError(t, err, "gozxing data URI")
	require.Equal(t, text, got, "gozxing data URI")

	s, err := parseSVG(c.SVG())
	require.NoError(t, err)
	require.Zero(t, s.Width%len(s.Grid), "SVG width %d is not a whole multiple of %d modules", s.Width, len(s.Grid))
	require.Equal(t, scale*c.Modules(), s.Width)
	simg := rasterizeSVG(s) // positive: dark where the path paints
	got, err = gozxingAsIs(simg, false)
	require.NoError(t, err, "gozxing SVG")
	require.Equal(t, text, got, "gozxing SVG")
	got, err = zbarImage(t, simg, false)
	require.NoError(t, err, "zbarimg SVG")
	require.Equal(t, text, got, "zbarimg SVG")
}

// requireDecodesTerminal decodes a screenshot of the terminal rendering
// with both decoders: on a dark terminal (Invert) the window around the
// text is dark, so the quiet zone must be drawn.
func requireDecodesTerminal(t *testing.T, c *qr.Code, text string) {
	t.Helper()
	o := c.Options()
	img := screenshot(t, c.Terminal(), o.HalfBlocks, o.Invert)
	got, err := gozxingAsIs(img, false)
	require.NoError(t, err, "gozxing terminal")
	require.Equal(t, text, got, "gozxing terminal")
	got, err = zbarImage(t, img, false)
	require.NoError(t, err, "zbarimg terminal")
	require.Equal(t, text, got, "zbarimg terminal")
}

// TestZbarimgReportsFailure: the zbar helper fails on an image without a
// symbol, so that a decode above cannot pass by accident.
func TestZbarimgReportsFailure(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 64, 64))
	_, err := zbarImage(t, blank, false)
	require.Error(t, err)
	_, err = gozxingAsIs(blank, false)
	require.Error(t, err)
}
