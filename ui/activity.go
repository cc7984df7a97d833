package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// activityShown is how many events the Settings list shows; carebook-cli
// activity lists them all.
const activityShown = 50

// activityCard is "Activity on this device": the verified audit trail,
// newest first, with a warning when it was altered outside Carebook.
// Filled in off the UI goroutine. UI goroutine.
func (s *shell) activityCard() fyne.CanvasObject {
	u := s.u
	body := newColumn(0, false, paragraph("Loading…"))
	card := widget.NewCard("Activity on this device", "", newColumn(0, false,
		paragraph("Sign-ins, failed unlocks, exports, key changes, records added and removed, newest first. "+
			"Carebook keeps this list encrypted and checks that nobody changed it."), body))
	load := func() {
		background(u.ctx, func(ctx context.Context) (app.ActivityReport, error) {
			return u.core.ActivityLog(ctx)
		}, func(rep app.ActivityReport, err error) {
			body.Objects = activityRows(rep, err)
			body.Refresh()
		})
	}
	load()
	s.reloadActivity = load
	return card
}

// activityRows are the lines of the activity list. UI goroutine.
func activityRows(rep app.ActivityReport, err error) []fyne.CanvasObject {
	if err != nil {
		return []fyne.CanvasObject{paragraph("Carebook could not read this. " + humanStorageError(err))}
	}
	var objs []fyne.CanvasObject
	if len(rep.Broken) > 0 {
		warn := errorText()
		showError(warn, "This list was changed or damaged outside Carebook, so it may not tell everything that "+
			"happened: "+strings.Join(rep.Broken, "; ")+". Carebook keeps working; if you did not expect this, "+
			"change your passphrase and encryption keys.")
		objs = append(objs, warn)
	}
	if len(rep.Items) == 0 {
		return append(objs, paragraph("Nothing yet."))
	}
	for i, it := range rep.Items {
		if i == activityShown {
			objs = append(objs, paragraph(fmt.Sprintf("and %s (carebook-cli activity lists them all).",
				plural(len(rep.Items)-activityShown, "earlier event", "earlier events"))))
			break
		}
		line := appLocale().DateTime(it.Time.Local()) + " · " + it.What
		if it.Who != "" {
			line += " · " + it.Who
		}
		if !it.Verified {
			line += " (checked at the next unlock)"
		}
		objs = append(objs, paragraph(line))
	}
	return objs
}

// keysCard offers "Change encryption keys": a new master key and new keys
// for every record, everything re-encrypted, the old keys useless. The
// passphrase is asked for when one protects the app. UI goroutine.
func (s *shell) keysCard() fyne.CanvasObject {
	u := s.u
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder("Your passphrase")
	pass.Hide()
	result := paragraph("")
	result.Hide()
	errLabel := errorText()
	var change *wrapButton
	change = newWrapButton("Change encryption keys", nil, widget.MediumImportance, func() {
		u.core.Touch()
		dialog.ShowConfirm("Change encryption keys?",
			"Carebook makes new keys and encrypts everything on this device again with them, including what "+
				"you wrote and have not sent. Copies of the old keys then open nothing. It can take a moment.",
			func(ok bool) {
				if !ok {
					return
				}
				change.Disable()
				errLabel.Hide()
				result.Hide()
				p := pass.Text
				background(u.ctx, func(ctx context.Context) (struct{}, error) {
					return struct{}{}, u.core.ChangeKeys(ctx, p)
				}, func(_ struct{}, err error) {
					change.Enable()
					if err != nil {
						if app.IsWrongPassphrase(err) {
							showError(errLabel, "The passphrase is not right.")
						} else {
							showError(errLabel, "The keys could not be changed. "+humanStorageError(err)+
								" Nothing is lost: Carebook finishes the change the next time it unlocks.")
						}
						return
					}
					pass.SetText("")
					result.SetText("The encryption keys were changed.")
					result.Show()
					if s.reloadActivity != nil {
						s.reloadActivity()
					}
				})
			}, u.win)
	})
	background(u.ctx, func(ctx context.Context) (bool, error) {
		return u.core.HasPassphrase(ctx)
	}, func(has bool, err error) {
		if err == nil && has {
			pass.Show()
		}
	})
	return widget.NewCard("Encryption keys", "", newColumn(0, false,
		paragraph("If you think someone copied Carebook's keys, change them: everything is encrypted again with new ones."),
		pass, errLabel, result, change))
}
