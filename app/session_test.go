package app

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
	"github.com/carebook/carebook/sync/smart"
)

// cheapKDF keeps Argon2id fast in tests.
var cheapKDF = &storage.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}

func openTestApp(t *testing.T, keyring bool, idle time.Duration) *App {
	t.Helper()
	opts := storage.Options{KDF: cheapKDF, NoKeyring: !keyring}
	if keyring {
		opts.Keyring = storage.NewMemoryKeyring()
	}
	a, err := Open(Config{DataDir: t.TempDir(), Storage: opts, IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func wantState(t *testing.T, a *App, want LockState) {
	t.Helper()
	got, err := a.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("state = %v, want %v", got, want)
	}
}

func TestSessionPassphraseLifecycle(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, false, -1)
	wantState(t, a, NeedsSetup)
	if a.UsesKeyring() {
		t.Fatal("UsesKeyring with NoKeyring set")
	}
	if err := a.Setup(ctx, ""); !errors.Is(err, storage.ErrPassphraseRequired) {
		t.Fatalf("Setup without passphrase and keyring = %v, want ErrPassphraseRequired", err)
	}
	if err := a.Setup(ctx, "correct horse"); err != nil {
		t.Fatal(err)
	}
	wantState(t, a, UnlockedState)

	events, stop := a.Events()
	defer stop()
	a.Lock()
	wantState(t, a, LockedState)
	if ev := <-events; ev != (Locked{Idle: false}) {
		t.Fatalf("event after Lock = %#v", ev)
	}

	err := a.Unlock(ctx, "wrong horse")
	if !IsWrongPassphrase(err) {
		t.Fatalf("Unlock with a wrong passphrase = %v, want a wrong-passphrase error", err)
	}
	wantState(t, a, LockedState)
	if err := a.Unlock(ctx, "correct horse"); err != nil {
		t.Fatal(err)
	}
	wantState(t, a, UnlockedState)
	if ev := <-events; ev != (Unlocked{}) {
		t.Fatalf("event after Unlock = %#v", ev)
	}
}

func TestSessionKeyringUnlock(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, true, -1)
	if !a.UsesKeyring() {
		t.Fatal("UsesKeyring false with a working keyring")
	}
	if err := a.Setup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	a.Lock()
	if err := a.Unlock(ctx, ""); err != nil {
		t.Fatalf("Unlock from the keyring: %v", err)
	}
	wantState(t, a, UnlockedState)
}

func TestSessionLocksWhenIdle(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, false, 50*time.Millisecond)
	events, stop := a.Events()
	defer stop()
	if err := a.Setup(ctx, "pass phrase"); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case ev := <-events:
			if l, ok := ev.(Locked); ok {
				if !l.Idle {
					t.Fatal("Locked event not marked Idle")
				}
				wantState(t, a, LockedState)
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the app did not lock itself after its idle timeout")
		}
	}
}

func TestSessionTouchPostponesIdleLock(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, false, time.Hour)
	if err := a.Setup(ctx, "pass phrase"); err != nil {
		t.Fatal(err)
	}
	a.Touch()
	wantState(t, a, UnlockedState)
	a.Lock()
	a.Touch() // must not restart a timer while locked
	a.mu.Lock()
	timer := a.idleTimer
	a.mu.Unlock()
	if timer != nil {
		t.Fatal("Touch while locked started an idle timer")
	}
}

