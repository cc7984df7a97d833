package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/assets"
	"github.com/carebook/carebook/storage"
)

// minPassphraseLength is the shortest passphrase accepted at set-up and
// when it is changed: app's (storage's) rule, which carebook-cli applies too.
const minPassphraseLength = app.MinPassphraseLength

func logo(size float32) fyne.CanvasObject {
	img := canvas.NewImageFromResource(assets.Icon)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(size, size))
	return container.NewCenter(img)
}

func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameHeadingText
	l.Wrapping = fyne.TextWrapWord // a phone is narrower than some headings
	return l
}

func paragraph(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func errorText() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.DangerImportance
	l.Hide()
	return l
}

func showError(l *widget.Label, msg string) {
	l.SetText(msg)
	l.Show()
}

// setupScreen asks for the passphrase that protects the encrypted cache on
// a new install. Where the OS keyring keeps the key the passphrase is
// optional (it then also unlocks the app, e.g. on another session).
// UI goroutine.
func (u *UI) setupScreen() fyne.CanvasObject {
	keyring := u.core.UsesKeyring()
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder(lang.L("Passphrase"))
	confirm := widget.NewPasswordEntry()
	confirm.SetPlaceHolder(lang.L("The same passphrase again"))
	problem := errorText()

	explain := lang.L("Carebook keeps your health record encrypted on this device. Choose a passphrase to lock and unlock it. Nobody, not even Carebook, can recover your record without it.")
	if keyring {
		explain = lang.L("Carebook keeps your health record encrypted on this device, with its key in your computer's keyring. You may also choose a passphrase to lock the app (recommended on a shared computer), or leave it empty.")
	}

	var submit *widget.Button
	submit = &widget.Button{Text: lang.L("Protect my record"), Importance: widget.HighImportance, OnTapped: func() {
		p, c := pass.Text, confirm.Text
		switch {
		case p == "" && !keyring:
			showError(problem, lang.L("Please choose a passphrase."))
			return
		case app.CheckPassphrase(p) != nil:
			showError(problem, lang.L("Please use at least {{.Count}} characters.", map[string]any{"Count": minPassphraseLength}))
			return
		case p != c:
			showError(problem, lang.L("The two passphrases are not the same."))
			return
		}
		problem.Hide()
		submit.Disable()
		submit.SetText(lang.L("Protecting…"))
		background(u.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, u.core.Setup(ctx, p)
		}, func(_ struct{}, err error) {
			submit.Enable()
			submit.SetText(lang.L("Protect my record"))
			if err != nil {
				showError(problem, lang.L("Carebook could not set up its encrypted storage.")+" "+humanStorageError(err))
				return
			}
			u.showHome()
		})
	}}
	confirm.OnSubmitted = func(string) { submit.OnTapped() }
	u.focusOnShow = pass

	return container.NewVScroll(container.NewPadded(newColumn(480, true,
		logo(80),
		heading(lang.L("Protect your health record")),
		paragraph(explain),
		pass, confirm,
		problem,
		submit,
	)))
}

// lockNow locks at the patient's request. The record leaves the screen at
// once (the logo alone, for the moment the lock takes); the core saves
// what the screens hold unsaved (the draft typed a moment ago) and drops
// the keys in the background, and its Locked event brings the lock
// screen. UI goroutine.
func (u *UI) lockNow() {
	u.showScreen(func() fyne.CanvasObject { return newColumn(560, true, logo(80)) })
	go u.core.Lock()
}

// lockScreen shows nothing of the record: only how to unlock. UI goroutine.
func (u *UI) lockScreen(hasPassphrase bool) fyne.CanvasObject {
	problem := errorText()
	objects := []fyne.CanvasObject{logo(80), heading(lang.L("Carebook is locked"))}

	unlock := func(passphrase string, b *widget.Button) {
		problem.Hide()
		b.Disable()
		background(u.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, u.core.Unlock(ctx, passphrase)
		}, func(_ struct{}, err error) {
			b.Enable()
			if err != nil {
				if app.IsWrongPassphrase(err) {
					showError(problem, lang.L("That passphrase is not right. Please try again."))
				} else {
					showError(problem, lang.L("Carebook could not unlock.")+" "+humanStorageError(err))
				}
				return
			}
			u.showHome()
		})
	}

	if hasPassphrase {
		pass := widget.NewPasswordEntry()
		pass.SetPlaceHolder(lang.L("Passphrase"))
		var b *widget.Button
		b = &widget.Button{Text: lang.L("Unlock"), Importance: widget.HighImportance, OnTapped: func() {
			if pass.Text == "" {
				showError(problem, lang.L("Please enter your passphrase."))
				return
			}
			unlock(pass.Text, b)
		}}
		pass.OnSubmitted = func(string) { b.OnTapped() }
		objects = append(objects, paragraph(lang.L("Enter your passphrase to read your record.")), pass, b)
		u.focusOnShow = pass
	}
	if u.core.UsesKeyring() {
		var b *widget.Button
		b = &widget.Button{Text: lang.L("Unlock with my computer's keyring"), OnTapped: func() { unlock("", b) }}
		if !hasPassphrase {
			b.Importance = widget.HighImportance
		}
		objects = append(objects, b)
	}
	// The emergency card, where the patient chose to show it here (and
	// only it: nothing else of the record is readable while locked).
	objects = append(objects, problem, u.lockScreenCards())
	return container.NewVScroll(container.NewPadded(newColumn(480, true, objects...)))
}

// diskFullText explains a write that found no room on the device.
func diskFullText() string {
	return lang.L("Your device is out of space, so Carebook could not save this. Nothing was sent and what you saved before is safe. Free some space, then try again.")
}

// humanStorageError explains a storage failure in plain words, without any
// detail of the record.
func humanStorageError(err error) string {
	switch {
	case errors.Is(err, storage.ErrNoKey):
		return lang.L("Its key is missing from your keyring. If you set a passphrase, use it instead.")
	case errors.Is(err, storage.ErrNoKeyring):
		return lang.L("Your computer's keyring cannot be reached.")
	case errors.Is(err, storage.ErrCorrupt):
		return lang.L("The data file is damaged.") + " " + damagedFileAdvice()
	case errors.Is(err, storage.ErrIntegrity):
		return lang.L("Part of this record cannot be read: the data file was damaged or changed by something other than Carebook. In Settings, under Records, \"Check and download again\" removes what cannot be read and downloads the record again.")
	case errors.Is(err, storage.ErrPassphraseRequired):
		return lang.L("A passphrase is needed on this device.")
	case errors.Is(err, storage.ErrDiskFull):
		return diskFullText()
	case errors.Is(err, storage.ErrInUse):
		return lang.L("Another Carebook window, or carebook-cli, is using this data file. Close it, then try again.")
	case errors.Is(err, storage.ErrProfileLocked):
		return lang.L("This record has a passphrase of its own: open it first (choose it in the switcher).")
	default:
		return lang.L("Please try again.")
	}
}
