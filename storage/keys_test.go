package storage

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// brokenKeyring is a keyring whose backend is unreachable, like go-keyring
// without a D-Bus session.
type brokenKeyring struct{}

func (brokenKeyring) Get(string, string) (string, error) {
	return "", fmt.Errorf("probe: %w", ErrNoKeyring)
}
func (brokenKeyring) Set(string, string, string) error { return fmt.Errorf("probe: %w", ErrNoKeyring) }
func (brokenKeyring) Delete(string, string) error      { return fmt.Errorf("probe: %w", ErrNoKeyring) }

// readOnlyKeyring answers lookups but refuses to store anything.
type readOnlyKeyring struct{ Keyring }

func (readOnlyKeyring) Set(string, string, string) error { return fmt.Errorf("set: %w", ErrNoKeyring) }

func TestSetupModes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name         string
		keyring      Keyring
		noKeyring    bool
		passphrase   string
		wantErr      error
		wantKeyring  bool
		wantPassword bool
	}{
		{"keyring only", NewMemoryKeyring(), false, "", nil, true, false},
		{"keyring and passphrase", NewMemoryKeyring(), false, "pw", nil, true, true},
		{"forced passphrase", NewMemoryKeyring(), true, "pw", nil, false, true},
		{"forced passphrase, none given", NewMemoryKeyring(), true, "", ErrPassphraseRequired, false, false},
		{"unreachable keyring falls back", brokenKeyring{}, false, "pw", nil, false, true},
		{"unreachable keyring, no passphrase", brokenKeyring{}, false, "", ErrPassphraseRequired, false, false},
		{"keyring refuses the key, passphrase", readOnlyKeyring{NewMemoryKeyring()}, false, "pw", nil, false, true},
		{"keyring refuses the key, none given", readOnlyKeyring{NewMemoryKeyring()}, false, "", ErrPassphraseRequired, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir, tt.keyring, tt.noKeyring)
			if ok, err := s.Initialized(ctx); err != nil || ok {
				t.Fatalf("Initialized before Setup = %v, %v", ok, err)
			}
			err := s.Setup(ctx, tt.passphrase)
			if tt.wantErr != nil {
				wantErr(t, "Setup", err, tt.wantErr)
				if !s.Locked() {
					t.Error("failed Setup left the store unlocked")
				}
				return
			}
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			if s.Locked() {
				t.Error("Setup left the store locked")
			}
			if got := s.UsesKeyring(); got != tt.wantKeyring {
				t.Errorf("UsesKeyring = %v, want %v", got, tt.wantKeyring)
			}
			if got, err := s.HasPassphrase(ctx); err != nil || got != tt.wantPassword {
				t.Errorf("HasPassphrase = %v, %v, want %v", got, err, tt.wantPassword)
			}
			wantErr(t, "second Setup", s.Setup(ctx, "other"), ErrAlreadyInitialized)

			p := newProfile(t, s, "Ada")
			if err := s.Put(ctx, p.ID, observation("o1", 1)); err != nil {
				t.Fatalf("Put: %v", err)
			}
			s.Close()

			// Reopen and unlock every way that should work.
			s2 := openTest(t, dir, tt.keyring, tt.noKeyring)
			if ok, err := s2.Initialized(ctx); err != nil || !ok {
				t.Fatalf("Initialized after Setup = %v, %v", ok, err)
			}
			if !s2.Locked() {
				t.Fatal("Open returned an unlocked store")
			}
			_, err = s2.Get(ctx, p.ID, "Observation", "o1")
			wantErr(t, "Get while locked", err, ErrLocked)
			if tt.wantKeyring {
				if err := s2.UnlockWithKeyring(ctx); err != nil {
					t.Fatalf("UnlockWithKeyring: %v", err)
				}
				if _, err := s2.Get(ctx, p.ID, "Observation", "o1"); err != nil {
					t.Fatalf("Get after keyring unlock: %v", err)
				}
				s2.Lock()
			} else {
				wantErr(t, "UnlockWithKeyring", s2.UnlockWithKeyring(ctx), ErrNoKeyring)
			}
			if tt.wantPassword {
				wantErr(t, "wrong passphrase", s2.UnlockWithPassphrase(ctx, "nope"), ErrWrongPassphrase)
				if !s2.Locked() {
					t.Fatal("wrong passphrase unlocked the store")
				}
				if err := s2.UnlockWithPassphrase(ctx, tt.passphrase); err != nil {
					t.Fatalf("UnlockWithPassphrase: %v", err)
				}
				if _, err := s2.Get(ctx, p.ID, "Observation", "o1"); err != nil {
					t.Fatalf("Get after passphrase unlock: %v", err)
				}
			} else {
				wantErr(t, "UnlockWithPassphrase", s2.UnlockWithPassphrase(ctx, "pw"), ErrNoKey)
			}
		})
	}
}

