package qr_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math/rand"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/require"

	"github.com/mdmcred/mdmcred/internal/citest"
	"github.com/mdmcred/mdmcred/qr"
)

// jsQRDir holds decode.js and, after npm ci, jsQR itself.
func jsQRDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "testdata", "jsqr")
	if _, err := exec.LookPath("node"); err != nil {
		citest.Missing(t, "node not found", "apt-get install nodejs npm (.ci/run does)")
	}
	if _, err := exec.Command("node", "-e", "require.resolve('jsqr')").CombinedOutput(); err != nil {
		cmd := exec.Command("node", "-e", "require.resolve('jsqr')")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			citest.Missing(t, "jsQR not installed ("+string(bytes.TrimSpace(out))+")", "npm ci --prefix qr/testdata/jsqr (.ci/run does)")
		}
	}
	return dir
}

// jsQRProc is one node process running decode.js for the whole test
// binary: starting node per image would cost more than decoding.
var jsQRProc struct {
	sync.Mutex
	in  io.WriteCloser
	out *bufio.Reader
	err error
}

// jsQR decodes img (opaque) with jsQR, normal and inverted.
func jsQR(t testing.TB, img *image.NRGBA) (string, error) {
	t.Helper()
	dir := jsQRDir(t)
	p := &jsQRProc
	p.Lock()
	defer p.Unlock()
	if p.in == nil && p.err == nil {
		cmd := exec.Command("node", "decode.js")
		cmd.Dir = dir
		in, err := cmd.StdinPipe()
		if err != nil {
			p.err = err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			p.err = err
		}
		if p.err == nil {
			p.err = cmd.Start()
		}
		p.in, p.out = in, bufio.NewReader(out)
	}
	if p.err != nil {
		return "", fmt.Errorf("jsQR: %w", p.err)
	}
	b := img.Bounds()
	if _, err := fmt.Fprintf(p.in, "%d %d\n", b.Dx(), b.Dy()); err != nil {
		return "", err
	}
	if _, err := p.in.Write(img.Pix); err != nil {
		return "", err
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		p.err = err
		return "", fmt.Errorf("jsQR: %w", err)
	}
	var text *string
	if err := json.Unmarshal(line, &text); err != nil {
		return "", err
	}
	if text == nil {
		return "", errors.New("jsQR: no QR Code found")
	}
	return *text, nil
}

// onPage composites img over an opaque page colour: what a reader's camera
// sees of a PNG shown on a white or a dark page.
func onPage(img image.Image, page color.Color) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), image.NewUniform(page), image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Over)
	return out
}

// gozxingSeen decodes an opaque image with gozxing, which turns colour to
// grey as ZXing does ((R+2G+B)/4); a negative is turned back first, as
// readers with inverted-code support do.
func gozxingSeen(img *image.NRGBA, inverted bool) (string, error) {
	src := image.Image(img)
	if inverted {
		neg := image.NewNRGBA(img.Bounds())
		for i := 0; i < len(img.Pix); i += 4 {
			neg.Pix[i], neg.Pix[i+1], neg.Pix[i+2], neg.Pix[i+3] = 255-img.Pix[i], 255-img.Pix[i+1], 255-img.Pix[i+2], 255
		}
		src = neg
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(src)
	if err != nil {
		return "", err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_CHARACTER_SET: "UTF-8"})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// requireSeenDecodes shows c's PNG over a white and over a black page and
// reads each with zbarimg, jsQR and gozxing.
func requireSeenDecodes(t *testing.T, c *qr.Code, text string) error {
	t.Helper()
	b, err := c.PNG()
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	inv := c.Options().Invert
	for _, page := range []struct {
		name string
		c    color.Color
	}{{"white", color.White}, {"black", color.Black}} {
		seen := onPage(img, page.c)
		var buf bytes.Buffer
		require.NoError(t, png.Encode(&buf, seen))
		for _, d := range []struct {
			name   string
			decode func() (string, error)
		}{
			{"zbarimg", func() (string, error) { return zbarPNG(t, buf.Bytes(), inv) }},
			{"jsQR", func() (string, error) { return jsQR(t, seen) }},
			{"gozxing", func() (string, error) { return gozxingSeen(seen, inv) }},
		} {
			got, err := d.decode()
			if err != nil || got != text {
				return fmt.Errorf("%s over a %s page: %q, %v", d.name, page.name, got, err)
			}
		}
	}
	return nil
}

// colourCases are allowed colour pairs (and one negative) that every
// decoder must read over both pages, and refused ones with the page where
// they fail.
var colourCases = []struct {
	name   string
	fg, bg color.Color
	invert bool
	ok     bool
}{
	{"default", nil, nil, false, true},
	{"dark blue on white", color.NRGBA{0x00, 0x33, 0x99, 0xff}, nil, false, true},
	{"dark blue on translucent white", color.NRGBA{0x00, 0x33, 0x99, 0xff}, color.NRGBA{0xff, 0xff, 0xff, 0xcc}, false, true},
	{"black on pale yellow", nil, color.NRGBA{0xff, 0xf8, 0xd0, 0xff}, false, true},
	{"negative", nil, nil, true, true},
	{"negative, black and white given", color.Black, color.White, true, true},
	{"dark red on white", color.NRGBA{0x80, 0x00, 0x00, 0xff}, nil, false, true},
	// Refused (issue 27).
	{"dark blue on transparent", color.NRGBA{0x00, 0x33, 0x99, 0xff}, color.Transparent, false, false},
	{"black on transparent", nil, color.Transparent, false, false},
	{"pure green on white", color.NRGBA{0x00, 0xff, 0x00, 0xff}, nil, false, false},
	{"light on dark colours", color.NRGBA{0xff, 0xee, 0xaa, 0xff}, color.NRGBA{0x10, 0x20, 0x60, 0xff}, false, false},
	{"translucent black on white", color.NRGBA{0, 0, 0, 0x60}, nil, false, false},
	{"grey 128 on transparent", color.Gray{Y: 128}, color.Transparent, false, false},
	{"negative, dark green", color.NRGBA{0x00, 0x40, 0x20, 0xff}, nil, true, false},
	{"negative, greys", color.Gray{Y: 25}, color.Gray{Y: 182}, true, false},
}

// TestColoursAsSeen: the colour pairs New accepts are read by zbarimg, jsQR
// and gozxing over a white and over a black page; the others are refused
// with an *OptionError.
func TestColoursAsSeen(t *testing.T) {
	const text = "20870-75K60-V7AW7-6XC92-456RR"
	for _, tc := range colourCases {
		t.Run(tc.name, func(t *testing.T) {
			o := qr.Options{Foreground: tc.fg, Background: tc.bg, Invert: tc.invert}
			_, err := qr.New(text, o)
			if !tc.ok {
				var oe *qr.OptionError
				require.True(t, errors.As(err, &oe) && errors.Is(err, qr.ErrInvalidOptions), "New = %v", err)
				return
			}
			require.NoError(t, err)
			for _, ppm := range []int{2, 8} {
				o.PixelsPerModule = ppm
				c, err := qr.New(text, o)
				require.NoError(t, err)
				require.NoError(t, requireSeenDecodes(t, c, text), "%d pixels per module", ppm)
			}
		})
	}
}

// TestTransparentBackgroundRefused: a transparent background is black on
// a dark page, where the dark modules vanish: New refuses it and says so.
func TestTransparentBackgroundRefused(t *testing.T) {
	_, err := qr.New("x", qr.Options{Background: color.Transparent})
	var oe *qr.OptionError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, "Background", oe.Field)
	require.Contains(t, err.Error(), "black page")
}

