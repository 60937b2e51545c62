package nanomdm_test

import (
	"context"
	"fmt"
	"time"

	"github.com/micromdm/nanomdm/service/certauth"
	nmservice "github.com/micromdm/nanomdm/service/nanomdm"
	"github.com/micromdm/nanomdm/storage/inmem"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/apple/nanomdm"
)

// Wire the middleware in front of NanoMDM and queue a Mac lock whose PIN
// only the escrow holds.
func Example() {
	store := inmem.New()
	sealer, err := apple.NewSealer(apple.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), 1) // a real key in production
	if err != nil {
		panic(err)
	}
	escrow := nanomdm.NewMemSource(sealer, nil)
	mw, err := nanomdm.New(nmservice.New(store), nanomdm.Config{
		Source: escrow, Tokens: nanomdm.NewMemTokenStore(), Sealer: sealer,
	})
	if err != nil {
		panic(err)
	}
	svc := certauth.New(mw, store)
	_ = svc // serve it with httpmdm.CheckinAndCommandHandler(svc, logger)

	lock, _ := apple.NewDeviceLock("6E1A9C2B-7D3F-4A5B-8C9D-0E1F2A3B4C5D", apple.Lock{Message: "Call IT", PIN: true})
	if err := escrow.Put("MAC-UDID-1", lock.UUID, apple.Secrets{PIN: apple.NewSecret("504213")}, time.Time{}); err != nil {
		panic(err)
	}
	fmt.Println(nanomdm.Enqueue(context.Background(), store, lock, "MAC-UDID-1"))
	fmt.Println("escrow:", escrow.State(lock.UUID))
	// Output:
	// <nil>
	// escrow: pending
}
