package escrow

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/internal/seal"
)

// ResealProgress counts what [Service.Reseal] did so far: sealed secrets
// (records) visited, re-sealed, and those that did not open (left as they
// are; Reveal and Deliver refuse them alike).
type ResealProgress = seal.Progress

// Reseal re-seals every escrowed secret that is not sealed under the
// current key ([Config.SealKeyID]) in the current format (AES-256-GCM,
// docs/sealed-format.md): after a sealing key rotation, or to move secrets
// sealed with XChaCha20-Poly1305 (format 1) before a deployment runs in
// FIPS 140-3 mode (which does not open them). It walks the store's rows
// in key order ([Store.Rows]), 1,000 rows a batch, and writes each row it
// changes back with one conditional [Store.Write] on the revision it read,
// like every other change: a row changed meanwhile (a view, a rotation) is
// loaded and re-sealed again, never overwritten. Each secret stays bound
// to its record, device, kind and version, and keeps its retention limit;
// nothing else in the row changes and no event is written. A row that
// does not decode is left as it is and logged.
//
// It calls progress (when not nil) after each batch and returns the
// totals, also when it stops on an error or a done context. Run it after
// making a new sealing key current and before removing the old one from
// SealKeys, until Resealed is 0; docs/keys.md has the runbook.
func (s *Service) Reseal(ctx context.Context, progress func(ResealProgress)) (ResealProgress, error) {
	if ctx == nil {
		return ResealProgress{}, ErrNilContext
	}
	return s.sealer.ResealAll(ctx, s.resealStep, progress)
}

// cursorSep joins a row's DeviceID and Kind into the re-seal's cursor: a
// byte below every byte an identifier may hold (identifiers hold no
// control character), so cursors sort as their keys do.
const cursorSep = "\x00"

func cursorOf(k Key) string { return k.DeviceID + cursorSep + k.Kind }

func keyOf(cursor string) Key {
	d, k, _ := strings.Cut(cursor, cursorSep)
	return Key{DeviceID: d, Kind: k}
}

// resealStep is the [seal.Step] over the Store's rows: each row is one
// entry, each record's sealed secret one value.
func (s *Service) resealStep(ctx context.Context, after string, limit int, fn func(sealed, ad []byte) []byte) (seal.Batch, error) {
	b := seal.Batch{Last: after}
	rows, err := s.store.Rows(ctx, keyOf(after), limit)
	if err != nil {
		return b, err
	}
	for _, row := range rows {
		c := cursorOf(Key{row.DeviceID, row.Kind})
		if c <= b.Last {
			return b, errors.New("escrow: Store.Rows returned rows out of key order")
		}
		b.Last = c
		b.Read++
		visited, replaced, err := s.resealRow(ctx, row, fn)
		b.Visited += visited
		b.Replaced += replaced
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// resealRow re-seals the records of one row that need it and writes the
// row back through mutate: on ErrConflict it loads the row again and
// decides again, reusing fn's result for a sealed value it already saw
// under the same associated data, so each value is counted once.
func (s *Service) resealRow(ctx context.Context, first Row, fn func(sealed, ad []byte) []byte) (visited, replaced int, err error) {
	k := Key{first.DeviceID, first.Kind}
	if _, err := decodeEntry(first.Data, first.DeviceID, first.Kind); err != nil {
		s.log.WarnContext(ctx, "escrow re-seal: row left as it is", "device", k.DeviceID, "kind", k.Kind, "error", err)
		return 0, 0, nil
	}
	type value struct{ sealed, ad string }
	done := map[value][]byte{}
	loaded := false
	load := func(ctx context.Context) (Row, error) {
		if !loaded {
			loaded = true
			return first, nil
		}
		return s.store.Load(ctx, k)
	}
	_, err = s.mutate(ctx, load, nil, func(e *entry, _ time.Time) decision {
		visited, replaced = 0, 0
		for i := range e.Records {
			r := &e.Records[i]
			ad := sealAD(r)
			v := value{string(r.Sealed), string(ad)}
			out, seen := done[v]
			if !seen {
				out = fn(r.Sealed, ad)
				done[v] = out
			}
			visited++
			if out != nil {
				r.Sealed = out
				replaced++
			}
		}
		return decision{write: replaced > 0}
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, 0, nil // deleted meanwhile: nothing left to re-seal
	case errors.Is(err, ErrConflict):
		return visited, 0, nil // lost every try: left for the next run
	case err != nil:
		return visited, 0, err
	}
	return visited, replaced, nil
}
