package idleloop

import (
	"sync/atomic"
	"testing"
	"time"
)

// fakeLoop stands in for Fyne's event loop and GLFW: one goroutine runs
// what RunOnMain queues, and Wait blocks until Post or its timeout.
type fakeLoop struct {
	queue   chan func()
	posted  chan struct{}
	waiting chan struct{} // a Wait began
	waits   atomic.Int64
	posts   atomic.Int64
}

func newFake() *fakeLoop {
	f := &fakeLoop{queue: make(chan func(), 16), posted: make(chan struct{}, 1), waiting: make(chan struct{}, 16)}
	return f
}

func (f *fakeLoop) runOnMain(fn func()) { f.queue <- fn }

func (f *fakeLoop) wait(d time.Duration) {
	f.waits.Add(1)
	f.waiting <- struct{}{}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-f.posted:
	case <-t.C:
	}
}

func (f *fakeLoop) post() {
	f.posts.Add(1)
	select {
	case f.posted <- struct{}{}:
	default:
	}
}

// serve runs the queue until stop is closed: the event loop's goroutine.
func (f *fakeLoop) serve(stop chan struct{}) {
	for {
		select {
		case fn := <-f.queue:
			fn()
		case <-stop:
			return
		}
	}
}

// start makes a Loop on f with a short Quiet and the given Longest, and
// runs it and the fake event loop until the test ends.
func start(t *testing.T, f *fakeLoop, longest time.Duration) *Loop {
	t.Helper()
	l := newLoop(f.runOnMain, f.wait, f.post)
	l.Quiet, l.Longest, l.Gap = 10*time.Millisecond, longest, time.Millisecond
	stop := make(chan struct{})
	ran := make(chan struct{})
	go f.serve(stop)
	go func() { l.Run(); close(ran) }()
	t.Cleanup(func() {
		l.Stop()
		<-ran
		close(stop)
	})
	return l
}

// within fails the test if ch does not deliver in 10 s: what it waits for
// would otherwise never happen (the sleeps in these tests last an hour).
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not happen", what)
	}
}

func TestQuietLoopSleeps(t *testing.T) {
	f := newFake()
	start(t, f, time.Hour)
	within(t, f.waiting, "a sleep once the app was quiet")
}

func TestWakeEndsASleepAndItsWorkRuns(t *testing.T) {
	f := newFake()
	l := start(t, f, time.Hour)
	within(t, f.waiting, "a sleep")

	// What ui's doOnUI does from a goroutine: queue, then wake.
	ran := make(chan struct{})
	f.runOnMain(func() { close(ran) })
	l.Wake()
	within(t, ran, "the update queued during an hour-long sleep")
	if f.posts.Load() != 1 {
		t.Errorf("Post called %d times, want 1", f.posts.Load())
	}
}

func TestWakeBeforeTheSleepStartsKeepsItFromStarting(t *testing.T) {
	f := newFake()
	l := newLoop(f.runOnMain, f.wait, f.post)
	l.Longest = time.Hour
	l.Wake() // the sleep is queued behind this update, not started
	if early := l.sleepOnce(); !early {
		t.Error("a sleep after a Wake reported it ran to its end")
	}
	if n := f.waits.Load(); n != 0 {
		t.Errorf("Wait called %d times after a Wake, want 0", n)
	}
	if n := f.posts.Load(); n != 0 {
		t.Errorf("Post called %d times with no sleep under way, want 0 (the platform may be gone)", n)
	}
	// The Wake is used up: the next sleep runs.
	l.Longest = time.Millisecond
	go func() { <-f.waiting }()
	if early := l.sleepOnce(); early {
		t.Error("a sleep with nothing to end it reported it ended early")
	}
}

func TestSleepEndedByInputCountsAsActivity(t *testing.T) {
	f := newFake()
	l := newLoop(f.runOnMain, f.wait, f.post)
	l.Longest = time.Hour
	// Input during the wait: the platform's wait returns early.
	go func() { <-f.waiting; f.post() }()
	if early := l.sleepOnce(); !early {
		t.Error("a sleep that input ended reported it ran to its end")
	}
}

func TestStopEndsTheSleepAndRun(t *testing.T) {
	f := newFake()
	l := newLoop(f.runOnMain, f.wait, f.post)
	l.Quiet, l.Longest, l.Gap = time.Millisecond, time.Hour, time.Millisecond
	stop := make(chan struct{})
	defer close(stop)
	go f.serve(stop)
	ran := make(chan struct{})
	go func() { l.Run(); close(ran) }()
	within(t, f.waiting, "a sleep")
	l.Stop()
	within(t, ran, "Run's return after Stop")
	l.Stop() // twice is fine

	// A sleep Fyne runs after the end returns at once.
	if early := l.sleepOnce(); !early {
		t.Error("a sleep after Stop waited")
	}
}

func TestPackageWakeWithoutStart(t *testing.T) {
	Wake() // no loop started (tests, phones): nothing happens
	stop := Start()
	stop()
	Wake()
}
