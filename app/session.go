package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"golang.org/x/sync/singleflight"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/smart"
)

// DefaultIdleTimeout is how long the app stays unlocked without user
// activity before it locks itself.
const DefaultIdleTimeout = 5 * time.Minute

// Config configures Open.
type Config struct {
	// DataDir is the folder of the encrypted cache; "" means
	// storage.DefaultDir().
	DataDir string
	// Storage passes options to the cache (keyring, KDF cost).
	Storage storage.Options
	// IdleTimeout locks the app after this long without Touch; 0 means
	// DefaultIdleTimeout and a negative value never locks on idle.
	IdleTimeout time.Duration
	// OpenBrowser opens a URL in the system browser, for SMART sign-in.
	OpenBrowser func(url string) error
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Demo starts the built-in demo practice; nil when the build has none.
	Demo func(ctx context.Context) (DemoPractice, error)
	// SecondDemo starts the second demo practice (another practice that
	// also sees the demo patient, for the merged views); nil when the
	// build has none.
	SecondDemo func(ctx context.Context) (DemoPractice, error)
}

// LockState says what the user must do before reading the record.
type LockState int

// The lock states, in the order a new install goes through them.
const (
	// NeedsSetup: no master key yet; call Setup.
	NeedsSetup LockState = iota
	// LockedState: keys are not in memory; call Unlock.
	LockedState
	// UnlockedState: the record can be read.
	UnlockedState
)

// App is Carebook's application core for one data folder: the session with
// its lock, the profiles, and the use cases screens call. All methods may
// block (disk, keyring, key derivation, network): never call them on the UI
// goroutine. Safe for concurrent use.
type App struct {
	cfg   Config
	store *storage.Store
	bus   Bus

	mu        sync.Mutex
	idleTimer *time.Timer // nil while locked or when idle lock is off
	// bgGrace is how long the app may sit in the background before it
	// locks; bgTimer runs while it is there (nil in the foreground).
	bgGrace    time.Duration
	bgTimer    *time.Timer
	dashCharts map[string]dashChart // what the dashboards read, by profile id; dropped by forget
	chartsGen  int                  // counts forget calls: a decode that saw one meanwhile is not kept
	// shared are the charts of some types in use (ChartOf), by profile,
	// generation and types; weak: a chart no screen holds is freed.
	shared map[string]weak.Pointer[record.Chart]
	// trends are the trends those charts share, by profile and
	// generation; weak too.
	trends map[string]weak.Pointer[record.TrendIndex]
	// decodes makes concurrent readers of one record share its decode;
	// decodeCount counts the decodes done (tests read it).
	decodes     singleflight.Group
	decodeCount atomic.Int64
	syncing     map[string]bool // profiles with a sync running
	indexing    map[string]bool // profiles whose search index is being built (search.go)
	compacting  map[string]int  // profiles whose search index is being compacted: compactions asked
	// searchCtx ends when the app closes; searchWG counts the goroutines
	// building or compacting search indexes, which Close waits for.
	searchCtx  context.Context
	searchStop context.CancelFunc
	searchWG   sync.WaitGroup
	catchingUp atomic.Bool // catchUpRecords runs (catchup.go)

	// settingsMu serializes read-modify-write of profile settings.
	settingsMu sync.Mutex

	demoMu sync.Mutex   // guards demo, held while it starts
	demo   DemoPractice // the running demo practice, or nil
	second DemoPractice // the running second demo practice, or nil; guarded by demoMu
	// demoSigned holds the demo profiles signed in at the running demo
	// practice (it starts afresh with the app); guarded by demoMu.
	demoSigned map[string]bool

	// notifier shows notifications (nil: none); guarded by mu.
	notifier Notifier
	// bgMu guards bgStop and bgDone, the stop of the background sync and
	// the channel closed when it ended.
	bgMu   sync.Mutex
	bgStop func()
	bgDone chan struct{}

	// notifyMu serializes working out and remembering notifications.
	notifyMu sync.Mutex

	// endedNotices tell of records removed since the app opened because
	// their access ended; guarded by mu.
	endedNotices []EndedNotice

	// lockMu serializes locks and unlocks: a lock runs the savers before
	// it drops the keys, and an unlock waits for a lock under way.
	lockMu sync.Mutex
	// savers save what screens hold unsaved before a lock (SaveBeforeLock),
	// by registration number; guarded by mu.
	savers    map[int]func()
	saverNums int
}

// Open opens (creating if needed) the encrypted cache in cfg.DataDir. The
// app starts locked (or in NeedsSetup on a new install).
func Open(cfg Config) (*App, error) {
	dir, err := storage.DirOrDefault(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open app: %w", err)
	}
	cfg.DataDir = dir
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	st, err := storage.Open(cfg.DataDir, cfg.Storage)
	if err != nil {
		return nil, fmt.Errorf("open app: %w", err)
	}
	return newApp(cfg, st), nil
}

