package servicepass_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// provisionedFileVerifier opens a provisioned Device Owner verifier for
// "dev" on the state file at path, as an agent does at each start.
func (f *fixture) provisionedFileVerifier(t testing.TB, path string) *servicepass.Verifier {
	t.Helper()
	keys, err := f.is.DeviceKeys("dev")
	if err != nil {
		t.Fatal(err)
	}
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "dev", Mode: servicepass.DeviceOwner, HasMode: true, Keys: keys, Location: time.UTC}, openFile(t, path), nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestUseLogAcrossLoss (issue 22 defect 4): an acknowledgement sent by an
// agent that read the log before the state was lost does not delete what
// was logged after the loss (the sequence used to restart at 0, so "through
// 4" deleted the degraded grant logged after the loss before it was ever
// uploaded).
func TestUseLogAcrossLoss(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "state")
	v := f.provisionedFileVerifier(t, path)
	if err := servicepass.InstallProvisioning(context.Background(), "", nil, openFile(t, path)); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(time.Hour)), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	old, _, err := v.UseLog(context.Background())
	if err != nil || len(old) != 5 {
		t.Fatalf("%d entries, %v", len(old), err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	g, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(time.Hour)), t0.Add(time.Minute))
	if err != nil || !g.Degraded {
		t.Fatalf("grant after the loss: %+v %v", g, err)
	}
	for _, e := range old {
		if err := v.AckUseLog(context.Background(), e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	entries, _, err := v.UseLog(context.Background())
	if err != nil || len(entries) != 1 || entries[0].Serial != g.Serial || !entries[0].Degraded {
		t.Fatalf("after stale acknowledgements: %+v %v; want the degraded grant", entries, err)
	}
	if err := v.AckUseLog(context.Background(), entries[0].Seq); err != nil {
		t.Fatal(err)
	}
	if entries, _, _ := v.UseLog(context.Background()); len(entries) != 0 {
		t.Fatalf("after the acknowledgement of the new log: %+v", entries)
	}
}

// TestUseLogAckKeepsLaterDrops (issue 22 defect 4): an acknowledgement
// clears the dropped count only for entries dropped before the agent's
// read, never for those dropped after it, which the agent has not seen.
func TestUseLogAckKeepsLaterDrops(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "dev", servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	at := t0
	grant := func(n int) {
		for range n {
			at = at.Add(time.Second)
			if _, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(time.Hour)), at); err != nil {
				t.Fatal(err)
			}
		}
	}
	grant(servicepass.UseLogSize + 2) // seqs 0-1 dropped
	read, dropped, err := v.UseLog(context.Background())
	if err != nil || dropped != 2 || len(read) != servicepass.UseLogSize {
		t.Fatalf("%d entries, %d dropped, %v", len(read), dropped, err)
	}
	// While the agent uploads, more grants than the log holds: everything
	// it read is dropped, and 5 entries it never saw.
	grant(servicepass.UseLogSize + 5)
	if err := v.AckUseLog(context.Background(), read[len(read)-1].Seq); err != nil {
		t.Fatal(err)
	}
	entries, dropped, err := v.UseLog(context.Background())
	if err != nil || dropped != 5 || len(entries) != servicepass.UseLogSize || entries[0].Seq != read[len(read)-1].Seq+6 {
		t.Fatalf("after the acknowledgement: %d entries, %d dropped, %v; want %d and 5 dropped unseen", len(entries), dropped, err, servicepass.UseLogSize)
	}
	// An acknowledgement of a sequence number the log never reached
	// deletes nothing.
	if err := v.AckUseLog(context.Background(), entries[len(entries)-1].Seq+1); err != nil {
		t.Fatal(err)
	}
	if again, d, _ := v.UseLog(context.Background()); len(again) != len(entries) || d != 5 {
		t.Fatalf("an acknowledgement beyond the log changed it: %d entries, %d dropped", len(again), d)
	}
}

// TestRepeatedLossSameTime (issue 22 defect 5): two losses found at the
// same device time do not share a revert sequence number, so a stale
// acknowledgement of the first loss's duty does not clear the second's.
func TestRepeatedLossSameTime(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "state")
	if err := servicepass.InstallProvisioning(context.Background(), "", nil, openFile(t, path)); err != nil {
		t.Fatal(err)
	}
	v := f.provisionedFileVerifier(t, path)
	lose := func() servicepass.WindowStatus {
		t.Helper()
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		st, err := v.Window(context.Background(), t0)
		if !errors.Is(err, servicepass.ErrStateLost) || st.Revert != servicepass.Reversible {
			t.Fatalf("after a loss: %+v %v", st, err)
		}
		return st
	}
	first := lose()
	second := lose()
	if first.RevertSeq == second.RevertSeq {
		t.Errorf("both losses have revert sequence number %d", first.RevertSeq)
	}
	if err := v.ClearWindow(context.Background(), first); !errors.Is(err, servicepass.ErrWindowChanged) {
		t.Fatalf("stale acknowledgement of the first loss: %v, want ErrWindowChanged", err)
	}
	if st, err := v.Window(context.Background(), t0); !errors.Is(err, servicepass.ErrStateLost) || st.Revert != servicepass.Reversible {
		t.Fatalf("the second loss's duty was cleared: %+v %v", st, err)
	}
}

// TestUseLogResponses (issue 22 defect 8): a response's grant is in the use
// log, as every grant is, with the challenge it answered (which the
// issuer's audit event records) and no serial.
func TestUseLogResponses(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "dev", servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	c, r := respondFor(t, f, v, "dev", servicepass.DeviceOwner, servicepass.AllowFactoryReset, servicepass.ChallengeOptions{})
	if _, err := v.VerifyResponse(context.Background(), r.Code.Reveal(), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(time.Hour)), t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	entries, _, err := v.UseLog(context.Background())
	if err != nil || len(entries) != 2 {
		t.Fatalf("%+v %v; want the response's grant and the code's", entries, err)
	}
	if e := entries[0]; e.Challenge != c.String() || e.KeyID != r.KeyID || e.Serial != 0 || !e.At.Equal(t0) || e.Degraded {
		t.Errorf("response entry %+v", e)
	}
	if e := entries[1]; e.Challenge != "" || e.Serial == 0 || e.Seq != entries[0].Seq+1 {
		t.Errorf("code entry %+v", e)
	}
}
