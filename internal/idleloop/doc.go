// Package idleloop lets the desktop app's event loop sleep while nothing
// happens.
//
// Fyne 2.7's desktop driver wakes 60 times a second whatever the app does:
// it polls for input and checks every window for changes on a fixed ticker
// (internal/driver/glfw/loop.go, runGL). That alone kept 1.5–2.3 % of a
// core busy with the window left alone, more than three times the 0.5 %
// issue 15 allows, and no setting, build tag or driver API changes the
// rate.
//
// The loop runs every function handed to fyne.Do between its ticks, on the
// main thread. Once the app has been quiet for a while (no input, no work
// of its own for the screen), idleloop hands it one such function that
// waits inside GLFW for the next input event (glfwWaitEventsTimeout), at
// most a few seconds: the ticker's beats pile up unseen meanwhile, and the
// process sleeps. Input ends the wait at once; GLFW runs Fyne's own input
// handlers during it, as it does when Fyne polls, and the loop draws the
// result on its next tick. Work of the app's own that reaches the screen
// ends the wait too: ui hands every update to fyne.Do and then calls Wake.
// Anything else Fyne queues from its own goroutines waits at most the
// longest sleep, and after any input the loop stays awake (Quiet) long
// enough for what Fyne queues after a tap (a double tap's wait is 300 ms).
//
// Only the desktop GL driver has such a loop: under Fyne's software driver
// (the ci build tag of the tests), on phones and in a browser, Start does
// nothing. The decisions (when to sleep, how Wake ends a sleep) are in
// Loop, which the tests drive with a fake wait.
package idleloop
