package mobile_test

import (
	"os"
	"os/exec"
	"testing"
)

// TestCrossCompile builds the facade for the phones' targets with cgo off,
// as the Go toolchain alone allows (binding it with gomobile, or building
// the C ABI for Android or iOS, needs the NDK's or Xcode's C compiler:
// docs/mobile-agents.md).
func TestCrossCompile(t *testing.T) {
	tests := []struct{ goos, goarch string }{
		{"android", "arm64"},
		{"ios", "arm64"},
		{"android", "amd64"}, // the emulator
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+tt.goarch, func(t *testing.T) {
			cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
			cmd.Env = append(os.Environ(), "GOOS="+tt.goos, "GOARCH="+tt.goarch, "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("GOOS=%s GOARCH=%s CGO_ENABLED=0 go build: %v\n%s", tt.goos, tt.goarch, err, out)
			}
		})
	}
}
