package crockford

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

func TestEncodeDecodeTable(t *testing.T) {
	tests := []struct {
		src   []byte
		nbits int
		want  string
	}{
		{nil, 0, ""},
		{[]byte{0x00}, 8, "00"},
		{[]byte{0xFF}, 8, "ZW"},
		{[]byte{0xF8}, 5, "Z"},
		{[]byte{0x08}, 5, "1"},
		{[]byte("f"), 8, "CR"},
		{[]byte("foobar"), 48, "CSQPYRK1E8"},
		{[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 40, "ZZZZZZZZ"},
		{[]byte{0x01, 0x23, 0x45, 0x67, 0x89}, 40, "04HMASW9"},
	}
	for _, tt := range tests {
		if got := Encode(tt.src, tt.nbits); got != tt.want {
			t.Errorf("Encode(%x, %d) = %q, want %q", tt.src, tt.nbits, got, tt.want)
		}
		dst := make([]byte, (tt.nbits+7)/8)
		if err := Decode(dst, tt.want, tt.nbits); err != nil {
			t.Errorf("Decode(%q): %v", tt.want, err)
		}
		if !bytes.Equal(dst, tt.src[:len(dst)]) {
			t.Errorf("Decode(%q) = %x, want %x", tt.want, dst, tt.src)
		}
		if err := Decode(dst, strings.ToLower(tt.want), tt.nbits); err != nil {
			t.Errorf("Decode(lower %q): %v", tt.want, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		pos      int // -1 for no error
	}{
		{"abc-def ghj", "ABCDEFGHJ", -1},
		{"oOiIlL", "001111", -1},
		{"  -- ", "", -1},
		{"*~$=u", "*~$=U", -1},
		{"AB!C", "", 2},
		{"é", "", 0},
		{"ABC\x00", "", 3},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if tt.pos >= 0 {
			var se *SymbolError
			if !errors.As(err, &se) || se.Pos != tt.pos || !errors.Is(err, ErrSymbol) {
				t.Errorf("Normalize(%q) err = %v, want SymbolError at %d", tt.in, err, tt.pos)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	dst := make([]byte, 2)
	tests := []struct {
		in    string
		nbits int
		want  error
	}{
		{"000", 16, ErrLength}, // 16 bits is 4 symbols
		{"00000", 16, ErrLength},
		{"0001", 16, ErrPad}, // last symbol's low 4 bits are padding
		{"00U0", 16, ErrSymbol},
		{"00*0", 16, ErrSymbol},
		{"00!0", 16, ErrSymbol},
		{"0000", 24, ErrLength}, // dst too small
		{"", -1, ErrLength},
	}
	for _, tt := range tests {
		if err := Decode(dst, tt.in, tt.nbits); !errors.Is(err, tt.want) {
			t.Errorf("Decode(%q, %d) = %v, want %v", tt.in, tt.nbits, err, tt.want)
		}
	}
}

func TestCheckSymbol(t *testing.T) {
	// Expectations computed independently, by integer arithmetic on small values.
	for _, s := range []string{"0", "1", "Z", "10", "11", "12", "13", "14", "15", "ZZ", "ABC", "16J"} {
		v := 0
		for _, c := range s {
			v = v*32 + strings.IndexRune(Alphabet, c)
		}
		got, err := Check(s)
		if err != nil || got != CheckAlphabet[v%37] {
			t.Errorf("Check(%q) = %q, %v; want %q", s, got, err, CheckAlphabet[v%37])
		}
	}
	if got, _ := Check("10"); got != '*' {
		t.Errorf("Check(10) = %q, want * (value 32)", got)
	}
	if got, _ := Check("14"); got != 'U' {
		t.Errorf("Check(14) = %q, want U (value 36)", got)
	}
	if _, err := Check("1*"); !errors.Is(err, ErrSymbol) {
		t.Errorf("Check with a check symbol in the data: %v", err)
	}
}

func TestSplitCheck(t *testing.T) {
	data := "0123456789ABCDEFGHJK"
	c, _ := Check(data)
	full := Group(data+string(c), 5, "-")
	got, err := SplitCheck(strings.ToLower(full))
	if err != nil || got != data {
		t.Fatalf("SplitCheck(%q) = %q, %v", full, got, err)
	}
	bad := data[:3] + "X" + data[4:] + string(c)
	if _, err := SplitCheck(bad); !errors.Is(err, ErrCheck) {
		t.Fatalf("typo not caught: %v", err)
	}
	for _, in := range []string{"", "-", "A"} {
		if _, err := SplitCheck(in); !errors.Is(err, ErrLength) {
			t.Errorf("SplitCheck(%q) = %v, want ErrLength", in, err)
		}
	}
	if _, err := SplitCheck("AB#C"); !errors.Is(err, ErrSymbol) {
		t.Errorf("SplitCheck bad symbol: %v", err)
	}
}

func TestGroup(t *testing.T) {
	for _, tt := range []struct {
		in   string
		size int
		want string
	}{
		{"ABCDEFGHJK", 5, "ABCDE-FGHJK"},
		{"ABCDEFGHJKM", 5, "ABCDE-FGHJK-M"},
		{"ABC", 5, "ABC"},
		{"ABC", 0, "ABC"},
		{"", 4, ""},
	} {
		if got := Group(tt.in, tt.size, "-"); got != tt.want {
			t.Errorf("Group(%q,%d) = %q, want %q", tt.in, tt.size, got, tt.want)
		}
	}
}

func TestProperties(t *testing.T) {
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	p.Property("decode(encode(bits)) == bits", prop.ForAll(
		func(src []byte, cut int) bool {
			nbits := 8*len(src) - cut%8
			if nbits < 0 {
				nbits = 0
			}
			s := Encode(src, nbits)
			if len(s) != EncodedLen(nbits) {
				return false
			}
			dst := make([]byte, (nbits+7)/8)
			if err := Decode(dst, s, nbits); err != nil {
				return false
			}
			want := append([]byte(nil), src[:len(dst)]...)
			if r := nbits % 8; r != 0 {
				want[len(want)-1] &= byte(0xFF << (8 - r))
			}
			return bytes.Equal(dst, want)
		},
		gen.SliceOf(gen.UInt8()),
		gen.IntRange(0, 7),
	))
	p.Property("every substitution and adjacent transposition changes the check", prop.ForAll(
		func(src []byte) bool {
			s := Encode(src, 8*len(src))
			c, _ := Check(s)
			for i := 0; i < len(s); i++ {
				for _, r := range []byte(Alphabet) {
					if r == s[i] {
						continue
					}
					if alt, _ := Check(s[:i] + string(r) + s[i+1:]); alt == c {
						return false
					}
				}
				if i+1 < len(s) && s[i] != s[i+1] {
					if alt, _ := Check(s[:i] + string(s[i+1]) + string(s[i]) + s[i+2:]); alt == c {
						return false
					}
				}
			}
			return true
		},
		gen.SliceOfN(15, gen.UInt8()),
	))
	p.Property("normalize is idempotent and grouping-invariant", prop.ForAll(
		func(src []byte) bool {
			s := Encode(src, 8*len(src))
			a, err1 := Normalize(strings.ToLower(Group(s, 4, " ")))
			b, err2 := Normalize(a)
			return err1 == nil && err2 == nil && a == s && b == s
		},
		gen.SliceOf(gen.UInt8()),
	))
	p.TestingRun(t)
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"", "00", "ZW", "CSQPYRK1E8", "0001", "00U0", "abc-def", "oOiIlL", "*~$=U", "\xff"} {
		f.Add(s, 16)
	}
	f.Fuzz(func(t *testing.T, s string, nbits int) {
		if nbits < 0 || nbits > 1024 {
			nbits %= 1024
			if nbits < 0 {
				nbits = -nbits
			}
		}
		dst := make([]byte, (nbits+7)/8)
		err := Decode(dst, s, nbits)
		if err != nil {
			if !errors.Is(err, ErrSymbol) && !errors.Is(err, ErrLength) && !errors.Is(err, ErrPad) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		norm, nerr := Normalize(s)
		if nerr != nil {
			t.Fatalf("Decode accepted what Normalize rejects: %v", nerr)
		}
		if got := Encode(dst, nbits); got != norm {
			t.Fatalf("round trip: %q -> %x -> %q", norm, dst, got)
		}
	})
}

func FuzzSplitCheck(f *testing.F) {
	for _, s := range []string{"", "A", "00", "0123456789ABCDEFGHJKM", "AB#C", "10*", "14u"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data, err := SplitCheck(s)
		if err != nil {
			if !errors.Is(err, ErrSymbol) && !errors.Is(err, ErrLength) && !errors.Is(err, ErrCheck) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		c, err := Check(data)
		if err != nil {
			t.Fatal(err)
		}
		again, err := SplitCheck(data + string(c))
		if err != nil || again != data {
			t.Fatalf("re-check of %q failed: %v", data, err)
		}
	})
}

func BenchmarkEncode120(b *testing.B) {
	src := make([]byte, 15)
	dst := make([]byte, 0, 24)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendEncode(dst[:0], src, 120)
	}
}

func BenchmarkDecode120(b *testing.B) {
	s := Group(Encode(bytes.Repeat([]byte{0xA5}, 15), 120), 5, "-")
	dst := make([]byte, 15)
	b.ReportAllocs()
	for b.Loop() {
		if err := Decode(dst, s, 120); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	s := Encode(bytes.Repeat([]byte{0xA5}, 15), 120)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Check(s)
	}
}
