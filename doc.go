// Command carebook is the Carebook patient app. main.go only wires the
// parts together (the app core, the Fyne window, the built-in demo
// practice); everything else lives in packages: ui (screens), app (the
// core), sync (the practice's API), storage (the encrypted cache).
// It must not hold logic of its own.
package main
