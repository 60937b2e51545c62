package escrow

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// Record is one escrowed secret: one version of one kind of secret of one
// device, with its lifecycle state and its sealed value. Records of a
// device and kind are kept together (one [Row]) until retention purges the
// closed ones.
type Record struct {
	ID       string `json:"id"`
	DeviceID string `json:"device_id"`
	Kind     string `json:"kind"`
	// Version numbers the device's secrets of this kind: 1, 2, 3 ... in
	// the order they were generated or reported.
	Version uint64 `json:"version"`
	State   State  `json:"state"`
	// CommandID is the MDM command that carries the secret, once Sent.
	CommandID string `json:"command_id,omitzero"`
	// CreatedBy is the actor who caused it (an admin, the MDM channel for
	// a report, or ActorSystem for a rotation).
	CreatedBy   string    `json:"created_by,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"` // last transition
	SentAt      time.Time `json:"sent_at,omitzero"`
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	// StaleAt is when an open record expires.
	StaleAt time.Time `json:"stale_at,omitzero"`
	// FirstViewedAt is the first view's time; Views counts views.
	FirstViewedAt time.Time `json:"first_viewed_at,omitzero"`
	Views         int       `json:"views,omitzero"`
	// RotateAt is when the Active secret's rotation falls due (zero:
	// never), from the kind's [Policy].
	RotateAt time.Time `json:"rotate_at,omitzero"`
	// Sealed is the secret sealed under the host's key
	// (docs/sealed-format.md), bound to ID, DeviceID, Kind and Version:
	// opaque to the Store, and useless without the key.
	Sealed []byte `json:"sealed"`
}

// entryFormat is the first field of every encoded [Row.Data].
const entryFormat = 1

// entry is what a Row's Data holds: every record of one device and kind,
// oldest first, and the last version number handed out.
type entry struct {
	Format  int      `json:"format"`
	Last    uint64   `json:"last"`
	Records []Record `json:"records"`
}

// encode writes e as JSON (format 1). The store keeps the bytes; only this
// package reads them, so a new field is never a schema change.
func (e *entry) encode() []byte {
	e.Format = entryFormat
	b, err := json.Marshal(e)
	if err != nil {
		panic(err) // a struct of strings, numbers, times and bytes always marshals
	}
	return b
}

// decodeEntry reads what encode wrote and checks that it is consistent:
// the format, states, IDs, versions and at most one open and one active
// record. A row that fails is reported, never half-read.
func decodeEntry(b []byte, deviceID, kind string) (entry, error) {
	var e entry
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&e); err != nil {
		return entry{}, fmt.Errorf("escrow: stored row of %s/%s: %w", deviceID, kind, err)
	}
	if d.More() {
		return entry{}, fmt.Errorf("escrow: stored row of %s/%s: trailing data", deviceID, kind)
	}
	if err := e.check(deviceID, kind); err != nil {
		return entry{}, fmt.Errorf("escrow: stored row of %s/%s: %w", deviceID, kind, err)
	}
	return e, nil
}

func (e *entry) check(deviceID, kind string) error {
	if e.Format != entryFormat {
		return fmt.Errorf("format %d, want %d", e.Format, entryFormat)
	}
	open, active := 0, 0
	ids := map[string]bool{}
	var prev uint64
	for _, r := range e.Records {
		switch {
		case r.ID == "" || ids[r.ID]:
			return fmt.Errorf("record ID empty or repeated")
		case r.DeviceID != deviceID || r.Kind != kind:
			return fmt.Errorf("record %s belongs to another row", r.ID)
		case r.State == None || r.State > Retired:
			return fmt.Errorf("record %s in invalid state %d", r.ID, r.State)
		case r.Version <= prev || r.Version > e.Last:
			return fmt.Errorf("record %s has version %d out of order", r.ID, r.Version)
		}
		ids[r.ID] = true
		prev = r.Version
		if r.State.Open() {
			open++
		}
		if r.State == Active {
			active++
		}
	}
	if open > 1 || active > 1 {
		return fmt.Errorf("%d open and %d active records", open, active)
	}
	return nil
}

func (e *entry) find(id string) *Record {
	for i := range e.Records {
		if e.Records[i].ID == id {
			return &e.Records[i]
		}
	}
	return nil
}

func (e *entry) byCommand(cmd string) *Record {
	for i := range e.Records {
		if e.Records[i].CommandID == cmd {
			return &e.Records[i]
		}
	}
	return nil
}

func (e *entry) withState(f func(State) bool) *Record {
	for i := range e.Records {
		if f(e.Records[i].State) {
			return &e.Records[i]
		}
	}
	return nil
}

func (e *entry) open() *Record   { return e.withState(State.Open) }
func (e *entry) active() *Record { return e.withState(func(s State) bool { return s == Active }) }

// dueAt is when the row next needs the Service: its open record's stale
// deadline, or, with none open, its active record's rotation.
func (e *entry) dueAt() time.Time {
	if o := e.open(); o != nil {
		return o.StaleAt
	}
	if a := e.active(); a != nil {
		return a.RotateAt
	}
	return time.Time{}
}

// closedAt is the earliest last change of a closed record (zero: none),
// which a purge looks for.
func (e *entry) closedAt() time.Time {
	var t time.Time
	for _, r := range e.Records {
		if r.State.Closed() && (t.IsZero() || r.UpdatedAt.Before(t)) {
			t = r.UpdatedAt
		}
	}
	return t
}

// sealAD is the associated data a record's secret is sealed with: a label
// and the record's ID, device, kind and version, each length-prefixed, so
// that a sealed value copied into another record, row or version does not
// open.
func sealAD(r *Record) []byte {
	var ad []byte
	for _, f := range []string{"mdmcred-escrow-v1", r.ID, r.DeviceID, r.Kind} {
		ad = binary.BigEndian.AppendUint32(ad, uint32(len(f)))
		ad = append(ad, f...)
	}
	return binary.BigEndian.AppendUint64(ad, r.Version)
}
