package ui

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// saveInto makes the save dialog save into dir, and returns the names
// asked for, in order.
func saveInto(t *testing.T, dir string) *[]string {
	t.Helper()
	var names []string
	old := chooseSaveFile
	chooseSaveFile = func(_ fyne.Window, name string, done func(fyne.URIWriteCloser, error)) {
		names = append(names, name)
		w, err := storage.Writer(storage.NewFileURI(filepath.Join(dir, name)))
		done(w, err)
	}
	t.Cleanup(func() { chooseSaveFile = old })
	return &names
}

// tapDialog taps the button of the dialog on top whose text starts with
// prefix, after checking the dialog says want.
func tapDialog(t *testing.T, w fyne.Window, want, prefix string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog; screen shows: %s", shownText(w.Content()))
	}
	if !strings.Contains(shownText(top), want) {
		t.Fatalf("the dialog does not say %q: %s", want, shownText(top))
	}
	test.Tap(findButton(t, top, prefix))
}

// TestDocumentsAndExportScreens drives the Documents and "Take it with
// you" sections of the demo patient's record (synced over HTTP) at phone
// and desktop size: the list of documents, searching it, reading one,
// saving it (after the warning that it leaves the encryption); saving
// the health summary PDF and printing it (the system viewer gets the
// PDF); the emergency card and turning on its lock-screen copy (after
// saying what that means). Each screen has room for a finger on every
// target; with CAREBOOK_SHOTS set the screens are written there.
func TestDocumentsAndExportScreens(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) { documentsAndExport(t, size) })
	}
}

