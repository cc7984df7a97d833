package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

func secretAD(profileID string, nameKey []byte) []byte {
	return adFor("secrets", profileID, string(nameKey))
}

// secretKeys returns the keys of a profile and the row key of its secret
// name.
func (s *Store) secretKeys(ctx context.Context, profileID, name string) (*profileKeys, []byte, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return nil, nil, err
	}
	nameKey, err := k.rowKey("secret", name)
	if err != nil {
		return nil, nil, err
	}
	return k, nameKey, nil
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
	k, nameKey, err := s.secretKeys(ctx, profileID, name)
	if err != nil {
		return fmt.Errorf("put secret: %w", err)
	}
	sealed, err := k.seal(value, secretAD(profileID, nameKey))
	if err != nil {
		return fmt.Errorf("put secret: %w", err)
	}
	return s.putSealedSecret(ctx, profileID, nameKey, sealed)
}

// putSealedSecret stores a secret sealed under the profile's data key with
// secretAD, in the keyring or the database as PutSecret says. It needs no
// key: a SecretWriter calls it after a lock.
func (s *Store) putSealedSecret(ctx context.Context, profileID string, nameKey, sealed []byte) error {
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
	err := s.update(ctx, "put secret", func(tx *sql.Tx) error {
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

// SecretWriter puts one secret of a profile once, even when the store is
// locked meanwhile. A token refresh takes one before it asks the server
// for new tokens: the server spends the old refresh token when it
// answers, so the rotated one must be saved although the patient locked
// the app while the answer was on its way. The writer keeps a copy of the
// profile's data key, which Lock does not reach, until Put or Close:
// hold it only for the time one request takes (bounded by its timeout),
// and always Close it. The store's Close waits for it (see Closing), so
// that quitting the app does not lose the rotated token either. Safe for
// concurrent use.
type SecretWriter struct {
	s         *Store
	profileID string
	name      string
	nameKey   []byte

	// The copy; nil once Put or Close took it. Whichever took it tells
	// the store's Close not to wait for the writer any more.
	mu  sync.Mutex
	dek []byte
}

// SecretWriter returns a writer of the secret name of a profile. Like
// PutSecret it fails while the store (ErrLocked) or the profile
// (ErrProfileLocked) is locked.
func (s *Store) SecretWriter(ctx context.Context, profileID, name string) (*SecretWriter, error) {
	// Counted before the keys are taken: Close, which locks first, then
	// waits for every writer counted before it began.
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.writers.Add(1)
	}
	s.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("secret writer: %w", ErrLocked)
	}
	w, err := s.secretWriter(ctx, profileID, name)
	if err != nil {
		s.writers.Done()
		return nil, fmt.Errorf("secret writer: %w", err)
	}
	return w, nil
}

func (s *Store) secretWriter(ctx context.Context, profileID, name string) (*SecretWriter, error) {
	k, nameKey, err := s.secretKeys(ctx, profileID, name)
	if err != nil {
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.gone {
		return nil, ErrLocked
	}
	return &SecretWriter{s: s, profileID: profileID, name: name, nameKey: nameKey, dek: bytes.Clone(k.dek)}, nil
}

// Closing is closed once the store's Close began. Close waits for the
// writer until Put or Close: its holder should then give up at once what
// it may still give up (a request that has not left), and end what it
// may not within its own timeout.
func (w *SecretWriter) Closing() <-chan struct{} { return w.s.closing }

// waitSecretWriters waits for the writers counted before Close began, at
// most secretWriterWait.
func (s *Store) waitSecretWriters() {
	done := make(chan struct{})
	go func() {
		s.writers.Wait()
		close(done)
	}()
	timer := time.NewTimer(secretWriterWait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	}
}

// Put stores value as the secret and zeroes the key copy: a writer puts
// once (ErrInvalid after that or after Close). While the store and the
// profile are unlocked it is PutSecret, with their current keys; once
// either was locked, the value is sealed with the copy.
func (w *SecretWriter) Put(ctx context.Context, value []byte) error {
	w.mu.Lock()
	dek := w.dek
	w.dek = nil
	w.mu.Unlock()
	if dek == nil {
		return fmt.Errorf("put secret: %w: the writer was used or closed", ErrInvalid)
	}
	defer w.s.writers.Done()
	defer zero(dek)
	err := w.s.PutSecret(ctx, w.profileID, w.name, value)
	if !errors.Is(err, ErrLocked) && !errors.Is(err, ErrProfileLocked) {
		return err
	}
	sealed, err := seal(dek, value, secretAD(w.profileID, w.nameKey))
	if err != nil {
		return fmt.Errorf("put secret: %w", err)
	}
	return w.s.putSealedSecret(ctx, w.profileID, w.nameKey, sealed)
}

// Close zeroes the key copy if Put did not. More than once is fine.
func (w *SecretWriter) Close() {
	w.mu.Lock()
	dek := w.dek
	w.dek = nil
	w.mu.Unlock()
	if dek != nil {
		zero(dek)
		w.s.writers.Done()
	}
}

// Secret returns a secret of a profile: ErrNotFound if absent (or if its
// keyring entry was removed behind our back).
func (s *Store) Secret(ctx context.Context, profileID, name string) ([]byte, error) {
	k, nameKey, err := s.secretKeys(ctx, profileID, name)
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
	_, nameKey, err := s.secretKeys(ctx, profileID, name)
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
