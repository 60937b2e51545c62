package servicepass_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// startAgent is the device agent's start-up routine: provisioning file,
// then state, then verifier, then the window to re-apply or revert. It runs
// at every start of the agent, before it accepts a code.
func startAgent(dir string, now time.Time) (*servicepass.Verifier, error) {
	prov, err := servicepass.ReadProvisioningFile(filepath.Join(dir, "provisioning"))
	if err != nil {
		return nil, err // ErrNotProvisioned: wait for enrollment; anything else: a damaged file
	}
	state, err := servicepass.OpenFileStore(filepath.Join(dir, "state"))
	if err != nil {
		return nil, err
	}
	v, err := servicepass.NewVerifier(prov, state, nil) // the provisioning says provisioned: a missing state is lost
	if err != nil {
		return nil, err
	}
	st, err := v.Window(context.Background(), now)
	if errors.Is(err, servicepass.ErrStateLost) {
		fmt.Println("state lost: revert every reversible action")
	}
	if st.Active {
		fmt.Println("re-apply", st.Actions, "until", st.End.Format("15:04"))
	}
	if st.Revert != 0 {
		fmt.Println("revert", st.Revert)
	}
	if err := v.ClearWindow(context.Background(), st); err != nil {
		return nil, err // the window changed under us: run the routine again
	}
	return v, nil
}

// The device agent's start-up routine, run at every start: read the
// provisioning file, open the state, build the verifier, then act on the
// privileged window (re-apply an active one's actions, revert those of
// ended ones). Provisioning, once, creates the state and writes the file
// (InstallProvisioning).
func Example_deviceStartUp() {
	dir, _ := os.MkdirTemp("", "agent")
	defer os.RemoveAll(dir)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	master, _ := servicepass.NewMasterKey(1, []byte("an example master key, 32 bytes"+"!"))
	issuer, _ := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}, Now: func() time.Time { return now }})

	// Before enrollment the agent has nothing to verify with.
	_, err := startAgent(dir, now)
	fmt.Println(errors.Is(err, servicepass.ErrNotProvisioned))

	// Provisioning, once, when the device enrolls.
	prov, _ := issuer.Provision("device-42", servicepass.DeviceOwner, time.UTC)
	state, _ := servicepass.OpenFileStore(filepath.Join(dir, "state"))
	_ = servicepass.InstallProvisioning(context.Background(), filepath.Join(dir, "provisioning"), prov, state)
	_ = state.Close()

	v, err := startAgent(dir, now)
	fmt.Println("started:", err)
	iss, _ := issuer.Issue(context.Background(), servicepass.Request{DeviceID: "device-42", Mode: servicepass.DeviceOwner,
		Actions: servicepass.DisableKiosk, ExpiresAt: now.Add(3 * time.Hour), Admin: "admin@example.com"})
	g, err := v.Verify(context.Background(), iss.Code.Reveal(), now)
	fmt.Println("granted", g.Actions, err)

	// The agent restarts during the window, and again after it.
	_, err = startAgent(dir, now.Add(30*time.Minute))
	fmt.Println("restarted:", err)
	_, err = startAgent(dir, now.Add(2*time.Hour))
	fmt.Println("restarted:", err)
	_, err = startAgent(dir, now.Add(3*time.Hour))
	fmt.Println("restarted:", err)
	// Output:
	// true
	// started: <nil>
	// granted DisableKiosk <nil>
	// re-apply DisableKiosk until 11:00
	// restarted: <nil>
	// revert DisableKiosk
	// restarted: <nil>
	// restarted: <nil>
}
