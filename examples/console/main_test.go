package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"extra"},
		{"-zone", "Mars/Olympus"},
		{"-tls-cert", "cert.pem"},
		{"-smtp", "http://mail.example.com"},
		{"-smtp", "smtp://mail.example.com:notaport"},
		{"-addr", "256.0.0.1:80"},
		{"-nosuchflag"},
	} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// run prints the address and the demo passwords, serves, and stops with its
// context.
func TestRunServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-outbox", t.TempDir()}, pw); pw.Close() }()
	sc := bufio.NewScanner(pr)
	var base, pass, amapi string
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "mdmcred console on "); ok {
			base = strings.TrimSuffix(rest, "/")
		}
		if strings.HasPrefix(line, "admin:") {
			f := strings.Fields(line)
			pass = f[len(f)-1]
		}
		if rest, ok := strings.CutPrefix(line, "fake Android Management API: "); ok {
			amapi = rest
		}
		if strings.HasPrefix(line, "emails are written to ") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if base == "" || len(pass) != 16 {
		t.Fatalf("start-up lines: base %q, password %q", base, pass)
	}
	resp, err := http.Get(base + "/admin/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The fake AMAPI runs beside it, on loopback.
	if !strings.HasPrefix(amapi, "http://127.0.0.1:") {
		t.Fatalf("fake AMAPI at %q", amapi)
	}
	resp, err = http.Get(amapi + "enterprises/" + demoEnterprise + "/devices/dev-ae-1/operations/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("fake AMAPI: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestSMTPURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"smtp://user:pass@mail.example.com:587?from=mdm@example.com", true},
		{"smtps://mail.example.com", true},
		{"smtp+plain://127.0.0.1:2525", true},
		{"smtp://", false},
		{"ftp://mail.example.com", false},
		{"smtp://mail.example.com:x", false},
		{"smtp://mail.example.com?from=not-an-address", false},
	} {
		_, err := smtpMailer(tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.url, err)
		}
		if err != nil && !tc.ok && strings.Contains(err.Error(), "pass") {
			t.Errorf("%s: password in the error", tc.url)
		}
	}
}

// TestHelpExitsZero: -h prints the flags and the process exits 0 (issue
// 27: main exited 1, as for an error).
func TestHelpExitsZero(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"-h"}, &out)
	if got := exitStatus(err); got != 0 {
		t.Fatalf("exit status %d for %v", got, err)
	}
	if got := exitStatus(errors.New("x")); got != 1 {
		t.Fatalf("exit status %d for an error", got)
	}
}

// TestNoOutboxLeftBehind: the temporary outbox run makes is removed when
// it stays empty: after a failed start and after a run that sent nothing
// (issue 27: every failed start and every test run left one).
func TestNoOutboxLeftBehind(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if err := run(context.Background(), []string{"-addr", "256.0.0.1:99999"}, io.Discard); err == nil {
		t.Fatal("started on an impossible address")
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, pw); pw.Close() }()
	buf := make([]byte, 1)
	if _, err := pr.Read(buf); err != nil { // started
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "mdmcred-console-outbox-*"))
	if len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}
