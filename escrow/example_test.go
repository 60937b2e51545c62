package escrow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/mdmcred/mdmcred/escrow"
)

// A macOS lock: the PIN is generated and sealed, read at delivery, and in
// force once the Mac acknowledged the DeviceLock command; a second lock
// meanwhile is refused.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	svc, err := escrow.New(escrow.Config{
		Store:     escrow.NewMemStore(),
		SealKeys:  escrow.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{1}, 32)}), // the host's key
		SealKeyID: 1,
		Now:       func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	r, err := svc.Generate(ctx, "mac-42", escrow.KindDeviceLockPIN, "admin@example.com")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.State, r.Version)

	_, err = svc.Generate(ctx, "mac-42", escrow.KindDeviceLockPIN, "other-admin@example.com")
	fmt.Println(err == nil)

	pin, _ := svc.Deliver(ctx, r.ID) // put pin.Reveal() in the DeviceLock command
	fmt.Println(pin, pin.Len())
	_, _ = svc.Sent(ctx, r.ID, "cmd-7f3a", "mdm")
	r, _ = svc.Acknowledge(ctx, "cmd-7f3a", "mdm")
	fmt.Println(r.State)
	// Output:
	// generated 1
	// false
	// [REDACTED] 6
	// active
}

// A helpdesk view of a Recovery Lock password: recorded with who, from
// where and why, and the password is rotated an hour after the first view.
func ExampleService_Reveal() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	svc, _ := escrow.New(escrow.Config{Store: escrow.NewMemStore(),
		SealKeys: escrow.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{1}, 32)}), SealKeyID: 1,
		Now: func() time.Time { return now }})
	r, _ := svc.Generate(ctx, "mac-42", escrow.KindRecoveryLock, "admin@example.com")
	_, _ = svc.Sent(ctx, r.ID, "cmd-1", "mdm")
	_, _ = svc.Acknowledge(ctx, "cmd-1", "mdm")

	pw, _ := svc.Reveal(ctx, r.ID, "helpdesk@example.com", netip.MustParseAddr("192.0.2.7"), "ticket 1182")
	fmt.Println(pw.Len())
	evs, _ := svc.Events(ctx, escrow.EventQuery{RecordID: r.ID})
	v := evs[len(evs)-1]
	fmt.Println(v.Type, v.Actor, v.Source, v.Reason)

	rots, _ := svc.Due(ctx, now.Add(time.Hour))
	fmt.Println(len(rots), rots[0].Reason, rots[0].Record.State)
	// Output:
	// 20
	// viewed helpdesk@example.com 192.0.2.7 ticket 1182
	// 1 rotate after view generated
}

// The hash a device receives for an Activation Lock bypass code (a vector
// of docs/escrow.md).
// The device receives the hash of its bypass code. (No Output: FIPS 140-3
// mode refuses the hash, see ErrFIPS; TestBypassVectors checks both modes,
// here 6ab40d5eabe7218ec04182f461005600c7e3426bddd82cdb405bde9a1e0014b5.)
func ExampleBypassHash() {
	h, err := escrow.BypassHash(escrow.NewSecret("3UM43-PUYVY-QYD1-UVCC-HEHJ-FKA4"))
	if errors.Is(err, escrow.ErrFIPS) {
		fmt.Println("compute bypass hashes outside the FIPS boundary")
		return
	}
	fmt.Println(h, err)
}

// A host's own kind: a firmware PIN (here drawn like a lock PIN), rotated
// every 90 days and one hour after its first view.
func ExampleKind() {
	firmware := escrow.Kind{
		Name: "firmware-pin",
		Generate: func(r io.Reader) (escrow.Secret, error) {
			return escrow.DeviceLockPIN().Generate(r) // or any generator
		},
		Policy: escrow.Policy{RotateEvery: 90 * 24 * time.Hour},
	}
	_, err := escrow.New(escrow.Config{Store: escrow.NewMemStore(),
		SealKeys: escrow.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), SealKeyID: 1,
		Kinds: append(escrow.DefaultKinds(), firmware)})
	fmt.Println(err)
	// Output:
	// <nil>
}

// A sealing key rotation: key 2 becomes current with key 1 still in the
// set, Reseal re-seals every retained secret under key 2 (progress after
// each batch of 1,000 rows), and key 1 can then be retired.
func ExampleService_Reseal() {
	ctx := context.Background()
	store := escrow.NewMemStore()
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32) // from your key file (package keyfile)
	before, _ := escrow.New(escrow.Config{Store: store, SealKeys: escrow.NewKeys(map[uint8][]byte{1: oldKey}), SealKeyID: 1})
	r, _ := before.Report(ctx, "mac-42", escrow.KindFileVaultKey, escrow.NewSecret("ABCD-EFGH-IJKL-MNOP-QRST-UVWX"), "agent")
	_, _ = before.Report(ctx, "mac-43", escrow.KindAgentPassword, escrow.NewSecret("correct horse battery"), "agent")

	// Key 2 is current; key 1 stays until the re-seal is done.
	svc, _ := escrow.New(escrow.Config{Store: store, SealKeys: escrow.NewKeys(map[uint8][]byte{1: oldKey, 2: newKey}), SealKeyID: 2})
	p, err := svc.Reseal(ctx, func(p escrow.ResealProgress) { fmt.Printf("progress: %+v\n", p) })
	fmt.Println(p.Resealed, err)

	// Key 1 retired: every secret still opens.
	after, _ := escrow.New(escrow.Config{Store: store, SealKeys: escrow.NewKeys(map[uint8][]byte{2: newKey}), SealKeyID: 2})
	key, err := after.Reveal(ctx, r.ID, "helpdesk@example.com", netip.MustParseAddr("192.0.2.10"), "ticket 12")
	fmt.Println(key.Reveal(), err)
	// Output:
	// progress: {Visited:2 Resealed:2 Failed:0}
	// 2 <nil>
	// ABCD-EFGH-IJKL-MNOP-QRST-UVWX <nil>
}
