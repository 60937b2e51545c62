package awskms_test

import (
	"context"
	"fmt"

	"github.com/mdmcred/mdmcred/custody/awskms"
)

// Derive a device key with GenerateMac. (The example runs against the
// in-process emulator, with the PRK of the servicepass vectors' master key
// 1 seeded; a host passes its own *kms.Client and key ID or alias.)
func Example() {
	e, stop, err := newEmulator()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	keyID := exampleSeed(e)

	key, err := awskms.NewKey(awskms.Config{Client: e.client, KeyID: keyID})
	if err != nil {
		fmt.Println(err)
		return
	}
	dk, err := key.HMAC(context.Background(), append([]byte("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), 0x01))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(key)
	fmt.Printf("%x\n", dk)
	// Output:
	// awskms.Key("7d4e1f0a-0000-4000-8000-000000000001")
	// ff58b0694251c37b011faf111cb84a8d9c5e1e45e86fd6dee28d585f545a5711
}

// Wrap a sealing key for the key file, and unwrap it at start.
func ExampleWrapper() {
	e, stop, err := newEmulator()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	ctx := context.Background()
	out, err := e.client.CreateKey(ctx, nil) // a SYMMETRIC_DEFAULT key
	if err != nil {
		fmt.Println(err)
		return
	}

	w, err := awskms.NewWrapper(awskms.Config{
		Client:            e.client,
		KeyID:             *out.KeyMetadata.KeyId,
		EncryptionContext: map[string]string{"mdmcred": "sealing key 3"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	sealingKey := []byte("32 bytes of sealing key material")
	wrapped, err := w.Wrap(ctx, sealingKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	back, err := w.Unwrap(ctx, wrapped)
	fmt.Println(string(back), err)
	// Output:
	// 32 bytes of sealing key material <nil>
}
