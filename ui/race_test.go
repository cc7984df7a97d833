//go:build race

package ui

// raceEnabled is true when the tests run under the race detector, which
// slows building and drawing a long record about tenfold and changes
// what is allocated.
const raceEnabled = true
