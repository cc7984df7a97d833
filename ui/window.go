package ui

import (
	"fyne.io/fyne/v2"
)

// WindowTitle is the title of Carebook's main window (screenshot scripts
// find the window by it).
const WindowTitle = "Carebook"

// NewMainWindow creates Carebook's main window on a, with the theme and icon
// applied and the welcome screen shown. UI goroutine only.
func NewMainWindow(a fyne.App) fyne.Window {
	a.Settings().SetTheme(Theme())
	w := a.NewWindow(WindowTitle)
	w.SetContent(welcomeScreen())
	w.Resize(fyne.NewSize(1024, 720))
	return w
}