func TestUnlockBeforeSetup(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), NewMemoryKeyring(), false)
	wantErr(t, "UnlockWithKeyring", s.UnlockWithKeyring(ctx), ErrNotInitialized)
	wantErr(t, "UnlockWithPassphrase", s.UnlockWithPassphrase(ctx, "x"), ErrNotInitialized)
	wantErr(t, "ChangePassphrase", s.ChangePassphrase(ctx, "", "x"), ErrNotInitialized)
	_, err := s.CreateProfile(ctx, Profile{Label: "x"})
	wantErr(t, "CreateProfile", err, ErrLocked)
}

func TestMissingKeyringEntry(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kr := NewMemoryKeyring()
	s := openTest(t, dir, kr, false)
	if err := s.Setup(ctx, ""); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	user := kekKeyringUser(s.installID)
	s.Close()

	// Another key under our name: not this store's key.
	other, _ := randomKey()
	if err := kr.Set(keyringService, user, encodeKey(other)); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, kr, false)
	wantErr(t, "UnlockWithKeyring with a foreign key", s.UnlockWithKeyring(ctx), ErrNoKey)

	if err := kr.Set(keyringService, user, "not base64!"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "UnlockWithKeyring with garbage", s.UnlockWithKeyring(ctx), ErrNoKey)

	if err := kr.Delete(keyringService, user); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "UnlockWithKeyring after the entry was deleted", s.UnlockWithKeyring(ctx), ErrNoKey)
	if !s.Locked() {
		t.Error("store unlocked without a key")
	}

	// A keyring store opened where the keyring is gone.
	s.Close()
	s = openTest(t, dir, brokenKeyring{}, false)
	wantErr(t, "UnlockWithKeyring, keyring unreachable", s.UnlockWithKeyring(ctx), ErrNoKeyring)
}

// sealedResources returns every sealed resource value in the database file.
func sealedResources(t *testing.T, dir string) [][]byte {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT sealed FROM resources ORDER BY row_key")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestChangePassphrase(t *testing.T) {
	ctx := context.Background()
	s, dir := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	if err := s.Put(ctx, p.ID, observation("o1", 1), observation("o2", 2)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	s.Close()
	before := sealedResources(t, dir)

	s = openTest(t, dir, nil, true)
	wantErr(t, "ChangePassphrase with a wrong old one", s.ChangePassphrase(ctx, "wrong", "new pass"), ErrWrongPassphrase)
	wantErr(t, "removing the only passphrase", s.ChangePassphrase(ctx, testPassphrase, ""), ErrPassphraseRequired)
	if err := s.ChangePassphrase(ctx, testPassphrase, "new pass"); err != nil {
		t.Fatalf("ChangePassphrase: %v", err)
	}
	if !s.Locked() {
		t.Error("ChangePassphrase on a locked store unlocked it")
	}
	s.Close()

	s = openTest(t, dir, nil, true)
	wantErr(t, "old passphrase", s.UnlockWithPassphrase(ctx, testPassphrase), ErrWrongPassphrase)
	if err := s.UnlockWithPassphrase(ctx, "new pass"); err != nil {
		t.Fatalf("new passphrase: %v", err)
	}
	list, err := s.List(ctx, p.ID, "")
	if err != nil || len(list) != 2 {
		t.Fatalf("List after change = %d resources, %v", len(list), err)
	}
	s.Close()

	after := sealedResources(t, dir)
	if len(before) != len(after) {
		t.Fatalf("row count changed: %d -> %d", len(before), len(after))
	}
	for i := range before {
		if !bytes.Equal(before[i], after[i]) {
			t.Errorf("resource %d was re-encrypted by ChangePassphrase", i)
		}
	}
}

func TestKeyringStorePassphraseLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kr := NewMemoryKeyring()
	s := openTest(t, dir, kr, false)
	if err := s.Setup(ctx, ""); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	// Add a passphrase to a keyring-only store: needs the store unlocked.
	s.Lock()
	wantErr(t, "adding a passphrase while locked", s.ChangePassphrase(ctx, "", "added"), ErrLocked)
	if err := s.UnlockWithKeyring(ctx); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "adding with a bogus old passphrase", s.ChangePassphrase(ctx, "bogus", "added"), ErrWrongPassphrase)
	if err := s.ChangePassphrase(ctx, "", "added"); err != nil {
		t.Fatalf("adding a passphrase: %v", err)
	}
	s.Lock()
	if err := s.UnlockWithPassphrase(ctx, "added"); err != nil {
		t.Fatalf("unlock with the added passphrase: %v", err)
	}
	// Removing it is refused while the keyring lacks the key ...
	user := kekKeyringUser(s.installID)
	saved, _ := kr.Get(keyringService, user)
	kr.Delete(keyringService, user)
	wantErr(t, "removing the passphrase, key not in keyring", s.ChangePassphrase(ctx, "added", ""), ErrNoKey)
	// ... and allowed when it holds it.
	kr.Set(keyringService, user, saved)
	if err := s.ChangePassphrase(ctx, "added", ""); err != nil {
		t.Fatalf("removing the passphrase: %v", err)
	}
	if has, _ := s.HasPassphrase(ctx); has {
		t.Error("passphrase still set")
	}
	s.Lock()
	if err := s.UnlockWithKeyring(ctx); err != nil {
		t.Fatalf("UnlockWithKeyring: %v", err)
	}
}