// OpenWithStore builds the app around a cache the caller opened (and
// perhaps unlocked) itself, as the command line does; cfg.DataDir and
// cfg.Storage are ignored. Close closes st.
func OpenWithStore(cfg Config, st *storage.Store) *App {
	cfg.DataDir = filepath.Dir(st.Path())
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = -1 // the caller decides when to close
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := newApp(cfg, st)
	if !st.Locked() {
		a.afterUnlock()
	}
	return a
}

// ownDate is the own date of a resource whose month storage keeps in
// clear: the latest of a result's or a report's own dates (issued,
// effective: record.LatestOwnDate), for the dashboard's new results; no
// other type needs one.
func ownDate(r storage.Resource) (time.Time, bool) {
	if r.Type != "Observation" && r.Type != "DiagnosticReport" {
		return time.Time{}, false
	}
	return record.LatestOwnDate(r.JSON)
}

func newApp(cfg Config, st *storage.Store) *App {
	InstallCacheHooks(st)
	a := &App{cfg: cfg, store: st, syncing: make(map[string]bool),
		bgGrace: DefaultBackgroundGrace}
	a.searchCtx, a.searchStop = context.WithCancel(context.Background())
	return a
}

// Close locks the app, stops the demo practice if it runs, and closes the
// cache. It first tells the cache that it is closing (storage's
// BeginClose), so that the work it then waits for (the background sync)
// does not wait long for a token refresh's answer.
func (a *App) Close() error {
	a.store.BeginClose()
	a.StopBackgroundSync()
	a.mu.Lock()
	a.searchStop() // under mu: no search goroutine starts after it
	a.mu.Unlock()
	a.searchWG.Wait()
	a.Lock()
	a.demoMu.Lock()
	if a.demo != nil {
		a.demo.Close()
		a.demo = nil
	}
	if a.second != nil {
		a.second.Close()
		a.second = nil
	}
	a.demoMu.Unlock()
	return a.store.Close()
}

// Events subscribes to the app's events; call the returned function to stop.
func (a *App) Events() (<-chan Event, func()) { return a.bus.Subscribe() }

// DataDir is the folder of the encrypted cache.
func (a *App) DataDir() string { return a.cfg.DataDir }

// State reports whether the app needs setting up, is locked or unlocked.
func (a *App) State(ctx context.Context) (LockState, error) {
	ok, err := a.store.Initialized(ctx)
	if err != nil {
		return 0, fmt.Errorf("lock state: %w", err)
	}
	switch {
	case !ok:
		return NeedsSetup, nil
	case a.store.Locked():
		return LockedState, nil
	default:
		return UnlockedState, nil
	}
}

// UsesKeyring reports whether the master key is (or, before setup, will
// be) kept in the operating system's keyring. Without one a passphrase is
// required.
func (a *App) UsesKeyring() bool { return a.store.UsesKeyring() }

// HasPassphrase reports whether a passphrase can unlock the app.
func (a *App) HasPassphrase(ctx context.Context) (bool, error) {
	return a.store.HasPassphrase(ctx)
}

// MinPassphraseLength is the shortest passphrase accepted (the rule is
// storage's, shared with carebook-cli).
const MinPassphraseLength = storage.MinPassphraseLength

// CheckPassphrase reports storage.ErrWeakPassphrase for a non-empty
// passphrase shorter than MinPassphraseLength: screens check it before
// calling Setup or ChangePassphrase, which check it again.
func CheckPassphrase(passphrase string) error { return storage.CheckPassphrase(passphrase) }

// Setup creates the master key on a new install and leaves the app
// unlocked. passphrase may be empty only where a keyring keeps the key.
func (a *App) Setup(ctx context.Context, passphrase string) error {
	if err := storage.CheckPassphrase(passphrase); err != nil {
		return fmt.Errorf("set up: %w", err)
	}
	if err := a.store.Setup(ctx, passphrase); err != nil {
		return fmt.Errorf("set up: %w", err)
	}
	a.afterUnlock()
	return nil
}

// Unlock opens the keys: with the passphrase when one is given, otherwise
// from the keyring. A wrong passphrase is storage.ErrWrongPassphrase.
func (a *App) Unlock(ctx context.Context, passphrase string) error {
	a.lockMu.Lock()
	defer a.lockMu.Unlock()
	var err error
	if passphrase != "" {
		err = a.store.UnlockWithPassphrase(ctx, passphrase)
	} else {
		err = a.store.UnlockWithKeyring(ctx)
	}
	if err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	a.afterUnlock()
	return nil
}

// ChangePassphrase replaces the passphrase (old may be empty when none is
// set and the keyring keeps the key).
func (a *App) ChangePassphrase(ctx context.Context, old, new string) error {
	if err := storage.CheckPassphrase(new); err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	if err := a.store.ChangePassphrase(ctx, old, new); err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	return nil
}

func (a *App) afterUnlock() {
	a.mu.Lock()
	a.resetIdleLocked()
	a.mu.Unlock()
	a.bus.Publish(Unlocked{})
	// A cache from before the search index gets one, in the background.
	go a.buildSearchIndexes(context.Background())
	// And what an older Carebook wrote is brought up to date: the months
	// of its reports, no files in what the practice confirmed.
	a.catchUpRecords()
}

