package ui

import (
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
)

// confirmLeaving asks before Carebook hands an address to the browser:
// the patient sees that they leave the app and for which site (the host,
// where a look-alike address would show), and open runs only when they
// choose "Open". what says what the page is ("your practice's terms of
// use"). UI goroutine.
func confirmLeaving(win fyne.Window, title, what, addr string, open func()) {
	host := addr
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		host = u.Host
	}
	msg := paragraph("This opens " + what + " in your browser, at " + host + ". You leave Carebook there.")
	d := dialog.NewCustomConfirm(title, "Open", "Cancel", msg, func(ok bool) {
		if ok {
			open()
		}
	}, win)
	d.Resize(fyne.NewSize(min(win.Canvas().Size().Width-24, 440), 0))
	d.Show()
}
