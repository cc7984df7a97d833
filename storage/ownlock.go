package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// A lock of one's own: on a shared device a profile can have its own
// passphrase, so that another family member's unlock of the app does not
// open it. The profile's data key and index key are then wrapped twice:
// first under a key derived with Argon2id from the profile's passphrase
// (the "own key"), then, as every profile key, under the KEK. The app's
// unlock therefore yields only the inner envelopes; the profile's rows
// stay sealed until OpenProfile is given its passphrase. The passphrase
// and the own key are never stored: once the profile is open, only its
// data and index keys are held in memory, like any other profile's, and
// Lock (or CloseProfile) drops them.
//
// A key rotation (Rekey) re-wraps the outer layer of such a profile under
// the new KEK but keeps its data key and does not re-seal its rows: it
// cannot open them, and the old KEK alone never could. Its keys change
// when its own passphrase does not; SetProfileLock again to rotate them.

// ErrProfileLocked means the profile has a lock of its own that is closed:
// OpenProfile with its passphrase first. It is not ErrLocked: the rest of
// the store is open.
var ErrProfileLocked = errors.New("storage: this record has its own lock")

// LockedProfile is what can be shown of a profile whose own lock is
// closed: its ID, and the label and settings it had when last open (kept
// sealed under the KEK, so the app's unlock can show whose it is).
type LockedProfile struct {
	ID       string
	Label    string
	Settings map[string]string
	// PracticeURL and PatientID say whose record it is at which practice,
	// so that signing in to that record again is not taken for a new one
	// ("" for a lock set before they were kept, until its next change).
	PracticeURL string
	PatientID   string
}

type lockHint struct {
	Label       string            `json:"label"`
	Settings    map[string]string `json:"settings,omitempty"`
	PracticeURL string            `json:"practice,omitempty"`
	PatientID   string            `json:"patient,omitempty"`
}

func ownDEKAD(installID, profileID string) []byte {
	return adFor("profile_locks", installID, profileID, "own_dek")
}
func ownIndexAD(installID, profileID string) []byte {
	return adFor("profile_locks", installID, profileID, "own_index")
}
func lockHintAD(installID, profileID string) []byte {
	return adFor("profile_locks", installID, profileID, "hint")
}

// ownLockRow is a profile_locks row.
type ownLockRow struct {
	salt   []byte
	params KDFParams
}

// ownLock reads the lock row of a profile: found false when it has none.
func (s *Store) ownLock(ctx context.Context, profileID string) (row ownLockRow, found bool, err error) {
	err = s.reader.QueryRowContext(ctx, "SELECT salt, kdf_time, kdf_memory, kdf_threads FROM profile_locks WHERE profile_id = ?", profileID).
		Scan(&row.salt, &row.params.Time, &row.params.MemoryKiB, &row.params.Threads)
	if errors.Is(err, sql.ErrNoRows) {
		return row, false, nil
	}
	if err != nil {
		return row, false, dbErr("read own lock", err)
	}
	if !row.params.valid() {
		return row, false, fmt.Errorf("own lock KDF parameters: %w", ErrCorrupt)
	}
	return row, true, nil
}

// HasOwnLock reports whether a profile has a lock of its own.
func (s *Store) HasOwnLock(ctx context.Context, profileID string) (bool, error) {
	_, found, err := s.ownLock(ctx, profileID)
	return found, err
}

// ProfileOpen reports whether a profile's keys can be used now: the store
// is unlocked and the profile has no own lock, or its own lock was opened.
func (s *Store) ProfileOpen(ctx context.Context, profileID string) bool {
	_, err := s.keysFor(ctx, profileID)
	return err == nil
}

// wrapOwn wraps a profile's keys for profile_keys: under the own key, then
// under kek.
func wrapOwn(kek, own []byte, installID, profileID string, k *profileKeys) (wrappedDEK, wrappedIndex []byte, err error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.gone {
		return nil, nil, ErrLocked
	}
	if k.old != nil {
		return nil, nil, ErrRekeying
	}
	inner, err := seal(own, k.dek, ownDEKAD(installID, profileID))
	if err != nil {
		return nil, nil, err
	}
	if wrappedDEK, err = seal(kek, inner, dekAD(installID, profileID)); err != nil {
		return nil, nil, err
	}
	innerIndex, err := seal(own, k.index, ownIndexAD(installID, profileID))
	if err != nil {
		return nil, nil, err
	}
	if wrappedIndex, err = seal(kek, innerIndex, indexAD(installID, profileID)); err != nil {
		return nil, nil, err
	}
	return wrappedDEK, wrappedIndex, nil
}

