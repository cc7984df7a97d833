package ui

import (
	"fyne.io/fyne/v2"

	"github.com/carebook/carebook/app"
)

// systemNotifier shows the core's notifications as the system's own
// (Fyne's SendNotification). The core calls it from its sync goroutine;
// the notification is sent on the UI goroutine.
type systemNotifier struct {
	app fyne.App
	do  func(func()) // doOnUI, read on the UI goroutine when built
}

// Notify implements app.Notifier. Any goroutine.
func (n systemNotifier) Notify(x app.Notification) {
	n.do(func() { n.app.SendNotification(fyne.NewNotification(x.Title, x.Body)) })
}

// startBackgroundSync syncs every profile in the background while the app
// is unlocked (the core stops it at the lock) and, on a phone, in the
// foreground. Starting it while it runs changes nothing. UI goroutine.
func (u *UI) startBackgroundSync() {
	if u.mobile && u.inBackground {
		return
	}
	u.bgStop = u.core.StartBackgroundSync(app.BackgroundConfig{})
}

// stopBackgroundSync stops the background sync without waiting for a sync
// in progress to give up. UI goroutine.
func (u *UI) stopBackgroundSync() {
	if stop := u.bgStop; stop != nil {
		u.bgStop = nil
		go stop()
	}
}
