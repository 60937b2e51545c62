package keyfile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/mdmcred/mdmcred/custody"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// Header is the first record of a key file.
const Header = "mdmcred keys v1"

// The set names the SDK's services use. A file may hold other sets (a
// second sealing key set for another service, say) under any name that
// meets the rule of docs/keyfile-format.md.
const (
	// Master is the set of service-password master keys (servicepass): no
	// current record; oldest first, the last one issues.
	Master = "master"
	// Seal is the set of sealing keys (passcode and enrollment SealKeys).
	Seal = "seal"
	// Pepper is the set of pepper keys (enrollment Peppers, otp PIN
	// Peppers).
	Pepper = "pepper"
)

// KeySize is the size of every key in a v1 file.
const KeySize = 32

// MaxFileSize bounds a key file, so that parsing does bounded work.
const MaxFileSize = 1 << 20

// Limits on a record's fields.
const (
	maxSetName = 32
	maxRef     = 512
	maxWrapped = 4096
)

// entry is one key of a set.
type entry struct {
	id      uint8
	clear   secret.Bytes // a key in clear, or zero
	wrapped []byte       // the wrapper's output, or nil
	held    string       // a custodian's reference (master set only), or ""
}

// set is one named key set, in file order.
type set struct {
	name    string
	current int // key ID, or -1 for none
	keys    []entry
	retired []uint8
}

// File is a key file's content: its key sets, each with its keys (in
// clear, wrapped, or held by a custodian), its current key and its retired
// IDs. It redacts the keys in clear under every fmt verb. Make one with
// [New] or [Parse]; it is not safe for concurrent change.
type File struct {
	sets []*set
}

// New returns an empty File.
func New() *File { return &File{} }

// Sets returns the names of the file's key sets, in file order.
func (f *File) Sets() []string {
	out := make([]string, len(f.sets))
	for i, s := range f.sets {
		out[i] = s.name
	}
	return out
}

