package ui

import (
	"context"
	"errors"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/storage"
)

// DamagedWindow is what Carebook shows instead of its lock screen when
// its data file is too damaged to open (app.Open failed with
// storage.ErrCorrupt): what happened, in plain words, and a button that
// rebuilds the file (app.RebuildDataFile). Once rebuilt, it opens the app
// and hands over to the main window, on its lock screen.
type DamagedWindow struct {
	fyneApp fyne.App
	win     fyne.Window
	cfg     app.Config
	opts    Options
	// Set on the UI goroutine once the file is rebuilt and opened.
	main *UI
	core *app.App
	// done is closed once the patient leaves (see Done).
	done  chan struct{}
	leave func()
}

// NewDamagedWindow builds the window for the damaged data file of
// cfg.DataDir; the main window, once the file is rebuilt, gets opts.
func NewDamagedWindow(a fyne.App, cfg app.Config, opts Options) *DamagedWindow {
	useDeviceSettings(a)
	d := &DamagedWindow{fyneApp: a, win: a.NewWindow(WindowTitle), cfg: cfg, opts: opts, done: make(chan struct{})}
	d.leave = sync.OnceFunc(func() { close(d.done) })
	// Closed before a rebuild opened the main window, this window is the
	// way out; closed to hand over, it is not.
	d.win.SetOnClosed(func() {
		if d.main == nil {
			d.leave()
		}
	})
	d.win.Resize(fyne.NewSize(1024, 720))
	d.win.SetContent(d.screen())
	return d
}

// Window is the window, to show (and run the app's loop with).
func (d *DamagedWindow) Window() fyne.Window { return d.win }

// Done is closed once the patient leaves Carebook: this window closed
// before the file was rebuilt, or the main window that followed it
// closed. (This window also closes when it hands over to the main window:
// that is not leaving.) main watches it, as it does UI.Done, to quit
// even when Fyne's loop hangs on the way out (internal/exitguard).
func (d *DamagedWindow) Done() <-chan struct{} { return d.done }

// Main is the main window once the file was rebuilt, else nil. UI
// goroutine.
func (d *DamagedWindow) Main() *UI { return d.main }

// Close stops the main window's work and closes the app core, if the
// file was rebuilt; call it once the app's loop has ended.
func (d *DamagedWindow) Close() {
	if d.main != nil {
		d.main.Close()
	}
	if d.core != nil {
		d.core.Close()
	}
}

// screen explains the damage and offers the rebuild. UI goroutine.
func (d *DamagedWindow) screen() fyne.CanvasObject {
	problem := errorText()
	status := paragraph("")
	status.Hide()
	var column *fyne.Container
	var rebuild *wrapButton
	rebuild = newWrapButton(lang.L("Rebuild and download my records again"), nil, widget.HighImportance, func() {
		rebuild.Disable()
		problem.Hide()
		status.SetText(lang.L("Rebuilding…"))
		status.Show()
		column.Refresh() // lays out what was shown
		background(context.Background(), func(context.Context) (*app.App, error) {
			if _, err := app.RebuildDataFile(d.cfg.DataDir); err != nil {
				return nil, err
			}
			return app.Open(d.cfg)
		}, func(core *app.App, err error) {
			status.Hide()
			if err != nil {
				rebuild.Enable()
				showError(problem, rebuildProblem(err, d.cfg.DataDir))
				column.Refresh()
				return
			}
			d.core = core
			d.main = NewMainWindow(d.fyneApp, core, d.opts)
			go func(main *UI) {
				<-main.Done()
				d.leave()
			}(d.main)
			d.main.Window().Resize(d.win.Canvas().Size())
			d.main.Window().Show()
			d.win.Close()
		})
	})
	objects := []fyne.CanvasObject{
		logo(80),
		heading(lang.L("Carebook's data file is damaged")),
		paragraph(lang.L("Part of the file where Carebook keeps your records on this device cannot be read: a disk error, or the device stopped while it was writing.")),
		paragraph(lang.L("Carebook can rebuild the file. Your records are downloaded again from your practices the next time you are online. What you wrote and has not been sent yet, your sign-ins, your passphrase and your settings are kept. The damaged file is kept beside the new one, still encrypted, for {{.Days}} days; then Carebook deletes it (a later rebuild deletes it at once). You may delete it sooner.",
			map[string]any{"Days": int(storage.DamagedCopyKeep / (24 * time.Hour))})),
		rebuild, status, problem,
	}
	column = newColumn(560, true, objects...)
	return container.NewVScroll(container.NewPadded(column))
}

// rebuildProblem explains why the rebuild failed, and what is left to do.
func rebuildProblem(err error, dataDir string) string {
	if errors.Is(err, storage.ErrNotRebuildable) {
		return lang.L("The damage reaches what Carebook cannot download again (its keys, your sign-ins, what you have not sent), so it cannot rebuild this file. To start over, quit Carebook and move the folder {{.Folder}} somewhere else; Carebook then starts as new, and you sign in to your practices again.",
			map[string]any{"Folder": dataDir})
	}
	return lang.L("Carebook could not rebuild the file.") + " " + humanStorageError(err)
}

// damagedFileAdvice says what to do about damage found while the app
// runs: the next start checks the whole file and offers to rebuild it.
func damagedFileAdvice() string {
	return lang.L("Quit Carebook and open it again: it will offer to rebuild the file and download your records again. What you wrote and has not been sent is kept.")
}
