package ui

import (
	"reflect"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// TestNavTabsFitAPhone: at a phone's width every tab of the shell is on
// the bar (none behind "…") and a finger wide; at a desktop's, each shows
// its name.
func TestNavTabsFitAPhone(t *testing.T) {
	for _, tc := range []struct {
		width      float32
		wantTitles bool
	}{
		{360, false},
		{412, false},
		{1280, true},
	} {
		t.Run(fmtSize(fyne.NewSize(tc.width, 740)), func(t *testing.T) {
			test.NewTempApp(t)
			lightTheme(t)
			titles := []string{"Home", "Health record", "Messages", "Requests", "Settings"}
			icons := []fyne.Resource{theme.HomeIcon(), theme.DocumentIcon(), theme.MailComposeIcon(), theme.MailSendIcon(), theme.SettingsIcon()}
			var items []*container.TabItem
			for i, title := range titles {
				items = append(items, container.NewTabItemWithIcon(title, icons[i], widget.NewLabel(title+" screen")))
			}
			nav := newNavTabs(items...)
			w := test.NewWindow(nav)
			defer w.Close()
			w.Resize(fyne.NewSize(tc.width, 740))

			buttons := 0
			walkVisible(w.Content(), func(o fyne.CanvasObject) {
				switch reflect.TypeOf(o).String() {
				case "*container.tabButton":
					buttons++
				case "*widget.Button": // Fyne's "…" menu of tabs that did not fit
					t.Errorf("a tab is behind a menu at %.0f px", tc.width)
				}
			})
			if buttons != len(titles) {
				t.Errorf("%d tabs on the bar at %.0f px, want %d", buttons, tc.width, len(titles))
			}
			assertTouchTargets(t, w)
			for _, it := range items {
				if shown := it.Text != ""; shown != tc.wantTitles {
					t.Errorf("tab %q shows its name: %v, want %v", nav.title(it), shown, tc.wantTitles)
				}
			}
			// Every tab can still be chosen by its name.
			nav.tabs.Select(items[2])
			if got := nav.title(nav.tabs.Selected()); got != "Messages" {
				t.Errorf("selected %q, want Messages", got)
			}
		})
	}
}

// TestNavTabsOverrideStopsAtTheTabs: the theme override that lays the
// tabs out as on a phone covers the tabs, not the screens in them. Fyne
// empties its cache of measured text at every widget an override reaches,
// so with the screens under it all their text was shaped again each time
// the shell was built.
func TestNavTabsOverrideStopsAtTheTabs(t *testing.T) {
	test.NewTempApp(t)
	home, settings := widget.NewLabel("Home screen"), widget.NewLabel("Settings screen")
	nav := newNavTabs(
		container.NewTabItemWithIcon("Home", theme.HomeIcon(), home),
		container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), settings),
	)
	w := test.NewWindow(nav)
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	nav.tabs.Select(nav.tabs.Items[1])

	appTheme := fyne.CurrentApp().Settings().Theme()
	if theme.CurrentForWidget(nav.tabs) == appTheme {
		t.Error("the tabs are not under the phone layout's override")
	}
	for _, screen := range []*widget.Label{home, settings} {
		if theme.CurrentForWidget(screen) != appTheme {
			t.Errorf("%q is under the phone layout's override", screen.Text)
		}
	}
}
