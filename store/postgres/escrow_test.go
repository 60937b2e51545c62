package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/store/postgres"
)

func escrowCalls(ctx context.Context, s *postgres.EscrowStore) map[string]error {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	k := escrow.Key{DeviceID: "d", Kind: "k"}
	ev := escrow.Event{Type: escrow.EventTransition, RecordID: "r", DeviceID: "d", Kind: "k", To: escrow.Generated, At: t0}
	calls := map[string]error{
		"Write insert": s.Write(ctx, escrow.Row{DeviceID: "d", Kind: "k", Rev: 1, Data: []byte("x"), RecordIDs: []string{"r"}}, 0, []escrow.Event{ev}),
		"Write update": s.Write(ctx, escrow.Row{DeviceID: "d", Kind: "k", Rev: 2, Data: []byte("x")}, 1, nil),
		"Write delete": s.Write(ctx, escrow.Row{DeviceID: "d", Kind: "k", Rev: 2}, 1, nil),
	}
	_, calls["Load"] = s.Load(ctx, k)
	_, calls["ByRecord"] = s.ByRecord(ctx, "r")
	_, calls["ByCommand"] = s.ByCommand(ctx, "c")
	_, calls["Due"] = s.Due(ctx, t0, 10)
	_, calls["Purgeable"] = s.Purgeable(ctx, t0, 10)
	_, calls["Events"] = s.Events(ctx, escrow.EventQuery{DeviceID: "d"})
	_, calls["PurgeEvents"] = s.PurgeEvents(ctx, t0, 10)
	return calls
}

// Without its tables, every EscrowStore method fails with a prefixed
// server error, never a domain answer (not found, conflict) on which the
// Service would act.
func TestEscrowServerErrorsAreNotDomainAnswers(t *testing.T) {
	db := open(t, newSchema(t))
	for name, err := range escrowCalls(context.Background(), postgres.NewEscrowStore(db)) {
		switch {
		case err == nil:
			t.Errorf("%s without tables succeeded", name)
		case errors.Is(err, escrow.ErrNotFound) || errors.Is(err, escrow.ErrConflict):
			t.Errorf("%s without tables: %v, a domain answer", name, err)
		case !strings.HasPrefix(err.Error(), "postgres: "):
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
}

// Text a column cannot hold, or an ID holding the separator the store
// joins IDs with, is refused before the server with a *TextError.
func TestEscrowText(t *testing.T) {
	s := postgres.NewEscrowStore(migrated(t))
	ctx := context.Background()
	for name, err := range map[string]error{
		"NUL in device": s.Write(ctx, escrow.Row{DeviceID: "d\x00", Kind: "k", Rev: 1, Data: []byte("x")}, 0, nil),
		"newline in ID": s.Write(ctx, escrow.Row{DeviceID: "d", Kind: "k", Rev: 1, Data: []byte("x"), RecordIDs: []string{"a\nb"}}, 0, nil),
		"empty ID":      s.Write(ctx, escrow.Row{DeviceID: "d", Kind: "k", Rev: 1, Data: []byte("x"), CommandIDs: []string{""}}, 0, nil),
		"bad UTF-8 event": s.Write(ctx, escrow.Row{DeviceID: "d", Kind: "k", Rev: 1, Data: []byte("x")}, 0,
			[]escrow.Event{{RecordID: "r", DeviceID: "d", Kind: "k", Reason: "\xff"}}),
	} {
		var te *postgres.TextError
		if !errors.As(err, &te) {
			t.Errorf("%s: %v, want a *TextError", name, err)
		}
	}
	if _, err := s.Load(ctx, escrow.Key{DeviceID: "d", Kind: "k"}); !errors.Is(err, escrow.ErrNotFound) {
		t.Errorf("a refused write wrote: %v", err)
	}
}
