package passcodetest_test

import (
	"os"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
)

// consoleAccepts stands for the host's own validation of the policy form in
// its admin console.
func consoleAccepts(p passcode.Policy) bool {
	return p.MinLength >= 4 && p.MaxLength <= 16
}

// A host's property test: no passcode policy our console accepts is ever
// refused by the generator, and every passcode drawn for it passes the
// policy check the device will apply.
func Example_hostProperty() {
	params := gopter.DefaultTestParameters()
	params.Rng.Seed(1)
	properties := gopter.NewProperties(params)
	properties.Property("accepted policies always generate", prop.ForAll(
		func(p passcode.Policy) bool {
			if !consoleAccepts(p) {
				return true
			}
			pc, err := passcode.Generate(p, nil)
			return err == nil && passcode.Validate(p, pc) == nil
		},
		passcodetest.GenPolicy(),
	))
	properties.Run(gopter.NewFormatedReporter(false, 80, os.Stdout))
	// Output:
	// + accepted policies always generate: OK, passed 100 tests.
}
