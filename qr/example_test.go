package qr_test

import (
	"errors"
	"fmt"
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
// as a normal QR Code; half blocks fit two module rows on a line.
func ExampleCode_Terminal() {
	c, err := qr.New("HI", qr.Options{Invert: true, HalfBlocks: true, QuietZone: 1})
	if err != nil {
		panic(err)
	}
	fmt.Print(c.Terminal())
	// Output:
	// █▀▀▀▀▀▀▀███▀█▀█▀▀▀▀▀▀▀█
	// █ █▀▀▀█ █▀ █ ▄█ █▀▀▀█ █
	// █ █   █ █ ▄█▀▀█ █   █ █
	// █ ▀▀▀▀▀ █ ▄▀█ █ ▀▀▀▀▀ █
	// █▀█▀▀▀▀▀█▄▀▄▄ █▀▀▀▀▀███
	// █▀▀▀██▀▀▀▀▄█▀▄▀█▄▀█   █
	// █ ▄█▀ █▀▀▄▄▀▀█▀█▄ █ ███
	// █▀▀▀▀▀▀▀█▄ █▄ ▄ ▀█▄█▄▄█
	// █ █▀▀▀█ █ ▄█▄ ▄▄▀█▄▀▄██
	// █ █   █ █ ▄█▀▄▀█▄▀▀ ███
	// █ ▀▀▀▀▀ █▀▄▄▀█▀█▄ ▀ █▄█
	// ███████████████████████
}

// The SVG draws one unit per module in its viewBox and scales freely.
func ExampleCode_SVG() {
	c, err := qr.New("HELLO", qr.Options{Size: 128})
	if err != nil {
		panic(err)
	}
	s := c.SVG()
	fmt.Println(s[:strings.Index(s, "<rect")])
	// Output:
	// <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="128" height="128" viewBox="0 0 29 29" shape-rendering="crispEdges">
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
