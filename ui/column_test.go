package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// TestColumnWrappedLabelsDoNotOverlap is the bug a VBox has on a phone: a
// wrapped label measured before it knows its width overlaps the next one.
func TestColumnWrappedLabelsDoNotOverlap(t *testing.T) {
	test.NewTempApp(t)
	long := strings.Repeat("Your health record from every practice you visit. ", 6)
	first, second := wrapped(long), wrapped(long)

	tests := []struct {
		name     string
		size     fyne.Size
		maxWidth float32
	}{
		{"phone", fyne.NewSize(360, 740), 560},
		{"desktop", fyne.NewSize(1280, 800), 560},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := newColumn(tt.maxWidth, true, first, second)
			w := test.NewWindow(col)
			defer w.Close()
			w.Resize(tt.size)

			if first.Size().Width > tt.maxWidth {
				t.Errorf("column is %v wide, want at most %v", first.Size().Width, tt.maxWidth)
			}
			if end := first.Position().Y + first.Size().Height; end > second.Position().Y {
				t.Errorf("first label ends at y=%v, after the second starts at y=%v", end, second.Position().Y)
			}
			if first.Size().Height < 2*first.MinSize().Height/3 || first.Size().Height < 60 {
				t.Errorf("first label got height %v: it was not measured at its wrapped width", first.Size().Height)
			}
		})
	}
}

// TestScreensFitAPhone: the screens shown before the record (set-up, lock,
// waiting messages) never ask for more width than a phone has, or the
// real window grows past the screen and stays so.
func TestScreensFitAPhone(t *testing.T) {
	layoutCheck(t)
	test.NewTempApp(t)
	screens := map[string]fyne.CanvasObject{
		"welcome":    welcomeScreen(),
		"demo start": messageScreen("Opening the demo practice…", "Carebook is starting a demo practice on this computer and signing in its demo patient."),
		"cannot open": messageScreen("Carebook cannot open its data",
			"Something went wrong reading Carebook's data folder (/home/someone/.local/share/carebook)."),
	}
	for name, screen := range screens {
		t.Run(name, func(t *testing.T) {
			w := test.NewWindow(screen)
			defer w.Close()
			w.Resize(fyne.NewSize(360, 740))
			assertMinFits(t, w, 360)
			assertTouchTargets(t, w)
		})
	}
}

// TestColumnHeightFollowsText: a wrapped label whose text grows after the
// column was laid out gets the height of its new text at the next layout,
// and what follows it moves down; at phone and desktop size.
func TestColumnHeightFollowsText(t *testing.T) {
	test.NewTempApp(t)
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) {
			grows, next := wrapped("Loading…"), wrapped("What follows")
			col := newColumn(560, false, grows, next)
			w := test.NewWindow(col)
			defer w.Close()
			w.Resize(size)
			before := grows.Size().Height

			grows.SetText(strings.Repeat("Your health record from every practice you visit. ", 6))
			col.Refresh()
			if got := grows.Size().Height; got < 2*before {
				t.Errorf("label is %v high after its text grew to several lines, %v before", got, before)
			}
			if got, want := grows.Size().Height, grows.MinSize().Height; got != want {
				t.Errorf("label is %v high, its text needs %v", got, want)
			}
			if end := grows.Position().Y + grows.Size().Height; end > next.Position().Y {
				t.Errorf("grown label ends at y=%v, after the next starts at y=%v", end, next.Position().Y)
			}
		})
	}
}
