package keyedhash

import (
	"crypto/hmac"
	"crypto/sha256"
	"slices"
	"strings"
	"testing"
)

// TestPepperIDLengths pins the length check of [Digest.PepperID] at its
// boundary: two bytes are the shortest digest that names a pepper.
func TestPepperIDLengths(t *testing.T) {
	for _, tt := range []struct {
		d    Digest
		want uint8
	}{
		{nil, 0},
		{Digest{Format}, 0},
		{Digest{Format, 7}, 7},
		{Digest{Format, 9, 0xff}, 9},
	} {
		if got := tt.d.PepperID(); got != tt.want {
			t.Errorf("Digest(%x).PepperID() = %d, want %d", []byte(tt.d), got, tt.want)
		}
	}
}

// TestIDsExact checks the whole ID list, not only its length and head: every
// other pepper once, the current one only first.
func TestIDsExact(t *testing.T) {
	h := mustNew(t, 2, map[uint8][]byte{1: pepper1, 2: pepper2, 5: pepper1})
	ids := h.IDs()
	if len(ids) != 3 || ids[0] != 2 {
		t.Fatalf("IDs = %v, want 2 first then 1 and 5", ids)
	}
	rest := slices.Clone(ids[1:])
	slices.Sort(rest)
	if !slices.Equal(rest, []uint8{1, 5}) {
		t.Fatalf("IDs = %v, want 2 first then 1 and 5", ids)
	}
	if ids := mustNew(t, 1, map[uint8][]byte{1: pepper1}).IDs(); !slices.Equal(ids, []uint8{1}) {
		t.Fatalf("single pepper: IDs = %v, want [1]", ids)
	}
}

// poolTries is how many digests each pooling case makes. A state handed back
// may still be lost (a Put under the race detector drops one in four at
// random, and the goroutine may move to another P between Put and Get), so
// "kept" means reused at least once in poolTries: the chance that a kept
// state is never seen again is below 4^-poolTries.
const poolTries = 100

// newStates replaces the pool of pepper 1 with one whose states start with a
// buffer of capacity bufCap, and returns how many states it has made.
func newStates(h *Hasher, bufCap int) *int {
	made := new(int)
	h.pools[1].New = func() any {
		*made++
		return &state{mac: hmac.New(sha256.New, pepper1), buf: make([]byte, 0, bufCap)}
	}
	return made
}

// TestPoolKeepsBoundedBuffers pins the bound on pooled scratch buffers: a
// state whose buffer holds at most 1024 bytes goes back to the pool (so
// hashing allocates no HMAC state), a larger one is dropped (so one long
// secret does not pin its buffer forever).
func TestPoolKeepsBoundedBuffers(t *testing.T) {
	for _, tt := range []struct {
		name   string
		bufCap int // capacity of each new state's buffer
		secret string
		kept   bool
	}{
		{"default buffer", 128, "123456", true},
		{"buffer at the bound", 1024, "123456", true},
		{"buffer one over the bound", 1025, "123456", false},
		{"buffer grown past the bound", 128, strings.Repeat("s", 2000), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := mustNew(t, 1, map[uint8][]byte{1: pepper1})
			made := newStates(h, tt.bufCap)
			want := h.Sum("d", tt.secret)
			for i := range poolTries {
				if d := h.Sum("d", tt.secret); string(d) != string(want) {
					t.Fatalf("try %d: digest %x, want %x", i, d, want)
				}
			}
			n := poolTries + 1
			if tt.kept && *made >= n {
				t.Fatalf("%d digests made %d states: the pool kept none", n, *made)
			}
			if !tt.kept && *made != n {
				t.Fatalf("%d digests made %d states, want one each: a state over the bound was pooled", n, *made)
			}
		})
	}
}