// Lock saves what screens hold unsaved (SaveBeforeLock), then drops every
// key from memory. Reading the record fails until Unlock. It waits for
// those saves (a draft's write): never call it on the UI goroutine.
func (a *App) Lock() { a.lock(false) }

// lock is Lock; idle says the lock was not asked for (idle, background).
func (a *App) lock(idle bool) {
	a.lockMu.Lock()
	defer a.lockMu.Unlock()
	a.mu.Lock()
	if a.idleTimer != nil {
		a.idleTimer.Stop()
		a.idleTimer = nil
	}
	if a.bgTimer != nil {
		a.bgTimer.Stop()
		a.bgTimer = nil
	}
	a.mu.Unlock()
	wasLocked := a.store.Locked()
	if !wasLocked {
		a.saveBeforeLock()
	}
	a.store.Lock()
	smart.ForgetStore(a.store) // the tokens go with the keys
	a.forget("")
	if !wasLocked {
		a.bus.Publish(Locked{Idle: idle})
	}
}

// saveBeforeLock calls the savers (SaveBeforeLock): nothing the patient
// wrote is lost to a lock, text typed moments ago is sealed while the keys
// are still here.
func (a *App) saveBeforeLock() {
	a.mu.Lock()
	savers := slices.Collect(maps.Values(a.savers))
	a.mu.Unlock()
	for _, save := range savers {
		save()
	}
}

// SaveBeforeLock registers save, which every lock (Lock, the idle and
// background locks, Close, CloseProfile) calls before it drops keys, on
// the lock's goroutine: a screen holding text the patient typed and it
// has not saved yet (a draft saved after a pause) saves it there. save may
// do storage work but must not wait for the UI goroutine. The returned
// function unregisters it. Cheap; any goroutine.
func (a *App) SaveBeforeLock(save func()) (remove func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.savers == nil {
		a.savers = make(map[int]func())
	}
	a.saverNums++
	n := a.saverNums
	a.savers[n] = save
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		delete(a.savers, n)
	}
}

// Locked reports whether the keys are out of memory.
func (a *App) Locked() bool { return a.store.Locked() }

// Touch records user activity, postponing the idle lock. Cheap and
// non-blocking: the UI may call it on every tap and key press.
func (a *App) Touch() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.idleTimer != nil {
		a.resetIdleLocked()
	}
}

// resetIdleLocked (re)starts the idle timer; a.mu must be held.
func (a *App) resetIdleLocked() {
	if a.cfg.IdleTimeout < 0 {
		return
	}
	if a.idleTimer != nil {
		a.idleTimer.Stop()
	}
	a.idleTimer = time.AfterFunc(a.cfg.IdleTimeout, func() { a.lock(true) })
}

// DefaultBackgroundGrace is how long a phone app may sit in the background
// before it locks, until the patient chooses otherwise.
const DefaultBackgroundGrace = time.Minute

// WentToBackground starts the background lock: unless the app comes back
// first, the keys are dropped once the grace period has passed. Phones
// call it when the app leaves the foreground. Desktops do not: there the
// window losing focus is not leaving, background sync and notifications
// go on, and the idle lock applies. Cheap; any goroutine.
func (a *App) WentToBackground() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.bgTimer != nil {
		return
	}
	a.bgTimer = time.AfterFunc(a.bgGrace, func() { a.lock(true) })
}

// CameToForeground stops the background lock started by WentToBackground.
// Cheap; any goroutine.
func (a *App) CameToForeground() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.bgTimer != nil {
		a.bgTimer.Stop()
		a.bgTimer = nil
	}
}

// BackgroundGrace is how long the app may sit in the background before it
// locks (0: at once).
func (a *App) BackgroundGrace() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.bgGrace
}

// SetBackgroundGrace changes the background lock's grace period (0: lock
// at once; negative values count as 0: a phone in someone else's hands
// must not stay open for ever). It applies from the next time the app
// goes to the background.
func (a *App) SetBackgroundGrace(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.bgGrace = max(d, 0)
}

// IsWrongPassphrase reports whether err means the passphrase did not fit.
func IsWrongPassphrase(err error) bool { return errors.Is(err, storage.ErrWrongPassphrase) }

// IdleTimeout is how long the app stays unlocked without activity; a
// negative value means it never locks on idle.
func (a *App) IdleTimeout() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg.IdleTimeout
}

// SetIdleTimeout changes the idle lock delay (negative: never) and restarts
// the idle timer with it.
func (a *App) SetIdleTimeout(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if d == 0 {
		d = DefaultIdleTimeout
	}
	a.cfg.IdleTimeout = d
	if a.idleTimer != nil {
		a.idleTimer.Stop()
		a.idleTimer = nil
	}
	if !a.store.Locked() {
		a.resetIdleLocked()
	}
}
