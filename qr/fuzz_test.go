package qr_test

import (
	"bytes"
	"errors"
	"image/color"
	"image/png"
	"testing"

	"github.com/mdmcred/mdmcred/qr"
)

// fuzzColor is a colour from a fuzzer's uint32 (RGBA, non-premultiplied),
// or nil when set is false.
func fuzzColor(v uint32, set bool) color.Color {
	if !set {
		return nil
	}
	return color.NRGBA{R: uint8(v >> 24), G: uint8(v >> 16), B: uint8(v >> 8), A: uint8(v)}
}

func fuzzSeed(f *testing.F, text string, o qr.Options) {
	rgba := func(c color.Color) (uint32, bool) {
		if c == nil {
			return 0, false
		}
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		return uint32(n.R)<<24 | uint32(n.G)<<16 | uint32(n.B)<<8 | uint32(n.A), true
	}
	fg, fgSet := rgba(o.Foreground)
	bg, bgSet := rgba(o.Background)
	f.Add(text, uint8(o.Level), o.Size, o.PixelsPerModule, o.QuietZone, o.Invert, o.HalfBlocks, fg, fgSet, bg, bgSet)
}

// FuzzNew: for any text and options (the whole grid: level, size, pixels
// per module, quiet zone, colours, invert, half blocks), New does not panic
// and either fails with exactly one of the package's errors (a
// TooLargeError with the text's length beyond its limit, a UTF8Error
// exactly for invalid UTF-8, an OptionError agreeing with Validate or with
// the symbol's module count) or returns a code whose every form parses back
// to the same grid, go-qrcode's symbol inside a light quiet zone, with at
// least two whole pixels per module.
func FuzzNew(f *testing.F) {
	for _, tc := range roundTripTexts {
		for _, o := range optionCases() {
			fuzzSeed(f, tc.text, o)
		}
	}
	for _, tc := range optionErrorCases {
		var oe *qr.OptionError
		if errors.As(tc.opts.Validate(), &oe) && oe.Value == 0 && oe.Max == 0 {
			continue // a colour whose RGBA panics cannot be seeded
		}
		fuzzSeed(f, "ABC", tc.opts)
	}
	fuzzSeed(f, "", qr.Options{})
	fuzzSeed(f, "20870-75K60-V7AW7-6XC92-456RR", qr.Options{Size: 33})
	fuzzSeed(f, "20870-75K60-V7AW7-6XC92-456RR", qr.Options{Size: 137, QuietZone: qr.MaxQuietZone})
	fuzzSeed(f, "7ZQ3M-K8TRW-0A4HX-9CNDE-PG2VB", qr.Options{Size: 29, QuietZone: qr.NoQuietZone, Invert: true, HalfBlocks: true})
	fuzzSeed(f, "\xff\xfe\x00", qr.Options{Level: qr.High, Size: 1, QuietZone: 16, Invert: true})
	f.Fuzz(func(t *testing.T, text string, level uint8, size, ppm, qz int, invert, half bool, fg uint32, fgSet bool, bg uint32, bgSet bool) {
		checkNew(t, text, qr.Options{Level: qr.Level(level), Size: size, PixelsPerModule: ppm, QuietZone: qz,
			Foreground: fuzzColor(fg, fgSet), Background: fuzzColor(bg, bgSet), Invert: invert, HalfBlocks: half})
	})
}

// FuzzOptions explores the option grid alone, over a few short texts (the
// encoder is slow on long ones, which FuzzNew covers): no Options makes New
// or any form panic, and every result obeys the rules of checkNew.
func FuzzOptions(f *testing.F) {
	texts := []string{"20870-75K60-V7AW7-6XC92-456RR", "0", "otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME", "Zażółć"}
	for i, o := range optionCases() {
		f.Add(uint8(i), uint8(o.Level), o.Size, o.PixelsPerModule, o.QuietZone, o.Invert, o.HalfBlocks, uint32(0x000080ff), i%2 == 0, uint32(0), i%3 == 0)
	}
	for i, tc := range optionErrorCases {
		f.Add(uint8(i), uint8(tc.opts.Level), tc.opts.Size, tc.opts.PixelsPerModule, tc.opts.QuietZone, true, false, uint32(0xffffffff), true, uint32(0xfefefeff), true)
	}
	f.Add(uint8(0), uint8(0), 65, 0, 0, false, false, uint32(0), false, uint32(0), false)
	f.Add(uint8(0), uint8(0), 66, 0, 0, false, false, uint32(0), false, uint32(0), false)
	f.Add(uint8(2), uint8(3), 0, qr.MaxPixelsPerModule, qr.MaxQuietZone, true, true, uint32(0x99999999), true, uint32(0), true)
	f.Fuzz(func(t *testing.T, i, level uint8, size, ppm, qz int, invert, half bool, fg uint32, fgSet bool, bg uint32, bgSet bool) {
		checkNew(t, texts[int(i)%len(texts)], qr.Options{Level: qr.Level(level), Size: size, PixelsPerModule: ppm, QuietZone: qz,
			Foreground: fuzzColor(fg, fgSet), Background: fuzzColor(bg, bgSet), Invert: invert, HalfBlocks: half})
	})
}

