package vault_test

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/mdmcred/mdmcred/custody/vault"
)

// Import a master key's PRK into Transit once, then derive device keys
// there. (The example runs against the package's fake Transit server.)
func Example() {
	f := newTransit("hvs.example-token")
	defer f.srv.Close()
	ctx := context.Background()
	cfg := vault.Config{Address: f.srv.URL, Token: "hvs.example-token", Key: "mdmcred-site-1"}

	// The ceremony: PRK = HKDF-Extract(salt, master), imported once.
	master, _ := hex.DecodeString("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20")
	prk, _ := hkdf.Extract(sha256.New, master, []byte("mdmcred/servicepass/v1/device-key"))
	if err := vault.ImportKey(ctx, cfg, prk); err != nil {
		fmt.Println(err)
		return
	}

	// The service.
	key, err := vault.NewKey(cfg)
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
	// vault.Key("mdmcred-site-1")
	// ff58b0694251c37b011faf111cb84a8d9c5e1e45e86fd6dee28d585f545a5711
}

// Wrap a pepper for the key file and unwrap it at start.
func ExampleWrapper() {
	f := newTransit("hvs.example-token")
	defer f.srv.Close()
	ctx := context.Background()
	cfg := vault.Config{Address: f.srv.URL, Token: "hvs.example-token", Key: "mdmcred-envelope"}
	if err := f.createAESForExample(cfg.Key); err != nil {
		fmt.Println(err)
		return
	}

	w, err := vault.NewWrapper(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	wrapped, err := w.Wrap(ctx, []byte("pepper 7: 32 bytes of key stuff"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(wrapped[:9]))
	back, err := w.Unwrap(ctx, wrapped)
	fmt.Println(string(back), err)
	// Output:
	// vault:v1:
	// pepper 7: 32 bytes of key stuff <nil>
}
