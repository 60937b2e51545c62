package escrow

import (
	"crypto/fips140"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// bypassVectors are micromdm/nanodep's albc vectors (raw bytes, code,
// hash), themselves checked against codes and hashes Apple's services
// accept.
var bypassVectors = []struct{ raw, code, hash string }{
	{"00000000000000000000000000000000", "00000-00000-0000-0000-0000-0000", "deab860d28deb5b7121d6d8fcf0f78e1471756d1b2c566c03277c23ea8930b4f"},
	{"1ea841db5edfafe6075b5ae0d845d254", "3UM43-PUYVY-QYD1-UVCC-HEHJ-FKA4", "6ab40d5eabe7218ec04182f461005600c7e3426bddd82cdb405bde9a1e0014b5"},
	{"44ebe63375969fec2da67e87e7317946", "8LNYD-DVNKU-GYRC-E6GU-3YFD-CT86", "c1968cb4c013ea893f1922bb5c39f81e35012c0bd9ce3c01cc2a05873a2499e6"},
	{"cb84798c3ca85a674194550a2e96aed8", "TF27L-31WN1-E6FH-DMAM-52X5-NFV0", "23cf8b7873425fd8efe31dc5b6ab9c357eb98a2a59c82ea1084ca8af58cc480a"},
	{"89195c9b79178736203bd9d591ea7c0f", "J4DNT-6VT2Y-3LD8-1VV7-AT3U-LW17", "59b9b3fa9ec4b806612b8b1fe6f12fcc3903156a58bcf4cae53a8a78dad563d3"},
	{"60110f362c6f7a90dd1ef2845f32482f", "D08HY-EJDEX-X91Q-8YYA-25YD-K857", "4d19162b50dd61536d72c0662dce9d533a1f46137d6db97501ceb171fcbae7dd"},
	{"9653b0f9b495d8fab25e728ff041b0f1", "KT9V1-YEMKQ-DGND-KYFA-7Z0H-EHY1", "5893831ab50670e96f5d245a4f597c86eeffd16aac3ee5bb1c2251affb004a33"},
	{"0de305a24090fc54b61ed7e9e39569fb", "1QJHC-8K0K3-Y59E-HYUZ-MY75-C9Z3", "1db2f16ad21a135b9c2523725e836c0b0528fec83c195c6ecdf8761fd877889a"},
	{"f398ef9199e9f0aefea0e782ab8b61a9", "YFDFZ-4DTX7-RAXZ-N0WY-1AQ2-V1N1", "7c7715d092a5cfcd16a6037555e11e4fa53edda9cda4d8464d58ef39ba9b5b0f"},
	{"bd9e6a463a19ac706d379394bf97747a", "QPG6M-JJU36-P70V-9QKF-ACZ5-VMG2", "7cdf895759d090eb9d3ed833d0ed7d5d5b00a11a719293f44aa7741ffbe79f6a"},
}

// Every vector through every entry point: format, parse, hash, and the
// generator fed the vector's bytes.
func TestBypassVectors(t *testing.T) {
	for _, v := range bypassVectors {
		var raw [16]byte
		b, err := hex.DecodeString(v.raw)
		if err != nil {
			t.Fatal(err)
		}
		copy(raw[:], b)
		if got := formatBypassCode(raw); got != v.code {
			t.Errorf("format(%s) = %s, want %s", v.raw, got, v.code)
		}
		if got, err := parseBypassCode(v.code); err != nil || got != raw {
			t.Errorf("parse(%s) = %x, %v; want %s", v.code, got, err, v.raw)
		}
		if got, err := parseBypassCode(strings.ToLower(strings.ReplaceAll(v.code, "-", " "))); err != nil || got != raw {
			t.Errorf("parse(lower, spaces %s) = %x, %v", v.code, got, err)
		}
		if got, err := BypassHash(NewSecret(v.code)); fips140.Enabled() {
			if !errors.Is(err, ErrFIPS) {
				t.Errorf("FIPS 140-3 mode: BypassHash(%s) = %s, %v; want ErrFIPS", v.code, got, err)
			}
		} else if err != nil || got != v.hash {
			t.Errorf("BypassHash(%s) = %s, %v; want %s", v.code, got, err, v.hash)
		}
		sec, err := NewBypassCode(strings.NewReader(string(b)))
		if err != nil || sec.Reveal() != v.code {
			t.Errorf("NewBypassCode(%s) = %s, %v", v.raw, sec.Reveal(), err)
		}
	}
}

var bypassParseCases = []struct {
	in string
	ok bool
}{
	{"3UM43-PUYVY-QYD1-UVCC-HEHJ-FKA4", true},
	{"3um43puyvyqyd1uvcchehjfka4", true},
	{"3UM43 PUYVY QYD1 UVCC HEHJ FKA4", true},
	{"3UM43-PUYVY-QYD1-UVCC-HEHJ-FKA", false},   // 25 symbols
	{"3UM43-PUYVY-QYD1-UVCC-HEHJ-FKA44", false}, // 27 symbols
	{"3UM43-PUYVY-QYD1-UVCC-HEHJ-FKA8", false},  // last symbol above 7
	{"3UM43-PUYVY-QYD1-UVCC-HEHJ-FKAZ", false},  // last symbol above 7
	{"BUM43-PUYVY-QYD1-UVCC-HEHJ-FKA4", false},  // B is not in the alphabet
	{"OUM43-PUYVY-QYD1-UVCC-HEHJ-FKA4", false},  // O neither
	{"3UM43_PUYVY-QYD1-UVCC-HEHJ-FKA4", false},  // underscore
	{"", false},
	{"-----", false},
	{"3UM43-PUYVY-QYD1-UVCC-HEHJ-FKA4\x00", false},
	{strings.Repeat("0", 200), false},
}

func TestParseBypassCode(t *testing.T) {
	for _, c := range bypassParseCases {
		_, err := parseBypassCode(c.in)
		if (err == nil) != c.ok {
			t.Errorf("parse(%q): %v, want ok %v", c.in, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrBypassCode) {
			t.Errorf("parse(%q): %v does not match ErrBypassCode", c.in, err)
		}
		if c.ok {
			continue // the vectors hash valid codes
		}
		if _, herr := BypassHash(NewSecret(c.in)); !errors.Is(herr, ErrBypassCode) {
			t.Errorf("BypassHash(%q): %v", c.in, herr)
		}
	}
}

// FuzzParseBypassCode: the parser never panics; what it accepts formats to
// a code it reads back to the same bytes, and that code is the input
// upper-cased with its separators put in Apple's places.
func FuzzParseBypassCode(f *testing.F) {
	for _, c := range bypassParseCases {
		f.Add(c.in)
	}
	for _, v := range bypassVectors {
		f.Add(v.code)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw, err := parseBypassCode(s)
		if err != nil {
			if !errors.Is(err, ErrBypassCode) {
				t.Fatalf("error %v does not match ErrBypassCode", err)
			}
			return
		}
		code := formatBypassCode(raw)
		back, err := parseBypassCode(code)
		if err != nil || back != raw {
			t.Fatalf("round trip of %q: %q -> %x, %v", s, code, back, err)
		}
		norm := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
		if strings.ReplaceAll(code, "-", "") != norm {
			t.Fatalf("%q formats as %q", s, code)
		}
	})
}

// For all 16-byte strings: the code has Apple's shape and reads back to
// the same bytes.
func TestBypassRoundTripProperty(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9ACDEFGHJKLMNPQRTUVWXYZ]{5}-[0-9ACDEFGHJKLMNPQRTUVWXYZ]{5}(-[0-9ACDEFGHJKLMNPQRTUVWXYZ]{4}){3}-[0-9ACDEFGHJKLMNPQRTUVWXYZ]{3}[0-7]$`)
	props := gopter.NewProperties(gopter.DefaultTestParametersWithSeed(41))
	props.Property("parse(format(b)) = b", prop.ForAll(func(b []byte) bool {
		var raw [16]byte
		copy(raw[:], b)
		code := formatBypassCode(raw)
		back, err := parseBypassCode(code)
		return err == nil && back == raw && shape.MatchString(code)
	}, gen.SliceOfN(16, gen.UInt8())))
	props.TestingRun(t)
}
