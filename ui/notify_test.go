package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/autostart"
)

// findCheck returns the visible check box whose text starts with prefix.
func findCheck(t *testing.T, o fyne.CanvasObject, prefix string) *widget.Check {
	t.Helper()
	var found *widget.Check
	walkVisible(o, func(o fyne.CanvasObject) {
		switch c := o.(type) {
		case *widget.Check:
			if found == nil && c.Text != "" && strings.HasPrefix(c.Text, prefix) {
				found = c
			}
		case *wrapCheck:
			if found == nil && strings.HasPrefix(c.Text(), prefix) {
				found = c.check
			}
		}
	})
	if found == nil {
		t.Fatalf("no check box %q on screen: %s", prefix, shownText(o))
	}
	return found
}

// waitSettings runs queued UI work until the core holds what want says.
func waitSettings(t *testing.T, q uiQueue, core *app.App, id string, want func(app.NotificationSettings) bool) {
	t.Helper()
	deadline := time.After(uiWait)
	for {
		ns, err := core.NotificationSettings(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if want(ns) {
			return
		}
		select {
		case f := <-q:
			f()
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("settings never saved: %+v", ns)
		}
	}
}

// waitFor runs queued UI work until cond holds.
func waitFor(t *testing.T, q uiQueue, cond func() bool) {
	t.Helper()
	deadline := time.After(uiWait)
	for !cond() {
		select {
		case f := <-q:
			f()
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatal("condition never held")
		}
	}
}

// TestNotificationSettingsAndDueCare: the dashboard shows the preventive
// care due with where it comes from; Settings switches a kind of
// notification off and details on, saved with the profile and shown
// again after the screen is rebuilt; at phone and desktop size.
func TestNotificationSettingsAndDueCare(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) {
			cfgHome := t.TempDir()
			t.Setenv("XDG_CONFIG_HOME", cfgHome) // the session's autostart folder, for this test
			q := useQueue(t)
			_, u, w := openStaffPractice(t, q, size)
			// The demo's vaccine, due two weeks ago, is overdue in its
			// heading as in its detail (it read "Due: …" above "Overdue since").
			q.waitShows(t, w, "Preventive care", "Overdue: COVID-19 vaccine, 2026-2027 formula — recommended by your practice", "Overdue since")
			screenshot(t, w, "dashboard-due-"+fmtSize(size))
			assertMinFits(t, w, size.Width)

			id := u.shell.current.ID
			selectTab(t, w, "Settings")
			q.waitShows(t, w, "Notifications", notificationsRunText(), "New results", "Show details")
			screenshot(t, w, "settings-notifications-"+fmtSize(size))
			assertMinFits(t, w, size.Width)
			for _, k := range app.NotificationKinds {
				if !findCheck(t, w.Content(), k.Label()).Checked {
					t.Errorf("%s is off by default", k)
				}
			}
			if findCheck(t, w.Content(), "Show details").Checked {
				t.Error("details are on by default")
			}

			test.Tap(findCheck(t, w.Content(), app.NotifyResults.Label()))
			test.Tap(findCheck(t, w.Content(), "Show details"))
			waitSettings(t, q, u.core, id, func(ns app.NotificationSettings) bool {
				return !ns.On(app.NotifyResults) && ns.On(app.NotifyMessages) && ns.ShowDetails
			})

			// Start with my session writes the XDG autostart entry, and
			// removes it again.
			if autostart.Supported() {
				entry := filepath.Join(cfgHome, "autostart", "carebook.desktop")
				start := findCheck(t, w.Content(), "Start with my session")
				waitFor(t, q, func() bool { return !start.Disabled() })
				test.Tap(start)
				waitFor(t, q, func() bool { _, err := os.Stat(entry); return err == nil })
				test.Tap(start)
				waitFor(t, q, func() bool { _, err := os.Stat(entry); return errors.Is(err, os.ErrNotExist) })
			}

			// Shown as saved when Settings is built again.
			u.showUnlockedHomeAt(id)
			q.waitShows(t, w, "Hello, Maya")
			selectTab(t, w, "Settings")
			q.waitShows(t, w, notificationsRunText())
			if findCheck(t, w.Content(), app.NotifyResults.Label()).Checked || !findCheck(t, w.Content(), "Show details").Checked ||
				!findCheck(t, w.Content(), app.NotifyMessages.Label()).Checked {
				t.Error("Settings does not show the saved choices")
			}
		})
	}
}

// TestDashboardDueGuidance: general guidance is labelled as such, with a
// word on where it comes from, at phone and desktop size.
func TestDashboardDueGuidance(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	vm := app.Dashboard{Profile: app.ProfileInfo{Self: true, Label: "Sam Lee"}, PatientName: "Sam Lee"}
	vm.Due = []record.CareDue{
		{Key: "guidance/flu/2026-2027", Title: "flu vaccine", Detail: "A flu vaccine is advised every season. Last flu vaccine: Oct 6, 2025.", Guidance: true},
		{Key: "guidance/tetanus/none", Title: "tetanus booster", Detail: "A tetanus booster is advised every 10 years; your record shows none in the last 10 years.", Guidance: true},
	}
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		d := newDashboardView(context.Background(), nil, "p", func(string) {})
		w := test.NewWindow(d.CanvasObject())
		w.Resize(size)
		d.apply(vm)
		assertShows(t, w, "Preventive care", "Due: flu vaccine — general guidance", "Due: tetanus booster — general guidance",
			"General guidance comes from common advice")
		screenshot(t, w, "dashboard-guidance-"+fmtSize(size))
		assertMinFits(t, w, size.Width)
		w.Close()
	}
}

