package postgres

import (
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/passcode"
)

// The SQL hard-codes the open states (openStates and the partial indexes
// in the migrations); they must be exactly those passcode.State.Open
// reports.
func TestOpenStatesMatchPasscode(t *testing.T) {
	var open []string
	for s := range 256 {
		if passcode.State(s).Open() {
			open = append(open, string(rune('0'+s)))
		}
	}
	if want := "(" + strings.Join(open, ", ") + ")"; want != openStates {
		t.Fatalf("openStates = %s, passcode says %s", openStates, want)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ms[0].sql, "WHERE state IN "+openStates) {
		t.Fatal("the migration's partial indexes do not use the open states")
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"", true},
		{"alice@example.com", true},
		{"zażółć gęślą jaźń", true},
		{"emoji 🔐", true},
		{"nul\x00inside", false},
		{"\x00", false},
		{"bad \xff utf8", false},
		{"truncated \xe2\x82", false},
	}
	for _, tt := range tests {
		err := checkText("field", tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("checkText(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), tt.in) {
			t.Errorf("the error %q repeats the value", err)
		}
	}
}

func TestIsUniqueViolation(t *testing.T) {
	if isUniqueViolation(nil) || isUniqueViolation(stateErr("40001")) || !isUniqueViolation(stateErr("23505")) {
		t.Fatal("isUniqueViolation misreads SQLSTATEs")
	}
}

type stateErr string

func (e stateErr) Error() string    { return "sqlstate " + string(e) }
func (e stateErr) SQLState() string { return string(e) }
