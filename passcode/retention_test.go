package passcode_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
)

func TestMemStorePurger(t *testing.T) {
	passcodetest.RunPurger(t, func(*testing.T) passcode.Store { return passcode.NewMemStore() })
}
