package qr

import (
	"io"
	"strings"
)

// Terminal returns the code as lines of text for a terminal, each ending in
// a newline, quiet zone included. A module is drawn where the terminal draws
// its foreground colour: dark modules normally, light modules with
// Options.Invert (for a dark terminal). An inverted rendering always has a
// quiet zone of at least [MinTerminalQuietZone] modules, even with
// [NoQuietZone]: a dark terminal has no light page around it to lend one.
// Full blocks use two characters "██" or "  " per module, so that modules
// are about square; with Options.HalfBlocks each line holds two module rows
// drawn with ▀ ▄ █ and space, and the last line of an odd number of rows is
// completed with a light row. Options.Size, Options.PixelsPerModule and the
// colours are ignored. The zero Code gives "".
func (c *Code) Terminal() string {
	if c.n == 0 {
		return ""
	}
	qz := c.TerminalQuietZone()
	m := c.n + 2*qz
	// at is light beyond the grid, which completes an odd last half-block row.
	ink := func(x, y int) bool { return c.at(x, y, qz) != c.opts.Invert }
	var b strings.Builder
	if !c.opts.HalfBlocks {
		b.Grow(m * (m*2*len("█") + 1))
		for y := 0; y < m; y++ {
			for x := 0; x < m; x++ {
				if ink(x, y) {
					b.WriteString("██")
				} else {
					b.WriteString("  ")
				}
			}
			b.WriteByte('\n')
		}
		return b.String()
	}
	b.Grow((m + 1) / 2 * (m*len("█") + 1))
	for y := 0; y < m; y += 2 {
		for x := 0; x < m; x++ {
			switch top, bottom := ink(x, y), ink(x, y+1); {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TerminalQuietZone returns the quiet zone, in modules, that
// [Code.Terminal] draws: the code's own, raised to [MinTerminalQuietZone]
// with Options.Invert.
func (c *Code) TerminalQuietZone() int {
	if c.opts.Invert {
		return max(c.qz, MinTerminalQuietZone)
	}
	return c.qz
}

// WriteTerminal writes [Code.Terminal] to w, returning w's error. The zero
// Code gives [ErrEmpty] and writes nothing.
func (c *Code) WriteTerminal(w io.Writer) error {
	if c.n == 0 {
		return ErrEmpty
	}
	_, err := io.WriteString(w, c.Terminal())
	return err
}

// Terminal encodes text with opts and returns [Code.Terminal].
func Terminal(text string, opts Options) (string, error) {
	c, err := New(text, opts)
	if err != nil {
		return "", err
	}
	return c.Terminal(), nil
}
