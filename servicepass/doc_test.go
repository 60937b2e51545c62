package servicepass_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// TestDocKeyRefusals (issue 22 defect 9): the package doc says which key
// material is refused, and that is what NewMasterKey and NewDeviceKey
// refuse: all 0x00 and all 0xFF, not every constant key (the doc once said
// "a constant key is refused" while 32 bytes of 0x42 were accepted).
func TestDocKeyRefusals(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(f.Doc.Text()), " ")
	for _, tc := range []struct {
		b       byte
		refused bool
		phrase  string // how the doc names it
	}{
		{0x00, true, "all-zero"},
		{0xFF, true, "all-0xFF"},
		{0x42, false, "other material is taken as it is"},
		{0x01, false, "other material is taken as it is"},
	} {
		_, errM := servicepass.NewMasterKey(1, bytes.Repeat([]byte{tc.b}, servicepass.KeySize))
		_, errD := servicepass.NewDeviceKey(1, bytes.Repeat([]byte{tc.b}, servicepass.KeySize))
		for _, err := range []error{errM, errD} {
			if errors.Is(err, servicepass.ErrKeyUnusable) != tc.refused {
				t.Errorf("key of 0x%02x bytes: %v, want refused=%v", tc.b, err, tc.refused)
			}
		}
		if !strings.Contains(doc, tc.phrase) {
			t.Errorf("the package doc does not say %q (key of 0x%02x bytes refused=%v)", tc.phrase, tc.b, tc.refused)
		}
	}
	if strings.Contains(doc, "constant key is refused") || strings.Contains(doc, "or a constant key") {
		t.Error("the package doc says constant keys are refused; only all-0x00 and all-0xFF are")
	}
}

// TestDecodeRedactsMAC (issue 22 defect 10): a decoded code prints no MAC
// under any fmt verb, in log/slog or JSON, so printing a Payload does not
// give away the working code (its Canonical form).
func TestDecodeRedactsMAC(t *testing.T) {
	f := newFixture(t)
	code := f.do(t, servicepass.Unlock, t0.Add(time.Hour))
	p, err := servicepass.Decode(code)
	if err != nil {
		t.Fatal(err)
	}
	mac := p.MAC.Reveal()
	if p.Canonical() != code {
		t.Fatalf("Canonical = %s, want %s", p.Canonical(), code)
	}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%d", "%x", "%X", "%o", "%s"} {
		outs = append(outs, fmt.Sprintf(verb, p), fmt.Sprintf(verb, &p), fmt.Sprintf(verb, struct{ p servicepass.Payload }{p}))
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "p", p)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "p", p)
	j, _ := json.Marshal(p)
	outs = append(outs, buf.String(), string(j))
	for _, out := range outs {
		for _, enc := range []string{fmt.Sprint(mac), fmt.Sprintf("%x", mac), fmt.Sprintf("%X", mac), fmt.Sprintf("%o", mac)} {
			if strings.Contains(out, enc) {
				t.Fatalf("the MAC (%s) printed: %s", enc, out)
			}
		}
	}
}
