package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/assets"
	"github.com/carebook/carebook/internal/exitguard"
	"github.com/carebook/carebook/internal/idleloop"
	"github.com/carebook/carebook/internal/version"
	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/ui"
)

func main() {
	dataDir := flag.String("data", "", "folder of the encrypted cache (default: the user's data folder)")
	demoMode := flag.Bool("demo", false, "open the built-in demo practice's dashboard straight away (with CAREBOOK_PASSPHRASE set, no prompt)")
	demoAs := flag.String("demo-as", "", "with --demo: open a record of another demo person: amara (her first child), amara:2, lucia, jose")
	open := flag.String("open", "", "with --demo: what to show first: a section of the record (results, medications, ...), requests, settings or details")
	windowSize := flag.String("window-size", "", "initial window size, WIDTHxHEIGHT (e.g. 360x740 for a phone)")
	showVersion := flag.Bool("version", false, "print the version and the commit it was built from, then exit")
	flag.Parse()

	size, err := parseSize(*windowSize)
	if err != nil {
		fail(2, err)
	}
	if *dataDir, err = storage.DirOrDefault(*dataDir); err != nil {
		fail(1, err)
	}

	a := fyneapp.NewWithID("app.carebook.carebook")
	if *showVersion {
		// A build by `fyne package` carries its commit in the app's
		// metadata; `make build` passes it to the linker.
		if version.Commit == "" {
			version.Commit = a.Metadata().Custom["commit"]
		}
		fmt.Println(version.String("carebook"))
		return
	}
	a.SetIcon(assets.Icon)

	cfg := app.Config{
		DataDir: *dataDir,
		OpenBrowser: func(u string) error {
			parsed, err := url.Parse(u)
			if err != nil {
				return err
			}
			idleloop.Wake() // the event loop may sleep; it runs this first
			fyne.DoAndWait(func() { err = a.OpenURL(parsed) })
			return err
		},
		Demo: func(ctx context.Context) (app.DemoPractice, error) {
			// A fresh demo practice each start (its appointments and
			// free times are always relative to today), at the same
			// address, so the demo profiles keep theirs.
			// Its demo accounts' password is published, so hashing it
			// at the production cost would only slow every start.
			return demo.Start(ctx, demo.Options{PortFile: filepath.Join(*dataDir, "demo-practice.port"), PasswordCost: 64})
		},
		SecondDemo: func(ctx context.Context) (app.DemoPractice, error) {
			// A second practice that also sees the demo patient, to show
			// one person's records at two practices merged.
			return demo.StartSecond(ctx, demo.Options{PortFile: filepath.Join(*dataDir, "demo-practice-2.port"), PasswordCost: 64})
		},
	}
	// The event loop sleeps while nothing happens (see idleloop), until
	// it has ended.
	stopIdle := idleloop.Start()
	opts := ui.Options{Demo: *demoMode, DemoAs: *demoAs, Open: *open, Passphrase: os.Getenv("CAREBOOK_PASSPHRASE")}
	core, err := app.Open(cfg)
	if errors.Is(err, storage.ErrCorrupt) {
		// The data file is damaged: the patient is told, in a window,
		// and may have it rebuilt; the main window follows.
		d := ui.NewDamagedWindow(a, cfg, opts)
		if size != (fyne.Size{}) {
			d.Window().Resize(size)
		}
		run(d.Window(), d.Done(), func() {
			stopIdle()
			d.Close()
		})
		return
	}
	if err != nil {
		fail(1, fmt.Errorf("open %s: %w", *dataDir, err))
	}

	w := ui.NewMainWindow(a, core, opts)
	if size != (fyne.Size{}) {
		w.Window().Resize(size)
	}
	// The way out: the window stops its work before the core closes (and
	// locks).
	run(w.Window(), w.Done(), func() {
		stopIdle()
		w.Close()
		core.Close()
	})
}

// run shows win and runs Fyne's loop, then takes the way out once. Fyne's
// loop can hang at exit (see exitguard): then a guard takes the way out
// and exits, a few seconds after left was closed (the patient closed the
// app's last window) or SIGINT or SIGTERM came.
func run(win fyne.Window, left <-chan struct{}, wayOut func()) {
	finish := exitguard.Once(wayOut)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go exitguard.Watch(left, signals, exitguard.Grace, idleloop.Wake, finish, os.Exit)
	win.ShowAndRun()
	finish()
}

func parseSize(s string) (fyne.Size, error) {
	if s == "" {
		return fyne.Size{}, nil
	}
	var w, h float32
	if _, err := fmt.Sscanf(s, "%gx%g", &w, &h); err != nil || w <= 0 || h <= 0 {
		return fyne.Size{}, fmt.Errorf("--window-size %q: want WIDTHxHEIGHT, e.g. 360x740", s)
	}
	return fyne.NewSize(w, h), nil
}

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "carebook:", err)
	os.Exit(code)
}
