package mdmcredtest_test

import (
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/mdmcredtest"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	c := mdmcredtest.NewClock(start)
	if c.Now().Location() != time.UTC || !c.Now().Equal(start) {
		t.Fatalf("Now = %v", c.Now())
	}
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.Advance(time.Minute); _ = c.Now() }()
	}
	wg.Wait()
	if got := c.Now().Sub(start); got != 10*time.Minute {
		t.Fatalf("advanced %v", got)
	}
	c.Advance(-time.Hour)
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatal("Set")
	}
}

func ExampleClock() {
	clock := mdmcredtest.NewClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	now := clock.Now // what a service's Now field takes
	clock.Advance(90 * time.Minute)
	fmt.Println(now().Format(time.RFC3339))
	// Output: 2026-01-01T13:30:00Z
}

func TestReaderReproducible(t *testing.T) {
	a, b := make([]byte, 64), make([]byte, 64)
	_, _ = mdmcredtest.Reader(rand.New(rand.NewSource(7))).Read(a)
	_, _ = mdmcredtest.Reader(rand.New(rand.NewSource(7))).Read(b)
	if string(a) != string(b) {
		t.Fatal("same seed, different bytes")
	}
	_, _ = mdmcredtest.Reader(rand.New(rand.NewSource(8))).Read(b)
	if string(a) == string(b) {
		t.Fatal("different seeds, same bytes")
	}
}
