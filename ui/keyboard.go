package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// tabKeys are the keys that, with Alt, open the shell's tabs in their
// order: Alt+1 Home, Alt+2 the health record, and so on. Tab and
// Shift+Tab move between the controls of the screen, Space or Enter
// presses the one in focus: with these, everything is reachable from the
// keyboard.
var tabKeys = []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6, fyne.Key7, fyne.Key8, fyne.Key9}

// addTabShortcuts gives the window its Alt+number shortcuts. They act on
// the shell on screen, if any. UI goroutine.
func (u *UI) addTabShortcuts() {
	for i, key := range tabKeys {
		u.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierAlt}, func(fyne.Shortcut) {
			s := u.shell
			if s == nil || s.tabs == nil || i >= len(s.tabs.Items) {
				return
			}
			u.core.Touch()
			s.tabs.SelectIndex(i)
		})
	}
}
