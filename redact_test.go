package mdmcred_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/custody"
	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/keyfile"
	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/mobile"
)

// This file guards the rule that no exported type of a production package
// prints key material or a credential: under any fmt verb, through a
// pointer, as a field (exported or not), in log/slog with the text and JSON
// handlers, or in encoding/json.
//
// TestRedactionCoversEveryType finds the types to check itself: it loads the
// type information of every production package from the compiler's export
// data (go list -export, read with go/importer: standard library only) and
// walks every exported named type's structure, unexported fields included.
// A type is secret-bearing if it reaches a secret.String, secret.Bytes,
// secret.Keys or secret.Uint64 (every domain alias of them), a byte slice or
// array, a string field whose name says it holds a secret, or an integer
// field named as a MAC or tag (a truncated MAC is as good as the code it
// authenticates: servicepass.Payload once printed its uint64 MAC). It reaches what its
// fields, pointers, slices, arrays and maps hold, what a sync/atomic.Pointer
// points at, and what a function value returns: a type may hide material
// behind a closure (otp.Key does) or an atomic pointer (notify.Recorder
// does), which fmt prints as an address, and the guard must still plant a
// marker there and see that nothing prints it. Interfaces and channels hold
// nothing the type system can see; a function's captured variables are
// seen only through its results. Each such type must be listed in redactCases, or the test fails
// and names it, so a type added later cannot slip through. (Generic types
// are skipped, as reflection cannot instantiate them; the SDK exports none
// that hold a secret.)
// TestRedactionUnderEveryVerb then plants a marker in every secret-bearing
// field of each listed type (by reflection, unexported fields included) and
// prints it every way: the marker, in any encoding, never appears.

const module = "github.com/mdmcred/mdmcred"

// marker is planted in every secret-bearing field. It is long and unusual
// enough not to occur by chance in any output.
const marker = "Mq7Zx-SECRET-4Kp9"

// notSecret lists byte fields that hold no key material or credential, with
// the reason. They are what every Store keeps at rest, which the threat
// model (docs) treats as readable by an attacker: a keyed hash is useless
// without the pepper, a sealed copy without the sealing key.
var notSecret = map[string]string{
	module + "/enrollment.Record.Digest": "keyed hash (HMAC-SHA256 under the host's pepper), stored at rest",
	module + "/enrollment.Record.Sealed": "AEAD ciphertext under the host's sealing key, stored at rest",
	module + "/passcode.Reset.Sealed":    "AEAD ciphertext under the host's sealing key, stored at rest",
	module + "/keyfile.entry.wrapped":    "a key wrapped by a custodian's key (envelope encryption), kept in the key file",
	module + "/escrow.Record.Sealed":     "AEAD ciphertext under the host's sealing key, stored at rest",
	module + "/escrow.Row.Data":          "encoded escrow records, whose secrets are sealed (escrow.Record.Sealed), stored at rest",
	module + "/otp.PINRecord.Digest":     "keyed hash (HMAC-SHA256 under the host's pepper), stored at rest",
	// Not a secret at all: []uint8 is []byte to the type system.
	module + "/servicepass.IssuerConfig.Retired": "retired key IDs, not key material",
	// Apple MDM: the queued template holds placeholders, never a secret
	// (apple.Fill puts the secrets in only at delivery).
	module + "/apple.Command.Template": "MDM command plist with placeholders where secrets go, queued by design",
	// SetAutoAdminPassword sends the salted hash instead of the password.
	module + "/apple.ShadowHash.Entropy": "salted PBKDF2-HMAC-SHA512 output, sent to the Mac in place of the password",
	module + "/apple.ShadowHash.Salt":    "random salt of the hash, public by design",
	module + "/keyfile.Set.Retired":      "retired key IDs, not key material",
	module + "/keyfile.set.retired":      "retired key IDs, not key material",
	module + "/keyfile.Ring.retired":     "retired key IDs, not key material",
	// The device state file holds used serials, counters and times, no key.
	module + "/servicepass.FileStore.lastFile":   "the state file's bytes as last written: used codes' key IDs, serials and 32 MAC bits, counters, times; no key",
	module + "/servicepass.FileStore.lastBlob":   "the verifier's state bytes for lastFile (as lastFile)",
	module + "/servicepass.FileStore.readBuf":    "the state file's bytes as last read (as lastFile)",
	module + "/servicepass.FileStore.spare":      "a spare buffer for the next state file (as lastFile)",
	module + "/servicepass.MemDeviceStore.data":  "the device state's bytes (as FileStore.lastFile)",
	module + "/servicepass.stateCache.base":      "the device state's bytes a failed save was decided on (as FileStore.lastFile)",
	module + "/servicepass.stateCache.lastBytes": "the device state's bytes last stored or read (as FileStore.lastFile)",
	module + "/servicepass.stateCache.spare":     "a spare buffer for encoding the device state (as FileStore.lastFile)",
	module + "/servicepass.updateCall.written":   "the device state's bytes being stored (as FileStore.lastFile)",
}

