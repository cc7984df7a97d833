package ui

import (
	"context"
	"sync/atomic"

	"fyne.io/fyne/v2"
)

// uiRunner is what doOnUI hands work to: fyne.Do, or a test's queue. It is
// atomic because a screen's goroutine may still hand over a result while a
// test puts fyne.Do back.
var uiRunner atomic.Pointer[func(func())]

func init() { setDoOnUI(fyne.Do) }

// doOnUI runs fn on the UI goroutine: fyne.Do. Tests that drive the
// window from their own goroutine replace it (setDoOnUI) with a queue they
// drain, so that every widget change happens on the test's goroutine.
func doOnUI(fn func()) { (*uiRunner.Load())(fn) }

// setDoOnUI makes doOnUI use run and returns what it used before.
func setDoOnUI(run func(func())) (previous func(func())) {
	if old := uiRunner.Swap(&run); old != nil {
		return *old
	}
	return nil
}

// background runs work on a new goroutine with ctx and hands its result to
// apply on the UI goroutine, through exactly one fyne.Do. A result whose
// context was cancelled meanwhile (the user left the screen) is dropped.
// UI goroutine or any.
func background[T any](ctx context.Context, work func(context.Context) (T, error), apply func(T, error)) {
	go func() {
		v, err := work(ctx)
		if ctx.Err() != nil {
			return
		}
		doOnUI(func() {
			// Checked again here: the screen may have been left while the
			// result waited for the UI goroutine.
			if ctx.Err() == nil {
				apply(v, err)
			}
		})
	}()
}
