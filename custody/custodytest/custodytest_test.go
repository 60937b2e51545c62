package custodytest_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/custody"
	"github.com/mdmcred/mdmcred/custody/custodytest"
)

// The local key passes the suite every backend runs: the suite's own check.
func TestLocalKey(t *testing.T) {
	custodytest.RunKey(t, "local", func(t *testing.T, prk []byte) custody.Key {
		k, err := custody.NewLocalKey(prk)
		if err != nil {
			t.Fatal(err)
		}
		return k
	})
}

func TestVectorsCoverEveryFile(t *testing.T) {
	v := custodytest.Vectors(t)
	devices := map[string]bool{}
	for _, d := range v {
		devices[d.DeviceID] = true
	}
	for _, want := range []string{"R58M42ABCDE", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "device-42", "Zażółć-7"} {
		if !devices[want] {
			t.Errorf("no device key for %q (vectors.json and challenge-vectors.json)", want)
		}
	}
}
