// Package tools pins the developer tools (the fyne CLI, staticcheck and
// govulncheck) in a module of their own, so their dependencies never mix
// with the app's, and holds mkvulndb, which builds govulncheck's database
// offline. The Makefile builds them into ../bin.
package tools
