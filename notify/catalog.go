package notify

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htemplate "html/template"
	"image/png"
	"maps"
	"sort"
	"strconv"
	"strings"
	ttemplate "text/template"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/servicepass"
)

//go:embed templates/*.tmpl locales/*.json
var assets embed.FS

// QRContentID is the Content-ID of the inline QR image in a service-password
// message; the HTML body shows it as <img src="cid:qr@mdmcred">.
const QRContentID = "qr@mdmcred"

// timeLayout shows an instant with its zone's abbreviation
// ("2026-11-23 10:00 CET"); dateLayout a calendar day.
const (
	timeLayout = "2006-01-02 15:04 MST"
	dateLayout = "2006-01-02"
)

// showTime shows t in loc with the zone's abbreviation and, for a zone of
// the IANA database named by region ("Europe/Berlin"), that name too:
// "CET" alone does not say whose clock it is, and some abbreviations are
// only numbers ("-03").
func showTime(t time.Time, loc *time.Location) string {
	s := t.In(loc).Format(timeLayout)
	if name := loc.String(); strings.Contains(name, "/") {
		s += " (" + name + ")"
	}
	return s
}

// The QR image is shown at least minQRWidth and at most maxQRWidth CSS
// pixels wide; a small image is scaled by a whole factor so its modules stay
// sharp.
const (
	minQRWidth = 160
	maxQRWidth = 320
)

func qrWidth(w int) int {
	if w <= 0 {
		return minQRWidth
	}
	if w < minQRWidth {
		w *= (minQRWidth + w - 1) / w
	}
	return min(w, maxQRWidth)
}

// kind names one notice's template pair.
type kind int

const (
	kindServicePassword kind = iota
	kindPasscodeReset
	kindCompanyPasscodeAlert
	kindOneTimePIN
	numKinds
)

var kindNames = [numKinds]string{"service_password", "passcode_reset", "company_passcode_alert", "one_time_pin"}

// noticeNames are the notices' type names, which begin the Field of a
// [*FieldError] refusing one.
var noticeNames = [numKinds]string{"ServicePassword", "PasscodeReset", "CompanyPasscodeAlert", "OneTimePIN"}

// checkRecipients refuses, before anything is rendered, a notice of kind k
// without recipients or with one the email cannot carry (the rules of
// [Message.Validate]), naming it by its index ("PasscodeReset.To[1]").
func checkRecipients(k kind, to []string) error {
	if len(to) == 0 {
		return noticeError(noticeNames[k], "To", "no recipient")
	}
	for i, addr := range to {
		if rule := checkAddress(addr); rule != "" {
			return noticeError(noticeNames[k], fmt.Sprintf("To[%d]", i), rule)
		}
	}
	return nil
}

// CatalogConfig configures a [Catalog].
type CatalogConfig struct {
	// Location is the time zone used for a notice whose TimeZone is nil,
	// and for a service password whose Issued.Location is nil.
	// Zero: UTC.
	Location *time.Location
}

// Catalog renders notices into localized [Message]s from the embedded
// templates and message files. Build it once with [NewCatalog]; it is
// immutable and safe for concurrent use.
type Catalog struct {
	loc  *time.Location
	msgs []map[string]string // indexed like supported
	text [numKinds]*ttemplate.Template
	html [numKinds]*htemplate.Template
}

// NewCatalog parses the embedded templates and messages and checks that
// every language has every message with the same placeholders as English.
// An error means the package itself is broken.
func NewCatalog(cfg CatalogConfig) (*Catalog, error) {
	c := &Catalog{loc: cfg.Location}
	if c.loc == nil {
		c.loc = time.UTC
	}
	msgs, err := loadMessages()
	if err != nil {
		return nil, err
	}
	c.msgs = msgs
	for k := range numKinds {
		name := kindNames[k]
		t, err := ttemplate.New(name).Option("missingkey=error").
			ParseFS(assets, "templates/layout.txt.tmpl", "templates/"+name+".txt.tmpl")
		if err != nil {
			return nil, fmt.Errorf("notify: template %s: %w", name, err)
		}
		h, err := htemplate.New(name).Option("missingkey=error").
			ParseFS(assets, "templates/layout.html.tmpl", "templates/"+name+".html.tmpl")
		if err != nil {
			return nil, fmt.Errorf("notify: template %s: %w", name, err)
		}
		c.text[k], c.html[k] = t, h
	}
	return c, nil
}

