package qr

import "fmt"

// layout returns the PNG side in pixels and the pixels per module for a
// symbol of m modules per side (quiet zone included), from Options.Size or
// Options.PixelsPerModule, which validate has checked in isolation. Every
// module is a whole number of pixels, at least MinPixelsPerModule.
func (o Options) layout(m int) (side, scale int, err error) {
	switch {
	case o.PixelsPerModule != 0:
		if side = o.PixelsPerModule * m; side > MaxSize {
			return 0, 0, &OptionError{Field: "PixelsPerModule", Value: o.PixelsPerModule,
				Min: MinPixelsPerModule, Max: MaxSize / m,
				Reason: fmt.Sprintf("%d modules would take %d pixels, over %d; at most %d", m, side, MaxSize, MaxSize/m)}
		}
		return side, o.PixelsPerModule, nil
	case o.Size != 0:
		if min := MinPixelsPerModule * m; o.Size < min {
			return 0, 0, &OptionError{Field: "Size", Value: o.Size, Min: min, Max: MaxSize,
				Reason: fmt.Sprintf("below %d, the minimum for %d modules at %d pixels each", min, m, MinPixelsPerModule)}
		}
		return o.Size, o.Size / m, nil
	}
	side = max(DefaultSize, MinPixelsPerModule*m)
	return side, side / m, nil
}

// Size returns the width and height in pixels of the PNG: Options.Size, or
// the modules times Options.PixelsPerModule, or the default. The zero Code
// gives 0.
func (c *Code) Size() int { return c.side }

// PixelsPerModule returns the side of one module in the PNG, and of one
// module unit of the SVG's width and height: the largest whole number of
// pixels with which [Code.Modules] modules fit [Code.Size]. It is at least
// [MinPixelsPerModule], except for the zero Code, which gives 0.
func (c *Code) PixelsPerModule() int { return c.scale }