// secretName matches the names of string fields that hold a secret.
var secretName = regexp.MustCompile(`(?i)(password|passwd|secret|pepper|masterkey|privatekey|apikey|token)|^(key|code|pin|passcode|otp)$`)

// secretIntName matches the names of integer fields that hold a secret: a
// truncated MAC.
var secretIntName = regexp.MustCompile(`(?i)^(mac|tag|mac\d*|tag\d*)$`)

// markerInt is planted in every secret-bearing integer field (50 bits, as a
// code's MAC); leaks looks for its decimal and hex spellings.
const markerInt uint64 = 0x2A5F1C2B9D7E3

// redactCase is one type to print every way.
type redactCase struct {
	typ reflect.Type
	// forms returns the values to print for a filled value of the type:
	// itself, a pointer, as a field and so on, each with a label.
	forms func(v any) []form
}

type form struct {
	label string
	v     any
}

func add[T any]() redactCase {
	return redactCase{
		typ: reflect.TypeFor[T](),
		forms: func(a any) []form {
			v := a.(T)
			return []form{
				{"value", v},
				{"pointer", &v},
				{"exported field", struct{ X T }{v}},
				{"pointer in exported field", &struct{ X *T }{&v}},
				{"slice element", []T{v}},
				{"map value", map[string]T{"k": v}},
				{"unexported field", struct{ x T }{v}},
				{"pointer in unexported field", struct{ x *T }{&v}},
			}
		},
	}
}

// redactCases lists every secret-bearing exported type of the production
// packages. TestRedactionCoversEveryType fails when one is missing.
var redactCases = []redactCase{
	add[enrollment.Config](),
	add[passcode.Config](),
	add[passcode.Result](),
	add[passcode.Delivery](),
}

func init() {
	// The packages other than enrollment and passcode are listed by name
	// through their exported types so that the guard covers them too.
	redactCases = append(redactCases, otherCases()...)
}

func TestRedactionCoversEveryType(t *testing.T) {
	flagged := secretBearingTypes(t)
	listed := map[string]bool{}
	for _, c := range redactCases {
		listed[c.typ.PkgPath()+"."+c.typ.Name()] = true
	}
	var names []string
	for name := range flagged {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !listed[name] {
			t.Errorf("%s holds %s: add add[%s]() to redactCases in redact_test.go", name, flagged[name], strings.TrimPrefix(name, module+"/"))
		}
	}
	for name := range listed {
		if _, ok := flagged[name]; !ok {
			t.Errorf("%s is in redactCases but holds no secret-bearing field; drop it (or say why it does in secretBearingTypes)", name)
		}
	}
	if len(flagged) < 6 {
		t.Fatalf("found only %d secret-bearing types: the type walk is broken", len(flagged))
	}
}

// secretBearingTypes returns every exported named type of the production
// packages that reaches secret material, with the path to it.
func secretBearingTypes(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	exports := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if path, file, ok := strings.Cut(line, "\t"); ok && file != "" {
			exports[path] = file
		}
	}
	imp := importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	flagged := map[string]string{}
	for path := range exports {
		if !production(path) {
			continue
		}
		pkg, err := imp.Import(path)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		scope := pkg.Scope()
		for _, name := range scope.Names() {
			tn, ok := scope.Lookup(name).(*types.TypeName)
			if !ok || !tn.Exported() || tn.IsAlias() {
				continue
			}
			named, ok := tn.Type().(*types.Named)
			if !ok || named.TypeParams().Len() > 0 {
				continue
			}
			if _, isIface := named.Underlying().(*types.Interface); isIface {
				continue
			}
			if why := reaches(named.Underlying(), tn.Name(), path+"."+tn.Name(), map[types.Type]bool{named: true}); why != "" {
				flagged[path+"."+tn.Name()] = why
			}
		}
	}
	return flagged
}

