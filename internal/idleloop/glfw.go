//go:build !ci && !android && !ios && !mobile && !js && !wasm && !tamago && !noos && !tinygo

package idleloop

import (
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.3/glfw"
)

// Start lets the desktop event loop sleep while the app is quiet, until
// the returned stop is called. Call it once, before the app's loop runs
// (its first sleep comes after Quiet). The same build tags as Fyne's GL
// driver select this file.
func Start() (stop func()) {
	l := newLoop(fyne.Do, waitForInput, endWait)
	if !current.CompareAndSwap(nil, l) {
		return func() {}
	}
	go l.Run()
	return func() {
		l.Stop()
		current.CompareAndSwap(l, nil)
	}
}

// glfwNotInitialized is GLFW_NOT_INITIALIZED, which go-gl does not export.
const glfwNotInitialized glfw.ErrorCode = 0x00010001

// waitForInput sleeps in GLFW until input or a posted event, at most d.
func waitForInput(d time.Duration) {
	defer ignoreEnded()
	glfw.WaitEventsTimeout(d.Seconds())
}

// endWait ends a waitForInput under way, from any goroutine.
func endWait() {
	defer ignoreEnded()
	glfw.PostEmptyEvent()
}

// ignoreEnded, deferred, lets a GLFW call made after Fyne's loop ended
// return as if it had done its work. Fyne runs what is left in its queue
// after terminating GLFW, and then runs fyne.Do's functions at once on
// their caller's goroutine: a sleep can start then, and a Wake reach it,
// until main stops the loop. GLFW reports it was not initialized, which
// is no fault here; anything else is passed on.
func ignoreEnded() {
	if r := recover(); r != nil {
		var err *glfw.Error
		if e, ok := r.(error); ok && errors.As(e, &err) && err.Code == glfwNotInitialized {
			return
		}
		panic(r)
	}
}
