package notify

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/servicepass"
)

// TestEveryLanguageHasEveryMessage loads the embedded catalog and checks it
// key by key against English: same keys, same placeholders, nothing empty.
func TestEveryLanguageHasEveryMessage(t *testing.T) {
	msgs, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(supported) {
		t.Fatalf("%d message sets for %d languages", len(msgs), len(supported))
	}
	for i, m := range msgs {
		lang := supported[i].String()
		if len(m) != len(msgs[0]) {
			t.Errorf("%s has %d messages, en has %d", lang, len(m), len(msgs[0]))
		}
		for k, en := range msgs[0] {
			v, ok := m[k]
			if !ok {
				t.Errorf("%s: missing %s", lang, k)
				continue
			}
			if got, want := placeholders(v), placeholders(en); !equalStrings(got, want) {
				t.Errorf("%s %s: placeholders %v, en has %v", lang, k, got, want)
			}
		}
	}
}

// TestMessagesAreTranslated: no non-English message is a copy of the English
// one, so a key pasted in and never translated is caught.
func TestMessagesAreTranslated(t *testing.T) {
	msgs, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs[1:] {
		lang := supported[i+1].String()
		for k, v := range m {
			if v == msgs[0][k] {
				t.Errorf("%s %s is the English text %q", lang, k, v)
			}
		}
	}
}

