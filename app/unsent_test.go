package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
	"github.com/carebook/carebook/sync/outbox"
)

// TestNothingUnsentIsLostSilently: removing a profile whose outbox holds an
// item the practice has not received refuses with the list of such items
// and removes nothing; repairing keeps them; only DiscardUnsent, after the
// patient saw them, removes the profile with them.
func TestNothingUnsentIsLostSilently(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
	a, pid, _ := openActionApp(t, srv)
	if _, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(testMessage)); err != nil {
		t.Fatalf("first message: %v", err) // accepted: not unsent
	}
	srv.Close() // the practice is unreachable from now on
	waiting := `{"resourceType":"Communication","status":"completed","subject":{"reference":"Patient/p1"},` +
		`"topic":{"text":"Blood test"},"payload":[{"contentString":"Can I eat before it?"}]}`
	if _, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(waiting)); !errors.Is(err, ErrQueued) {
		t.Fatalf("second message = %v, want ErrQueued", err)
	}

	if _, err := a.RepairRecord(ctx, pid); err == nil {
		t.Fatal("repair while offline: want the download's error")
	}
	err := a.RemoveProfile(ctx, pid, RemoveOptions{})
	var ue *UnsentError
	if !errors.Is(err, ErrUnsent) || !errors.As(err, &ue) {
		t.Fatalf("RemoveProfile = %v, want ErrUnsent", err)
	}
	if len(ue.Items) != 1 || ue.Items[0].Title() != "Message" ||
		ue.Items[0].Text() != "Subject: Blood test\nCan I eat before it?" || ue.Items[0].State != storage.OutboxPending {
		t.Fatalf("unsent items = %+v, want the waiting message with its words", ue.Items)
	}
	if _, err := a.store.Profile(ctx, pid); err != nil {
		t.Fatalf("profile after the refusal: %v, want it kept", err)
	}
	entries, err := a.Outbox(ctx, pid)
	if err != nil || len(entries) != 2 {
		t.Fatalf("outbox after repair and refusal = %d items, %v; want both kept", len(entries), err)
	}

	if err := a.RemoveProfile(ctx, pid, RemoveOptions{DiscardUnsent: true}); err != nil {
		t.Fatalf("RemoveProfile with DiscardUnsent: %v", err)
	}
	if _, err := a.store.Profile(ctx, pid); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("profile after removal: %v, want ErrNotFound", err)
	}
}

// TestRemoveWithNothingUnsent: sent items alone do not hold a removal up.
func TestRemoveWithNothingUnsent(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
	defer srv.Close()
	a, pid, _ := openActionApp(t, srv)
	if _, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(testMessage)); err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveProfile(ctx, pid, RemoveOptions{}); err != nil {
		t.Fatalf("RemoveProfile: %v", err)
	}
	if !strings.Contains((&UnsentError{Items: make([]OutboxEntry, 2)}).Error(), "(2)") {
		t.Fatal("UnsentError does not count its items")
	}
}
