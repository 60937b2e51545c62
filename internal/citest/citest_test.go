package citest

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how Missing ended it.
type recorder struct {
	testing.TB
	failed, skipped bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
}

func TestMissing(t *testing.T) {
	tests := []struct {
		ci          string
		wantOn      bool
		wantFailed  bool
		wantSkipped bool
	}{
		{"true", true, true, false},
		{"", false, false, true},
		{"false", false, false, true},
		{"1", false, false, true}, // only "true" counts, as .ci/run sets it
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			if got := On(); got != tt.wantOn {
				t.Errorf("On() = %v, want %v", got, tt.wantOn)
			}
			r := &recorder{TB: t}
			Missing(r, "zbarimg not found", "apt-get install zbar-tools")
			if r.failed != tt.wantFailed || r.skipped != tt.wantSkipped {
				t.Errorf("failed %v skipped %v, want %v %v", r.failed, r.skipped, tt.wantFailed, tt.wantSkipped)
			}
			if !strings.Contains(r.msg, "zbarimg not found") || !strings.Contains(r.msg, "apt-get install zbar-tools") {
				t.Errorf("message %q does not say what is missing and how to get it", r.msg)
			}
		})
	}
}
