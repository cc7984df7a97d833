package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/assets"
)

// welcomeScreen is the first thing a new user sees: what Carebook is and
// what it promises about their data. UI goroutine only.
func welcomeScreen() fyne.CanvasObject {
	logo := canvas.NewImageFromResource(assets.Icon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(96, 96))

	title := widget.NewLabelWithStyle(lang.L("Welcome to Carebook"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = "headingText"
	intro := widget.NewLabel(lang.L("Your health record from every practice you visit, for you and the family members you care for, in one place."))
	intro.Wrapping = fyne.TextWrapWord
	intro.Alignment = fyne.TextAlignCenter
	promise := widget.NewLabel(lang.L("Everything Carebook keeps is encrypted on this device and stays readable when you are offline."))
	promise.Wrapping = fyne.TextWrapWord
	promise.Alignment = fyne.TextAlignCenter

	return container.NewPadded(newColumn(560, true,
		container.NewCenter(logo),
		title,
		intro,
		promise,
	))
}
