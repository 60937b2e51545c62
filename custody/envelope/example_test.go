package envelope_test

import (
	"context"
	"fmt"

	_ "gocloud.dev/secrets/localsecrets" // the base64key:// driver; a host imports awskms, gcpkms, ...

	"github.com/mdmcred/mdmcred/custody/envelope"
)

// Wrap a sealing key once, keep the wrapped bytes in the key file, unwrap
// them at start.
func Example() {
	ctx := context.Background()
	// A development key; in production "awskms:///alias/mdmcred?region=...".
	w, err := envelope.New(ctx, envelope.Config{URL: "base64key://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4="})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()

	wrapped, err := w.Wrap(ctx, []byte("sealing key 3: 32 bytes of key!!"))
	if err != nil {
		fmt.Println(err)
		return
	}
	key, err := w.Unwrap(ctx, wrapped)
	fmt.Println(w)
	fmt.Println(string(key), err)
	// Output:
	// envelope.Wrapper(base64key://[REDACTED])
	// sealing key 3: 32 bytes of key!! <nil>
}
