package passcode

import (
	"bytes"
	"context"
	"sort"

	"github.com/mdmcred/mdmcred/internal/seal"
)

// Resealer is the optional capability of a [Store] that can re-seal the
// sealed passcodes it holds in batches: after a sealing key rotation, or
// to move values sealed with XChaCha20-Poly1305 (docs/sealed-format.md,
// format 1) to AES-256-GCM before a deployment runs in FIPS 140-3 mode.
// [MemStore] implements it.
type Resealer interface {
	// ResealResets visits at most limit resets with a sealed passcode
	// (Sealed not nil) whose ID sorts after after (byte order), in ID
	// order. For each it calls reseal; when reseal returns a value (not
	// nil) it replaces the reset's Sealed with it and adds one to its Rev
	// (so that a [Store.Write] decided on the old value gets ErrConflict),
	// changing nothing else, in one atomic operation that applies only if
	// Sealed is still the value reseal saw (a reset changed meanwhile is
	// left for the next run). It returns the last ID visited, how many resets it visited and
	// how many it changed. reseal is called outside any lock or
	// transaction of the store's.
	ResealResets(ctx context.Context, after string, limit int, reseal func(Reset) []byte) (last string, visited, changed int, err error)
}

// ResealProgress counts what [Service.Reseal] did so far: resets visited,
// re-sealed, and those whose sealed passcode did not open (left as they
// are; View refuses them alike).
type ResealProgress = seal.Progress

// Reseal re-seals every sealed passcode the store holds that is not sealed
// under the current key (Config.SealKeyID) in the current format, in
// batches of at most 1,000 resets, each its own store operation, so that it
// can run while resets run. It calls progress (when not nil) after each
// batch and returns the totals, also when it stops on an error or a done
// context. Run it after making a new sealing key current and before
// removing the old one from SealKeys; docs/keys.md has the runbook.
func (s *Service) Reseal(ctx context.Context, progress func(ResealProgress)) (ResealProgress, error) {
	if ctx == nil {
		return ResealProgress{}, ErrNilContext
	}
	rs, ok := s.store.(Resealer)
	if !ok {
		return ResealProgress{}, &ParamError{Field: "Store", Reason: "does not implement Resealer (ResealResets)"}
	}
	return s.sealer.ResealAll(ctx, func(ctx context.Context, after string, limit int, fn func(sealed, ad []byte) []byte) (seal.Batch, error) {
		return seal.OnePerEntry(rs.ResealResets(ctx, after, limit, func(r Reset) []byte { return fn(r.Sealed, sealAD(r)) }))
	}, progress)
}

var _ Resealer = (*MemStore)(nil)

// ResealResets implements [Resealer].
func (m *MemStore) ResealResets(ctx context.Context, after string, limit int, reseal func(Reset) []byte) (string, int, int, error) {
	if ctx == nil {
		return "", 0, 0, ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return after, 0, 0, err
	}
	m.mu.Lock()
	var batch []Reset
	for id, r := range m.resets {
		if id > after && r.Sealed != nil {
			batch = append(batch, copyReset(*r))
		}
	}
	m.mu.Unlock()
	sort.Slice(batch, func(i, j int) bool { return batch[i].ID < batch[j].ID })
	if limit < 1 {
		return after, 0, 0, nil
	}
	if len(batch) > limit {
		batch = batch[:limit]
	}
	changed := 0
	for _, r := range batch {
		out := reseal(r)
		if out == nil {
			continue
		}
		m.mu.Lock()
		if cur, ok := m.resets[r.ID]; ok && bytes.Equal(cur.Sealed, r.Sealed) {
			cur.Sealed = bytes.Clone(out)
			cur.Rev++ // a Write decided on the old Sealed must not restore it
			changed++
		}
		m.mu.Unlock()
	}
	last := after
	if len(batch) > 0 {
		last = batch[len(batch)-1].ID
	}
	return last, len(batch), changed, nil
}
