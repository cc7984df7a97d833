package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// DefaultDir returns the per-user data directory of Carebook on desktop
// systems: $XDG_DATA_HOME/carebook (else ~/.local/share/carebook) on Linux
// and other Unix systems, ~/Library/Application Support/Carebook on macOS,
// %AppData%\Carebook on Windows. On Android and iOS there is no such
// convention: the app passes its own private directory to Open, and
// DefaultDir returns an error. It does not create the directory.
func DefaultDir() (string, error) {
	return defaultDir(runtime.GOOS, os.Getenv, os.UserHomeDir)
}

// DirOrDefault is dir, or DefaultDir where dir is empty: the data folder
// a program was told to use, else the user's.
func DirOrDefault(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	return DefaultDir()
}

func defaultDir(goos string, getenv func(string) string, home func() (string, error)) (string, error) {
	switch goos {
	case "android", "ios":
		return "", fmt.Errorf("default data dir: %w: on %s the app must pass its own directory", ErrInvalid, goos)
	case "windows":
		appData := getenv("AppData")
		if appData == "" {
			return "", errors.New("default data dir: %AppData% is not set")
		}
		return filepath.Join(appData, "Carebook"), nil
	case "darwin":
		h, err := home()
		if err != nil {
			return "", fmt.Errorf("default data dir: %w", err)
		}
		return filepath.Join(h, "Library", "Application Support", "Carebook"), nil
	default:
		// XDG Base Directory spec: a relative XDG_DATA_HOME is invalid and ignored.
		if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
			return filepath.Join(x, "carebook"), nil
		}
		h, err := home()
		if err != nil {
			return "", fmt.Errorf("default data dir: %w", err)
		}
		return filepath.Join(h, ".local", "share", "carebook"), nil
	}
}
