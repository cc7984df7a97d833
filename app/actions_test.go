package app

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
	"github.com/carebook/carebook/sync/outbox"
)

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// openActionApp returns an unlocked app with one profile on srv, an open
// FHIR server (no sign-in), and the app's clock.
func openActionApp(t testing.TB, srv *fhirtest.Server) (*App, string, *testClock) {
	t.Helper()
	ctx := context.Background()
	clk := &testClock{now: time.Now()}
	a, err := Open(Config{DataDir: t.TempDir(), Storage: storage.Options{KDF: cheapKDF, NoKeyring: true}, IdleTimeout: -1, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := a.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := a.store.CreateProfile(ctx, storage.Profile{
		PracticeURL: srv.Base(), PatientID: "p1", Label: "Test Patient",
		Settings: map[string]string{settingAuth: "none"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, p.ID, clk
}

const testMessage = `{"resourceType":"Communication","status":"completed","subject":{"reference":"Patient/p1"},"payload":[{"contentString":"hello"}]}`

// refusing answers every POST with status and an OperationOutcome in the
// practice's words.
func refusing(status int, words string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		w.WriteHeader(status)
		w.Write([]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"business-rule","diagnostics":"` + words + `"}]}`))
	}
}

func TestSubmitOutcomes(t *testing.T) {
	ctx := context.Background()

	t.Run("accepted", func(t *testing.T) {
		srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
		defer srv.Close()
		a, pid, _ := openActionApp(t, srv)
		events, stop := a.Events()
		defer stop()
		sub, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(testMessage))
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
		if !strings.HasPrefix(sub.Ref, "Communication/") || sub.LocalID != LocalID(sub.Seq) {
			t.Fatalf("submitted = %+v, want a Communication reference", sub)
		}
		if srv.Count("Communication") != 1 {
			t.Fatalf("server holds %d messages, want 1", srv.Count("Communication"))
		}
		select {
		case ev := <-events:
			if oc, ok := ev.(OutboxChanged); !ok || oc.ProfileID != pid {
				t.Fatalf("first event = %#v, want OutboxChanged for the profile", ev)
			}
		default:
			t.Fatal("no OutboxChanged event")
		}
		entries, err := a.Outbox(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].State != storage.OutboxSent || entries[0].Ref != sub.Ref ||
			entries[0].Op != "create" || entries[0].Type != "Communication" ||
			!outbox.CarriesIdentifier(entries[0].Resource, "Communication", entries[0].Identifier) {
			t.Fatalf("outbox = %+v", entries)
		}
		if err := a.DiscardOutboxItem(ctx, pid, sub.Seq); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("discarding a sent item = %v, want ErrInvalidInput", err)
		}
	})

	t.Run("refused with the practice's words, then discarded", func(t *testing.T) {
		srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
		defer srv.Close()
		a, pid, _ := openActionApp(t, srv)
		srv.Config.Handler = refusing(http.StatusUnprocessableEntity, "Attachments may not exceed 5 MB")
		sub, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(testMessage))
		var re *RefusedError
		if !errors.Is(err, ErrRefused) || !errors.As(err, &re) || !strings.Contains(re.Message, "may not exceed 5 MB") || re.Conflict {
			t.Fatalf("submit = %v, want a refusal quoting the practice", err)
		}
		entries, _ := a.Outbox(ctx, pid)
		if len(entries) != 1 || entries[0].State != storage.OutboxFailed {
			t.Fatalf("outbox = %+v, want the item kept as failed", entries)
		}
		if err := a.DiscardOutboxItem(ctx, pid, sub.Seq); err != nil {
			t.Fatal(err)
		}
		if entries, _ := a.Outbox(ctx, pid); len(entries) != 0 {
			t.Fatalf("outbox after discard = %+v", entries)
		}
	})

	t.Run("conflict", func(t *testing.T) {
		srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
		defer srv.Close()
		a, pid, _ := openActionApp(t, srv)
		srv.Config.Handler = refusing(http.StatusConflict, "This time is no longer available")
		_, err := a.submitCreate(ctx, pid, outbox.KindAppointment, []byte(`{"resourceType":"Appointment","status":"booked"}`))
		var re *RefusedError
		if !errors.As(err, &re) || !re.Conflict || !strings.Contains(re.Message, "no longer available") {
			t.Fatalf("submit = %v, want a conflict with the practice's words", err)
		}
	})

	t.Run("queued while the practice fails, sent on retry", func(t *testing.T) {
		srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
		defer srv.Close()
		a, pid, clk := openActionApp(t, srv)
		srv.FailBefore(func(r *http.Request) int {
			if r.Method == http.MethodPost {
				return http.StatusServiceUnavailable
			}
			return 0
		})
		sub, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(testMessage))
		if !errors.Is(err, ErrQueued) || sub.Ref != "" || sub.LocalID == "" {
			t.Fatalf("submit = %+v, %v; want ErrQueued with a local id", sub, err)
		}
		// A second item waits behind the first.
		sub2, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(testMessage))
		if !errors.Is(err, ErrQueued) {
			t.Fatalf("second submit = %v, want ErrQueued", err)
		}
		if err := a.DiscardOutboxItem(ctx, pid, sub.Seq); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("discarding an item that may have reached the practice = %v, want ErrInvalidInput", err)
		}
		srv.FailBefore(nil)
		clk.Add(2 * time.Hour)
		got, err := a.RetryOutboxItem(ctx, pid, sub2.Seq)
		if err != nil || !strings.HasPrefix(got.Ref, "Communication/") {
			t.Fatalf("retry = %+v, %v; want accepted", got, err)
		}
		if n := srv.Count("Communication"); n != 2 {
			t.Fatalf("server holds %d messages, want 2 (both items, once each)", n)
		}
	})

	t.Run("practice unreachable", func(t *testing.T) {
		srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
		a, pid, _ := openActionApp(t, srv)
		srv.Close()
		sub, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(testMessage))
		if !errors.Is(err, ErrQueued) {
			t.Fatalf("submit offline = %v, want ErrQueued", err)
		}
		entries, _ := a.Outbox(ctx, pid)
		if len(entries) != 1 || entries[0].Seq != sub.Seq || entries[0].State != storage.OutboxPending {
			t.Fatalf("outbox = %+v, want the item waiting", entries)
		}
	})

	t.Run("locked while sending: queued", func(t *testing.T) {
		srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
		defer srv.Close()
		a, pid, _ := openActionApp(t, srv)
		srv.FailBefore(func(*http.Request) int { a.Lock(); return 0 }) // the phone locks at once
		_, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(testMessage))
		if !errors.Is(err, ErrQueued) || errors.Is(err, storage.ErrLocked) {
			t.Fatalf("submit when the app locks while sending = %v, want ErrQueued (stored), not ErrLocked (nothing stored)", err)
		}
		srv.FailBefore(nil)
		if err := a.Unlock(ctx, "a long passphrase"); err != nil {
			t.Fatal(err)
		}
		if entries, err := a.Outbox(ctx, pid); err != nil || len(entries) != 1 {
			t.Fatalf("outbox = %+v, %v; want the item", entries, err)
		}
	})

	t.Run("locked stores nothing", func(t *testing.T) {
		srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
		defer srv.Close()
		a, pid, _ := openActionApp(t, srv)
		a.Lock()
		if _, err := a.submitCreate(ctx, pid, outbox.KindMessage, []byte(testMessage)); !errors.Is(err, storage.ErrLocked) {
			t.Fatalf("submit while locked = %v, want ErrLocked", err)
		}
	})
}

func TestLocalID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		seq  int64
		isID bool
	}{
		{LocalID(42), 42, true},
		{"local-1", 1, true},
		{"42", 0, false},
		{"local-", 0, false},
		{"local-0", 0, false},
		{"Communication/42", 0, false},
	} {
		seq, ok := ParseLocalID(tc.in)
		if ok != tc.isID || (ok && seq != tc.seq) {
			t.Errorf("ParseLocalID(%q) = %d, %v", tc.in, seq, ok)
		}
	}
}
