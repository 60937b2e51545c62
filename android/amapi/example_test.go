package amapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"google.golang.org/api/androidmanagement/v1"
	"google.golang.org/api/option"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/android/amapi"
	"github.com/mdmcred/mdmcred/passcode"
)

// A passcode reset delivered to a fully managed device and followed until
// the device has set the new passcode. Here a tiny stand-in for AMAPI
// answers: the command is queued, then done.
func ExampleClient_ResetPassword() {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) }
	const op = `{"name":"enterprises/LC1/devices/3a1/operations/1","metadata":{"type":"RESET_PASSWORD","createTime":"2026-03-02T10:00:00Z","duration":"600s"}`
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost { // issueCommand: queued
			io.WriteString(w, op+"}")
			return
		}
		io.WriteString(w, op+`,"done":true}`) // operations.get: done
	}))
	defer fake.Close()

	// In production: androidmanagement.NewService(ctx, option.WithCredentialsFile(...)).
	svc, err := androidmanagement.NewService(ctx, option.WithEndpoint(fake.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		fmt.Println(err)
		return
	}
	client, _ := amapi.New(amapi.Config{Service: svc, Now: now})
	resets, _ := passcode.New(passcode.Config{
		Store:     passcode.NewMemStore(),
		SealKeys:  passcode.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), // a real 32-byte key from your secret store
		SealKeyID: 1,
		Now:       now,
	})

	phone := passcode.Device{ID: "3a1", Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 34}
	res, err := resets.Request(ctx, passcode.ResetRequest{Device: phone, Actor: "admin@example.com"})
	if err != nil {
		fmt.Println(err)
		return
	}
	sent, err := client.ResetPassword(ctx, resets, res, "enterprises/LC1/devices/3a1", android.RequireEntry, android.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("issued:", sent.Name)
	outcome, err := client.Await(ctx, resets, res.Reset.ID, sent.Name)
	fmt.Println("outcome:", outcome.State, err)
	evs, _ := resets.Events(ctx, passcode.EventQuery{ResetID: res.Reset.ID})
	for _, ev := range evs {
		fmt.Println(ev.From, "->", ev.To, "by", ev.Actor)
	}
	// Output:
	// issued: enterprises/LC1/devices/3a1/operations/1
	// outcome: succeeded <nil>
	// none -> requested by admin@example.com
	// requested -> pending by amapi
	// pending -> acknowledged by amapi
	// acknowledged -> succeeded by amapi
}
