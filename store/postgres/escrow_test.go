package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/escrow/escrowtest"
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
	_, calls["ClosedBefore"] = s.ClosedBefore(ctx, t0, 10)
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

// TestEscrowHotQueriesUseIndexes runs every escrow operation through a
// Service on tables of explainRows rows and fails if PostgreSQL's plan for
// any statement the store sent scans an mdmcred table sequentially.
func TestEscrowHotQueriesUseIndexes(t *testing.T) {
	dsn := newSchema(t)
	db := open(t, dsn)
	ctx := context.Background()
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO mdmcred_escrow (device_id, kind, rev, data, due_at, closed_at)
			SELECT 'dev-' || g, 'admin-password', 1, '\x00',
				CASE WHEN g % 10 = 0 THEN now() + (g % 100) * interval '1 minute' END,
				CASE WHEN g % 7 = 0 THEN now() - (g % 100) * interval '1 day' END
			FROM generate_series(1, $1) g`,
		`INSERT INTO mdmcred_escrow_ref (ref, device_id, kind)
			SELECT p || g, 'dev-' || g, 'admin-password' FROM generate_series(1, $1) g, unnest(ARRAY['rr-', 'rr2-', 'cc-']) p`,
		`INSERT INTO mdmcred_escrow_event (type, record_id, device_id, kind, from_state, to_state, at, actor)
			SELECT 1, 'r-' || (g % $1 + 1), 'dev-' || (g % $1 + 1), 'admin-password', 0, 1, now() - g * interval '1 minute', 'a'
			FROM generate_series(1, 2 * $1) g`,
	} {
		if _, err := db.ExecContext(ctx, q, explainRows); err != nil {
			t.Fatalf("load: %v\n%s", err, q)
		}
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tracer = rec
	traced := stdlib.OpenDB(*cfg)
	defer traced.Close()

	now := time.Now().UTC()
	svc, err := escrow.New(escrow.Config{Store: postgres.NewEscrowStore(traced), Now: func() time.Time { return now },
		SealKeys: escrow.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), SealKeyID: 1})
	if err != nil {
		t.Fatal(err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	r, err := svc.Generate(ctx, "dev-new", escrow.KindAdminPassword, "admin")
	must("generate", err)
	_, err = svc.Deliver(ctx, r.ID)
	must("deliver", err)
	_, err = svc.Sent(ctx, r.ID, "c-new", "mdm")
	must("sent", err)
	_, err = svc.Acknowledge(ctx, "c-new", "mdm")
	must("acknowledge", err)
	_, err = svc.Reveal(ctx, r.ID, "admin", netip.MustParseAddr("192.0.2.1"), "check")
	must("reveal", err)
	_, err = svc.History(ctx, "dev-new", escrow.KindAdminPassword)
	must("history", err)
	_, err = svc.Events(ctx, escrow.EventQuery{RecordID: r.ID})
	must("events by record", err)
	_, err = svc.Events(ctx, escrow.EventQuery{DeviceID: "dev-42"})
	must("events by device", err)
	st := postgres.NewEscrowStore(traced)
	_, err = st.Due(ctx, now, 100)
	must("due", err)
	_, err = st.ClosedBefore(ctx, now.Add(-30*24*time.Hour), 1000)
	must("purgeable", err)
	_, err = st.PurgeEvents(ctx, now.Add(-30*24*time.Hour), 1000)
	must("purge events", err)
	_, err = st.ByRecord(ctx, "r2-42")
	must("by record", err)
	must("delete", st.Write(ctx, escrow.Row{DeviceID: "dev-42", Kind: "admin-password", Rev: 2}, 1, nil))
	_, err = st.Rows(ctx, escrow.Key{DeviceID: "dev-5000", Kind: "admin-password"}, 1000)
	must("re-seal page", err)

	checked := 0
	for _, s := range rec.stmts {
		var plan string
		if err := db.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+s.sql, s.args...).Scan(&plan); err != nil {
			t.Fatalf("EXPLAIN: %v\n%s", err, s.sql)
		}
		var tree []struct{ Plan planNode }
		if err := json.Unmarshal([]byte(plan), &tree); err != nil || len(tree) != 1 {
			t.Fatalf("EXPLAIN output %q: %v", plan, err)
		}
		checked++
		if rel := seqScan(tree[0].Plan); rel != "" {
			t.Errorf("sequential scan of %s in:\n%s\nplan: %s", rel, s.sql, plan)
		}
	}
	if checked < 12 {
		t.Fatalf("only %d statements checked", checked)
	}
}

// twoInstances sends each call to the next of several EscrowStores, each
// on its own pool: instances of a host sharing one database.
type twoInstances struct {
	next   atomic.Uint64
	stores []*postgres.EscrowStore
}

func (s *twoInstances) pick() *postgres.EscrowStore {
	return s.stores[s.next.Add(1)%uint64(len(s.stores))]
}

func (s *twoInstances) Load(ctx context.Context, k escrow.Key) (escrow.Row, error) {
	return s.pick().Load(ctx, k)
}
func (s *twoInstances) ByRecord(ctx context.Context, id string) (escrow.Row, error) {
	return s.pick().ByRecord(ctx, id)
}
func (s *twoInstances) ByCommand(ctx context.Context, id string) (escrow.Row, error) {
	return s.pick().ByCommand(ctx, id)
}
func (s *twoInstances) Write(ctx context.Context, r escrow.Row, prev uint64, evs []escrow.Event) error {
	return s.pick().Write(ctx, r, prev, evs)
}
func (s *twoInstances) Due(ctx context.Context, now time.Time, limit int) ([]escrow.Key, error) {
	return s.pick().Due(ctx, now, limit)
}
func (s *twoInstances) Events(ctx context.Context, q escrow.EventQuery) ([]escrow.Event, error) {
	return s.pick().Events(ctx, q)
}
func (s *twoInstances) ClosedBefore(ctx context.Context, before time.Time, limit int) ([]escrow.Key, error) {
	return s.pick().ClosedBefore(ctx, before, limit)
}
func (s *twoInstances) PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.pick().PurgeEvents(ctx, before, limit)
}
func (s *twoInstances) Rows(ctx context.Context, after escrow.Key, limit int) ([]escrow.Row, error) {
	return s.pick().Rows(ctx, after, limit)
}

// The whole conformance suite, its races included, with every call going
// to one of two pools in turn, on every route.
func TestEscrowStoreTwoInstances(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		escrowtest.RunStore(t, func(t *testing.T) escrow.Store {
			s := &twoInstances{}
			for _, db := range instancesOn(t, r, 2) {
				s.stores = append(s.stores, postgres.NewEscrowStore(db))
			}
			return s
		})
	})
}

// For every sequence of writes (inserts, compare-and-swaps and deletes
// from any revision) and reads on a few devices, the PostgreSQL store
// answers exactly as the reference MemStore does.
func TestPropertyEscrowStoreMatchesMemStore(t *testing.T) {
	pg := postgres.NewEscrowStore(migrated(t))
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	known := []error{escrow.ErrNotFound, escrow.ErrConflict}
	rowString := func(r escrow.Row, err error) string {
		return fmt.Sprintf("%s %s/%s rev %d %q", sentinel(err, known...), r.DeviceID, r.Kind, r.Rev, r.Data)
	}
	run := 0
	properties := gopter.NewProperties(params())
	properties.Property("same answers as MemStore", prop.ForAll(func(ops []uint32) string {
		run++
		mem := escrow.NewMemStore()
		dev := func(op uint32) string { return fmt.Sprintf("r%d-dev-%d", run, op%3) }
		// IDs are unique across rows, as the Store's contract assumes:
		// each names its device.
		id := func(d string, op uint32) string { return fmt.Sprintf("%s-rec-%d", d, op%3) }
		cmd := func(d string, op uint32) string { return fmt.Sprintf("%s-cmd-%d", d, op%3) }
		// Each run lives further in the past than the one before, so that
		// the earlier runs' rows, which the PostgreSQL store still holds,
		// are never due or purgeable at this run's instants.
		base := t0.Add(-time.Duration(run) * 1000 * time.Hour)
		for i, op := range ops {
			at := base.Add(time.Duration(i) * time.Second)
			d, arg := dev(op>>4), op>>6
			var a, b string
			switch op % 9 {
			case 0, 1, 2:
				prev := uint64(arg % 4)
				row := escrow.Row{DeviceID: d, Kind: "k", Rev: prev + 1, Data: []byte(fmt.Sprint("v", i)),
					RecordIDs: []string{id(d, arg)}, CommandIDs: []string{cmd(d, arg>>3)}}
				if arg%3 == 0 {
					row.DueAt = at
				}
				if arg%5 == 0 {
					row.ClosedAt = at
				}
				if op%9 == 2 {
					row.Data, row.RecordIDs, row.CommandIDs = nil, nil, nil
				}
				ev := []escrow.Event{{Type: escrow.EventViewed, RecordID: id(d, arg), DeviceID: d, Kind: "k", At: at, Actor: fmt.Sprint("a", i)}}
				a, b = sentinel(mem.Write(ctx, row, prev, ev), known...), sentinel(pg.Write(ctx, row, prev, ev), known...)
			case 3:
				k := escrow.Key{DeviceID: d, Kind: "k"}
				a, b = rowString(mem.Load(ctx, k)), rowString(pg.Load(ctx, k))
			case 4:
				a, b = rowString(mem.ByRecord(ctx, id(d, arg))), rowString(pg.ByRecord(ctx, id(d, arg)))
			case 5:
				a, b = rowString(mem.ByCommand(ctx, cmd(d, arg))), rowString(pg.ByCommand(ctx, cmd(d, arg)))
			case 6, 7:
				mk, merr := mem.Due(ctx, at, int(arg%4))
				pk, perr := pg.Due(ctx, at, int(arg%4))
				if op%9 == 7 {
					mk, merr = mem.ClosedBefore(ctx, at, int(arg%4))
					pk, perr = pg.ClosedBefore(ctx, at, int(arg%4))
				}
				a, b = fmt.Sprint(sentinel(merr, known...), mk), fmt.Sprint(sentinel(perr, known...), pk)
			case 8:
				me, merr := mem.Events(ctx, escrow.EventQuery{DeviceID: d})
				pe, perr := pg.Events(ctx, escrow.EventQuery{DeviceID: d})
				a, b = fmt.Sprint(sentinel(merr, known...), actors(me)), fmt.Sprint(sentinel(perr, known...), actors(pe))
			}
			if a != b {
				return fmt.Sprintf("op %d (%d): MemStore %s, PostgreSQL %s", i, op%9, a, b)
			}
		}
		return ""
	}, gen.SliceOf(gen.UInt32())))
	properties.TestingRun(t)
}

func actors(evs []escrow.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Actor)
	}
	return out
}
