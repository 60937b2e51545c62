package android_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/android"
)

// operationVector is one entry of testdata/operations.json: an Operation
// as AMAPI sends it and where it puts the reset at given times. The file is
// the table of operation_test.go, for implementations in other languages.
type operationVector struct {
	Name      string          `json:"name"`
	Operation json.RawMessage `json:"operation"`
	Outcomes  []struct {
		At     time.Time `json:"at"`
		State  string    `json:"state"`
		Reason string    `json:"reason,omitempty"`
	} `json:"outcomes"`
}

func TestOperationVectors(t *testing.T) {
	path := filepath.Join("testdata", "operations.json")
	deadline := created.Add(android.DefaultDuration)
	if *update {
		var vs []operationVector
		for _, tc := range operationCases {
			v := operationVector{Name: tc.name, Operation: json.RawMessage(tc.json)}
			for _, at := range []time.Time{deadline.Add(-time.Nanosecond), deadline} {
				op, _ := android.ParseOperation([]byte(tc.json))
				o := op.Outcome(at)
				v.Outcomes = append(v.Outcomes, struct {
					At     time.Time `json:"at"`
					State  string    `json:"state"`
					Reason string    `json:"reason,omitempty"`
				}{at, o.State.String(), o.Reason})
			}
			vs = append(vs, v)
		}
		b, err := json.MarshalIndent(vs, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vs []operationVector
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(operationCases) {
		t.Fatalf("%s has %d vectors, the table %d: run go test -update", path, len(vs), len(operationCases))
	}
	for i, v := range vs {
		if v.Name != operationCases[i].name || len(v.Outcomes) != 2 {
			t.Fatalf("vector %d is %q, the table's %q", i, v.Name, operationCases[i].name)
		}
		op, err := android.ParseOperation(v.Operation)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		// Every vector also arrives as a push.
		n, err := android.ParsePush([]byte(push("COMMAND", string(v.Operation))))
		if err != nil || !reflect.DeepEqual(n.Operation, op) {
			t.Fatalf("%s as a push: %+v, %v", v.Name, n.Operation, err)
		}
		for _, want := range v.Outcomes {
			if got := op.Outcome(want.At); got.State.String() != want.State || got.Reason != want.Reason {
				t.Errorf("%s at %s: %+v, want %s %q", v.Name, want.At.Format(time.RFC3339Nano), got, want.State, want.Reason)
			}
		}
	}
}
