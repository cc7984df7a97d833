package ui

import (
	"context"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/internal/autostart"
)

// notifySource is what the notification settings need of the app core.
type notifySource interface {
	NotificationSettings(ctx context.Context, profileID string) (app.NotificationSettings, error)
	SetNotificationSettings(ctx context.Context, profileID string, ns app.NotificationSettings) error
}

// notificationsRunText says plainly when notifications come.
func notificationsRunText() string {
	return lang.L("Reminders and notifications come only while Carebook runs.")
}

// notificationsCard is the Settings card of the notifications of the
// record on show: a switch per kind and the opt-in to details. Read and
// saved off the UI goroutine. UI goroutine.
func (s *shell) notificationsCard() fyne.CanvasObject {
	var extra []fyne.CanvasObject
	if autostart.Supported() && !s.u.mobile {
		extra = append(extra, startWithSession(s.u.ctx, autostart.Config{}, s.u.core.Touch))
	}
	return newNotificationsCard(s.u.ctx, s.u.core, s.current, s.u.core.Touch, extra...)
}

// startWithSession is the switch that starts Carebook when the user signs
// in to this computer (an XDG autostart entry), so that reminders come
// without opening it by hand. UI goroutine.
func startWithSession(ctx context.Context, cfg autostart.Config, touch func()) fyne.CanvasObject {
	check := widget.NewCheck(lang.L("Start with my session"), nil)
	check.Disable()
	status := errorText()
	background(ctx, func(context.Context) (bool, error) { return autostart.Enabled(cfg) }, func(on bool, err error) {
		if err != nil {
			showError(status, lang.L("Carebook could not tell whether it starts with your session."))
		}
		check.SetChecked(on)
		check.OnChanged = func(on bool) {
			touch()
			background(ctx, func(context.Context) (struct{}, error) { return struct{}{}, autostart.Set(cfg, on) },
				func(_ struct{}, err error) {
					if err != nil {
						showError(status, lang.L("Carebook could not change this: {{.Error}}", map[string]any{"Error": err.Error()}))
						return
					}
					status.Hide()
				})
		}
		check.Enable()
	})
	return newColumn(0, false, check,
		paragraph(lang.L("Carebook then opens when you sign in to this computer, so reminders come without opening it yourself.")), status)
}

// newNotificationsCard builds the card for profile p from src; touch
// records activity; extra goes at the end. UI goroutine.
func newNotificationsCard(ctx context.Context, src notifySource, p app.ProfileInfo, touch func(), extra ...fyne.CanvasObject) *widget.Card {
	body := newColumn(0, false, paragraph(lang.L("Loading…")))
	card := newCard(lang.L("Notifications"), lang.L("For {{.Name}}'s record", map[string]any{"Name": p.Label}), body)
	status := errorText()
	background(ctx, func(ctx context.Context) (app.NotificationSettings, error) {
		return src.NotificationSettings(ctx, p.ID)
	}, func(ns app.NotificationSettings, err error) {
		if err != nil {
			body.Objects = []fyne.CanvasObject{paragraph(lang.L("Carebook could not read these settings.") + " " + humanStorageError(err))}
			body.Refresh()
			return
		}
		if ns.Off == nil {
			ns.Off = map[app.NotificationKind]bool{}
		}
		// ns is owned by the UI goroutine; each change saves a copy. Two
		// quick changes save in the background at once: the last one must
		// be written last, so the saves take turns and one that a newer
		// save follows writes nothing (the newer one writes it all).
		var saving sync.Mutex
		var newest atomic.Int64
		save := func() {
			touch()
			saved := app.NotificationSettings{Off: map[app.NotificationKind]bool{}, ShowDetails: ns.ShowDetails}
			for k, v := range ns.Off {
				saved.Off[k] = v
			}
			turn := newest.Add(1)
			background(ctx, func(ctx context.Context) (struct{}, error) {
				saving.Lock()
				defer saving.Unlock()
				if newest.Load() != turn {
					return struct{}{}, nil
				}
				return struct{}{}, src.SetNotificationSettings(ctx, p.ID, saved)
			}, func(_ struct{}, err error) {
				if err != nil {
					showError(status, lang.L("Carebook could not save this.")+" "+humanStorageError(err))
					return
				}
				status.Hide()
			})
		}
		objs := []fyne.CanvasObject{paragraph(notificationsRunText() + " " + lang.L("Appointment reminders come the day before and an hour before; preventive care covers vaccines and check-ups."))}
		for _, k := range app.NotificationKinds {
			k := k
			check := newWrapCheck(k.Label(), nil)
			check.SetChecked(ns.On(k))
			check.check.OnChanged = func(on bool) {
				ns.Off[k] = !on
				save()
			}
			objs = append(objs, check)
		}
		details := newWrapCheck(lang.L("Show details"), nil)
		details.SetChecked(ns.ShowDetails)
		details.check.OnChanged = func(on bool) {
			ns.ShowDetails = on
			save()
		}
		objs = append(objs, paragraph(lang.L("A notification says only what kind of news it is, such as “New message from your practice”: no names, subjects or results, since others may see your screen. With details on, a notification says who wrote, the subject and the test's name, and whose record it is by first name.")), details, status)
		objs = append(objs, extra...)
		body.Objects = objs
		body.Refresh()
	})
	return card
}