func documentsAndExport(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	test.NewTempApp(t)
	lightTheme(t)
	core := connectCore(t, startPractice(t), "maya")
	dir := t.TempDir()
	saved := saveInto(t, dir)
	v := buildRecordView(core.App, core.profile, nil, true)
	w := test.NewWindow(v.CanvasObject())
	v.win = w
	t.Cleanup(w.Close)
	w.Resize(size)

	v.ShowSection("documents")
	docs, err := core.Documents(ctx, core.profile, "")
	if err != nil || len(docs) < 3 {
		t.Fatalf("the demo record has %d documents (%v): the test needs several", len(docs), err)
	}
	assertShows(t, w, "Search your documents", docs[0].Title, "Visit summary")
	assertFits(t, w)
	assertTouchTargets(t, w)
	screenshot(t, w, "documents-"+fmtSize(size))

	// Searching keeps the documents holding every word.
	s := v.section("documents")
	var filter *widget.Entry
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && filter == nil && e.PlaceHolder == "Search your documents" {
			filter = e
		}
	})
	if filter == nil {
		t.Fatal("no search box above the documents")
	}
	test.Type(filter, "care plan")
	want, _ := core.Documents(ctx, core.profile, "care plan")
	if len(want) == 0 || len(want) >= len(docs) || len(s.md.items) != len(want) {
		t.Fatalf("searching \"care plan\": %d rows, the use case finds %d of %d", len(s.md.items), len(want), len(docs))
	}
	assertShows(t, w, want[0].Title)
	filter.SetText("no such words here")
	assertShows(t, w, "No document matches")
	filter.SetText("")

	// Read the first (a visit summary held in the cache) and save it.
	s.md.list.Select(0)
	assertShows(t, w, "Kept on this device: you can read it offline.", "Open", "Save to a file")
	if docs[0].Text != "" {
		assertShows(t, w, strings.SplitN(docs[0].Text, "\n", 2)[0])
	}
	assertFits(t, w)
	assertTouchTargets(t, w)
	screenshot(t, w, "documents-read-"+fmtSize(size))
	test.Tap(findButton(t, w.Content(), "Save to a file"))
	tapDialog(t, w, "is not encrypted", "Choose where")
	if len(*saved) != 1 {
		t.Fatalf("the save dialog was asked %d times", len(*saved))
	}
	got, err := os.ReadFile(filepath.Join(dir, (*saved)[0]))
	wantData, _, _ := core.DocumentFile(ctx, core.profile, docs[0].Ref, docs[0].Attachment)
	if err != nil || !bytes.Equal(got, wantData) {
		t.Errorf("saved %q: %d bytes, %v; want the document's %d", (*saved)[0], len(got), err, len(wantData))
	}

	// The health summary: save it, then print it.
	v.ShowSection("keep")
	assertShows(t, w, "Emergency card", "Health summary (PDF)", "International Patient Summary", "Your whole record")
	k := v.section("keep")
	k.md.list.Select(keepPDF)
	assertShows(t, w, "A few pages to read and print", "is not encrypted", "Save…", "Print…")
	assertFits(t, w)
	assertTouchTargets(t, w)
	screenshot(t, w, "export-pdf-"+fmtSize(size))
	test.Tap(findButton(t, w.Content(), "Save…"))
	tapDialog(t, w, "is not encrypted", "Choose where")
	if len(*saved) != 2 || !strings.HasSuffix((*saved)[1], ".pdf") {
		t.Fatalf("save dialog names: %v", *saved)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, (*saved)[1]))
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("the saved summary is not a PDF: %v", err)
	}
	test.Tap(findButton(t, w.Content(), "Print…"))
	assertShows(t, w, "The summary opened in your PDF viewer")
	core.mu.Lock()
	opened := append([]string(nil), core.opened...)
	core.mu.Unlock()
	if len(opened) != 1 {
		t.Fatalf("the viewer was asked to open %v", opened)
	}
	resp, err := http.Get(opened[0])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Errorf("the viewer got %s", resp.Header.Get("Content-Type"))
	}

	// The IPS saves as JSON.
	k.md.list.Select(keepIPS)
	test.Tap(findButton(t, w.Content(), "Save…"))
	tapDialog(t, w, "is not encrypted", "Choose where")
	if len(*saved) != 3 || !strings.HasPrefix((*saved)[2], "patient-summary-ips") {
		t.Fatalf("save dialog names: %v", *saved)
	}

	// The emergency card; its lock-screen copy only after the warning.
	k.md.list.Select(keepCard)
	c, _ := core.Chart(ctx, core.profile)
	assertShows(t, w, "Allergies", c.Allergies[0].Substance, "Show it on the lock screen", "Off: only you")
	assertFits(t, w)
	assertTouchTargets(t, w)
	screenshot(t, w, "emergency-card-"+fmtSize(size))
	var lock *widget.Check
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if ch, ok := o.(*widget.Check); ok && ch.Text == "Show it on the lock screen" {
			lock = ch
		}
	})
	test.Tap(lock)
	tapDialog(t, w, "without your passphrase", "Cancel")
	if on, _ := core.LockScreenCardOn(ctx, core.profile); on || lock.Checked {
		t.Fatal("cancelled, yet the card is on the lock screen")
	}
	test.Tap(lock)
	tapDialog(t, w, "Only the card is kept that way", "Show it")
	if on, _ := core.LockScreenCardOn(ctx, core.profile); !on {
		t.Fatal("the card is not on the lock screen after \"Show it\"")
	}
	assertShows(t, w, "On: anyone with this device can read this card")
	test.Tap(lock)
	if on, _ := core.LockScreenCardOn(ctx, core.profile); on {
		t.Fatal("turned off, the card is still on the lock screen")
	}
}

// TestLockScreenShowsOnlyTheCard: locked, the window offers the emergency
// card the patient chose to show there, and shows it (allergies, the
// medications), and nothing else of the record; with the card off, the
// lock screen offers nothing.
func TestLockScreenShowsOnlyTheCard(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) { lockScreenCard(t, size) })
	}
}

