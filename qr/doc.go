// Package qr renders a short text — typically a servicepass code — as a QR
// Code for a screen, a terminal or an HTML email. It follows ISO/IEC 18004
// through github.com/skip2/go-qrcode, which picks the smallest symbol
// (version 1 to 40) that holds the text at the requested error-correction
// level; this package adds an exact quiet zone, whole-pixel scaling with at
// least two pixels per module, colours, inversion for dark backgrounds and
// typed errors. Every output kind is read back in its tests by two decoders
// it does not use, gozxing and zbar, at the smallest size it allows.
//
// # Which function to call
//
// Call [New] once with the text and an [Options] value (the zero value is
// the recommended default: level M, a 4-module quiet zone, 256 pixels,
// black on white), then ask the returned [Code] for the forms you need:
//
//   - [Code.PNG] or [Code.WritePNG] for a file or an HTTP response,
//   - [Code.DataURI] for an <img src> in an HTML email,
//   - [Code.SVG] or [Code.WriteSVG] for a web page (one path, crisp edges,
//     whole pixels per module at its stated size),
//   - [Code.Terminal] or [Code.WriteTerminal] for a command-line tool (set
//     [Options.Invert] on a dark terminal and [Options.HalfBlocks] for a
//     symbol half as tall).
//
// The one-shot helpers [PNG], [SVG], [Terminal] and [DataURI] do both steps.
// To give a servicepass issuer a QR port without servicepass importing this
// package, pass a [PNGEncoder].
//
// # Pixels
//
// A module is always a whole number of pixels, and never fewer than
// [MinPixelsPerModule] (2): scanners miss symbols drawn at one. Give either
// [Options.Size], the image side (the largest whole scale that fits is used,
// the rest becomes margin), or [Options.PixelsPerModule], the module side
// (the image is then exactly the modules times it). A Size too small for the
// symbol is refused by [New] with an [*OptionError] whose Min is the
// smallest Size that symbol accepts, for every form alike. [Code.Size] and
// [Code.PixelsPerModule] report the result.
//
// # Colours and inversion
//
// [Options.Foreground] and [Options.Background] colour the PNG and SVG as in
// go-qrcode, provided the background is lighter by [MinContrast] percent as
// the symbol will be seen: composited over a white and over a black page,
// in every luminance formula scanners use. Translucent colours are judged
// that way; a fully transparent background, light-on-dark colours and
// mid-luminance colours such as pure green are refused. The tests read
// every accepted colour pair with zbarimg, jsQR and gozxing over both
// pages. [Options.Invert] swaps black and white (a negative must be black
// and white). In a terminal the block characters take the
// terminal's own colours; with Invert they draw the light modules, and at
// least [MinTerminalQuietZone] modules of quiet zone, so that the symbol
// reads on a dark terminal.
//
// # Text, size and mode
//
// The text must be valid UTF-8 (else a [*UTF8Error], errors.Is(err,
// [ErrUTF8])): QR Codes carry no character set here, and scanners read
// byte-mode text as UTF-8 or guess. QR codes hold uppercase letters,
// digits, space and $%*+-./: in alphanumeric mode (5.5 bits a character)
// and anything else in byte mode (8 bits a byte), so an uppercase Crockford
// Base32 code of 25 symbols fits a version 2 symbol at level M, while the
// same code in lowercase needs byte mode. [Code.Version] and [Code.Mode]
// report what was chosen. A text that does not fit the largest symbol is
// refused with a [*TooLargeError] (errors.Is(err, [ErrTooLarge])) that
// gives its length and the limit.
//
// # Secrets
//
// The text is usually a credential. It never appears in an error, and a
// [Code] formats itself (with %v, %+v or %#v) without its modules.
package qr
