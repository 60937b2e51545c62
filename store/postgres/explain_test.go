package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// recorder is a pgx tracer that keeps every statement the stores send,
// with its arguments.
type recorder struct {
	mu    sync.Mutex
	stmts []recorded
}

type recorded struct {
	sql  string
	args []any
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	r.stmts = append(r.stmts, recorded{sql: d.SQL, args: append([]any(nil), d.Args...)})
	r.mu.Unlock()
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// explainRows is how many rows each table gets before the plans are
// checked: enough that a sequential scan costs more than any index path.
const explainRows = 20000

// TestHotQueriesUseIndexes runs every hot operation of every store once on
// tables of explainRows rows, records the statements it sends, and fails
// if PostgreSQL's plan for any of them (EXPLAIN, with the same arguments)
// scans an mdmcred table sequentially: their cost must not grow with the
// table.
func TestHotQueriesUseIndexes(t *testing.T) {
	dsn := newSchema(t)
	db := open(t, dsn)
	ctx := context.Background()
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO mdmcred_servicepass_event (type, at, device_id, mode, actions, key_id, serial)
			SELECT 'issued', now() - g * interval '1 minute', 'dev-' || (g % 5000), 1, 1, 1, g FROM generate_series(1, $1) g`,
		`INSERT INTO mdmcred_enrollment_passcode (site, digest, generated_at)
			SELECT 'site-' || g, decode(md5(g::text), 'hex'), now() FROM generate_series(1, $1) g`,
		`INSERT INTO mdmcred_enrollment_event (site, kind, at)
			SELECT 'site-' || (g % 5000), 3, now() - g * interval '1 minute' FROM generate_series(1, $1) g`,
		`INSERT INTO mdmcred_otp_pin (user_name, digest, issued_at, expires_at)
			SELECT 'user-' || g, decode(md5(g::text), 'hex'), now(), now() + (g % 100 - 50) * interval '1 hour' FROM generate_series(1, $1) g`,
		`INSERT INTO mdmcred_otp_totp (subject, next_step, version)
			SELECT 'subject-' || g, g, g FROM generate_series(1, $1) g`,
		`INSERT INTO mdmcred_passcode_reset (id, device_id, platform, action, state, requested_at, updated_at, stale_at, open_device, rev)
			SELECT 'r-' || g, 'dev-' || g, 1, 1, CASE WHEN g % 10 = 0 THEN 2 ELSE 4 + g % 3 END,
				now() - g * interval '1 minute', now() - g * interval '1 minute', now() + (g % 1000) * interval '1 minute',
				CASE WHEN g % 10 = 0 THEN 'dev-' || g END, 1
			FROM generate_series(1, $1) g`,
		`INSERT INTO mdmcred_passcode_event (kind, reset_id, device_id, from_state, to_state, at)
			SELECT 1, 'r-' || (g % $1 + 1), 'dev-' || (g % $1 + 1), 1, 2, now() - g * interval '1 minute' FROM generate_series(1, 2 * $1) g`,
		`ANALYZE`,
	} {
		if strings.HasPrefix(q, "ANALYZE") {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			continue
		}
		if _, err := db.ExecContext(ctx, q, explainRows); err != nil {
			t.Fatalf("load: %v\n%s", err, q)
		}
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
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	sp := postgres.NewServicepassStore(traced)
	must("servicepass record", sp.Record(ctx, servicepass.Event{Type: servicepass.EventIssued, At: now, DeviceID: "dev-42", Serial: 1}))
	_, err = sp.Events(ctx, "dev-42")
	must("servicepass events", err)
	_, err = sp.PurgeEvents(ctx, now.Add(-30*24*time.Hour), 1000)
	must("servicepass purge", err)

	en := postgres.NewEnrollmentStore(traced)
	must("enrollment insert", en.Write(ctx, enrollment.Record{Site: "site-new", Digest: []byte("new digest"), GeneratedAt: now, Rev: 1}, 0,
		[]enrollment.Event{{Site: "site-new", Kind: enrollment.EventGenerated, At: now, Actor: "admin"}}))
	er, err := en.Load(ctx, "site-42")
	must("enrollment load", err)
	_, err = en.Lookup(ctx, []byte("new digest"))
	must("enrollment lookup", err)
	enext := er
	enext.Lockout, enext.Rev = enrollment.Lockout{Failures: 1, LastFailure: now, LastSource: "192.0.2.1"}, er.Rev+1
	must("enrollment write", en.Write(ctx, enext, er.Rev, []enrollment.Event{{Site: "site-42", Kind: enrollment.EventFailed, At: now}}))
	must("enrollment append", en.Append(ctx, "site-new", 1, []enrollment.Event{{Site: "site-new", Kind: enrollment.EventUsed, At: now, Source: "192.0.2.1"}}))
	_, err = en.Events(ctx, "site-42")
	must("enrollment events", err)
	_, err = en.PurgeEvents(ctx, now.Add(-30*24*time.Hour), 1000)
	must("enrollment purge", err)

	pins := postgres.NewOTPStore(traced)
	must("otp put", pins.Put(ctx, otp.PINRecord{User: "user-42", Digest: []byte("d"), IssuedAt: now, ExpiresAt: now.Add(time.Hour)}))
	pr, err := pins.Load(ctx, "user-42")
	must("otp load", err)
	pr.Failures++
	pr.Rev++
	must("otp write", pins.Write(ctx, pr, pr.Rev-1))
	must("otp insert", pins.Write(ctx, otp.PINRecord{User: "user-new", Rev: 1}, 0))
	must("otp totp insert", pins.WriteTOTP(ctx, otp.TOTPState{Subject: "subject-new", NextStep: 1, Rev: 1}, 0))
	ts, err := pins.LoadTOTP(ctx, "subject-new")
	must("otp totp load", err)
	ts.NextStep, ts.Rev = 2, ts.Rev+1
	must("otp totp write", pins.WriteTOTP(ctx, ts, ts.Rev-1))
	_, err = pins.PurgePINs(ctx, now.Add(-24*time.Hour), 1000)
	must("otp purge", err)

	pc := postgres.NewPasscodeStore(traced)
	r := passcode.Reset{ID: "r-new", DeviceID: "dev-new", Platform: passcode.AndroidDeviceOwner, Action: passcode.SetPasscode,
		State: passcode.Requested, RequestedAt: now, UpdatedAt: now, StaleAt: now.Add(time.Hour), OpenDevice: "dev-new", Rev: 1}
	ev := passcode.Event{Kind: passcode.EventTransition, ResetID: "r-new", DeviceID: "dev-new", To: passcode.Requested, At: now}
	must("passcode insert", pc.Write(ctx, r, 0, []passcode.Event{ev}))
	other := ev
	other.ResetID = "r-other"
	if err := pc.Write(ctx, passcode.Reset{ID: "r-other", DeviceID: "dev-new", State: passcode.Requested, OpenDevice: "dev-new", Rev: 1}, 0,
		[]passcode.Event{other}); !errors.Is(err, passcode.ErrConflict) {
		t.Fatalf("a second open reset: %v, want ErrConflict", err)
	}
	_, err = pc.Load(ctx, "r-42")
	must("passcode load", err)
	_, err = pc.Open(ctx, "dev-40")
	must("passcode open", err)
	ev.From, ev.To = passcode.Requested, passcode.Pending
	next := r
	next.State, next.Rev = passcode.Pending, 2
	must("passcode compare-and-swap", pc.Write(ctx, next, 1, []passcode.Event{ev}))
	if err := pc.Write(ctx, next, 1, []passcode.Event{ev}); !errors.Is(err, passcode.ErrConflict) {
		t.Fatalf("a write on a stale revision: %v, want ErrConflict", err)
	}
	must("passcode append", pc.Append(ctx, passcode.Event{Kind: passcode.EventViewed, ResetID: "r-new", DeviceID: "dev-new", At: now}))
	_, err = pc.Events(ctx, passcode.EventQuery{ResetID: "r-42"})
	must("passcode events by reset", err)
	_, err = pc.Events(ctx, passcode.EventQuery{DeviceID: "dev-42"})
	must("passcode events by device", err)
	_, err = pc.Stale(ctx, now, 100)
	must("passcode stale", err)
	_, err = pc.PurgeResets(ctx, now.Add(-30*24*time.Hour), 1000)
	must("passcode purge resets", err)
	_, err = pc.PurgeEvents(ctx, now.Add(-30*24*time.Hour), 1000)
	must("passcode purge events", err)

	// The check itself sees a sequential scan where there is one.
	rec.stmts = append(rec.stmts, recorded{sql: `SELECT seq FROM mdmcred_servicepass_event WHERE detail = $1`, args: []any{"x"}})
	seqScans := 0
	checked := 0
	for _, st := range rec.stmts {
		head := strings.ToUpper(strings.Fields(st.sql)[0])
		if head == "BEGIN" || head == "COMMIT" || head == "ROLLBACK" {
			continue
		}
		var plan string
		if err := db.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+st.sql, st.args...).Scan(&plan); err != nil {
			t.Fatalf("EXPLAIN: %v\n%s", err, st.sql)
		}
		var tree []struct{ Plan planNode }
		if err := json.Unmarshal([]byte(plan), &tree); err != nil || len(tree) != 1 {
			t.Fatalf("EXPLAIN output %q: %v", plan, err)
		}
		checked++
		if rel := seqScan(tree[0].Plan); rel != "" {
			seqScans++
			if !strings.Contains(st.sql, "WHERE detail = $1") {
				t.Errorf("sequential scan of %s in:\n%s\nplan: %s", rel, st.sql, plan)
			}
		}
	}
	if seqScans != 1 {
		t.Fatalf("the unindexed control query was not seen as a sequential scan (%d seen)", seqScans)
	}
	if checked < 25 {
		t.Fatalf("only %d statements checked: the recorder missed some", checked)
	}
	t.Logf("%d statements, none scans a table of %d rows sequentially", checked, explainRows)
}

type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Plans    []planNode `json:"Plans"`
}

// seqScan returns the mdmcred table a plan scans sequentially, or "".
func seqScan(n planNode) string {
	if n.NodeType == "Seq Scan" && strings.HasPrefix(n.Relation, "mdmcred_") {
		return n.Relation
	}
	for _, c := range n.Plans {
		if rel := seqScan(c); rel != "" {
			return rel
		}
	}
	return ""
}
