package custody_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/mdmcred/mdmcred/custody"
)

func TestLocalKey(t *testing.T) {
	key := bytes.Repeat([]byte{0x5a}, 32)
	k, err := custody.NewLocalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	key[0] ^= 1 // NewLocalKey copied it
	m := hmac.New(sha256.New, bytes.Repeat([]byte{0x5a}, 32))
	m.Write([]byte("msg"))
	got, err := k.HMAC(context.Background(), []byte("msg"))
	if err != nil || !bytes.Equal(got, m.Sum(nil)) {
		t.Fatalf("HMAC = %x, %v", got, err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	var ce *custody.Error
	tests := []struct {
		name string
		k    *custody.LocalKey
		ctx  context.Context
		want error
	}{
		{"canceled", k, canceled, context.Canceled},
		{"nil context", k, nil, nil},
		{"zero key", &custody.LocalKey{}, context.Background(), nil},
	}
	for _, tt := range tests {
		_, err := tt.k.HMAC(tt.ctx, []byte("msg"))
		if !errors.As(err, &ce) || ce.Backend != "local" || ce.Op != "hmac" || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	if _, err := custody.NewLocalKey(make([]byte, 31)); !errors.As(err, &ce) || ce.Op != "import" {
		t.Errorf("31-byte key: %v", err)
	}
	for _, out := range []string{fmt.Sprint(k), fmt.Sprintf("%#v %+v %x", *k, k, k), fmt.Sprint(struct{ k custody.LocalKey }{*k})} {
		if bytes.Contains([]byte(out), []byte("5a5a")) || bytes.Contains([]byte(out), []byte("90 90")) {
			t.Errorf("key printed: %s", out)
		}
	}
}