func (f *File) set(name string) *set {
	for _, s := range f.sets {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (f *File) setOrNew(name string) (*set, error) {
	if err := checkSetName(name); err != nil {
		return nil, err
	}
	if s := f.set(name); s != nil {
		return s, nil
	}
	s := &set{name: name, current: -1}
	f.sets = append(f.sets, s)
	return s, nil
}

// Used reports whether id is a key ID of set name, current or retired.
func (f *File) Used(name string, id uint8) bool {
	s := f.set(name)
	return s != nil && s.used(id)
}

func (s *set) used(id uint8) bool {
	for _, e := range s.keys {
		if e.id == id {
			return true
		}
	}
	for _, r := range s.retired {
		if r == id {
			return true
		}
	}
	return false
}

func (s *set) index(id uint8) int {
	for i, e := range s.keys {
		if e.id == id {
			return i
		}
	}
	return -1
}

// AddKey adds key (KeySize bytes) to set name under id, a new ID for the
// set (never used, never retired: [ErrKeyID]). With a [custody.Wrapper] w
// the file keeps it wrapped (the wrapped plaintext binds the set name and
// the ID: see docs/keyfile-format.md); with w nil, in clear. In the Master
// set the key becomes the newest; in another set the first key added
// becomes current, later ones only with [File.SetCurrent]. key is copied.
func (f *File) AddKey(ctx context.Context, name string, id uint8, key []byte, w custody.Wrapper) error {
	s, err := f.setOrNew(name)
	if err != nil {
		return err
	}
	if len(key) != KeySize {
		return &Error{Set: name, KeyID: int(id), Reason: fmt.Sprintf("key has %d bytes, want %d", len(key), KeySize)}
	}
	if err := checkMaterial(key); err != nil {
		return &Error{Set: name, KeyID: int(id), Reason: err.Error()}
	}
	if s.used(id) {
		return &Error{Set: name, KeyID: int(id), Reason: "key ID already used in the set (current or retired)", Err: ErrKeyID}
	}
	e := entry{id: id}
	if w == nil {
		e.clear = secret.NewBytes(key)
	} else {
		if ctx == nil {
			return &Error{Set: name, KeyID: int(id), Reason: "nil context"}
		}
		pt := bindKey(name, id, key)
		e.wrapped, err = w.Wrap(ctx, pt)
		clear(pt)
		if err != nil {
			return &Error{Set: name, KeyID: int(id), Reason: "wrapping the key", Err: err}
		}
		if len(e.wrapped) == 0 || len(e.wrapped) > maxWrapped {
			return &Error{Set: name, KeyID: int(id), Reason: fmt.Sprintf("the wrapper returned %d bytes, want 1 to %d", len(e.wrapped), maxWrapped)}
		}
	}
	s.keys = append(s.keys, e)
	if name != Master && s.current < 0 {
		s.current = int(id)
	}
	return nil
}

// AddHeld adds to the Master set, as its newest key, a master key under id
// that a custodian holds: ref is the host's reference to it (a PKCS#11
// label, a KMS key ARN, a Vault key name), printable ASCII without spaces,
// which [Options].Resolve turns into a [custody.Key] holding the key's PRK.
func (f *File) AddHeld(id uint8, ref string) error {
	s, _ := f.setOrNew(Master)
	if err := checkRef(ref); err != nil {
		return &Error{Set: Master, KeyID: int(id), Reason: err.Error()}
	}
	if s.used(id) {
		return &Error{Set: Master, KeyID: int(id), Reason: "key ID already used in the set (current or retired)", Err: ErrKeyID}
	}
	s.keys = append(s.keys, entry{id: id, held: ref})
	return nil
}

// AddRetired records id as a retired ID of set name with no key: for
// importing the history of keys kept elsewhere before, so that the file
// never gives those IDs to a new key.
func (f *File) AddRetired(name string, id uint8) error {
	s, err := f.setOrNew(name)
	if err != nil {
		return err
	}
	if s.used(id) {
		return &Error{Set: name, KeyID: int(id), Reason: "key ID already used in the set (current or retired)", Err: ErrKeyID}
	}
	s.retired = append(s.retired, id)
	return nil
}

// SetCurrent makes id, a key of set name, the one new values are sealed or
// hashed under. The Master set has no current key (its newest issues).
func (f *File) SetCurrent(name string, id uint8) error {
	s := f.set(name)
	switch {
	case name == Master:
		return &Error{Set: name, KeyID: int(id), Reason: "the master set has no current key: its newest key issues"}
	case s == nil || s.index(id) < 0:
		return &Error{Set: name, KeyID: int(id), Reason: "no such key in the set", Err: ErrKeyID}
	}
	s.current = int(id)
	return nil
}

// Retire removes key id from set name and records its ID as retired, never
// to be given to another key. It refuses the current key and a set's only
// key: add and make current a new one first.
func (f *File) Retire(name string, id uint8) error {
	s := f.set(name)
	if s == nil || s.index(id) < 0 {
		return &Error{Set: name, KeyID: int(id), Reason: "no such key in the set", Err: ErrKeyID}
	}
	switch {
	case len(s.keys) == 1:
		return &Error{Set: name, KeyID: int(id), Reason: "the set's only key: add a new one first"}
	case s.current == int(id):
		return &Error{Set: name, KeyID: int(id), Reason: "the current key: make another key current first"}
	}
	i := s.index(id)
	s.keys = append(s.keys[:i], s.keys[i+1:]...)
	s.retired = append(s.retired, id)
	return nil
}

// Parse parses a key file (docs/keyfile-format.md). It checks every rule
// of the format but unwraps nothing: see [File.Unwrap]. Errors are
// [*Error] values matching [ErrFormat], naming the line, never a key.
func Parse(data []byte) (*File, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{Reason: fmt.Sprintf("larger than %d bytes", MaxFileSize), Err: ErrFormat}
	}
	f := New()
	sawHeader := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxFileSize+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(reason string) error { return &Error{Line: n, Reason: reason, Err: ErrFormat} }
		if !sawHeader {
			if line != Header {
				return nil, bad(fmt.Sprintf("want the header %q", Header))
			}
			sawHeader = true
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 {
			return nil, bad("want: <set> <record> <key ID> ...")
		}
		name, rec := fields[0], fields[1]
		if err := checkSetName(name); err != nil {
			return nil, &Error{Line: n, Reason: err.(*Error).Reason, Err: ErrFormat}
		}
		id, err := strconv.ParseUint(fields[2], 10, 8)
		if err != nil || (len(fields[2]) > 1 && fields[2][0] == '0') {
			return nil, bad("key ID is not a decimal number from 0 to 255")
		}
		want := map[string]int{"key": 4, "wrapped": 4, "held": 4, "current": 3, "retired": 3}[rec]
		if want == 0 {
			return nil, bad(fmt.Sprintf("unknown record %q", rec))
		}
		if len(fields) != want {
			return nil, bad(fmt.Sprintf("%s takes %d fields", rec, want))
		}
		s, _ := f.setOrNew(name)
		if rec == "current" {
			if name == Master {
				return nil, bad("the master set has no current key: its newest key issues")
			}
			if s.current >= 0 {
				return nil, bad("a second current record for the set")
			}
			s.current = int(id)
			continue
		}
		if s.used(uint8(id)) {
			return nil, bad(fmt.Sprintf("key ID %d appears twice in set %s", id, name))
		}
		e := entry{id: uint8(id)}
		switch rec {
		case "retired":
			s.retired = append(s.retired, uint8(id))
			continue
		case "key":
			k, err := hex.DecodeString(fields[3])
			if err != nil || len(k) != KeySize {
				clear(k)
				return nil, bad(fmt.Sprintf("key is not %d bytes of hex", KeySize))
			}
			if err := checkMaterial(k); err != nil {
				clear(k)
				return nil, bad(err.Error())
			}
			e.clear = secret.NewBytes(k)
			clear(k)
		case "wrapped":
			w, err := base64.StdEncoding.Strict().DecodeString(fields[3])
			if err != nil || len(w) == 0 || len(w) > maxWrapped {
				return nil, bad(fmt.Sprintf("wrapped key is not 1 to %d bytes of padded standard base64", maxWrapped))
			}
			e.wrapped = w
		case "held":
			if name != Master {
				return nil, bad("only master keys may be held by a custodian")
			}
			if err := checkRef(fields[3]); err != nil {
				return nil, bad(err.Error())
			}
			e.held = fields[3]
		}
		s.keys = append(s.keys, e)
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{Reason: err.Error(), Err: ErrFormat}
	}
	if !sawHeader {
		return nil, &Error{Reason: fmt.Sprintf("empty file, want the header %q", Header), Err: ErrFormat}
	}
	for _, s := range f.sets {
		if len(s.keys) == 0 {
			return nil, &Error{Set: s.name, KeyID: -1, Reason: "the set has no key", Err: ErrFormat}
		}
		if s.name != Master {
			if s.current < 0 {
				return nil, &Error{Set: s.name, KeyID: -1, Reason: "the set has no current record", Err: ErrFormat}
			}
			if s.index(uint8(s.current)) < 0 {
				return nil, &Error{Set: s.name, KeyID: s.current, Reason: "the current key is not a key of the set", Err: ErrFormat}
			}
		}
	}
	return f, nil
}

// Marshal returns the file's text: the header, then each set in order, its
// current record, its retired IDs and its keys oldest first.
func (f *File) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString("# mdmcred key file (docs/keyfile-format.md). Keys in clear make this file a secret: mode 0600.\n")
	b.WriteString(Header + "\n")
	for _, s := range f.sets {
		if len(s.keys) == 0 && len(s.retired) == 0 {
			continue
		}
		if s.current >= 0 {
			fmt.Fprintf(&b, "%s current %d\n", s.name, s.current)
		}
		for _, id := range s.retired {
			fmt.Fprintf(&b, "%s retired %d\n", s.name, id)
		}
		for _, e := range s.keys {
			switch {
			case e.held != "":
				fmt.Fprintf(&b, "%s held %d %s\n", s.name, e.id, e.held)
			case e.wrapped != nil:
				fmt.Fprintf(&b, "%s wrapped %d %s\n", s.name, e.id, base64.StdEncoding.EncodeToString(e.wrapped))
			default:
				k := e.clear.Reveal()
				fmt.Fprintf(&b, "%s key %d %s\n", s.name, e.id, hex.EncodeToString(k))
				clear(k)
			}
		}
	}
	return b.Bytes()
}

