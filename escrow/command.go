package escrow

import "context"

// Delivery is what the command carrying an open secret takes to the device:
// the secret and, when the device has one of the kind in force, that one
// too (a Recovery Lock rotation's SetRecoveryLock must carry the current
// password beside the new one).
type Delivery struct {
	// Record is the open record the command carries.
	Record Record
	// Secret is its secret.
	Secret Secret
	// Current is the secret of the kind's Active record on the device,
	// which Secret replaces once acknowledged; zero when none is Active.
	// CurrentID is that record's ID ("" when none).
	Current   Secret
	CurrentID string
}

// ByCommand returns the record that command commandID carries (see
// [Service.Sent]), if it is device deviceID's; otherwise [ErrNotFound], the
// same answer as for a command never escrowed, so that an MDM channel that
// asks on behalf of an authenticated device learns nothing of another
// device's commands. An MDM channel calls it before reporting a device's
// answer with [Service.Acknowledge] or [Service.Fail], which find the
// record by command ID alone.
func (s *Service) ByCommand(ctx context.Context, deviceID, commandID string) (Record, error) {
	if ctx == nil {
		return Record{}, ErrNilContext
	}
	e, err := s.commandRow(ctx, deviceID, commandID)
	if err != nil {
		return Record{}, err
	}
	return *e.byCommand(commandID), nil
}

// DeliverCommand is [Service.Deliver] for an MDM channel, which knows the
// command it hands out and the device that fetches it, not the record: it
// opens the open (Generated or Sent) secret command commandID carries for
// device deviceID, and the kind's Active secret on that device, both from
// one read of the device's row. A command of another device, or one never
// escrowed, gives [ErrNotFound]; a secret no longer open (Failed, Expired,
// already Active) gives [ErrNotPending]. Like Deliver it records no view:
// the secrets go to the device, which holds the current one already; the
// Active secret is opened only beside an open one that replaces it, so
// this is no way round [Service.Reveal].
func (s *Service) DeliverCommand(ctx context.Context, deviceID, commandID string) (Delivery, error) {
	if ctx == nil {
		return Delivery{}, ErrNilContext
	}
	e, err := s.commandRow(ctx, deviceID, commandID)
	if err != nil {
		return Delivery{}, err
	}
	r := e.byCommand(commandID)
	if !r.State.Open() {
		return Delivery{}, ErrNotPending
	}
	now := s.clock()
	d := Delivery{Record: *r}
	if d.Secret, err = s.open(r, now); err != nil {
		return Delivery{}, err
	}
	if a := e.active(); a != nil {
		if d.Current, err = s.open(a, now); err != nil {
			return Delivery{}, err
		}
		d.CurrentID = a.ID
	}
	return d, nil
}

// commandRow loads the row holding commandID and checks that the record it
// names is deviceID's.
func (s *Service) commandRow(ctx context.Context, deviceID, commandID string) (entry, error) {
	if err := checkID("DeviceID", deviceID); err != nil {
		return entry{}, err
	}
	if err := checkID("CommandID", commandID); err != nil {
		return entry{}, err
	}
	e, err := s.read(ctx, func(ctx context.Context) (Row, error) { return s.store.ByCommand(ctx, commandID) })
	if err != nil {
		return entry{}, err
	}
	if r := e.byCommand(commandID); r == nil || r.DeviceID != deviceID {
		return entry{}, ErrNotFound
	}
	return e, nil
}
