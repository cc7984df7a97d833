package ui

import (
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
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
	msg := paragraph(lang.L("This opens {{.What}} in your browser, at {{.Host}}. You leave Carebook there.",
		map[string]any{"What": what, "Host": host}))
	d := dialog.NewCustomConfirm(title, lang.L("Open"), lang.L("Cancel"), msg, func(ok bool) {
		if ok {
			open()
		}
	}, win)
	d.Resize(fyne.NewSize(min(win.Canvas().Size().Width-24, 440), 0))
	d.Show()
}