// String describes the file by its sets and key IDs; never a key.
func (f File) String() string {
	var b strings.Builder
	b.WriteString("keyfile.File{")
	for i, s := range f.sets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s:", s.name)
		for j, e := range s.keys {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(e.id)))
		}
	}
	b.WriteString("}")
	return b.String()
}

// Format prints [File.String] under every verb.
func (f File) Format(st fmt.State, _ rune) { _, _ = st.Write([]byte(f.String())) }

// checkSetName applies the set name rule: 1 to 32 of a-z, 0-9 and '-',
// starting with a letter.
func checkSetName(name string) error {
	if name == "" || len(name) > maxSetName || name[0] < 'a' || name[0] > 'z' {
		return &Error{Set: "", KeyID: -1, Reason: "set name must be 1 to 32 of a-z, 0-9 and '-', starting with a letter", Err: ErrFormat}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return &Error{Set: "", KeyID: -1, Reason: "set name must be 1 to 32 of a-z, 0-9 and '-', starting with a letter", Err: ErrFormat}
		}
	}
	return nil
}

// checkRef applies the custodian reference rule: 1 to 512 printable ASCII
// characters, no space.
func checkRef(ref string) error {
	if ref == "" || len(ref) > maxRef {
		return fmt.Errorf("custodian reference must be 1 to %d printable ASCII characters without spaces", maxRef)
	}
	for i := 0; i < len(ref); i++ {
		if ref[i] <= ' ' || ref[i] > '~' {
			return fmt.Errorf("custodian reference must be 1 to %d printable ASCII characters without spaces", maxRef)
		}
	}
	return nil
}

// checkMaterial refuses all-zero and all-0xFF keys (erased or unset
// storage).
func checkMaterial(k []byte) error {
	var or, and byte = 0, 0xff
	for _, b := range k {
		or |= b
		and &= b
	}
	if or == 0 || and == 0xff {
		return fmt.Errorf("unusable key (all zero or all 0xFF bytes)")
	}
	return nil
}

// bindLabel starts every wrapped plaintext.
const bindLabel = "mdmcred/keyfile/v1"

// bindKey is what a key is wrapped as: the label, 0x00, the set name,
// 0x00, the key ID, the key. Unwrapping checks the prefix, so a wrapped key
// moved to another set or ID does not load.
func bindKey(name string, id uint8, key []byte) []byte {
	b := make([]byte, 0, len(bindLabel)+len(name)+3+len(key))
	b = append(b, bindLabel...)
	b = append(b, 0)
	b = append(b, name...)
	b = append(b, 0, id)
	return append(b, key...)
}
