package storage

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestLooseFolderTightened: a data folder open to others (0777) and a
// database file readable by others (0644) are made private at Open.
func TestLooseFolderTightened(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no permission bits on Windows")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := filepath.Join(dir, FileName)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, want := range map[string]os.FileMode{dir: 0o700, db: 0o600} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: %v, want %v", filepath.Base(name), fi.Mode().Perm(), want)
		}
	}
}

// TestSymlinkRefused: a data folder or a database file that is a symbolic
// link is refused (ErrUnsafeFolder), never followed.
func TestSymlinkRefused(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	s, err := Open(real, Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	linkedDir := filepath.Join(base, "linked")
	if err := os.Symlink(real, linkedDir); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if _, err := Open(linkedDir, Options{NoKeyring: true}); !errors.Is(err, ErrUnsafeFolder) {
		t.Errorf("linked folder: err = %v, want ErrUnsafeFolder", err)
	}

	other := filepath.Join(base, "other")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(real, FileName), filepath.Join(other, FileName)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(other, Options{NoKeyring: true}); !errors.Is(err, ErrUnsafeFolder) {
		t.Errorf("linked database file: err = %v, want ErrUnsafeFolder", err)
	}
}

func TestCheckPassphrase(t *testing.T) {
	for _, tt := range []struct {
		p  string
		ok bool
	}{
		{"", true}, {"a", false}, {"1234567", false}, {"12345678", true}, {"ééééééé", false}, {"éééééééé", true},
	} {
		if err := CheckPassphrase(tt.p); (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrWeakPassphrase)) {
			t.Errorf("CheckPassphrase(%q) = %v", tt.p, err)
		}
	}
}
