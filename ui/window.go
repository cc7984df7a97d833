package ui

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/locfmt"
)

// WindowTitle is the title of Carebook's main window (screenshot scripts
// find the window by it).
const WindowTitle = "Carebook"

// Options change how the window starts.
type Options struct {
	// Demo goes straight to the demo practice's dashboard: it sets up or
	// unlocks with Passphrase (or the keyring when it is empty) and
	// connects the demo practice if no profile of it exists yet.
	Demo bool
	// Passphrase is used by Demo; never shown.
	Passphrase string
	// DemoAs, with Demo, shows a record of another of the demo practice's
	// people: "amara" (her first child), "amara:2" (her second), "lucia".
	DemoAs string
	// Open names what Demo shows first: a section of the record
	// ("results", "medications", ...), "requests", "settings" or "details"; "" is the
	// dashboard.
	Open string
}

// UI is Carebook's main window and the screen it shows. Its methods run on
// the UI goroutine unless their comment says otherwise.
type UI struct {
	fyneApp fyne.App
	core    *app.App
	win     fyne.Window

	// ctx belongs to the screen on show; it is cancelled when another
	// screen replaces it, so late results of the old one are dropped.
	ctx    context.Context
	cancel context.CancelFunc
	// focusOnShow, when set by a screen constructor, receives the keyboard
	// focus once the screen is on show.
	focusOnShow fyne.Focusable
	// shell is the signed-in screen when it is on show, else nil.
	shell *shell
	opts  Options
	// mobile: a phone or tablet, where leaving the app starts the
	// background lock.
	mobile bool
	// doOnUI is the package's doOnUI when the window was made (read there,
	// on the UI goroutine, for goroutines to use).
	doOnUI func(func())
	// closed is set once the window's work ended (Close), and done is
	// closed then; stopEvents ends the subscription to the core's events.
	closed     atomic.Bool
	done       chan struct{}
	stopEvents func()
	// inBackground: a phone app not in the foreground (no background
	// sync then).
	inBackground bool
	// bgStop stops the background sync this window started, or is nil.
	bgStop func()
}

// NewMainWindow creates Carebook's main window on a for the core, with the
// theme and icon applied, and starts on the right screen (set-up, lock or
// home). UI goroutine.
func NewMainWindow(a fyne.App, core *app.App, opts Options) *UI {
	useDeviceSettings(a)
	u := &UI{fyneApp: a, core: core, win: a.NewWindow(WindowTitle), opts: opts, mobile: a.Driver().Device().IsMobile(), doOnUI: doOnUI,
		done: make(chan struct{})}
	u.win.Resize(fyne.NewSize(1024, 720))
	u.win.Canvas().SetOnTypedKey(func(*fyne.KeyEvent) { core.Touch() })
	u.win.Canvas().SetOnTypedRune(func(rune) { core.Touch() })
	u.addTabShortcuts()
	u.win.SetContent(welcomeScreen())
	core.SetNotifier(systemNotifier{app: a, do: doOnUI})
	u.applySavedIdleTimeout()
	u.followLifecycle()
	u.watchEvents()
	if opts.Demo {
		u.startDemo()
	} else {
		u.showHome()
	}
	return u
}

