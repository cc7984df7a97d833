package ui

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/internal/filedamage"
	"github.com/carebook/carebook/storage"
)

// damagedTestStorage are the storage options of these tests: a cheap key
// derivation, no keyring.
var damagedTestStorage = storage.Options{KDF: &storage.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, NoKeyring: true}

// storeWithProfile sets up a new data file in dir with one profile and
// returns it open (the caller closes it).
func storeWithProfile(t *testing.T, dir string) *storage.Store {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(dir, damagedTestStorage)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Setup(ctx, msgPassphrase); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: "p1", Label: "Maya"}); err != nil {
		t.Fatal(err)
	}
	return st
}

// damagePage overwrites one page of table in the data file of dir with
// junk and leaves a write-ahead log behind, as a disk error and a killed
// process would.
func damagePage(t *testing.T, dir, table string) {
	t.Helper()
	path := filepath.Join(dir, storage.FileName)
	if err := filedamage.Page(path, table); err != nil {
		t.Fatal(err)
	}
	if err := filedamage.LeaveLog(path); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedFileRebuiltInTheWindow: a data file whose cached record is
// damaged does not open; the window says so in plain words and, at the
// patient's word, rebuilds it and hands over to the lock screen; after
// the unlock the record is downloaded again (the messages are back), and
// the damaged file is kept beside the new one.
func TestDamagedFileRebuiltInTheWindow(t *testing.T) {
	q := useQueue(t)
	test.NewTempApp(t)
	lightTheme(t)
	p := startMsgPractice(t)
	dir := t.TempDir()
	core := openMsgCore(t, p, dir)
	core.Close()
	damagePage(t, dir, "resources")
	cfg := app.Config{
		DataDir: dir, IdleTimeout: -1, Now: p.clock,
		Storage: damagedTestStorage,
		Demo:    func(context.Context) (app.DemoPractice, error) { return keepOpen{p}, nil },
	}
	if _, err := app.Open(cfg); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("app.Open of the damaged file: %v, want ErrCorrupt", err)
	}

	d := NewDamagedWindow(fyne.CurrentApp(), cfg, Options{})
	defer d.Close()
	lightTheme(t)
	w := d.Window()
	w.Resize(fyne.NewSize(360, 740))
	q.waitShows(t, w, "Carebook's data file is damaged", "What you wrote and has not been sent yet")
	q.drain()
	assertFits(t, w)
	screenshot(t, w, "damaged-file-360x740")
	test.Tap(findButton(t, w.Content(), "Rebuild and download"))
	q.waitFor(t, "the main window", func() bool { return d.Main() != nil })
	mw := d.Main().Window()
	q.waitShows(t, mw, "Carebook is locked")
	test.Type(findEntries(mw.Content())[0], msgPassphrase)
	test.Tap(findButton(t, mw.Content(), "Unlock"))
	q.waitShows(t, mw, "Hello, Maya", "Updated just now")
	selectTab(t, mw, "Messages")
	q.waitShows(t, mw, "Your recent lab results")
	if copies, _ := filepath.Glob(filepath.Join(dir, storage.FileName+".damaged-*")); len(copies) != 1 {
		t.Errorf("damaged copies kept: %v, want one", copies)
	}
}

// TestDamagedBeyondRebuildSaysWhatToDo: when the damage reaches what
// cannot be downloaded again, the window says the file cannot be rebuilt
// and how to start over (naming the folder), and the file is left as it
// was.
func TestDamagedBeyondRebuildSaysWhatToDo(t *testing.T) {
	q := useQueue(t)
	test.NewTempApp(t)
	lightTheme(t)
	dir := t.TempDir()
	opts := damagedTestStorage
	st := storeWithProfile(t, dir)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	damagePage(t, dir, "profiles")
	before, err := os.ReadFile(filepath.Join(dir, storage.FileName))
	if err != nil {
		t.Fatal(err)
	}

	d := NewDamagedWindow(fyne.CurrentApp(), app.Config{DataDir: dir, IdleTimeout: -1, Storage: opts}, Options{})
	defer d.Close()
	lightTheme(t)
	w := d.Window()
	w.Resize(fyne.NewSize(360, 740))
	q.waitShows(t, w, "Carebook's data file is damaged")
	test.Tap(findButton(t, w.Content(), "Rebuild and download"))
	q.waitShows(t, w, "cannot rebuild this file", "move the folder")
	q.drain()
	assertFits(t, w)
	screenshot(t, w, "damaged-beyond-rebuild-360x740")
	if d.Main() != nil {
		t.Fatal("a main window opened on a file that was not rebuilt")
	}
	after, err := os.ReadFile(filepath.Join(dir, storage.FileName))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the damaged file changed (%v)", err)
	}
	// The folder is named (its long name wraps: compared without the
	// line breaks).
	if shown := strings.ReplaceAll(shownText(w.Content()), " ", ""); !strings.Contains(shown, strings.ReplaceAll(dir, " ", "")) {
		t.Errorf("the folder %s is not named: %s", dir, shownText(w.Content()))
	}
	// Closing this window, with no main window after it, is leaving
	// Carebook: main's exit guard watches Done.
	assertLeft(t, d, false)
	w.Close()
	assertLeft(t, d, true)
}

