// Package vectors reads servicepass's test vectors (servicepass/testdata)
// into what the mobile facade and the C ABI take: provisioning file bytes,
// wall times in Unix milliseconds and the facade's result codes. Only
// tests import it.
package vectors

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// Case is one vector: a fresh device and its steps.
type Case struct {
	Name         string
	Provisioning []byte
	Steps        []Step
}

// Step verifies Code at NowMs (Op "verify") or polls the window (Op
// "window"); Want is the facade's result code ("granted", "bad-mac", ...)
// or, for a window poll, "ok" or "state-lost".
type Step struct {
	Op    string
	Code  string
	NowMs int64
	Want  string
}

// codeNames maps the vector files' result names to the facade's codes.
var codeNames = map[string]string{
	"ok": "granted", "malformed": "malformed", "typo": "typo", "version": "version",
	"unknown_key": "unknown-key", "invalid": "bad-mac", "expired": "expired",
	"not_yet_valid": "not-yet-valid", "mode": "mode", "replay": "replayed",
	"locked_out": "locked-out", "clock_back": "clock-back",
}

type file struct {
	Vectors []struct {
		Name       string `json:"name"`
		DeviceID   string `json:"device_id"`
		DeviceMode string `json:"device_mode"`
		Location   string `json:"location"`
		Keyring    []struct {
			ID  uint8  `json:"id"`
			Hex string `json:"hex"`
		} `json:"keyring"`
		Steps []struct {
			Op     string `json:"op"`
			Code   string `json:"code"`
			Now    string `json:"now"`
			Result string `json:"result"`
		} `json:"steps"`
	} `json:"vectors"`
}

// Load reads the code vectors at path (servicepass/testdata/vectors.json)
// and returns those a fresh in-memory verifier can run: every vector whose
// steps are codes and window polls. It also returns the names of those it
// left out (they lose the state or acknowledge, which needs the store's
// internals).
func Load(path string) (cases []Case, left []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, nil, err
	}
next:
	for _, v := range f.Vectors {
		p := servicepass.Provisioning{DeviceID: v.DeviceID, HasMode: true}
		switch v.DeviceMode {
		case "DeviceOwner":
			p.Mode = servicepass.DeviceOwner
		case "COPE":
			p.Mode = servicepass.COPE
		default:
			return nil, nil, fmt.Errorf("%s: mode %q", v.Name, v.DeviceMode)
		}
		if p.Location, err = time.LoadLocation(v.Location); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", v.Name, err)
		}
		for _, k := range v.Keyring {
			b, err := hex.DecodeString(k.Hex)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", v.Name, err)
			}
			dk, err := servicepass.NewDeviceKey(k.ID, b)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", v.Name, err)
			}
			p.Keys = append(p.Keys, dk)
		}
		c := Case{Name: v.Name}
		if c.Provisioning, err = p.Encode(); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", v.Name, err)
		}
		for _, s := range v.Steps {
			if s.Op != "" && s.Op != "window" {
				left = append(left, v.Name)
				continue next
			}
			now, err := time.Parse(time.RFC3339, s.Now)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", v.Name, err)
			}
			st := Step{Op: "verify", Code: s.Code, NowMs: now.UnixMilli()}
			switch s.Op {
			case "":
				if st.Want = codeNames[s.Result]; st.Want == "" {
					return nil, nil, fmt.Errorf("%s: result %q", v.Name, s.Result)
				}
			case "window":
				st.Op, st.Want = "window", map[string]string{"ok": "ok", "state_lost": "state-lost"}[s.Result]
				if st.Want == "" {
					return nil, nil, fmt.Errorf("%s: window result %q", v.Name, s.Result)
				}
			}
			c.Steps = append(c.Steps, st)
		}
		cases = append(cases, c)
	}
	return cases, left, nil
}
