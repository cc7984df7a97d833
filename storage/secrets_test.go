package storage

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// tinyKeyring refuses values above a size, like Windows Credential Manager.
type tinyKeyring struct {
	Keyring
	max int
}

func (k tinyKeyring) Set(service, user, secret string) error {
	if len(secret) > k.max {
		return fmt.Errorf("set: %w: too big", ErrNoKeyring)
	}
	return k.Keyring.Set(service, user, secret)
}

// secretMode is where a store keeps secrets: the database, the keyring,
// or the database when the keyring refuses them.
type secretMode struct {
	name      string
	keyring   Keyring
	noKeyring bool
	inKeyring bool
}

func secretModes() []secretMode {
	return []secretMode{
		{"database", nil, true, false},
		{"keyring", NewMemoryKeyring(), false, true},
		{"keyring too small", tinyKeyring{NewMemoryKeyring(), 20}, false, false},
	}
}

func TestSecrets(t *testing.T) {
	ctx := context.Background()
	for _, mode := range secretModes() {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir, mode.keyring, mode.noKeyring)
			if err := s.Setup(ctx, testPassphrase); err != nil {
				t.Fatal(err)
			}
			p := newProfile(t, s, "Ada")
			_, err := s.Secret(ctx, p.ID, "oauth")
			wantErr(t, "absent secret", err, ErrNotFound)
			for _, v := range []string{"first token", "second, longer token value"} {
				if err := s.PutSecret(ctx, p.ID, "oauth", []byte(v)); err != nil {
					t.Fatal(err)
				}
				if got, err := s.Secret(ctx, p.ID, "oauth"); err != nil || string(got) != v {
					t.Fatalf("Secret = %q, %v, want %q", got, err, v)
				}
			}
			var inKeyring bool
			var sealed []byte
			if err := s.reader.QueryRow("SELECT in_keyring, sealed FROM secrets").Scan(&inKeyring, &sealed); err != nil {
				t.Fatal(err)
			}
			if inKeyring != mode.inKeyring || (sealed == nil) != mode.inKeyring {
				t.Errorf("in_keyring = %v, sealed in database = %v; want in keyring %v", inKeyring, sealed != nil, mode.inKeyring)
			}
			if err := s.DeleteSecret(ctx, p.ID, "oauth"); err != nil {
				t.Fatal(err)
			}
			_, err = s.Secret(ctx, p.ID, "oauth")
			wantErr(t, "deleted secret", err, ErrNotFound)
			if err := s.DeleteSecret(ctx, p.ID, "oauth"); err != nil {
				t.Errorf("deleting an absent secret: %v", err)
			}
			if mode.inKeyring {
				nameKey, _ := mustKeys(t, s, p.ID).rowKey("secret", "oauth")
				if _, err := mode.keyring.Get(keyringService, secretKeyringUser(s.installID, p.ID, nameKey)); err == nil {
					t.Error("keyring entry left after DeleteSecret")
				}
			}
		})
	}
}

// openSecretWriter sets up a store in dir (mode's keyring) with a profile
// whose secret "oauth" is "old token", and takes a writer of it.
func openSecretWriter(t *testing.T, dir string, mode secretMode) (*Store, Profile, *SecretWriter) {
	t.Helper()
	ctx := context.Background()
	s := openTest(t, dir, mode.keyring, mode.noKeyring)
	if err := s.Setup(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	p := newProfile(t, s, "Ada")
	if err := s.PutSecret(ctx, p.ID, "oauth", []byte("old token")); err != nil {
		t.Fatal(err)
	}
	w, err := s.SecretWriter(ctx, p.ID, "oauth")
	if err != nil {
		t.Fatal(err)
	}
	return s, p, w
}

// TestCloseWaitsForSecretWriters: Close tells the writers still open
// that it began (Closing), refuses new ones, and waits for the open ones
// until they put their secret (which the next Open reads) or close, at
// most secretWriterWait for one never closed.
func TestCloseWaitsForSecretWriters(t *testing.T) {
	ctx := context.Background()
	defer func(wait time.Duration) { secretWriterWait = wait }(secretWriterWait)
	secretWriterWait = 2 * time.Second
	for _, tc := range []struct {
		name string
		end  func(w *SecretWriter) error // nil: the writer is never closed
		want string
	}{
		{"put", func(w *SecretWriter) error { return w.Put(ctx, []byte("rotated token")) }, "rotated token"},
		{"closed", func(w *SecretWriter) error { w.Close(); return nil }, "old token"},
		{"never closed", nil, "old token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, p, w := openSecretWriter(t, dir, secretModes()[0])
			select {
			case <-w.Closing():
				t.Fatal("Closing before Close")
			default:
			}
			closed := make(chan error, 1)
			start := time.Now()
			go func() { closed <- s.Close() }()
			<-w.Closing()
			_, err := s.SecretWriter(ctx, p.ID, "oauth")
			wantErr(t, "SecretWriter while closing", err, ErrLocked)
			time.Sleep(100 * time.Millisecond)
			select {
			case err := <-closed:
				t.Fatalf("Close returned (%v) while a writer was open", err)
			default:
			}
			if tc.end != nil {
				if err := tc.end(w); err != nil {
					t.Fatalf("end the writer while closing: %v", err)
				}
			}
			if err := <-closed; err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); tc.end == nil && took < secretWriterWait {
				t.Fatalf("Close returned after %v with a writer never closed; want secretWriterWait", took)
			}
			w.Close()
			s = openTest(t, dir, nil, true)
			if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Secret(ctx, p.ID, "oauth"); err != nil || string(got) != tc.want {
				t.Fatalf("Secret after Open = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func mustKeys(t *testing.T, s *Store, profileID string) *profileKeys {
	t.Helper()
	k, err := s.keysFor(context.Background(), profileID)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSecretWriterOutlivesLock: a writer taken while unlocked puts its
// secret once, whether the store is still unlocked or was locked
// meanwhile (the value then opens after the next unlock, from the
// database or the keyring); after Put or Close it holds no key and puts
// nothing; a locked store gives none.
func TestSecretWriterOutlivesLock(t *testing.T) {
	ctx := context.Background()
	for _, mode := range secretModes() {
		for _, lock := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/locked meanwhile %v", mode.name, lock), func(t *testing.T) {
				s, p, w := openSecretWriter(t, t.TempDir(), mode)
				defer w.Close()
				if lock {
					s.Lock()
				}
				if err := w.Put(ctx, []byte("rotated token")); err != nil {
					t.Fatalf("Put: %v", err)
				}
				if w.dek != nil {
					t.Fatal("the writer keeps its key after Put")
				}
				err := w.Put(ctx, []byte("a second value"))
				wantErr(t, "second Put", err, ErrInvalid)
				if lock {
					_, err := s.Secret(ctx, p.ID, "oauth")
					wantErr(t, "Secret while locked", err, ErrLocked)
					if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
						t.Fatal(err)
					}
				}
				if got, err := s.Secret(ctx, p.ID, "oauth"); err != nil || string(got) != "rotated token" {
					t.Fatalf("Secret = %q, %v; want the rotated token", got, err)
				}

				closed, err := s.SecretWriter(ctx, p.ID, "oauth")
				if err != nil {
					t.Fatal(err)
				}
				closed.Close()
				closed.Close()
				err = closed.Put(ctx, []byte("after Close"))
				wantErr(t, "Put after Close", err, ErrInvalid)
				s.Lock()
				_, err = s.SecretWriter(ctx, p.ID, "oauth")
				wantErr(t, "SecretWriter while locked", err, ErrLocked)
			})
		}
	}
}
