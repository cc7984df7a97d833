package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/storage"
)

// uiWait is how long a test waits for a screen before it fails: a
// minute, generous (a first sync under the race detector takes seconds;
// on a machine busy with other builds, tens of seconds). A test that
// passes never waits it out.
const uiWait = time.Minute

// uiQueue makes background results wait for the test goroutine, which
// plays the UI goroutine: pump runs them.
type uiQueue chan func()

func useQueue(t *testing.T) uiQueue {
	q := make(uiQueue, 1024)
	old := doOnUI
	doOnUI = func(f func()) { q <- f }
	t.Cleanup(func() { doOnUI = old })
	return q
}

// waitShows runs queued UI work until the window shows every text in
// wants, failing after a generous time (the first sync of a record under
// the race detector takes a few seconds).
func (q uiQueue) waitShows(t *testing.T, w fyne.Window, wants ...string) {
	t.Helper()
	deadline := time.After(uiWait)
	for {
		shown := shownText(w.Content())
		missing := ""
		for _, want := range wants {
			if !strings.Contains(shown, want) {
				missing = want
				break
			}
		}
		if missing == "" {
			return
		}
		select {
		case f := <-q:
			f()
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("window never showed %q; it shows: %s", missing, shown)
		}
	}
}

// drain runs the UI work that is queued now.
func (q uiQueue) drain() {
	for {
		select {
		case f := <-q:
			f()
		default:
			return
		}
	}
}

func findEntries(o fyne.CanvasObject) []*widget.Entry {
	var out []*widget.Entry
	walkVisible(o, func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok {
			out = append(out, e)
		}
	})
	return out
}

func selectTab(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	var nav *navTabs
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if n, ok := o.(*navTabs); ok && nav == nil {
			nav = n
		}
	})
	if nav == nil {
		t.Fatalf("no tabs on screen: %s", shownText(w.Content()))
	}
	for _, it := range nav.tabs.Items {
		if nav.title(it) == name {
			nav.tabs.Select(it)
			return
		}
	}
	t.Fatalf("no tab %q", name)
}

// TestWalkthrough is a patient's first session, with the real app core, the
// encrypted cache on disk and the reference practice on 127.0.0.1: set up a
// passphrase, connect the demo practice (SMART sign-in on its pages), read
// the dashboard and every section of the record, lock, unlock, and keep
// reading with the practice gone.
func TestWalkthrough(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) { walkthrough(t, size) })
	}
}

func fmtSize(s fyne.Size) string { return fmt.Sprintf("%.0fx%.0f", s.Width, s.Height) }

