package exitguard

import (
	"os"
	"sync"
	"time"
)

// Grace is how long Fyne's loop is given to return from ShowAndRun once the
// app started leaving; it normally takes a few milliseconds.
const Grace = 5 * time.Second

// Once makes finish safe to call from main and from Watch: the first call
// runs it, later calls wait until it has returned.
func Once(finish func()) func() {
	var once sync.Once
	return func() { once.Do(finish) }
}

// Watch waits until leaving is closed or a signal arrives on signals, then
// calls wake (the event loop may be asleep: Fyne's Quit, which it queues
// on a signal, must run), waits grace, runs finish (see Once: when main
// already runs it, this waits for main's run to end) and calls exit(0).
// main normally returns first, and the process ends with it. Its own
// goroutine.
func Watch(leaving <-chan struct{}, signals <-chan os.Signal, grace time.Duration, wake, finish func(), exit func(int)) {
	select {
	case <-leaving:
	case <-signals:
	}
	wake()
	time.Sleep(grace)
	finish()
	exit(0)
}
