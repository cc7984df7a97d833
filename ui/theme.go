package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// carebookTheme is Fyne's default theme with Carebook's teal as the primary
// colour, colours that every piece of text can be read on at WCAG AA
// contrast (4.5:1; TestThemeContrast computes them), controls tall enough
// for a finger (44 units, Apple's 44 points; Fyne's default padding makes a
// button 36), and the user's choices from Settings: a text size from 100 to
// 200 % and a light or dark look (else the system's).
type carebookTheme struct {
	// textScale multiplies the size of text (1 to 2).
	textScale float32
	// variant forces the light or dark look; nil follows the system.
	variant *fyne.ThemeVariant
}

var _ fyne.Theme = carebookTheme{}

// Theme returns Carebook's theme at its default text size, following the
// system's light or dark look.
func Theme() fyne.Theme { return carebookTheme{textScale: 1} }

// The colours that differ from Fyne's default theme, light and dark. Fyne's
// own error, success and warning colours (bright red, green and orange)
// are too light for text on white, and white text on the dark theme's
// teal buttons is unreadable: see TestThemeContrast.
var (
	tealLight = color.NRGBA{R: 0x0b, G: 0x6e, B: 0x77, A: 0xff}
	tealDark  = color.NRGBA{R: 0x4f, G: 0xc3, B: 0xcc, A: 0xff}
	// The focus is a tint of the teal, as Fyne's is of its blue: Fyne
	// fills a focused drop-down (the switcher once tapped), button or menu
	// row with it under their usual text, which the opaque teal made
	// unreadable.
	focusLight = color.NRGBA{R: 0x0b, G: 0x6e, B: 0x77, A: 0x40}
	focusDark  = color.NRGBA{R: 0x4f, G: 0xc3, B: 0xcc, A: 0x40}

	lightColors = map[fyne.ThemeColorName]color.Color{
		theme.ColorNamePrimary:     tealLight,
		theme.ColorNameHyperlink:   tealLight,
		theme.ColorNameFocus:       focusLight,
		theme.ColorNamePlaceHolder: color.NRGBA{R: 0x66, G: 0x66, B: 0x66, A: 0xff},
		theme.ColorNameError:       color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff},
		theme.ColorNameSuccess:     color.NRGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff},
		theme.ColorNameWarning:     color.NRGBA{R: 0x9a, G: 0x57, B: 0x00, A: 0xff},
	}
	darkColors = map[fyne.ThemeColorName]color.Color{
		theme.ColorNamePrimary:             tealDark,
		theme.ColorNameHyperlink:           tealDark,
		theme.ColorNameFocus:               focusDark,
		theme.ColorNameForegroundOnPrimary: color.NRGBA{R: 0x17, G: 0x17, B: 0x18, A: 0xff},
		theme.ColorNameError:               color.NRGBA{R: 0xf2, G: 0x8b, B: 0x82, A: 0xff},
		theme.ColorNameSuccess:             color.NRGBA{R: 0x81, G: 0xc9, B: 0x95, A: 0xff},
		theme.ColorNameWarning:             color.NRGBA{R: 0xff, G: 0xb7, B: 0x4d, A: 0xff},
	}
)

func (t carebookTheme) Color(name fyne.ThemeColorName, variant fyne.ThemeVariant) color.Color {
	if t.variant != nil {
		variant = *t.variant
	}
	colors := lightColors
	if variant == theme.VariantDark {
		colors = darkColors
	}
	if c, ok := colors[name]; ok {
		return c
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

// scaledSizes grow with the text size the user chose: the text of labels,
// buttons, fields and captions. Headings grow too, by half as much (at
// 200 % a heading is 1.5 times its size, still larger than the text under
// it, and a card's title wraps: see newCard). Icons keep their size, so
// the tabs still fit across a phone.
var scaledSizes = map[fyne.ThemeSizeName]bool{
	theme.SizeNameText: true, theme.SizeNameCaptionText: true,
}

// headingSizes are the sizes of headings, which grow by half as much.
var headingSizes = map[fyne.ThemeSizeName]bool{
	theme.SizeNameHeadingText: true, theme.SizeNameSubHeadingText: true,
}

func (t carebookTheme) Size(name fyne.ThemeSizeName) float32 {
	if name == theme.SizeNameInnerPadding {
		return touchInnerPadding
	}
	size := theme.DefaultTheme().Size(name)
	switch {
	case t.textScale <= 1:
	case scaledSizes[name]:
		size *= t.textScale
	case headingSizes[name]:
		size *= 1 + (t.textScale-1)/2
	}
	return size
}
