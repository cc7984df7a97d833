package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// carebookTheme is Fyne's default theme with Carebook's teal as the primary
// colour and controls tall enough for a finger: 44 units, Apple's 44 points
// (Fyne's default padding makes a button 36). It follows the system's light
// or dark variant and the user's text scale.
type carebookTheme struct{}

var _ fyne.Theme = carebookTheme{}

// Theme returns Carebook's theme.
func Theme() fyne.Theme { return carebookTheme{} }

var (
	tealLight = color.NRGBA{R: 0x0e, G: 0x7c, B: 0x86, A: 0xff}
	tealDark  = color.NRGBA{R: 0x4f, G: 0xc3, B: 0xcc, A: 0xff}
)

func (carebookTheme) Color(name fyne.ThemeColorName, variant fyne.ThemeVariant) color.Color {
	switch name {
	case theme.ColorNamePrimary, theme.ColorNameHyperlink, theme.ColorNameFocus:
		if variant == theme.VariantDark {
			return tealDark
		}
		return tealLight
	}
	return theme.DefaultTheme().Color(name, variant)
}

func (carebookTheme) Font(style fyne.TextStyle) fyne.Resource {
	return theme.DefaultTheme().Font(style)
}

func (carebookTheme) Icon(name fyne.ThemeIconName) fyne.Resource {
	return theme.DefaultTheme().Icon(name)
}

// touchInnerPadding is the padding inside buttons, entries, selects and
// tabs: 12 would make buttons 44 tall, but entries, list rows and the
// passphrase eye a unit or three short of it.
const touchInnerPadding = 13.5

func (carebookTheme) Size(name fyne.ThemeSizeName) float32 {
	if name == theme.SizeNameInnerPadding {
		return touchInnerPadding
	}
	return theme.DefaultTheme().Size(name)
}
