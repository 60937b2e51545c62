package notify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/internal/citest"
)

// linkifyIt returns, for each text, the links linkify-it (markdown-it's
// autolinker, fuzzy links, e-mail and IP addresses on) finds in it: an
// autolinker this package has no part in.
func linkifyIt(t *testing.T, texts []string) [][]string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "testdata", "linkify")
	if _, err := exec.LookPath("node"); err != nil {
		citest.Missing(t, "node not found", "apt-get install nodejs npm (.ci/run does)")
	}
	var in bytes.Buffer
	for _, s := range texts {
		b, _ := json.Marshal(s)
		in.Write(append(b, '\n'))
	}
	cmd := exec.Command("node", "links.js")
	cmd.Dir, cmd.Stdin = dir, &in
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		if strings.Contains(stderr, "Cannot find module") {
			citest.Missing(t, "linkify-it not installed", "npm ci --prefix notify/testdata/linkify (.ci/run does)")
		}
		t.Fatalf("links.js: %v %s", err, stderr)
	}
	var res [][]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var links []string
		if err := json.Unmarshal(sc.Bytes(), &links); err != nil {
			t.Fatal(err)
		}
		res = append(res, links)
	}
	if len(res) != len(texts) {
		t.Fatalf("links.js answered %d of %d texts", len(res), len(texts))
	}
	return res
}

// TestSanitizedNamesAreNotLinked: no name of the hostile corpus, the
// sanitizer's table or a random mix of URL pieces, once sanitized, is a
// link to linkify-it. The same autolinker links the raw names and the
// output of the sanitizer before issue 27 ("hxxp[:]//203.0.113.7/login"
// as //203.0.113.7/login, "mailto:x@evil[.]com" as mailto:x@evil), which
// the first cases check, so the test would notice a weaker sanitizer.
func TestSanitizedNamesAreNotLinked(t *testing.T) {
	before := []string{"hxxp[:]//203.0.113.7/login", "mailto:x@evil[.]com", "//203.0.113.7/login", "http://203.0.113.7"}
	for i, links := range linkifyIt(t, before) {
		if len(links) == 0 {
			t.Fatalf("linkify-it links nothing in %q: the test could not tell a link from none", before[i])
		}
	}
	var names []string
	names = append(names, hostileNames...)
	for _, tc := range sanitizeCases {
		names = append(names, tc.in)
	}
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 300
	pieces := gen.SliceOf(gen.OneConstOf("http", "https", "ftp", "file", "smb", "mailto", "tel", ":", "/", "//", "://", `\\`,
		"www", ".", "example", "com", "org", "203", "0", "113", "7", "@", "x", " ", "[", "]", "\u3002", "\u200b", "-")).
		Map(func(p []string) string { return strings.Join(p, "") })
	// gopter samples, sent to node in one batch (a process per sample
	// would cost seconds each).
	for i := 0; i < params.MinSuccessfulTests; i++ {
		if v, ok := pieces.Sample(); ok {
			names = append(names, v.(string))
		}
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = sanitize(n, MaxName)
	}
	for i, links := range linkifyIt(t, out) {
		if len(links) > 0 {
			t.Errorf("sanitize(%q) = %q: linkify-it links %q", names[i], out[i], links)
		}
	}
}
