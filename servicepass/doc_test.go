package servicepass_test

import (
	"bytes"
	"errors"
	"go/parser"
	"go/token"
	"strings"
	"testing"

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
