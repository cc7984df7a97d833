package ui

import (
	"context"
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestSwitcherStress switches between two people's records quickly, the
// way the switcher's drop-down is used (open it, choose the other person,
// while the last record is still loading): 12 times in make test, 60 with
// CAREBOOK_LONG=1 (make test-long). Under -race this is
// where a widget touched off the UI goroutine showed up (a SIGSEGV inside
// the drop-down's popup about once in 60 switches, seen by hand): every
// result of the screens left behind must be dropped or handed over
// through the UI goroutine.
func TestSwitcherStress(t *testing.T) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	practice := startPractice(t)
	core := openSetUpCore(t, "switch quickly", practice)
	defer core.Close()
	if _, err := core.ConnectDemoAccount(ctx, "lucia"); err != nil {
		t.Fatal(err)
	}
	if _, err := core.ConnectDemoAccount(ctx, "jose"); err != nil {
		t.Fatal(err)
	}

	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	q.waitShows(t, w, "Hello, José", "Updated just now")
	// Offline from here: each record shown still loads from the cache and
	// tries its sync, quickly, so that 60 switches stay cheap.
	practice.Close()

	switches := 12
	if os.Getenv("CAREBOOK_LONG") == "1" {
		switches = 60
	}
	for i := range switches {
		sw := u.shell.switcher
		test.Tap(sw) // the drop-down opens over the window
		if w.Canvas().Overlays().Top() == nil {
			t.Fatalf("switch %d: the switcher's drop-down did not open", i)
		}
		other := ""
		for _, name := range sw.Options {
			if name != sw.Selected && name != addProfileChoice() {
				other = name
				break
			}
		}
		tapMenuItem(t, w, other)
		// Some of the screens' work comes back before the next switch,
		// some after: both must be harmless.
		if i%3 == 0 {
			q.drain()
		}
	}
	q.drain()
	if top := w.Canvas().Overlays().Top(); top != nil {
		t.Fatalf("a drop-down is still open after %d switches", switches)
	}
	q.waitShows(t, w, "Hello, José") // an even number of switches: back to the first record
}

// tapMenuItem taps the entry text of the open drop-down menu.
func tapMenuItem(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no drop-down open")
	}
	var item fyne.Tappable
	walkVisible(top, func(o fyne.CanvasObject) {
		if item != nil {
			return
		}
		if tp, ok := o.(fyne.Tappable); ok && shownText(o) == text {
			item = tp
		}
	})
	if item == nil {
		t.Fatalf("no entry %q in the drop-down: %s", text, shownText(top))
	}
	test.Tap(item)
}
