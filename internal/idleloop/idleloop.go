package idleloop

import (
	"sync"
	"sync/atomic"
	"time"
)

// Quiet is how long the loop stays awake after the last input or update;
// Longest is the longest one sleep lasts. Gap is the time left between two
// sleeps, for at least one tick of Fyne's loop to draw what changed.
const (
	Quiet   = time.Second
	Longest = 2 * time.Second
	Gap     = 25 * time.Millisecond
)

// Loop decides when the event loop sleeps. Its functions are what the
// platform offers: RunOnMain queues a function to the event loop's
// goroutine without waiting (fyne.Do), Wait sleeps there until input
// arrives, Post is called or the timeout passes (glfwWaitEventsTimeout),
// and Post ends a Wait from any goroutine (glfwPostEmptyEvent).
type Loop struct {
	Quiet, Longest, Gap time.Duration
	RunOnMain           func(func())
	Wait                func(time.Duration)
	Post                func()

	mu         sync.Mutex
	waiting    bool      // a Wait is under way (or about to start)
	woken      bool      // Wake was called since the last sleep began
	lastActive time.Time // the last Wake or input
	stopped    bool

	stop     chan struct{}
	stopOnce sync.Once
}

// Run decides, until Stop, when the event loop sleeps. Its own goroutine.
func (l *Loop) Run() {
	l.mu.Lock()
	l.lastActive = time.Now()
	l.mu.Unlock()
	for {
		l.mu.Lock()
		awake := l.Quiet - time.Since(l.lastActive)
		l.mu.Unlock()
		if awake > 0 {
			if !l.pause(awake) {
				return
			}
			continue
		}
		done := make(chan bool, 1)
		l.RunOnMain(func() { done <- l.sleepOnce() })
		var early bool
		select {
		case early = <-done:
		case <-l.stop:
			return
		}
		if early {
			l.active()
		}
		if !l.pause(l.Gap) {
			return
		}
	}
}

// pause waits d, or until Stop: false if stopped.
func (l *Loop) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.stop:
		return false
	}
}

// sleepOnce is one sleep, on the event loop's goroutine. It reports whether
// something ended it early: input, or a Wake (before or during it).
func (l *Loop) sleepOnce() (early bool) {
	l.mu.Lock()
	if l.stopped || l.woken {
		l.woken = false
		l.mu.Unlock()
		return true
	}
	l.waiting = true
	l.mu.Unlock()

	start := time.Now()
	l.Wait(l.Longest)
	slept := time.Since(start)

	l.mu.Lock()
	l.waiting = false
	woken := l.woken
	l.woken = false
	l.mu.Unlock()
	return woken || slept < l.Longest*9/10
}

// Wake ends a sleep at once, or keeps the next one from starting, and keeps
// the loop awake for Quiet. Call it after handing work for the screen to
// fyne.Do (or before fyne.DoAndWait). Any goroutine.
func (l *Loop) Wake() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.woken = true
	l.lastActive = time.Now()
	// Post only while a Wait is under way: the platform may be gone
	// otherwise (GLFW after the window closed).
	if l.waiting {
		l.Post()
	}
}

func (l *Loop) active() {
	l.mu.Lock()
	l.lastActive = time.Now()
	l.mu.Unlock()
}

// Stop ends Run; a sleep already queued returns at once without waiting.
// More than once is fine.
func (l *Loop) Stop() {
	l.stopOnce.Do(func() {
		l.mu.Lock()
		l.stopped = true
		if l.waiting {
			l.Post()
		}
		l.mu.Unlock()
		close(l.stop)
	})
}

// newLoop is a Loop with the package's timings.
func newLoop(runOnMain func(func()), wait func(time.Duration), post func()) *Loop {
	return &Loop{
		Quiet: Quiet, Longest: Longest, Gap: Gap,
		RunOnMain: runOnMain, Wait: wait, Post: post,
		stop: make(chan struct{}),
	}
}

// current is the loop Start began, if any: Wake reaches it.
var current atomic.Pointer[Loop]

// Wake ends the app's current sleep, if any (see Loop.Wake).
func Wake() {
	if l := current.Load(); l != nil {
		l.Wake()
	}
}