// production reports whether path is a package hosts import: not a test
// kit, an example or an internal package.
func production(path string) bool {
	return strings.HasPrefix(path, module+"/") && !strings.HasSuffix(path, "test") &&
		!strings.Contains(path, "/examples/") && !strings.Contains(path, "/internal/")
}

// reaches returns a description of the secret material t reaches ("" for
// none). field is the name of the struct field t is the type of, and owner
// the qualified name of the struct type holding it, for the allow list.
func reaches(t types.Type, field, owner string, seen map[types.Type]bool) string {
	switch t := types.Unalias(t).(type) {
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() == nil {
			return ""
		}
		p := obj.Pkg().Path()
		if p == module+"/internal/secret" && (obj.Name() == "String" || obj.Name() == "Bytes" || obj.Name() == "Keys" || obj.Name() == "Uint64") {
			return "a secret." + obj.Name() + " (" + owner + ")"
		}
		if isBytes(t.Underlying()) {
			if _, ok := notSecret[owner]; ok {
				return ""
			}
			return "bytes in " + owner
		}
		if p == "sync/atomic" && obj.Name() == "Pointer" && t.TypeArgs().Len() == 1 {
			return reaches(types.NewPointer(t.TypeArgs().At(0)), field, owner, seen)
		}
		if p != module && !strings.HasPrefix(p, module+"/") {
			return "" // a type of another module or the standard library
		}
		if seen[t] {
			return ""
		}
		seen[t] = true
		return reaches(t.Underlying(), field, p+"."+obj.Name(), seen)
	case *types.Struct:
		for i := 0; i < t.NumFields(); i++ {
			f := t.Field(i)
			if why := reaches(f.Type(), f.Name(), owner+"."+f.Name(), seen); why != "" {
				return why
			}
		}
	case *types.Basic:
		if t.Kind() == types.String && secretName.MatchString(field) {
			return "a string named " + field + " (" + owner + ")"
		}
		if t.Info()&types.IsInteger != 0 && secretIntName.MatchString(field) {
			return "an integer named " + field + " (" + owner + ")"
		}
	case *types.Pointer:
		return reaches(t.Elem(), field, owner, seen)
	case *types.Slice:
		if isBytes(t) {
			if _, ok := notSecret[owner]; ok {
				return ""
			}
			return "bytes in " + owner
		}
		return reaches(t.Elem(), field, owner, seen)
	case *types.Array:
		if isBytes(t) {
			if _, ok := notSecret[owner]; ok {
				return ""
			}
			return "bytes in " + owner
		}
		return reaches(t.Elem(), field, owner, seen)
	case *types.Map:
		if why := reaches(t.Key(), field, owner, seen); why != "" {
			return why
		}
		return reaches(t.Elem(), field, owner, seen)
	case *types.Signature:
		for i := 0; i < t.Results().Len(); i++ {
			if why := reaches(t.Results().At(i).Type(), field, owner, seen); why != "" {
				return why + ", returned by a function value"
			}
		}
	}
	return "" // interfaces and channels hold nothing the type system shows
}

func isBytes(t types.Type) bool {
	var elem types.Type
	switch t := t.(type) {
	case *types.Slice:
		elem = t.Elem()
	case *types.Array:
		elem = t.Elem()
	default:
		return false
	}
	b, ok := elem.Underlying().(*types.Basic)
	return ok && b.Kind() == types.Byte
}

var (
	secretString = reflect.TypeFor[secret.String]()
	secretKeys   = reflect.TypeFor[secret.Keys]()
	secretBytes  = reflect.TypeFor[secret.Bytes]()
	secretUint64 = reflect.TypeFor[secret.Uint64]()
)

