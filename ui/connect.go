package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// connectScreen lets a patient add a practice: by its portal address, or
// the built-in demo practice. cancel, when not nil, goes back to where the
// patient came from (they already have a practice). UI goroutine.
func (u *UI) connectScreen(cancel func()) fyne.CanvasObject {
	address := widget.NewEntry()
	address.SetPlaceHolder(lang.L("e.g. portal.yourpractice.org/fhir"))
	problem := errorText()
	status := paragraph("")
	status.Hide()

	var buttons []fyne.Disableable
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
	connected := func(p app.ProfileInfo, err error) {
		busy(false, "")
		if err != nil {
			showError(problem, humanConnectError(err))
			return
		}
		u.showUnlockedHomeAt(p.ID) // the person just added, not the first one
	}

	connectTo := func(typed string, opts app.ConnectOptions) {
		msg := lang.L("Opening your practice's sign-in page in your browser… Come back here when you have signed in.")
		if opts.ActivationCode {
			msg = lang.L("Opening your practice's page for activation codes in your browser… Come back here when your account is ready.")
		}
		busy(true, msg)
		background(u.ctx, func(ctx context.Context) (app.ProfileInfo, error) {
			return u.core.Connect(ctx, typed, opts)
		}, connected)
	}
	connect := &widget.Button{Text: lang.L("Connect"), Importance: widget.HighImportance, OnTapped: func() {
		connectTo(address.Text, app.ConnectOptions{})
	}}
	address.OnSubmitted = func(string) { connect.OnTapped() }
	activate := &widget.Button{Text: lang.L("I have an activation code"), OnTapped: func() {
		connectTo(address.Text, app.ConnectOptions{ActivationCode: true})
	}}

	demo := newWrapButton(lang.L("Explore with a demo practice"), nil, widget.MediumImportance, func() {
		busy(true, lang.L("Starting the demo practice and signing in a demo patient…"))
		background(u.ctx, func(ctx context.Context) (app.ProfileInfo, error) {
			return u.core.ConnectDemo(ctx)
		}, connected)
	})
	buttons = append(buttons, connect, activate, demo)
	// One patient at two demo practices, to see her records merged once
	// the user confirms she is the same person (first start only: later,
	// the demo's people offer the second practice).
	var twoDemo fyne.CanvasObject = layout.NewSpacer()
	if u.core.HasSecondDemo() && cancel == nil {
		b := newWrapButton(lang.L("Explore one patient at two demo practices"), nil, widget.MediumImportance, func() {
			busy(true, lang.L("Starting two demo practices and signing Maya in at both…"))
			background(u.ctx, func(ctx context.Context) (app.ProfileInfo, error) {
				first, err := u.core.DemoProfile(ctx) // the demo patient, added once
				if err != nil {
					return first, err
				}
				if _, err := u.core.ConnectSecondDemo(ctx); err != nil {
					return first, err
				}
				return first, nil
			}, connected)
		})
		buttons = append(buttons, b)
		twoDemo = b
	}

	// The demo practice's other people: a parent with two children, an
	// older patient and his caregiver. Offered once the demo runs.
	demoPeople := container.NewVBox()
	showDemoPeople := func() {
		background(u.ctx, u.core.DemoAccounts, func(accounts []app.DemoAccount, err error) {
			if err != nil {
				return // the main demo button still works
			}
			demoPeople.Objects = []fyne.CanvasObject{paragraph(lang.L("Or try the demo as one of its people:"))}
			for _, acc := range accounts {
				b := &widget.Button{Text: acc.Description, Alignment: widget.ButtonAlignLeading, Icon: theme.AccountIcon()}
				b.OnTapped = func() {
					msg := lang.L("Signing in to the demo practice…")
					if acc.Records > 1 {
						msg = lang.L("Signing in to the demo practice and choosing each record in its patient picker…")
					}
					busy(true, msg)
					background(u.ctx, func(ctx context.Context) (app.ProfileInfo, error) {
						ps, err := u.core.ConnectDemoAccount(ctx, acc.Username)
						if len(ps) == 0 {
							return app.ProfileInfo{}, err
						}
						return ps[len(ps)-1], err
					}, connected)
				}
				buttons = append(buttons, b)
				demoPeople.Add(b)
			}
			if u.core.HasSecondDemo() {
				// Another practice that also sees Maya: her records at both,
				// merged once the user says they are the same person.
				b := &widget.Button{Text: secondDemoText(), Alignment: widget.ButtonAlignLeading, Icon: theme.HomeIcon()}
				b.OnTapped = func() {
					busy(true, lang.L("Starting the second demo practice and signing Maya in there…"))
					background(u.ctx, u.core.ConnectSecondDemo, connected)
				}
				buttons = append(buttons, b)
				demoPeople.Add(b)
			}
			demoPeople.Refresh()
		})
	}

	// The practices already on this device: one tap adds another person's
	// record there (a child, a parent), or signs in again.
	known := container.NewVBox()
	background(u.ctx, u.core.Profiles, func(ps []app.ProfileInfo, err error) {
		if err != nil {
			return // the list is a shortcut; the address still works
		}
		for _, p := range ps {
			if p.Demo {
				showDemoPeople() // the demo already runs: offer its people
				break
			}
		}
		for _, addr := range knownPractices(ps) {
			b := &widget.Button{Text: lang.L("Add a family member at {{.Practice}}", map[string]any{"Practice": addr.name}), Alignment: widget.ButtonAlignLeading,
				Icon: theme.ContentAddIcon(), OnTapped: func() { connectTo(addr.url, app.ConnectOptions{}) }}
			buttons = append(buttons, b)
			known.Add(b)
		}
		if len(known.Objects) > 0 {
			known.Objects = append([]fyne.CanvasObject{paragraph(lang.L("Practices on this device:"))}, known.Objects...)
			known.Refresh()
		}
	})

	title := lang.L("Connect to your practice")
	var family fyne.CanvasObject = layout.NewSpacer()
	if cancel != nil { // adding to what is here already
		title = lang.L("Add a family member or practice")
		family = newCard(lang.L("Add a family member"), "", paragraph(lang.L(
			"Sign in at their practice with your own portal account, as their parent or caregiver. The practice then asks whose record to open: choose one person; add each child or relative the same way. The practice decides what you may see, and Carebook shows you what it shares.")))
	}
	objects := []fyne.CanvasObject{
		logo(72),
		heading(title),
		family,
		paragraph(lang.L("Enter the address of your practice's patient portal (its FHIR address: the practice's front desk or website can tell you). Carebook then opens the practice's own sign-in page in your browser. New to the portal? If the office gave you an activation code, enter the address and choose \"I have an activation code\".")),
		address,
		connect,
		activate,
		problem,
		status,
		known,
		widget.NewSeparator(),
		paragraph(lang.L("Not ready yet? Look around with a demo practice and a made-up patient. Nothing you do there reaches a real practice.")),
		demo,
		twoDemo,
		demoPeople,
	}
	if cancel != nil {
		back := &widget.Button{Text: lang.L("Back"), OnTapped: cancel}
		buttons = append(buttons, back)
		objects = append(objects, back)
	}
	return container.NewVScroll(container.NewPadded(newColumn(560, true, objects...)))
}