// TestDashboardIncompleteRecord: while the record has not been downloaded
// in full, the dashboard says so, at phone and desktop size.
func TestDashboardIncompleteRecord(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	vm := app.Dashboard{Profile: app.ProfileInfo{Self: true, Label: "Sam Lee"}, PatientName: "Sam Lee", Incomplete: true}
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		d := newDashboardView(context.Background(), nil, "p", func(string) {})
		w := test.NewWindow(d.CanvasObject())
		w.Resize(size)
		d.apply(vm)
		assertShows(t, w, "Not downloaded in full yet", "Carebook has not finished downloading this record from the practice yet.")
		screenshot(t, w, "dashboard-incomplete-"+fmtSize(size))
		assertMinFits(t, w, size.Width)
		w.Close()
		vm.Incomplete = false
		d = newDashboardView(context.Background(), nil, "p", func(string) {})
		w = test.NewWindow(d.CanvasObject())
		w.Resize(size)
		d.apply(vm)
		if texts := shownText(w.Content()); strings.Contains(texts, "Not downloaded in full yet") {
			t.Errorf("a complete record is said to be incomplete:\n%s", texts)
		}
		w.Close()
		vm.Incomplete = true
	}
}

// TestMergedDashboardIncompleteRecord: a person's records at two practices
// shown together say so when the record of either is not downloaded in
// full yet (the second practice, just added, still downloading).
func TestMergedDashboardIncompleteRecord(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	river := app.ProfileInfo{ID: "p1", Label: "Maya Rivera", Practice: "Riverside Family Medicine", Self: true, UserName: "Maya"}
	lake := app.ProfileInfo{ID: "p2", Label: "Maya Rivera", Practice: "Lakeside Health Center", Self: true, UserName: "Maya"}
	for _, lakeIncomplete := range []bool{true, false} {
		src := mergedHomeSource{merged: app.MergedDashboard{
			Profiles: []app.ProfileInfo{river, lake},
			Dashboards: []app.Dashboard{{Profile: river, PatientName: "Maya Rivera"},
				{Profile: lake, PatientName: "Maya Rivera", Incomplete: lakeIncomplete}},
		}}
		d := newDashboardView(context.Background(), src, "p1", func(string) {})
		w := test.NewWindow(d.CanvasObject())
		w.Resize(fyne.NewSize(360, 740))
		vm, err := d.loadAll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		d.applyAll(vm)
		if shown := strings.Contains(shownText(w.Content()), "Not downloaded in full yet"); shown != lakeIncomplete {
			t.Errorf("the second practice's record incomplete: %v; the card shown: %v", lakeIncomplete, shown)
		}
		w.Close()
	}
}

// TestDashboardUnreadSenders: the home screen says who wrote the new
// messages, with a count for each only when more than one person wrote
// ("From Dr. Samuel Brooks, MD: 1" under "1 new message" read as a
// second, puzzling number).
func TestDashboardUnreadSenders(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	for _, tc := range []struct {
		name   string
		unread int
		by     []app.UnreadCount
		want   string
		absent string
	}{
		{"one person", 1, []app.UnreadCount{{From: "Dr. Samuel Brooks, MD", Count: 1}},
			"From Dr. Samuel Brooks, MD", "MD: 1"},
		{"one person, two messages", 2, []app.UnreadCount{{From: "Dr. Samuel Brooks, MD", Count: 2}},
			"2 new messages from your practice.\nFrom Dr. Samuel Brooks, MD", "MD: 2"},
		{"two people", 3, []app.UnreadCount{{From: "Dr. Elena Park, MD", Count: 2}, {From: "Billing office", Count: 1}},
			"From Dr. Elena Park, MD: 2 · Billing office: 1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm := app.Dashboard{Profile: app.ProfileInfo{Self: true, Label: "Sam Lee"}, PatientName: "Sam Lee", UnreadBy: tc.by}
			for range tc.unread {
				vm.Unread = append(vm.Unread, record.Communication{Topic: "School form"})
			}
			d := newDashboardView(context.Background(), nil, "p", func(string) {})
			w := test.NewWindow(d.CanvasObject())
			defer w.Close()
			w.Resize(fyne.NewSize(1280, 800))
			d.apply(vm)
			var text string
			walkVisible(w.Content(), func(o fyne.CanvasObject) {
				if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, "new message") {
					text = l.Text
				}
			})
			if !strings.Contains(text, tc.want) || (tc.absent != "" && strings.Contains(text, tc.absent)) {
				t.Errorf("the messages card says %q; want %q in it, and not %q", text, tc.want, tc.absent)
			}
		})
	}
}