// plant sets every secret-bearing field reachable from v (which must be
// addressable) to the marker, unexported fields included, and returns how
// many it set.
func plant(v reflect.Value, field, owner string, depth int) int {
	if depth > 8 {
		return 0
	}
	t := v.Type()
	switch {
	case t == secretString:
		v.Set(reflect.ValueOf(secret.New(marker)))
		return 1
	case t == secretKeys:
		v.Set(reflect.ValueOf(secret.NewKeys(map[uint8][]byte{1: []byte(marker), 2: []byte(marker)})))
		return 1
	case t == secretBytes:
		v.Set(reflect.ValueOf(secret.NewBytes([]byte(marker))))
		return 1
	case t == secretUint64:
		v.Set(reflect.ValueOf(secret.NewUint64(markerInt)))
		return 1
	case t.PkgPath() == "sync/atomic" && strings.HasPrefix(t.Name(), "Pointer["):
		// Plant in a new *T and Store it: fmt sees only the atomic
		// pointer's unsafe.Pointer.
		store := v.Addr().MethodByName("Store")
		p := reflect.New(store.Type().In(0).Elem())
		n := plant(p.Elem(), field, owner, depth+1)
		if n > 0 {
			store.Call([]reflect.Value{p})
		}
		return n
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		if _, ok := notSecret[owner]; ok {
			return 0
		}
		v.Set(reflect.ValueOf([]byte(marker)).Convert(t))
		return 1
	}
	if t.Kind() == reflect.Array && t.Elem().Kind() == reflect.Uint8 {
		if _, ok := notSecret[owner]; ok || t.Len() < len(marker) {
			return 0
		}
		reflect.Copy(v, reflect.ValueOf([]byte(marker)))
		return 1
	}
	inModule := t.PkgPath() == "" || t.PkgPath() == module || strings.HasPrefix(t.PkgPath(), module+"/")
	if !inModule {
		return 0
	}
	if t.Name() != "" {
		owner = t.PkgPath() + "." + t.Name()
	}
	n := 0
	switch t.Kind() {
	case reflect.String:
		if secretName.MatchString(field) {
			v.SetString(marker)
			return 1
		}
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8, reflect.Uintptr:
		if secretIntName.MatchString(field) {
			v.SetUint(markerInt & (1<<(8*t.Size()) - 1))
			return 1
		}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8:
		if secretIntName.MatchString(field) {
			v.SetInt(int64(markerInt & (1<<(8*t.Size()-1) - 1)))
			return 1
		}
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := v.Field(i)
			if !f.CanSet() {
				f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
			}
			n += plant(f, t.Field(i).Name, owner+"."+t.Field(i).Name, depth+1)
		}
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if n = plant(p.Elem(), field, owner, depth+1); n > 0 {
			v.Set(p)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(t, 1, 1)
		if n = plant(s.Index(0), field, owner, depth+1); n > 0 {
			v.Set(s)
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			n += plant(v.Index(i), field, owner, depth+1)
		}
	case reflect.Func:
		// A function value returning secret material (a closure over it,
		// or a generator such as escrow.Kind.Generate): plant in what it
		// returns and make it return that, whatever its arguments.
		outs := make([]reflect.Value, t.NumOut())
		for i := range outs {
			outs[i] = reflect.New(t.Out(i)).Elem()
			n += plant(outs[i], field, owner, depth+1)
		}
		if n > 0 {
			v.Set(reflect.MakeFunc(t, func([]reflect.Value) []reflect.Value { return outs }))
		}
	case reflect.Map:
		k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		n = plant(k, field, owner, depth+1) + plant(e, field, owner, depth+1)
		if n > 0 {
			m := reflect.MakeMap(t)
			m.SetMapIndex(k, e)
			v.Set(m)
		}
	}
	return n
}

// leaks reports the encodings of the marker found in out.
func leaks(out string) []string {
	b := []byte(marker)
	dec := make([]string, len(b))
	goHex := make([]string, len(b))
	for i, c := range b {
		dec[i] = fmt.Sprint(c)
		goHex[i] = fmt.Sprintf("0x%02x", c)
	}
	encodings := map[string]string{
		"plain":      marker,
		"hex":        hex.EncodeToString(b),
		"HEX":        strings.ToUpper(hex.EncodeToString(b)),
		"base64":     base64.StdEncoding.EncodeToString(b)[:16],
		"base64url":  base64.URLEncoding.EncodeToString(b)[:16],
		"decimal":    strings.Join(dec, " "),
		"go bytes":   strings.Join(goHex, ", "),
		"go bytes 2": strings.Join(goHex, ","),
		"unicode":    strings.Trim(fmt.Sprintf("%+q", marker), `"`),
		"integer":    fmt.Sprint(markerInt),
		"int hex":    fmt.Sprintf("%x", markerInt),
		"int HEX":    fmt.Sprintf("%X", markerInt),
		"int octal":  fmt.Sprintf("%o", markerInt),
	}
	var found []string
	for name, enc := range encodings {
		if strings.Contains(out, enc) {
			found = append(found, name)
		}
	}
	sort.Strings(found)
	return found
}

