package notify

import (
	"errors"
	"html"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/servicepass"
)

// TestNetworkPoliciesPerMode: for each mode and language, the email for
// RemoveNetworkRestrictions lists exactly servicepass.NetworkPolicies(mode),
// in its order, and no other policy.
func TestNetworkPoliciesPerMode(t *testing.T) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	all := servicepass.NetworkPolicies(servicepass.COPE)
	for li, tag := range supported {
		msgs := c.msgs[li]
		for _, mode := range policyModes {
			t.Run(tag.String()+"/"+mode.String(), func(t *testing.T) {
				m, err := c.ServicePassword(ServicePassword{
					To: []string{"a@example.com"}, Language: tag.String(), DeviceName: "d",
					Issued: servicepass.Issued{Mode: mode, Actions: servicepass.RemoveNetworkRestrictions, ExpiresAt: fixedExpiry, Display: NewSecret("C")},
				})
				if err != nil {
					t.Fatal(err)
				}
				want := servicepass.NetworkPolicies(mode)
				block := "  - " + msgs["action.remove_network_restrictions"] + "\n"
				list := "<li>" + msgs["action.remove_network_restrictions"] + "\n<ul>"
				for _, p := range want {
					block += "      - " + msgs[policyKey(p)] + "\n"
					list += "\n<li>" + msgs[policyKey(p)] + "</li>"
				}
				list += "\n</ul></li>"
				if !strings.Contains(m.Text.Reveal(), block) {
					t.Errorf("text lacks\n%s\nin:\n%s", block, m.Text)
				}
				body := html.UnescapeString(m.HTML.Reveal())
				if !strings.Contains(body, list) {
					t.Errorf("HTML lacks\n%s\nin:\n%s", list, m.HTML)
				}
				listed := map[string]bool{}
				for _, p := range want {
					listed[p.ID] = true
				}
				for _, p := range all {
					if n := strings.Count(m.Text.Reveal(), msgs[policyKey(p)]); listed[p.ID] != (n == 1) {
						t.Errorf("policy %s appears %d times in the text", p.ID, n)
					}
					if n := strings.Count(body, msgs[policyKey(p)]); listed[p.ID] != (n == 1) {
						t.Errorf("policy %s appears %d times in the HTML", p.ID, n)
					}
				}
			})
		}
	}
}

// TestDeviceOwnerMailHasNoPrivateDNS: private DNS is a COPE-only policy;
// a Device Owner code's email (the zero Mode) never mentions DNS, in any
// language.
func TestDeviceOwnerMailHasNoPrivateDNS(t *testing.T) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range supported {
		m, err := c.ServicePassword(ServicePassword{
			To: []string{"a@example.com"}, Language: tag.String(), DeviceName: "d",
			Issued: servicepass.Issued{Actions: servicepass.RemoveNetworkRestrictions, ExpiresAt: fixedExpiry, Display: NewSecret("C")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.Text.Reveal(), "DNS") || strings.Contains(m.HTML.Reveal(), "DNS") {
			t.Errorf("%s: Device Owner mail mentions DNS:\n%s", tag, m.Text)
		}
	}
}

func TestServicePasswordUnknownMode(t *testing.T) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ServicePassword(ServicePassword{
		To: []string{"a@example.com"}, DeviceName: "d",
		Issued: servicepass.Issued{Mode: servicepass.Mode(7), Actions: servicepass.Unlock, ExpiresAt: fixedExpiry, Display: NewSecret("C")},
	})
	var fe *FieldError
	if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidNotice) || fe.Field != "ServicePassword.Issued.Mode" {
		t.Errorf("unknown mode: %v", err)
	}
}