// unwrapOwn opens what wrapOwn made.
func unwrapOwn(kek, own []byte, installID, profileID string, wrappedDEK, wrappedIndex []byte) (*profileKeys, error) {
	inner, err := open(kek, wrappedDEK, dekAD(installID, profileID))
	if err != nil {
		return nil, fmt.Errorf("unwrap profile key: %w", err)
	}
	innerIndex, err := open(kek, wrappedIndex, indexAD(installID, profileID))
	if err != nil {
		return nil, fmt.Errorf("unwrap index key: %w", err)
	}
	dek, err := open(own, inner, ownDEKAD(installID, profileID))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	index, err := open(own, innerIndex, ownIndexAD(installID, profileID))
	if err != nil {
		zero(dek)
		return nil, ErrWrongPassphrase
	}
	return &profileKeys{dek: dek, index: index}, nil
}

// sealHint seals what the switcher shows of a closed profile under kek.
func sealHint(kek []byte, installID string, p Profile) ([]byte, error) {
	b, err := json.Marshal(lockHint{Label: p.Label, Settings: p.Settings, PracticeURL: p.PracticeURL, PatientID: p.PatientID})
	if err != nil {
		return nil, fmt.Errorf("encode lock hint: %w", err)
	}
	defer zero(b)
	return seal(kek, b, lockHintAD(installID, p.ID))
}

