package qr

import (
	"image/color"
	"testing"
)

// TestResolveTransparent: a colour with no alpha is kept as transparent
// white, never as the transparent black color.NRGBAModel makes of
// color.Transparent, which a reader that drops the alpha channel sees as
// black.
func TestResolveTransparent(t *testing.T) {
	for _, c := range []color.Color{color.Transparent, color.RGBA{}, color.NRGBA{R: 9, G: 9, B: 9}, color.Alpha{}} {
		got, err := resolve("Background", c, white)
		if err != nil || got != (color.NRGBA{R: 0xff, G: 0xff, B: 0xff}) {
			t.Errorf("resolve(%v) = %v, %v, want transparent white", c, got, err)
		}
	}
	if got, _ := resolve("Background", color.NRGBA{R: 1, G: 2, B: 3, A: 4}, white); got != (color.NRGBA{R: 1, G: 2, B: 3, A: 4}) {
		t.Errorf("a translucent colour changed: %v", got)
	}
}