func TestLockDropsKeys(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	if err := s.Put(ctx, p.ID, observation("o1", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSecret(ctx, p.ID, "token", []byte("t")); err != nil {
		t.Fatal(err)
	}
	item, err := s.Enqueue(ctx, OutboxItem{ProfileID: p.ID, Kind: "message", Identifier: "urn:uuid:1"})
	if err != nil {
		t.Fatal(err)
	}
	cached, err := s.keysFor(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	kek := s.kek

	s.Lock()
	if !s.Locked() {
		t.Fatal("Locked() = false after Lock")
	}
	if !bytes.Equal(kek, make([]byte, keySize)) || !bytes.Equal(cached.dek, make([]byte, keySize)) ||
		!bytes.Equal(cached.index, make([]byte, keySize)) {
		t.Error("Lock did not zero the keys")
	}
	if _, err := cached.seal([]byte("x"), nil); err != ErrLocked {
		t.Errorf("sealing with a dropped key: %v", err)
	}
	ops := map[string]func() error{
		"Get":        func() error { _, err := s.Get(ctx, p.ID, "Observation", "o1"); return err },
		"List":       func() error { _, err := s.List(ctx, p.ID, ""); return err },
		"Each":       func() error { return s.Each(ctx, p.ID, "", func(Resource) error { return nil }) },
		"Counts":     func() error { _, err := s.Counts(ctx, p.ID); return err },
		"Put":        func() error { return s.Put(ctx, p.ID, observation("o2", 2)) },
		"Delete":     func() error { return s.Delete(ctx, p.ID, "Observation", "o1") },
		"Checkpoint": func() error { _, _, err := s.Checkpoint(ctx, p.ID, "x"); return err },
		"Update":     func() error { return s.Update(ctx, p.ID, func(*Tx) error { return nil }) },
		"Secret":     func() error { _, err := s.Secret(ctx, p.ID, "token"); return err },
		"PutSecret":  func() error { return s.PutSecret(ctx, p.ID, "token", []byte("u")) },
		"Profile":    func() error { _, err := s.Profile(ctx, p.ID); return err },
		"Profiles":   func() error { _, err := s.Profiles(ctx); return err },
		"Outbox":     func() error { _, err := s.Outbox(ctx, p.ID); return err },
		"OutboxItem": func() error { _, err := s.OutboxItem(ctx, p.ID, item.Seq); return err },
		"Enqueue": func() error {
			_, err := s.Enqueue(ctx, OutboxItem{ProfileID: p.ID, Kind: "k", Identifier: "2"})
			return err
		},
		"SaveOutbox":   func() error { return s.SaveOutboxItem(ctx, item) },
		"Create":       func() error { _, err := s.CreateProfile(ctx, Profile{}); return err },
		"DeleteProf":   func() error { return s.DeleteProfile(ctx, p.ID) },
		"DeleteSecret": func() error { return s.DeleteSecret(ctx, p.ID, "token") },
	}
	for name, op := range ops {
		wantErr(t, name+" after Lock", op(), ErrLocked)
	}
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, p.ID, "Observation", "o1"); err != nil {
		t.Errorf("Get after unlock: %v", err)
	}
}

func encodeKey(k []byte) string { return base64Std(k) }

func TestKDFParamsAreChecked(t *testing.T) {
	_, err := Open(t.TempDir(), Options{NoKeyring: true, KDF: &KDFParams{Time: 1, MemoryKiB: 64, Threads: 0}})
	wantErr(t, "Open with zero threads", err, ErrInvalid)

	// Parameters tampered with in the file must not make unlock hang.
	_, dir := newPassphraseStore(t)
	db := rawDB(t, dir)
	mustExec(t, db, "UPDATE passphrase_kek SET kdf_time = 1000000")
	db.Close()
	s := openTest(t, dir, nil, true)
	wantErr(t, "unlock with absurd stored parameters", s.UnlockWithPassphrase(context.Background(), testPassphrase), ErrCorrupt)
}
