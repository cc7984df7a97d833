package storage

import (
	"fmt"
	"os"
	"runtime"
	"unicode/utf8"
)

// MinPassphraseLength is the shortest passphrase Carebook accepts, in
// characters: the one rule the app's screens and carebook-cli share.
const MinPassphraseLength = 8

// CheckPassphrase reports ErrWeakPassphrase for a passphrase shorter than
// MinPassphraseLength. An empty passphrase means "none" (the key stays in
// the keyring only) and passes; Setup refuses it where there is no keyring.
func CheckPassphrase(passphrase string) error {
	if passphrase != "" && utf8.RuneCountInString(passphrase) < MinPassphraseLength {
		return fmt.Errorf("%w: use at least %d characters", ErrWeakPassphrase, MinPassphraseLength)
	}
	return nil
}

// checkPrivate makes sure the data folder (dir) or one of its database
// files is private to this user: not a symbolic link (which could point
// the cache anywhere, or be swapped under it), and with no permission
// for group or others (0700 for the folder, 0600 for a file). Loose
// permissions are tightened; where that fails, ErrUnsafeFolder. Windows
// has no such permission bits: only the link check applies there.
func checkPrivate(name string, dir bool) error {
	fi, err := os.Lstat(name)
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%w: %s is a symbolic link", ErrUnsafeFolder, name)
	}
	if fi.IsDir() != dir {
		return fmt.Errorf("%w: %s is not a regular %s", ErrUnsafeFolder, name, map[bool]string{true: "folder", false: "file"}[dir])
	}
	if runtime.GOOS == "windows" || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	want := fi.Mode().Perm() &^ 0o077
	if err := os.Chmod(name, want); err != nil {
		return fmt.Errorf("%w: %s is open to other users (%v) and cannot be tightened: %v", ErrUnsafeFolder, name, fi.Mode().Perm(), err)
	}
	return nil
}
