package ui

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// contrast is the WCAG 2 contrast ratio of two opaque colours (1 to 21).
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// luminance is a colour's WCAG relative luminance.
func luminance(c color.Color) float64 {
	r, g, b, _ := color.NRGBAModel.Convert(c).RGBA()
	lin := func(v uint32) float64 {
		s := float64(v>>8) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// over composites a translucent colour (a selection, a hover) over an
// opaque background, as the screen shows it.
func over(top, bottom color.Color) color.Color {
	t, b := color.NRGBAModel.Convert(top).(color.NRGBA), color.NRGBAModel.Convert(bottom).(color.NRGBA)
	a := float64(t.A) / 255
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*a + float64(y)*(1-a))) }
	return color.NRGBA{R: mix(t.R, b.R), G: mix(t.G, b.G), B: mix(t.B, b.B), A: 0xff}
}

// TestThemeContrast computes the contrast of every colour Carebook's theme
// draws text in against every background that text is drawn on, in the
// light and the dark look: each must reach WCAG AA for normal text, 4.5:1.
func TestThemeContrast(t *testing.T) {
	const aa = 4.5
	th := Theme()
	backgrounds := []fyne.ThemeColorName{theme.ColorNameBackground, theme.ColorNameInputBackground,
		theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground, theme.ColorNameHeaderBackground, theme.ColorNameButton}
	for _, variant := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		name := map[fyne.ThemeVariant]string{theme.VariantLight: "light", theme.VariantDark: "dark"}[variant]
		c := func(n fyne.ThemeColorName) color.Color { return th.Color(n, variant) }
		type pair struct {
			text, on string
			fg, bg   color.Color
		}
		var pairs []pair
		// Text and links on every surface; selected and hovered list rows.
		for _, bg := range backgrounds {
			for _, fg := range []fyne.ThemeColorName{theme.ColorNameForeground, theme.ColorNameHyperlink, theme.ColorNamePrimary} {
				pairs = append(pairs, pair{string(fg), string(bg), c(fg), c(bg)})
			}
		}
		for _, tint := range []fyne.ThemeColorName{theme.ColorNameSelection, theme.ColorNameHover} {
			pairs = append(pairs, pair{"foreground", string(tint) + " over background", c(theme.ColorNameForeground), over(c(tint), c(theme.ColorNameBackground))})
		}
		// A focused drop-down (filled with the focus colour), button (its
		// colour blended with it) and menu row, under their usual text.
		for _, bg := range []fyne.ThemeColorName{theme.ColorNameBackground, theme.ColorNameInputBackground, theme.ColorNameButton, theme.ColorNameMenuBackground} {
			pairs = append(pairs, pair{"foreground", "focus over " + string(bg), c(theme.ColorNameForeground), over(c(theme.ColorNameFocus), c(bg))})
		}
		pairs = append(pairs, pair{"foregroundOnPrimary", "focus over primary", c(theme.ColorNameForegroundOnPrimary), over(c(theme.ColorNameFocus), c(theme.ColorNamePrimary))})
		// A hint in an empty field.
		pairs = append(pairs, pair{"placeholder", "inputBackground", c(theme.ColorNamePlaceHolder), c(theme.ColorNameInputBackground)})
		// Labels of importance (a warning banner, an error, a success) on
		// the screen, and the text of buttons of that importance.
		for _, imp := range []struct{ colour, on fyne.ThemeColorName }{
			{theme.ColorNamePrimary, theme.ColorNameForegroundOnPrimary},
			{theme.ColorNameError, theme.ColorNameForegroundOnError},
			{theme.ColorNameSuccess, theme.ColorNameForegroundOnSuccess},
			{theme.ColorNameWarning, theme.ColorNameForegroundOnWarning},
		} {
			pairs = append(pairs, pair{string(imp.colour), "background", c(imp.colour), c(theme.ColorNameBackground)})
			pairs = append(pairs, pair{string(imp.on), string(imp.colour) + " button", c(imp.on), c(imp.colour)})
		}
		// The initials on each person's badge.
		for i, b := range badgePalette {
			pairs = append(pairs, pair{"initials", fmt.Sprintf("badge %d", i), color.White, b})
		}
		for _, p := range pairs {
			if r := contrast(p.fg, p.bg); r < aa {
				t.Errorf("%s look: %s text on %s has a contrast of %.2f:1, below WCAG AA's %.1f:1", name, p.text, p.on, r, aa)
			}
		}
	}
}

