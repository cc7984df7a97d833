//go:build !race

package pull_test

// raceEnabled is true when the tests run under the race detector, which
// slows the practice server's SQLite work about tenfold.
const raceEnabled = false
