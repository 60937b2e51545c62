package passcode_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
)

// BenchmarkGenerate draws one passcode per iteration with a prebuilt
// Generator and crypto/rand. The floor is kind=numeric at the same length:
// the issue bounds numeric-complex at 5x of it.
func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{6, 12} {
		for _, k := range passcodetest.Kinds {
			b.Run(fmt.Sprintf("kind=%s/len=%d", k, n), func(b *testing.B) {
				g, err := passcode.NewGenerator(passcode.Policy{Kind: k, MinLength: n})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := g.Generate(nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	// The numeric-complex bound measured without the noise of the system
	// reader: the same seeded ChaCha8 stream for floor and subject.
	for _, n := range []int{6, 12} {
		for _, k := range []passcode.Kind{passcode.Numeric, passcode.NumericComplex} {
			b.Run(fmt.Sprintf("rand=chacha8/kind=%s/len=%d", k, n), func(b *testing.B) {
				g, _ := passcode.NewGenerator(passcode.Policy{Kind: k, MinLength: n})
				r := seeded(1)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := g.Generate(r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	// A length range adds the draw of the length.
	for _, k := range []passcode.Kind{passcode.Numeric, passcode.NumericComplex} {
		b.Run(fmt.Sprintf("kind=%s/len=4-8", k), func(b *testing.B) {
			g, _ := passcode.NewGenerator(passcode.Policy{Kind: k, MinLength: 4, MaxLength: 8})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.Generate(nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGenerateOneShot is the package-level Generate, which builds the
// Generator (and, for a length range, counts the passcodes per length) each
// call, as Service.Request does.
func BenchmarkGenerateOneShot(b *testing.B) {
	for _, p := range []passcode.Policy{
		{Kind: passcode.Numeric, MinLength: 6},
		{Kind: passcode.NumericComplex, MinLength: 6},
		{Kind: passcode.NumericComplex, MinLength: 4, MaxLength: 16},
		passcode.AndroidPolicy,
	} {
		b.Run(p.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := passcode.Generate(p, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkIsNumericComplex(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		passcode.IsNumericComplex("290001112583")
	}
}

// BenchmarkRequest is a whole admin reset: check, generate, seal, store,
// then closing it so the next iteration may start one.
func BenchmarkRequest(b *testing.B) {
	ctx := context.Background()
	svc, err := passcode.New(passcode.Config{Store: passcode.NewMemStore(), SealKeys: passcode.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), SealKeyID: 1})
	if err != nil {
		b.Fatal(err)
	}
	d := pixel("d1")
	b.ReportAllocs()
	for b.Loop() {
		res, err := svc.Request(ctx, passcode.ResetRequest{Device: d, Actor: "admin"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Transition(ctx, res.Reset.ID, passcode.Failed, "admin"); err != nil {
			b.Fatal(err)
		}
	}
}
