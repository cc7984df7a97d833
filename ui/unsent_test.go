package ui

import (
	"context"
	"errors"
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

// waitOverlay runs queued UI work until the top overlay (a dialog) shows
// every text in wants, and returns it.
func (q uiQueue) waitOverlay(t *testing.T, w fyne.Window, wants ...string) fyne.CanvasObject {
	t.Helper()
	deadline := time.After(uiWait)
	for {
		top := w.Canvas().Overlays().Top()
		shown := ""
		if top != nil {
			shown = shownText(top)
		}
		missing := ""
		for _, want := range wants {
			if !strings.Contains(shown, want) {
				missing = want
				break
			}
		}
		if top != nil && missing == "" {
			return top
		}
		select {
		case f := <-q:
			f()
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no dialog showed %q; the top one shows: %s", missing, shown)
		}
	}
}

// openDemoCore is an unlocked core with Maya's demo record synced, and the
// demo practice (closed at the end of the test).
func openDemoCore(t *testing.T) (*app.App, app.ProfileInfo, *demo.Practice) {
	t.Helper()
	return openDemoCoreStaff(t, time.Hour)
}

// openDemoCoreStaff is openDemoCore with the practice's staff taking
// staffDelay to read and answer.
func openDemoCoreStaff(t *testing.T, staffDelay time.Duration) (*app.App, app.ProfileInfo, *demo.Practice) {
	t.Helper()
	ctx := context.Background()
	practice, err := demo.Start(ctx, demo.Options{PasswordCost: 64, StaffDelay: staffDelay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { practice.Close() })
	core, err := app.Open(app.Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: &storage.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (app.DemoPractice, error) { return practice, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	if err := core.Setup(ctx, "unsent passphrase"); err != nil {
		t.Fatal(err)
	}
	ps, err := core.ConnectDemoAccount(ctx, "maya")
	if err != nil {
		t.Fatal(err)
	}
	if err := core.Sync(ctx, ps[0].ID); err != nil {
		t.Fatal(err)
	}
	return core, ps[0], practice
}

// openUnsentCore is openDemoCore offline, with a message that waits to be
// sent ("Blood test") and a message draft beside it ("Glasses").
func openUnsentCore(t *testing.T) (*app.App, app.ProfileInfo) {
	t.Helper()
	ctx := context.Background()
	core, maya, practice := openDemoCore(t)
	opts, err := core.MessageOptions(ctx, maya.ID)
	if err != nil || len(opts.Recipients) == 0 {
		t.Fatalf("message options %+v %v", opts, err)
	}
	practice.Close() // offline: the message waits
	_, err = core.SendMessage(ctx, maya.ID, app.Draft{To: opts.Recipients[0].Ref, Topic: "other",
		Subject: "Blood test", Text: "Should I stop eating the night before?"})
	if !errors.Is(err, app.ErrQueued) {
		t.Fatalf("message while offline: %v, want ErrQueued", err)
	}
	if err := core.SaveDraft(ctx, maya.ID, app.DraftNew, app.Draft{Subject: "Glasses", Text: "Can I pick up my glasses Monday?"}); err != nil {
		t.Fatal(err)
	}
	return core, maya
}

// TestRemoveShowsUnsent: removing a record whose message waits unsent,
// with a message draft beside it, shows both with a Copy button; "Keep
// it" keeps them; "Remove anyway" removes them. With CAREBOOK_SHOTS set, the dialog is
// written there at both sizes.
func TestRemoveShowsUnsent(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) { removeShowsUnsent(t, size) })
	}
}

func removeShowsUnsent(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	core, maya := openUnsentCore(t)

	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(size)
	q.waitShows(t, w, "Hello, Maya")
	selectTab(t, w, "Settings")
	q.waitShows(t, w, "Remove from this device")

	remove := func() fyne.CanvasObject {
		test.Tap(findButton(t, w.Content(), "Remove from this device"))
		confirm := w.Canvas().Overlays().Top()
		if confirm == nil {
			t.Fatal("no confirmation before removing a record")
		}
		test.Tap(findButton(t, confirm, "Yes"))
		return q.waitOverlay(t, w, "Not sent yet", "2 items were not sent", "Subject: Blood test",
			"Should I stop eating the night before?", "waiting to be sent",
			"Message draft", "Subject: Glasses", "Can I pick up my glasses Monday?", "draft, not sent")
	}
	dlg := remove()
	screenshot(t, w, "remove-unsent-"+fmtSize(size))
	test.Tap(findButton(t, dlg, "Copy"))
	if got := fyneApp.Clipboard().Content(); !strings.Contains(got, "Should I stop eating the night before?") {
		t.Fatalf("clipboard after Copy = %q", got)
	}
	test.Tap(findButton(t, dlg, "Keep it"))
	q.drain()
	if ps, err := core.Profiles(ctx); err != nil || len(ps) != 1 {
		t.Fatalf("profiles after keeping = %d, %v", len(ps), err)
	}
	if un, err := core.Unsent(ctx, maya.ID); err != nil || len(un) != 2 {
		t.Fatalf("unsent after keeping = %d, %v", len(un), err)
	}

	dlg = remove()
	test.Tap(findButton(t, dlg, "Remove anyway"))
	q.waitShows(t, w, "Connect to your practice")
	if ps, err := core.Profiles(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("profiles after removal = %d, %v", len(ps), err)
	}
	q.drain()
}

// TestEndedShowsDrafts: the screen of a record whose access ended shows
// every word that is lost with it before it is removed: a message that
// waits, and the drafts beside it (a message's, a request form's, a
// visit's reason), as Remove's list of what was not sent does, each with
// a Copy button.
func TestEndedShowsDrafts(t *testing.T) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	core, maya := openUnsentCore(t)
	if err := core.SaveFormDraft(ctx, maya.ID, app.RequestDraftKey(app.RequestReferral, ""), app.FormDraft{Text: "A dermatologist for the mole on my back"}); err != nil {
		t.Fatal(err)
	}
	if err := core.SaveFormDraft(ctx, maya.ID, app.BookingDraftKey, app.FormDraft{Text: "Sore throat for a week"}); err != nil {
		t.Fatal(err)
	}

	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(fyne.NewSize(1280, 800))
	q.waitShows(t, w, "Hello, Maya")
	// The practice ended the access (the screen of an ended record).
	u.shell.current.Ended = true
	w.SetContent(u.shell.endedView())
	q.waitShows(t, w, "Access to Maya's record has ended", "Should I stop eating the night before?",
		"Can I pick up my glasses Monday?", "A dermatologist for the mole on my back", "Sore throat for a week")
	screenshotBothSizes(t, w, "drafts-access-ended")
	// Each has a Copy button, as Remove's list has: selecting the words
	// of a read-only field is fiddly on a phone.
	var copied []string
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Copy" {
			test.Tap(b)
			copied = append(copied, fyneApp.Clipboard().Content())
		}
	})
	if all := strings.Join(copied, "\n"); len(copied) != 4 || !strings.Contains(all, "Should I stop eating the night before?") ||
		!strings.Contains(all, "Can I pick up my glasses Monday?") || !strings.Contains(all, "A dermatologist for the mole on my back") ||
		!strings.Contains(all, "Sore throat for a week") {
		t.Errorf("the four items' Copy buttons copied %q", copied)
	}
	q.drain()
}
