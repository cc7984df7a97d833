package storage

import (
	"context"
	"fmt"
	"testing"
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

func TestSecrets(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []struct {
		name      string
		keyring   Keyring
		noKeyring bool
		inKeyring bool
	}{
		{"database", nil, true, false},
		{"keyring", NewMemoryKeyring(), false, true},
		{"keyring too small", tinyKeyring{NewMemoryKeyring(), 20}, false, false},
	} {
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

func mustKeys(t *testing.T, s *Store, profileID string) *profileKeys {
	t.Helper()
	k, err := s.keysFor(context.Background(), profileID)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
