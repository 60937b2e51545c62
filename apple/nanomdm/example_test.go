package nanomdm_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/micromdm/nanomdm/service/certauth"
	nmservice "github.com/micromdm/nanomdm/service/nanomdm"
	"github.com/micromdm/nanomdm/storage/inmem"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/apple/nanomdm"
	"github.com/mdmcred/mdmcred/escrow"
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

// The escrow package as the secret source: the escrow draws and seals a
// Mac's lock PIN, the queue holds the DeviceLock template only, the PIN is
// opened when the Mac fetches the command, and it is in force once the Mac
// acknowledged. (The calls to Plaintext and Result are what the middleware
// makes at delivery and report; they are shown here without a device.)
func ExampleEscrowSource() {
	ctx := context.Background()
	store := inmem.New()
	esc, err := escrow.New(escrow.Config{Store: escrow.NewMemStore(),
		SealKeys: escrow.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), SealKeyID: 1}) // a real key in production
	if err != nil {
		panic(err)
	}
	src, err := nanomdm.NewEscrowSource(esc)
	if err != nil {
		panic(err)
	}
	sealer, err := apple.NewSealer(apple.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), 1)
	if err != nil {
		panic(err)
	}
	mw, err := nanomdm.New(nmservice.New(store), nanomdm.Config{Source: src, Tokens: nanomdm.NewMemTokenStore(), Sealer: sealer})
	if err != nil {
		panic(err)
	}
	_ = certauth.New(mw, store) // serve it with httpmdm.CheckinAndCommandHandler

	rec, err := esc.Generate(ctx, "MAC-UDID-1", escrow.KindDeviceLockPIN, "admin@example.com")
	if err != nil {
		panic(err)
	}
	lock, _ := apple.NewDeviceLock("6E1A9C2B-7D3F-4A5B-8C9D-0E1F2A3B4C5D", apple.Lock{Message: "Call IT", PIN: true})
	rec, err = src.Queue(ctx, store, rec.ID, lock)
	fmt.Println(rec.State, rec.CommandID == lock.UUID, err)

	_, err = esc.Generate(ctx, "MAC-UDID-1", escrow.KindDeviceLockPIN, "other@example.com")
	fmt.Println("second lock refused:", errors.Is(err, escrow.ErrInProgress))

	sec, _ := src.Plaintext(ctx, "MAC-UDID-1", lock.UUID) // the Mac fetches the command
	fmt.Println(sec.PIN, sec.PIN.Len())
	_ = src.Result(ctx, "MAC-UDID-1", lock.UUID, apple.Outcome{Kind: apple.Succeeded, CommandUUID: lock.UUID})
	rec, _ = esc.Get(ctx, rec.ID)
	fmt.Println(rec.State)
	// Output:
	// sent true <nil>
	// second lock refused: true
	// [REDACTED] 6
	// active
}
