package app

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
	"github.com/carebook/carebook/sync/outbox"
)

// TestDiscardWhatNeverLeft: a message that never reached the practice
// can be discarded, however its send stopped: the sign-in expired (no
// access token could be had) or the practice refused the token (401).
// The attempt that never left is not counted as one that may have
// reached the practice.
func TestDiscardWhatNeverLeft(t *testing.T) {
	ctx := context.Background()
	t.Run("sign-in expired", func(t *testing.T) {
		p := startMsgPractice(t)
		a, id := openMsgApp(t, p, t.TempDir())
		opts, err := a.MessageOptions(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// The access token has expired, and the practice no longer
		// knows the refresh token.
		editSavedToken(t, a, id, func(tok map[string]any) {
			accessTokenExpired(tok)
			tok["refresh_token"] = "an-expired-refresh-token"
		})
		sub, err := a.SendMessage(ctx, id, Draft{To: opts.Recipients[0].Ref, Subject: "Never mind", Text: "I wrote this in anger."})
		if !errors.Is(err, ErrNeedsSignIn) {
			t.Fatalf("SendMessage = %v, want ErrNeedsSignIn", err)
		}
		if err := a.DiscardOutboxItem(ctx, id, sub.Seq); err != nil {
			t.Fatalf("a message that never left cannot be discarded: %v", err)
		}
	})
	t.Run("token refused", func(t *testing.T) {
		srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
		defer srv.Close()
		a, pid, _ := openActionApp(t, srv)
		srv.FailBefore(func(r *http.Request) int {
			if r.Method == http.MethodPost {
				return http.StatusUnauthorized
			}
			return 0
		})
		sub, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(testMessage))
		if err == nil || sub.Seq == 0 {
			t.Fatalf("submit = %+v, %v; want an error and the item kept", sub, err)
		}
		it, err := a.store.OutboxItem(ctx, pid, sub.Seq)
		if err != nil || it.Status != storage.OutboxPending || it.Attempts != 0 {
			t.Fatalf("outbox item %s with %d attempts, %v; want it pending with no attempt counted", it.Status, it.Attempts, err)
		}
		if err := a.DiscardOutboxItem(ctx, pid, sub.Seq); err != nil {
			t.Fatalf("a message the practice would not take cannot be discarded: %v", err)
		}
		if n := srv.Count("Communication"); n != 0 {
			t.Fatalf("the practice holds %d messages, want none", n)
		}
	})
	t.Run("upload cut", func(t *testing.T) {
		// A photo too large for the link in the time allowed: its body
		// never all left, so the practice cannot have the message.
		srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
		defer srv.Close()
		a, pid, _ := openActionApp(t, srv)
		defer cutUploads(t, srv, nil)() // before Close, which waits for the handler
		sub, it := submitCutPhoto(t, a, pid)
		in, err := a.Messages(ctx, pid)
		if err != nil || len(in.Threads) != 1 || !in.Threads[0].Messages[0].CanDiscard {
			t.Fatalf("inbox %+v, %v: want the message offered for discarding", in.Threads, err)
		}
		if err := a.DiscardOutboxItem(ctx, pid, sub.Seq); err != nil {
			t.Fatalf("a message whose upload never finished cannot be discarded (%d attempts counted): %v", it.Attempts, err)
		}
	})
}

// cutUploads makes every upload of the app to srv cut short, as on a link
// too slow for it: the practice reads nothing of a POST, and the app's
// requests get 3 s. seen, when not nil, is told of every request first.
// Call the returned function before closing srv, which waits for the
// POSTs held.
func cutUploads(t *testing.T, srv *fhirtest.Server, seen func(*http.Request)) (release func()) {
	saved := clientOptions
	clientOptions.RequestTimeout, clientOptions.UploadRate, clientOptions.MaxAttempts = 3*time.Second, 1<<40, 1
	t.Cleanup(func() { clientOptions = saved })
	held := make(chan struct{})
	srv.FailBefore(func(r *http.Request) int {
		if seen != nil {
			seen(r)
		}
		if r.Method != http.MethodPost {
			return 0
		}
		<-held // reads nothing of the body: a slow link
		return http.StatusServiceUnavailable
	})
	return func() { close(held) }
}

// submitCutPhoto submits a message with a photo whose upload is cut
// (cutUploads) and returns it as the outbox keeps it.
func submitCutPhoto(t *testing.T, a *App, pid string) (Submitted, storage.OutboxItem) {
	t.Helper()
	ctx := context.Background()
	photo := `{"resourceType":"Communication","status":"completed","subject":{"reference":"Patient/p1"},` +
		`"payload":[{"contentAttachment":{"contentType":"image/jpeg","data":"` + strings.Repeat("A", 8<<20) + `"}}]}`
	sub, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(photo))
	if !errors.Is(err, ErrQueued) || sub.Seq == 0 {
		t.Fatalf("submit = %+v, %v; want it queued", sub, err)
	}
	it, err := a.store.OutboxItem(ctx, pid, sub.Seq)
	if err != nil || it.LastError != outbox.WordsUploadCut {
		t.Fatalf("outbox item %s, %q, %v; want its upload cut", it.Status, it.LastError, err)
	}
	return sub, it
}

// TestSyncPullsBeforeACutUpload: a message whose photo could not be
// uploaded in the time allowed is not tried again by every sync: a sync
// leaves it until its back-off is over, and then pulls the record before
// it tries the upload again, so the record never waits for it.
func TestSyncPullsBeforeACutUpload(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
	defer srv.Close()
	a, pid, clk := openActionApp(t, srv)
	var mu sync.Mutex
	var asked []string
	defer cutUploads(t, srv, func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, r.Method)
	})()
	sub, _ := submitCutPhoto(t, a, pid)
	for _, step := range []struct {
		name     string
		later    time.Duration
		want     []string // the methods asked for, in order, without repeats
		attempts int
	}{
		{"at once", 0, []string{http.MethodGet}, 1},
		{"after its back-off", 2 * time.Hour, []string{http.MethodGet, http.MethodPost}, 2},
	} {
		clk.Add(step.later)
		mu.Lock()
		asked = nil
		mu.Unlock()
		if err := a.Sync(ctx, pid); err != nil {
			t.Fatalf("%s: sync: %v", step.name, err)
		}
		mu.Lock()
		got := slices.Compact(slices.Clone(asked))
		mu.Unlock()
		if !slices.Equal(got, step.want) {
			t.Fatalf("%s: the sync asked %v; want %v (the record first, the upload only once due)", step.name, got, step.want)
		}
		it, err := a.store.OutboxItem(ctx, pid, sub.Seq)
		if err != nil || it.Attempts != step.attempts || !outbox.UploadCut(it) || !it.NextAttempt.After(clk.Now()) {
			t.Fatalf("%s: outbox item %+v, %v; want its upload cut after %d attempts, and a wait", step.name, it, err, step.attempts)
		}
	}
}
