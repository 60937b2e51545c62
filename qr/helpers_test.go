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
	draw.Draw(canvas, b.Sub(b.Min).Add(image.Pt(margin, margin)), img, b.Min, draw.Src)
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

// rasterize draws a module grid (true = dark) as a positive image with scale
// pixels per module.
func rasterize(grid [][]bool, scale int) image.Image {
	n := len(grid)
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			if !grid[y/scale][x/scale] {
				img.Pix[img.PixOffset(x, y)] = 0xff
			}
		}
	}
	return img
}

// gridFromImage samples the centre of every module of a PNG drawn by
// Code.Image, checking that each module's pixels are all one colour.
func gridFromImage(img image.Image, modules, size int, invert bool) ([][]bool, error) {
	if got := img.Bounds(); got.Dx() != size || got.Dy() != size {
		return nil, fmt.Errorf("image is %v, want %d×%d", got, size, size)
	}
	scale := size / modules
	off := (size - scale*modules) / 2
	isDark := func(x, y int) bool {
		g := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
		return (g.Y < 0x80) != invert
	}
	if p, ok := img.(*image.Paletted); ok {
		// Fast path: read the palette once.
		dark := make([]bool, len(p.Palette))
		for i, c := range p.Palette {
			dark[i] = (color.GrayModel.Convert(c).(color.Gray).Y < 0x80) != invert
		}
		isDark = func(x, y int) bool { return dark[p.Pix[p.PixOffset(x, y)]] }
	}
	// The margin outside the modules is the background.
	for y := range size {
		for x := range size {
			in := x >= off && y >= off && x < off+scale*modules && y < off+scale*modules
			if !in && isDark(x, y) {
				return nil, fmt.Errorf("margin pixel (%d,%d) is not background", x, y)
			}
		}
	}
	grid := make([][]bool, modules)
	for my := range modules {
		grid[my] = make([]bool, modules)
		for mx := range modules {
			v := isDark(off+mx*scale, off+my*scale)
			for py := range scale {
				for px := range scale {
					if isDark(off+mx*scale+px, off+my*scale+py) != v {
						return nil, fmt.Errorf("module (%d,%d) is not uniform", mx, my)
					}
				}
			}
			grid[my][mx] = v
		}
	}
	return grid, nil
}

var (
	svgViewBox = regexp.MustCompile(`^<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="(\d+)" height="(\d+)" viewBox="0 0 (\d+) (\d+)" shape-rendering="crispEdges"><rect width="(\d+)" height="(\d+)" fill="(#[0-9a-f]{3})"/><path fill="(#[0-9a-f]{3})" d="([^"]*)"/></svg>$`)
	svgRun     = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
)

// svg is an SVG document from Code.SVG, parsed back.
type svg struct {
	Width, Height int
	Background    string
	Foreground    string
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
