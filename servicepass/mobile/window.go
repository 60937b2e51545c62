package mobile

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// Window is the privileged window as the agent acts on it: re-apply Actions
// while Active, revert Revert, then acknowledge with [Verifier.ClearWindow].
type Window struct {
	// Active is true while a window is open.
	Active bool
	// Actions is the bit set of the active window's actions.
	Actions int32
	// StartMs and EndMs bound the active window, Unix milliseconds.
	StartMs, EndMs int64
	// Revert is the bit set of reversible actions to undo now.
	Revert int32
	// EndedMs is the end of the latest window whose actions are in Revert
	// (zero when the duty comes only from a lost state).
	EndedMs int64
	// StateLost says the device state was lost or damaged: Revert then
	// holds every reversible action.
	StateLost bool
	// NotSaved says the state could not be saved.
	NotSaved bool

	st servicepass.WindowStatus
}

// Window returns the privileged window at the wall-clock time nowUnixMs.
// An error means the state could not be read at all.
func (m *Verifier) Window(nowUnixMs int64) (*Window, error) {
	st, err := m.v.Window(context.Background(), time.UnixMilli(nowUnixMs))
	if err != nil && !errors.Is(err, servicepass.ErrStateLost) && !errors.Is(err, servicepass.ErrNotSaved) {
		return nil, err
	}
	return &Window{
		Active: st.Active, Actions: int32(st.Actions), StartMs: millis(st.Start), EndMs: millis(st.End),
		Revert: int32(st.Revert), EndedMs: millis(st.Ended),
		StateLost: errors.Is(err, servicepass.ErrStateLost), NotSaved: errors.Is(err, servicepass.ErrNotSaved),
		st: st,
	}, nil
}

// Acknowledgement codes, the values ClearWindow and AckUseLog return.
const (
	// AckDone: acknowledged.
	AckDone = "done"
	// AckWindowChanged: the revert duty changed since the Window call;
	// nothing was cleared: poll Window again.
	AckWindowChanged = "window-changed"
	// AckNotSaved: acknowledged in memory, but the state could not be saved.
	AckNotSaved = "not-saved"
	// AckStateUnavailable: the state could not be read; nothing changed.
	AckStateUnavailable = "state-unavailable"
)

// ackCode converts an acknowledgement's error.
func ackCode(err error) string {
	switch {
	case err == nil:
		return AckDone
	case errors.Is(err, servicepass.ErrWindowChanged):
		return AckWindowChanged
	case errors.Is(err, servicepass.ErrNotSaved):
		return AckNotSaved
	}
	return AckStateUnavailable
}

// ClearWindow acknowledges that the agent reverted w.Revert (w from
// [Verifier.Window]) and returns an Ack code.
func (m *Verifier) ClearWindow(w *Window) string {
	if w == nil {
		return AckWindowChanged
	}
	return ackCode(m.v.ClearWindow(context.Background(), w.st))
}

// useLogJSON is the use log as UseLog returns it.
type useLogJSON struct {
	Entries []servicepass.UseEntry `json:"entries"`
	Dropped uint64                 `json:"dropped"`
}

// UseLog returns the use log, oldest first, as JSON to upload:
// {"entries":[{"seq":N,"key_id":N,"serial":N,"challenge":"...","at":"RFC 3339","degraded":true}],"dropped":N}.
// Sequence numbers stay below 2^62. After uploading, call AckUseLog with the
// last entry's seq.
func (m *Verifier) UseLog() ([]byte, error) {
	entries, dropped, err := m.v.UseLog(context.Background())
	if err != nil {
		return nil, err
	}
	if entries == nil {
		entries = []servicepass.UseEntry{}
	}
	return json.Marshal(useLogJSON{Entries: entries, Dropped: dropped})
}

// AckUseLog drops the use log entries through sequence number through (the
// last one uploaded) and returns an Ack code.
func (m *Verifier) AckUseLog(through int64) string {
	if through < 0 {
		return AckDone // no entry has a negative sequence number: nothing to drop
	}
	return ackCode(m.v.AckUseLog(context.Background(), uint64(through)))
}
