package app

import (
	"context"
	"errors"
	"net/http"
	"strings"
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
		saved := clientOptions
		clientOptions.RequestTimeout, clientOptions.UploadRate, clientOptions.MaxAttempts = 3*time.Second, 1<<40, 1
		t.Cleanup(func() { clientOptions = saved })
		srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
		defer srv.Close()
		release := make(chan struct{})
		defer close(release) // before Close, which waits for the handler
		a, pid, _ := openActionApp(t, srv)
		srv.FailBefore(func(r *http.Request) int {
			if r.Method != http.MethodPost {
				return 0
			}
			<-release // reads nothing of the body: a slow link
			return http.StatusServiceUnavailable
		})
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
		in, err := a.Messages(ctx, pid)
		if err != nil || len(in.Threads) != 1 || !in.Threads[0].Messages[0].CanDiscard {
			t.Fatalf("inbox %+v, %v: want the message offered for discarding", in.Threads, err)
		}
		if err := a.DiscardOutboxItem(ctx, pid, sub.Seq); err != nil {
			t.Fatalf("a message whose upload never finished cannot be discarded (%d attempts counted): %v", it.Attempts, err)
		}
	})
}
