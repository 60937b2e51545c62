package mobile

import (
	"errors"
	"fmt"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// DeviceMAC is implemented by the host to keep the device keys out of the
// process: in Android Keystore (a javax.crypto.Mac "HmacSHA256" over a key
// imported with KeyProtection PURPOSE_SIGN) or, on iOS, wherever the app
// keeps them. Pass it to [NewHeldVerifier].
type DeviceMAC interface {
	// MAC returns HMAC-SHA256 of msg under the device key keyID, 32
	// bytes. An error (a locked keystore) refuses the verification with
	// "key-unavailable" and changes nothing. It must not return key
	// material in the error.
	MAC(keyID int32, msg []byte) ([]byte, error)
}

// heldKey adapts one key ID of a DeviceMAC to servicepass.HeldDeviceKey.
type heldKey struct {
	mac DeviceMAC
	id  int32
}

func (h heldKey) HMAC(msg []byte) ([]byte, error) { return h.mac.MAC(h.id, msg) }

// NewHeldVerifier is [NewVerifier] for a device whose keys the host holds:
// the MACs come from mac. deviceID, mode ("device-owner" or "cope") and
// zone (an IANA name; required on COPE, "" means UTC on a Device Owner
// device) are the provisioning file's, and keyIDs lists its key IDs, one
// byte each: read them with [ParseProvisioning] when importing the keys.
// statePath is as for NewVerifier ("" keeps the state in memory).
func NewHeldVerifier(deviceID, mode, zone string, keyIDs []byte, statePath string, mac DeviceMAC) (*Verifier, error) {
	if mac == nil {
		return nil, errors.New("mobile: no DeviceMAC")
	}
	cfg := &servicepass.Provisioning{DeviceID: deviceID, HasMode: true}
	switch mode {
	case "device-owner":
		cfg.Mode = servicepass.DeviceOwner
	case "cope":
		cfg.Mode = servicepass.COPE
	default:
		return nil, fmt.Errorf("mobile: mode %q, want device-owner or cope", mode)
	}
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil || zone == "Local" {
			return nil, fmt.Errorf("mobile: zone %q is not a named time zone", zone)
		}
		cfg.Location = loc
	}
	for _, id := range keyIDs {
		k, err := servicepass.NewHeldDeviceKey(id, heldKey{mac: mac, id: int32(id)})
		if err != nil {
			return nil, err
		}
		cfg.Keys = append(cfg.Keys, k)
	}
	return newVerifier(cfg, statePath)
}

// Provisioning is a parsed provisioning file, for importing its device
// keys into the host's keystore before a [NewHeldVerifier]. It prints
// without the keys.
type Provisioning struct {
	p *servicepass.Provisioning
}

// ParseProvisioning parses the provisioning file's bytes.
func ParseProvisioning(data []byte) (*Provisioning, error) {
	p, err := servicepass.ParseProvisioning(data)
	if err != nil {
		return nil, err
	}
	return &Provisioning{p: p}, nil
}

// DeviceID returns the device's ID.
func (p *Provisioning) DeviceID() string { return p.p.DeviceID }

// Mode returns "device-owner", "cope" or "" (not recorded).
func (p *Provisioning) Mode() string {
	if !p.p.HasMode {
		return ""
	}
	return map[servicepass.Mode]string{servicepass.DeviceOwner: "device-owner", servicepass.COPE: "cope"}[p.p.Mode]
}

// Zone returns the IANA time zone the issuer uses for the device.
func (p *Provisioning) Zone() string { return p.p.Location.String() }

// KeyIDs returns the keyring's key IDs, one byte each, oldest first.
func (p *Provisioning) KeyIDs() []byte {
	ids := make([]byte, 0, len(p.p.Keys))
	for _, k := range p.p.Keys {
		ids = append(ids, k.ID())
	}
	return ids
}

// Key returns a copy of the material of the key keyID (32 bytes), to
// import into the keystore as an HMAC-SHA256 key; nil if the keyring has
// no such key. Overwrite the copy once imported.
func (p *Provisioning) Key(keyID int32) []byte {
	for _, k := range p.p.Keys {
		if int32(k.ID()) == keyID {
			return k.Bytes()
		}
	}
	return nil
}