// TestColourProperty: for all colour pairs (opaque or translucent) and
// scales, New either refuses them with an *OptionError for Background or
// its PNG is read by zbarimg, jsQR and gozxing over a white and over a
// black page.
func TestColourProperty(t *testing.T) {
	const text = "20870-75K60-V7AW7-6XC92-456RR"
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 30
	// A fixed seed: each case runs three outside decoders, so the sample is
	// small, and with a random one the share of accepted pairs (the guard
	// below) varied enough to fail now and then (8 of 30 in one CI run).
	// The seed's 30 pairs straddle the contrast floor from both sides.
	params.Rng = rand.New(rand.NewSource(20261207))
	properties := gopter.NewProperties(params)
	// Dark foregrounds and light backgrounds, so that most pairs come
	// near the contrast floor from above or below; a third of them grey
	// (a negative must be black and white, so most negatives are refused).
	shade := func(dark bool) gopter.Gen {
		return gopter.CombineGens(gen.UInt8(), gen.UInt8(), gen.UInt8(), gen.OneConstOf(uint8(0xff), uint8(0xff), uint8(0xf0), uint8(0xc0)),
			gen.IntRange(0, 2), gen.OneConstOf(uint8(2), uint8(3), uint8(4))).Map(func(v []any) color.NRGBA {
			k := v[5].(uint8)
			c := color.NRGBA{v[0].(uint8) / k, v[1].(uint8) / k, v[2].(uint8) / k, v[3].(uint8)}
			if v[4].(int) == 0 {
				c.G, c.B = c.R, c.R
			}
			if !dark {
				c.R, c.G, c.B = 255-c.R, 255-c.G, 255-c.B
			}
			return c
		})
	}
	accepted := 0
	properties.Property("refused or read everywhere", prop.ForAll(
		func(fg, bg color.NRGBA, ppm int, invert bool) bool {
			c, err := qr.New(text, qr.Options{Foreground: fg, Background: bg, PixelsPerModule: ppm, Invert: invert})
			if err != nil {
				var oe *qr.OptionError
				return errors.As(err, &oe) && (oe.Field == "Background" || oe.Field == "Foreground")
			}
			accepted++
			if err := requireSeenDecodes(t, c, text); err != nil {
				t.Logf("%v on %v, %d px/module, invert %v: %v", fg, bg, ppm, invert, err)
				return false
			}
			return true
		},
		shade(true), shade(false), gen.OneConstOf(2, 3, 8, 16), gen.OneConstOf(false, false, false, true),
	))
	properties.TestingRun(t)
	t.Logf("%d accepted pairs decoded", accepted)
	if accepted < params.MinSuccessfulTests/3 {
		t.Errorf("only %d of %d pairs accepted: the generator no longer reaches the floor", accepted, params.MinSuccessfulTests)
	}
}
