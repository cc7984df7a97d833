package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// closedView is shown instead of the tabs for a record whose own lock is
// closed: whose it is, and its passphrase to open it. The key is derived
// off the UI goroutine. UI goroutine.
func (s *shell) closedView() fyne.CanvasObject {
	u, p := s.u, s.current
	f := map[string]any{"Name": firstOf(p.Label)}
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder(lang.L("{{.Name}}'s passphrase", f))
	problem := errorText()
	var col *fyne.Container
	say := func(msg string) {
		showError(problem, msg)
		col.Refresh() // the column lays the shown label out
	}
	var open *widget.Button
	open = &widget.Button{Text: lang.L("Open {{.Name}}'s record", f), Importance: widget.HighImportance, OnTapped: func() {
		u.core.Touch()
		if pass.Text == "" {
			say(lang.L("Please enter the passphrase of {{.Name}}'s record.", f))
			return
		}
		problem.Hide()
		open.Disable()
		id, passphrase := p.ID, pass.Text
		background(u.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, u.core.OpenProfile(ctx, id, passphrase)
		}, func(_ struct{}, err error) {
			open.Enable()
			switch {
			case app.IsWrongPassphrase(err):
				say(lang.L("That passphrase does not open {{.Name}}'s record. Nothing was changed: please try again.", f))
			case err != nil:
				say(lang.L("Carebook could not open {{.Name}}'s record.", f) + " " + humanStorageError(err))
			default:
				u.showUnlockedHomeAt(id)
			}
		})
	}}
	pass.OnSubmitted = func(string) { open.OnTapped() }
	u.focusOnShow = pass
	col = newColumn(480, true,
		heading(lang.L("{{.Name}}'s record is locked", f)),
		paragraph(lang.L("{{.Name}}'s record has a passphrase of its own, so unlocking Carebook does not open it. Until it is opened here, Carebook does not update it or notify about it; what was waiting to be sent stays.", f)),
		pass, open, problem,
	)
	return container.NewVScroll(container.NewPadded(col))
}

// ownLockCard lets the person on show give their record a passphrase of
// its own, change or remove it, or close the record now. UI goroutine.
func (s *shell) ownLockCard() fyne.CanvasObject {
	u, p := s.u, s.current
	f := map[string]any{"Name": firstOf(p.Label)}
	current := widget.NewPasswordEntry()
	current.SetPlaceHolder(lang.L("Its current passphrase"))
	next := widget.NewPasswordEntry()
	next.SetPlaceHolder(lang.L("New passphrase for {{.Name}}'s record", f))
	confirm := widget.NewPasswordEntry()
	confirm.SetPlaceHolder(lang.L("The same passphrase again"))
	problem := errorText()
	var col *fyne.Container
	say := func(msg string) {
		showError(problem, msg)
		col.Refresh() // the column lays the shown label out
	}

	// run does the work off the UI goroutine, then shows the shell again
	// (the switcher and this card change) or the problem.
	run := func(b fyne.Disableable, work func(ctx context.Context) error, what string) {
		problem.Hide()
		b.Disable()
		id := p.ID
		background(u.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, work(ctx)
		}, func(_ struct{}, err error) {
			b.Enable()
			switch {
			case app.IsWrongPassphrase(err):
				say(lang.L("The current passphrase of {{.Name}}'s record is not right. Nothing was changed.", f))
			case errors.Is(err, app.ErrInvalidInput):
				say(lang.L("Please use at least {{.Count}} characters.", map[string]any{"Count": minPassphraseLength}))
			case err != nil:
				say(what + " " + humanStorageError(err))
			default:
				u.showUnlockedHomeAt(id)
			}
		})
	}
	checkNew := func() bool {
		switch {
		case app.CheckPassphrase(next.Text) != nil || next.Text == "":
			say(lang.L("Please use at least {{.Count}} characters.", map[string]any{"Count": minPassphraseLength}))
			return false
		case next.Text != confirm.Text:
			say(lang.L("The two new passphrases are not the same."))
			return false
		}
		return true
	}

	if !p.OwnLock {
		var set *wrapButton
		set = newWrapButton(lang.L("Give {{.Name}}'s record its own passphrase", f), nil, widget.MediumImportance, func() {
			u.core.Touch()
			if !checkNew() {
				return
			}
			n := next.Text
			run(set, func(ctx context.Context) error { return u.core.SetOwnLock(ctx, p.ID, "", n) },
				lang.L("The passphrase could not be set."))
		})
		col = newColumn(0, false,
			paragraph(lang.L("On a shared device, {{.Name}}'s record can have a passphrase of its own: unlocking Carebook then does not open it, and only someone who knows this passphrase can read it here. Nobody can recover it: if it is forgotten, remove the record and connect it again.", f)),
			next, confirm, problem, set)
		return newCard(lang.L("A lock of {{.Name}}'s own", f), "", col)
	}

	var change, remove *widget.Button
	change = &widget.Button{Text: lang.L("Change it"), OnTapped: func() {
		u.core.Touch()
		if !checkNew() {
			return
		}
		o, n := current.Text, next.Text
		run(change, func(ctx context.Context) error { return u.core.SetOwnLock(ctx, p.ID, o, n) },
			lang.L("The passphrase could not be changed."))
	}}
	remove = &widget.Button{Text: lang.L("Remove it"), OnTapped: func() {
		u.core.Touch()
		if current.Text == "" {
			say(lang.L("Please enter the current passphrase of {{.Name}}'s record.", f))
			return
		}
		o := current.Text
		run(remove, func(ctx context.Context) error { return u.core.RemoveOwnLock(ctx, p.ID, o) },
			lang.L("The passphrase could not be removed."))
	}}
	var closeNow *wrapButton
	closeNow = newWrapButton(lang.L("Lock {{.Name}}'s record now", f), nil, widget.MediumImportance, func() {
		u.core.Touch()
		run(closeNow, func(ctx context.Context) error { return u.core.CloseProfile(ctx, p.ID) },
			lang.L("The record could not be locked."))
	})
	col = newColumn(0, false,
		paragraph(lang.L("{{.Name}}'s record has a passphrase of its own: unlocking Carebook does not open it. Locking Carebook locks it again.", f)),
		closeNow,
		current, next, confirm, problem,
		newFlow(change, remove))
	return newCard(lang.L("A lock of {{.Name}}'s own", f), "", col)
}