// TestBackgroundLock: a phone app in the background locks once the grace
// period has passed, and not when it comes back first.
func TestBackgroundLock(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, false, -1) // no idle lock: only the background one
	if err := a.Setup(ctx, "correct horse"); err != nil {
		t.Fatal(err)
	}
	if got := a.BackgroundGrace(); got != DefaultBackgroundGrace {
		t.Fatalf("BackgroundGrace = %v, want the default %v", got, DefaultBackgroundGrace)
	}
	events, stop := a.Events()
	defer stop()

	// Back before the grace is over: still unlocked, no timer left.
	a.SetBackgroundGrace(time.Hour)
	a.WentToBackground()
	a.CameToForeground()
	wantState(t, a, UnlockedState)
	a.mu.Lock()
	left := a.bgTimer != nil
	a.mu.Unlock()
	if left {
		t.Fatal("the background lock still runs after CameToForeground")
	}

	// Gone for longer than the grace ("at once"): locked by itself.
	a.SetBackgroundGrace(-time.Minute) // counts as at once
	if got := a.BackgroundGrace(); got != 0 {
		t.Fatalf("BackgroundGrace after a negative value = %v, want 0", got)
	}
	a.WentToBackground()
	select {
	case ev := <-events:
		if ev != (Locked{Idle: true}) {
			t.Fatalf("event in the background = %#v, want Locked{Idle: true}", ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the app never locked in the background")
	}
	wantState(t, a, LockedState)
}

// TestLockSavesWhatScreensHold: every lock (asked for, idle, in the
// background, the app closing) calls what screens registered with
// SaveBeforeLock while the keys are still there, so a draft typed a
// moment before the lock is kept; a saver removed is not called.
func TestLockSavesWhatScreensHold(t *testing.T) {
	waitLocked := func(t *testing.T, a *App) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !a.Locked() {
			if time.Now().After(deadline) {
				t.Fatal("the app did not lock")
			}
			time.Sleep(time.Millisecond)
		}
	}
	// unlock opens what lock closed; lock returns the app to unlock.
	unlock := func(t *testing.T, a *App, _ string) {
		t.Helper()
		if err := a.Unlock(context.Background(), "a long passphrase"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		lock   func(t *testing.T, a *App, pid string) *App
		unlock func(t *testing.T, a *App, pid string)
	}{
		{"asked for", func(t *testing.T, a *App, _ string) *App { a.Lock(); return a }, unlock},
		{"idle", func(t *testing.T, a *App, _ string) *App {
			a.SetIdleTimeout(time.Millisecond)
			waitLocked(t, a)
			// Idle locks no more: after the unlock below, a 1 ms idle
			// lock would close the store before the draft is read.
			a.SetIdleTimeout(-1)
			return a
		}, unlock},
		{"in the background", func(t *testing.T, a *App, _ string) *App {
			a.SetBackgroundGrace(0)
			a.WentToBackground()
			waitLocked(t, a)
			return a
		}, unlock},
		{"closing", func(t *testing.T, a *App, _ string) *App {
			a.Close()
			again, err := Open(Config{DataDir: a.DataDir(), Storage: storage.Options{KDF: cheapKDF, NoKeyring: true}, IdleTimeout: -1})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { again.Close() })
			return again
		}, unlock},
		{"the record's own lock closing", func(t *testing.T, a *App, pid string) *App {
			ctx := context.Background()
			if err := a.SetOwnLock(ctx, pid, "", "the record's own passphrase"); err != nil {
				t.Fatal(err)
			}
			if err := a.CloseProfile(ctx, pid); err != nil {
				t.Fatal(err)
			}
			return a
		}, func(t *testing.T, a *App, pid string) {
			if err := a.OpenProfile(context.Background(), pid, "the record's own passphrase"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv := fhirtest.New(fhirtest.Features{})
			defer srv.Close()
			a, pid, _ := openActionApp(t, srv)
			typed := Draft{Subject: "Knee", Text: "Typed a moment before the lock"}
			remove := a.SaveBeforeLock(func() {
				if err := a.SaveDraft(ctx, pid, DraftNew, typed); err != nil {
					t.Errorf("save before the lock: %v", err)
				}
			})
			defer remove()
			a.SaveBeforeLock(func() { t.Error("a saver removed was called") })()
			a = tc.lock(t, a, pid)
			tc.unlock(t, a, pid)
			if d, ok, err := a.Draft(ctx, pid, DraftNew); err != nil || !ok || d.Text != typed.Text || d.Subject != typed.Subject {
				t.Fatalf("draft after the lock = %+v (ok %v, %v); want %+v", d, ok, err, typed)
			}
		})
	}
}

// TestLockDuringRefreshKeepsSignIn: the patient locks, or quits the app,
// while a token refresh waits for the practice's answer, after the
// practice rotated the refresh token (the old one is spent: presenting it
// again revokes the sign-in). Lock returns without waiting for the answer;
// quitting stops the sync (as it stops the background sync) and waits
// for the answer, no longer than it takes. The rotated token is saved, so
// after unlocking (or starting the app again) a sync succeeds without a
// new sign-in.
func TestLockDuringRefreshKeepsSignIn(t *testing.T) {
	const answerDelay = 3 * time.Second
	for _, tc := range []struct {
		name string
		// end locks or closes a while its sync's refresh waits for the
		// answer (cancel ends the sync's context); after the sync ended,
		// resume returns a unlocked again (or another App on its folder).
		end    func(t *testing.T, a *App, cancel func())
		resume func(t *testing.T, a *App, p *msgPractice, dir string) *App
	}{
		{"lock", func(t *testing.T, a *App, _ func()) {
			start := time.Now()
			a.Lock()
			if took := time.Since(start); took >= answerDelay/2 {
				t.Fatalf("Lock took %v: it waited for the practice's answer", took)
			}
		}, func(t *testing.T, a *App, _ *msgPractice, _ string) *App {
			if err := a.Unlock(context.Background(), "a long passphrase"); err != nil {
				t.Fatal(err)
			}
			return a
		}},
		{"quit", func(t *testing.T, a *App, cancel func()) {
			start := time.Now()
			cancel()
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > 2*answerDelay {
				t.Fatalf("Close took %v; the answer came after %v", took, answerDelay)
			}
		}, func(t *testing.T, _ *App, p *msgPractice, dir string) *App {
			b, _ := openMsgApp(t, p, dir)
			return b
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			p := startMsgPractice(t)
			dir := t.TempDir()
			a, id := openMsgApp(t, p, dir)
			before := storedRefreshToken(t, a, id)
			editSavedToken(t, a, id, accessTokenExpired)
			p.Faults().Set(faults.Config{ReplyLatency: answerDelay, OnlyPaths: "/auth/token"})
			defer p.Faults().Set(faults.Config{})

			syncCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			synced := make(chan error, 1)
			go func() { synced <- a.Sync(syncCtx, id) }()
			// The refresh holds the folder's token lock while it runs.
			for refreshing := false; !refreshing; {
				probe, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				unlock, err := a.store.ProcessLock(probe, "token-"+id)
				cancel()
				if err == nil {
					unlock()
					select {
					case err := <-synced:
						t.Fatalf("the sync ended (%v) before its refresh was seen", err)
					case <-time.After(5 * time.Millisecond):
					}
					continue
				}
				refreshing = true
			}
			time.Sleep(300 * time.Millisecond) // the request is at the practice
			tc.end(t, a, cancel)
			if err := <-synced; err == nil {
				t.Fatal("a sync the app locked or closed during succeeded")
			}
			p.Faults().Set(faults.Config{})
			a = tc.resume(t, a, p, dir)
			if after := storedRefreshToken(t, a, id); after == before {
				t.Fatal("the stored refresh token is the one from before: the one the practice rotated meanwhile was not saved (or no refresh ran across it)")
			}
			if err := a.Sync(ctx, id); err != nil {
				t.Fatalf("sync after: %v; want it to succeed without a new sign-in", err)
			}
			if ps, err := a.Profiles(ctx); err != nil || len(ps) != 1 || ps[0].NeedsSignIn {
				t.Fatalf("profiles after the sync: %+v, %v; want no sign-in needed", ps, err)
			}
		})
	}
}

// storedRefreshToken returns the refresh token a profile's saved tokens
// hold.
func storedRefreshToken(t *testing.T, a *App, id string) string {
	t.Helper()
	raw, err := a.store.Secret(context.Background(), id, smart.SecretToken)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil || tok.RefreshToken == "" {
		t.Fatalf("stored token: %v", err)
	}
	return tok.RefreshToken
}
