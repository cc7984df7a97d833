// Package filedamage damages a SQLite data file the way a failing disk
// and a killed process do, for the tests of what Carebook does then
// (storage, the command line and the screens).
package filedamage
