package escrow

import (
	"bytes"
	"testing"
	"time"
)

var entryCases = []struct {
	name string
	data string
	ok   bool
}{
	{"empty", `{"format":1,"last":0,"records":[]}`, true},
	{"one", `{"format":1,"last":1,"records":[{"id":"r1","device_id":"d","kind":"k","version":1,"state":3}]}`, true},
	{"wrong format", `{"format":2,"last":0,"records":[]}`, false},
	{"unknown field", `{"format":1,"last":0,"records":[],"x":1}`, false},
	{"trailing", `{"format":1,"last":0,"records":[]} {}`, false},
	{"other device", `{"format":1,"last":1,"records":[{"id":"r1","device_id":"e","kind":"k","version":1,"state":3}]}`, false},
	{"state none", `{"format":1,"last":1,"records":[{"id":"r1","device_id":"d","kind":"k","version":1,"state":0}]}`, false},
	{"state 8", `{"format":1,"last":1,"records":[{"id":"r1","device_id":"d","kind":"k","version":1,"state":8}]}`, false},
	{"version past last", `{"format":1,"last":0,"records":[{"id":"r1","device_id":"d","kind":"k","version":1,"state":3}]}`, false},
	{"two active", `{"format":1,"last":2,"records":[{"id":"r1","device_id":"d","kind":"k","version":1,"state":3},{"id":"r2","device_id":"d","kind":"k","version":2,"state":3}]}`, false},
	{"two open", `{"format":1,"last":2,"records":[{"id":"r1","device_id":"d","kind":"k","version":1,"state":1},{"id":"r2","device_id":"d","kind":"k","version":2,"state":2}]}`, false},
	{"repeated ID", `{"format":1,"last":2,"records":[{"id":"r1","device_id":"d","kind":"k","version":1,"state":4},{"id":"r1","device_id":"d","kind":"k","version":2,"state":3}]}`, false},
	{"versions out of order", `{"format":1,"last":2,"records":[{"id":"r1","device_id":"d","kind":"k","version":2,"state":4},{"id":"r2","device_id":"d","kind":"k","version":1,"state":3}]}`, false},
	{"not JSON", `format=1`, false},
	{"null", `null`, false},
}

func TestDecodeEntry(t *testing.T) {
	for _, c := range entryCases {
		_, err := decodeEntry([]byte(c.data), "d", "k")
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok %v", c.name, err, c.ok)
		}
	}
}

// What encode writes, decode reads back the same.
func TestEntryRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 123000, time.UTC)
	e := entry{Last: 3, Records: []Record{
		{ID: "r1", DeviceID: "d", Kind: "k", Version: 1, State: Rotated, CommandID: "c1", CreatedAt: at, Sealed: []byte{1, 2}},
		{ID: "r3", DeviceID: "d", Kind: "k", Version: 3, State: Active, FirstViewedAt: at, Views: 2, RotateAt: at.Add(time.Hour)},
	}}
	b := e.encode()
	got, err := decodeEntry(b, "d", "k")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.encode(), b) || !got.Records[1].RotateAt.Equal(e.Records[1].RotateAt) {
		t.Fatalf("round trip: %s", got.encode())
	}
}

// FuzzDecodeEntry: a stored row, however damaged, never panics the
// decoder; what it accepts re-encodes to bytes it accepts again, equal.
func FuzzDecodeEntry(f *testing.F) {
	for _, c := range entryCases {
		f.Add([]byte(c.data))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b, "d", "k")
		if err != nil {
			return
		}
		again, err := decodeEntry(e.encode(), "d", "k")
		if err != nil {
			t.Fatalf("re-encoded entry refused: %v", err)
		}
		if !bytes.Equal(again.encode(), e.encode()) {
			t.Fatal("re-encoding changed the entry")
		}
	})
}
