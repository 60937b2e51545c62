package passcode_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
)

func TestMemStore(t *testing.T) {
	passcodetest.RunStore(t, func(*testing.T) passcode.Store { return passcode.NewMemStore() })
}

func TestMemStoreResealer(t *testing.T) {
	passcodetest.RunResealer(t, func(*testing.T) passcode.Store { return passcode.NewMemStore() })
}
