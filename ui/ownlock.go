package ui

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// closedView is shown instead of the tabs for a record whose own lock is
// closed: whose it is, and its passphrase to open it. The key is derived
// off the UI goroutine. UI goroutine.
func (s *shell) closedView() fyne.CanvasObject {
	u, p := s.u, s.current
	name := firstOf(p.Label)
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder(name + "'s passphrase")
	problem := errorText()
	var col *fyne.Container
	say := func(msg string) {
		showError(problem, msg)
		col.Refresh() // the column lays the shown label out
	}
	var open *widget.Button
	open = &widget.Button{Text: "Open " + name + "'s record", Importance: widget.HighImportance, OnTapped: func() {
		u.core.Touch()
		if pass.Text == "" {
			say("Please enter the passphrase of " + name + "'s record.")
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
				say("That passphrase does not open " + name + "'s record. Nothing was changed: please try again.")
			case err != nil:
				say("Carebook could not open " + name + "'s record. " + humanStorageError(err))
			default:
				u.showUnlockedHomeAt(id)
			}
		})
	}}
	pass.OnSubmitted = func(string) { open.OnTapped() }
	u.focusOnShow = pass
	col = newColumn(480, true,
		heading(name+"'s record is locked"),
		paragraph(name+"'s record has a passphrase of its own, so unlocking Carebook does not open it. "+
			"Until it is opened here, Carebook does not update it or notify about it; what was waiting to be sent stays."),
		pass, open, problem,
	)
	return container.NewVScroll(container.NewPadded(col))
}

// ownLockCard lets the person on show give their record a passphrase of
// its own, change or remove it, or close the record now. UI goroutine.
func (s *shell) ownLockCard() fyne.CanvasObject {
	u, p := s.u, s.current
	name := firstOf(p.Label)
	current := widget.NewPasswordEntry()
	current.SetPlaceHolder("Its current passphrase")
	next := widget.NewPasswordEntry()
	next.SetPlaceHolder("New passphrase for " + name + "'s record")
	confirm := widget.NewPasswordEntry()
	confirm.SetPlaceHolder("The same passphrase again")
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
				say("The current passphrase of " + name + "'s record is not right. Nothing was changed.")
			case errors.Is(err, app.ErrInvalidInput):
				say(fmt.Sprintf("Please use at least %d characters.", minPassphraseLength))
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
			say(fmt.Sprintf("Please use at least %d characters.", minPassphraseLength))
			return false
		case next.Text != confirm.Text:
			say("The two new passphrases are not the same.")
			return false
		}
		return true
	}

	if !p.OwnLock {
		var set *wrapButton
		set = newWrapButton("Give "+name+"'s record its own passphrase", nil, widget.MediumImportance, func() {
			u.core.Touch()
			if !checkNew() {
				return
			}
			n := next.Text
			run(set, func(ctx context.Context) error { return u.core.SetOwnLock(ctx, p.ID, "", n) },
				"The passphrase could not be set.")
		})
		col = newColumn(0, false,
			paragraph("On a shared device, "+name+"'s record can have a passphrase of its own: unlocking Carebook then "+
				"does not open it, and only someone who knows this passphrase can read it here. Nobody can recover it: "+
				"if it is forgotten, remove the record and connect it again."),
			next, confirm, problem, set)
		return newCard("A lock of "+name+"'s own", "", col)
	}

	var change, remove, closeNow *widget.Button
	change = &widget.Button{Text: "Change it", OnTapped: func() {
		u.core.Touch()
		if !checkNew() {
			return
		}
		o, n := current.Text, next.Text
		run(change, func(ctx context.Context) error { return u.core.SetOwnLock(ctx, p.ID, o, n) },
			"The passphrase could not be changed.")
	}}
	remove = &widget.Button{Text: "Remove it", OnTapped: func() {
		u.core.Touch()
		if current.Text == "" {
			say("Please enter the current passphrase of " + name + "'s record.")
			return
		}
		o := current.Text
		run(remove, func(ctx context.Context) error { return u.core.RemoveOwnLock(ctx, p.ID, o) },
			"The passphrase could not be removed.")
	}}
	closeNow = &widget.Button{Text: "Lock " + name + "'s record now", OnTapped: func() {
		u.core.Touch()
		run(closeNow, func(ctx context.Context) error { return u.core.CloseProfile(ctx, p.ID) },
			"The record could not be locked.")
	}}
	col = newColumn(0, false,
		paragraph(name+"'s record has a passphrase of its own: unlocking Carebook does not open it. "+
			"Locking Carebook locks it again."),
		container.NewHBox(closeNow),
		current, next, confirm, problem,
		container.NewHBox(change, remove))
	return newCard("A lock of "+name+"'s own", "", col)
}
