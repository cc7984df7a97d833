package app

import (
	"context"
	"errors"
	"slices"
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

// TestUnsentListsDrafts: a message draft is what the patient wrote and
// has not sent, like a waiting item: Unsent lists it with its words and
// files (an empty one, a question not written yet, is not), so
// RemoveProfile refuses to lose it without the patient seeing it.
func TestUnsentListsDrafts(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
	defer srv.Close()
	a, pid, _ := openActionApp(t, srv)
	drafts := map[string]Draft{
		DraftNew:           {Subject: "Glasses", Text: "Can Dad pick up his glasses Monday?", Attachments: []MessageAttachment{{Name: "receipt.pdf"}}},
		"Communication/t1": {Thread: "Communication/t1", Text: "Thank you, doctor."},
		NewDraftKey():      {Subject: "", About: "DiagnosticReport/lipids"},
	}
	for key, d := range drafts {
		if err := a.SaveDraft(ctx, pid, key, d); err != nil {
			t.Fatal(err)
		}
	}
	err := a.RemoveProfile(ctx, pid, RemoveOptions{})
	var ue *UnsentError
	if !errors.As(err, &ue) {
		t.Fatalf("RemoveProfile with drafts = %v; want ErrUnsent (the drafts are lost otherwise)", err)
	}
	var got []string
	for _, e := range ue.Items {
		if e.Kind != KindDraft || e.Title() != "Message draft" || e.Seq != 0 || e.CreatedAt.IsZero() {
			t.Errorf("draft entry %+v: want a message draft, no outbox item, with the time it was saved", e)
		}
		got = append(got, e.Text())
	}
	slices.Sort(got)
	want := []string{"Subject: Glasses\nCan Dad pick up his glasses Monday?\nFile: receipt.pdf", "Thank you, doctor."}
	if !slices.Equal(got, want) {
		t.Fatalf("unsent drafts = %q, want %q", got, want)
	}
	if _, err := a.store.Profile(ctx, pid); err != nil {
		t.Fatalf("profile after the refusal: %v, want it kept", err)
	}
	if err := a.RemoveProfile(ctx, pid, RemoveOptions{DiscardUnsent: true}); err != nil {
		t.Fatalf("RemoveProfile with DiscardUnsent: %v", err)
	}
}
