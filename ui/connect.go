package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// connectScreen lets a patient add a practice: by its portal address, or
// the built-in demo practice. cancel, when not nil, goes back to where the
// patient came from (they already have a practice). UI goroutine.
func (u *UI) connectScreen(cancel func()) fyne.CanvasObject {
	address := widget.NewEntry()
	address.SetPlaceHolder("e.g. portal.yourpractice.org/fhir")
	problem := errorText()
	status := paragraph("")
	status.Hide()

	var buttons []*widget.Button
	busy := func(on bool, msg string) {
		for _, b := range buttons {
			if on {
				b.Disable()
			} else {
				b.Enable()
			}
		}
		if on {
			status.SetText(msg)
			status.Show()
			problem.Hide()
		} else {
			status.Hide()
		}
	}
	connected := func(_ app.ProfileInfo, err error) {
		busy(false, "")
		if err != nil {
			showError(problem, humanConnectError(err))
			return
		}
		u.showHome()
	}

	connect := &widget.Button{Text: "Connect", Importance: widget.HighImportance, OnTapped: func() {
		busy(true, "Opening your practice's sign-in page in your browser… Come back here when you have signed in.")
		typed := address.Text
		background(u.ctx, func(ctx context.Context) (app.ProfileInfo, error) {
			return u.core.Connect(ctx, typed)
		}, connected)
	}}
	address.OnSubmitted = func(string) { connect.OnTapped() }

	demo := &widget.Button{Text: "Explore with a demo practice", OnTapped: func() {
		busy(true, "Starting the demo practice and signing in a demo patient…")
		background(u.ctx, func(ctx context.Context) (app.ProfileInfo, error) {
			return u.core.ConnectDemo(ctx)
		}, connected)
	}}
	buttons = append(buttons, connect, demo)

	objects := []fyne.CanvasObject{
		logo(72),
		heading("Connect to your practice"),
		paragraph("Enter the address of your practice's patient portal (its FHIR address: " +
			"the practice's front desk or website can tell you). Carebook then opens the " +
			"practice's own sign-in page in your browser. If the office gave you an activation " +
			"code, choose \"I have an activation code\" on that page."),
		address,
		connect,
		problem,
		status,
		widget.NewSeparator(),
		paragraph("Not ready yet? Look around with a demo practice and a made-up patient. " +
			"Nothing you do there reaches a real practice."),
		demo,
	}
	if cancel != nil {
		back := &widget.Button{Text: "Back", OnTapped: cancel}
		buttons = append(buttons, back)
		objects = append(objects, back)
	}
	return container.NewVScroll(container.NewPadded(newColumn(560, true, objects...)))
}

// humanConnectError says in plain words why connecting failed.
func humanConnectError(err error) string {
	switch {
	case errors.Is(err, app.ErrBadAddress):
		return "That doesn't look like a web address. Check it and try again (it usually starts with https://)."
	case errors.Is(err, app.ErrUnreachable):
		return "Carebook couldn't reach that address. Check it, and your internet connection, and try again."
	case errors.Is(err, app.ErrNotFHIR):
		return "Something answered at that address, but it isn't a patient portal Carebook can use (a FHIR server). Ask your practice for its FHIR address."
	case errors.Is(err, app.ErrNoSignIn):
		return "This practice's server doesn't offer a sign-in Carebook can use (SMART on FHIR)."
	case errors.Is(err, app.ErrCancelled):
		return "Sign-in was cancelled. You can try again whenever you like."
	case errors.Is(err, context.DeadlineExceeded):
		return "Sign-in took too long. Please try again."
	default:
		return "Carebook couldn't connect to the practice. Please try again later."
	}
}
