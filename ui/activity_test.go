package ui

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/storage"
)

// TestActivityInSettings: Settings lists the activity on this device,
// newest first (the sign-in, a failed unlock), changes the encryption keys
// (asking for the passphrase) and then lists that too; a trail altered
// outside Carebook shows a warning while the app keeps working. With
// CAREBOOK_SHOTS set, the list is written there at both sizes.
func TestActivityInSettings(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) { activityInSettings(t, size) })
	}
}

func activityInSettings(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	core, _, _ := openDemoCore(t)
	core.Lock()
	if err := core.Unlock(ctx, "not my passphrase"); err == nil {
		t.Fatal("unlock with a wrong passphrase")
	}
	if err := core.Unlock(ctx, "unsent passphrase"); err != nil {
		t.Fatal(err)
	}

	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(size)
	q.waitShows(t, w, "Hello, Maya")
	selectTab(t, w, "Settings")
	toBottom := func() {
		if sc, ok := u.shell.settingsTab.Content.(*container.Scroll); ok {
			sc.ScrollToBottom()
		}
	}
	q.waitShows(t, w, "Activity on this device", "Failed attempt to unlock Carebook: passphrase",
		"Signed in at the practice · Maya", "Record added to this device · Maya")
	shown := shownText(w.Content())
	if i, j := indexOf(shown, "Failed attempt"), indexOf(shown, "Signed in at the practice"); i < 0 || j < 0 || i > j {
		t.Fatalf("the list is not newest first: %s", shown)
	}
	toBottom()
	screenshot(t, w, "activity-"+fmtSize(size))
	assertFits(t, w)

	// Change the keys: the passphrase is asked for.
	q.waitShows(t, w, "Change encryption keys")
	var pass = findEntries(w.Content())
	var entry = pass[len(pass)-1]
	for _, e := range pass {
		if e.PlaceHolder == "Your passphrase" {
			entry = e
		}
	}
	entry.SetText("unsent passphrase")
	test.Tap(findButton(t, w.Content(), "Change encryption keys"))
	confirm := w.Canvas().Overlays().Top()
	if confirm == nil {
		t.Fatal("no confirmation before changing the keys")
	}
	test.Tap(findButton(t, confirm, "Yes"))
	q.waitShows(t, w, "The encryption keys were changed.", "Encryption keys changed: a new master key and new keys for 1 record(s)")

	// Someone removes an entry from the trail while the app is locked.
	core.Lock()
	db, err := sql.Open("sqlite", filepath.Join(core.DataDir(), storage.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM audit WHERE seq = (SELECT min(seq) FROM audit)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := core.Unlock(ctx, "unsent passphrase"); err != nil {
		t.Fatal(err)
	}
	q.waitShows(t, w, "Hello, Maya")
	selectTab(t, w, "Settings")
	q.waitShows(t, w, "This list was changed or damaged outside Carebook", "This activity list was found altered")
	toBottom()
	screenshot(t, w, "activity-altered-"+fmtSize(size))
	q.drain()
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
