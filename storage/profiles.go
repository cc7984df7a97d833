package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Profile is one practice × one patient: a FHIR server and the patient
// whose records Carebook caches from it. Every field but ID is sealed.
type Profile struct {
	ID          string            // opaque random id, chosen by storage
	PracticeURL string            // FHIR base URL (sealed)
	PatientID   string            // FHIR Patient id (sealed)
	Label       string            // display name, e.g. "Maya Rivera" (sealed)
	Settings    map[string]string // free-form sealed settings (needs-sign-in flag, capabilities...)
	CreatedAt   time.Time         // set by CreateProfile (sealed)
}

// profileRecord is the sealed plaintext of a profiles row.
type profileRecord struct {
	PracticeURL string            `json:"practice_url"`
	PatientID   string            `json:"patient_id"`
	Label       string            `json:"label"`
	Settings    map[string]string `json:"settings,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
}

func profileAD(profileID string) []byte { return adFor("profiles", profileID) }

func sealProfile(k *profileKeys, p Profile) ([]byte, error) {
	pt, err := json.Marshal(profileRecord{
		PracticeURL: p.PracticeURL, PatientID: p.PatientID, Label: p.Label,
		Settings: p.Settings, CreatedAt: p.CreatedAt.UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode profile: %w", err)
	}
	defer zero(pt)
	return k.seal(pt, profileAD(p.ID))
}

func openProfile(k *profileKeys, id string, sealed []byte) (Profile, error) {
	pt, err := k.open(sealed, profileAD(id))
	if err != nil {
		return Profile{}, fmt.Errorf("open profile: %w", err)
	}
	defer zero(pt)
	var r profileRecord
	if err := json.Unmarshal(pt, &r); err != nil {
		return Profile{}, fmt.Errorf("decode profile: %w", ErrIntegrity)
	}
	return Profile{ID: id, PracticeURL: r.PracticeURL, PatientID: r.PatientID, Label: r.Label,
		Settings: r.Settings, CreatedAt: r.CreatedAt}, nil
}

// CreateProfile stores a new profile with a fresh random data key and
// returns it with its ID (and CreatedAt, if zero) filled in. p.ID is ignored.
func (s *Store) CreateProfile(ctx context.Context, p Profile) (Profile, error) {
	idBytes := make([]byte, 16)
	if _, err := rand.Read(idBytes); err != nil {
		return Profile{}, fmt.Errorf("create profile: id: %w", err)
	}
	p.ID = hex.EncodeToString(idBytes)
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now()
	}
	p.CreatedAt = p.CreatedAt.UTC().Round(0)
	dek, err := randomKey()
	if err != nil {
		return Profile{}, fmt.Errorf("create profile: %w", err)
	}
	s.mu.RLock()
	if s.kek == nil {
		s.mu.RUnlock()
		zero(dek)
		return Profile{}, fmt.Errorf("create profile: %w", ErrLocked)
	}
	if s.nextKEK != nil {
		s.mu.RUnlock()
		zero(dek)
		return Profile{}, fmt.Errorf("create profile: %w", ErrRekeying)
	}
	wrapped, err := seal(s.kek, dek, dekAD(s.installID, p.ID))
	s.mu.RUnlock()
	if err != nil {
		zero(dek)
		return Profile{}, fmt.Errorf("create profile: %w", err)
	}
	k, err := newProfileKeys(dek)
	if err != nil {
		zero(dek)
		return Profile{}, fmt.Errorf("create profile: %w", err)
	}
	defer k.destroy() // keysFor unwraps its own copy on first use
	sealed, err := sealProfile(k, p)
	if err != nil {
		return Profile{}, fmt.Errorf("create profile: %w", err)
	}
	err = s.update(ctx, "create profile", func(tx *sql.Tx) error {
		if err := refuseDuringRekey(ctx, tx, "create profile"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO profiles (id, sealed) VALUES (?, ?)", p.ID, sealed); err != nil {
			return dbErr("create profile", err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO profile_keys (profile_id, wrapped_dek) VALUES (?, ?)", p.ID, wrapped); err != nil {
			return dbErr("create profile key", err)
		}
		// A new record's search index is complete (empty) from the start.
		if _, err := tx.ExecContext(ctx, "INSERT INTO search_state (profile, built) SELECT num, ? FROM profiles WHERE id = ?", searchFormat, p.ID); err != nil {
			return dbErr("create profile search index", err)
		}
		return s.auditTx(ctx, tx, AuditProfileAdded, p.ID, "")
	})
	if err != nil {
		return Profile{}, err
	}
	return p, nil
}

// UpdateProfile replaces the sealed fields of an existing profile (all but
// ID and CreatedAt). ErrNotFound if it does not exist.
func (s *Store) UpdateProfile(ctx context.Context, p Profile) error {
	old, err := s.Profile(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	k, err := s.keysFor(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	p.CreatedAt = old.CreatedAt
	sealed, err := sealProfile(k, p)
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	return s.update(ctx, "update profile", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE profiles SET sealed = ? WHERE id = ?", sealed, p.ID)
		if err != nil {
			return dbErr("update profile", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("update profile: %w", ErrNotFound)
		}
		// What the switcher shows while its own lock is closed follows.
		return s.refreshHint(ctx, tx, p)
	})
}

// Profile returns one profile: ErrNotFound if it does not exist.
func (s *Store) Profile(ctx context.Context, id string) (Profile, error) {
	k, err := s.keysFor(ctx, id)
	if err != nil {
		return Profile{}, fmt.Errorf("read profile: %w", err)
	}
	var sealed []byte
	err = s.reader.QueryRowContext(ctx, "SELECT sealed FROM profiles WHERE id = ?", id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return Profile{}, fmt.Errorf("read profile: %w", ErrNotFound)
	}
	if err != nil {
		return Profile{}, dbErr("read profile", err)
	}
	return openProfile(k, id, sealed)
}

// Profiles returns every profile that is open, oldest first: not those
// whose own lock is closed (see LockedProfiles).
func (s *Store) Profiles(ctx context.Context) ([]Profile, error) {
	if s.Locked() {
		return nil, fmt.Errorf("list profiles: %w", ErrLocked)
	}
	// Only profiles with a key: a profile without one is being deleted.
	rows, err := s.reader.QueryContext(ctx, "SELECT p.id FROM profiles p JOIN profile_keys k ON k.profile_id = p.id")
	if err != nil {
		return nil, dbErr("list profiles", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, dbErr("list profiles", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbErr("list profiles", err)
	}
	out := make([]Profile, 0, len(ids))
	for _, id := range ids {
		p, err := s.Profile(ctx, id)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrProfileLocked) {
			continue // deleted meanwhile, or its own lock is closed (LockedProfiles)
		}
		if err != nil {
			return nil, fmt.Errorf("list profiles: %w", err)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// DeleteProfile destroys a profile: first its wrapped data key, in its own
// committed transaction (from then on nothing of the profile can be
// decrypted, even if the rest fails or the process dies), then its secrets
// in the keyring, then its rows, resources, checkpoints, outbox and secrets.
// A deletion cut short is finished at the next unlock.
func (s *Store) DeleteProfile(ctx context.Context, id string) error {
	if s.Locked() {
		return fmt.Errorf("delete profile: %w", ErrLocked)
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	var found bool
	err := s.update(ctx, "delete profile key", func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM profiles WHERE id = ?", id).Scan(&n); err != nil {
			return dbErr("delete profile key", err)
		}
		found = n > 0
		if _, err := tx.ExecContext(ctx, "DELETE FROM profile_keys WHERE profile_id = ?", id); err != nil {
			return dbErr("delete profile key", err)
		}
		if !found {
			return nil
		}
		return s.auditTx(ctx, tx, AuditProfileRemoved, id, "key destroyed")
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	if k := s.profiles[id]; k != nil {
		k.destroy()
		delete(s.profiles, id)
	}
	s.keyGen++
	s.mu.Unlock()
	if !found {
		return fmt.Errorf("delete profile: %w", ErrNotFound)
	}
	// secure_delete zeroed the key in the new page versions; flush the old
	// versions out of the WAL before going on.
	if err := s.truncateWAL(ctx); err != nil {
		return fmt.Errorf("delete profile: %w", err)
	}
	if err := s.purgeProfile(ctx, id); err != nil {
		return err
	}
	return s.truncateWAL(ctx)
}

// purgeProfile removes the keyring secrets and then all rows of a profile
// whose key is already destroyed.
func (s *Store) purgeProfile(ctx context.Context, id string) error {
	if err := s.DeleteLockScreenCard(id); err != nil {
		return fmt.Errorf("delete profile: %w", err)
	}
	if err := s.deleteKeyringSecrets(ctx, id); err != nil {
		return fmt.Errorf("delete profile: %w", err)
	}
	return s.update(ctx, "delete profile", func(tx *sql.Tx) error {
		// ON DELETE CASCADE removes resources, checkpoints, outbox and secrets.
		if _, err := tx.ExecContext(ctx, "DELETE FROM profiles WHERE id = ?", id); err != nil {
			return dbErr("delete profile", err)
		}
		return nil
	})
}

// purgeOrphanProfiles finishes deletions interrupted after the key was
// destroyed.
func (s *Store) purgeOrphanProfiles(ctx context.Context) error {
	rows, err := s.reader.QueryContext(ctx,
		"SELECT id FROM profiles WHERE id NOT IN (SELECT profile_id FROM profile_keys)")
	if err != nil {
		return dbErr("find orphan profiles", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return dbErr("find orphan profiles", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbErr("find orphan profiles", err)
	}
	if len(ids) == 0 {
		return nil
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, s.purgeProfile(ctx, id))
	}
	errs = append(errs, s.truncateWAL(ctx))
	return errors.Join(errs...)
}