// TestContrastOfKnownColours checks the contrast function against WCAG's
// own figures, so that TestThemeContrast can fail.
func TestContrastOfKnownColours(t *testing.T) {
	cases := []struct {
		a, b color.Color
		want float64
	}{
		{color.White, color.Black, 21},
		{color.White, color.White, 1},
		{color.NRGBA{0x76, 0x76, 0x76, 0xff}, color.White, 4.54}, // the lightest grey that passes on white
		{color.NRGBA{0xf4, 0x43, 0x36, 0xff}, color.White, 3.68}, // Fyne's error red: fails
	}
	for _, c := range cases {
		if got := contrast(c.a, c.b); math.Abs(got-c.want) > 0.01 {
			t.Errorf("contrast(%v, %v) = %.2f, want %.2f", c.a, c.b, got, c.want)
		}
	}
}

// TestAppearanceChoices: the text size and look saved in Settings make the
// theme; values out of range fall back to the defaults.
func TestAppearanceChoices(t *testing.T) {
	a := test.NewTempApp(t)
	prefs := a.Preferences()
	cases := []struct {
		percent  int
		look     string
		wantText float32
		dark     bool // the look on a light system
	}{
		{0, "", 1, false},
		{150, "dark", 1.5, true},
		{200, "light", 2, false},
		{900, "", 1, false},
	}
	normal := theme.DefaultTheme().Size(theme.SizeNameText)
	for _, c := range cases {
		prefs.SetInt(prefTextPercent, c.percent)
		prefs.SetString(prefLook, c.look)
		th := savedTheme(prefs)
		if got := th.Size(theme.SizeNameText); got != normal*c.wantText {
			t.Errorf("%d %%: text size %v, want %v", c.percent, got, normal*c.wantText)
		}
		if got := th.Size(theme.SizeNameInnerPadding); got != touchInnerPadding {
			t.Errorf("%d %%: inner padding %v: the text size must not change the controls' padding", c.percent, got)
		}
		bg := th.Color(theme.ColorNameBackground, theme.VariantLight)
		if dark := luminance(bg) < 0.2; dark != c.dark {
			t.Errorf("look %q on a light system: background %v, dark %v, want %v", c.look, bg, dark, c.dark)
		}
	}
}

// TestWindowKeepsTheTestsLook: a test that asks for the light look
// (lightTheme) gets it in the main window's captures too: the window
// applies the look saved in Settings as it opens, so the test asks
// through that setting.
func TestWindowKeepsTheTestsLook(t *testing.T) {
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	core := openSetUpCore(t, "the look of the captures", nil)
	defer core.Close()
	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	q.drain()
	if bg := w.Canvas().Capture().At(1, 1); luminance(bg) < 0.8 {
		t.Errorf("the window's background is %v after the test asked for the light look: it is drawn dark", bg)
	}
}

// openMayasShell opens the demo patient's record in a test window of the
// given size, the text size set to percent in the preferences first.
func openMayasShell(t *testing.T, q uiQueue, size fyne.Size, percent int) (*UI, fyne.Window) {
	t.Helper()
	ctx := context.Background()
	fyneApp := test.NewTempApp(t)
	fyneApp.Preferences().SetInt(prefTextPercent, percent)
	fyneApp.Preferences().SetString(prefLook, "light")
	practice := startPractice(t)
	core := openSetUpCore(t, "keyboard and text size", practice)
	t.Cleanup(func() { core.Close() })
	if _, err := core.ConnectDemo(ctx); err != nil {
		t.Fatal(err)
	}
	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	t.Cleanup(w.Close)
	w.Resize(size)
	q.waitShows(t, w, "Hello, Maya", "Updated just now")
	return u, w
}

// TestKeyboardReachesEverything: Alt+number opens each tab, and on each
// tab Tab moves the focus through every control a person can use (buttons,
// fields, drop-downs, checks, links), each once, in the order they are
// shown, top to bottom.
func TestKeyboardReachesEverything(t *testing.T) {
	q := useQueue(t)
	u, w := openMayasShell(t, q, fyne.NewSize(1280, 800), 100)
	shortcuts, ok := w.Canvas().(interface{ TypedShortcut(fyne.Shortcut) })
	if !ok {
		t.Fatal("the test canvas takes no shortcuts")
	}
	for i, it := range u.shell.tabs.Items {
		name := u.shell.nav.title(it)
		shortcuts.TypedShortcut(&desktop.CustomShortcut{KeyName: tabKeys[i], Modifier: fyne.KeyModifierAlt})
		if u.shell.tabs.Selected() != it {
			t.Fatalf("Alt+%d did not open %s", i+1, name)
		}
		q.drain()
		time.Sleep(200 * time.Millisecond) // the tab's content loads
		q.drain()
		content := it.Content
		want := map[fyne.Focusable]string{}
		walkPlaced(content, fyne.NewPos(0, 0), func(o fyne.CanvasObject, _ fyne.Position) {
			if f, ok := o.(fyne.Focusable); ok && o.Size().Width > 0 && !isDisabled(o) {
				want[f] = describeTarget(o)
			}
		})
		if len(want) == 0 {
			t.Fatalf("%s: no control to reach", name)
		}
		reached := map[fyne.Focusable]int{}
		w.Canvas().Unfocus()
		for range 4 * (len(want) + 20) {
			test.FocusNext(w.Canvas())
			if f := w.Canvas().Focused(); f != nil {
				reached[f]++
			}
		}
		for f, what := range want {
			if reached[f] == 0 {
				t.Errorf("%s: Tab never reaches %s", name, what)
			}
		}
	}
}