// startDemo unlocks (or sets up) with the given passphrase and opens the
// demo practice's dashboard, connecting it first if needed. Any failure
// falls back to the normal start, with the reason on screen.
func (u *UI) startDemo() {
	u.showScreen(func() fyne.CanvasObject {
		return messageScreen(lang.L("Opening the demo practice…"), lang.L("Carebook is starting a demo practice on this computer and signing in its demo patient."))
	})
	pass := u.opts.Passphrase
	background(u.ctx, func(ctx context.Context) (app.ProfileInfo, error) {
		st, err := u.core.State(ctx)
		switch {
		case err != nil:
			return app.ProfileInfo{}, err
		case st == app.NeedsSetup:
			err = u.core.Setup(ctx, pass)
		case st == app.LockedState:
			err = u.core.Unlock(ctx, pass)
		}
		if err != nil {
			return app.ProfileInfo{}, err
		}
		if u.opts.DemoAs != "" {
			user, nth, _ := strings.Cut(u.opts.DemoAs, ":")
			n, _ := strconv.Atoi(nth)
			return u.core.DemoProfileOf(ctx, user, max(n, 1)-1)
		}
		return u.core.DemoProfile(ctx)
	}, func(p app.ProfileInfo, err error) {
		if err != nil {
			u.showHome()
			return
		}
		background(u.ctx, u.core.Profiles, func(ps []app.ProfileInfo, err error) {
			if err != nil || len(ps) == 0 {
				u.showHome()
				return
			}
			u.showShell(ps, p.ID)
			switch {
			case u.shell == nil || u.shell.tabs == nil || u.opts.Open == "":
			case u.opts.Open == "settings":
				u.shell.tabs.Select(u.shell.settingsTab)
			case u.opts.Open == "requests":
				u.shell.openRequests()
			case u.opts.Open == "details":
				u.shell.showDetails()
			default:
				u.shell.openSection(u.opts.Open)
			}
		})
	})
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Done is closed once the window's work ended (Close): when the window
// closed, or when main closed it after the app's loop returned.
func (u *UI) Done() <-chan struct{} { return u.done }

// useDeviceSettings makes the screens follow the device's locale and
// language, and the theme the patient chose (Settings › Appearance), as
// every window does before it shows anything. UI goroutine.
func useDeviceSettings(a fyne.App) {
	locfmt.SetCurrent(deviceLocale())
	useSystemLanguage()
	a.Settings().SetTheme(savedTheme(a.Preferences()))
}

// newScreenContext cancels the current screen's work and returns a fresh
// context for the screen about to be built.
func (u *UI) newScreenContext() context.Context {
	if u.cancel != nil {
		u.cancel()
	}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	return u.ctx
}

// showHome shows what the session state calls for: set-up on a new
// install, the lock screen while locked, otherwise the home screen.
func (u *UI) showHome() {
	u.core.Touch()
	type home struct {
		state         app.LockState
		hasPassphrase bool
	}
	background(u.newScreenContext(), func(ctx context.Context) (home, error) {
		st, err := u.core.State(ctx)
		if err != nil {
			return home{}, err
		}
		h := home{state: st}
		if st == app.LockedState {
			h.hasPassphrase, err = u.core.HasPassphrase(ctx)
		}
		return h, err
	}, func(h home, err error) {
		switch {
		case err != nil:
			u.showScreen(func() fyne.CanvasObject {
				return messageScreen(lang.L("Carebook cannot open its data"),
					lang.L("Something went wrong reading Carebook's data folder ({{.Folder}}).", map[string]any{"Folder": u.core.DataDir()})+
						" "+humanStorageError(err))
			})
		case h.state == app.NeedsSetup:
			u.showScreen(u.setupScreen)
		case h.state == app.LockedState:
			u.showScreen(func() fyne.CanvasObject { return u.lockScreen(h.hasPassphrase) })
		default:
			u.showUnlockedHome()
		}
	})
}

// showScreen builds a screen with a fresh context and shows it.
func (u *UI) showScreen(build func() fyne.CanvasObject) {
	u.newScreenContext()
	u.shell = nil
	content := build()
	u.win.SetContent(content)
	if u.focusOnShow != nil {
		u.win.Canvas().Focus(u.focusOnShow)
		u.focusOnShow = nil
	}
}

// followLifecycle locks a phone app that stays in the background longer
// than the grace period the patient chose. On desktops Fyne reports a
// window losing focus as leaving the foreground: nothing happens then
// (background sync and notifications go on; the idle lock applies), and
// Fyne reports no minimising apart from focus. This is the one place that
// sets the lifecycle hooks: add any other reaction to them here. UI
// goroutine.
func (u *UI) followLifecycle() {
	if !u.mobile {
		return
	}
	lc := u.fyneApp.Lifecycle()
	// A phone app in the background neither syncs nor notifies: the
	// system may stop it at any time, and the patient is elsewhere.
	lc.SetOnExitedForeground(func() {
		u.inBackground = true
		u.stopBackgroundSync()
		u.core.WentToBackground()
	})
	lc.SetOnEnteredForeground(func() {
		u.inBackground = false
		u.core.CameToForeground()
		if !u.core.Locked() {
			u.startBackgroundSync()
		}
	})
}

// Close ends the window's work: it stops following the core's events and
// the background sync. The window calls it when it closes; main calls it
// after the app's loop returned, before closing the core (whose lock
// would otherwise reach a screen that no longer exists). UI goroutine, or
// after the loop returned; more than once is fine.
func (u *UI) Close() {
	if u.closed.Swap(true) {
		return
	}
	close(u.done)
	if u.stopEvents != nil {
		u.stopEvents()
	}
	u.stopBackgroundSync()
}

// watchEvents follows the core's events for the life of the window: a lock
// (on request or after idling) replaces whatever is on show at once.
func (u *UI) watchEvents() {
	events, stop := u.core.Events()
	u.stopEvents = stop
	u.win.SetOnClosed(u.Close)
	// Work for the window is dropped once it closed: after the app's loop
	// ended, fyne.Do runs it at once on this goroutine, where drawing
	// panics ("GLFW library is not initialized", seen when the core's
	// lock on the way out published Locked).
	do := func(f func()) {
		doOnUI := u.doOnUI
		doOnUI(func() {
			if !u.closed.Load() {
				f()
			}
		})
	}
	go func() {
		var lastProgress time.Time
		for ev := range events {
			if _, ok := ev.(app.Locked); ok {
				do(u.showHome)
				continue
			}
			// Progress comes by the thousand in a big sync: only a few a
			// second reach the screen. That the sync sends (no type) always
			// does: it comes once or twice a sync, and may follow the
			// pull's last progress closely, which would stay on show for
			// the whole upload.
			if pr, ok := ev.(app.SyncProgress); ok && pr.Type != "" {
				if time.Since(lastProgress) < progressInterval {
					continue
				}
				lastProgress = time.Now()
			}
			do(func() {
				if u.shell != nil {
					u.shell.onEvent(ev)
				}
			})
		}
	}()
}

// messageScreen is a full-window explanation with no actions. UI goroutine.
func messageScreen(title, text string) fyne.CanvasObject {
	return newColumn(560, true, logo(80), heading(title), paragraph(text))
}
