// Package exitguard finishes the app's way out when Fyne's own does not
// return.
//
// Fyne 2.7.1 can hang at exit. When its desktop loop ends (the window
// closed, or SIGTERM or SIGINT, which Fyne turns into Quit), it queues the
// lifecycle's OnStopped hook (Fyne always sets one: it saves Fyne's
// preferences) to its lifecycle goroutine, drains its queue of functions
// for the main thread, marks it drained and returns; ShowAndRun then waits
// for the lifecycle queue to empty. The lifecycle goroutine hands OnStopped
// to the main thread's queue and waits for it to run. If it does so after
// the drain and before the mark (the two goroutines race), nothing ever
// runs it: ShowAndRun waits for ever with the window gone
// (internal/driver/glfw/loop.go runGL, driver.go Run, internal/app
// lifecycle.go). The process then holds the cache and its lock, and the
// patient cannot start Carebook again. A screenshot run saw it once in a
// few hundred exits (goroutine dump: main in Lifecycle.WaitForEvents, the
// lifecycle goroutine in runOnMainWithWait).
//
// Watch waits for the app to start leaving (its window closed, or one of
// those signals), gives Fyne's loop a grace period to return from
// ShowAndRun, and then runs the app's own way out (the same function main
// runs after ShowAndRun, once: a second caller waits for the first) and
// ends the process with status 0, as main returning would.
package exitguard
