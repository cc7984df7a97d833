package ui

import (
	"context"

	"fyne.io/fyne/v2"
)

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
		fyne.Do(func() { apply(v, err) })
	}()
}
