// Package version says which Carebook this is: the release version (the
// same as FyneApp.toml's, which a test checks) and the commit it was built
// from, read from the build information the go command records.
package version