// isDisabled reports whether a control is disabled (Tab passes it by).
func isDisabled(o fyne.CanvasObject) bool {
	d, ok := o.(fyne.Disableable)
	return ok && d.Disabled()
}

// TestLargeTextFitsAPhone: at the largest text size (200 %) on a phone,
// a card's heading has grown with the text (and stays larger than it), no
// two pieces of text on the dashboard or in Settings are drawn over each
// other and nothing asks for more width than the phone has.
func TestLargeTextFitsAPhone(t *testing.T) {
	layoutCheck(t)
	q := useQueue(t)
	u, w := openMayasShell(t, q, fyne.NewSize(360, 740), 200)
	if got := fyne.CurrentApp().Settings().Theme().Size(theme.SizeNameText); got != 2*theme.DefaultTheme().Size(theme.SizeNameText) {
		t.Fatalf("text size %v at 200 %%", got)
	}
	for i, it := range u.shell.tabs.Items {
		if name := u.shell.nav.title(it); name != "Home" && name != "Settings" {
			continue
		}
		u.shell.tabs.SelectIndex(i)
		q.drain()
		if name := u.shell.nav.title(it); name == "Settings" {
			assertHeadingGrew(t, w.Content(), "Appearance", 2)
		}
		assertMinFits(t, w, 360)
		assertNoTextOverlap(t, w.Content())
		screenshot(t, w, "large-text-"+strings.ToLower(u.shell.nav.title(it))+"-360x740")
	}
}

// assertHeadingGrew fails unless the card heading title under o is drawn
// larger than a heading at the normal text size, and larger than the text
// (itself scale times its normal size).
func assertHeadingGrew(t *testing.T, o fyne.CanvasObject, title string, scale float32) {
	t.Helper()
	normal := theme.DefaultTheme().Size(theme.SizeNameHeadingText)
	text := scale * theme.DefaultTheme().Size(theme.SizeNameText)
	found := false
	walkPlaced(o, fyne.NewPos(0, 0), func(o fyne.CanvasObject, _ fyne.Position) {
		x, ok := o.(*canvas.Text)
		if !ok || x.Text != title {
			return
		}
		found = true
		if x.TextSize <= normal || x.TextSize <= text {
			t.Errorf("card heading %q is drawn at %v: want more than %v (a heading at 100 %%) and %v (the text now)", title, x.TextSize, normal, text)
		}
	})
	if !found {
		t.Errorf("no card heading %q", title)
	}
}

// assertNoTextOverlap fails when two visible pieces of text under o are
// drawn over each other.
func assertNoTextOverlap(t *testing.T, o fyne.CanvasObject) {
	t.Helper()
	type placed struct {
		text string
		min  fyne.Position
		max  fyne.Position
	}
	var texts []placed
	walkPlaced(o, fyne.NewPos(0, 0), func(o fyne.CanvasObject, pos fyne.Position) {
		x, ok := o.(*canvas.Text)
		if !ok || strings.TrimSpace(x.Text) == "" {
			return
		}
		// The text's own extent, not the space its container gave it.
		size := fyne.MeasureText(x.Text, x.TextSize, x.TextStyle)
		size.Width = min(size.Width, x.Size().Width)
		switch x.Alignment {
		case fyne.TextAlignCenter:
			pos.X += (x.Size().Width - size.Width) / 2
		case fyne.TextAlignTrailing:
			pos.X += x.Size().Width - size.Width
		}
		texts = append(texts, placed{x.Text, pos, pos.Add(fyne.NewPos(size.Width, size.Height))})
	})
	const slack = 1 // rounding
	for i, a := range texts {
		for _, b := range texts[i+1:] {
			if a.min.X+slack < b.max.X && b.min.X+slack < a.max.X && a.min.Y+slack < b.max.Y && b.min.Y+slack < a.max.Y {
				t.Errorf("%q at %v and %q at %v are drawn over each other", a.text, a.min, b.text, b.min)
			}
		}
	}
}
