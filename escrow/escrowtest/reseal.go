package escrowtest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/mdmcred/mdmcred/escrow"
)

// ResealRows is how many rows the re-seal case of [RunStore] fills: more
// than one batch (1,000) of [escrow.Service.Reseal].
const ResealRows = 1100

// resealRaceOps is how many operations each racer of the re-seal race
// makes.
const resealRaceOps = 24

var (
	resealKey1 = bytes.Repeat([]byte{0x61}, 32)
	resealKey2 = bytes.Repeat([]byte{0x62}, 32)
)

func resealService(t *testing.T, s escrow.Store, c *clock, cur uint8, keys map[uint8][]byte) *escrow.Service {
	t.Helper()
	svc, err := escrow.New(escrow.Config{Store: s, SealKeys: escrow.NewKeys(keys), SealKeyID: cur, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// testRows: Rows pages the rows in byte order of DeviceID then Kind, after
// a key, up to a limit, and returns copies.
func testRows(t *testing.T, s escrow.Store) {
	// Byte order, not a locale's: "B" < "a" < "ab" < "a\u00e9", and kinds
	// order within a device.
	keys := []escrow.Key{{DeviceID: "a", Kind: "k2"}, {DeviceID: "B", Kind: "k"}, {DeviceID: "a\u00e9", Kind: "k"},
		{DeviceID: "ab", Kind: "k"}, {DeviceID: "a", Kind: "k1"}, {DeviceID: "a", Kind: "K"}}
	for i, k := range keys {
		mustWrite(t, s, row(k.DeviceID, k.Kind, 1, fmt.Sprintf("data-%d", i), []string{fmt.Sprintf("r%d", i)}, nil), 0)
	}
	want := []string{"B/k", "a/K", "a/k1", "a/k2", "ab/k", "a\u00e9/k"}
	page := func(after escrow.Key, limit int) []string {
		t.Helper()
		rows, err := s.Rows(ctx, after, limit)
		if err != nil {
			t.Fatalf("Rows(%v, %d): %v", after, limit, err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.DeviceID+"/"+r.Kind)
			if r.Rev != 1 || !bytes.HasPrefix(r.Data, []byte("data-")) {
				t.Errorf("row %s/%s: rev %d data %q", r.DeviceID, r.Kind, r.Rev, r.Data)
			}
		}
		return got
	}
	cases := []struct {
		after escrow.Key
		limit int
		want  []string
	}{
		{escrow.Key{}, 10, want},
		{escrow.Key{}, 2, want[:2]},
		{escrow.Key{DeviceID: "a", Kind: "K"}, 2, want[2:4]},
		{escrow.Key{DeviceID: "a", Kind: "k0"}, 10, want[2:]},
		{escrow.Key{DeviceID: "a"}, 1, want[1:2]},
		{escrow.Key{DeviceID: "a\u00e9", Kind: "k"}, 10, nil},
		{escrow.Key{}, 0, nil},
		{escrow.Key{}, -1, nil},
	}
	for _, c := range cases {
		if got := page(c.after, c.limit); !slices.Equal(got, c.want) {
			t.Errorf("Rows(%q, %d) = %q, want %q", c.after, c.limit, got, c.want)
		}
	}
	rows, _ := s.Rows(ctx, escrow.Key{}, 1)
	rows[0].Data[0] = 'X'
	got, err := s.Load(ctx, escrow.Key{DeviceID: "B", Kind: "k"})
	wantRow(t, got, err, row("B", "k", 1, "data-1", nil, nil))
}

// testResealBatches: after a rotation from key 1 to key 2, Reseal re-seals
// every record of ResealRows rows (two records each) in two batches with a
// progress report after each; a Service holding key 2 alone then reveals
// every secret, each still bound to its record; a second run changes
// nothing; a secret under a key the Service no longer holds is counted as
// failed and left as it is.
func testResealBatches(t *testing.T, s escrow.Store) {
	c := newClock()
	old := resealService(t, s, c, 1, map[uint8][]byte{1: resealKey1})
	want := map[string]string{}
	for i := range ResealRows {
		dev := fmt.Sprintf("mac-%05d", i)
		for v := range 2 {
			pw := fmt.Sprintf("pw-%s-%d", dev, v)
			r, err := old.Report(ctx, dev, escrow.KindAgentPassword, escrow.NewSecret(pw), "agent")
			if err != nil {
				t.Fatalf("Report: %v", err)
			}
			want[r.ID] = pw
		}
	}
	rotated := resealService(t, s, c, 2, map[uint8][]byte{1: resealKey1, 2: resealKey2})
	var reports []escrow.ResealProgress
	p, err := rotated.Reseal(ctx, func(p escrow.ResealProgress) { reports = append(reports, p) })
	if err != nil || p != (escrow.ResealProgress{Visited: 2 * ResealRows, Resealed: 2 * ResealRows}) {
		t.Fatalf("Reseal = %+v, %v", p, err)
	}
	if len(reports) != 2 || reports[0].Visited != 2*1000 || reports[1] != p {
		t.Fatalf("progress %+v", reports)
	}
	onlyNew := resealService(t, s, c, 2, map[uint8][]byte{2: resealKey2})
	for id, pw := range want {
		r, err := onlyNew.Get(ctx, id)
		if err != nil || len(r.Sealed) < 2 || r.Sealed[0] != 2 || r.Sealed[1] != 2 {
			t.Fatalf("record %s: %v, sealed %x", id, err, r.Sealed)
		}
		got, err := onlyNew.Reveal(ctx, id, "admin", src, "after the rotation")
		if err != nil || !got.Equal(pw) {
			t.Fatalf("Reveal(%s) under the new key alone: %v", id, err)
		}
	}
	if p, err := rotated.Reseal(ctx, nil); err != nil || p != (escrow.ResealProgress{Visited: 2 * ResealRows}) {
		t.Fatalf("second run: %+v, %v", p, err)
	}
	// A secret under a key the Service no longer holds: counted, left.
	if _, err := old.Report(ctx, "mac-old", escrow.KindAgentPassword, escrow.NewSecret("pw-old"), "agent"); err != nil {
		t.Fatal(err)
	}
	before, err := s.Load(ctx, escrow.Key{DeviceID: "mac-old", Kind: escrow.KindAgentPassword})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := onlyNew.Reseal(ctx, nil); err != nil || p != (escrow.ResealProgress{Visited: 2*ResealRows + 1, Failed: 1}) {
		t.Fatalf("Reseal with the old key gone: %+v, %v", p, err)
	}
	after, err := s.Load(ctx, escrow.Key{DeviceID: "mac-old", Kind: escrow.KindAgentPassword})
	wantRow(t, after, err, before)
}

// testResealRace: Reseal runs while Racers goroutines view secrets (each
// view rewrites its row), report new ones (a rotation: the previous one
// is superseded) and generate-send-acknowledge rotations, half of them on
// an instance that holds the new key but still seals under the old one
// (mid-deployment). No view, report or rotation is
// lost, and no secret is clobbered: once the racers stop, re-seal runs
// until Resealed is 0 and a Service holding the new key alone reveals
// every secret.
func testResealRace(t *testing.T, s escrow.Store) {
	const devices = 40
	c := newClock()
	old := resealService(t, s, c, 1, map[uint8][]byte{1: resealKey1})
	rotated := resealService(t, s, c, 2, map[uint8][]byte{1: resealKey1, 2: resealKey2})
	both := resealService(t, s, c, 1, map[uint8][]byte{1: resealKey1, 2: resealKey2})
	var mu sync.Mutex
	want := map[string]string{} // record → secret
	views := map[string]int{}   // record → views made
	for i := range devices {
		dev := fmt.Sprintf("mac-%02d", i)
		pw := "pw-" + dev
		r, err := old.Report(ctx, dev, escrow.KindAgentPassword, escrow.NewSecret(pw), "agent")
		if err != nil {
			t.Fatal(err)
		}
		want[r.ID] = pw
		a := activate(t, old, dev, escrow.KindRecoveryLock, "cmd-"+dev)
		sec, err := old.Reveal(ctx, a.ID, "setup", src, "setup")
		if err != nil {
			t.Fatal(err)
		}
		want[a.ID], views[a.ID] = sec.Reveal(), 1
	}
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var wg sync.WaitGroup
	for g := range Racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := both
			if g%2 == 0 {
				svc = rotated
			}
			for i := range resealRaceOps {
				dev := fmt.Sprintf("mac-%02d", (g+i)%devices)
				switch i % 3 {
				case 0:
					id := ids[(g*7+i)%len(ids)]
					if _, err := svc.Reveal(ctx, id, fmt.Sprintf("viewer-%d", g), src, "race"); err != nil {
						t.Errorf("Reveal(%s): %v", id, err)
						return
					}
					mu.Lock()
					views[id]++
					mu.Unlock()
				case 1:
					pw := fmt.Sprintf("pw-%d-%d", g, i)
					r, err := svc.Report(ctx, dev, escrow.KindAgentPassword, escrow.NewSecret(pw), fmt.Sprintf("agent-%d", g))
					if err != nil {
						t.Errorf("Report: %v", err)
						return
					}
					mu.Lock()
					want[r.ID] = pw
					mu.Unlock()
				case 2:
					// Another racer's rotation of the same device may be
					// open: a second one is refused (ErrInProgress).
					r, err := svc.Generate(ctx, dev, escrow.KindAdminPassword, fmt.Sprintf("admin-%d", g))
					if errors.Is(err, escrow.ErrInProgress) {
						continue
					}
					if err != nil {
						t.Errorf("Generate: %v", err)
						return
					}
					sec, err := svc.Deliver(ctx, r.ID)
					if err != nil {
						t.Errorf("Deliver(%s): %v", r.ID, err)
						return
					}
					cmd := fmt.Sprintf("cmd-%d-%d", g, i)
					if _, err := svc.Sent(ctx, r.ID, cmd, "mdm"); err != nil {
						t.Errorf("Sent: %v", err)
						return
					}
					if _, err := svc.Acknowledge(ctx, cmd, "mdm"); err != nil {
						t.Errorf("Acknowledge: %v", err)
						return
					}
					mu.Lock()
					want[r.ID] = sec.Reveal()
					mu.Unlock()
				}
			}
		}()
	}
	raced := make(chan struct{})
	go func() { wg.Wait(); close(raced) }()
	var runs []escrow.ResealProgress
	for racing := true; racing; {
		select {
		case <-raced:
			racing = false
		default:
		}
		p, err := rotated.Reseal(ctx, nil)
		if err != nil {
			t.Errorf("Reseal during the race: %v", err)
		}
		runs = append(runs, p)
	}
	if t.Failed() {
		t.FailNow()
	}
	for p := range 5 {
		r, err := rotated.Reseal(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
		if r.Failed != 0 {
			t.Fatalf("runs %+v: a secret failed to open", runs)
		}
		if r.Resealed == 0 {
			break
		}
		if p == 4 {
			t.Fatalf("runs %+v: still re-sealing with no racer left", runs)
		}
	}
	onlyNew := resealService(t, s, c, 2, map[uint8][]byte{2: resealKey2})
	for id, pw := range want {
		r, err := onlyNew.Get(ctx, id)
		if err != nil {
			t.Fatalf("record %s lost: %v", id, err)
		}
		if r.Views != views[id] {
			t.Errorf("record %s: %d views recorded, %d made", id, r.Views, views[id])
		}
		sec, err := onlyNew.Reveal(ctx, id, "auditor", src, "after the race")
		if err != nil || !sec.Equal(pw) {
			t.Fatalf("Reveal(%s) under the new key alone: %v", id, err)
		}
	}
}