func walkthrough(t *testing.T, size fyne.Size) {
	const passphrase = "walk through carefully"
	const newPassphrase = "a different passphrase"
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)

	opened := make(chan string, 1)
	practice, err := demo.Start(context.Background(), demo.Options{PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer practice.Close()
	core, err := app.Open(app.Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: &storage.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (app.DemoPractice, error) { return practice, nil },
		// No browser in a test: the sign-in page address is kept, and
		// connecting stops there.
		OpenBrowser: func(u string) error { opened <- u; return errors.New("no browser in this test") },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()

	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(size)

	// A new install asks for a passphrase.
	q.waitShows(t, w, "Protect your health record")
	assertTouchTargets(t, w)
	entries := findEntries(w.Content())
	if len(entries) != 2 {
		t.Fatalf("set-up shows %d entries, want passphrase and confirmation", len(entries))
	}
	test.Type(entries[0], passphrase)
	test.Type(entries[1], "something else")
	test.Tap(findButton(t, w.Content(), "Protect my record"))
	assertShows(t, w, "The two passphrases are not the same.")
	entries[1].SetText(passphrase)
	test.Tap(findButton(t, w.Content(), "Protect my record"))

	// No practice yet: connect one; a bad address is explained.
	q.waitShows(t, w, "Connect to your practice", "Explore with a demo practice")
	assertTouchTargets(t, w)
	test.Type(findEntries(w.Content())[0], "http://127.0.0.1:1/fhir")
	test.Tap(findButton(t, w.Content(), "Connect"))
	q.waitShows(t, w, "couldn't reach that address")
	// New to the portal, with an activation code: the practice's
	// enrollment page is asked for (OpenID Connect prompt=create).
	findEntries(w.Content())[0].SetText(practice.FHIRBase())
	test.Tap(findButton(t, w.Content(), "I have an activation code"))
	select {
	case u := <-opened:
		if !strings.Contains(u, "prompt=create") {
			t.Errorf("activation code: the browser was sent to %s, without prompt=create", u)
		}
	case <-time.After(uiWait):
		t.Fatal("activation code: no browser was opened")
	}
	q.waitShows(t, w, "couldn't connect to the practice")
	test.Tap(findButton(t, w.Content(), "Explore with a demo practice"))

	// The dashboard, with what the practice holds for the demo patient.
	q.waitShows(t, w, "Hello, Maya", "Coming up", "Follow-up visit", "Balance due", "$49.00", "Updated just now")
	// The first sync finished: the record is no longer said to be
	// incomplete.
	waitHides(t, q, w, "Not downloaded in full yet")
	screenshot(t, w, "walkthrough-dashboard-"+fmtSize(size))
	assertFits(t, w)
	assertMinFits(t, w, size.Width)
	assertTouchTargets(t, w)

	// A sync's last progress report does not stay on the status line once
	// the sync ended (seen: "Updating your record… 0" until refresh).
	u.shell.onEvent(app.SyncProgress{ProfileID: u.shell.current.ID, Type: "Observation"})
	q.waitShows(t, w, "Updating")
	u.shell.onEvent(app.SyncFinished{ProfileID: u.shell.current.ID})
	q.waitShows(t, w, "Updated just now")
	if strings.Contains(shownText(w.Content()), "Updating") {
		t.Error("the status line still says Updating after the sync ended")
	}

	// The dashboard's messages lead to them; once read, they are no
	// longer new on the dashboard.
	test.Tap(findButton(t, w.Content(), "Read messages"))
	q.waitShows(t, w, "Your recent lab results", "New")
	assertTouchTargets(t, w)
	u.shell.messages.md.onSelect(0)
	q.waitShows(t, w, "Dr. Elena Park")
	assertTouchTargets(t, w)
	q.drain()
	selectTab(t, w, "Home")
	q.waitShows(t, w, "1 new message from your practice.")

	// The dashboard's appointment leads to its details.
	test.Tap(findButton(t, w.Content(), "See appointments"))
	q.waitShows(t, w, "Coming up", "Past visits")
	assertTouchTargets(t, w)

	// Every section of the record shows the patient's data.
	selectTab(t, w, "Health record")
	sections := []struct{ name, want string }{
		{"results", "Cholesterol panel"},
		{"medications", "Lisinopril 10 mg tablet"},
		{"allergies", "Penicillin allergy"},
		{"conditions", "High blood pressure"},
		{"immunizations", "Flu shot"},
		{"visits", "Follow-up"},
		{"care", "Care plan"},
		{"billing", "$49.00"},
	}
	for _, s := range sections {
		u.shell.openSection(s.name)
		q.waitShows(t, w, s.want)
		assertFits(t, w)
		assertMinFits(t, w, size.Width)
		assertTouchTargets(t, w)
		if got := w.Canvas().Size().Width; got > size.Width {
			t.Errorf("section %s widened the window to %.0f (asked for %.0f)", s.name, got, size.Width)
		}
	}

	// Lock: nothing of the record stays on screen.
	test.Tap(findButton(t, w.Content(), "Lock"))
	q.waitShows(t, w, "Carebook is locked")
	assertTouchTargets(t, w)
	if shown := shownText(w.Content()); strings.Contains(shown, "Maya") || strings.Contains(shown, "Lisinopril") {
		t.Fatalf("locked screen shows record data: %s", shown)
	}
	pass := findEntries(w.Content())[0]
	test.Type(pass, "not the passphrase")
	test.Tap(findButton(t, w.Content(), "Unlock"))
	q.waitShows(t, w, "That passphrase is not right")
	pass.SetText(passphrase)
	test.Tap(findButton(t, w.Content(), "Unlock"))
	q.waitShows(t, w, "Hello, Maya")

	// Settings: a new passphrase replaces the old one.
	selectTab(t, w, "Settings")
	q.waitShows(t, w, "Lock after", "Change passphrase", "Terms of use")
	assertTouchTargets(t, w)
	entries = findEntries(w.Content())
	if len(entries) < 3 {
		t.Fatalf("settings show %d entries, want current, new and confirmation", len(entries))
	}
	entries[0].SetText(passphrase)
	entries[1].SetText(newPassphrase)
	entries[2].SetText(newPassphrase)
	test.Tap(findButton(t, w.Content(), "Change passphrase"))
	q.waitShows(t, w, "Your passphrase was changed.")
	test.Tap(findButton(t, w.Content(), "Lock"))
	q.waitShows(t, w, "Carebook is locked")
	pass = findEntries(w.Content())[0]
	pass.SetText(passphrase)
	test.Tap(findButton(t, w.Content(), "Unlock"))
	q.waitShows(t, w, "That passphrase is not right")
	pass.SetText(newPassphrase)
	test.Tap(findButton(t, w.Content(), "Unlock"))
	q.waitShows(t, w, "Hello, Maya")

	// Network cut: the practice is gone. The record is still readable and
	// the screen says it may be stale.
	practice.Close()
	test.Tap(findButton(t, w.Content(), "Lock"))
	q.waitShows(t, w, "Carebook is locked")
	pass = findEntries(w.Content())[0]
	pass.SetText(newPassphrase)
	test.Tap(findButton(t, w.Content(), "Unlock"))
	q.waitShows(t, w, "Hello, Maya", "You're offline", "Follow-up visit")
	selectTab(t, w, "Health record")
	u.shell.openSection("medications")
	q.waitShows(t, w, "Lisinopril 10 mg tablet")
	screenshot(t, w, "walkthrough-offline-"+fmtSize(size))

	// Removing the record from the device leaves no practice: back to
	// the connect screen.
	selectTab(t, w, "Settings")
	q.waitShows(t, w, "Remove from this device")
	test.Tap(findButton(t, w.Content(), "Remove from this device"))
	overlay := w.Canvas().Overlays().Top()
	if overlay == nil {
		t.Fatal("no confirmation before removing a record")
	}
	test.Tap(findButton(t, overlay, "Yes"))
	q.waitShows(t, w, "Connect to your practice")
	q.drain()
}
