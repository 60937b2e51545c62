package keyfile_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/custody"
	"github.com/mdmcred/mdmcred/keyfile"
	"github.com/mdmcred/mdmcred/servicepass"
)

// gcmWrapper is a custody.Wrapper in memory: AES-256-GCM under a fixed key,
// standing in for a KMS. calls counts Unwrap calls.
type gcmWrapper struct {
	aead  cipher.AEAD
	calls int
	fail  error
}

func newWrapper(t testing.TB, b byte) *gcmWrapper {
	blk, err := aes.NewCipher(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	a, err := cipher.NewGCMWithRandomNonce(blk)
	if err != nil {
		t.Fatal(err)
	}
	return &gcmWrapper{aead: a}
}

func (w *gcmWrapper) Wrap(_ context.Context, pt []byte) ([]byte, error) {
	return w.aead.Seal(nil, nil, pt, nil), nil
}

func (w *gcmWrapper) Unwrap(_ context.Context, ct []byte) ([]byte, error) {
	w.calls++
	if w.fail != nil {
		return nil, &custody.Error{Backend: "test", Op: "unwrap", Err: w.fail}
	}
	pt, err := w.aead.Open(nil, nil, ct, nil)
	if err != nil {
		return nil, &custody.Error{Backend: "test", Op: "unwrap", Err: err}
	}
	return pt, nil
}

func seq(start byte) []byte {
	b := make([]byte, keyfile.KeySize)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// TestVector reads testdata/vector.keys (docs/keyfile-format.md) and checks
// every key, ID, order, current key and retired ID it yields.
func TestVector(t *testing.T) {
	data, err := os.ReadFile("testdata/vector.keys")
	if err != nil {
		t.Fatal(err)
	}
	f, err := keyfile.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Sets(); fmt.Sprint(got) != "[master seal pepper]" {
		t.Fatalf("sets %v", got)
	}
	hsm, _ := custody.NewLocalKey(seq(0x20))
	var refs []string
	ring, err := f.Unwrap(context.Background(), keyfile.Options{Resolve: func(_ context.Context, ref string) (custody.Key, error) {
		refs = append(refs, ref)
		return hsm, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	keys, retired := ring.Master()
	if len(keys) != 3 || keys[0].ID() != 1 || keys[1].ID() != 3 || keys[2].ID() != 2 || !keys[1].Held() ||
		!bytes.Equal(keys[0].Bytes(), seq(1)) || !bytes.Equal(keys[2].Bytes(), seq(0x41)) || fmt.Sprint(retired) != "[0]" ||
		fmt.Sprint(refs) != "[pkcs11:token=mdm;object=master-3]" {
		t.Fatalf("master %v retired %v refs %v", keys, retired, refs)
	}
	seal, err := ring.Set(keyfile.Seal)
	if err != nil || seal.Current != 2 || fmt.Sprint(seal.Retired) != "[1]" || !bytes.Equal(seal.Keys.Reveal()[2], seq(0x81)) || seal.Keys.Len() != 1 {
		t.Fatalf("seal %v %v", seal, err)
	}
	pepper, err := ring.Set(keyfile.Pepper)
	if err != nil || pepper.Current != 7 || !bytes.Equal(pepper.Keys.Reveal()[7], seq(0xc1)) {
		t.Fatalf("pepper %v %v", pepper, err)
	}
	if _, err := ring.Set("other"); !errors.Is(err, keyfile.ErrKeyID) {
		t.Fatalf("missing set: %v", err)
	}
	// The master keys drive an issuer.
	if _, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: keys, Retired: retired}); err != nil {
		t.Fatal(err)
	}
	// Marshal, parse again: the same file.
	f2, err := keyfile.Parse(f.Marshal())
	if err != nil || !bytes.Equal(f2.Marshal(), f.Marshal()) {
		t.Fatalf("round trip: %v\n%s", err, f.Marshal())
	}
}

// TestBinding is the wrapped plaintext vector of docs/keyfile-format.md:
// what AddKey hands the wrapper for key seq(0x81) under seal ID 2.
func TestBinding(t *testing.T) {
	var got []byte
	w := wrapFunc(func(pt []byte) []byte { got = bytes.Clone(pt); return []byte("x") })
	f := keyfile.New()
	if err := f.AddKey(context.Background(), keyfile.Seal, 2, seq(0x81), w); err != nil {
		t.Fatal(err)
	}
	want := "6d646d637265642f6b657966696c652f7631" + "00" + "7365616c" + "00" + "02" + hex.EncodeToString(seq(0x81))
	if hex.EncodeToString(got) != want {
		t.Fatalf("wrapped plaintext %x\nwant %s", got, want)
	}
	if !strings.Contains(string(f.Marshal()), "seal wrapped 2 eA==\n") {
		t.Fatalf("%s", f.Marshal())
	}
}

type wrapFunc func([]byte) []byte

func (w wrapFunc) Wrap(_ context.Context, pt []byte) ([]byte, error) { return w(pt), nil }
func (w wrapFunc) Unwrap(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("not used")
}

func TestWrappedFile(t *testing.T) {
	ctx := context.Background()
	w := newWrapper(t, 9)
	f := keyfile.New()
	for _, step := range []error{
		f.AddKey(ctx, keyfile.Master, 1, seq(1), w),
		f.AddKey(ctx, keyfile.Seal, 1, seq(2), w),
		f.AddKey(ctx, keyfile.Seal, 2, seq(3), w),
		f.SetCurrent(keyfile.Seal, 2),
		f.Retire(keyfile.Seal, 1),
		f.AddKey(ctx, keyfile.Pepper, 1, seq(4), nil),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	text := f.Marshal()
	for _, k := range [][]byte{seq(1), seq(2), seq(3)} {
		if bytes.Contains(text, []byte(hex.EncodeToString(k))) {
			t.Fatalf("a wrapped key is in clear:\n%s", text)
		}
	}
	if !bytes.Contains(text, []byte("pepper key 1 "+hex.EncodeToString(seq(4)))) {
		t.Fatalf("the clear key is missing:\n%s", text)
	}
	parsed, err := keyfile.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := parsed.Unwrap(ctx, keyfile.Options{Wrapper: w})
	if err != nil {
		t.Fatal(err)
	}
	if w.calls != 2 {
		t.Fatalf("%d unwrap calls, want one per wrapped key (2)", w.calls)
	}
	seal, _ := ring.Set(keyfile.Seal)
	master, _ := ring.Master()
	if seal.Current != 2 || seal.Keys.Len() != 1 || !bytes.Equal(seal.Keys.Reveal()[2], seq(3)) || len(master) != 1 || !bytes.Equal(master[0].Bytes(), seq(1)) {
		t.Fatalf("ring %v", ring)
	}
	for _, out := range []string{fmt.Sprint(ring), fmt.Sprintf("%+v %#v", *ring, parsed), fmt.Sprintf("%v", *parsed)} {
		for _, k := range [][]byte{seq(1), seq(3), seq(4)} {
			if strings.Contains(out, hex.EncodeToString(k)) || strings.Contains(out, fmt.Sprint(k)) {
				t.Fatalf("key printed: %s", out)
			}
		}
	}

	// Refusals at unwrap time.
	swapped := bytes.Replace(text, []byte("master wrapped 1"), []byte("master wrapped 7"), 1)
	other := newWrapper(t, 8)
	failing := newWrapper(t, 9)
	failing.fail = errors.New("KMS unreachable")
	for name, tt := range map[string]struct {
		text []byte
		opts keyfile.Options
	}{
		"no wrapper":          {text, keyfile.Options{}},
		"wrong wrapping key":  {text, keyfile.Options{Wrapper: other}},
		"custodian fails":     {text, keyfile.Options{Wrapper: failing}},
		"moved to another ID": {swapped, keyfile.Options{Wrapper: w}},
		"held, no resolver":   {[]byte(keyfile.Header + "\nmaster held 1 kms:alias/x\n"), keyfile.Options{}},
		"resolver fails": {[]byte(keyfile.Header + "\nmaster held 1 kms:alias/x\n"), keyfile.Options{Resolve: func(context.Context, string) (custody.Key, error) {
			return nil, &custody.Error{Backend: "test", Op: "import", Err: errors.New("no such key")}
		}}},
	} {
		f, err := keyfile.Parse(tt.text)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, err = f.Unwrap(ctx, tt.opts)
		var ke *keyfile.Error
		if !errors.Is(err, keyfile.ErrUnwrap) || !errors.As(err, &ke) || ke.Set != keyfile.Master {
			t.Errorf("%s: %v", name, err)
		}
		if name == "custodian fails" {
			var ce *custody.Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "KMS unreachable") {
				t.Errorf("%s: the custodian's error is lost: %v", name, err)
			}
		}
	}
}

func TestEdits(t *testing.T) {
	ctx := context.Background()
	f := keyfile.New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.AddKey(ctx, keyfile.Seal, 1, seq(1), nil))
	must(f.AddKey(ctx, keyfile.Master, 1, seq(2), nil))
	must(f.AddHeld(2, "vault:transit/keys/master-2"))
	tests := []struct {
		name string
		err  error
		want error // nil: an *Error without a sentinel
	}{
		{"key ID twice", f.AddKey(ctx, keyfile.Seal, 1, seq(5), nil), keyfile.ErrKeyID},
		{"held ID twice", f.AddHeld(1, "x"), keyfile.ErrKeyID},
		{"short key", f.AddKey(ctx, keyfile.Seal, 3, seq(5)[:16], nil), nil},
		{"zero key", f.AddKey(ctx, keyfile.Seal, 3, make([]byte, 32), nil), nil},
		{"bad set name", f.AddKey(ctx, "Seal", 3, seq(5), nil), keyfile.ErrFormat},
		{"bad reference", f.AddHeld(9, "has space"), nil},
		{"retire the only key", f.Retire(keyfile.Seal, 1), nil},
		{"retire an unknown key", f.Retire(keyfile.Seal, 9), keyfile.ErrKeyID},
		{"current of master", f.SetCurrent(keyfile.Master, 1), nil},
		{"current unknown", f.SetCurrent(keyfile.Seal, 9), keyfile.ErrKeyID},
	}
	for _, tt := range tests {
		var ke *keyfile.Error
		if !errors.As(tt.err, &ke) || (tt.want != nil && !errors.Is(tt.err, tt.want)) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	must(f.AddKey(ctx, keyfile.Seal, 2, seq(3), nil))
	if err := f.Retire(keyfile.Seal, 1); err == nil {
		t.Fatal("retired the current key")
	}
	must(f.SetCurrent(keyfile.Seal, 2))
	must(f.Retire(keyfile.Seal, 1))
	if !f.Used(keyfile.Seal, 1) || f.Used(keyfile.Seal, 3) {
		t.Fatal("Used")
	}
	if err := f.AddKey(ctx, keyfile.Seal, 1, seq(9), nil); !errors.Is(err, keyfile.ErrKeyID) {
		t.Fatalf("a retired ID given again: %v", err)
	}
}

var parseTests = []struct {
	name string
	in   string
	line int // 0: accepted
}{
	{"minimal", "mdmcred keys v1\nseal current 1\nseal key 1 " + hex.EncodeToString(seq(1)) + "\n", 0},
	{"comments and blanks", "# x\n\nmdmcred keys v1\n  # y\nmaster key 1 " + hex.EncodeToString(seq(1)) + "\n", 0},
	{"only the header", "mdmcred keys v1\n", 0},
	{"wrapped", "mdmcred keys v1\nmaster wrapped 4 AAECAw==\n", 0},
	{"no header", "seal current 1\n", 1},
	{"empty", "", -1},
	{"other header", "mdmcred master keys v1\n", 1},
	{"unknown record", "mdmcred keys v1\nseal secret 1 x\n", 2},
	{"short line", "mdmcred keys v1\nseal key\n", 2},
	{"key ID 256", "mdmcred keys v1\nmaster key 256 " + hex.EncodeToString(seq(1)) + "\n", 2},
	{"key ID with a leading zero", "mdmcred keys v1\nmaster key 01 " + hex.EncodeToString(seq(1)) + "\n", 2},
	{"key ID twice", "mdmcred keys v1\nmaster key 1 " + hex.EncodeToString(seq(1)) + "\nmaster retired 1\n", 3},
	{"short key", "mdmcred keys v1\nmaster key 1 0102\n", 2},
	{"zero key", "mdmcred keys v1\nmaster key 1 " + strings.Repeat("00", 32) + "\n", 2},
	{"0xFF key", "mdmcred keys v1\nmaster key 1 " + strings.Repeat("ff", 32) + "\n", 2},
	{"bad base64", "mdmcred keys v1\nmaster wrapped 1 AAE\n", 2},
	{"extra field", "mdmcred keys v1\nseal current 1 2\n", 2},
	{"master current", "mdmcred keys v1\nmaster current 1\n", 2},
	{"two current", "mdmcred keys v1\nseal current 1\nseal current 2\n", 3},
	{"held outside master", "mdmcred keys v1\nseal held 1 x\n", 2},
	{"bad set name", "mdmcred keys v1\n1seal key 1 " + hex.EncodeToString(seq(1)) + "\n", 2},
	{"no current", "mdmcred keys v1\nseal key 1 " + hex.EncodeToString(seq(1)) + "\n", -1},
	{"current not a key", "mdmcred keys v1\nseal current 2\nseal key 1 " + hex.EncodeToString(seq(1)) + "\n", -1},
	{"retired current", "mdmcred keys v1\nseal current 2\nseal retired 2\nseal key 1 " + hex.EncodeToString(seq(1)) + "\n", -1},
	{"only retired", "mdmcred keys v1\nmaster retired 2\n", -1},
}

// TestParse: every refusal names its line (-1: the file as a whole) and
// matches ErrFormat; accepted files marshal back to files that parse the same.
func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		f, err := keyfile.Parse([]byte(tt.in))
		var ke *keyfile.Error
		switch {
		case tt.line == 0 && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.line != 0 && (!errors.Is(err, keyfile.ErrFormat) || !errors.As(err, &ke) || (tt.line > 0 && ke.Line != tt.line) || (tt.line < 0 && ke.Line != 0)):
			t.Errorf("%s: %v, want an ErrFormat at line %d", tt.name, err, tt.line)
		case err == nil:
			if g, err := keyfile.Parse(f.Marshal()); err != nil || !bytes.Equal(g.Marshal(), f.Marshal()) {
				t.Errorf("%s: round trip: %v", tt.name, err)
			}
		}
		if err != nil && strings.Contains(err.Error(), hex.EncodeToString(seq(1))[:16]) {
			t.Errorf("%s: the error quotes a key: %v", tt.name, err)
		}
	}
	if _, err := keyfile.Parse(bytes.Repeat([]byte("#"), keyfile.MaxFileSize+1)); !errors.Is(err, keyfile.ErrFormat) {
		t.Errorf("huge file: %v", err)
	}
}

// FuzzParse: no panic; an error is an *Error matching ErrFormat; what
// parses marshals to text that parses to the same text again.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.in))
	}
	if data, err := os.ReadFile("testdata/vector.keys"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		kf, err := keyfile.Parse(data)
		if err != nil {
			var ke *keyfile.Error
			if !errors.As(err, &ke) || !errors.Is(err, keyfile.ErrFormat) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		once := kf.Marshal()
		again, err := keyfile.Parse(once)
		if err != nil || !bytes.Equal(again.Marshal(), once) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// For all key sets built by AddKey (in clear or wrapped) and SetCurrent,
// Marshal, Parse and Unwrap give back every key under its ID and the
// current one.
func TestPropertyRoundTrip(t *testing.T) {
	w := newWrapper(t, 3)
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	p.Property("Unwrap(Parse(Marshal(f))) holds what was added", prop.ForAll(
		func(ids []uint8, wrapMask uint64, cur int) bool {
			ctx := context.Background()
			f := keyfile.New()
			want := map[uint8][]byte{}
			for i, id := range ids {
				if want[id] != nil {
					continue
				}
				k := seq(byte(i*7 + 1))
				var wr custody.Wrapper
				if wrapMask>>(i%64)&1 == 1 {
					wr = w
				}
				if err := f.AddKey(ctx, keyfile.Seal, id, k, wr); err != nil {
					return false
				}
				want[id] = k
			}
			current := ids[cur%len(ids)]
			if err := f.SetCurrent(keyfile.Seal, current); err != nil {
				return false
			}
			g, err := keyfile.Parse(f.Marshal())
			if err != nil {
				return false
			}
			ring, err := g.Unwrap(ctx, keyfile.Options{Wrapper: w})
			if err != nil {
				return false
			}
			s, err := ring.Set(keyfile.Seal)
			if err != nil || s.Current != current || s.Keys.Len() != len(want) {
				return false
			}
			for id, k := range s.Keys.Reveal() {
				if !bytes.Equal(k, want[id]) {
					return false
				}
			}
			return true
		},
		gen.SliceOfN(8, gen.UInt8()).SuchThat(func(v []uint8) bool { return len(v) > 0 }),
		gen.UInt64(),
		gen.IntRange(0, 100),
	))
	p.TestingRun(t)
}

// A site keeps its sealing keys wrapped by a KMS key and unwraps them once
// at start. (The wrapper here is an in-memory stand-in for a KMS.)
func ExampleFile_Unwrap() {
	ctx := context.Background()
	kms := exampleWrapper()

	// Once, with a tool: a new sealing key, wrapped.
	f := keyfile.New()
	if err := f.AddKey(ctx, keyfile.Seal, 1, bytes.Repeat([]byte{0x17}, 32), kms); err != nil {
		panic(err)
	}
	text := f.Marshal() // write it with mode 0600

	// At every start.
	parsed, err := keyfile.Parse(text)
	if err != nil {
		panic(err)
	}
	ring, err := parsed.Unwrap(ctx, keyfile.Options{Wrapper: kms})
	if err != nil {
		panic(err)
	}
	seal, _ := ring.Set(keyfile.Seal)
	fmt.Println(seal.Current, seal.Keys) // passcode.Config{SealKeys: seal.Keys, SealKeyID: seal.Current}
	// Output: 1 map[1:[REDACTED]]
}

func exampleWrapper() custody.Wrapper {
	blk, _ := aes.NewCipher(bytes.Repeat([]byte{0x99}, 32))
	a, _ := cipher.NewGCMWithRandomNonce(blk)
	return &gcmWrapper{aead: a}
}
