package nilctx

import (
	"errors"
	"fmt"
	"testing"
)

func TestNew(t *testing.T) {
	a, b := New("otp"), New("notify")
	for _, tt := range []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"same", a, a, true},
		{"other package", a, b, true},
		{"wrapped", fmt.Errorf("x: %w", a), b, true},
		{"unrelated", errors.New("otp: nil context"), a, false},
		{"nil", nil, a, false},
	} {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("%s: errors.Is = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := a.Error(); got != "otp: nil context" {
		t.Errorf("message %q", got)
	}
}