// SetProfileLock gives an open profile a passphrase of its own (or
// replaces it: old must then be its current passphrase). The profile stays
// open. ErrWeakPassphrase for a passphrase that is too short,
// ErrWrongPassphrase when old does not fit, ErrRekeying during a rotation.
func (s *Store) SetProfileLock(ctx context.Context, profileID, old, passphrase string) error {
	if passphrase == "" {
		return fmt.Errorf("set own lock: %w: a passphrase is needed", ErrWeakPassphrase)
	}
	if err := CheckPassphrase(passphrase); err != nil {
		return fmt.Errorf("set own lock: %w", err)
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	p, k, err := s.openForOwnLock(ctx, profileID, old)
	if err != nil {
		return fmt.Errorf("set own lock: %w", err)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("set own lock: salt: %w", err)
	}
	params := s.kdf
	own := deriveKey(passphrase, salt, params)
	defer zero(own)
	return s.update(ctx, "set own lock", func(tx *sql.Tx) error {
		if err := refuseDuringRekey(ctx, tx, "set own lock"); err != nil {
			return err
		}
		s.mu.RLock()
		kek, installID := s.kek, s.installID
		var wrapped, wrappedIndex, hint []byte
		var err error
		if kek == nil {
			err = ErrLocked
		} else if wrapped, wrappedIndex, err = wrapOwn(kek, own, installID, profileID, k); err == nil {
			hint, err = sealHint(kek, installID, p)
		}
		s.mu.RUnlock()
		if err != nil {
			return fmt.Errorf("set own lock: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE profile_keys SET wrapped_dek = ?, wrapped_index = ? WHERE profile_id = ?",
			wrapped, wrappedIndex, profileID); err != nil {
			return dbErr("set own lock", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO profile_locks (profile_id, salt, kdf_time, kdf_memory, kdf_threads, hint)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (profile_id) DO UPDATE SET salt = excluded.salt, kdf_time = excluded.kdf_time,
			kdf_memory = excluded.kdf_memory, kdf_threads = excluded.kdf_threads, hint = excluded.hint`,
			profileID, salt, params.Time, params.MemoryKiB, params.Threads, hint); err != nil {
			return dbErr("set own lock", err)
		}
		return s.auditTx(ctx, tx, AuditOwnLock, profileID, "own passphrase set")
	})
}

// RemoveProfileLock removes a profile's own lock, given its passphrase:
// the app's unlock opens it again. The profile stays open.
func (s *Store) RemoveProfileLock(ctx context.Context, profileID, passphrase string) error {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	_, found, err := s.ownLock(ctx, profileID)
	if err != nil {
		return fmt.Errorf("remove own lock: %w", err)
	}
	if !found {
		return fmt.Errorf("remove own lock: %w: this record has no lock of its own", ErrNotFound)
	}
	_, k, err := s.openForOwnLock(ctx, profileID, passphrase)
	if err != nil {
		return fmt.Errorf("remove own lock: %w", err)
	}
	return s.update(ctx, "remove own lock", func(tx *sql.Tx) error {
		if err := refuseDuringRekey(ctx, tx, "remove own lock"); err != nil {
			return err
		}
		s.mu.RLock()
		kek, installID := s.kek, s.installID
		var wrapped, wrappedIndex []byte
		err := ErrLocked
		if kek != nil {
			k.mu.RLock()
			if wrapped, err = seal(kek, k.dek, dekAD(installID, profileID)); err == nil {
				wrappedIndex, err = seal(kek, k.index, indexAD(installID, profileID))
			}
			k.mu.RUnlock()
		}
		s.mu.RUnlock()
		if err != nil {
			return fmt.Errorf("remove own lock: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE profile_keys SET wrapped_dek = ?, wrapped_index = ? WHERE profile_id = ?",
			wrapped, wrappedIndex, profileID); err != nil {
			return dbErr("remove own lock", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM profile_locks WHERE profile_id = ?", profileID); err != nil {
			return dbErr("remove own lock", err)
		}
		return s.auditTx(ctx, tx, AuditOwnLock, profileID, "own passphrase removed")
	})
}

// openForOwnLock returns a profile and its keys for changing its lock:
// with an own lock, passphrase must open it (the profile is then open);
// without one, passphrase must be empty and the store unlocked.
func (s *Store) openForOwnLock(ctx context.Context, profileID, passphrase string) (Profile, *profileKeys, error) {
	_, found, err := s.ownLock(ctx, profileID)
	if err != nil {
		return Profile{}, nil, err
	}
	if found {
		if err := s.openProfileLocked(ctx, profileID, passphrase); err != nil {
			return Profile{}, nil, err
		}
	} else if passphrase != "" {
		return Profile{}, nil, fmt.Errorf("this record has no lock of its own: %w", ErrWrongPassphrase)
	}
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return Profile{}, nil, err
	}
	p, err := s.Profile(ctx, profileID)
	if err != nil {
		return Profile{}, nil, err
	}
	return p, k, nil
}

// OpenProfile opens a profile's own lock with its passphrase (Argon2id:
// slow on purpose, never on a UI goroutine). Until Lock or CloseProfile,
// the profile works like any other. ErrWrongPassphrase when it does not
// fit (nothing changes), ErrLocked while the store is locked, ErrNotFound
// for an unknown profile. A profile without an own lock, or already open,
// opens with any passphrase.
func (s *Store) OpenProfile(ctx context.Context, profileID, passphrase string) error {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if err := s.openProfileLocked(ctx, profileID, passphrase); err != nil {
		if errors.Is(err, ErrWrongPassphrase) {
			_ = s.Audit(ctx, AuditOwnLock, profileID, "own passphrase refused")
		}
		return fmt.Errorf("open record: %w", err)
	}
	return nil
}

// openProfileLocked is OpenProfile; s.keyMu must be held.
func (s *Store) openProfileLocked(ctx context.Context, profileID, passphrase string) error {
	if _, err := s.keysFor(ctx, profileID); !errors.Is(err, ErrProfileLocked) {
		return err // open already, no own lock, or another failure
	}
	row, found, err := s.ownLock(ctx, profileID)
	if err != nil {
		return err
	}
	if !found {
		return ErrProfileLocked // removed meanwhile by another program: try again
	}
	var wrapped, wrappedIndex []byte
	err = s.reader.QueryRowContext(ctx, "SELECT wrapped_dek, wrapped_index FROM profile_keys WHERE profile_id = ?", profileID).
		Scan(&wrapped, &wrappedIndex)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("profile: %w", ErrNotFound)
	}
	if err != nil {
		return dbErr("read profile key", err)
	}
	if wrappedIndex == nil {
		return fmt.Errorf("own lock without index key: %w", ErrCorrupt)
	}
	own := deriveKey(passphrase, row.salt, row.params)
	defer zero(own)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kek == nil {
		return ErrLocked
	}
	if s.profiles[profileID] != nil {
		return nil
	}
	k, err := unwrapOwn(s.kek, own, s.installID, profileID, wrapped, wrappedIndex)
	if errors.Is(err, ErrWrongPassphrase) {
		return err
	}
	if err != nil {
		return err
	}
	var num int64
	if err := s.reader.QueryRowContext(ctx, "SELECT num FROM profiles WHERE id = ?", profileID).Scan(&num); err != nil {
		k.destroy()
		return dbErr("read profile", err)
	}
	k.num = num
	s.profiles[profileID] = k
	return nil
}

// CloseProfile drops the keys of a profile with an own lock from memory:
// it needs its passphrase again. A profile without one is left as it is
// (the app's lock closes those).
func (s *Store) CloseProfile(ctx context.Context, profileID string) error {
	_, found, err := s.ownLock(ctx, profileID)
	if err != nil {
		return fmt.Errorf("close record: %w", err)
	}
	if !found {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.profiles[profileID]; k != nil {
		k.destroy()
		delete(s.profiles, profileID)
		s.keyGen++
	}
	return nil
}

// LockedProfiles lists the profiles whose own lock is closed, with what
// can be shown of them. The store must be unlocked.
func (s *Store) LockedProfiles(ctx context.Context) ([]LockedProfile, error) {
	s.mu.RLock()
	kek, installID := append([]byte(nil), s.kek...), s.installID
	locked := s.kek == nil
	s.mu.RUnlock()
	defer zero(kek)
	if locked {
		return nil, fmt.Errorf("list locked records: %w", ErrLocked)
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT l.profile_id, l.hint FROM profile_locks l
		JOIN profile_keys k ON k.profile_id = l.profile_id JOIN profiles p ON p.id = l.profile_id ORDER BY p.num`)
	if err != nil {
		return nil, dbErr("list locked records", err)
	}
	defer rows.Close()
	var out []LockedProfile
	for rows.Next() {
		var id string
		var sealed []byte
		if err := rows.Scan(&id, &sealed); err != nil {
			return nil, dbErr("list locked records", err)
		}
		s.mu.RLock()
		isOpen := s.profiles[id] != nil
		s.mu.RUnlock()
		if isOpen {
			continue
		}
		pt, err := open(kek, sealed, lockHintAD(installID, id))
		if err != nil {
			return nil, fmt.Errorf("list locked records: %w", err)
		}
		var h lockHint
		err = json.Unmarshal(pt, &h)
		zero(pt)
		if err != nil {
			return nil, fmt.Errorf("list locked records: %w", ErrIntegrity)
		}
		out = append(out, LockedProfile{ID: id, Label: h.Label, Settings: h.Settings, PracticeURL: h.PracticeURL, PatientID: h.PatientID})
	}
	return out, dbErrOrNil("list locked records", rows.Err())
}

// refreshHint re-seals the hint of an open profile with an own lock after
// its label or settings changed, inside tx. A profile without one is left.
func (s *Store) refreshHint(ctx context.Context, tx *sql.Tx, p Profile) error {
	s.mu.RLock()
	kek, installID := append([]byte(nil), s.kek...), s.installID
	s.mu.RUnlock()
	defer zero(kek)
	if len(kek) == 0 {
		return ErrLocked
	}
	hint, err := sealHint(kek, installID, p)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE profile_locks SET hint = ? WHERE profile_id = ?", hint, p.ID); err != nil {
		return dbErr("update lock hint", err)
	}
	return nil
}

// OpenProfilesWith opens every profile whose own lock passphrase opens
// and returns how many it opened; ErrWrongPassphrase when some profiles
// are closed and it opens none of them. Each try costs an Argon2id
// derivation.
func (s *Store) OpenProfilesWith(ctx context.Context, passphrase string) (int, error) {
	closed, err := s.LockedProfiles(ctx)
	if err != nil {
		return 0, err
	}
	opened := 0
	for _, p := range closed {
		err := s.OpenProfile(ctx, p.ID, passphrase)
		switch {
		case err == nil:
			opened++
		case !errors.Is(err, ErrWrongPassphrase):
			return opened, err
		}
	}
	if len(closed) > 0 && opened == 0 {
		return 0, fmt.Errorf("open records: %w: it opens none of the records with their own lock", ErrWrongPassphrase)
	}
	return opened, nil
}
