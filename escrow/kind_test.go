package escrow_test

import (
	"errors"
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/mdmcredtest"
)

func kindByName(t *testing.T, name string) escrow.Kind {
	t.Helper()
	for _, k := range escrow.DefaultKinds() {
		if k.Name == name {
			return k
		}
	}
	t.Fatalf("no default kind %s", name)
	return escrow.Kind{}
}

// The format of every generated kind, as a regular expression written
// from the documentation.
var kindFormats = map[string]*regexp.Regexp{
	escrow.KindDeviceLockPIN:    regexp.MustCompile(`^[0-9]{6}$`),
	escrow.KindRecoveryLock:     regexp.MustCompile(`^[23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz]{20}$`),
	escrow.KindAdminPassword:    regexp.MustCompile(`^[A-Za-z0-9!#$%&*+\-=?@^_~]{24}$`),
	escrow.KindActivationBypass: regexp.MustCompile(`^[0-9ACDEFGHJKLMNPQRTUVWXYZ]{5}-[0-9ACDEFGHJKLMNPQRTUVWXYZ]{5}(-[0-9ACDEFGHJKLMNPQRTUVWXYZ]{4}){3}-[0-9ACDEFGHJKLMNPQRTUVWXYZ]{3}[0-7]$`),
}

// For all seeds, every generated kind draws a secret of its documented
// format that its own Validate accepts; admin passwords hold all four
// classes.
func TestGeneratedKindsProperty(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(23)
	props := gopter.NewProperties(params)
	for name, re := range kindFormats {
		k := kindByName(t, name)
		props.Property(name+" draws its format", prop.ForAll(func(seed int64) bool {
			sec, err := k.Generate(mdmcredtest.Reader(rand.New(rand.NewSource(seed))))
			if err != nil || !re.MatchString(sec.Reveal()) || k.Validate(sec.Reveal()) != nil {
				return false
			}
			if name == escrow.KindAdminPassword {
				s := sec.Reveal()
				return strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") &&
					strings.ContainsAny(s, "0123456789") && strings.ContainsAny(s, escrow.AdminSymbols)
			}
			return true
		}, gen.Int64()))
	}
	props.TestingRun(t)
}

// Uniformity: each PIN digit and each passphrase letter is drawn evenly
// (a chi-square test at a fixed seed, with a bound that a uniform draw
// exceeds with probability below 1e-6).
func TestUniform(t *testing.T) {
	r := mdmcredtest.Reader(rand.New(rand.NewSource(5)))
	pin := escrow.DeviceLockPIN()
	var counts [6][10]int
	const n = 20000
	for i := 0; i < n; i++ {
		s, err := pin.Generate(r)
		if err != nil {
			t.Fatal(err)
		}
		for p, c := range s.Reveal() {
			counts[p][c-'0']++
		}
	}
	for p := range counts {
		if x := chi2(counts[p][:], n); x > 45 { // 9 degrees of freedom: P(> 45) < 1e-6
			t.Errorf("PIN position %d: chi-square %.1f, counts %v", p, x, counts[p])
		}
	}
	ap, err := escrow.AdminPassword(escrow.AdminPolicy{Passphrase: true, Words: 4})
	if err != nil {
		t.Fatal(err)
	}
	vowels := map[byte]int{}
	for i := 0; i < n/4; i++ {
		s, err := ap.Generate(r)
		if err != nil {
			t.Fatal(err)
		}
		for j := 1; j < len(s.Reveal()); j += 6 {
			vowels[s.Reveal()[j]]++
		}
	}
	var vc []int
	for _, c := range "aeiou" {
		vc = append(vc, vowels[byte(c)])
	}
	if x := chi2(vc, n); x > 33 { // 4 degrees of freedom
		t.Errorf("passphrase vowels: chi-square %.1f, counts %v", x, vc)
	}
}

func chi2(counts []int, n int) float64 {
	want := float64(n) / float64(len(counts))
	x := 0.0
	for _, c := range counts {
		d := float64(c) - want
		x += d * d / want
	}
	return x
}

