package enrollment

import (
	"bytes"
	"context"
	"sort"

	"github.com/mdmcred/mdmcred/internal/seal"
)

// Resealer is the optional capability of a [Store] that can re-seal the
// sealed passcode copies it holds in batches: after a sealing key
// rotation, or to move copies sealed with XChaCha20-Poly1305
// (docs/sealed-format.md, format 1) to AES-256-GCM before a deployment runs
// in FIPS 140-3 mode. [MemStore] implements it.
type Resealer interface {
	// ResealRecords visits at most limit records with a sealed copy
	// (Sealed not nil) whose site sorts after after (byte order), in site
	// order. For each it calls reseal with the record (at least its Site,
	// Digest and Sealed, what the copy is bound to); when reseal returns a
	// value (not nil) it replaces the record's Sealed with it and moves
	// its Rev on by one (so that a [Store.Write] decided on the record
	// before fails with [ErrConflict] instead of writing the old copy
	// back), changing nothing else, in one atomic operation that applies
	// only if the site's record still has the same Digest and Sealed
	// reseal saw. It
	// returns the last site visited, how many records it visited and how
	// many it changed. reseal is called outside any lock or transaction of
	// the store's.
	ResealRecords(ctx context.Context, after string, limit int, reseal func(Record) []byte) (last string, visited, changed int, err error)
}

// ResealProgress counts what [Service.Reseal] did so far: records visited,
// re-sealed, and those whose sealed copy did not open (left as they are;
// Reveal refuses them alike).
type ResealProgress = seal.Progress

// Reseal re-seals every sealed passcode copy the store holds that is not
// sealed under the current key (Config.SealKeyID) in the current format, in
// batches of at most 1,000 records, each its own store operation, so that
// it can run while the service runs. It calls progress (when not nil)
// after each batch and returns the totals, also when it stops on an error
// or a done context. Run it after making a new sealing key current and
// before removing the old one from SealKeys; docs/keys.md has the runbook.
// A service without SealKeys has nothing to re-seal, and a Store that
// does not implement [Resealer] cannot: each is a [*ParamError] (on
// "SealKeys", on "Store").
func (s *Service) Reseal(ctx context.Context, progress func(ResealProgress)) (ResealProgress, error) {
	if ctx == nil {
		return ResealProgress{}, ErrNilContext
	}
	if s.sealer == nil {
		return ResealProgress{}, &ParamError{Field: "SealKeys", Reason: "required to re-seal"}
	}
	rs, ok := s.store.(Resealer)
	if !ok {
		return ResealProgress{}, &ParamError{Field: "Store", Reason: "does not implement Resealer (ResealRecords)"}
	}
	return s.sealer.ResealAll(ctx, func(ctx context.Context, after string, limit int, fn func(sealed, ad []byte) []byte) (seal.Batch, error) {
		return seal.OnePerEntry(rs.ResealRecords(ctx, after, limit, func(r Record) []byte { return fn(r.Sealed, sealAD(r.Site, r.Digest)) }))
	}, progress)
}

var _ Resealer = (*MemStore)(nil)

// ResealRecords implements [Resealer].
func (m *MemStore) ResealRecords(ctx context.Context, after string, limit int, reseal func(Record) []byte) (string, int, int, error) {
	if ctx == nil {
		return "", 0, 0, ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return after, 0, 0, err
	}
	if limit < 1 {
		return after, 0, 0, nil
	}
	m.mu.Lock()
	var batch []Record
	for site, r := range m.recs {
		if site > after && r.Sealed != nil {
			batch = append(batch, r.clone())
		}
	}
	m.mu.Unlock()
	sort.Slice(batch, func(i, j int) bool { return batch[i].Site < batch[j].Site })
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
		if cur, ok := m.recs[r.Site]; ok && bytes.Equal(cur.Digest, r.Digest) && bytes.Equal(cur.Sealed, r.Sealed) {
			cur.Sealed = bytes.Clone(out)
			cur.Rev++
			changed++
		}
		m.mu.Unlock()
	}
	last := after
	if len(batch) > 0 {
		last = batch[len(batch)-1].Site
	}
	return last, len(batch), changed, nil
}
