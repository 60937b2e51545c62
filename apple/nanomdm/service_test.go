package nanomdm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/micromdm/nanomdm/service"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/apple/nanomdm"
)

func TestNewConfig(t *testing.T) {
	sealer, _ := apple.NewSealer(apple.NewKeys(map[uint8][]byte{1: key(1)}), 1)
	src := nanomdm.NewMemSource(sealer, nil)
	tokens := nanomdm.NewMemTokenStore()
	var next service.CheckinAndCommandService = &service.NopService{}
	for _, tt := range []struct {
		field string
		next  service.CheckinAndCommandService
		cfg   nanomdm.Config
	}{
		{"next service", nil, nanomdm.Config{Source: src, Tokens: tokens, Sealer: sealer}},
		{"Source", next, nanomdm.Config{Tokens: tokens, Sealer: sealer}},
		{"Tokens", next, nanomdm.Config{Source: src, Sealer: sealer}},
		{"Sealer", next, nanomdm.Config{Source: src, Tokens: tokens}},
	} {
		var ce *nanomdm.ConfigError
		if _, err := nanomdm.New(tt.next, tt.cfg); !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%s: %v", tt.field, err)
		}
	}
	if _, err := nanomdm.New(next, nanomdm.Config{Source: src, Tokens: tokens, Sealer: sealer}); err != nil {
		t.Error(err)
	}
}

func TestMemTokenStore(t *testing.T) {
	s := nanomdm.NewMemTokenStore()
	ctx := context.Background()
	if _, _, err := s.Token(ctx, "a"); !errors.Is(err, nanomdm.ErrNoToken) {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	in := []byte{1, 2, 3}
	if err := s.PutToken(ctx, "a", in, at); err != nil {
		t.Fatal(err)
	}
	in[0] = 9
	got, gotAt, err := s.Token(ctx, "a")
	if err != nil || got[0] != 1 || !gotAt.Equal(at) || gotAt.Location() != time.UTC {
		t.Fatalf("Token = %v %v %v", got, gotAt, err)
	}
	if err := s.DeleteToken(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Token(ctx, "a"); !errors.Is(err, nanomdm.ErrNoToken) {
		t.Fatal(err)
	}
}

func TestMemSource(t *testing.T) {
	sealer, _ := apple.NewSealer(apple.NewKeys(map[uint8][]byte{1: key(1)}), 1)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src := nanomdm.NewMemSource(sealer, func() time.Time { return now })
	ctx := context.Background()
	if _, err := src.Plaintext(ctx, "U1", "C1"); !errors.Is(err, nanomdm.ErrUnknownCommand) {
		t.Fatal(err)
	}
	if err := src.Result(ctx, "U1", "C1", apple.Outcome{Kind: apple.Succeeded}); !errors.Is(err, nanomdm.ErrUnknownCommand) {
		t.Fatal(err)
	}
	if err := src.Put("U1", "C1", apple.Secrets{PIN: apple.NewSecret("123456")}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s, err := src.Plaintext(ctx, "U1", "C1")
	if err != nil || s.PIN.Reveal() != "123456" || src.State("C1") != nanomdm.EscrowPending {
		t.Fatalf("Plaintext = %v, state %s", err, src.State("C1"))
	}
	for _, k := range []apple.OutcomeKind{apple.StillPending, apple.Succeeded, apple.Failed} {
		if err := src.Result(ctx, "U1", "C1", apple.Outcome{Kind: k}); err != nil {
			t.Fatal(err)
		}
	}
	// Another enrollment neither sees nor reports the command.
	if _, err := src.Plaintext(ctx, "U2", "C1"); !errors.Is(err, nanomdm.ErrUnknownCommand) {
		t.Errorf("other enrollment's Plaintext: %v", err)
	}
	if err := src.Result(ctx, "U2", "C1", apple.Outcome{Kind: apple.Failed}); !errors.Is(err, nanomdm.ErrUnknownCommand) {
		t.Errorf("other enrollment's Result: %v", err)
	}
	// The first final outcome decides; a later one is recorded, not applied.
	if src.State("C1") != nanomdm.EscrowActive || len(src.Outcomes("C1")) != 3 || src.State("C9") != "" || src.Outcomes("C9") != nil {
		t.Errorf("state %s, outcomes %v", src.State("C1"), src.Outcomes("C1"))
	}
	now = now.Add(2 * time.Hour)
	if _, err := src.Plaintext(ctx, "U1", "C1"); !errors.Is(err, apple.ErrSealed) {
		t.Errorf("past retention: %v", err)
	}
}
