package app

import (
	"context"
	"reflect"
	"testing"

	"github.com/carebook/carebook/storage"
)

// TestReadMessages: messages marked read stay read, for their profile only.
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
	if err := a.MarkMessagesRead(ctx, ids[0], "m1", "m2"); err != nil {
		t.Fatal(err)
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
