package postgres

import (
	"errors"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/passcode"
)

// The migrations hard-code the open states: 0001's partial indexes and
// 0010's one-time fill of open_device (the store's SQL no longer knows
// them: the Service sets open_device). They must be exactly those
// passcode.State.Open reports.
func TestOpenStatesMatchPasscode(t *testing.T) {
	var open []string
	for s := range 256 {
		if passcode.State(s).Open() {
			open = append(open, string(rune('0'+s)))
		}
	}
	want := "WHERE state IN (" + strings.Join(open, ", ") + ")"
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ms[0].sql, want) || !strings.Contains(ms[9].sql, want) {
		t.Fatalf("migrations 0001 and 0010 do not use the open states, %s", want)
	}
}

func TestFinalStatesMatchPasscode(t *testing.T) {
	var final []string
	for s := range 256 {
		if passcode.State(s).Final() {
			final = append(final, string(rune('0'+s)))
		}
	}
	if want := "(" + strings.Join(final, ", ") + ")"; want != finalStates {
		t.Fatalf("finalStates = %s, passcode says %s", finalStates, want)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ms[1].sql, "WHERE state IN "+finalStates) {
		t.Fatal("migration 0002's partial index does not use the final states")
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

func TestCheckServerVersion(t *testing.T) {
	tests := []struct {
		num     int
		wantErr bool
		msg     string
	}{
		{90624, true, "postgres: server is older than the oldest supported PostgreSQL release: server is PostgreSQL 9.6.24, the oldest supported release is 15: upgrade the server"},
		{140011, true, "postgres: server is older than the oldest supported PostgreSQL release: server is PostgreSQL 14.11, the oldest supported release is 15: upgrade the server"},
		{149999, true, ""},
		{MinServerVersion, false, ""},
		{150014, false, ""},
		{180001, false, ""},
	}
	for _, tt := range tests {
		err := checkServerVersion(tt.num)
		if (err != nil) != tt.wantErr {
			t.Errorf("checkServerVersion(%d) = %v, want error %v", tt.num, err, tt.wantErr)
			continue
		}
		if err == nil {
			continue
		}
		var ve *ServerVersionError
		if !errors.Is(err, ErrServerTooOld) || !errors.As(err, &ve) || ve.Version != tt.num {
			t.Errorf("checkServerVersion(%d) = %#v, want a *ServerVersionError matching ErrServerTooOld", tt.num, err)
		}
		if tt.msg != "" && err.Error() != tt.msg {
			t.Errorf("message %q, want %q", err.Error(), tt.msg)
		}
	}
}
