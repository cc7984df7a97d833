// Command idlefloor is a Fyne window with one label and nothing else: what
// Fyne alone takes while idle, which scripts/idle.sh (make bench) sets
// beside the app's own figure. Fyne's event loop wakes 60 times a second
// whatever the app does; the app puts it to sleep while nothing happens
// (internal/idleloop), this window does not.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	w := app.New().NewWindow("idle floor")
	w.SetContent(widget.NewLabel("Fyne alone"))
	w.Resize(fyne.NewSize(1280, 800))
	w.ShowAndRun()
}
