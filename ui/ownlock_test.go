package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// TestOwnLockScreens: on a shared device, Nia gives her record its own
// passphrase in Settings; after her mother unlocks the app, the switcher
// says Nia's record is locked, choosing it asks for her passphrase
// (shown, nothing read), a wrong one says so and changes nothing, hers
// opens the record. With CAREBOOK_SHOTS set, the screens are written there
// (make screenshots).
func TestOwnLockScreens(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) { ownLockScreens(t, size) })
	}
}

func ownLockScreens(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	practice := startPractice(t)
	core := openSetUpCore(t, "the family's passphrase", practice)
	defer core.Close()
	kids, err := core.ConnectDemoAccount(ctx, "amara")
	if err != nil {
		t.Fatal(err)
	}
	var nia app.ProfileInfo
	for _, p := range kids {
		if strings.HasPrefix(p.Label, "Nia") {
			nia = p
		}
	}
	if nia.ID == "" {
		t.Fatalf("no Nia among %+v", kids)
	}
	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(size)
	name := func(s string) string { return "ownlock-" + s + "-" + fmtSize(size) }

	// Nia's Settings: a lock of her own.
	u.showUnlockedHomeAt(nia.ID)
	q.waitShows(t, w, "You're looking at Nia's record")
	selectTab(t, w, "Settings")
	q.waitShows(t, w, "A lock of Nia's own", "Give Nia's record its own passphrase")
	var newPass, again *widget.Entry
	for _, e := range findEntries(u.shell.settingsTab.Content) {
		switch e.PlaceHolder {
		case "New passphrase for Nia's record":
			newPass = e
		case "The same passphrase again":
			again = e
		}
	}
	if newPass == nil || again == nil {
		t.Fatal("the own lock card has no passphrase entries")
	}
	test.Type(newPass, "nia's own secret")
	test.Type(again, "nia's own secret")
	if sc, ok := u.shell.settingsTab.Content.(*container.Scroll); ok {
		sc.Offset = fyne.NewPos(0, newPass.Position().Y)
		sc.Refresh()
	}
	test.Tap(findButton(t, u.shell.settingsTab.Content, "Give Nia's record its own passphrase"))
	q.waitShows(t, w, "You're looking at Nia's record")
	if ps, err := core.Profiles(ctx); err != nil || !ownLocked(ps, nia.ID) {
		t.Fatalf("Nia's record has no own lock after Settings set it: %+v %v", ps, err)
	}

	// Her mother locks and unlocks the app: Nia's record stays locked.
	core.Lock()
	q.waitShows(t, w, "Carebook is locked")
	if err := core.Unlock(ctx, "the family's passphrase"); err != nil {
		t.Fatal(err)
	}
	u.showUnlockedHome()
	q.waitShows(t, w, "Hello, Amara", "You're looking at Leo's record")
	if strings.Contains(shownText(w.Content()), "Nia's record is locked") {
		t.Fatal("the app opened on the locked record rather than an open one")
	}
	locked := "Nia · your daughter · locked, tap to open"
	found := false
	for _, o := range u.shell.switcher.Options {
		found = found || o == locked
	}
	if !found {
		t.Fatalf("switcher options %q lack %q", u.shell.switcher.Options, locked)
	}
	test.Tap(u.shell.switcher)
	screenshot(t, w, name("switcher"))
	for _, o := range w.Canvas().Overlays().List() {
		w.Canvas().Overlays().Remove(o)
	}
	u.shell.switcher.SetSelected(locked)
	q.waitShows(t, w, "Nia's record is locked", "has a passphrase of its own", "Open Nia's record")
	shown := shownText(w.Content())
	if strings.Contains(shown, "Hello, Amara") || strings.Contains(shown, "shares her") {
		t.Fatalf("the locked record shows something of it: %s", shown)
	}
	assertFits(t, w)
	screenshot(t, w, name("closed"))

	entries := findEntries(w.Content())
	if len(entries) != 1 {
		t.Fatalf("%d entries on the locked record's screen, want its passphrase", len(entries))
	}
	test.Type(entries[0], "the family's passphrase")
	test.Tap(findButton(t, w.Content(), "Open Nia's record"))
	q.waitShows(t, w, "That passphrase does not open Nia's record. Nothing was changed")
	screenshot(t, w, name("wrong"))
	entries[0].SetText("")
	test.Type(entries[0], "nia's own secret")
	test.Tap(findButton(t, w.Content(), "Open Nia's record"))
	q.waitShows(t, w, "Hello, Amara", "You're looking at Nia's record (your daughter).")
	selectTab(t, w, "Settings")
	q.waitShows(t, w, "Nia's record has a passphrase of its own", "Lock Nia's record now")
}

func ownLocked(ps []app.ProfileInfo, id string) bool {
	for _, p := range ps {
		if p.ID == id {
			return p.OwnLock
		}
	}
	return false
}
