package qr

import (
	"strconv"
	"strings"
)

// SVG returns the code as a standalone SVG document: a viewBox of one unit
// per module (quiet zone included), a background rectangle, and the dark
// modules as a single path of horizontal runs, drawn with
// shape-rendering="crispEdges". Options.Invert swaps the two colours (white
// modules on black), as in the PNG. Its width and height
// attributes are Options.Size pixels; the drawing scales to any size.
func (c *Code) SVG() string {
	m := c.Modules()
	ms := strconv.Itoa(m)
	bg, fg := "#fff", "#000"
	if c.opts.Invert {
		bg, fg = fg, bg
	}
	var b strings.Builder
	b.Grow(256 + c.n*c.n*3)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="`)
	b.WriteString(strconv.Itoa(c.opts.size()))
	b.WriteString(`" height="`)
	b.WriteString(strconv.Itoa(c.opts.size()))
	b.WriteString(`" viewBox="0 0 ` + ms + " " + ms + `" shape-rendering="crispEdges">`)
	b.WriteString(`<rect width="` + ms + `" height="` + ms + `" fill="` + bg + `"/>`)
	b.WriteString(`<path fill="` + fg + `" d="`)
	var num [20]byte
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
			b.WriteByte('M')
			b.Write(strconv.AppendInt(num[:0], int64(x+c.qz), 10))
			b.WriteByte(' ')
			b.Write(strconv.AppendInt(num[:0], int64(y+c.qz), 10))
			b.WriteByte('h')
			b.Write(strconv.AppendInt(num[:0], int64(run-x), 10))
			b.WriteString("v1h-")
			b.Write(strconv.AppendInt(num[:0], int64(run-x), 10))
			b.WriteByte('z')
			x = run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}

// SVG encodes text with opts and returns [Code.SVG].
func SVG(text string, opts Options) (string, error) {
	c, err := New(text, opts)
	if err != nil {
		return "", err
	}
	return c.SVG(), nil
}