// knownPractice is a practice some profile on this device is connected to.
type knownPractice struct{ name, url string }

// knownPractices lists the practices of ps once each, in order, leaving
// out the demo practice (it has its own button and a new address on each
// start).
func knownPractices(ps []app.ProfileInfo) []knownPractice {
	var out []knownPractice
	seen := map[string]bool{}
	for _, p := range ps {
		if p.Demo || seen[p.PracticeURL] {
			continue
		}
		seen[p.PracticeURL] = true
		out = append(out, knownPractice{name: p.Practice, url: p.PracticeURL})
	}
	return out
}

// humanConnectError says in plain words why connecting failed.
func humanConnectError(err error) string {
	switch {
	case errors.Is(err, app.ErrBadAddress):
		return lang.L("That doesn't look like a web address. Check it and try again (it usually starts with https://).")
	case errors.Is(err, app.ErrUnreachable):
		return lang.L("Carebook couldn't reach that address. Check it, and your internet connection, and try again.")
	case errors.Is(err, app.ErrNotFHIR):
		return lang.L("Something answered at that address, but it isn't a patient portal Carebook can use (a FHIR server). Ask your practice for its FHIR address.")
	case errors.Is(err, app.ErrNoSignIn):
		return lang.L("This practice's server doesn't offer a sign-in Carebook can use (SMART on FHIR).")
	case errors.Is(err, app.ErrCancelled):
		return lang.L("Sign-in was cancelled. You can try again whenever you like.")
	case errors.Is(err, context.DeadlineExceeded):
		return lang.L("Sign-in took too long. Please try again.")
	case errors.Is(err, app.ErrProfileClosed):
		return lang.L("This record has a lock of its own. Open it first with its passphrase (choose it in the list of people at the top), then sign in again.")
	default:
		return lang.L("Carebook couldn't connect to the practice. Please try again later.")
	}
}

// secondDemoText offers the second demo practice on the connect screen.
func secondDemoText() string {
	return lang.L("Maya Rivera at a second practice, Lakeside Health Center: see her records from both practices together")
}
