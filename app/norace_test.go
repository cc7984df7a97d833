//go:build !race

package app

// raceEnabled is true under the race detector, which makes actions several
// times slower: tests that repeat them do fewer.
const raceEnabled = false
