package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// TestPracticeEducationInDocuments: the demo practice's education
// handouts, synced over HTTP, are listed under Documents as health
// information; searching the title finds one, and with the practice gone
// its page says what it is, who it is from, the health problem it
// explains, and shows its text. In Spanish, at phone size (written to
// $CAREBOOK_SHOTS).
func TestPracticeEducationInDocuments(t *testing.T) {
	ctx := context.Background()
	test.NewTempApp(t)
	lightTheme(t)
	practice := startPractice(t)
	core := connectCore(t, practice, "maya")
	if err := practice.Close(); err != nil { // the network is gone from here on
		t.Fatal(err)
	}
	speakSpanish(t)
	found, err := core.Documents(ctx, core.profile, "high blood pressure")
	if err != nil || len(found) == 0 || found[0].Kind != app.DocEducation || len(found[0].About) == 0 {
		t.Fatalf("searching the handout's title: %+v, %v", found, err)
	}
	handout := found[0]

	v := buildRecordView(core.App, core.profile, nil, true)
	w := test.NewWindow(v.CanvasObject())
	v.win = w
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(360, 740))
	v.ShowSection("documents")
	var filter *widget.Entry
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && filter == nil {
			filter = e
		}
	})
	if filter == nil {
		t.Fatal("no search box above the documents")
	}
	test.Type(filter, "high blood pressure")
	s := v.section("documents")
	if len(s.md.items) != len(found) {
		t.Fatalf("searching the title: %d rows, the use case finds %d", len(s.md.items), len(found))
	}
	assertShows(t, w, handout.Title, "Información de salud")
	s.md.list.Select(0)
	assertShows(t, w, "Información de salud", "Riverside Family Medicine", "Sobre", handout.About[0],
		"Checking at home: sit quietly for 5 minutes")
	assertFits(t, w)
	screenshot(t, w, "es-education-360x740")
}
