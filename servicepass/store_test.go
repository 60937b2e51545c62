package servicepass_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
)

func TestMemDeviceStore(t *testing.T) {
	servicepasstest.RunDeviceStore(t, func(*testing.T) servicepass.DeviceStore { return &servicepass.MemDeviceStore{} })
}

func TestFileStore(t *testing.T) {
	servicepasstest.RunDeviceStore(t, func(t *testing.T) servicepass.DeviceStore {
		fs, err := servicepass.OpenFileStore(filepath.Join(t.TempDir(), "state"))
		if err != nil {
			t.Fatal(err)
		}
		return fs
	})
	if _, err := servicepass.OpenFileStore(""); err == nil {
		t.Fatal("empty path accepted")
	}
}

// TestFileStoreReopen runs the suite against a store that is reopened from
// disk on every update, so that every check sees what the file holds.
func TestFileStoreReopen(t *testing.T) {
	servicepasstest.RunDeviceStore(t, func(t *testing.T) servicepass.DeviceStore {
		return reopening{filepath.Join(t.TempDir(), "state")}
	})
}

type reopening struct{ path string }

var reopenMu = make(chan struct{}, 1)

func (r reopening) Update(ctx context.Context, fn func([]byte) ([]byte, error)) error {
	reopenMu <- struct{}{}
	defer func() { <-reopenMu }()
	fs, err := servicepass.OpenFileStore(r.path)
	if err != nil {
		return err
	}
	defer fs.Close()
	return fs.Update(ctx, fn)
}

func TestMemStore(t *testing.T) {
	servicepasstest.RunStore(t, func(*testing.T) servicepass.Store { return servicepass.NewMemStore() })
}

// TestStdlibOnly fails if servicepass depends on anything outside the
// standard library and this module's standard-library-only internals.
func TestStdlibOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"github.com/mdmcred/mdmcred/servicepass":        true,
		"github.com/mdmcred/mdmcred/internal/crockford": true,
		"github.com/mdmcred/mdmcred/internal/randcode":  true,
		"github.com/mdmcred/mdmcred/internal/attempt":   true,
		"github.com/mdmcred/mdmcred/internal/secret":    true,
		"github.com/mdmcred/mdmcred/internal/ident":     true,
		"github.com/mdmcred/mdmcred/internal/retention": true,
		"github.com/mdmcred/mdmcred/internal/nilctx":    true,
	}
	for _, p := range strings.Fields(string(out)) {
		if !allowed[p] {
			t.Errorf("servicepass depends on %s", p)
		}
	}
	// The allowed internals must themselves be standard library only.
	out, err = exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Module}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, m := range strings.Fields(string(out)) {
		if m != "github.com/mdmcred/mdmcred" {
			t.Errorf("servicepass depends on module %s", m)
		}
	}
}
