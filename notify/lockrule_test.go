package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/notify"
)

// TestCompanyPasscodeAlertRule: the alert names the lockout rule that locked
// the passcode (enrollment.Alert.Rule), in every catalog language; no rule
// shows no line, and an unknown rule is refused rather than shown raw.
func TestCompanyPasscodeAlertRule(t *testing.T) {
	want := map[string]map[enrollment.Rule]string{
		"en": {
			enrollment.RuleConsecutive: "Lockout rule: failed attempts in a row at the site",
			enrollment.RuleSource:      "Lockout rule: failed attempts in a row from one source",
			enrollment.RuleRate:        "Lockout rule: too many failed attempts at the site in a short time",
		},
		"de": {
			enrollment.RuleConsecutive: "Sperrregel: Fehlversuche in Folge am Standort",
			enrollment.RuleSource:      "Sperrregel: Fehlversuche in Folge von derselben Quelle",
			enrollment.RuleRate:        "Sperrregel: zu viele Fehlversuche am Standort in kurzer Zeit",
		},
		"es": {
			enrollment.RuleConsecutive: "Regla de bloqueo: intentos fallidos seguidos en la sede",
			enrollment.RuleSource:      "Regla de bloqueo: intentos fallidos seguidos desde un mismo origen",
			enrollment.RuleRate:        "Regla de bloqueo: demasiados intentos fallidos en la sede en poco tiempo",
		},
		"fr": {
			enrollment.RuleConsecutive: "Règle de verrouillage : tentatives échouées consécutives sur le site",
			enrollment.RuleSource:      "Règle de verrouillage : tentatives échouées consécutives depuis une même origine",
			enrollment.RuleRate:        "Règle de verrouillage : trop de tentatives échouées sur le site en peu de temps",
		},
		"it": {
			enrollment.RuleConsecutive: "Regola di blocco: tentativi falliti consecutivi nella sede",
			enrollment.RuleSource:      "Regola di blocco: tentativi falliti consecutivi dalla stessa origine",
			enrollment.RuleRate:        "Regola di blocco: troppi tentativi falliti nella sede in poco tempo",
		},
		"pl": {
			enrollment.RuleConsecutive: "Reguła blokady: nieudane próby z rzędu w lokalizacji",
			enrollment.RuleSource:      "Reguła blokady: nieudane próby z rzędu z jednego źródła",
			enrollment.RuleRate:        "Reguła blokady: zbyt wiele nieudanych prób w lokalizacji w krótkim czasie",
		},
	}
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 8, 57, 0, 0, time.UTC)
	for lang, rules := range want {
		for rule, line := range rules {
			n, rec := newNotifier(t)
			a := notify.EnrollmentAlerter{Notifier: n, Language: lang}
			err := a.SendLockAlert(ctx, enrollment.Alert{Site: "HQ", Admins: []string{"a@example.com"},
				Failures: 5, Rule: rule, LockedAt: at, LastFailure: at, LastSource: "203.0.113.7"})
			if err != nil {
				t.Fatalf("%s %v: %v", lang, rule, err)
			}
			m, _ := rec.Last()
			if text := m.Text.Reveal(); !strings.Contains(text, line) {
				t.Errorf("%s %v: text lacks %q:\n%s", lang, rule, line, text)
			}
			if html := m.HTML.Reveal(); !strings.Contains(html, line[strings.LastIndex(line, ": ")+2:]) {
				t.Errorf("%s %v: HTML lacks the rule:\n%s", lang, rule, html)
			}
		}
	}
	n, rec := newNotifier(t)
	if err := n.SendCompanyPasscodeAlert(ctx, notify.CompanyPasscodeAlert{To: []string{"a@example.com"}, Site: "HQ", Attempts: 3}); err != nil {
		t.Fatal(err)
	}
	if m, _ := rec.Last(); strings.Contains(m.Text.Reveal(), "Lockout rule") {
		t.Errorf("no rule, yet a rule line:\n%s", m.Text.Reveal())
	}
	err := n.SendCompanyPasscodeAlert(ctx, notify.CompanyPasscodeAlert{To: []string{"a@example.com"}, Site: "HQ", Attempts: 3, Rule: 99})
	if !errors.Is(err, notify.ErrInvalidNotice) {
		t.Errorf("unknown rule: %v, want ErrInvalidNotice", err)
	}
}
