package passcode_test

import (
	"context"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
)

func TestMemStorePurger(t *testing.T) {
	passcodetest.RunPurger(t, func(*testing.T) passcode.Store { return passcode.NewMemStore() })
}

// A purge of a nil store is an error, not a panic.
func TestPurgeOfNilStore(t *testing.T) {
	if _, err := passcode.Purge(context.Background(), nil, time.Now(), 0); err == nil {
		t.Error("Purge(nil store): no error")
	}
}
