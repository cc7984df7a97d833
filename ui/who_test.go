package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
)

// TestWhoLookedAtMyRecord: Settings opens "Who looked at my record", which
// asks the practice (over HTTP) and lists the doctor who answered a
// message and the patient's own accesses with Carebook; Back returns to
// Settings; offline, it says so. With CAREBOOK_SHOTS set, the list is
// written there at both sizes.
func TestWhoLookedAtMyRecord(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) { whoLookedAtMyRecord(t, size) })
	}
}

func whoLookedAtMyRecord(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	core, maya, practice := openDemoCoreStaff(t, time.Millisecond)
	opts, err := core.MessageOptions(ctx, maya.ID)
	if err != nil || len(opts.Recipients) == 0 {
		t.Fatalf("message options %+v %v", opts, err)
	}
	if _, err := core.SendMessage(ctx, maya.ID, app.Draft{To: opts.Recipients[0].Ref, Topic: "medical",
		Subject: "Results", Text: "Are my results in?"}); err != nil {
		t.Fatal(err)
	}
	staff := practice.Server().Staff()
	deadline := time.Now().Add(uiWait)
	for {
		if err := staff.Step(ctx); err != nil {
			t.Fatal(err)
		}
		list, err := core.WhoLookedAtMyRecord(ctx, maya.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 0 && strings.HasPrefix(list[0].WhoRef, "Practitioner/") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the doctor never answered: %+v", list)
		}
		time.Sleep(20 * time.Millisecond)
	}

	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(size)
	q.waitShows(t, w, "Hello, Maya")
	selectTab(t, w, "Settings")
	if sc, ok := u.shell.settingsTab.Content.(*fyne.Container).Objects[0].(*container.Scroll); ok {
		sc.ScrollToBottom()
	}
	test.Tap(findButton(t, w.Content(), "Who looked at my record"))
	q.waitShows(t, w, "Newest first", "Dr. Elena Park, MD looked at your record · ", "You (Carebook) looked at your record · ")
	shown := shownText(w.Content())
	// The doctor read the message after the patient sent it: newest first.
	if i, j := indexOf(shown, "Dr. Elena Park, MD looked"), indexOf(shown, "You (Carebook) added to your record"); i < 0 || j < 0 || i > j {
		t.Errorf("not newest first: %s", shown)
	}
	screenshot(t, w, "who-looked-"+fmtSize(size))
	assertFits(t, w)

	test.Tap(findButton(t, w.Content(), "Back"))
	q.waitShows(t, w, "Activity on this device")

	// Offline: it says so.
	practice.Close()
	test.Tap(findButton(t, w.Content(), "Who looked at my record"))
	q.waitShows(t, w, "connect to the internet")
	assertFits(t, w)
	q.drain()
}
