package exitguard

import (
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestWatch drives Watch as main does, with Fyne's return stood in for by
// mainReturns: the way out runs once and the process ends with status 0,
// whether ShowAndRun returned in time or never.
func TestWatch(t *testing.T) {
	tests := []struct {
		name        string
		bySignal    bool // leaving by SIGTERM, else by the window closing
		mainReturns bool // ShowAndRun returns within the grace (no hang)
	}{
		{"window closed, Fyne hangs", false, false},
		{"SIGTERM, Fyne hangs", true, false},
		{"window closed, Fyne returns", false, true},
		{"SIGTERM, Fyne returns", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaving := make(chan struct{})
			signals := make(chan os.Signal, 1)
			var finished, woken atomic.Int32
			finishing := make(chan struct{})
			finish := Once(func() {
				close(finishing)
				time.Sleep(50 * time.Millisecond) // closing the cache takes a while
				finished.Add(1)
			})
			exited := make(chan int, 1)
			exit := func(code int) {
				if finished.Load() != 1 {
					t.Errorf("exit before the way out had ended")
				}
				exited <- code
			}
			go Watch(leaving, signals, 100*time.Millisecond, func() { woken.Add(1) }, finish, exit)

			// Nothing happens before the app starts leaving.
			select {
			case <-exited:
				t.Fatal("exit before the app started leaving")
			case <-time.After(200 * time.Millisecond):
			}
			if woken.Load() != 0 || finished.Load() != 0 {
				t.Fatal("woke or finished before the app started leaving")
			}

			if tt.bySignal {
				signals <- syscall.SIGTERM
			} else {
				close(leaving)
			}
			if tt.mainReturns {
				finish() // main, after ShowAndRun returned
				if finished.Load() != 1 {
					t.Fatal("main's finish returned before the way out had ended")
				}
			}
			select {
			case code := <-exited:
				if code != 0 {
					t.Errorf("exit(%d), want exit(0)", code)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no exit 10 s after the app started leaving: the process would hang")
			}
			select {
			case <-finishing:
			default:
				t.Fatal("the way out never ran")
			}
			if got := finished.Load(); got != 1 {
				t.Errorf("the way out ran %d times, want once", got)
			}
			if got := woken.Load(); got != 1 {
				t.Errorf("the event loop was woken %d times, want once", got)
			}
		})
	}
}
