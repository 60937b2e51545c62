package enrollment_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
)

func TestMemStoreResealer(t *testing.T) {
	enrollmenttest.RunResealer(t, func(*testing.T) enrollment.Store { return enrollment.NewMemStore() })
}

// TestResealRefusals: a service without SealKeys has nothing to re-seal; a
// store without ResealRecords cannot.
func TestResealRefusals(t *testing.T) {
	ctx := context.Background()
	cfg := enrollment.Config{Store: enrollment.NewMemStore(), Alerter: nopAlerter{},
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{9}, 32)}), PepperID: 1}
	noSeal, err := enrollment.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noSeal.Reseal(ctx, nil); !errors.Is(err, enrollment.ErrConfig) {
		t.Fatalf("no SealKeys: %v", err)
	}
	cfg.Store = storeOnly{enrollment.NewMemStore()}
	cfg.SealKeys, cfg.SealKeyID = enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{1}, 32)}), 1
	plain, err := enrollment.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Reseal(ctx, nil); !errors.Is(err, enrollment.ErrNotResealer) {
		t.Fatalf("store without ResealRecords: %v", err)
	}
}

// storeOnly hides MemStore's optional capabilities.
type storeOnly struct{ enrollment.Store }

type nopAlerter struct{}

func (nopAlerter) SendLockAlert(context.Context, enrollment.Alert) error { return nil }
