package escrow

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/internal/seal"
)

func sealFixture(t *testing.T) (*Service, *MemStore) {
	t.Helper()
	st := NewMemStore()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	svc, err := New(Config{Store: st, SealKeys: NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{9}, 32)}), SealKeyID: 1,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

// rewrite replaces the stored row of k by what edit makes of its records.
func rewrite(t *testing.T, st *MemStore, k Key, edit func(e *entry)) {
	t.Helper()
	ctx := context.Background()
	row, err := st.Load(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	e, err := decodeEntry(row.Data, row.DeviceID, row.Kind)
	if err != nil {
		t.Fatal(err)
	}
	edit(&e)
	next := row
	next.Rev, next.Data, next.RecordIDs = row.Rev+1, e.encode(), nil
	for _, r := range e.Records {
		next.RecordIDs = append(next.RecordIDs, r.ID)
	}
	if err := st.Write(ctx, next, row.Rev, nil); err != nil {
		t.Fatal(err)
	}
}

// A sealed secret opens only in its own record: copied to another record
// of the row, to another device's row, or with its version or kind
// changed, it fails to open, the view is not recorded, and the error holds
// no secret.
func TestSealBinding(t *testing.T) {
	ctx := context.Background()
	src := netip.MustParseAddr("198.51.100.7")
	cases := []struct {
		name string
		edit func(svc *Service, st *MemStore, a, b Record) string // returns the record to reveal
	}{
		{"sealed value of another record of the row", func(_ *Service, st *MemStore, a, b Record) string {
			rewrite(t, st, Key{a.DeviceID, a.Kind}, func(e *entry) { e.find(b.ID).Sealed = bytes.Clone(a.Sealed) })
			return b.ID
		}},
		{"version changed", func(_ *Service, st *MemStore, a, b Record) string {
			rewrite(t, st, Key{a.DeviceID, a.Kind}, func(e *entry) { e.find(b.ID).Version = 7; e.Last = 7 })
			return b.ID
		}},
		{"moved to another device's row", func(svc *Service, st *MemStore, a, b Record) string {
			c, err := svc.Report(ctx, "mac-2", a.Kind, NewSecret("other-device"), "agent")
			if err != nil {
				t.Error(err)
				return ""
			}
			rewrite(t, st, Key{"mac-2", a.Kind}, func(e *entry) { e.find(c.ID).Sealed = bytes.Clone(a.Sealed) })
			return c.ID
		}},
		{"record ID changed", func(_ *Service, st *MemStore, a, b Record) string {
			rewrite(t, st, Key{a.DeviceID, a.Kind}, func(e *entry) { e.find(b.ID).ID = "forged" })
			return "forged"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, st := sealFixture(t)
			a, err := svc.Report(ctx, "mac-1", KindAgentPassword, NewSecret("first-password"), "agent")
			if err != nil {
				t.Fatal(err)
			}
			b, err := svc.Report(ctx, "mac-1", KindAgentPassword, NewSecret("second-password"), "agent")
			if err != nil {
				t.Fatal(err)
			}
			id := c.edit(svc, st, a, b)
			before, _ := st.Events(ctx, EventQuery{RecordID: id})
			sec, err := svc.Reveal(ctx, id, "admin", src, "check")
			if !errors.Is(err, seal.ErrOpen) || !sec.IsZero() {
				t.Fatalf("Reveal = %v; want seal.ErrOpen", err)
			}
			if strings.Contains(err.Error(), "password") {
				t.Errorf("error %q holds the secret", err)
			}
			after, _ := st.Events(ctx, EventQuery{RecordID: id})
			if len(after) != len(before) {
				t.Errorf("a view that failed to open was recorded")
			}
		})
	}
}

// The row at rest holds no secret in clear.
func TestRowHoldsNoPlaintext(t *testing.T) {
	ctx := context.Background()
	svc, st := sealFixture(t)
	if _, err := svc.Report(ctx, "mac-1", KindAgentPassword, NewSecret("Plaintext-Password-42"), "agent"); err != nil {
		t.Fatal(err)
	}
	row, _ := st.Load(ctx, Key{"mac-1", KindAgentPassword})
	if bytes.Contains(row.Data, []byte("Plaintext-Password-42")) {
		t.Fatal("row data holds the password")
	}
}
