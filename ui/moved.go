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

// movedText says plainly that the practice moved, and that nothing was
// sent to the new address.
func movedText(practice, to string) string {
	f := map[string]any{"Practice": practice, "Address": to}
	if practice == "" {
		return lang.L("Your practice says it has moved to {{.Address}}. Carebook has not sent your sign-in there. Sign in at the new address to keep this record up to date: what is saved here and what waits to be sent are kept.", f)
	}
	return lang.L("{{.Practice}} says it has moved to {{.Address}}. Carebook has not sent your sign-in there. Sign in at the new address to keep this record up to date: what is saved here and what waits to be sent are kept.", f)
}

// showMoved shows that the practice moved, with the button that signs in
// at its new address. UI goroutine.
func (s *shell) showMoved(to string) {
	s.movedTo = to
	s.signIn.SetText(lang.L("Sign in at the new address"))
	s.signIn.Show()
	s.showBanner(movedText(s.current.Practice, to))
}

// onSignIn is the banner's sign-in button: at the practice's new address
// when it moved, else again at its address. UI goroutine.
func (s *shell) onSignIn() {
	if s.movedTo != "" {
		s.moveTo(s.movedTo, func(err error) { s.showBanner(humanMoveError(err)) })
		return
	}
	s.signInAgain()
}

// moveTo signs in at the practice's new address (off the UI goroutine),
// then shows the record again and syncs it there; report gets a failure.
// UI goroutine.
func (s *shell) moveTo(address string, report func(error)) {
	u := s.u
	u.core.Touch()
	s.signIn.Disable()
	s.showBanner(lang.L("Opening the sign-in page at the practice's new address in your browser… Come back here when you have signed in."))
	id := s.current.ID
	background(u.ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, u.core.MovePractice(ctx, id, address)
	}, func(_ struct{}, err error) {
		s.signIn.Enable()
		if err != nil {
			report(err)
			return
		}
		u.showUnlockedHomeAt(id) // the shell syncs it at its new address
	})
}

// humanMoveError explains a failed sign-in at a practice's new address.
func humanMoveError(err error) string {
	switch {
	case errors.Is(err, app.ErrOtherRecord):
		return lang.L("That sign-in opened another person's record, so Carebook changed nothing. Sign in with the account of this record.")
	case errors.Is(err, app.ErrInvalidInput):
		return lang.L("That is not a new address for this record.")
	default:
		return humanConnectError(err)
	}
}

// movedCard lets the patient tell Carebook the practice's new address.
// UI goroutine.
func (s *shell) movedCard() fyne.CanvasObject {
	p := s.current
	if p.Demo || p.Closed || p.Ended {
		// The demo practice moves by itself; a closed or ended record
		// cannot sign in.
		hidden := widget.NewCard("", "", nil)
		hidden.Hide()
		return hidden
	}
	address := widget.NewEntry()
	address.SetPlaceHolder(lang.L("The practice's new address"))
	address.SetText(p.MovedTo)
	problem := errorText()
	var col *fyne.Container
	var move *widget.Button
	move = &widget.Button{Text: lang.L("Sign in at the new address"), OnTapped: func() {
		if address.Text == "" {
			showError(problem, lang.L("Please enter the practice's new address."))
			col.Refresh()
			return
		}
		problem.Hide()
		move.Disable()
		s.moveTo(address.Text, func(err error) {
			move.Enable()
			showError(problem, humanMoveError(err))
			col.Refresh()
		})
	}}
	col = newColumn(0, false,
		paragraph(lang.L("Carebook talks to {{.Practice}} at {{.Address}}. If the practice tells you it has a new address, sign in there: this record, and what waits to be sent, are kept.",
			map[string]any{"Practice": p.Practice, "Address": p.PracticeURL})),
		address, problem, container.NewHBox(move))
	return newCard(lang.L("Practice's address"), "", col)
}
