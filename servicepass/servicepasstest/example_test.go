package servicepasstest_test

import (
	"cmp"
	"context"
	"os"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
)

// A host's property test: every service password our console issues
// verifies on the device it was issued for. The host would put its own
// console handler where issuer.Issue is called.
func Example_hostProperty() {
	clock := mdmcredtest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	master, _ := servicepass.GenerateMasterKey(1, nil) // in production, load it from the server's secret store
	issuer, _ := servicepass.NewIssuer(servicepass.IssuerConfig{
		Keys: []servicepass.MasterKey{master},
		Now:  clock.Now,
	})
	warsaw, _ := time.LoadLocation("Europe/Warsaw")

	params := gopter.DefaultTestParameters()
	params.Rng.Seed(1) // a fixed seed keeps the example's output stable
	properties := gopter.NewProperties(params)
	properties.Property("issued codes verify on their device", prop.ForAll(
		func(req servicepass.Request) bool {
			issued, err := issuer.Issue(context.Background(), req)
			if err != nil {
				return false
			}
			keys, _ := issuer.DeviceKeys(req.DeviceID)
			device, _ := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: req.DeviceID, Mode: req.Mode, HasMode: true, Keys: keys, Location: cmp.Or(req.Location, warsaw)}, nil, nil)
			grant, err := device.Verify(context.Background(), issued.Display.Reveal(), clock.Now().Add(time.Minute))
			return err == nil && grant.Actions == req.Actions
		},
		servicepasstest.GenAnyRequest(clock.Now(), warsaw),
	))
	properties.Run(gopter.NewFormatedReporter(false, 80, os.Stdout))
	// Output:
	// + issued codes verify on their device: OK, passed 100 tests.
}
