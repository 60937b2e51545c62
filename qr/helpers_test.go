package qr_test

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/skip2/go-qrcode"

	"github.com/mdmcred/mdmcred/qr"
)

// decoded is what gozxing read from an image.
type decoded struct {
	Text  string
	Level string // "L", "M", "Q" or "H"
	Bytes bool   // a byte-mode segment was present
}

// decodeImage reads a QR Code from img with gozxing. A negative image
// (Options.Invert) is turned back to positive first, and a white margin is
// added so that a symbol drawn without a quiet zone can be found.
func decodeImage(img image.Image, invert bool) (decoded, error) {
	b := img.Bounds()
	margin := 16
	if b.Dx() > 0 {
		margin = max(16, b.Dx()/8)
	}
	canvas := image.NewGray(image.Rect(0, 0, b.Dx()+2*margin, b.Dy()+2*margin))
	draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	// Over: a transparent background shows the white page.
	draw.Draw(canvas, b.Sub(b.Min).Add(image.Pt(margin, margin)), img, b.Min, draw.Over)
	if invert {
		inner := b.Sub(b.Min).Add(image.Pt(margin, margin))
		for y := inner.Min.Y; y < inner.Max.Y; y++ {
			for x := inner.Min.X; x < inner.Max.X; x++ {
				i := canvas.PixOffset(x, y)
				canvas.Pix[i] = 0xff - canvas.Pix[i]
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(canvas)
	if err != nil {
		return decoded{}, err
	}
	hints := map[gozxing.DecodeHintType]interface{}{
		gozxing.DecodeHintType_CHARACTER_SET: "UTF-8",
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		// gozxing's finder-pattern detector misses some clean symbols (the
		// raw go-qrcode PNG of the same text as well); its pure-barcode
		// path samples the grid directly.
		hints[gozxing.DecodeHintType_PURE_BARCODE] = true
		var err2 error
		if res, err2 = zxqr.NewQRCodeReader().Decode(bmp, hints); err2 != nil {
			return decoded{}, fmt.Errorf("%w; pure barcode: %w", err, err2)
		}
	}
	d := decoded{Text: res.GetText()}
	md := res.GetResultMetadata()
	if l, ok := md[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string); ok {
		d.Level = l
	}
	_, d.Bytes = md[gozxing.ResultMetadataType_BYTE_SEGMENTS]
	return d, nil
}

// gridFromImage reads the modules of a PNG drawn by Code.Image: modules
// per side, scale pixels each, centred in an image of side pixels. Every
// pixel must be ink or paper, the margin around the modules paper, and each
// module's pixels all one colour; a module is dark where it is ink.
func gridFromImage(img image.Image, modules, side, scale int, ink, paper color.Color) ([][]bool, error) {
	if got := img.Bounds(); got.Dx() != side || got.Dy() != side {
		return nil, fmt.Errorf("image is %v, want %d×%d", got, side, side)
	}
	if scale < qr.MinPixelsPerModule || scale*modules > side {
		return nil, fmt.Errorf("%d modules of %d pixels do not fit %d", modules, scale, side)
	}
	off := (side - scale*modules) / 2
	inkC, paperC := color.NRGBAModel.Convert(ink), color.NRGBAModel.Convert(paper)
	isInk := func(x, y int) (bool, error) {
		switch color.NRGBAModel.Convert(img.At(x, y)) {
		case inkC:
			return true, nil
		case paperC:
			return false, nil
		}
		return false, fmt.Errorf("pixel (%d,%d) is %v, neither ink %v nor paper %v", x, y, img.At(x, y), inkC, paperC)
	}
	if p, ok := img.(*image.Paletted); ok {
		// Fast path: read the palette once.
		kind := make([]int, len(p.Palette)) // 0 other, 1 ink, 2 paper
		for i, c := range p.Palette {
			switch color.NRGBAModel.Convert(c) {
			case inkC:
				kind[i] = 1
			case paperC:
				kind[i] = 2
			}
		}
		isInk = func(x, y int) (bool, error) {
			switch kind[p.Pix[p.PixOffset(x, y)]] {
			case 1:
				return true, nil
			case 2:
				return false, nil
			}
			return false, fmt.Errorf("pixel (%d,%d) is neither ink nor paper", x, y)
		}
	}
	grid := make([][]bool, modules)
	for i := range grid {
		grid[i] = make([]bool, modules)
	}
	for y := range side {
		for x := range side {
			v, err := isInk(x, y)
			if err != nil {
				return nil, err
			}
			mx, my := (x-off)/scale, (y-off)/scale
			if x < off || y < off || mx >= modules || my >= modules {
				if v {
					return nil, fmt.Errorf("margin pixel (%d,%d) is not paper", x, y)
				}
				continue
			}
			if (x-off)%scale == 0 && (y-off)%scale == 0 {
				grid[my][mx] = v
			} else if grid[my][mx] != v {
				return nil, fmt.Errorf("module (%d,%d) is not uniform", mx, my)
			}
		}
	}
	return grid, nil
}

var (
	svgViewBox = regexp.MustCompile(`^<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="(\d+)" height="(\d+)" viewBox="0 0 (\d+) (\d+)" shape-rendering="crispEdges"><rect width="(\d+)" height="(\d+)" (fill="#[0-9a-f]{6}"(?: fill-opacity="[01](?:\.\d{1,3})?")?)/><path (fill="#[0-9a-f]{6}"(?: fill-opacity="[01](?:\.\d{1,3})?")?) d="([^"]*)"/></svg>$`)
	svgRun     = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
)

// svg is an SVG document from Code.SVG, parsed back.
type svg struct {
	Width, Height int
	Background    string   // the rectangle's fill attributes
	Foreground    string   // the path's fill attributes
	Grid          [][]bool // true where the path paints
}

// parseSVG parses the document that Code.SVG writes. It is strict: any
// deviation from the expected shape is an error.
func parseSVG(s string) (svg, error) {
	m := svgViewBox.FindStringSubmatch(s)
	if m == nil {
		return svg{}, errors.New("svg: unexpected document shape")
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	out := svg{Width: atoi(m[1]), Height: atoi(m[2]), Background: m[7], Foreground: m[8]}
	n := atoi(m[3])
	if atoi(m[4]) != n || atoi(m[5]) != n || atoi(m[6]) != n || n == 0 || n > 1000 {
		return svg{}, fmt.Errorf("svg: viewBox and background disagree: %q", m[3:7])
	}
	out.Grid = make([][]bool, n)
	for i := range out.Grid {
		out.Grid[i] = make([]bool, n)
	}
	d := m[9]
	for d != "" {
		r := svgRun.FindStringSubmatch(d)
		if r == nil {
			return svg{}, fmt.Errorf("svg: bad path at %.20q", d)
		}
		x, y, w := atoi(r[1]), atoi(r[2]), atoi(r[3])
		if atoi(r[4]) != w || w == 0 || y >= n || x+w > n {
			return svg{}, fmt.Errorf("svg: bad run %q", r[0])
		}
		for i := x; i < x+w; i++ {
			if out.Grid[y][i] {
				return svg{}, fmt.Errorf("svg: overlapping run %q", r[0])
			}
			out.Grid[y][i] = true
		}
		d = d[len(r[0]):]
	}
	return out, nil
}

// parseTerminal turns the output of Code.Terminal back into a grid of
// modules (true = dark), given the options it was drawn with and the number
// of module rows (needed for half blocks, where the last line may hold one).
func parseTerminal(s string, o qr.Options, modules int) ([][]bool, error) {
	lines := strings.Split(s, "\n")
	if lines[len(lines)-1] != "" {
		return nil, errors.New("terminal: last line not terminated")
	}
	lines = lines[:len(lines)-1]
	var ink [][]bool
	for _, line := range lines {
		r := []rune(line)
		if !o.HalfBlocks {
			if len(r)%2 != 0 {
				return nil, fmt.Errorf("terminal: odd line width %d", len(r))
			}
			row := make([]bool, len(r)/2)
			for i := range row {
				switch string(r[2*i : 2*i+2]) {
				case "██":
					row[i] = true
				case "  ":
				default:
					return nil, fmt.Errorf("terminal: unexpected %q", string(r[2*i:2*i+2]))
				}
			}
			ink = append(ink, row)
			continue
		}
		top, bottom := make([]bool, len(r)), make([]bool, len(r))
		for i, c := range r {
			switch c {
			case '█':
				top[i], bottom[i] = true, true
			case '▀':
				top[i] = true
			case '▄':
				bottom[i] = true
			case ' ':
			default:
				return nil, fmt.Errorf("terminal: unexpected %q", c)
			}
		}
		ink = append(ink, top, bottom)
	}
	if o.HalfBlocks && len(ink) == modules+1 {
		// The padding row is light.
		for _, v := range ink[modules] {
			if v != o.Invert {
				return nil, errors.New("terminal: padding row is not light")
			}
		}
		ink = ink[:modules]
	}
	if len(ink) != modules {
		return nil, fmt.Errorf("terminal: %d rows, want %d", len(ink), modules)
	}
	for y, row := range ink {
		if len(row) != modules {
			return nil, fmt.Errorf("terminal: row %d has %d modules, want %d", y, len(row), modules)
		}
		for x := range row {
			row[x] = row[x] != o.Invert // ink is the light modules when inverted
		}
	}
	return ink, nil
}

// goQRCodeBitmap is go-qrcode's own bitmap of text, with its fixed 4-module
// border: the reference our grid must reproduce.
func goQRCodeBitmap(text string, l qr.Level) ([][]bool, error) {
	rl := map[qr.Level]qrcode.RecoveryLevel{qr.Low: qrcode.Low, qr.Medium: qrcode.Medium, qr.Quartile: qrcode.High, qr.High: qrcode.Highest}[l]
	q, err := qrcode.New(text, rl)
	if err != nil {
		return nil, err
	}
	return q.Bitmap(), nil
}

// sameGrid reports the first difference between two grids.
func sameGrid(got, want [][]bool) error {
	if len(got) != len(want) {
		return fmt.Errorf("grid has %d rows, want %d", len(got), len(want))
	}
	for y := range want {
		if len(got[y]) != len(want[y]) {
			return fmt.Errorf("row %d has %d modules, want %d", y, len(got[y]), len(want[y]))
		}
		for x := range want[y] {
			if got[y][x] != want[y][x] {
				return fmt.Errorf("module (%d,%d) is %v, want %v", x, y, got[y][x], want[y][x])
			}
		}
	}
	return nil
}

// crop removes a quiet zone of qz modules from a grid.
func crop(grid [][]bool, qz int) [][]bool {
	out := make([][]bool, 0, len(grid)-2*qz)
	for _, row := range grid[qz : len(grid)-qz] {
		out = append(out, row[qz:len(row)-qz])
	}
	return out
}

// wantLayout is the PNG side and pixels per module the documentation
// promises for a symbol of modules per side, computed independently of the
// package: Size as given (largest whole scale that fits), or modules times
// PixelsPerModule, or 256 unless that leaves under 2 pixels per module.
func wantLayout(o qr.Options, modules int) (side, scale int) {
	switch {
	case o.PixelsPerModule != 0:
		return modules * o.PixelsPerModule, o.PixelsPerModule
	case o.Size != 0:
		return o.Size, o.Size / modules
	}
	side = max(256, 2*modules)
	return side, side / modules
}

// wantColors returns the ink (dark modules) and paper (light modules and
// margin) the options promise for the PNG and SVG.
func wantColors(o qr.Options) (ink, paper color.Color) {
	ink, paper = color.Black, color.White
	if o.Foreground != nil {
		ink = o.Foreground
	}
	if o.Background != nil {
		paper = o.Background
	}
	if o.Invert {
		ink, paper = paper, ink
	}
	return ink, paper
}

// fillAttr is the SVG fill attribute of a colour: #rrggbb of its
// non-premultiplied value, and an opacity when it is not opaque.
func fillAttr(c color.Color) string {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	s := fmt.Sprintf(`fill="#%02x%02x%02x"`, n.R, n.G, n.B)
	if n.A != 0xff {
		s += fmt.Sprintf(` fill-opacity="%s"`, strconv.FormatFloat(float64(int(n.A)*1000/255)/1000, 'f', -1, 64))
	}
	return s
}

// pad surrounds a grid with k light modules on every side.
func pad(grid [][]bool, k int) [][]bool {
	n := len(grid) + 2*k
	out := make([][]bool, n)
	for y := range out {
		out[y] = make([]bool, n)
		if y >= k && y < n-k {
			copy(out[y][k:], grid[y-k])
		}
	}
	return out
}

// rasterizeSVG draws a parsed SVG at its stated width and height the way a
// renderer does with shape-rendering="crispEdges": a pixel takes the colour
// of the module under its centre, the viewBox stretched over the width. At
// a width that is not a whole multiple of the modules, modules come out
// uneven, which is what the width rule prevents.
func rasterizeSVG(s svg) image.Image {
	n := len(s.Grid)
	img := image.NewGray(image.Rect(0, 0, s.Width, s.Height))
	for py := range s.Height {
		my := (2*py + 1) * n / (2 * s.Height)
		for px := range s.Width {
			mx := (2*px + 1) * n / (2 * s.Width)
			if !s.Grid[my][mx] {
				img.Pix[img.PixOffset(px, py)] = 0xff
			}
		}
	}
	return img
}

// screenshot draws the output of Code.Terminal as a terminal shows it: a
// character cell is 4×8 pixels for full blocks (a module is "██", 8×8) and
// 8×16 for half blocks (▀ ▄ each half a cell, a module 8×8 again), the
// block characters in the foreground colour, everything else, including a
// 16-pixel border of window around the text, in the background colour. A
// light terminal has dark text; a dark one (invert) light text.
func screenshot(t testing.TB, s string, half, invert bool) *image.Gray {
	t.Helper()
	fgY, bgY := uint8(0x00), uint8(0xff)
	if invert {
		fgY, bgY = bgY, fgY
	}
	cw, ch := 4, 8
	if half {
		cw, ch = 8, 16
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	cols := 0
	for _, l := range lines {
		cols = max(cols, utf8.RuneCountInString(l))
	}
	const border = 16
	img := image.NewGray(image.Rect(0, 0, cols*cw+2*border, len(lines)*ch+2*border))
	for i := range img.Pix {
		img.Pix[i] = bgY
	}
	fill := func(x0, y0, w, h int) {
		for y := y0; y < y0+h; y++ {
			for x := x0; x < x0+w; x++ {
				img.Pix[img.PixOffset(border+x, border+y)] = fgY
			}
		}
	}
	for row, l := range lines {
		for col, r := range []rune(l) {
			x, y := col*cw, row*ch
			switch r {
			case '█':
				fill(x, y, cw, ch)
			case '▀':
				fill(x, y, cw, ch/2)
			case '▄':
				fill(x, y+ch/2, cw, ch/2)
			case ' ':
			default:
				t.Fatalf("terminal: unexpected %q", r)
			}
		}
	}
	return img
}

func validUTF8(s string) bool { return utf8.ValidString(s) }
