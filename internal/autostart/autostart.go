// Package autostart starts Carebook with the user's desktop session where
// the desktop offers it: on Linux (and the BSDs) through an XDG autostart
// entry, a .desktop file in $XDG_CONFIG_HOME/autostart (by default
// ~/.config/autostart) that GNOME, KDE, Xfce and other XDG desktops run at
// sign-in. Elsewhere Supported is false and nothing is written.
package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// fileName is the autostart entry's name.
const fileName = "carebook.desktop"

// ErrUnsupported: this system has no autostart Carebook knows how to use.
var ErrUnsupported = errors.New("autostart: not supported on this system")

// dir is the XDG autostart folder, "" when it cannot be found.
func dir(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "autostart")
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".config", "autostart")
	}
	return ""
}

// entry is the .desktop file that starts exe.
func entry(exe string) string {
	// Desktop Entry Specification: an argument with spaces or reserved
	// characters is quoted, and inside quotes ", `, $ and \ are escaped.
	quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`).Replace(exe) + `"`
	return "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=Carebook\n" +
		"Comment=Your health record; reminders and notifications while it runs\n" +
		"Exec=" + quoted + "\n" +
		"Terminal=false\n" +
		"X-GNOME-Autostart-enabled=true\n"
}

// Config says where the entry goes and what it starts; the zero value is
// this process's environment and executable.
type Config struct {
	Getenv     func(string) string // os.Getenv when nil
	Executable string              // os.Executable() when ""
}

func (c Config) getenv() func(string) string {
	if c.Getenv == nil {
		return os.Getenv
	}
	return c.Getenv
}

// Enabled reports whether Carebook starts with the session.
func Enabled(c Config) (bool, error) {
	if !Supported() {
		return false, nil
	}
	d := dir(c.getenv())
	if d == "" {
		return false, nil
	}
	_, err := os.Stat(filepath.Join(d, fileName))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("autostart: %w", err)
	}
}

// Set writes (on) or removes (off) the autostart entry.
func Set(c Config, on bool) error {
	if !Supported() {
		return ErrUnsupported
	}
	d := dir(c.getenv())
	if d == "" {
		return fmt.Errorf("autostart: no home folder: %w", ErrUnsupported)
	}
	path := filepath.Join(d, fileName)
	if !on {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("autostart: %w", err)
		}
		return nil
	}
	exe := c.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("autostart: %w", err)
		}
	}
	if err := os.MkdirAll(d, 0o700); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	tmp, err := os.CreateTemp(d, ".carebook-*.desktop")
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing left to remove
	if _, err := tmp.WriteString(entry(exe)); err != nil {
		tmp.Close()
		return fmt.Errorf("autostart: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}
