package servicepass_test

import (
	"path/filepath"
	"testing"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/servicepass"
)

// TestNilContextEverywhere: every function and method of servicepass that
// takes a context refuses a nil one with ErrNilContext and does not panic.
func TestNilContextEverywhere(t *testing.T) {
	f := newFixture(t)
	fs := openFile(t, filepath.Join(t.TempDir(), "state"))
	v := f.verifier(t, "dev", servicepass.DeviceOwner, fs)
	n := gentest.CheckNilContext(t, servicepass.ErrNilContext, f.is, f.audit, servicepass.Purge,
		v, fs, servicepass.NewMemDeviceStore(), servicepass.InstallProvisioning)
	// Issuer and audit store: 8; the device side (issue 22): the verifier's
	// Verify, VerifyResponse, Window, ClearWindow, UseLog and AckUseLog, the
	// two stores' Update and InstallProvisioning.
	if n != 17 {
		t.Errorf("reached %d functions, want 17", n)
	}
}
