//go:build !((linux && !android) || freebsd || openbsd || netbsd || dragonfly)

package autostart

// Supported reports whether this system has an autostart Carebook can use.
func Supported() bool { return false }