func lockScreenCard(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	core := connectCore(t, startPractice(t), "maya")
	c, err := core.Chart(ctx, core.profile)
	if err != nil {
		t.Fatal(err)
	}
	card, err := core.EmergencyCard(ctx, core.profile)
	if err != nil || len(card.Allergies) == 0 || len(card.Medications) == 0 {
		t.Fatalf("card %+v %v: the test needs allergies and medications", card, err)
	}
	if err := core.SetLockScreenCard(ctx, core.profile, true); err != nil {
		t.Fatal(err)
	}
	core.Lock()
	u := NewMainWindow(fyneApp, core.App, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(size)
	q.waitShows(t, w, "Carebook is locked", "Emergency card: "+card.Name)
	assertFits(t, w)
	assertTouchTargets(t, w)
	screenshot(t, w, "locked-card-button-"+fmtSize(size))
	test.Tap(findButton(t, w.Content(), "Emergency card: "))
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("the card did not open")
	}
	shown := shownText(top)
	for _, want := range []string{card.Name, c.Allergies[0].Substance, "Medications", "Conditions", "In an emergency call"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the card over the lock screen lacks %q: %s", want, shown)
		}
	}
	screenshot(t, w, "locked-card-"+fmtSize(size))
	// Nothing of the record but the card: no results, no visits, no
	// documents.
	all := shownText(w.Content()) + shown
	for _, o := range c.Observations[:min(len(c.Observations), 20)] {
		if o.Name != "" && strings.Contains(all, o.Name) && !strings.Contains(strings.Join(card.Conditions, " "), o.Name) {
			t.Errorf("locked, the window shows the result %q", o.Name)
		}
	}
	for _, d := range c.Documents {
		if strings.Contains(all, d.Title) {
			t.Errorf("locked, the window shows the document %q", d.Title)
		}
	}
	test.Tap(findButton(t, top, "Close"))
	q.drain()

	// Off: the lock screen offers no card.
	if err := core.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	if err := core.SetLockScreenCard(ctx, core.profile, false); err != nil {
		t.Fatal(err)
	}
	core.Lock()
	u2 := NewMainWindow(fyneApp, core.App, Options{})
	w2 := u2.Window()
	defer w2.Close()
	w2.Resize(size)
	q.waitShows(t, w2, "Carebook is locked")
	q.drain()
	if strings.Contains(shownText(w2.Content()), "Emergency card") {
		t.Error("turned off, the lock screen still offers the card")
	}
}

// TestLabCopyLandsInDocuments: a copy of the lab reports asked for and
// sent by the office is done on the Requests screen, whose "See your
// documents" opens the Documents section, where the copy is.
func TestLabCopyLandsInDocuments(t *testing.T) {
	q := useQueue(t)
	p, u, w := openStaffPractice(t, q, fyne.NewSize(1280, 800))
	ctx := context.Background()
	if _, err := u.core.SendRequest(ctx, u.shell.current.ID, app.RequestInput{Kind: app.RequestLabReportCopy}); err != nil {
		t.Fatal(err)
	}
	p.work(t) // received
	p.work(t) // the copy is sent
	syncNow(t, q, u)
	u.shell.openRequests()
	q.waitShows(t, w, "Your requests", "Done")
	test.Tap(findButton(t, w.Content(), "See your documents"))
	q.waitShows(t, w, "Search your documents", "Copy of lab report (requested online)")
	q.drain()
}

// TestExportMergedInTheWindow: Maya at both demo practices, linked as one
// person: the health summary offers to include her record at the other
// practice, and the PDF saved with it checked names both practices (read
// back with pdftotext).
func TestExportMergedInTheWindow(t *testing.T) {
	ctx := context.Background()
	test.NewTempApp(t)
	lightTheme(t)
	core := openTwoPracticesCore(t)
	river, err := core.ConnectDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lake, err := core.ConnectSecondDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []app.ProfileInfo{river, lake} {
		if err := core.Sync(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := core.LinkProfiles(ctx, river.ID, lake.ID); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	saved := saveInto(t, dir)
	v := buildRecordView(core, river.ID, nil, true)
	w := test.NewWindow(v.CanvasObject())
	v.win = w
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(360, 740))
	v.ShowSection("keep")
	v.section("keep").md.list.Select(keepPDF)
	assertShows(t, w, "Include your records at 1 other practice")
	assertTouchTargets(t, w)
	var merge *widget.Check
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if ch, ok := o.(*widget.Check); ok && strings.HasPrefix(ch.Text, "Include your records") {
			merge = ch
		}
	})
	test.Tap(merge)
	test.Tap(findButton(t, w.Content(), "Save…"))
	tapDialog(t, w, "is not encrypted", "Choose where")
	if len(*saved) != 1 {
		t.Fatalf("saved %v", *saved)
	}
	exe, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext is not installed (Debian package poppler-utils; scripts/deps.sh installs it): cannot read the PDF back")
	}
	out, err := exec.Command(exe, filepath.Join(dir, (*saved)[0]), "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{river.Practice, lake.Practice} {
		if !strings.Contains(text, want) {
			t.Errorf("the merged PDF does not name %q", want)
		}
	}
}
