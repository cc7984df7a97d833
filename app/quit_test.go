package app

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/storage"
)

// TestQuitDoesNotWaitForATokenRefresh: the patient quits while a sync
// waits for the answer to a token refresh that never comes (the token
// endpoint took the request and holds its reply), the sync started by
// the window or by the background sync. Closing the app ends that wait
// within seconds, not after the half minute a refresh's answer is
// otherwise given; a message waiting in the outbox stays, and once the
// patient has signed in again it reaches the practice once.
func TestQuitDoesNotWaitForATokenRefresh(t *testing.T) {
	for _, tc := range []struct {
		name       string
		background bool
	}{
		{"a sync the window started", false},
		{"the background sync", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			p := startMsgPractice(t)
			dir := t.TempDir()
			a, id := openMsgApp(t, p, dir)
			opts, err := a.MessageOptions(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			p.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, RetryAfter: time.Millisecond,
				OnlyPaths: "/fhir/Communication", OnlyWrites: true})
			sub, err := a.SendMessage(ctx, id, Draft{To: opts.Recipients[0].Ref, Subject: "Before I go", Text: "See you on Monday."})
			if !errors.Is(err, ErrQueued) {
				t.Fatalf("SendMessage to a failing practice = %v, want ErrQueued", err)
			}
			waiting, err := a.store.OutboxItem(ctx, id, sub.Seq)
			if err != nil {
				t.Fatal(err)
			}

			// The access token is due for a refresh, whose reply the
			// token endpoint holds longer than anyone waits.
			p.Faults().Set(faults.Config{ReplyLatency: time.Hour, OnlyPaths: "/auth/token"})
			editSavedToken(t, a, id, accessTokenExpired)
			synced := make(chan struct{})
			if tc.background {
				a.StartBackgroundSync(BackgroundConfig{Interval: 10 * time.Millisecond})
				close(synced)
			} else {
				go func() {
					defer close(synced)
					_ = a.Sync(ctx, id) // the window's context: nothing cancels it
				}()
			}
			time.Sleep(3 * time.Second) // the refresh is at the token endpoint
			start := time.Now()
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			if took > 10*time.Second {
				t.Errorf("Close took %v with a refresh unanswered", took)
			}
			t.Logf("Close took %v", took)
			<-synced

			p.Faults().Set(faults.Config{})
			a, id = openMsgApp(t, p, dir)
			it, err := a.store.OutboxItem(ctx, id, sub.Seq)
			if err != nil || it.Status != storage.OutboxPending || it.Identifier != waiting.Identifier || it.Attempts < waiting.Attempts {
				t.Fatalf("the message after quitting: %+v, %v; want it waiting as it was", it, err)
			}
			err = a.Sync(ctx, id)
			if errors.Is(err, ErrNeedsSignIn) { // the refresh abandoned spent the refresh token
				if err := a.SignInAgain(ctx, id); err != nil {
					t.Fatal(err)
				}
				err = a.Sync(ctx, id)
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := serverMessages(t, p, waiting.Identifier); n != 1 {
				t.Fatalf("the practice holds %d copies of the message, want 1", n)
			}
		})
	}
}