// assertLeft checks whether d says the patient left Carebook (Done).
func assertLeft(t *testing.T, d *DamagedWindow, want bool) {
	t.Helper()
	wait := time.Second // for Done to close when it should not
	if want {
		wait = 10 * time.Second
	}
	select {
	case <-d.Done():
		if !want {
			t.Fatal("Done closed while the patient has not left Carebook")
		}
	case <-time.After(wait):
		if want {
			t.Fatal("Done still open after the patient left Carebook")
		}
	}
}

// TestDamagedRebuildRefusedWhileInUse: while another Carebook program has
// the data folder open (a second window of the app at its lock screen),
// the rebuild is refused in plain words, the file is left as it was, and
// no main window opens; once that program is closed, the same button
// rebuilds the file and hands over to the lock screen.
func TestDamagedRebuildRefusedWhileInUse(t *testing.T) {
	q := useQueue(t)
	test.NewTempApp(t)
	lightTheme(t)
	dir := t.TempDir()
	opts := damagedTestStorage
	other := storeWithProfile(t, dir)
	defer other.Close()
	path := filepath.Join(dir, storage.FileName)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	d := NewDamagedWindow(fyne.CurrentApp(), app.Config{DataDir: dir, IdleTimeout: -1, Storage: opts}, Options{})
	defer d.Close()
	lightTheme(t)
	w := d.Window()
	w.Resize(fyne.NewSize(360, 740))
	q.waitShows(t, w, "Carebook's data file is damaged", "for 30 days")
	test.Tap(findButton(t, w.Content(), "Rebuild and download"))
	q.waitShows(t, w, "Carebook could not rebuild the file", "Another Carebook window, or carebook-cli, is using this data file")
	q.drain()
	assertFits(t, w)
	screenshot(t, w, "damaged-in-use-360x740")
	if d.Main() != nil {
		t.Fatal("a main window opened while the file was in use")
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(before, after) {
		t.Errorf("the file changed (%v)", err)
	}
	if copies, _ := filepath.Glob(path + ".damaged-*"); len(copies) != 0 {
		t.Errorf("damaged copies made while in use: %v", copies)
	}

	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	test.Tap(findButton(t, w.Content(), "Rebuild and download"))
	q.waitFor(t, "the main window", func() bool { return d.Main() != nil })
	q.waitShows(t, d.Main().Window(), "Carebook is locked")
	// This window closed to hand over: not leaving. Closing the main
	// window is.
	assertLeft(t, d, false)
	d.Main().Window().Close()
	assertLeft(t, d, true)
}

// damagedDashSource is a record whose data file the background check
// found damaged.
type damagedDashSource struct{}

func (damagedDashSource) Dashboard(context.Context, string) (app.Dashboard, error) {
	return app.Dashboard{Profile: app.ProfileInfo{ID: "p1", Label: "Maya Rivera", Self: true, UserName: "Maya"},
		PatientName: "Maya Rivera", FileDamaged: true}, nil
}

// TestDamageFoundWhileRunningOnTheHomeScreen: damage the background check
// found while the app runs is said on the home screen, with what to do.
func TestDamageFoundWhileRunningOnTheHomeScreen(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	d := newDashboardView(context.Background(), damagedDashSource{}, "p1", func(string) {})
	w := test.NewWindow(d.CanvasObject())
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(360, 740))
	vm, err := d.loadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d.applyAll(vm)
	assertShows(t, w, "Carebook's data file is damaged", "Quit Carebook and open it again", "What you wrote and has not been sent is kept")
	assertFits(t, w)
}
