package qr

import "strings"

// Terminal returns the code as lines of text for a terminal, each ending in
// a newline, quiet zone included. A module is drawn where the terminal draws
// its foreground colour: dark modules normally, light modules with
// Options.Invert (for a dark terminal). Full blocks use two characters "██"
// or "  " per module, so that modules are about square; with
// Options.HalfBlocks each line holds two module rows drawn with ▀ ▄ █ and
// space, and the last line of an odd number of rows is completed with a
// light row. Options.Size is ignored.
func (c *Code) Terminal() string {
	m := c.Modules()
	// at is light beyond the grid, which completes an odd last half-block row.
	ink := func(x, y int) bool { return c.at(x, y) != c.opts.Invert }
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

// Terminal encodes text with opts and returns [Code.Terminal].
func Terminal(text string, opts Options) (string, error) {
	c, err := New(text, opts)
	if err != nil {
		return "", err
	}
	return c.Terminal(), nil
}
