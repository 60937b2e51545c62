package notify_test

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/servicepass"
)

// The markers stand for the credentials; none may appear in any printed
// form, raw or encoded.
const (
	passwordMarker = "hunter2-SMTP-PASSWORD"
	bodyMarker     = "BODY-CREDENTIAL-7KQ4"
	codeMarker     = "CODE-CREDENTIAL-M2XP"
	qrMarker       = "QR-IMAGE-OF-THE-CODE"
)

func leaks(out string) string {
	for _, m := range []string{passwordMarker, bodyMarker, codeMarker, qrMarker} {
		for _, form := range []string{
			m,
			hex.EncodeToString([]byte(m)),
			strings.ToUpper(hex.EncodeToString([]byte(m))),
			base64.StdEncoding.EncodeToString([]byte(m))[:16],
			strings.Trim(fmt.Sprint([]byte(m)), "[]")[:20], // %d of the bytes
			fmt.Sprintf("%q", m)[1:12],
		} {
			if strings.Contains(out, form) {
				return m + " as " + form
			}
		}
	}
	return ""
}

// secretHolders returns every notify value that holds a credential or
// reveals one, named.
func secretHolders(t *testing.T) map[string]any {
	t.Helper()
	cfg := notify.SMTPConfig{Host: "smtp.example.com", Username: "mdm", Password: notify.NewSecret(passwordMarker),
		From: "mdm@example.com", TLS: notify.StartTLSMandatory,
		// A client certificate's private key is key material too.
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{{PrivateKey: []byte(passwordMarker)}}}}
	smtp, err := notify.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.NewNotifier(notify.NotifierConfig{Mailer: smtp})
	if err != nil {
		t.Fatal(err)
	}
	msg := notify.Message{To: []string{"a@example.com"}, Subject: "s", Text: notify.NewSecret(bodyMarker), HTML: notify.NewSecret("<p>" + bodyMarker + "</p>"),
		Inline: []notify.Inline{{ContentID: "qr@mdmcred", ContentType: "image/png", Data: notify.NewSecretBytes([]byte(qrMarker))}}}
	rec := &notify.Recorder{}
	if err := rec.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	sp := notify.ServicePassword{To: []string{"a@example.com"}, DeviceName: "d", Issued: servicepass.Issued{Actions: servicepass.Unlock,
		ExpiresAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Code: notify.NewSecret(codeMarker), Display: notify.NewSecret(codeMarker),
		QRPNG: notify.NewSecretBytes([]byte(qrMarker))}}
	// A Recorder held by value in a host's struct, reached by fmt as a
	// value: its messages are behind a pointer fmt does not follow.
	host := &struct{ R notify.Recorder }{}
	if err := host.R.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	type hostConfig struct {
		SMTP     notify.SMTPConfig
		Adapter  *notify.SMTP
		Notifier *notify.Notifier
	}
	return map[string]any{
		"SMTPConfig":               cfg,
		"*SMTPConfig":              &cfg,
		"*SMTP":                    smtp,
		"SMTP":                     *smtp,
		"*Notifier":                n,
		"Notifier":                 *n,
		"Message":                  msg,
		"*Message":                 &msg,
		"[]Message":                []notify.Message{msg},
		"Inline":                   msg.Inline[0],
		"*Recorder":                rec,
		"ServicePassword":          sp,
		"*ServicePassword":         &sp,
		"ServicePassMailer":        notify.ServicePassMailer{Notifier: n},
		"EnrollmentAlerter":        notify.EnrollmentAlerter{Notifier: n},
		"PasscodeMailer":           notify.PasscodeMailer{Notifier: n},
		"host struct":              hostConfig{SMTP: cfg, Adapter: smtp, Notifier: n},
		"*host struct":             &hostConfig{SMTP: cfg, Adapter: smtp, Notifier: n},
		"field of anonymous":       struct{ M notify.Message }{msg},
		"map value":                map[string]any{"smtp": smtp, "msg": msg, "sp": sp},
		"OneTimePIN":               notify.OneTimePIN{PIN: notify.NewSecret(codeMarker)},
		"PasscodeReset":            notify.PasscodeReset{NewPasscode: notify.NewSecret(codeMarker)},
		"struct with Recorder ptr": struct{ R *notify.Recorder }{rec},
		"struct with Recorder":     host,
		"NotifierConfig":           notify.NotifierConfig{Mailer: smtp},
	}
}

