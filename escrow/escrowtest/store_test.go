package escrowtest_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/escrow/escrowtest"
)

func TestRunStoreMem(t *testing.T) {
	escrowtest.RunStore(t, func(*testing.T) escrow.Store { return escrow.NewMemStore() })
}
