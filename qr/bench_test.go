package qr_test

import (
	"testing"

	"github.com/skip2/go-qrcode"

	"github.com/mdmcred/mdmcred/qr"
)

var benchTexts = []struct{ name, text string }{
	{"code", "7ZQ3M-K8TRW-0A4HX-9CNDE-PG2VB"},
	{"url", "https://mdm.example.com/enroll?site=42&token=7ZQ3MK8TRW0A4HX9CNDEPG2VB"},
}

// BenchmarkPNG measures qr.PNG against its floor, go-qrcode's own PNG
// encoding of the same text at the same level and size. The issue allows
// at most 10% over the floor.
func BenchmarkPNG(b *testing.B) {
	for _, tc := range benchTexts {
		b.Run(tc.name+"/qr", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := qr.PNG(tc.text, qr.Options{Size: 256}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/go-qrcode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := qrcode.Encode(tc.text, qrcode.Medium, 256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkForms measures each form from an encoded Code, and New alone.
func BenchmarkForms(b *testing.B) {
	text := benchTexts[0].text
	c, err := qr.New(text, qr.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("New", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := qr.New(text, qr.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PNG", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.PNG(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DataURI", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.DataURI(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SVG", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.SVG()
		}
	})
	b.Run("Terminal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.Terminal()
		}
	})
}