// checkNew asserts everything New promises for text and o (see FuzzNew).
func checkNew(t *testing.T, text string, o qr.Options) {
	t.Helper()
	c, err := qr.New(text, o)
	if err != nil {
		var n int
		for _, s := range []error{qr.ErrEmpty, qr.ErrInvalidOptions, qr.ErrTooLarge, qr.ErrUTF8} {
			if errors.Is(err, s) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("error %v matches %d sentinels", err, n)
		}
		var tl *qr.TooLargeError
		if errors.As(err, &tl) && (tl.Len != len(text) || tl.Len <= tl.Limit) {
			t.Fatalf("bad TooLargeError %+v for %d bytes", tl, len(text))
		}
		var ue *qr.UTF8Error
		if errors.As(err, &ue) && (validUTF8(text) || ue.Offset >= len(text)) {
			t.Fatalf("bad UTF8Error %+v", ue)
		}
		var oe *qr.OptionError
		if errors.As(err, &oe) && o.Validate() == nil {
			// Valid in isolation: the size must not suit this symbol.
			ref, rerr := qr.New(text, qr.Options{Level: o.Level, QuietZone: o.QuietZone})
			if rerr != nil {
				t.Fatalf("%v, but the default options give %v", err, rerr)
			}
			m := ref.Modules()
			if !(oe.Field == "Size" && o.Size < 2*m && oe.Min == 2*m) &&
				!(oe.Field == "PixelsPerModule" && o.PixelsPerModule*m > qr.MaxSize) {
				t.Fatalf("%v for %d modules", err, m)
			}
		}
		if errors.Is(err, qr.ErrInvalidOptions) != (oe != nil) {
			t.Fatalf("ErrInvalidOptions without an OptionError: %v", err)
		}
		return
	}
	if text == "" || o.Validate() != nil || !validUTF8(text) {
		t.Fatalf("accepted %q with %+v", text, o)
	}
	bitmap := c.Bitmap()
	ref, err := goQRCodeBitmap(text, o.Level)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameGrid(crop(bitmap, quietZone(o)), crop(ref, 4)); err != nil {
		t.Fatal(err)
	}
	side, scale := wantLayout(o, c.Modules())
	if c.Size() != side || c.PixelsPerModule() != scale || scale < qr.MinPixelsPerModule || side > qr.MaxSize {
		t.Fatalf("layout %d/%d, want %d/%d", c.Size(), c.PixelsPerModule(), side, scale)
	}
	s, err := parseSVG(c.SVG())
	if err != nil {
		t.Fatal(err)
	}
	if err := sameGrid(s.Grid, bitmap); err != nil {
		t.Fatal("svg:", err)
	}
	if s.Width != scale*c.Modules() || s.Height != s.Width {
		t.Fatalf("svg is %d×%d for %d modules at %d", s.Width, s.Height, c.Modules(), scale)
	}
	tqz := terminalQuietZone(o)
	term, err := parseTerminal(c.Terminal(), o, c.Modules()+2*(tqz-quietZone(o)))
	if err != nil {
		t.Fatal(err)
	}
	if err := sameGrid(term, pad(bitmap, tqz-quietZone(o))); err != nil {
		t.Fatal("terminal:", err)
	}
	if side > 512 {
		return // keep fuzzing fast; large images are covered by the tables
	}
	b, err := c.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	ink, paper := wantColors(o)
	if color.NRGBAModel.Convert(ink) == color.NRGBAModel.Convert(paper) {
		t.Fatalf("accepted equal colours %v", ink)
	}
	grid, err := gridFromImage(img, c.Modules(), side, scale, ink, paper)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameGrid(grid, bitmap); err != nil {
		t.Fatal("png:", err)
	}
}
