package ui

import (
	"net/url"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// TestOutsideLinksAsk: the practice's terms of use open in the browser
// only after the patient saw where they lead and chose Open.
func TestOutsideLinksAsk(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	var opened []string
	old := openURL
	openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	t.Cleanup(func() { openURL = old })

	w := test.NewWindow(nil)
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	const terms = "https://portal.riverside.example/terms"
	w.SetContent(practiceLinks(w, app.ProfileInfo{TermsURL: terms}))

	var link *widget.Hyperlink
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if h, ok := o.(*widget.Hyperlink); ok && h.Text == "Terms of use" {
			link = h
		}
	})
	if link == nil {
		t.Fatalf("no Terms of use link: %s", shownText(w.Content()))
	}
	for _, choice := range []string{"Cancel", "Open"} {
		// On the words: a hyperlink takes taps on its text only.
		test.TapAt(link, fyne.NewPos(link.Size().Width/2, 15))
		top := w.Canvas().Overlays().Top()
		if top == nil || !strings.Contains(shownText(top), "at portal.riverside.example") {
			t.Fatalf("no question naming the site before leaving: %v", top)
		}
		if len(opened) != 0 {
			t.Fatalf("opened %v before the patient chose", opened)
		}
		test.Tap(findButton(t, top, choice))
	}
	if len(opened) != 1 || opened[0] != terms {
		t.Fatalf("opened %v, want only %s after Open", opened, terms)
	}
}