var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "% x", "%#x", "%10v", "%-12s", "%T"}

func TestRedactionUnderEveryVerb(t *testing.T) {
	for _, c := range redactCases {
		name := strings.TrimPrefix(c.typ.PkgPath(), module+"/") + "." + c.typ.Name()
		t.Run(name, func(t *testing.T) {
			v := reflect.New(c.typ).Elem()
			if n := plant(v, "", c.typ.PkgPath()+"."+c.typ.Name(), 0); n == 0 {
				t.Fatalf("no secret-bearing field to plant the marker in")
			}
			for _, f := range c.forms(v.Interface()) {
				// One error per form, naming every channel that leaked and
				// showing the first leak, so a failing type reads in a few
				// lines.
				var channels []string
				example := ""
				check := func(channel, out string) {
					if l := leaks(out); l != nil {
						channels = append(channels, channel+" ("+strings.Join(l, ", ")+")")
						if example == "" {
							example = channel + ": " + out
						}
					}
				}
				for _, verb := range verbs {
					check("fmt "+verb, fmt.Sprintf(verb, f.v))
				}
				check("fmt.Sprint", fmt.Sprint(f.v)+fmt.Sprintln(f.v))
				for name, newHandler := range map[string]func(io.Writer) slog.Handler{
					"slog text": func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
					"slog JSON": func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
				} {
					var buf bytes.Buffer
					slog.New(newHandler(&buf)).Info("m", "v", f.v, slog.Group("g", slog.Any("v", f.v)))
					check(name, buf.String())
				}
				b, err := json.Marshal(f.v)
				if err != nil {
					b = []byte(err.Error())
				}
				check("encoding/json", string(b))
				if channels != nil {
					if len(example) > 300 {
						example = example[:300] + "..."
					}
					t.Errorf("the %s leaked the marker through %s; first: %s", f.label, strings.Join(channels, ", "), example)
				}
			}
		})
	}
}

// TestLeaksDetectsEveryEncoding checks the detector on the spellings of the
// marker that a leak would take.
func TestLeaksDetectsEveryEncoding(t *testing.T) {
	raw := []byte(marker)
	for _, out := range []string{
		fmt.Sprintf("%v", raw), fmt.Sprintf("%d", raw), fmt.Sprintf("%x", raw), fmt.Sprintf("%X", raw),
		fmt.Sprintf("%#v", raw), string(raw), fmt.Sprintf("%q", raw), fmt.Sprintf("%x", marker),
		fmt.Sprintf("%+v", struct{ k []byte }{raw}), fmt.Sprintf("%v", map[uint8][]byte{1: raw}),
		string(must(json.Marshal(raw))), string(must(json.Marshal(marker))),
		fmt.Sprintf("%v", struct{ mac uint64 }{markerInt}), fmt.Sprintf("%#x", markerInt), string(must(json.Marshal(markerInt))),
	} {
		if leaks(out) == nil {
			t.Errorf("leaks missed the marker in %s", out)
		}
	}
	if l := leaks("[REDACTED] map[1:[REDACTED]] 0xc000012345"); l != nil {
		t.Errorf("leaks reported %v in redacted output", l)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// otherCases lists the secret-bearing types of the packages other than
// enrollment and passcode.
func otherCases() []redactCase {
	return []redactCase{
		add[apple.Secrets](),
		add[custody.LocalKey](),
		add[keyfile.File](),
		add[keyfile.Ring](),
		add[keyfile.Set](),
		add[escrow.Config](),
		add[escrow.Delivery](),
		add[escrow.Kind](),
		add[escrow.Service](),
		add[notify.Inline](),
		add[notify.Message](),
		add[notify.OneTimePIN](),
		add[notify.PasscodeReset](),
		add[notify.Recorder](),
		add[notify.SMTP](),
		add[notify.SMTPConfig](),
		add[notify.ServicePassword](),
		add[otp.Key](),
		add[otp.PINConfig](),
		add[otp.URI](),
		add[servicepass.DeviceKey](),
		add[servicepass.Issued](),
		add[servicepass.Issuer](),
		add[servicepass.IssuerConfig](),
		add[servicepass.MasterKey](),
		add[servicepass.Payload](),
		add[servicepass.Provisioning](),
		add[mobile.Provisioning](),
		add[mobile.Verifier](),
		add[servicepass.Response](),
		add[servicepass.Verifier](),
	}
}
