package ui

import (
	"context"

	"fyne.io/fyne/v2"

	"github.com/carebook/carebook/internal/idleloop"
)

// doOnUI runs fn on the UI goroutine: fyne.Do, then it wakes the event
// loop if it sleeps (idleloop), so that the update is drawn at once. Tests
// that drive the
// window from their own goroutine replace it with a queue they drain, so
// that every widget change happens on the test's goroutine.
//
// Read it only on the UI goroutine, and hand the value to any goroutine
// that needs it: a goroutine reading the variable itself would race with a
// test putting fyne.Do back, and a late result from a finished test would
// then run in the middle of the next one instead of waiting, unread, in
// the finished test's queue.
var doOnUI = doAndWake

func doAndWake(fn func()) {
	fyne.Do(fn)
	idleloop.Wake()
}

// background runs work on a new goroutine with ctx and hands its result to
// apply on the UI goroutine, through exactly one fyne.Do. A result whose
// context was cancelled meanwhile (the user left the screen) is dropped.
// UI goroutine.
func background[T any](ctx context.Context, work func(context.Context) (T, error), apply func(T, error)) {
	do := doOnUI
	go func() {
		v, err := work(ctx)
		if ctx.Err() != nil {
			return
		}
		do(func() {
			// Checked again here: the screen may have been left while the
			// result waited for the UI goroutine.
			if ctx.Err() == nil {
				apply(v, err)
			}
		})
	}()
}
