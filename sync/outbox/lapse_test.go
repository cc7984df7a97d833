package outbox

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
	"github.com/carebook/carebook/sync/smart"
)

// lapsingToken hands out a token until lapsed is set, then fails with err.
type lapsingToken struct {
	lapsed atomic.Bool
	err    error
}

func (s *lapsingToken) AccessToken(context.Context) (string, error) {
	if s.lapsed.Load() {
		return "", s.err
	}
	return "token", nil
}

func (s *lapsingToken) Refused(string) {}

// TestTokenLostAfterAReachingTry: a message's first try reaches the
// practice and its reply is lost; before the client's next try no access
// token can be had (the sign-in lapsed, or the app was locked). The
// attempt stays counted, the item pending (not refused), and Send stops
// with the token's error; once a token can be had again, the message is
// found at the practice, not sent twice.
func TestTokenLostAfterAReachingTry(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"sign-in lapsed", smart.ErrNeedsSignIn},
		{"app locked", storage.ErrLocked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
			defer srv.Close()
			tok := &lapsingToken{err: tc.err}
			srv.DropAfterCommit(func(r *http.Request) bool {
				if r.Method != http.MethodPost {
					return false
				}
				tok.lapsed.Store(true)
				return true
			})
			api, err := fhirapi.New(srv.Base(), fhirapi.Options{Token: tok, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxAttempts: 3})
			if err != nil {
				t.Fatal(err)
			}
			st, pid := openStore(t)
			ob := New(Config{Store: st, ProfileID: pid, API: api})
			msg, err := ob.EnqueueCreate(ctx, KindMessage, message(1))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ob.Send(ctx); !errors.Is(err, tc.err) || !errors.Is(err, fhirapi.ErrMayHaveReached) {
				t.Fatalf("Send = %v; want %v, an earlier try having reached the practice", err, tc.err)
			}
			it, err := st.OutboxItem(ctx, pid, msg.Seq)
			if err != nil || it.Status != storage.OutboxPending || it.Attempts != 1 {
				t.Fatalf("message %s after %d attempts (%q), %v; want it pending after 1", it.Status, it.Attempts, it.LastError, err)
			}

			srv.DropAfterCommit(nil)
			tok.lapsed.Store(false)
			if _, err := ob.Send(ctx); err != nil {
				t.Fatal(err)
			}
			if it, err := st.OutboxItem(ctx, pid, msg.Seq); err != nil || it.Status != storage.OutboxSent {
				t.Fatalf("message %s, %v once a token can be had; want sent", it.Status, err)
			}
			if n := countByIdentifier(t, srv, "Communication"); len(n) != 1 || n[msg.Identifier] != 1 {
				t.Fatalf("the practice holds %v; want the message once", n)
			}
		})
	}
}
