package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
)

// TestSignInLapseKeepsAReachedTry: a message with a photo whose first
// upload was cut short (nothing of it reached the practice: it may be
// discarded) is sent again; this time the practice takes it and the
// reply is lost, and before the client's next try the sign-in lapses
// (the next try is refused, and so is the refresh). The message is now
// at the practice: it must not read as one that never reached it (no
// Discard, not "nothing of it reached the practice"), and once signed in
// again it is found there, not sent a second time.
func TestSignInLapseKeepsAReachedTry(t *testing.T) {
	ctx := context.Background()
	saved := clientOptions
	// The client's wait before its next try: long enough for the test to
	// end the sign-in once the practice has the message.
	clientOptions.MinBackoff, clientOptions.MaxBackoff = 2*time.Second, 2*time.Second
	t.Cleanup(func() { clientOptions = saved })
	p, a, id, _, sub := sendCutPhoto(t)
	it, err := a.store.OutboxItem(ctx, id, sub.Seq)
	if err != nil {
		t.Fatal(err)
	}

	// Send now: the practice takes the message and its reply is lost.
	p.Faults().Set(faults.Config{DropReplyAfterCommitRate: 1, OnlyPaths: "/fhir/Communication", OnlyWrites: true})
	done := make(chan error, 1)
	go func() {
		_, err := a.RetryOutboxItem(ctx, id, sub.Seq)
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for serverMessages(t, p, it.Identifier) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the practice never got the message")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Before the client's next try, the sign-in lapses.
	p.Faults().Set(faults.Config{})
	p.Auth().ExpireSignIns()
	if err := <-done; !errors.Is(err, ErrNeedsSignIn) {
		t.Fatalf("Send now = %v, want ErrNeedsSignIn", err)
	}

	it, err = a.store.OutboxItem(ctx, id, sub.Seq)
	if err != nil || it.Status != storage.OutboxPending || it.Attempts <= it.CutAttempts || outbox.UploadCut(it) {
		t.Fatalf("outbox item %s, %d attempts (%d cut), %q, %v; want it pending, as one that may have reached the practice",
			it.Status, it.Attempts, it.CutAttempts, it.LastError, err)
	}
	in, err := a.Messages(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range in.Threads {
		for _, m := range th.Messages {
			if m.Seq == sub.Seq && (m.CanDiscard || m.UploadCut) {
				t.Errorf("the message reads as one that never reached the practice (discard %v, upload cut %v)", m.CanDiscard, m.UploadCut)
			}
		}
	}
	if err := a.DiscardOutboxItem(ctx, id, sub.Seq); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("Discard of a message the practice holds = %v, want it refused", err)
	}

	if err := a.SignInAgain(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := a.SendOutbox(ctx, id); err != nil {
		t.Fatal(err)
	}
	if it, err := a.store.OutboxItem(ctx, id, sub.Seq); err != nil || it.Status != storage.OutboxSent {
		t.Fatalf("after signing in again: %s, %v; want sent", it.Status, err)
	}
	if n := serverMessages(t, p, it.Identifier); n != 1 {
		t.Fatalf("the practice holds %d copies of the message, want 1", n)
	}
}

// TestNewActionGoesBeforeADueCutUpload: a message whose photo could not
// be uploaded in the time allowed is due to be tried again when the
// patient asks for a referral; the link still stalls under the photo. The
// referral, which nothing orders behind the photo, goes at once, as a
// sync's send would leave the photo for after its pull; the photo is not
// tried on the way. A second message, which must not overtake the photo,
// waits for it, untried. The next sync pulls, then sends the photo and
// the message after it, each once.
func TestNewActionGoesBeforeADueCutUpload(t *testing.T) {
	ctx := context.Background()
	p, a, id, to, cut := sendCutPhoto(t)
	p.advance(2 * time.Hour) // its retry is due
	// The link stalls under every message's upload for longer than the
	// patient waits for a referral to go.
	p.Faults().Set(faults.Config{Latency: 8 * time.Second, OnlyPaths: "/fhir/Communication", OnlyWrites: true})

	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := a.SendRequest(rctx, id, RequestInput{Kind: RequestReferral, Text: "Physiotherapy for my knee"}); err != nil {
		t.Fatalf("a referral asked for while a cut upload is due = %v, want it accepted at once", err)
	}
	behind, err := a.SendMessage(ctx, id, Draft{To: to, Subject: "One more thing", Text: "It itches at night."})
	if !errors.Is(err, ErrQueued) {
		t.Fatalf("a message behind the cut upload = %v, want ErrQueued", err)
	}
	for _, tc := range []struct {
		name     string
		seq      int64
		attempts int
	}{{"the photo", cut.Seq, 1}, {"the message behind it", behind.Seq, 0}} {
		it, err := a.store.OutboxItem(ctx, id, tc.seq)
		if err != nil || it.Status != storage.OutboxPending || it.Attempts != tc.attempts {
			t.Fatalf("%s: %s after %d attempts, %v; want it pending after %d", tc.name, it.Status, it.Attempts, err, tc.attempts)
		}
	}

	p.Faults().Set(faults.Config{})
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int64{cut.Seq, behind.Seq} {
		it, err := a.store.OutboxItem(ctx, id, seq)
		if err != nil || it.Status != storage.OutboxSent {
			t.Fatalf("after the sync, %s: %s, %v; want sent", LocalID(seq), it.Status, err)
		}
		if n := serverMessages(t, p, it.Identifier); n != 1 {
			t.Fatalf("the practice holds %d copies of %s, want 1", n, LocalID(seq))
		}
	}
}

// sendCutPhoto opens an app on a practice whose link cuts every upload
// of a message short and sends a message with a photo, whose upload is
// cut. It returns the practice, the app, the profile, the message's
// recipient and the message.
func sendCutPhoto(t *testing.T) (*msgPractice, *App, string, string, Submitted) {
	t.Helper()
	ctx := context.Background()
	p, a, id, to := openMsgAppTo(t)
	p.Faults().Set(faults.Config{CutUploadRate: 1, OnlyPaths: "/fhir/Communication", OnlyWrites: true})
	photo := AttachmentFromFile("wound.jpg", append([]byte("\xff\xd8\xff\xe0"), make([]byte, 4<<20)...))
	sub, err := a.SendMessage(ctx, id, Draft{To: to, Subject: "Photo of the wound", Text: "How it looks today.",
		Attachments: []MessageAttachment{photo}})
	if !errors.Is(err, ErrQueued) {
		t.Fatalf("SendMessage with the upload cut = %v, want ErrQueued", err)
	}
	it, err := a.store.OutboxItem(ctx, id, sub.Seq)
	if err != nil || !outbox.UploadCut(it) || it.Attempts != 1 || it.CutAttempts != 1 {
		t.Fatalf("outbox item %+v, %v: want one attempt, cut", it, err)
	}
	return p, a, id, to, sub
}

// TestSyncSaysWhenItSends: a sync that sends a cut upload after its pull
// says so (a SyncProgress of no type: sending) before it starts, instead
// of leaving the last type pulled on show during the upload; so does the
// send that begins a sync.
func TestSyncSaysWhenItSends(t *testing.T) {
	ctx := context.Background()
	p, a, id, _, cut := sendCutPhoto(t)
	p.Faults().Set(faults.Config{})
	p.advance(2 * time.Hour) // its retry is due
	events, stop := a.Events()
	defer stop()
	var shown []string // what each SyncProgress said: a type pulled, or "sending"
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			switch ev := ev.(type) {
			case SyncProgress:
				what := ev.Type
				if what == "" {
					what = "sending"
				}
				if len(shown) == 0 || shown[len(shown)-1] != what {
					shown = append(shown, what)
				}
			case SyncFinished:
				return
			}
		}
	}()
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	<-done
	if it, err := a.store.OutboxItem(ctx, id, cut.Seq); err != nil || it.Status != storage.OutboxSent {
		t.Fatalf("the photo after the sync: %s, %v; want sent", it.Status, err)
	}
	if len(shown) < 3 || shown[0] != "sending" || shown[len(shown)-1] != "sending" {
		t.Fatalf("the sync's progress said %v; want sending, the types pulled, then sending", shown)
	}
}
