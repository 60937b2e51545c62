package enrollment_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/internal/ident"
)

// FuzzSiteIdentifiers: for any site, Generate either succeeds, for sites
// the one identifier rule accepts, or returns an *IdentError matching
// ErrSite; Status then agrees; nothing panics.
func FuzzSiteIdentifiers(f *testing.F) {
	for _, id := range gentest.BadIdents(enrollment.MaxSiteLen) {
		f.Add(id.Value)
	}
	for _, id := range gentest.GoodIdents(enrollment.MaxSiteLen) {
		f.Add(id.Value)
	}
	fx := newFixture(f, nil)
	f.Fuzz(func(t *testing.T, site string) {
		ctx := context.Background()
		_, err := fx.svc.Generate(ctx, site, "admin@example.com")
		_, serr := fx.svc.Status(ctx, site)
		var ie *enrollment.IdentError
		if ident.Check(site, enrollment.MaxSiteLen) != nil {
			if !errors.Is(err, enrollment.ErrSite) || !errors.As(err, &ie) || ie.Field != "site" || !errors.Is(serr, enrollment.ErrSite) {
				t.Fatalf("bad site: Generate %v, Status %v", err, serr)
			}
			return
		}
		if err != nil || serr != nil {
			t.Fatalf("good site refused: Generate %v, Status %v", err, serr)
		}
	})
}
