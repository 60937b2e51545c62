// Package notify turns mdmcred's notices (a service password, a passcode
// reset, a company passcode alert, a portal one-time PIN) into localized
// email and delivers it.
//
// # Where to start
//
// Build a [Catalog] once with [NewCatalog], pick a [Mailer] adapter, and
// join them in a [Notifier] with [NewNotifier]; then call the Notifier's
// Send method for the notice:
//
//	cat, _ := notify.NewCatalog(notify.CatalogConfig{})
//	mailer, _ := notify.NewSMTP(notify.SMTPConfig{Host: "smtp.example.com", From: "mdm@example.com", ...})
//	n, _ := notify.NewNotifier(notify.NotifierConfig{Catalog: cat, Mailer: mailer})
//	err := n.SendServicePassword(ctx, notify.ServicePassword{To: to, Language: "de", Issued: issued})
//
// The domain packages (servicepass, enrollment, passcode, otp) do not
// import notify: each defines its own narrow mail port. The adapters
// [ServicePassMailer] (servicepass.Mailer), [EnrollmentAlerter]
// (enrollment.Alerter) and [PasscodeMailer] (passcode.Mailer) plug a
// Notifier into those ports, converting each domain notice to the matching
// type here ([ServicePassword], [CompanyPasscodeAlert], [PasscodeReset]);
// the portal sends [OneTimePIN] itself. Credentials travel as [Secret] (the
// same type as the domain packages' secret aliases), which never prints its
// value.
//
// # One path from a service password to its email
//
// A [ServicePassword] is the servicepass.Issued that Issuer.Issue
// returned, as it is, plus the envelope (To, Language and the device's
// display name): the device, its mode, the actions (servicepass.Actions
// bits, named in the recipient's language; Unlock on a COPE device as
// unlocking the work profile), the expiry, the one day-valid date the
// issuer decided, the device's zone (servicepass.Request.Location, from the
// device's provisioning) and the privileged window the devices open
// (servicepass.IssuerConfig.Window) all come from the issuer. Wire
// [ServicePassMailer] as servicepass.IssuerConfig.Mailer and the issuer
// mails what it returns; or, without the port, call
// [Notifier.SendServicePassword] with the Issued yourself:
//
//	issued, err := issuer.Issue(ctx, req)
//	...
//	err = n.SendServicePassword(ctx, notify.ServicePassword{
//		To: []string{"tech@example.com"}, Language: "de", DeviceName: "Scanner 7", Issued: issued,
//	})
//
// # Languages and time
//
// Messages exist in English, Polish, German, French, Spanish and Italian
// ([Languages]). A notice's Language is a BCP 47 tag or an Accept-Language
// list; [Negotiate] maps it to the best of those ("de-AT" -> German) and
// falls back to English ("pt-BR" -> English). [Resolve] also reports the
// fallback, so a program can tell its user that the email will be in
// English; a [Notifier] logs a note for it through [NotifierConfig.Logger].
// Times are shown with the zone's abbreviation and, for a zone named by
// region, its name ("2026-11-23 10:00 CET (Europe/Warsaw)"): in a notice's
// TimeZone, and in a service password's Issued.Location, the device's
// zone, as the code expires on the device's clock. Without one, in the
// catalog's zone ([CatalogConfig.Location], UTC by default).
//
// A service-password email for servicepass.RemoveNetworkRestrictions lists
// exactly the policies servicepass.NetworkPolicies returns for the
// Issued's Mode (private DNS only on COPE), in every language.
//
// # Safety of the rendered mail
//
// Every name a user or device controls (device name and ID, site, user
// name, the source of a failed attempt) goes through one sanitizer before
// it reaches the subject or a body, in every notice:
//
//   - it becomes one line: line breaks, tabs and other white space become
//     one space; C0 and C1 controls (NUL included) are removed;
//   - characters that do not show as themselves are removed: Unicode format
//     characters (zero-width space and joiners, soft hyphen, BOM, tag
//     characters), bidi controls (no reversed "gnp.exe"), noncharacters and
//     invisible fillers;
//   - RFC 2047 encoded-words are broken ("=?" becomes "= ?"), so no mail
//     client decodes a name into a bidi override or a line break;
//   - URLs, schemes, protocol-relative links, UNC paths, IP addresses and
//     host names are defanged ("https://example.com" reads
//     "hxxps[://]example[.]com", "mailto:x@example.org" reads
//     "mailto[:]x@example[.]org", "//203.0.113.7/x" reads
//     "[//]203[.]0[.]113[.]7/x", "\\host\share" reads "[\\]host\share",
//     "www.example.org" reads "www[.]example[.]org"), so no client makes
//     them a link (the tests run every sanitized name of their corpus
//     through linkify-it, an outside autolinker); the HTML body
//     comes from html/template, so a name is always text, never markup or
//     a link ("<script>" shows as text);
//   - it is cut, ending in "…", to [MaxSubjectName] characters in subjects
//     and [MaxName] in bodies.
//
// [Message.Validate], which every adapter runs, refuses a subject or a
// decoded From or To display name that holds a control or invisible
// character, and a subject holding "=?". Subjects never contain the
// credential.
//
// # Printing and logging
//
// Every type here that holds a credential or reveals one redacts it under
// every fmt verb, in log/slog (text and JSON) and in encoding/json, also
// when reached through a pointer or a struct field: [SMTPConfig] and [SMTP]
// (the password), [Notifier] (names its Mailer's type only), [Message]
// (the bodies and inline data), [Inline] (the data, which may be a QR
// image of a code), [ServicePassword] (the code and its QR image, also when
// reached through its Issued),
// [Recorder] (the recorded messages) and the [Secret] and [SecretBytes]
// fields of the notices. Log any of them freely; never log a Message's Text
// or HTML. [Secret] and [SecretBytes] keep their value behind a pointer, so
// even a struct that fmt walks by reflection (an unexported field, where it
// calls no method) shows an address in their place. A Message's Text and
// HTML bodies are [Secret] too (Reveal gives the text), and its inline
// images [SecretBytes], so a Message kept in a host's own struct, even in
// an unexported field, never prints a credential.
//
// # Adapters
//
//   - [SMTP]: submission through github.com/wneessen/go-mail with mandatory
//     STARTTLS by default (or opportunistic STARTTLS, implicit TLS, none),
//     PLAIN or LOGIN authentication, and ctx's deadline bounding the whole
//     exchange.
//   - [Outbox]: writes one .eml file per message into a directory, for
//     development.
//   - [Recorder]: keeps the messages in memory, for tests; it can be told to
//     fail.
//
// Every adapter refuses an invalid [Message] with [ErrInvalidMessage] and
// reports a delivery failure as a [*SendError] matching [ErrSend]; none
// swallows an error.
//
// # Errors
//
// Every input this package refuses is a [*FieldError] that names the field
// by its path from what the caller passed, and the rule it breaks, never
// the field's content (a credential, personal data):
//
//   - a notice field: "PasscodeReset.To[0]", "OneTimePIN.ExpiresAt",
//     "ServicePassword.Issued.Actions"; it matches [ErrInvalidNotice] and
//     nothing was sent;
//   - a [Message] field: "To[1]", "Subject"; it matches [ErrInvalidMessage]
//     (an adapter refused the message, nothing sent);
//   - a configuration field: "SMTPConfig.Host", "NotifierConfig.Mailer",
//     "PasscodeMailer.Notifier"; it matches no sentinel (fix the code).
//
// A failed or uncertain delivery matches [ErrSend] instead: the notice was
// fine, the mail may be retried. A nil context is [ErrNilContext].
package notify
