package qr

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"sync"
)

// DataURIPrefix starts every string [Code.DataURI] returns.
const DataURIPrefix = "data:image/png;base64,"

// Image draws the code as a two-colour paletted image of [Code.Size]
// pixels square, every module [Code.PixelsPerModule] pixels, the pixels
// left over split evenly into the margin. The zero Code gives [ErrEmpty].
func (c *Code) Image() (*image.Paletted, error) {
	if c.n == 0 {
		return nil, ErrEmpty
	}
	scale, size := c.scale, c.side
	offset := (size - scale*c.Modules()) / 2
	// Index 0 is the background, so the zeroed Pix is already the margin.
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{c.paper, c.ink})
	qzPix := c.qz * scale
	for y, row := range c.dark {
		top := offset + qzPix + y*scale
		line := img.Pix[top*img.Stride : (top+1)*img.Stride]
		x0 := offset + qzPix
		for _, d := range row {
			if d {
				for i := x0; i < x0+scale; i++ {
					line[i] = 1
				}
			}
			x0 += scale
		}
		for i := 1; i < scale; i++ {
			copy(img.Pix[(top+i)*img.Stride:], line)
		}
	}
	return img, nil
}

// PNG returns the code as a 1-bit PNG image ([Code.Image]).
func (c *Code) PNG() ([]byte, error) {
	var buf bytes.Buffer
	if err := c.WritePNG(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WritePNG writes [Code.PNG] to w, returning w's first error. Nothing is
// written when the code cannot be drawn.
func (c *Code) WritePNG(w io.Writer) error {
	img, err := c.Image()
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression, BufferPool: encoderBuffers{}}
	return enc.Encode(w, img)
}

// encoderBuffers reuses the PNG encoder's compressor between images: at
// best compression a fresh one allocates about 900 KB. The pool is a cache
// of scratch space only; nothing in it outlives an Encode call's meaning.
type encoderBuffers struct{}

var pngScratch sync.Pool

// Get implements png.EncoderBufferPool.
func (encoderBuffers) Get() *png.EncoderBuffer {
	b, _ := pngScratch.Get().(*png.EncoderBuffer)
	return b
}

// Put implements png.EncoderBufferPool.
func (encoderBuffers) Put(b *png.EncoderBuffer) { pngScratch.Put(b) }

// DataURI returns the PNG as a data: URI for an <img src> in HTML email:
// [DataURIPrefix] followed by the standard base64 of [Code.PNG].
func (c *Code) DataURI() (string, error) {
	b, err := c.PNG()
	if err != nil {
		return "", err
	}
	out := make([]byte, len(DataURIPrefix)+base64.StdEncoding.EncodedLen(len(b)))
	copy(out, DataURIPrefix)
	base64.StdEncoding.Encode(out[len(DataURIPrefix):], b)
	return string(out), nil
}

// PNG encodes text with opts and returns [Code.PNG].
func PNG(text string, opts Options) ([]byte, error) {
	c, err := New(text, opts)
	if err != nil {
		return nil, err
	}
	return c.PNG()
}

// DataURI encodes text with opts and returns [Code.DataURI].
func DataURI(text string, opts Options) (string, error) {
	c, err := New(text, opts)
	if err != nil {
		return "", err
	}
	return c.DataURI()
}

// PNGEncoder adapts this package to a port of the form
//
//	interface{ EncodePNG(text string) ([]byte, error) }
//
// such as the servicepass issuer's, so that a host wires QR rendering in
// without the consuming package importing qr. The zero value uses the
// default [Options].
type PNGEncoder struct {
	// Options are used for every code.
	Options Options
}

// EncodePNG returns [PNG] of text with e.Options.
func (e PNGEncoder) EncodePNG(text string) ([]byte, error) { return PNG(text, e.Options) }