func TestPassphrase(t *testing.T) {
	k, err := escrow.AdminPassword(escrow.AdminPolicy{Passphrase: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^([bdfghjkmnprstvz][aeiou]){2}[bdfghjkmnprstvz](-([bdfghjkmnprstvz][aeiou]){2}[bdfghjkmnprstvz]){5}$`).MatchString(s.Reveal()) ||
		k.Validate(s.Reveal()) != nil {
		t.Errorf("passphrase %q", s.Reveal())
	}
	for _, bad := range []string{"", "babab", "babab-babab-babab-babab-babab-babaa", "babab-babab-babab-babab-babab-babab-babab", "Babab-babab-babab-babab-babab-babab"} {
		if k.Validate(bad) == nil {
			t.Errorf("Validate(%q) accepted", bad)
		}
	}
}

// The bounds of the policies, exact at both ends.
func TestPolicyBounds(t *testing.T) {
	for _, c := range []struct {
		length int
		ok     bool
	}{{0, true}, {11, false}, {12, true}, {64, true}, {65, false}, {-1, false}} {
		_, err := escrow.RecoveryLockPassword(c.length)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, escrow.ErrConfig)) {
			t.Errorf("RecoveryLockPassword(%d): %v", c.length, err)
		}
	}
	for _, c := range []struct {
		p  escrow.AdminPolicy
		ok bool
	}{
		{escrow.AdminPolicy{}, true},
		{escrow.AdminPolicy{Length: 13}, false},
		{escrow.AdminPolicy{Length: 14}, true},
		{escrow.AdminPolicy{Length: 64}, true},
		{escrow.AdminPolicy{Length: 65}, false},
		{escrow.AdminPolicy{Words: 6}, false},
		{escrow.AdminPolicy{Passphrase: true, Words: 3}, false},
		{escrow.AdminPolicy{Passphrase: true, Words: 4}, true},
		{escrow.AdminPolicy{Passphrase: true, Words: 12}, true},
		{escrow.AdminPolicy{Passphrase: true, Words: 13}, false},
		{escrow.AdminPolicy{Passphrase: true, Length: 20}, false},
	} {
		k, err := escrow.AdminPassword(c.p)
		if (err == nil) != c.ok {
			t.Errorf("AdminPassword(%+v): %v", c.p, err)
			continue
		}
		if err == nil {
			s, err := k.Generate(nil)
			if err != nil || k.Validate(s.Reveal()) != nil {
				t.Errorf("AdminPassword(%+v) draws %v", c.p, err)
			}
		}
	}
}

var fileVaultCases = []struct {
	in string
	ok bool
}{
	{"ABCD-EFGH-1234-5678-WXYZ-0000", true},
	{"abcd-EFGH-1234-5678-WXYZ-0000", false},
	{"ABCD-EFGH-1234-5678-WXYZ-000", false},
	{"ABCD-EFGH-1234-5678-WXYZ-00000", false},
	{"ABCDEEFGH-1234-5678-WXYZ-0000", false},
	{"ABCD EFGH 1234 5678 WXYZ 0000", false},
	{"", false},
}

func TestFileVaultKey(t *testing.T) {
	k := kindByName(t, escrow.KindFileVaultKey)
	if k.Generate != nil {
		t.Fatal("FileVault keys are stored, never generated")
	}
	for _, c := range fileVaultCases {
		if err := k.Validate(c.in); (err == nil) != c.ok {
			t.Errorf("Validate(%q): %v", c.in, err)
		}
	}
}

// FuzzFileVaultKey: the check never panics, accepts only 29 bytes, and
// never puts the input in its error.
func FuzzFileVaultKey(f *testing.F) {
	for _, c := range fileVaultCases {
		f.Add(c.in)
	}
	k := escrow.FileVaultRecoveryKey()
	f.Fuzz(func(t *testing.T, s string) {
		err := k.Validate(s)
		if err == nil && len(s) != 29 {
			t.Fatalf("accepted %q", s)
		}
		if err != nil && len(s) > 3 && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q holds the input", err)
		}
	})
}
