package qr_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/qr"
)

func params(n int) *gopter.TestParameters {
	p := gopter.DefaultTestParameters()
	p.MinSuccessfulTests = n
	return p
}

// genAlphanumeric: texts from the QR alphanumeric set.
func genAlphanumeric() gopter.Gen { return gen.RegexMatch(`[0-9A-Z $%*+./:-]{1,60}`) }

// genBytes: printable ASCII texts, which need byte mode as soon as they hold
// a lowercase letter or punctuation outside the alphanumeric set.
func genBytes() gopter.Gen { return gen.RegexMatch(`[ -~]{1,80}`) }

// genUnicode: valid UTF-8 texts of 1 to 12 runes, mixing ASCII, the rest of
// the basic multilingual plane and the astral planes (4-byte UTF-8).
func genUnicode() gopter.Gen {
	r := gen.OneGenOf(
		gen.RuneRange(0x00, 0x7f),
		gen.RuneRange(0x80, 0xd7ff),
		gen.RuneRange(0xe000, 0xfffd),
		gen.RuneRange(0x10000, 0x10ffff),
	)
	return gopter.CombineGens(gen.IntRange(1, 12), gen.SliceOfN(12, r)).Map(func(v []interface{}) string {
		return string(v[1].([]rune)[:v[0].(int)])
	})
}

// genOptions: every valid combination except Size (which depends on the
// symbol; TestPropertySizeScale covers it) and the colours: the default
// size or 2 to 4 pixels per module.
func genOptions() gopter.Gen {
	return gopter.CombineGens(
		gen.IntRange(int(qr.Medium), int(qr.High)),
		gen.IntRange(qr.NoQuietZone, qr.MaxQuietZone),
		gen.Bool(), gen.Bool(),
		gen.OneConstOf(0, 2, 3, 4),
	).Map(func(v []interface{}) qr.Options {
		return qr.Options{Level: qr.Level(v[0].(int)), QuietZone: v[1].(int), Invert: v[2].(bool), HalfBlocks: v[3].(bool),
			PixelsPerModule: v[4].(int)}
	})
}

// For all texts and options: the PNG decodes back to the text.
func TestPropertyPNGRoundTrip(t *testing.T) {
	p := gopter.NewProperties(params(60))
	check := func(text string, o qr.Options) bool {
		c, err := qr.New(text, o)
		if err != nil {
			t.Logf("New: %v", err)
			return false
		}
		got, err := pngDecode(c)
		if err != nil {
			t.Logf("decode %q %+v: %v", text, o, err)
			return false
		}
		return got.Text == text && got.Level == o.Level.String() && got.Bytes == (qr.ModeOf(text) == qr.Byte)
	}
	p.Property("alphanumeric", prop.ForAll(check, genAlphanumeric(), genOptions()))
	p.Property("ascii bytes", prop.ForAll(check, genBytes(), genOptions()))
	p.Property("utf-8", prop.ForAll(check, genUnicode(), genOptions()))
	p.TestingRun(t)
}

// For all texts and options: the SVG and terminal grids are the bitmap, the
// bitmap is go-qrcode's symbol inside a light quiet zone, and the version is
// the smallest that holds the text.
func TestPropertyGrids(t *testing.T) {
	p := gopter.NewProperties(params(100))
	check := func(text string, o qr.Options) bool {
		c, err := qr.New(text, o)
		if err != nil {
			return false
		}
		bitmap := c.Bitmap()
		s, err := parseSVG(c.SVG())
		if err != nil || sameGrid(s.Grid, bitmap) != nil {
			return false
		}
		extra := terminalQuietZone(o) - quietZone(o)
		term, err := parseTerminal(c.Terminal(), o, c.Modules()+2*extra)
		if err != nil || sameGrid(term, pad(bitmap, extra)) != nil {
			return false
		}
		ref, err := goQRCodeBitmap(text, o.Level)
		if err != nil || sameGrid(crop(bitmap, quietZone(o)), crop(ref, 4)) != nil {
			return false
		}
		requireSmallest(t, text, c)
		return c.Modules() == 17+4*c.Version()+2*quietZone(o)
	}
	p.Property("alphanumeric", prop.ForAll(check, genAlphanumeric(), genOptions()))
	p.Property("bytes", prop.ForAll(check, genUnicode(), genOptions()))
	p.TestingRun(t)
}

// For all 25-symbol Crockford Base32 codes, grouped by five or not: version
// 3 or less at level M, in alphanumeric mode (the servicepass requirement).
func TestPropertyServicepassCodeFits(t *testing.T) {
	const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	p := gopter.NewProperties(params(300))
	p.Property("version <= 3", prop.ForAll(func(code string, grouped bool) bool {
		text := code
		if grouped {
			var b strings.Builder
			for i := 0; i < len(code); i += 5 {
				if i > 0 {
					b.WriteByte('-')
				}
				b.WriteString(code[i : i+5])
			}
			text = b.String()
		}
		c, err := qr.New(text, qr.Options{})
		return err == nil && c.Version() <= 3 && c.Mode() != qr.Byte
	}, gen.RegexMatch(`[`+crockford+`]{25}`).SuchThat(func(s string) bool { return len(s) == 25 }), gen.Bool()))
	p.TestingRun(t)
}

// For all texts: ModeOf agrees with the character classes.
func TestPropertyModeOf(t *testing.T) {
	p := gopter.NewProperties(params(500))
	p.Property("byte iff outside the alphanumeric set", prop.ForAll(func(s string) bool {
		outside := strings.IndexFunc(s, func(r rune) bool {
			return !strings.ContainsRune("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", r)
		}) >= 0 || !utf8.ValidString(s)
		return (qr.ModeOf(s) == qr.Byte) == outside
	}, gen.AnyString()))
	p.TestingRun(t)
}

// For all texts and sizes: Size is refused exactly when it leaves under 2
// pixels a module, with the minimum in the error; otherwise the scale is
// the largest whole number of pixels per module that fits, the PNG is Size
// pixels and the SVG the modules times the scale.
func TestPropertySizeScale(t *testing.T) {
	p := gopter.NewProperties(params(300))
	p.Property("largest whole scale, at least 2", prop.ForAll(func(text string, size, qz int) bool {
		o := qr.Options{Size: size, QuietZone: qz}
		ref, err := qr.New(text, qr.Options{QuietZone: qz})
		if err != nil {
			return false
		}
		m := ref.Modules()
		c, err := qr.New(text, o)
		if size < 2*m {
			var oe *qr.OptionError
			return errors.As(err, &oe) && oe.Field == "Size" && oe.Min == 2*m && oe.Value == size
		}
		if err != nil {
			return false
		}
		s, err := parseSVG(c.SVG())
		k := c.PixelsPerModule()
		return err == nil && c.Size() == size && k >= 2 && k*m <= size && (k+1)*m > size &&
			s.Width == k*m && s.Height == k*m
	}, gen.OneGenOf(genAlphanumeric(), genUnicode()), gen.IntRange(qr.MinSize, 1024), gen.IntRange(qr.NoQuietZone, qr.MaxQuietZone)))
	p.TestingRun(t)
}