// TestEveryMessageIsUsed: each key is referenced by a template or the
// renderer, so the catalog holds no dead text that translators maintain
// for nothing.
func TestEveryMessageIsUsed(t *testing.T) {
	msgs, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	err = fs.WalkDir(assets, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		src.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"catalog.go", "notices.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	all := src.String()
	policies := map[string]bool{}
	for _, mode := range policyModes {
		for _, p := range servicepass.NetworkPolicies(mode) {
			policies[policyKey(p)] = true
		}
	}
	for k := range msgs[0] {
		if policies[k] {
			continue // built as policyKey(p) for servicepass's policies
		}
		suffix := strings.TrimPrefix(k, "sp.")
		used := strings.Contains(all, `"`+k+`"`) ||
			// subjects are built as kindKey(k) + ".subject"
			strings.HasSuffix(k, ".subject") ||
			(strings.HasPrefix(k, "sp.") && strings.Contains(all, `"sp.`+suffix+`"`))
		if !used {
			t.Errorf("message %s is never used", k)
		}
	}
}

func TestCheckMessagesRejects(t *testing.T) {
	en := map[string]string{"a": "Hello {user}", "b": "Bye"}
	cases := []struct {
		name string
		pl   map[string]string
		want string
	}{
		{"missing key", map[string]string{"a": "Cześć {user}"}, "pl: missing b"},
		{"unknown key", map[string]string{"a": "Cześć {user}", "b": "Pa", "c": "x"}, "pl: unknown key c"},
		{"empty", map[string]string{"a": "Cześć {user}", "b": "  "}, "pl: empty b"},
		{"renamed placeholder", map[string]string{"a": "Cześć {uzytkownik}", "b": "Pa"}, "placeholders of a"},
		{"dropped placeholder", map[string]string{"a": "Cześć", "b": "Pa"}, "placeholders of a"},
		{"markup", map[string]string{"a": "Cześć <b>{user}</b>", "b": "Pa"}, `markup, a control or invisible character, or "=?" in a`},
		{"control", map[string]string{"a": "Cześć {user}\r\nBcc: x", "b": "Pa"}, `markup, a control or invisible character, or "=?" in a`},
		{"zero-width", map[string]string{"a": "Cześć\u200b {user}", "b": "Pa"}, `markup, a control or invisible character, or "=?" in a`},
		{"encoded-word", map[string]string{"a": "=?UTF-8?B?4oCu?= {user}", "b": "Pa"}, `markup, a control or invisible character, or "=?" in a`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sets := make([]map[string]string, len(supported))
			for i := range sets {
				sets[i] = en
			}
			sets[1] = tc.pl
			err := checkMessages(sets)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("checkMessages = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	msgs := map[string]string{
		"plain":    "no placeholders",
		"one":      "Hello {user}!",
		"two":      "{a} and {b}",
		"unclosed": "Hello {user",
	}
	args := map[string]string{"user": "{b}", "a": "A", "b": "B"}
	cases := []struct {
		key, want string
		err       bool
	}{
		{"plain", "no placeholders", false},
		{"one", "Hello {b}!", false}, // a value is never expanded again
		{"two", "A and B", false},
		{"unclosed", "", true},
		{"absent", "", true},
	}
	for _, tc := range cases {
		got, err := expand(msgs, tc.key, args)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("expand(%q) = %q, %v; want %q, error %v", tc.key, got, err, tc.want, tc.err)
		}
	}
	if _, err := expand(msgs, "one", nil); err == nil {
		t.Error("expand without a value for {user} succeeded")
	}
}

var leftover = regexp.MustCompile(`\{[A-Za-z_]*\}`)

// TestNoPlaceholderSurvivesRendering renders every notice variant in every
// language and looks for a "{name}" left in the output.
func TestNoPlaceholderSurvivesRendering(t *testing.T) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range supported {
		for name, render := range renderers(tag.String()) {
			m, err := render(c)
			if err != nil {
				t.Fatalf("%s %s: %v", tag, name, err)
			}
			for part, s := range map[string]string{"subject": m.Subject, "text": m.Text.Reveal(), "html": m.HTML.Reveal()} {
				if loc := leftover.FindString(s); loc != "" {
					t.Errorf("%s %s %s: placeholder %s left", tag, name, part, loc)
				}
			}
			if m.Language != tag.String() {
				t.Errorf("%s %s: Language = %q", tag, name, m.Language)
			}
		}
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	all := []error{ErrInvalidMessage, ErrInvalidNotice, ErrSend}
	for i, a := range all {
		for j, b := range all {
			if (i == j) != errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = %v", a, b, i != j)
			}
		}
		if !strings.HasPrefix(a.Error(), "notify: ") {
			t.Errorf("%v is not prefixed", a)
		}
	}
}

// TestCheckActions: the catalog refuses to load without words for every
// servicepass action (and Unlock on COPE), or with words for an action that
// is none.
func TestCheckActions(t *testing.T) {
	msgs, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	en := maps.Clone(msgs[0])
	if err := checkActions(en); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"action.set_password", "action.unlock_work_profile"} {
		short := maps.Clone(en)
		delete(short, k)
		if err := checkActions(short); err == nil || !strings.Contains(err.Error(), "missing "+k) {
			t.Errorf("missing %s: %v", k, err)
		}
	}
	en["action.format_disk"] = "Format the disk"
	if err := checkActions(en); err == nil || !strings.Contains(err.Error(), "action.format_disk is no servicepass action") {
		t.Errorf("unknown action: %v", err)
	}
}

// TestCheckPolicies: the catalog refuses to load without words for every
// servicepass network policy, or with words for a policy that is none.
func TestCheckPolicies(t *testing.T) {
	msgs, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	en := map[string]string{}
	for k, v := range msgs[0] {
		en[k] = v
	}
	if err := checkPolicies(en); err != nil {
		t.Fatal(err)
	}
	delete(en, "policy.private_dns")
	if err := checkPolicies(en); err == nil || !strings.Contains(err.Error(), "missing policy.private_dns") {
		t.Errorf("missing policy: %v", err)
	}
	en["policy.private_dns"] = "Private DNS"
	en["policy.bluetooth"] = "Bluetooth"
	if err := checkPolicies(en); err == nil || !strings.Contains(err.Error(), "policy.bluetooth is no servicepass network policy") {
		t.Errorf("unknown policy: %v", err)
	}
}
