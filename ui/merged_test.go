package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// TestMergedMedicationsInTheWindow: Maya at the two demo practices (two
// practice servers on 127.0.0.1, the real core). The dashboard offers to
// show her two records as one person; once the user says yes, the
// medication list holds every practice's prescriptions, each row saying
// where it comes from, the one both practices have once with both; the
// practice picker shows one practice's own list and all of them again;
// and "show apart" undoes the link. At phone and desktop size, every
// control big enough for a finger. With CAREBOOK_SHOTS set, the screens
// are written there (make screenshots).
func TestMergedMedicationsInTheWindow(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) { mergedMedicationsWindow(t, size) })
	}
}

func mergedMedicationsWindow(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	core := openTwoPracticesCore(t)
	mayaR, err := core.ConnectDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mayaL, err := core.ConnectSecondDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []app.ProfileInfo{mayaR, mayaL} {
		if err := core.Sync(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}

	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(size)
	u.showUnlockedHomeAt(mayaR.ID)
	name := func(s string) string { return "merged-" + s + "-" + fmtSize(size) }

	q.waitShows(t, w, "The same person?", "has a record at", synth.LakesideName)
	screenshot(t, w, name("offer"))
	assertTouchTargets(t, w)
	assertFits(t, w)
	test.Tap(findButton(t, w.Content(), "Yes, the same person"))
	q.waitShows(t, w, "Your records from", synth.LakesideName+", together.", "at "+synth.LakesideName)
	screenshot(t, w, name("dashboard"))
	assertTouchTargets(t, w)
	assertFits(t, w)

	// One practice's own home screen, then all of them again.
	practicePicker(t, w).SetSelected(synth.LakesideName)
	q.waitFor(t, "Lakeside's own home screen", func() bool {
		shown := shownText(w.Content())
		return strings.Contains(shown, "Follow-up of migraines") && !strings.Contains(shown, "at "+synth.LakesideName)
	})
	practicePicker(t, w).SetSelected(allPractices())
	q.waitShows(t, w, "at "+synth.LakesideName)

	// Every practice's prescriptions, each saying where it comes from.
	m, err := core.MergedRecord(ctx, mayaR.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := record.MergeMedications(m.Parts)
	both := ""
	for _, it := range want {
		if len(it.Sources) == 2 {
			both = medName(it.Item)
		}
	}
	if both == "" {
		t.Fatal("no medication from both practices in the demo data")
	}
	u.shell.openSection("medications")
	q.waitShows(t, w, "Active medications", "from "+mayaR.Practice+" · "+synth.LakesideName)
	v := u.shell.record
	rows := 0
	for _, it := range v.current.md.items {
		if it.header {
			continue
		}
		rows++
		if !strings.HasPrefix(it.source, "from ") {
			t.Errorf("row %q does not say where it comes from: %q", it.title, it.source)
		}
	}
	if rows != len(want) {
		t.Errorf("%d rows, want %d (every practice's prescriptions, the shared one once)", rows, len(want))
	}
	for _, it := range want {
		found := false
		for _, row := range v.current.md.items {
			found = found || (row.title == medName(it.Item) && row.source == "from "+it.Practices())
		}
		if !found {
			t.Errorf("no row %q from %s", medName(it.Item), it.Practices())
		}
	}
	screenshot(t, w, name("medications"))
	assertTouchTargets(t, w)
	assertFits(t, w)
	selectRow(t, v, both)
	q.waitShows(t, w, "From (the same at each)", mayaR.Practice+" · "+synth.LakesideName)
	screenshot(t, w, name("medication-both"))
	assertTouchTargets(t, w)
	assertFits(t, w)
	v.current.md.goBack()

	// One practice's own list: Lakeside's two prescriptions, no sources.
	v.viewPicker.SetSelected(synth.LakesideName)
	q.waitFor(t, "Lakeside's own list", func() bool {
		items := v.current.md.items
		return len(items) > 1 && items[1].source == ""
	})
	q.waitShows(t, w, "Sumatriptan")
	lakeRows := 0
	for _, it := range v.current.md.items {
		if !it.header {
			lakeRows++
			if it.source != "" {
				t.Errorf("one practice's row %q still says where it comes from", it.title)
			}
		}
	}
	if lakeRows != len(m.Parts[1].Chart.Medications) {
		t.Errorf("Lakeside alone: %d rows, want %d", lakeRows, len(m.Parts[1].Chart.Medications))
	}
	screenshot(t, w, name("medications-one-practice"))
	assertTouchTargets(t, w)
	assertFits(t, w)
	v.viewPicker.SetSelected(allPractices())
	q.waitFor(t, "every practice's list again", func() bool {
		items := v.current.md.items
		return len(items) > 1 && items[1].source != ""
	})

	// Her weights from both practices (kg at one, lb at the other) on one
	// chart.
	u.shell.openSection("vitals")
	q.waitFor(t, "the merged trends", func() bool {
		for _, it := range v.current.md.items {
			if it.title == "Weight" && it.source == "from "+mayaR.Practice+" · "+synth.LakesideName {
				return true
			}
		}
		return false
	})
	selectRow(t, v, "Weight")
	q.waitShows(t, w, "From:", mayaR.Practice+" · "+synth.LakesideName, " lb · "+synth.LakesideName, " lb · "+mayaR.Practice)
	screenshot(t, w, name("trend-weight"))
	assertTouchTargets(t, w)
	v.current.md.goBack()

	// Undo from the home screen: her records apart again.
	u.shell.tabs.Select(u.shell.tabs.Items[0])
	u.shell.dashboard.Refresh()
	q.waitShows(t, w, "Not the same person: show apart")
	test.Tap(findButton(t, w.Content(), "Not the same person: show apart"))
	q.waitFor(t, "the records apart", func() bool { return !strings.Contains(shownText(w.Content()), "Your records from") })
	if m, _ := core.MergedRecord(ctx, mayaR.ID); m.Linked() {
		t.Error("still linked after undo")
	}
}

// waitFor runs queued UI work until done says so, failing after a
// generous time.
func (q uiQueue) waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.After(uiWait)
	for !done() {
		select {
		case f := <-q:
			f()
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("never got %s", what)
		}
	}
}

// openTwoPracticesCore opens a set-up core whose demo practice and second
// demo practice run on 127.0.0.1 (closed with the test).
func openTwoPracticesCore(t *testing.T) *app.App {
	t.Helper()
	ctx := context.Background()
	river, err := demo.Start(ctx, demo.Options{PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { river.Close() })
	lake, err := demo.StartSecond(ctx, demo.Options{PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lake.Close() })
	core, err := app.Open(app.Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: &storage.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (app.DemoPractice, error) { return river, nil },
		SecondDemo:  func(context.Context) (app.DemoPractice, error) { return lake, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	if err := core.Setup(ctx, "two practices passphrase"); err != nil {
		t.Fatal(err)
	}
	return core
}

// TestTwoDemoPracticesFromTheStart: on a first start, "Explore one
// patient at two demo practices" signs Maya in at both demo practices and
// opens her home screen, which asks whether the two records are the same
// person before showing anything merged.
func TestTwoDemoPracticesFromTheStart(t *testing.T) {
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	core := openTwoPracticesCore(t)
	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	q.waitShows(t, w, "Explore one patient at two demo practices")
	assertTouchTargets(t, w)
	test.Tap(findButton(t, w.Content(), "Explore one patient at two demo practices"))
	q.waitShows(t, w, "Hello, Maya", "The same person?", synth.LakesideName)
	if strings.Contains(shownText(w.Content()), "Your records from") {
		t.Error("merged before the user said they are the same person")
	}
	ps, err := core.Profiles(context.Background())
	if err != nil || len(ps) != 2 {
		t.Fatalf("profiles = %d (%v), want Maya at both practices", len(ps), err)
	}
}

// practicePicker is the visible choice of practice (all or one).
func practicePicker(t *testing.T, w fyne.Window) *widget.Select {
	t.Helper()
	var found *widget.Select
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if sel, ok := o.(*widget.Select); ok && found == nil && len(sel.Options) > 0 && sel.Options[0] == allPractices() {
			found = sel
		}
	})
	if found == nil {
		t.Fatalf("no practice picker; screen shows: %s", shownText(w.Content()))
	}
	return found
}
