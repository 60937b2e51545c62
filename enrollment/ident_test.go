package enrollment_test

import (
	"context"
	"testing"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/internal/ident"
)

// FuzzSiteIdentifiers: for any site, Generate either succeeds, for sites
// the one identifier rule accepts, or returns a *ParamError on "site"; Status then agrees; nothing panics.
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
		if ident.Check(site, enrollment.MaxSiteLen) != nil {
			if !isParam(err, "site") || !isParam(serr, "site") {
				t.Fatalf("bad site: Generate %v, Status %v", err, serr)
			}
			return
		}
		if err != nil || serr != nil {
			t.Fatalf("good site refused: Generate %v, Status %v", err, serr)
		}
	})
}
