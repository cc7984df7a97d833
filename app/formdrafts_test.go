package app

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestFormDraftsKeptUntilSent: what the patient typed in request forms,
// as a booking's reason and as a reason to cancel a visit is sealed as
// form drafts, the last of it saved by a lock (SaveBeforeLock), read back
// after the unlock, listed among what was not sent, and gone once the
// request, booking or cancellation is stored to be sent, or discarded.
func TestFormDraftsKeptUntilSent(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	lisinopril := medKey(t, a, id, "Lisinopril", "active")
	refill := RequestDraftKey(RequestRefill, lisinopril)
	referral := RequestDraftKey(RequestReferral, "")
	appts, err := a.Appointments(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var appt string
	for _, ap := range appts.Upcoming {
		if ap.Changeable(a.cfg.Now()) {
			appt = ap.ID
			break
		}
	}
	if appt == "" {
		t.Fatalf("no appointment to cancel among %+v", appts.Upcoming)
	}
	cancelling := CancelDraftKey(appt)
	if refill == referral || refill != RequestDraftKey(RequestRefill, " "+lisinopril) {
		t.Fatalf("RequestDraftKey: %q and %q; want one key per request and entry", refill, referral)
	}
	drafts := map[string]FormDraft{
		refill:          {Note: "Five tablets left.", Pharmacy: "Organization/caremail"},
		referral:        {Text: "A dermatologist for a mole check", Note: "Mornings are best."},
		BookingDraftKey: {Text: "Typed a moment before the lock: my knee hurts on stairs."},
		QuestionsDraftKey("a1", "Questionnaire/first-visit"): {Answers: map[string]string{"reason": "My knee", "meds": "Yes", "smoke": ""}},
		cancelling: {Text: "I am away that week."},
	}
	for _, key := range []string{refill, referral, QuestionsDraftKey("a1", "Questionnaire/first-visit"), cancelling} {
		if err := a.SaveFormDraft(ctx, id, key, drafts[key]); err != nil {
			t.Fatal(err)
		}
	}
	remove := a.SaveBeforeLock(func() {
		if err := a.SaveFormDraft(ctx, id, BookingDraftKey, drafts[BookingDraftKey]); err != nil {
			t.Errorf("save before the lock: %v", err)
		}
	})
	a.Lock()
	remove()
	if err := a.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	for key, want := range drafts {
		got, ok, err := a.FormDraft(ctx, id, key)
		if got.Saved.IsZero() {
			t.Errorf("form draft %s has no time saved", key)
		}
		got.Saved = time.Time{}
		if err != nil || !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("form draft %s after the lock = %+v (ok %v, %v); want %+v", key, got, ok, err, want)
		}
	}
	unsent, err := a.Unsent(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, e := range unsent {
		if e.Kind == KindFormDraft {
			listed = append(listed, e.Title()+": "+e.Text())
		}
	}
	slices.Sort(listed)
	want := []string{
		"Draft of a reason to cancel a visit: I am away that week.",
		"Draft of a visit's reason: Typed a moment before the lock: my knee hurts on stairs.",
		"Draft of answers before a visit: Yes\nMy knee",
		"Request draft: A dermatologist for a mole check\nMornings are best.",
		"Request draft: Five tablets left.",
	}
	if !slices.Equal(listed, want) {
		t.Errorf("unsent form drafts = %q, want %q", listed, want)
	}

	// Sent (stored in the outbox): its draft goes; the others stay.
	if _, err := a.SendRequest(ctx, id, RequestInput{Kind: RequestRefill, About: lisinopril, Note: "Five tablets left.", DraftKey: refill}); !Stored(err) {
		t.Fatalf("refill: %v", err)
	}
	if _, err := a.Book(ctx, id, BookRequest{Slot: freeSlot(t, a, id, "sick-visit", 48*time.Hour), Reason: "My knee", DraftKey: BookingDraftKey}); !Stored(err) {
		t.Fatalf("book: %v", err)
	}
	if _, err := a.Cancel(ctx, id, appt, "I am away that week."); !Stored(err) {
		t.Fatalf("cancel: %v", err)
	}
	// Emptied, then discarded.
	questions := QuestionsDraftKey("a1", "Questionnaire/first-visit")
	if err := a.SaveFormDraft(ctx, id, referral, FormDraft{Text: " ", Pharmacy: "Organization/caremail"}); err != nil {
		t.Fatal(err)
	}
	if err := a.SaveFormDraft(ctx, id, questions, FormDraft{Answers: map[string]string{"reason": " "}}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{refill, BookingDraftKey, cancelling, referral, questions} {
		if d, ok, err := a.FormDraft(ctx, id, key); err != nil || ok {
			t.Errorf("form draft %s after it was sent or emptied = %+v (ok %v, %v); want none", key, d, ok, err)
		}
	}
	if err := a.SaveFormDraft(ctx, id, referral, drafts[referral]); err != nil {
		t.Fatal(err)
	}
	if err := a.DiscardFormDraft(ctx, id, referral); err != nil {
		t.Fatal(err)
	}
	if left, err := a.FormDrafts(ctx, id); err != nil || len(left) != 0 {
		t.Errorf("form drafts left = %+v, %v; want none", left, err)
	}
}