// TestRedactedEverywhere prints every credential-holding value under every
// fmt verb, through slog's text and JSON handlers and encoding/json: the
// credential never appears, in any encoding.
func TestRedactedEverywhere(t *testing.T) {
	for name, v := range secretHolders(t) {
		var outs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %[1]v"} {
			outs = append(outs, verb+": "+fmt.Sprintf(verb, v))
		}
		outs = append(outs, fmt.Sprint(v), fmt.Sprintln(v))
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "v", v)
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", v)
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", slog.Group("g", slog.Any("v", v)))
		outs = append(outs, buf.String())
		if j, err := json.Marshal(v); err != nil {
			t.Errorf("%s: json.Marshal: %v", name, err)
		} else {
			outs = append(outs, "json: "+string(j))
		}
		for _, out := range outs {
			if l := leaks(out); l != "" {
				t.Errorf("%s leaks %s: %s", name, l, out)
			}
		}
	}
}

// The descriptions still say what they describe.
func TestRedactedDescriptions(t *testing.T) {
	h := secretHolders(t)
	cases := []struct {
		name string
		want []string
	}{
		{"*SMTP", []string{"notify.SMTP{", `Host: "smtp.example.com"`, `Username: "mdm"`, `Password: "[REDACTED]"`, "Port: 587"}},
		{"SMTPConfig", []string{"notify.SMTPConfig{", `Password: "[REDACTED]"`}},
		{"*Notifier", []string{`notify.Notifier{Mailer: "*notify.SMTP"}`}},
		{"Message", []string{`To: ["a@example.com"]`, `Text: "[REDACTED]"`, `Subject: "s"`, `Inline: ["qr@mdmcred image/png 20 bytes"]`}},
		{"*Recorder", []string{"notify.Recorder{Messages: 1}"}},
		{"ServicePassword", []string{`Issued.Code: "[REDACTED]"`, `Issued.Display: "[REDACTED]"`, `Issued.QRPNG: "[REDACTED]"`,
			`Issued.Actions: "Unlock"`, `Issued.Mode: "DeviceOwner"`}},
	}
	for _, tc := range cases {
		got := fmt.Sprint(h[tc.name])
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s prints %s, want %s in it", tc.name, got, w)
			}
		}
	}
	j, err := json.Marshal(h["*SMTP"])
	if err != nil || !strings.Contains(string(j), `"Password":"[REDACTED]"`) || !json.Valid(j) {
		t.Errorf("SMTP JSON = %s, %v", j, err)
	}
	if got := fmt.Sprintf("%q", h["*Notifier"]); got != `"notify.Notifier{Mailer: \"*notify.SMTP\"}"` {
		t.Errorf("%%q = %s", got)
	}
	var nilRec *notify.Recorder
	if b, err := json.Marshal(nilRec); err != nil || string(b) != "null" {
		t.Errorf("nil Recorder JSON = %s, %v", b, err)
	}
	if got := nilRec.String(); got != "notify.Recorder(nil){}" {
		t.Errorf("nil Recorder = %s", got)
	}
}

// noSecrets lists the exported struct types that hold no credential and
// nothing that reveals one, with the reason.
var noSecrets = map[string]string{
	"CatalogConfig":        "a time zone",
	"Catalog":              "templates and message texts",
	"OutboxConfig":         "a directory, a sender and a clock",
	"Outbox":               "a directory, a sender and a clock; the messages are on disk",
	"SendError":            "an adapter name and the transport's error",
	"FieldError":           "a field name and a rule, never the field's content",
	"CompanyPasscodeAlert": "recipients, a site, counts and a source",
}

// TestEveryExportedTypeClassified guards types added later: every exported
// struct type of the package is either printed by TestRedactedEverywhere
// (a key of secretHolders) or listed in noSecrets with a reason.
func TestEveryExportedTypeClassified(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	tested := map[string]bool{}
	for name := range secretHolders(t) {
		tested[strings.TrimPrefix(name, "*")] = true
	}
	found := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !ts.Name.IsExported() {
				return true
			}
			if _, ok := ts.Type.(*ast.StructType); !ok {
				return true
			}
			found++
			if name := ts.Name.Name; !tested[name] && noSecrets[name] == "" {
				t.Errorf("exported type %s is neither tested for redaction nor listed in noSecrets", name)
			}
			return true
		})
	}
	if found < 15 {
		t.Fatalf("found %d exported struct types: is the test reading the package?", found)
	}
}

// TestMessageBodiesThroughUnexportedField: a Message held in a host's
// unexported field (where fmt calls no method) does not print its bodies,
// which hold the credential.
func TestMessageBodiesThroughUnexportedField(t *testing.T) {
	m := notify.Message{Subject: "s", Text: notify.NewSecret("BODY-CODE-123"), HTML: notify.NewSecret("<p>BODY-CODE-123</p>")}
	host := struct{ m notify.Message }{m}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		if out := fmt.Sprintf(verb, host); strings.Contains(out, "BODY-CODE") {
			t.Errorf("%s printed the body: %s", verb, out)
		}
	}
}
