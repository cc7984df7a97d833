package app

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// TestDraftsSideBySide: drafts under different keys are kept side by
// side, listed the latest saved first, and each goes on its own.
func TestDraftsSideBySide(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
	defer srv.Close()
	a, pid, clk := openActionApp(t, srv)
	other := NewDraftKey()
	if other == NewDraftKey() || !IsNewMessageDraft(other) || !IsNewMessageDraft(DraftNew) || IsNewMessageDraft("Communication/t1") {
		t.Fatalf("NewDraftKey %q: want a new message's key, a new one each time", other)
	}
	saves := []SavedDraft{
		{DraftNew, Draft{Subject: "Knee", Text: "Twenty minutes of writing about my knee."}},
		{"Communication/t1", Draft{Thread: "Communication/t1", Text: "Thank you, doctor."}},
		{other, Draft{Subject: "About my lipid panel", About: "DiagnosticReport/lipids"}},
	}
	for _, s := range saves {
		clk.Add(time.Minute)
		if err := a.SaveDraft(ctx, pid, s.Key, s.Draft); err != nil {
			t.Fatal(err)
		}
	}
	listed := func() []string {
		t.Helper()
		ds, err := a.Drafts(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, d := range ds {
			keys = append(keys, d.Key+": "+d.Draft.Subject+d.Draft.Text)
		}
		return keys
	}
	want := []string{other + ": About my lipid panel", "Communication/t1: Thank you, doctor.", "new: KneeTwenty minutes of writing about my knee."}
	if got := listed(); !slices.Equal(got, want) {
		t.Fatalf("drafts = %q, want %q", got, want)
	}
	if err := a.SaveDraft(ctx, pid, "Communication/t1", Draft{Thread: "Communication/t1"}); err != nil {
		t.Fatal(err)
	}
	if err := a.DiscardDraft(ctx, pid, other); err != nil {
		t.Fatal(err)
	}
	if got := listed(); !slices.Equal(got, want[2:]) {
		t.Fatalf("drafts after emptying one and discarding another = %q, want %q", got, want[2:])
	}
}

// TestEditFailedMessageKeepsDraftInProgress: the patient has a new message
// half written when they tap Edit on an earlier message the practice
// refused. The refused message comes back as a draft of its own; the one
// in progress stays, and the inbox lists both.
func TestEditFailedMessageKeepsDraftInProgress(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	d, sub, _ := sendRefusedMessage(t, p, a, id)
	inProgress := Draft{To: d.To, Subject: "Another question", Text: "A long message I am still writing."}
	if err := a.SaveDraft(ctx, id, DraftNew, inProgress); err != nil {
		t.Fatal(err)
	}
	back, key, err := a.EditFailedMessage(ctx, id, sub.Seq)
	if err != nil || key == DraftNew || !IsNewMessageDraft(key) || back.DraftKey != key || back.Text != d.Text {
		t.Fatalf("EditFailedMessage = %+v, %q, %v; want the refused message under a key of its own", back, key, err)
	}
	if saved, ok, err := a.Draft(ctx, id, DraftNew); err != nil || !ok || saved.Text != inProgress.Text {
		t.Fatalf("the draft in progress is lost: %q holds %q (ok %v, err %v); want %q", DraftNew, saved.Text, ok, err, inProgress.Text)
	}
	if saved, ok, err := a.Draft(ctx, id, key); err != nil || !ok || saved.Text != d.Text || len(saved.Attachments) != 1 {
		t.Fatalf("the refused message is not kept under %q: %+v %v %v", key, saved, ok, err)
	}
	var listed []string
	for _, d := range messagesOf(t, a, id).Drafts {
		listed = append(listed, d.Key)
	}
	if !slices.Equal(listed, []string{DraftNew, key}) && !slices.Equal(listed, []string{key, DraftNew}) {
		t.Fatalf("inbox drafts = %q; want the one in progress and the edited message", listed)
	}
}

// TestSendMessageLockedWhileSendingKeepsNoDraft: the patient taps Send and
// the app locks while the practice answers (a phone set to lock at once
// when the patient switches apps). The message is in the outbox, and
// SendMessage says so; its draft is gone, or the patient, seeing it after
// unlocking, would send the same message twice.
func TestSendMessageLockedWhileSendingKeepsNoDraft(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
	defer srv.Close()
	a, pid, _ := openActionApp(t, srv)
	d := Draft{To: "Practitioner/dr-park", Subject: "Knee", Text: "My knee hurts again.", DraftKey: NewDraftKey()}
	if err := a.SaveDraft(ctx, pid, d.DraftKey, d); err != nil {
		t.Fatal(err)
	}
	srv.FailBefore(func(*http.Request) int { a.Lock(); return 0 })
	_, err := a.SendMessage(ctx, pid, d)
	if !errors.Is(err, ErrQueued) {
		t.Fatalf("SendMessage while the app locks = %v, want ErrQueued (stored)", err)
	}
	srv.FailBefore(nil)
	if err := a.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	entries, err := a.Outbox(ctx, pid)
	if err != nil || len(entries) != 1 || entries[0].Kind != "message" {
		t.Fatalf("outbox = %+v, %v; want the message", entries, err)
	}
	if left, ok, err := a.Draft(ctx, pid, d.DraftKey); ok || err != nil {
		t.Fatalf("the message is in the outbox and its draft is still there (%+v, %v): sending it again sends it twice", left, err)
	}
}
