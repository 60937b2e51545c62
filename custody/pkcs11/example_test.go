package pkcs11_test

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/mdmcred/mdmcred/custody/pkcs11"
)

// Import a master key's PRK once, then derive a device key on the token.
// (The example runs against the SoftHSM2 token TestMain makes.)
func Example() {
	ctx := context.Background()
	tok, err := pkcs11.Open(ctx, pkcs11.Config{
		Module:     softhsm.module, // e.g. /usr/lib/softhsm/libsofthsm2.so
		TokenLabel: tokenLabel,
		PIN:        userPIN,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tok.Close()

	// The ceremony: PRK = HKDF-Extract(salt, master), imported once.
	master, _ := hex.DecodeString("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20")
	prk, _ := hkdf.Extract(sha256.New, master, []byte("mdmcred/servicepass/v1/device-key"))
	if _, err := tok.ImportKey(ctx, "example-site-1", prk); err != nil {
		fmt.Println(err)
		return
	}

	// The service: find the key by label, derive device keys.
	key, err := tok.FindKey(ctx, "example-site-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	dk, err := key.HMAC(ctx, append([]byte("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), 0x01))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(key)
	fmt.Printf("%x\n", dk)
	// Output:
	// pkcs11.Key("example-site-1")
	// ff58b0694251c37b011faf111cb84a8d9c5e1e45e86fd6dee28d585f545a5711
}

// FindKey's not-found error is the one to branch on: create the key then.
func ExampleToken_FindKey() {
	ctx := context.Background()
	tok, err := pkcs11.Open(ctx, pkcs11.Config{Module: softhsm.module, TokenLabel: tokenLabel, PIN: userPIN})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tok.Close()
	_, err = tok.FindKey(ctx, "example-new-site")
	fmt.Println(err)
	// Output:
	// custody: pkcs11 find: pkcs11: no key with that label
}
