// Package tools pins the developer tools (the fyne CLI and staticcheck) in
// a module of their own, so their dependencies never mix with the app's.
// The Makefile builds them into ../bin.
package tools
