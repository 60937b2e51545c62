package escrow

import (
	"bytes"
	"context"
	"crypto/fips140"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/mdmcred/mdmcred/internal/cas"
	"github.com/mdmcred/mdmcred/internal/seal"
)

var (
	resealK1 = bytes.Repeat([]byte{1}, 32)
	resealK2 = bytes.Repeat([]byte{2}, 32)
	resealT0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
)

func resealSvc(t *testing.T, st Store, cur uint8, keys map[uint8][]byte) *Service {
	t.Helper()
	svc, err := New(Config{Store: st, SealKeys: NewKeys(keys), SealKeyID: cur, Now: func() time.Time { return resealT0 }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// sealFormat1 seals pt for r as earlier releases did (docs/sealed-format.md
// format 1, XChaCha20-Poly1305, no retention limit), outside FIPS mode.
func sealFormat1(t *testing.T, key []byte, id uint8, r *Record, pt string) []byte {
	t.Helper()
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		t.Fatal(err)
	}
	h := []byte{seal.FormatXChaCha, id, 0, 0, 0, 0, 0, 0, 0, 0}
	nonce := bytes.Repeat([]byte{7}, chacha20poly1305.NonceSizeX)
	return a.Seal(append(bytes.Clone(h), nonce...), nonce, []byte(pt), append(bytes.Clone(h), sealAD(r)...))
}

// TestReseal: a rotation from key 1 to key 2 re-seals every record of a
// row (a format 1 one included, outside FIPS mode) in format 2 under key
// 2, changing nothing else in the row; each re-sealed secret is still
// bound to its record (copied to another, it does not open).
func TestReseal(t *testing.T) {
	ctx := context.Background()
	st := NewMemStore()
	old := resealSvc(t, st, 1, map[uint8][]byte{1: resealK1})
	a, err := old.Report(ctx, "mac-1", KindAgentPassword, NewSecret("first-password"), "agent")
	if err != nil {
		t.Fatal(err)
	}
	b, err := old.Report(ctx, "mac-1", KindAgentPassword, NewSecret("second-password"), "agent")
	if err != nil {
		t.Fatal(err)
	}
	k := Key{"mac-1", KindAgentPassword}
	legacy := !fips140.Enabled()
	if legacy {
		rewrite(t, st, k, func(e *entry) { r := e.find(a.ID); r.Sealed = sealFormat1(t, resealK1, 1, r, "first-password") })
	}
	before, _ := st.Load(ctx, k)
	rotated := resealSvc(t, st, 2, map[uint8][]byte{1: resealK1, 2: resealK2})
	p, err := rotated.Reseal(ctx, nil)
	if err != nil || p != (ResealProgress{Visited: 2, Resealed: 2}) {
		t.Fatalf("Reseal = %+v, %v", p, err)
	}
	after, _ := st.Load(ctx, k)
	if after.Rev != before.Rev+1 {
		t.Errorf("rev %d after %d: want one write", after.Rev, before.Rev)
	}
	eb, _ := decodeEntry(before.Data, k.DeviceID, k.Kind)
	ea, _ := decodeEntry(after.Data, k.DeviceID, k.Kind)
	for i := range ea.Records {
		ra, rb := ea.Records[i], eb.Records[i]
		if ra.Sealed[0] != seal.FormatAESGCM || ra.Sealed[1] != 2 || bytes.Equal(ra.Sealed, rb.Sealed) {
			t.Errorf("record %s sealed %x", ra.ID, ra.Sealed[:2])
		}
		ra.Sealed, rb.Sealed = nil, nil
		if fmt.Sprint(ra) != fmt.Sprint(rb) {
			t.Errorf("re-seal changed record %s:\n%+v\n%+v", ra.ID, rb, ra)
		}
	}
	if ea.Last != eb.Last || len(ea.Records) != len(eb.Records) {
		t.Errorf("entry changed: %+v", ea)
	}
	onlyNew := resealSvc(t, st, 2, map[uint8][]byte{2: resealK2})
	src := netip.MustParseAddr("198.51.100.7")
	for id, want := range map[string]string{a.ID: "first-password", b.ID: "second-password"} {
		if got, err := onlyNew.Reveal(ctx, id, "admin", src, "check"); err != nil || !got.Equal(want) {
			t.Fatalf("Reveal(%s) under key 2 alone: %v", id, err)
		}
	}
	// Still bound to its record.
	rewrite(t, st, k, func(e *entry) { e.find(b.ID).Sealed = bytes.Clone(e.find(a.ID).Sealed) })
	if _, err := onlyNew.Reveal(ctx, b.ID, "admin", src, "check"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("a re-sealed value moved to another record: %v", err)
	}
}

// conflictStore makes the first Write of each row lose, after writing a
// view into the row itself, as a Reveal racing the re-seal would.
type conflictStore struct {
	*MemStore
	svc    *Service
	record string
	raced  atomic.Bool
	writes atomic.Int64
	always bool
}

func (c *conflictStore) Write(ctx context.Context, row Row, prev uint64, evs []Event) error {
	c.writes.Add(1)
	if len(evs) == 0 && (c.always || !c.raced.Swap(true)) {
		if _, err := c.svc.Reveal(ctx, c.record, "racer", netip.MustParseAddr("192.0.2.9"), "race"); err != nil {
			return err
		}
	}
	return c.MemStore.Write(ctx, row, prev, evs)
}

// TestResealConflict: a row that changes between the re-seal's read and
// its write is loaded and re-sealed again, the view that changed it kept;
// each secret is counted once. A row that loses every try is left for the
// next run, not an error.
func TestResealConflict(t *testing.T) {
	ctx := context.Background()
	for _, always := range []bool{false, true} {
		t.Run(fmt.Sprint("always=", always), func(t *testing.T) {
			st := NewMemStore()
			old := resealSvc(t, st, 1, map[uint8][]byte{1: resealK1})
			a, err := old.Report(ctx, "mac-1", KindAgentPassword, NewSecret("pw-a"), "agent")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := old.Report(ctx, "mac-1", KindAgentPassword, NewSecret("pw-b"), "agent"); err != nil {
				t.Fatal(err)
			}
			cs := &conflictStore{MemStore: st, record: a.ID, always: always}
			cs.svc = resealSvc(t, st, 1, map[uint8][]byte{1: resealK1})
			rotated := resealSvc(t, cs, 2, map[uint8][]byte{1: resealK1, 2: resealK2})
			p, err := rotated.Reseal(ctx, nil)
			got, _ := st.ByRecord(ctx, a.ID)
			e, _ := decodeEntry(got.Data, got.DeviceID, got.Kind)
			if always {
				if err != nil || p != (ResealProgress{Visited: 2}) || cs.writes.Load() != cas.MaxTries {
					t.Fatalf("Reseal = %+v, %v after %d writes; want both visited, none re-sealed", p, err, cs.writes.Load())
				}
				if e.find(a.ID).Views != cas.MaxTries || e.find(a.ID).Sealed[1] != 1 {
					t.Fatalf("views %d, key %d", e.find(a.ID).Views, e.find(a.ID).Sealed[1])
				}
				return
			}
			if err != nil || p != (ResealProgress{Visited: 2, Resealed: 2}) || cs.writes.Load() != 2 {
				t.Fatalf("Reseal = %+v, %v after %d writes", p, err, cs.writes.Load())
			}
			if r := e.find(a.ID); r.Views != 1 || r.Sealed[1] != 2 {
				t.Fatalf("the racing view was lost (views %d) or the value not re-sealed (key %d)", r.Views, r.Sealed[1])
			}
		})
	}
}

// badRows returns its rows out of key order.
type badRows struct{ *MemStore }

func (b badRows) Rows(ctx context.Context, after Key, limit int) ([]Row, error) {
	rows, err := b.MemStore.Rows(ctx, after, limit)
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows, err
}

// TestResealFailures: a secret under a key no longer held is counted and
// left; a row that does not decode is left and logged; a store that pages
// out of order, a nil or a done context stop the re-seal with an error.
func TestResealFailures(t *testing.T) {
	ctx := context.Background()
	st := NewMemStore()
	old := resealSvc(t, st, 1, map[uint8][]byte{1: resealK1})
	for _, d := range []string{"mac-1", "mac-2"} {
		if _, err := old.Report(ctx, d, KindAgentPassword, NewSecret("pw-"+d), "agent"); err != nil {
			t.Fatal(err)
		}
	}
	bad := Row{DeviceID: "mac-0", Kind: KindAgentPassword, Rev: 1, Data: []byte(`{"format":9}`), RecordIDs: []string{"x"}}
	if err := st.Write(ctx, bad, 0, nil); err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	svc, err := New(Config{Store: st, SealKeys: NewKeys(map[uint8][]byte{2: resealK2}), SealKeyID: 2,
		Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Reseal(ctx, nil)
	if err != nil || p != (ResealProgress{Visited: 2, Failed: 2}) {
		t.Fatalf("Reseal = %+v, %v", p, err)
	}
	if got, _ := st.Load(ctx, Key{"mac-0", KindAgentPassword}); got.Rev != 1 || !strings.Contains(logged.String(), "mac-0") {
		t.Fatalf("undecodable row: rev %d, log %q", got.Rev, logged.String())
	}
	rotated := resealSvc(t, badRows{st}, 2, map[uint8][]byte{1: resealK1, 2: resealK2})
	if _, err := rotated.Reseal(ctx, nil); err == nil || !strings.Contains(err.Error(), "order") {
		t.Fatalf("rows out of order: %v", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := rotated.Reseal(done, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("done context: %v", err)
	}
	var nilCtx context.Context
	if _, err := rotated.Reseal(nilCtx, nil); !errors.Is(err, ErrNilContext) {
		t.Fatalf("nil context: %v", err)
	}
}
