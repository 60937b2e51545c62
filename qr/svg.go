package qr

import (
	"image/color"
	"io"
	"strconv"
)

// SVG returns the code as a standalone SVG document: a viewBox of one unit
// per module (quiet zone included), a background rectangle, and the dark
// modules as a single path of whole-unit horizontal runs, drawn with
// shape-rendering="crispEdges". Its width and height attributes are
// [Code.Modules] times [Code.PixelsPerModule] pixels, so that at its stated
// size every module is the same whole number of pixels (at most
// Options.Size); scaled by a whole factor it stays exact. Options.Invert
// swaps the two colours, as in the PNG; a colour that is not opaque gets a
// fill-opacity. The zero Code gives "".
func (c *Code) SVG() string {
	if c.n == 0 {
		return ""
	}
	m := c.Modules()
	b := make([]byte, 0, 320+c.n*c.n*3)
	b = append(b, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="`...)
	b = strconv.AppendInt(b, int64(m*c.scale), 10)
	b = append(b, `" height="`...)
	b = strconv.AppendInt(b, int64(m*c.scale), 10)
	b = append(b, `" viewBox="0 0 `...)
	b = strconv.AppendInt(b, int64(m), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(m), 10)
	b = append(b, `" shape-rendering="crispEdges"><rect width="`...)
	b = strconv.AppendInt(b, int64(m), 10)
	b = append(b, `" height="`...)
	b = strconv.AppendInt(b, int64(m), 10)
	b = append(b, '"')
	b = appendFill(b, c.paper)
	b = append(b, `/><path`...)
	b = appendFill(b, c.ink)
	b = append(b, ` d="`...)
	for y, row := range c.dark {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := x
			for run < len(row) && row[run] {
				run++
			}
			// M x y h w v1 h-w z: a rectangle one module tall.
			b = append(b, 'M')
			b = strconv.AppendInt(b, int64(x+c.qz), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(y+c.qz), 10)
			b = append(b, 'h')
			b = strconv.AppendInt(b, int64(run-x), 10)
			b = append(b, "v1h-"...)
			b = strconv.AppendInt(b, int64(run-x), 10)
			b = append(b, 'z')
			x = run
		}
	}
	b = append(b, `"/></svg>`...)
	return string(b)
}

// appendFill appends ` fill="#rrggbb"`, and a fill-opacity when c is not
// opaque.
func appendFill(b []byte, c color.NRGBA) []byte {
	b = append(b, ` fill="`...)
	b = appendHex(b, c)
	b = append(b, '"')
	if c.A != 0xff {
		b = append(b, ` fill-opacity="`...)
		b = appendOpacity(b, c)
		b = append(b, '"')
	}
	return b
}

// WriteSVG writes [Code.SVG] to w, returning w's error. The zero Code gives
// [ErrEmpty] and writes nothing.
func (c *Code) WriteSVG(w io.Writer) error {
	if c.n == 0 {
		return ErrEmpty
	}
	_, err := io.WriteString(w, c.SVG())
	return err
}

// SVG encodes text with opts and returns [Code.SVG].
func SVG(text string, opts Options) (string, error) {
	c, err := New(text, opts)
	if err != nil {
		return "", err
	}
	return c.SVG(), nil
}