// loadMessages reads locales/<lang>.json for every supported language and
// checks them against English.
func loadMessages() ([]map[string]string, error) {
	out := make([]map[string]string, len(supported))
	for i, tag := range supported {
		b, err := assets.ReadFile("locales/" + tag.String() + ".json")
		if err != nil {
			return nil, fmt.Errorf("notify: messages for %s: %w", tag, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("notify: messages for %s: %w", tag, err)
		}
		out[i] = m
	}
	if err := checkMessages(out); err != nil {
		return nil, err
	}
	if err := checkPolicies(out[0]); err != nil {
		return nil, err
	}
	if err := checkActions(out[0]); err != nil {
		return nil, err
	}
	return out, nil
}

// actionKeys is the message key of each servicepass action, keyed by its
// bit: a service-password email names the actions of the Issued it is made
// from, with no second enum in between. Unlock on a COPE device opens the
// work profile and has its own key, unlockWorkProfileKey.
var actionKeys = map[servicepass.Actions]string{
	servicepass.Unlock:                    "action.unlock",
	servicepass.DisableKiosk:              "action.disable_kiosk",
	servicepass.RemoveNetworkRestrictions: "action.remove_network_restrictions",
	servicepass.AllowDeveloperOptions:     "action.allow_developer_options",
	servicepass.AllowDeactivation:         "action.allow_deactivation",
	servicepass.AllowFactoryReset:         "action.allow_factory_reset",
	servicepass.EmergencyDatabaseReset:    "action.emergency_database_reset",
	servicepass.SetPassword:               "action.set_password",
}

const unlockWorkProfileKey = "action.unlock_work_profile"

// actionKey returns the message key for the single action a in mode.
func actionKey(mode servicepass.Mode, a servicepass.Actions) string {
	if a == servicepass.Unlock && mode == servicepass.COPE {
		return unlockWorkProfileKey
	}
	return actionKeys[a]
}

// checkActions reports a servicepass action without a message key or
// without words in en, and an action message no action uses (the other
// languages are checked against en).
func checkActions(en map[string]string) error {
	known := map[string]bool{unlockWorkProfileKey: true}
	var problems []string
	for _, a := range servicepass.AllActions.List() {
		k, ok := actionKeys[a]
		if !ok {
			problems = append(problems, "no message key for servicepass action "+a.String())
			continue
		}
		known[k] = true
	}
	for k := range known {
		if _, ok := en[k]; !ok {
			problems = append(problems, "en: missing "+k)
		}
	}
	for k := range en {
		if strings.HasPrefix(k, "action.") && !known[k] {
			problems = append(problems, "en: "+k+" is no servicepass action")
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("notify: message catalog: %s", strings.Join(problems, "; "))
	}
	return nil
}

// policyModes are the activation modes whose network policies a service
// password email may list.
var policyModes = [...]servicepass.Mode{servicepass.DeviceOwner, servicepass.COPE}

// policyKey is the message key naming a servicepass network policy.
func policyKey(p servicepass.NetworkPolicy) string { return "policy." + p.ID }

// checkPolicies reports a servicepass network policy of any mode that en
// has no words for, and a policy message no policy uses (the other
// languages are checked against en).
func checkPolicies(en map[string]string) error {
	known := map[string]bool{}
	var problems []string
	for _, mode := range policyModes {
		for _, p := range servicepass.NetworkPolicies(mode) {
			known[policyKey(p)] = true
			if _, ok := en[policyKey(p)]; !ok {
				problems = append(problems, "en: missing "+policyKey(p))
			}
		}
	}
	for k := range en {
		if strings.HasPrefix(k, "policy.") && !known[k] {
			problems = append(problems, "en: "+k+" is no servicepass network policy")
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("notify: message catalog: %s", strings.Join(problems, "; "))
	}
	return nil
}

// checkMessages reports a language that lacks a key English has, has a key
// English lacks, uses other placeholders than English, holds an empty or
// untranslated-looking message, or holds markup, control or invisible
// characters or "=?" (messages are plain text: HTML escaping must see all
// of them, and a subject must not hold an RFC 2047 encoded-word).
func checkMessages(msgs []map[string]string) error {
	en := msgs[0]
	var problems []string
	for i, m := range msgs {
		lang := supported[i].String()
		for k, v := range en {
			w, ok := m[k]
			switch {
			case !ok:
				problems = append(problems, lang+": missing "+k)
			case strings.TrimSpace(w) == "":
				problems = append(problems, lang+": empty "+k)
			case !equalStrings(placeholders(v), placeholders(w)):
				problems = append(problems, lang+": placeholders of "+k+" differ from en")
			case strings.ContainsAny(w, "<>&") || strings.ContainsFunc(w, hidden) || strings.Contains(w, "=?"):
				problems = append(problems, lang+`: markup, a control or invisible character, or "=?" in `+k)
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok {
				problems = append(problems, lang+": unknown key "+k)
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("notify: message catalog: %s", strings.Join(problems, "; "))
	}
	return nil
}

// placeholders returns the sorted {names} in s.
func placeholders(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			out = append(out, s[i:])
			break
		}
		out = append(out, s[i+1:i+j])
		s = s[i+j+1:]
	}
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// expand returns message key with its {placeholders} replaced from args.
func expand(msgs map[string]string, key string, args map[string]string) (string, error) {
	s, ok := msgs[key]
	if !ok {
		return "", fmt.Errorf("notify: no message %q", key)
	}
	if strings.IndexByte(s, '{') < 0 {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("notify: message %q: unclosed placeholder", key)
		}
		name := s[i+1 : i+j]
		v, ok := args[name]
		if !ok {
			return "", fmt.Errorf("notify: message %q: no value for {%s}", key, name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+1:]
	}
}

// row is one "label value" line of a message.
type row struct{ Label, Value string }

// item is one granted action in words, with the details it covers (the
// network policies that RemoveNetworkRestrictions lifts).
type item struct {
	Text    string
	Details []string
}

// view is what the templates see. Every string in it is plain text; the
// HTML template escapes each one where it is used.
type view struct {
	Lang      string
	Subject   string
	CodeLabel string
	Code      string
	Rows      []row
	Actions   []item
	Window    bool
	Cleared   bool
	HasTime   bool
	QR        string
	QRWidth   int

	msgs map[string]string
	args map[string]string
	// subject holds the subject-line forms of the names in args, cut to
	// MaxSubjectName.
	subject map[string]string
}

// T returns the message key in the view's language with its placeholders
// filled in.
func (v *view) T(key string) (string, error) { return expand(v.msgs, key, v.args) }

// name sanitizes a name that a user or device controls and fills the
// placeholder key with it: cut to MaxName in the bodies, to MaxSubjectName
// in the subject. It returns the body form ("" when nothing is left).
func (v *view) name(key, raw string) string {
	s := sanitize(raw, MaxName)
	if s != "" {
		v.args[key] = s
		v.subject[key] = sanitize(raw, MaxSubjectName)
	}
	return s
}

func (v *view) row(key, value string) error {
	l, err := v.T(key)
	if err != nil {
		return err
	}
	v.Rows = append(v.Rows, row{Label: l, Value: value})
	return nil
}

// begin negotiates the language and starts a view.
func (c *Catalog) begin(pref string) *view {
	tag := Negotiate(pref)
	return &view{Lang: tag.String(), msgs: c.msgs[langIndex(tag)], args: map[string]string{}, subject: map[string]string{}}
}

func (c *Catalog) zone(loc *time.Location) *time.Location {
	if loc == nil {
		return c.loc
	}
	return loc
}

// finish renders the subject and both bodies and checks the message.
func (c *Catalog) finish(k kind, v *view, to []string, inline []Inline) (Message, error) {
	args := maps.Clone(v.args)
	maps.Copy(args, v.subject)
	subject, err := expand(v.msgs, kindKey(k)+".subject", args)
	if err != nil {
		return Message{}, err
	}
	// The names are sanitized already; a "=?" cannot form where a name
	// meets the message text either.
	subject = breakEncodedWords(subject)
	v.Subject = subject
	var tb, hb bytes.Buffer
	if err := c.text[k].ExecuteTemplate(&tb, "layout", v); err != nil {
		return Message{}, fmt.Errorf("notify: render %s: %w", kindNames[k], err)
	}
	if err := c.html[k].ExecuteTemplate(&hb, "layout", v); err != nil {
		return Message{}, fmt.Errorf("notify: render %s: %w", kindNames[k], err)
	}
	m := Message{
		To:       append([]string(nil), to...),
		Subject:  subject,
		Language: v.Lang,
		Text:     NewSecret(tb.String()),
		HTML:     NewSecret(hb.String()),
		Inline:   inline,
	}
	if err := m.Validate(); err != nil {
		// The recipients were checked first and the names sanitized, so
		// what is left is the header section as a whole: a To display name
		// too long to fold. It is the notice's error, not the message's.
		var fe *FieldError
		if errors.As(err, &fe) && (fe.Field == "To" || strings.HasPrefix(fe.Field, "To[")) {
			return Message{}, noticeError(noticeNames[k], fe.Field, fe.Rule)
		}
		rule := err.Error()
		if fe != nil {
			rule = "the rendered " + fe.Field + ": " + fe.Rule
		}
		return Message{}, &FieldError{Kind: ErrInvalidNotice, Field: noticeNames[k], Rule: rule}
	}
	return m, nil
}

func kindKey(k kind) string {
	return [numKinds]string{"sp", "pr", "ca", "otp"}[k]
}

// named reports whether a device name or ID has anything left once
// sanitized: a notice must name its device one way or the other.
func named(name, id string) bool {
	return sanitize(name, MaxName) != "" || sanitize(id, MaxName) != ""
}

// device fills {device} (the name, else the ID) and the device rows. The
// notice was checked with named.
func (v *view) device(name, id string) error {
	rawName, rawID := name, id
	name, id = sanitize(name, MaxName), sanitize(id, MaxName)
	switch {
	case name != "":
		v.name("device", rawName)
	case id != "":
		v.name("device", rawID)
	default:
		return errors.New("notify: device named neither way")
	}
	if name != "" {
		if err := v.row("label.device", name); err != nil {
			return err
		}
	}
	if id != "" {
		return v.row("label.device_id", id)
	}
	return nil
}

// ServicePassword renders the service-password email from n.Issued (see
// [ServicePassword] for what it shows): the code, the device, the actions
// in words (for RemoveNetworkRestrictions, the network policies
// servicepass.NetworkPolicies lists for the mode), the expiry in the
// device's zone (or its day-valid date), the privileged window, and the QR
// inline when Issued.QRPNG is set. A notice it cannot render is refused
// with a [*FieldError] matching [ErrInvalidNotice] that names the field
// ("ServicePassword.To[0]", "ServicePassword.Issued.Actions").
func (c *Catalog) ServicePassword(n ServicePassword) (Message, error) {
	iss := n.Issued
	bad := func(field, rule string) (Message, error) {
		return Message{}, noticeError(noticeNames[kindServicePassword], field, rule)
	}
	if err := checkRecipients(kindServicePassword, n.To); err != nil {
		return Message{}, err
	}
	switch {
	case iss.Display.IsZero():
		return bad("Issued.Display", "no code")
	case iss.ExpiresAt.IsZero():
		return bad("Issued.ExpiresAt", "no expiry")
	case iss.Window < 0:
		return bad("Issued.Window", "negative")
	}
	if err := servicepass.CheckRules(iss.Mode, iss.Actions); err != nil {
		var re *servicepass.RuleError
		field := "Issued.Actions"
		if errors.As(err, &re) && re.Field == "Mode" {
			field = "Issued.Mode"
		}
		return bad(field, err.Error())
	}
	switch dayValid := servicepass.DayValid(iss.Mode, iss.Actions); {
	case iss.DayValid != dayValid:
		return bad("Issued.DayValid", fmt.Sprintf("%t, but servicepass.DayValid(%s, %s) is %t", iss.DayValid, iss.Mode, iss.Actions, dayValid))
	case iss.DayValid && iss.ExpiryDate.IsZero():
		return bad("Issued.ExpiryDate", "a day-valid code needs its date")
	case !iss.DayValid && !iss.ExpiryDate.IsZero():
		return bad("Issued.ExpiryDate", "only a day-valid code has one")
	}
	if !named(n.DeviceName, iss.DeviceID) {
		return bad("Issued.DeviceID", "no DeviceName or Issued.DeviceID")
	}
	v := c.begin(n.Language)
	if err := v.device(n.DeviceName, iss.DeviceID); err != nil {
		return Message{}, err
	}
	for _, a := range iss.Actions.List() {
		s, err := v.T(actionKey(iss.Mode, a))
		if err != nil {
			return Message{}, err
		}
		it := item{Text: s}
		if a == servicepass.RemoveNetworkRestrictions {
			// Exactly what the device lifts in its mode.
			for _, p := range servicepass.NetworkPolicies(iss.Mode) {
				d, err := v.T(policyKey(p))
				if err != nil {
					return Message{}, err
				}
				it.Details = append(it.Details, d)
			}
		}
		v.Actions = append(v.Actions, it)
	}
	valid := showTime(iss.ExpiresAt, c.zone(iss.Location))
	if iss.DayValid {
		// The one date servicepass decided, on the device's calendar.
		v.args["date"] = iss.ExpiryDate.String()
		s, err := v.T("sp.valid_day")
		if err != nil {
			return Message{}, err
		}
		valid = s
	}
	if err := v.row("label.valid_until", valid); err != nil {
		return Message{}, err
	}
	if iss.Window > 0 {
		v.Window = true
		v.args["minutes"] = strconv.FormatInt(int64((iss.Window+time.Minute-1)/time.Minute), 10)
	}
	var inline []Inline
	if !iss.QRPNG.IsZero() {
		cfg, err := png.DecodeConfig(bytes.NewReader(iss.QRPNG.Reveal()))
		if err != nil {
			return bad("Issued.QRPNG", "not a PNG image")
		}
		v.QR, v.QRWidth = QRContentID, qrWidth(cfg.Width)
		inline = []Inline{{
			ContentID:   QRContentID,
			ContentType: "image/png",
			Filename:    "qr.png",
			Data:        iss.QRPNG,
		}}
	}
	label, err := v.T("sp.code")
	if err != nil {
		return Message{}, err
	}
	v.CodeLabel, v.Code = label, iss.Display.Reveal()
	return c.finish(kindServicePassword, v, n.To, inline)
}

// PasscodeReset renders the passcode-reset email: the new passcode, or what
// to do now that the passcode was cleared. A notice it cannot render is
// refused with a [*FieldError] matching [ErrInvalidNotice] that names the
// field ("PasscodeReset.To[0]", "PasscodeReset.NewPasscode").
func (c *Catalog) PasscodeReset(n PasscodeReset) (Message, error) {
	const k = kindPasscodeReset
	if err := checkRecipients(k, n.To); err != nil {
		return Message{}, err
	}
	switch {
	case n.Cleared && !n.NewPasscode.IsZero():
		return Message{}, noticeError(noticeNames[k], "NewPasscode", "set with Cleared: set exactly one of NewPasscode and Cleared")
	case !n.Cleared && n.NewPasscode.IsZero():
		return Message{}, noticeError(noticeNames[k], "NewPasscode", "no passcode and not Cleared: set exactly one of NewPasscode and Cleared")
	case !named(n.DeviceName, n.DeviceID):
		return Message{}, noticeError(noticeNames[k], "DeviceID", "no DeviceName or DeviceID")
	}
	v := c.begin(n.Language)
	if err := v.device(n.DeviceName, n.DeviceID); err != nil {
		return Message{}, err
	}
	if !n.ExpiresAt.IsZero() {
		v.HasTime = true
		v.args["time"] = n.ExpiresAt.In(c.zone(n.TimeZone)).Format(timeLayout)
	}
	v.Cleared = n.Cleared
	if !n.Cleared {
		label, err := v.T("pr.code")
		if err != nil {
			return Message{}, err
		}
		v.CodeLabel, v.Code = label, n.NewPasscode.Reveal()
	}
	return c.finish(k, v, n.To, nil)
}

// ruleKeys are the catalog keys of the words for each lockout rule.
var ruleKeys = map[enrollment.Rule]string{
	enrollment.RuleConsecutive: "ca.rule.consecutive",
	enrollment.RuleSource:      "ca.rule.source",
	enrollment.RuleRate:        "ca.rule.rate",
}

// CompanyPasscodeAlert renders the security alert for a locked company
// passcode: the site, the attempts, and what the admins should do. A
// notice it cannot render is refused with a [*FieldError] matching
// [ErrInvalidNotice] that names the field ("CompanyPasscodeAlert.Site").
func (c *Catalog) CompanyPasscodeAlert(n CompanyPasscodeAlert) (Message, error) {
	const k = kindCompanyPasscodeAlert
	if err := checkRecipients(k, n.To); err != nil {
		return Message{}, err
	}
	switch {
	case sanitize(n.Site, MaxName) == "":
		return Message{}, noticeError(noticeNames[k], "Site", "no site name")
	case n.Attempts < 0:
		return Message{}, noticeError(noticeNames[k], "Attempts", "negative")
	case n.Rule != 0 && ruleKeys[n.Rule] == "":
		return Message{}, noticeError(noticeNames[k], "Rule", "not a lockout rule enrollment defines")
	}
	v := c.begin(n.Language)
	site := v.name("site", n.Site)
	if err := v.row("label.site", site); err != nil {
		return Message{}, err
	}
	if err := v.row("ca.attempts", strconv.Itoa(n.Attempts)); err != nil {
		return Message{}, err
	}
	if !n.LastFailure.IsZero() {
		if err := v.row("ca.last_failure", n.LastFailure.In(c.zone(n.TimeZone)).Format(timeLayout)); err != nil {
			return Message{}, err
		}
	}
	if src := sanitize(n.LastSource, MaxName); src != "" {
		if err := v.row("ca.last_source", src); err != nil {
			return Message{}, err
		}
	}
	if n.Rule != 0 {
		rule, err := v.T(ruleKeys[n.Rule])
		if err != nil {
			return Message{}, err
		}
		if err := v.row("ca.rule", rule); err != nil {
			return Message{}, err
		}
	}
	return c.finish(k, v, n.To, nil)
}

// OneTimePIN renders the portal one-time-PIN email. A notice it cannot
// render is refused with a [*FieldError] matching [ErrInvalidNotice] that
// names the field ("OneTimePIN.ExpiresAt").
func (c *Catalog) OneTimePIN(n OneTimePIN) (Message, error) {
	const k = kindOneTimePIN
	if err := checkRecipients(k, n.To); err != nil {
		return Message{}, err
	}
	switch {
	case sanitize(n.User, MaxName) == "":
		return Message{}, noticeError(noticeNames[k], "User", "no user name")
	case n.PIN.IsZero():
		return Message{}, noticeError(noticeNames[k], "PIN", "no PIN")
	case n.ExpiresAt.IsZero():
		return Message{}, noticeError(noticeNames[k], "ExpiresAt", "no expiry")
	}
	v := c.begin(n.Language)
	v.name("user", n.User)
	if err := v.row("label.valid_until", n.ExpiresAt.In(c.zone(n.TimeZone)).Format(timeLayout)); err != nil {
		return Message{}, err
	}
	label, err := v.T("otp.code")
	if err != nil {
		return Message{}, err
	}
	v.CodeLabel, v.Code = label, n.PIN.Reveal()
	return c.finish(k, v, n.To, nil)
}
