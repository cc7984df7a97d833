package storage

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

func secretAD(profileID string, nameKey []byte) []byte {
	return adFor("secrets", profileID, string(nameKey))
}

func secretKeyringUser(installID, profileID string, nameKey []byte) string {
	return "secret/" + installID + "/" + profileID + "/" + hex.EncodeToString(nameKey[:16])
}

// PutSecret stores a secret of a profile (an OAuth token, say). The value is
// always sealed under the profile's data key; when the store keeps its
// master key in the keyring, the sealed value goes to the keyring too, and
// the database only records that it exists. If the keyring refuses it (for
// example Windows' size limit) it is kept sealed in the database instead.
func (s *Store) PutSecret(ctx context.Context, profileID, name string, value []byte) error {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return fmt.Errorf("put secret: %w", err)
	}
	nameKey, err := k.rowKey("secret", name)
	if err != nil {
		return fmt.Errorf("put secret: %w", err)
	}
	sealed, err := k.seal(value, secretAD(profileID, nameKey))
	if err != nil {
		return fmt.Errorf("put secret: %w", err)
	}
	s.mu.RLock()
	installID, useKeyring := s.installID, s.inKeyring && s.keyring != nil
	s.mu.RUnlock()
	user := secretKeyringUser(installID, profileID, nameKey)
	inKeyring := false
	if useKeyring {
		inKeyring = s.keyring.Set(keyringService, user, base64.StdEncoding.EncodeToString(sealed)) == nil
	}
	var dbSealed []byte
	if !inKeyring {
		dbSealed = sealed
	}
	err = s.update(ctx, "put secret", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (profile_id, name_key, in_keyring, sealed) VALUES (?, ?, ?, ?)
			ON CONFLICT (profile_id, name_key) DO UPDATE SET in_keyring = excluded.in_keyring, sealed = excluded.sealed`,
			profileID, nameKey, inKeyring, dbSealed); err != nil {
			return dbErr("put secret", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if useKeyring && !inKeyring {
		// An older value may still sit in the keyring; it must not come back.
		_ = s.keyring.Delete(keyringService, user)
	}
	return nil
}

// Secret returns a secret of a profile: ErrNotFound if absent (or if its
// keyring entry was removed behind our back).
func (s *Store) Secret(ctx context.Context, profileID, name string) ([]byte, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	nameKey, err := k.rowKey("secret", name)
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	var inKeyring bool
	var sealed []byte
	err = s.reader.QueryRowContext(ctx, "SELECT in_keyring, sealed FROM secrets WHERE profile_id = ? AND name_key = ?",
		profileID, nameKey).Scan(&inKeyring, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read secret: %w", ErrNotFound)
	}
	if err != nil {
		return nil, dbErr("read secret", err)
	}
	if inKeyring {
		if s.keyring == nil {
			return nil, fmt.Errorf("read secret: %w", ErrNoKeyring)
		}
		s.mu.RLock()
		installID := s.installID
		s.mu.RUnlock()
		encoded, err := s.keyring.Get(keyringService, secretKeyringUser(installID, profileID, nameKey))
		if err != nil {
			return nil, fmt.Errorf("read secret: %w", err)
		}
		if sealed, err = base64.StdEncoding.DecodeString(encoded); err != nil {
			return nil, fmt.Errorf("read secret: %w: keyring entry is not base64", ErrIntegrity)
		}
	}
	value, err := k.open(sealed, secretAD(profileID, nameKey))
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	return value, nil
}

// DeleteSecret removes a secret of a profile; removing an absent one is not
// an error.
func (s *Store) DeleteSecret(ctx context.Context, profileID, name string) error {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return fmt.Errorf("delete secret: %w", err)
	}
	nameKey, err := k.rowKey("secret", name)
	if err != nil {
		return fmt.Errorf("delete secret: %w", err)
	}
	if err := s.deleteKeyringSecret(profileID, nameKey); err != nil {
		return fmt.Errorf("delete secret: %w", err)
	}
	return s.update(ctx, "delete secret", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM secrets WHERE profile_id = ? AND name_key = ?", profileID, nameKey); err != nil {
			return dbErr("delete secret", err)
		}
		return nil
	})
}

// deleteKeyringSecret removes the keyring entry of a secret, if any. An
// unreachable keyring is tolerated: what it holds is sealed under the
// profile's data key, so it is useless once that key is destroyed.
func (s *Store) deleteKeyringSecret(profileID string, nameKey []byte) error {
	if s.keyring == nil {
		return nil
	}
	s.mu.RLock()
	installID, inKeyring := s.installID, s.inKeyring
	s.mu.RUnlock()
	if !inKeyring {
		return nil
	}
	err := s.keyring.Delete(keyringService, secretKeyringUser(installID, profileID, nameKey))
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrNoKeyring) {
		return nil
	}
	return err
}

// deleteKeyringSecrets removes every keyring entry of a profile's secrets.
func (s *Store) deleteKeyringSecrets(ctx context.Context, profileID string) error {
	rows, err := s.reader.QueryContext(ctx, "SELECT name_key FROM secrets WHERE profile_id = ? AND in_keyring = 1", profileID)
	if err != nil {
		return dbErr("list keyring secrets", err)
	}
	var keys [][]byte
	for rows.Next() {
		var nameKey []byte
		if err := rows.Scan(&nameKey); err != nil {
			rows.Close()
			return dbErr("list keyring secrets", err)
		}
		keys = append(keys, nameKey)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbErr("list keyring secrets", err)
	}
	for _, nameKey := range keys {
		if err := s.deleteKeyringSecret(profileID, nameKey); err != nil {
			return fmt.Errorf("delete keyring secret: %w", err)
		}
	}
	return nil
}
