package qr_test

import (
	"errors"
	"fmt"
	"image/color"
	"strings"

	"github.com/mdmcred/mdmcred/qr"
)

// A servicepass code, printed in uppercase, fits a small alphanumeric
// symbol; the data URI goes straight into an <img src> of an HTML email.
func ExampleNew() {
	c, err := qr.New("7ZQ3M-K8TRW-0A4HX-9CNDE-PG2VB", qr.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Version(), c.Level(), c.Mode(), c.Modules())

	uri, err := c.DataURI()
	if err != nil {
		panic(err)
	}
	fmt.Println(uri[:len(qr.DataURIPrefix)+8])
	// Output:
	// 2 M alphanumeric 33
	// data:image/png;base64,iVBORw0K
}

// On a dark terminal, Invert draws the light modules, so the symbol reads
// as a normal QR Code; half blocks fit two module rows on a line. The quiet
// zone is drawn too, at least 2 modules even when a smaller one is asked
// for, since the dark terminal around it cannot serve as one.
func ExampleCode_Terminal() {
	c, err := qr.New("HI", qr.Options{Invert: true, HalfBlocks: true, QuietZone: qr.NoQuietZone})
	if err != nil {
		panic(err)
	}
	fmt.Print(c.Terminal())
	// Output:
	// █████████████████████████
	// ██ ▄▄▄▄▄ ██▀▄▀ █ ▄▄▄▄▄ ██
	// ██ █   █ █  █▄██ █   █ ██
	// ██ █▄▄▄█ █ ▀█▄ █ █▄▄▄█ ██
	// ██▄▄▄▄▄▄▄█ █ ▀ █▄▄▄▄▄▄▄██
	// ██▄█▄▄▄▄▄██ ██ █▄ ▄▄ ▀▀██
	// ██  ▄█▀▄▄▄ ▀█▄█▄█▀ █ ▄▄██
	// ██▄██▄▄█▄▄▀▀▄ ▀ ▀█▄▀▄▀▀██
	// ██ ▄▄▄▄▄ █▀ █▀ ▀ ▄█▀█▀███
	// ██ █   █ █ ▀██ ██ ██ ████
	// ██ █▄▄▄█ █▄▀▀▄█▄█▀ ▄ █▀██
	// ██▄▄▄▄▄▄▄█▄██▄█▄██▄▄▄████
	// █████████████████████████
}

// The SVG draws one unit per module in its viewBox; its width and height
// are the largest whole number of pixels per module that fits Size (here 4
// pixels for 29 modules in at most 128), so every module is drawn alike.
func ExampleCode_SVG() {
	c, err := qr.New("HELLO", qr.Options{Size: 128})
	if err != nil {
		panic(err)
	}
	s := c.SVG()
	fmt.Println(s[:strings.Index(s, "<rect")])
	fmt.Println(c.Size(), c.PixelsPerModule())
	// Output:
	// <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="116" height="116" viewBox="0 0 29 29" shape-rendering="crispEdges">
	// 128 4
}

// PixelsPerModule sets the module size instead of the image size, as a
// negative size does in github.com/skip2/go-qrcode: here 33 modules of 3
// pixels.
func ExampleOptions_pixelsPerModule() {
	c, err := qr.New("20870-75K60-V7AW7-6XC92-456RR", qr.Options{PixelsPerModule: 3})
	if err != nil {
		panic(err)
	}
	img, err := c.Image()
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Modules(), c.PixelsPerModule(), img.Bounds().Dx())
	// Output:
	// 33 3 99
}

// A Size that leaves under 2 pixels a module is refused, and the error
// names the smallest Size this symbol accepts.
func ExampleOptionError() {
	_, err := qr.PNG("20870-75K60-V7AW7-6XC92-456RR", qr.Options{Size: 33})
	var oe *qr.OptionError
	if errors.As(err, &oe) {
		fmt.Println(oe.Field, oe.Value, oe.Min, errors.Is(err, qr.ErrInvalidOptions))
	}
	fmt.Println(err)
	// Output:
	// Size 33 66 true
	// qr: invalid options: Size 33: below 66, the minimum for 33 modules at 2 pixels each
}

// Colours, as in github.com/skip2/go-qrcode, and writing to any io.Writer
// (an http.ResponseWriter, a file): dark blue modules on a translucent
// white background. A fully transparent background is refused: on a dark
// page nothing would tell the modules from it.
func ExampleCode_WriteSVG() {
	c, err := qr.New("HELLO", qr.Options{
		Foreground: color.RGBA{R: 0x00, G: 0x33, B: 0x99, A: 0xff},
		Background: color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xcc},
	})
	if err != nil {
		panic(err)
	}
	var w strings.Builder
	if err := c.WriteSVG(&w); err != nil {
		panic(err)
	}
	s := w.String()
	fmt.Println(s[strings.Index(s, "<rect"):strings.Index(s, " d=")])
	// Output:
	// <rect width="29" height="29" fill="#ffffff" fill-opacity="0.8"/><path fill="#003399"
}

// A text that is not valid UTF-8 is refused: scanners would show other
// characters than the ones encoded. The error gives the offset, not the
// bytes.
func ExampleUTF8Error() {
	_, err := qr.New("caf\xe9", qr.Options{})
	var ue *qr.UTF8Error
	fmt.Println(errors.As(err, &ue), ue.Offset, errors.Is(err, qr.ErrUTF8))
	fmt.Println(err)
	// Output:
	// true 3 true
	// qr: text is not valid UTF-8: invalid byte at offset 3
}

// A host wires QR rendering into a consumer's port (here the shape of the
// servicepass issuer's) without the consumer importing qr.
func ExamplePNGEncoder() {
	var port interface {
		EncodePNG(text string) ([]byte, error)
	} = qr.PNGEncoder{Options: qr.Options{Size: 200}}

	png, err := port.EncodePNG("7ZQ3M-K8TRW-0A4HX-9CNDE-PG2VB")
	fmt.Println(err, string(png[1:4]))
	// Output:
	// <nil> PNG
}

// A text longer than the largest symbol is refused with its length and the
// limit, never with its content.
func ExampleTooLargeError() {
	_, err := qr.New(strings.Repeat("A", 4000), qr.Options{})
	var tl *qr.TooLargeError
	if errors.As(err, &tl) {
		fmt.Println(tl.Len, tl.Limit, errors.Is(err, qr.ErrTooLarge))
	}
	fmt.Println(err)
	// Output:
	// 4000 3391 true
	// qr: text too large: 4000 bytes in alphanumeric mode, at most 3391 at level M
}
