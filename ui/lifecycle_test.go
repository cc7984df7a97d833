package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/storage"
)

// TestLifecycleLock: on a phone, leaving the app for longer than the grace
// period locks it; on a desktop, the window losing focus (which Fyne
// reports the same way) does not.
func TestLifecycleLock(t *testing.T) {
	for _, tc := range []struct {
		name       string
		mobile     bool
		wantLocked bool
	}{
		{"desktop focus lost", false, false},
		{"phone in the background", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := useQueue(t)
			fyneApp := test.NewTempApp(t)
			core := openSetUpCore(t, "lifecycle of a phone", nil)
			defer core.Close()
			// "At once", as the patient can choose in Settings on a phone.
			fyneApp.Preferences().SetInt(prefBackgroundSeconds, -1)
			u := NewMainWindow(fyneApp, core, Options{})
			defer u.Window().Close()
			u.mobile = tc.mobile // the test driver is a desktop
			u.applySavedIdleTimeout()
			u.followLifecycle()
			q.drain()

			left, ok := fyneApp.Lifecycle().(interface{ OnExitedForeground() func() })
			if !ok {
				t.Fatal("the test app's lifecycle cannot be driven")
			}
			if f := left.OnExitedForeground(); f != nil {
				f()
			}
			if !tc.wantLocked {
				if f := left.OnExitedForeground(); f != nil {
					t.Fatal("a desktop set a hook on leaving the foreground")
				}
				if core.Locked() {
					t.Fatal("a desktop locked on losing focus")
				}
				return
			}
			deadline := time.Now().Add(uiWait)
			for !core.Locked() {
				if time.Now().After(deadline) {
					t.Fatal("the phone app never locked in the background")
				}
				time.Sleep(10 * time.Millisecond)
			}
			q.waitShows(t, u.Window(), "Unlock")
		})
	}
}

// TestCloseEndsWindowWork: once the window's work ended (the app's loop
// returned), the core locking on the way out changes no screen: drawing
// then would panic.
func TestCloseEndsWindowWork(t *testing.T) {
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	core := openSetUpCore(t, "closing time", nil)
	defer core.Close()
	u := NewMainWindow(fyneApp, core, Options{})
	defer u.Window().Close()
	q.waitShows(t, u.Window(), "Connect to your practice")
	before := u.Window().Content()

	events, stop := core.Events()
	defer stop()
	u.Close()
	u.Close() // twice is fine
	core.Lock()
	<-events // Locked: published to every subscriber
	// Had the window still followed the core, its lock screen would be
	// queued within moments; two seconds of running the queue show none.
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		q.drain()
		if u.Window().Content() != before {
			t.Fatalf("a screen changed after Close: %s", shownText(u.Window().Content()))
		}
	}
}

// openSetUpCore opens an app core in a temporary folder with cheap key
// derivation, no keyring and no idle lock, set up with passphrase; practice,
// when not nil, is its demo practice. The caller closes it.
func openSetUpCore(t *testing.T, passphrase string, practice app.DemoPractice) *app.App {
	t.Helper()
	var cfg app.Config
	if practice != nil {
		cfg.Demo = func(context.Context) (app.DemoPractice, error) { return practice, nil }
	}
	return openSetUpCoreWith(t, passphrase, cfg)
}

// openSetUpCoreWith is openSetUpCore with cfg's practice and browser (its
// data, key derivation and idle lock are the tests').
func openSetUpCoreWith(t *testing.T, passphrase string, cfg app.Config) *app.App {
	t.Helper()
	cfg.DataDir = t.TempDir()
	cfg.Storage = storage.Options{KDF: &storage.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, NoKeyring: true}
	cfg.IdleTimeout = -1
	core, err := app.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := core.Setup(context.Background(), passphrase); err != nil {
		core.Close()
		t.Fatal(err)
	}
	return core
}
