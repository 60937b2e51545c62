//go:build linux

// The C test builds and reads an ELF shared library, so it is built on
// Linux only (CI's platform) rather than skipped elsewhere.

package main

import (
	"bytes"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/internal/citest"
	"github.com/mdmcred/mdmcred/servicepass/internal/vectors"
)

// TestCProgram builds the library with -buildmode=c-shared (16 KB page
// alignment, as Google Play requires of Android libraries), compiles
// testdata/vectors.c with the generated header and runs it over
// servicepass's code vectors: every step's result code must match.
func TestCProgram(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		citest.Missing(t, "gcc", "apt-get install gcc libc6-dev")
	}
	dir := t.TempDir()
	lib := filepath.Join(dir, "libmdmcredsp.so")
	run(t, "go", "build", "-buildmode=c-shared", "-ldflags=-extldflags=-Wl,-z,max-page-size=16384", "-o", lib, ".")
	checkAlignment(t, lib)
	header, err := os.ReadFile(filepath.Join(dir, "libmdmcredsp.h"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range exported(t) {
		if !bytes.Contains(header, []byte(" "+fn+"(")) {
			t.Errorf("header lacks %s", fn)
		}
	}
	bin := filepath.Join(dir, "vectors")
	run(t, gcc, "-Wall", "-Werror", "-o", bin, "-I", dir, "testdata/vectors.c", "-L", dir, "-lmdmcredsp", "-Wl,-rpath,"+dir)

	cases, left, err := vectors.Load("../testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	steps := 0
	for _, c := range cases {
		fmt.Fprintf(&in, "V %s %s\n", c.Name, hex.EncodeToString(c.Provisioning))
		for _, s := range c.Steps {
			code := hex.EncodeToString([]byte(s.Code))
			if code == "" {
				code = "-"
			}
			fmt.Fprintf(&in, "S %s %s %d %s\n", s.Op, code, s.NowMs, s.Want)
			steps++
		}
	}
	input := filepath.Join(dir, "input")
	if err := os.WriteFile(input, []byte(in.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, input).CombinedOutput()
	if err != nil {
		t.Fatalf("vectors.c: %v\n%s", err, out)
	}
	want := fmt.Sprintf("vectors %d steps %d failed 0", len(cases), steps)
	if !strings.Contains(string(out), want) {
		t.Fatalf("vectors.c printed %q, want %q", out, want)
	}
	t.Logf("%s; left out (state loss or acknowledgements): %v", want, left)
}

// checkAlignment asserts every loadable segment of the library is aligned
// to at least 16 KB.
func checkAlignment(t *testing.T, lib string) {
	t.Helper()
	f, err := elf.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			n++
			if p.Align < 16384 {
				t.Errorf("PT_LOAD at %#x aligned to %d, want at least 16384", p.Vaddr, p.Align)
			}
		}
	}
	if n == 0 {
		t.Error("no PT_LOAD segment")
	}
}

// exported lists the //export names of capi.go.
func exported(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("capi.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^//export (\w+)$`).FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	if len(names) < 10 {
		t.Fatalf("only %d exports: %v", len(names), names)
	}
	return names
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
