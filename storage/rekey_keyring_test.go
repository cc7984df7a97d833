package storage

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
)

// TestRekeyKeyring: a rotation of a keyring store leaves the new master
// key in the keyring entry and the keyring's sealed secrets re-sealed; a
// rotation that finished in the database but could not update the entry
// (a crash between the two) unlocks with the key waiting in the second
// entry. With the real OS keyring under scripts/test.sh's D-Bus session.
func TestRekeyKeyring(t *testing.T) {
	t.Run("memory", func(t *testing.T) { rekeyKeyring(t, NewMemoryKeyring()) })
	t.Run("os", func(t *testing.T) {
		requireOSKeyring(t)
		rekeyKeyring(t, OSKeyring())
	})
}

func rekeyKeyring(t *testing.T, kr Keyring) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir, kr, false)
	if err := s.Setup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	installID := s.installID
	t.Cleanup(func() {
		kr.Delete(keyringService, kekKeyringUser(installID))
		kr.Delete(keyringService, kekNextKeyringUser(installID))
	})
	p := newProfile(t, s, "Ada")
	if err := s.PutSecret(ctx, p.ID, "tokens", []byte("refresh-token-value")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.DeleteProfile(ctx, p.ID) })
	var inKeyring bool
	if err := s.reader.QueryRow("SELECT in_keyring FROM secrets").Scan(&inKeyring); err != nil || !inKeyring {
		t.Fatalf("the secret is not in the keyring: %v", err)
	}
	oldEntry, err := kr.Get(keyringService, kekKeyringUser(installID))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Rekey(ctx, ""); err != nil {
		t.Fatalf("Rekey: %v", err)
	}
	newEntry, err := kr.Get(keyringService, kekKeyringUser(installID))
	if err != nil || newEntry == oldEntry {
		t.Fatalf("keyring entry after the rotation: %v, unchanged %v", err, newEntry == oldEntry)
	}
	if _, err := kr.Get(keyringService, kekNextKeyringUser(installID)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second entry after the rotation: %v, want it gone", err)
	}
	// The secret kept in the keyring opens with the new key only.
	var nameKey []byte
	if err := s.reader.QueryRow("SELECT name_key FROM secrets").Scan(&nameKey); err != nil {
		t.Fatal(err)
	}
	enc, err := kr.Get(keyringService, secretKeyringUser(installID, p.ID, nameKey))
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := base64.StdEncoding.DecodeString(enc)
	oldKEK, _ := base64.StdEncoding.DecodeString(oldEntry)
	var oldWrapped []byte // gone from the database: the old data key is unreachable
	if err := s.reader.QueryRow("SELECT wrapped_dek FROM profile_keys").Scan(&oldWrapped); err != nil {
		t.Fatal(err)
	}
	if _, err := open(oldKEK, oldWrapped, dekAD(installID, p.ID)); err == nil {
		t.Fatal("the old master key opens the stored data key")
	}
	k, err := s.keysFor(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.open(sealed, secretAD(p.ID, nameKey)); err != nil {
		t.Fatalf("the keyring secret does not open with the new key: %v", err)
	}

	// The database finished, the keyring entry was not updated: the old key
	// is back in the main entry, the new one waits in the second.
	if err := kr.Set(keyringService, kekKeyringUser(installID), oldEntry); err != nil {
		t.Fatal(err)
	}
	if err := kr.Set(keyringService, kekNextKeyringUser(installID), newEntry); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := openTest(t, dir, kr, false)
	if err := s2.UnlockWithKeyring(ctx); err != nil {
		t.Fatalf("unlock with the key in the second entry: %v", err)
	}
	if v, err := s2.Secret(ctx, p.ID, "tokens"); err != nil || string(v) != "refresh-token-value" {
		t.Fatalf("secret after the rotation: %q, %v", v, err)
	}
	if got, _ := kr.Get(keyringService, kekKeyringUser(installID)); got != newEntry {
		t.Fatal("the main entry was not given the new key")
	}
	t.Cleanup(func() { s2.DeleteProfile(ctx, p.ID) })
}
