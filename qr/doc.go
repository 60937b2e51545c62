// Package qr renders a short text — typically a servicepass code — as a QR
// Code for a screen, a terminal or an HTML email. It follows ISO/IEC 18004
// through github.com/skip2/go-qrcode, which picks the smallest symbol
// (version 1 to 40) that holds the text at the requested error-correction
// level; this package adds an exact quiet zone, pixel-exact scaling,
// inversion for dark backgrounds and typed errors.
//
// # Which function to call
//
// Call [New] once with the text and an [Options] value (the zero value is
// the recommended default: level M, a 4-module quiet zone, 256 pixels), then
// ask the returned [Code] for the forms you need:
//
//   - [Code.PNG] for a file or an HTTP response,
//   - [Code.DataURI] for an <img src> in an HTML email,
//   - [Code.SVG] for a web page (one path, crisp edges, scales freely),
//   - [Code.Terminal] for a command-line tool (set [Options.Invert] on a dark
//     terminal and [Options.HalfBlocks] for a symbol half as tall).
//
// The one-shot helpers [PNG], [SVG], [Terminal] and [DataURI] do both steps.
// To give a servicepass issuer a QR port without servicepass importing this
// package, pass a [PNGEncoder].
//
// # Size and mode
//
// QR codes hold uppercase letters, digits, space and $%*+-./: in
// alphanumeric mode (5.5 bits a character) and anything else in byte mode
// (8 bits a byte), so an uppercase Crockford Base32 code of 25 symbols fits
// a version 2 symbol at level M, while the same code in lowercase needs
// byte mode. [Code.Version] and [Code.Mode] report what was chosen. A text
// that does not fit the largest symbol is refused with a [*TooLargeError]
// (errors.Is(err, [ErrTooLarge])) that gives its length and the limit.
//
// # Secrets
//
// The text is usually a credential. It never appears in an error, and a
// [Code] formats itself (with %v, %+v or %#v) without its modules.
package qr
