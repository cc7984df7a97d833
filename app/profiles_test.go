package app

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
)

// TestReadMessages: messages marked read stay read, for their profile
// only, and the screens are told.
func TestReadMessages(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, false, -1)
	if err := a.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, patient := range []string{"p1", "p2"} {
		p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: patient, Label: patient})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	events, stop := a.Events()
	defer stop()
	if err := a.MarkMessagesRead(ctx, ids[0], "m1", "m2"); err != nil {
		t.Fatal(err)
	}
	// The screens learn that what is new changed.
	select {
	case ev := <-events:
		if ev != (SeenChanged{ProfileID: ids[0]}) {
			t.Errorf("event after marking read = %#v, want SeenChanged for the profile", ev)
		}
	case <-time.After(5 * time.Second):
		t.Error("no event after marking messages read")
	}
	if err := a.MarkMessagesRead(ctx, ids[0], "m2", "m3"); err != nil {
		t.Fatal(err)
	}
	for i, want := range []map[string]bool{{"m1": true, "m2": true, "m3": true}, {}} {
		got, err := a.ReadMessages(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("profile %d: read = %v, want %v", i, got, want)
		}
	}
}
