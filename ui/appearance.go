package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The look the user chose in Settings, kept in Fyne's preferences (it is
// not patient data, and the lock screen needs it before any unlock).
const (
	prefTextPercent = "appearance_text_percent" // 100 to 200
	prefLook        = "appearance_look"         // "", "light" or "dark"
)

// textSizes are the text sizes offered, in percent of the normal size.
var textSizes = []int{100, 125, 150, 175, 200}

// looks are the light and dark choices offered, by their preference value
// ("" follows the system).
var looks = []string{"", "light", "dark"}

// lookLabel names a look.
func lookLabel(value string) string {
	switch value {
	case "light":
		return lang.L("Light")
	case "dark":
		return lang.L("Dark")
	}
	return lang.L("As the system")
}

// savedTheme is Carebook's theme with the text size and look saved in
// prefs; values out of range fall back to the defaults.
func savedTheme(prefs fyne.Preferences) fyne.Theme {
	t := carebookTheme{textScale: 1}
	if p := prefs.Int(prefTextPercent); p >= 100 && p <= 200 {
		t.textScale = float32(p) / 100
	}
	switch prefs.String(prefLook) {
	case "light":
		v := theme.VariantLight
		t.variant = &v
	case "dark":
		v := theme.VariantDark
		t.variant = &v
	}
	return t
}

// appearanceCard is the Settings card for the text size and the light or
// dark look; a choice applies at once to every screen. UI goroutine.
func (u *UI) appearanceCard() fyne.CanvasObject {
	prefs := u.fyneApp.Preferences()
	apply := func() { u.fyneApp.Settings().SetTheme(savedTheme(prefs)) }

	sizeLabels := make([]string, len(textSizes))
	current := textSizeLabel(100)
	for i, p := range textSizes {
		sizeLabels[i] = textSizeLabel(p)
		if p == prefs.IntWithFallback(prefTextPercent, 100) {
			current = sizeLabels[i]
		}
	}
	size := widget.NewSelect(sizeLabels, nil)
	size.PlaceHolder = selectOne()
	size.SetSelected(current)
	size.OnChanged = func(label string) {
		for i, l := range sizeLabels {
			if l == label {
				prefs.SetInt(prefTextPercent, textSizes[i])
			}
		}
		apply()
	}

	lookLabels := make([]string, len(looks))
	currentLook := lookLabel(looks[0])
	for i, l := range looks {
		lookLabels[i] = lookLabel(l)
		if l == prefs.String(prefLook) {
			currentLook = lookLabels[i]
		}
	}
	look := widget.NewSelect(lookLabels, nil)
	look.PlaceHolder = selectOne()
	look.SetSelected(currentLook)
	look.OnChanged = func(label string) {
		for i, l := range looks {
			if lookLabels[i] == label {
				prefs.SetString(prefLook, l)
			}
		}
		apply()
	}

	return newCard(lang.L("Appearance"), "", newColumn(0, false,
		labelled(lang.L("Text size"), size, u.win.Canvas().Size().Width),
		labelled(lang.L("Look"), look, u.win.Canvas().Size().Width),
	))
}

// textSizeLabel names a text size: "100 % (normal)", "150 %".
func textSizeLabel(percent int) string {
	if percent == 100 {
		return lang.L("100 % (normal)")
	}
	return fmt.Sprintf("%d %%", percent)
}
