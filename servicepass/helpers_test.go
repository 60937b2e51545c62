package servicepass_test

import (
	"context"
	"testing"
	"time"
	_ "time/tzdata" // zone rules do not depend on the machine

	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/servicepass"
)

var (
	t0     = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	warsaw = mustLoc("Europe/Warsaw")
)

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// time/tzdata is linked into the test binary: this cannot happen.
		panic(err)
	}
	return loc
}

// testMaster returns a fixed master key: bytes id, id+1, ... id+31.
func testMaster(id uint8) servicepass.MasterKey {
	b := make([]byte, servicepass.KeySize)
	for i := range b {
		b[i] = id + byte(i)
	}
	m, err := servicepass.NewMasterKey(id, b)
	if err != nil {
		panic(err)
	}
	return m
}

type fixture struct {
	clock *mdmcredtest.Clock
	is    *servicepass.Issuer
	audit *servicepass.MemStore
}

func newFixture(t testing.TB, keys ...servicepass.MasterKey) *fixture {
	t.Helper()
	if len(keys) == 0 {
		keys = []servicepass.MasterKey{testMaster(1)}
	}
	f := &fixture{clock: mdmcredtest.NewClock(t0), audit: servicepass.NewMemStore()}
	is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: keys, Store: f.audit, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.is = is
	return f
}

func (f *fixture) issue(t testing.TB, r servicepass.Request) servicepass.Issued {
	t.Helper()
	if r.Admin == "" {
		r.Admin = "admin@example.com"
	}
	iss, err := f.is.Issue(context.Background(), r)
	if err != nil {
		t.Fatalf("Issue(%+v): %v", r, err)
	}
	return iss
}

// fileVerifier returns a function that opens a Device Owner verifier for
// deviceID on the state file at path, as an agent does at each start.
func (f *fixture) fileVerifier(t testing.TB, deviceID, path string) func() *servicepass.Verifier {
	return func() *servicepass.Verifier {
		t.Helper()
		return f.verifier(t, deviceID, servicepass.DeviceOwner, openFile(t, path))
	}
}

func (f *fixture) verifier(t testing.TB, deviceID string, mode servicepass.Mode, store servicepass.DeviceStore) *servicepass.Verifier {
	t.Helper()
	keys, err := f.is.DeviceKeys(deviceID)
	if err != nil {
		t.Fatal(err)
	}
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: deviceID, Mode: mode, HasMode: true, Keys: keys, Location: warsaw}, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// flipTag returns t with the bits in mask flipped.
func flipTag(t servicepass.Tag, mask uint64) servicepass.Tag {
	return secret.NewUint64(t.Reveal() ^ mask)
}

// peek runs fn on the state store holds, decoded as the verifier decodes it
// (nothing stored reads as Damaged), and stores it back if fn returns true.
func peek(store servicepass.DeviceStore, fn func(s *servicepass.TestState) bool) error {
	return store.Update(context.Background(), func(old []byte) ([]byte, error) {
		s := servicepass.DecodeTestState(old)
		if !fn(s) {
			return nil, nil
		}
		return servicepass.EncodeTestState(s), nil
	})
}

// install is the provisioning step for a state file: it creates the state
// at path (keeping one there).
func install(t testing.TB, path string) {
	t.Helper()
	fs, err := servicepass.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if err := servicepass.InstallProvisioning(context.Background(), "", nil, fs); err != nil {
		t.Fatal(err)
	}
}
