package benchmarks

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/skip2/go-qrcode"

	"github.com/mdmcred/mdmcred/qr"
)

// QR PNG of a service password (25 symbols grouped with hyphens, version 2
// at level M) and of a longer enrollment URL, 256 pixels square:
//
//   - Ours: qr.PNG (exact 4-module quiet zone, whole pixels per module,
//     1-bit paletted PNG from a pooled compressor).
//   - GoQRCode: go-qrcode's own qrcode.Encode at the same level and size,
//     the encoder qr builds on, so this is its floor.
var qrTexts = []struct{ name, text string }{
	{"Code", "7ZQ3M-K8TRW-0A4HX-9CNDE-PG2VB"},
	{"URL", "https://mdm.example.com/enroll?site=42&token=7ZQ3MK8TRW0A4HX9CNDEPG2VB"},
}

var pngSink []byte

func BenchmarkQRPNG(b *testing.B) {
	for _, tc := range qrTexts {
		b.Run(tc.name+"/Ours", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := qr.PNG(tc.text, qr.Options{Size: 256})
				if err != nil {
					b.Fatal(err)
				}
				pngSink = p
			}
		})
		b.Run(tc.name+"/GoQRCode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := qrcode.Encode(tc.text, qrcode.Medium, 256)
				if err != nil {
					b.Fatal(err)
				}
				pngSink = p
			}
		})
	}
}

// TestQRSameSymbol checks that both PNGs decode to the text and that both
// libraries chose the same symbol version.
func TestQRSameSymbol(t *testing.T) {
	for _, tc := range qrTexts {
		ours, err := qr.PNG(tc.text, qr.Options{Size: 256})
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := qrcode.Encode(tc.text, qrcode.Medium, 256)
		if err != nil {
			t.Fatal(err)
		}
		for name, p := range map[string][]byte{"ours": ours, "go-qrcode": theirs} {
			if got := decodePNG(t, p); got != tc.text {
				t.Errorf("%s %s decodes to %q", tc.name, name, got)
			}
		}
		c, err := qr.New(tc.text, qr.Options{})
		if err != nil {
			t.Fatal(err)
		}
		q, err := qrcode.New(tc.text, qrcode.Medium)
		if err != nil {
			t.Fatal(err)
		}
		if c.Version() != q.VersionNumber {
			t.Errorf("%s: version %d, go-qrcode %d", tc.name, c.Version(), q.VersionNumber)
		}
	}
}

func decodePNG(t *testing.T, p []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 256, 256) {
		t.Errorf("image bounds %v", img.Bounds())
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		res, err = zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
	}
	return res.GetText()
}
