package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Values are small records of a profile that are not FHIR resources and
// change often: drafts the patient is writing, say. Each is sealed under
// the profile's data key like everything else, found by an HMAC of its
// name, and goes when the profile goes. They share the checkpoints table
// (same shape: profile, name key, sealed value) under a key domain of
// their own, so a value and a checkpoint never collide.

func valueAD(profileID string, nameKey []byte) []byte {
	return adFor("values", profileID, string(nameKey))
}

// PutValue stores value under name for the profile, replacing any earlier
// one. The write is durable when PutValue returns.
func (s *Store) PutValue(ctx context.Context, profileID, name string, value []byte) error {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return fmt.Errorf("put value: %w", err)
	}
	nameKey, err := k.rowKey("value", name)
	if err != nil {
		return fmt.Errorf("put value: %w", err)
	}
	sealed, err := k.seal(value, valueAD(profileID, nameKey))
	if err != nil {
		return fmt.Errorf("put value: %w", err)
	}
	return s.update(ctx, "put value", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (profile_id, name_key, sealed) VALUES (?, ?, ?)
			ON CONFLICT (profile_id, name_key) DO UPDATE SET sealed = excluded.sealed`,
			profileID, nameKey, sealed); err != nil {
			return dbErr("put value", err)
		}
		return nil
	})
}

// Value returns the value stored under name: ErrNotFound if none is.
func (s *Store) Value(ctx context.Context, profileID, name string) ([]byte, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("read value: %w", err)
	}
	nameKey, err := k.rowKey("value", name)
	if err != nil {
		return nil, fmt.Errorf("read value: %w", err)
	}
	var sealed []byte
	err = s.reader.QueryRowContext(ctx, "SELECT sealed FROM checkpoints WHERE profile_id = ? AND name_key = ?",
		profileID, nameKey).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read value: %w", ErrNotFound)
	}
	if err != nil {
		return nil, dbErr("read value", err)
	}
	v, err := k.open(sealed, valueAD(profileID, nameKey))
	if err != nil {
		return nil, fmt.Errorf("read value: %w", err)
	}
	return v, nil
}

// DeleteValue removes the value stored under name; removing an absent one
// is not an error.
func (s *Store) DeleteValue(ctx context.Context, profileID, name string) error {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return fmt.Errorf("delete value: %w", err)
	}
	nameKey, err := k.rowKey("value", name)
	if err != nil {
		return fmt.Errorf("delete value: %w", err)
	}
	return s.update(ctx, "delete value", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM checkpoints WHERE profile_id = ? AND name_key = ?", profileID, nameKey); err != nil {
			return dbErr("delete value", err)
		}
		return nil
	})
}
