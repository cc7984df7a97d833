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
	l := newLoop(fyne.Do, waitForInput, glfw.PostEmptyEvent)
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

// waitForInput sleeps in GLFW until input or a posted event, at most d. A
// sleep Fyne runs after its loop ended (it runs what is left in its queue
// after terminating GLFW) returns at once: GLFW reports it was not
// initialized, which is no fault here.
func waitForInput(d time.Duration) {
	defer func() {
		if r := recover(); r != nil {
			var err *glfw.Error
			if e, ok := r.(error); ok && errors.As(e, &err) && err.Code == glfwNotInitialized {
				return
			}
			panic(r)
		}
	}()
	glfw.WaitEventsTimeout(d.Seconds())
}
