package storage

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	gokeyring "github.com/zalando/go-keyring"
)

// envRequireKeyring makes the real-keyring test fail instead of skipping
// when no keyring is reachable, so CI cannot silently skip it.
const envRequireKeyring = "CAREBOOK_REQUIRE_KEYRING"

// requireOSKeyring skips (or, with CAREBOOK_REQUIRE_KEYRING=1, fails) the
// test when the OS keyring is unusable.
func requireOSKeyring(t *testing.T) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv(envRequireKeyring) == "1" {
		fail = t.Fatalf
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		fail("no D-Bus session (DBUS_SESSION_BUS_ADDRESS unset); run inside dbus-run-session with gnome-keyring-daemon, see doc of TestOSKeyringRoundTrip")
	}
	if _, err := OSKeyring().Get(keyringService, "availability-probe"); err != nil && !errors.Is(err, ErrNotFound) {
		fail("OS keyring unusable: %v", err)
	}
}

// TestOSKeyringRoundTrip keeps the master key in the real OS keyring
// (gnome-keyring over D-Bus here). Run it with:
//
//	dbus-run-session -- bash -c 'export XDG_DATA_HOME=$(mktemp -d); eval "$(printf %s test-pass | gnome-keyring-daemon --daemonize --unlock --components=secrets)"; go test -race -run Keyring ./storage/...'
func TestOSKeyringRoundTrip(t *testing.T) {
	requireOSKeyring(t)
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{KDF: cheapKDF})
	if err != nil {
		t.Fatal(err)
	}
	if !s.UsesKeyring() {
		t.Fatal("UsesKeyring() = false with a working OS keyring")
	}
	if err := s.Setup(ctx, ""); err != nil {
		t.Fatalf("Setup with the OS keyring: %v", err)
	}
	installID := s.installID
	t.Cleanup(func() { gokeyring.Delete(keyringService, kekKeyringUser(installID)) })
	p := newProfile(t, s, "Ada")
	if err := s.Put(ctx, p.ID, observation("o1", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSecret(ctx, p.ID, "token", []byte("refresh-token-value")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir, Options{KDF: cheapKDF})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.UnlockWithKeyring(ctx); err != nil {
		t.Fatalf("UnlockWithKeyring: %v", err)
	}
	if r, err := s.Get(ctx, p.ID, "Observation", "o1"); err != nil || r.ID != "o1" {
		t.Fatalf("Get after keyring unlock: %+v, %v", r, err)
	}
	if v, err := s.Secret(ctx, p.ID, "token"); err != nil || string(v) != "refresh-token-value" {
		t.Fatalf("Secret from the OS keyring: %q, %v", v, err)
	}
	// Deleting the profile removes its secret from the keyring too.
	var nameKey []byte
	if err := s.reader.QueryRow("SELECT name_key FROM secrets").Scan(&nameKey); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProfile(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := gokeyring.Get(keyringService, secretKeyringUser(installID, p.ID, nameKey)); !errors.Is(err, gokeyring.ErrNotFound) {
		t.Errorf("secret still in the keyring after DeleteProfile: %v", err)
	}

	// A deleted keyring entry is ErrNoKey, not a corrupted cache.
	s.Lock()
	if err := gokeyring.Delete(keyringService, kekKeyringUser(installID)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "UnlockWithKeyring after the entry was deleted", s.UnlockWithKeyring(ctx), ErrNoKey)
}

// envNoKeyringChild marks the child process of TestNoKeyringFallsBackToPassphrase.
const envNoKeyringChild = "CAREBOOK_NO_KEYRING_CHILD"

// TestNoKeyringFallsBackToPassphrase runs a child process whose D-Bus
// session address points nowhere, as on a headless machine, and checks that
// the store picks the passphrase path by itself.
func TestNoKeyringFallsBackToPassphrase(t *testing.T) {
	if dir := os.Getenv(envNoKeyringChild); dir != "" {
		noKeyringChild(t, dir)
		return
	}
	empty := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoKeyringFallsBackToPassphrase$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(),
		envNoKeyringChild+"="+t.TempDir(),
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(empty, "no-bus"),
		"XDG_RUNTIME_DIR="+empty,
		"DISPLAY=",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
}

func noKeyringChild(t *testing.T, dir string) {
	ctx := context.Background()
	_, err := OSKeyring().Get(keyringService, "availability-probe")
	wantErr(t, "OS keyring without D-Bus", err, ErrNoKeyring)

	s, err := Open(dir, Options{KDF: cheapKDF}) // the default OS keyring
	if err != nil {
		t.Fatal(err)
	}
	if s.UsesKeyring() {
		t.Fatal("UsesKeyring() = true without D-Bus")
	}
	wantErr(t, "Setup without passphrase", s.Setup(ctx, ""), ErrPassphraseRequired)
	if err := s.Setup(ctx, testPassphrase); err != nil {
		t.Fatalf("Setup with passphrase: %v", err)
	}
	p := newProfile(t, s, "Ada")
	if err := s.PutSecret(ctx, p.ID, "token", []byte("v")); err != nil {
		t.Fatalf("PutSecret without keyring: %v", err)
	}
	s.Close()

	s, err = Open(dir, Options{KDF: cheapKDF})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantErr(t, "UnlockWithKeyring", s.UnlockWithKeyring(ctx), ErrNoKeyring)
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatalf("UnlockWithPassphrase: %v", err)
	}
	if v, err := s.Secret(ctx, p.ID, "token"); err != nil || string(v) != "v" {
		t.Fatalf("Secret = %q, %v", v, err)
	}
}
