package qr_test

import (
	"bytes"
	"errors"
	"image/png"
	"testing"

	"github.com/mdmcred/mdmcred/qr"
)

// FuzzNew: for any text and options, New does not panic and either fails
// with exactly one of the package's errors (the text's length in a
// TooLargeError, beyond its limit) or returns a code whose every form
// parses back to the same grid, go-qrcode's symbol inside a light quiet
// zone.
func FuzzNew(f *testing.F) {
	for _, tc := range roundTripTexts {
		for _, o := range optionCases() {
			f.Add(tc.text, uint8(o.Level), o.Size, o.QuietZone, o.Invert, o.HalfBlocks)
		}
	}
	for _, tc := range optionErrorCases {
		f.Add("ABC", uint8(tc.opts.Level), tc.opts.Size, tc.opts.QuietZone, false, true)
	}
	f.Add("", uint8(0), 0, 0, false, false)
	f.Add("7ZQ3M-K8TRW-0A4HX-9CNDE-PG2VB", uint8(0), 29, qr.NoQuietZone, true, true)
	f.Add("\xff\xfe\x00", uint8(3), 1, 16, true, false)
	f.Fuzz(func(t *testing.T, text string, level uint8, size, qz int, invert, half bool) {
		o := qr.Options{Level: qr.Level(level), Size: size, QuietZone: qz, Invert: invert, HalfBlocks: half}
		c, err := qr.New(text, o)
		if err != nil {
			var n int
			for _, s := range []error{qr.ErrEmpty, qr.ErrInvalidOptions, qr.ErrTooLarge} {
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
			if errors.Is(err, qr.ErrInvalidOptions) != (o.Validate() != nil) {
				t.Fatalf("New and Validate disagree: %v / %v", err, o.Validate())
			}
			return
		}
		if text == "" || o.Validate() != nil {
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
		s, err := parseSVG(c.SVG())
		if err != nil {
			t.Fatal(err)
		}
		if err := sameGrid(s.Grid, bitmap); err != nil {
			t.Fatal("svg:", err)
		}
		term, err := parseTerminal(c.Terminal(), o, c.Modules())
		if err != nil {
			t.Fatal(err)
		}
		if err := sameGrid(term, bitmap); err != nil {
			t.Fatal("terminal:", err)
		}
		if pixels(o) > 512 {
			return // keep fuzzing fast; large images are covered by the tables
		}
		b, err := c.PNG()
		if pixels(o) < c.Modules() {
			if !errors.Is(err, qr.ErrInvalidOptions) {
				t.Fatalf("size %d < %d modules: %v", pixels(o), c.Modules(), err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		grid, err := gridFromImage(img, c.Modules(), pixels(o), o.Invert)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameGrid(grid, bitmap); err != nil {
			t.Fatal("png:", err)
		}
	})
}
