package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
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
	body := newColumn(0, false, paragraph(lang.L("Loading…")))
	card := newCard(lang.L("Activity on this device"), "", newColumn(0, false,
		paragraph(lang.L("Sign-ins, failed unlocks, exports, key changes, records added and removed, newest first. Carebook keeps this list encrypted and checks that nobody changed it.")), body))
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
		return []fyne.CanvasObject{paragraph(lang.L("Carebook could not read this. {{.Why}}", map[string]any{"Why": humanStorageError(err)}))}
	}
	var objs []fyne.CanvasObject
	if len(rep.Broken) > 0 {
		warn := errorText()
		showError(warn, lang.L("This list was changed or damaged outside Carebook, so it may not tell everything that happened: {{.Where}}. Carebook keeps working; if you did not expect this, change your passphrase and encryption keys.", map[string]any{"Where": strings.Join(rep.Broken, "; ")}))
		objs = append(objs, warn)
	}
	if len(rep.Items) == 0 {
		return append(objs, paragraph(lang.L("Nothing yet.")))
	}
	for i, it := range rep.Items {
		if i == activityShown {
			n := len(rep.Items) - activityShown
			objs = append(objs, paragraph(lang.N("and {{.Count}} earlier events (carebook-cli activity lists them all).", n,
				map[string]any{"Count": n})))
			break
		}
		line := appLocale().DateTime(it.Time.Local()) + " · " + it.What
		if it.Who != "" {
			line += " · " + it.Who
		}
		if !it.Verified {
			line += " " + lang.L("(checked at the next unlock)")
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
	pass.SetPlaceHolder(lang.L("Your passphrase"))
	pass.Hide()
	result := paragraph("")
	result.Hide()
	errLabel := errorText()
	var change *wrapButton
	change = newWrapButton(lang.L("Change encryption keys"), nil, widget.MediumImportance, func() {
		u.core.Touch()
		dialog.ShowConfirm(lang.L("Change encryption keys?"),
			lang.L("Carebook makes new keys and encrypts everything on this device again with them, including what you wrote and have not sent. Copies of the old keys then open nothing. It can take a moment."),
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
							showError(errLabel, lang.L("The passphrase is not right."))
						} else {
							showError(errLabel, lang.L("The keys could not be changed. {{.Why}} Nothing is lost: Carebook finishes the change the next time it unlocks.",
								map[string]any{"Why": humanStorageError(err)}))
						}
						return
					}
					pass.SetText("")
					result.SetText(lang.L("The encryption keys were changed."))
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
	return newCard(lang.L("Encryption keys"), "", newColumn(0, false,
		paragraph(lang.L("If you think someone copied Carebook's keys, change them: everything is encrypted again with new ones.")),
		pass, errLabel, result, change))
}
