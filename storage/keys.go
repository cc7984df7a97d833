package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// kekCheckPlaintext is sealed under the KEK at setup. Opening it proves that
// a key from the keyring is this install's KEK before anything is unwrapped.
const kekCheckPlaintext = "carebook master key check v1"

func kekCheckAD(installID string) []byte { return adFor("install", installID, "kek_check") }
func passphraseAD(installID string) []byte {
	return adFor("passphrase_kek", installID, "wrapped_kek")
}
func dekAD(installID, profileID string) []byte {
	return adFor("profile_keys", installID, profileID, "wrapped_dek")
}
func kekKeyringUser(installID string) string { return "kek/" + installID }

// loadInstall reads the install row, if Setup has run.
func (s *Store) loadInstall() error {
	var id string
	var inKeyring bool
	var epoch int64
	err := s.reader.QueryRow("SELECT install_id, in_keyring, key_epoch FROM install WHERE id = 1").Scan(&id, &inKeyring, &epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return dbErr("read install", err)
	}
	s.initialized, s.installID, s.inKeyring, s.epoch = true, id, inKeyring, epoch
	return nil
}

// keyringAvailable probes the keyring with a lookup of an entry that does
// not exist: "not found" means a working backend.
func (s *Store) keyringAvailable() bool {
	if s.keyring == nil {
		return false
	}
	_, err := s.keyring.Get(keyringService, "availability-probe")
	return err == nil || errors.Is(err, ErrNotFound)
}

// Initialized reports whether Setup has created the master key.
func (s *Store) Initialized(ctx context.Context) (bool, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, "SELECT count(*) FROM install").Scan(&n); err != nil {
		return false, dbErr("read install", err)
	}
	return n > 0, nil
}

// UsesKeyring reports whether the master key is kept in the OS keyring: for
// a set-up store, whether Setup put it there; before Setup, whether a
// keyring is available and allowed (so Setup will use it).
func (s *Store) UsesKeyring() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.inKeyring && s.keyring != nil
}

// HasPassphrase reports whether the master key is also wrapped by a
// passphrase, so UnlockWithPassphrase can work.
func (s *Store) HasPassphrase(ctx context.Context) (bool, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, "SELECT count(*) FROM passphrase_kek").Scan(&n); err != nil {
		return false, dbErr("read passphrase key", err)
	}
	return n > 0, nil
}

// Setup creates the master key (KEK). With a keyring the KEK is stored there
// and passphrase may be empty; a non-empty passphrase also wraps it, so
// either unlocks. Without a keyring (or if storing in it fails) a passphrase
// is required: ErrPassphraseRequired. Setup leaves the store unlocked.
func (s *Store) Setup(ctx context.Context, passphrase string) error {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	s.mu.RLock()
	initialized, useKeyring := s.initialized, s.inKeyring
	s.mu.RUnlock()
	if initialized {
		return fmt.Errorf("setup: %w", ErrAlreadyInitialized)
	}
	if !useKeyring && passphrase == "" {
		return fmt.Errorf("setup: %w", ErrPassphraseRequired)
	}
	idBytes := make([]byte, 16)
	if _, err := rand.Read(idBytes); err != nil {
		return fmt.Errorf("setup: install id: %w", err)
	}
	installID := hex.EncodeToString(idBytes)
	kek, err := randomKey()
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	check, err := seal(kek, []byte(kekCheckPlaintext), kekCheckAD(installID))
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	var pw *passphraseRow
	if passphrase != "" {
		if pw, err = s.wrapWithPassphrase(installID, kek, passphrase); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	if useKeyring {
		err := s.keyring.Set(keyringService, kekKeyringUser(installID), base64.StdEncoding.EncodeToString(kek))
		if err != nil {
			if pw == nil {
				return fmt.Errorf("setup: %w: %w", ErrPassphraseRequired, err)
			}
			useKeyring = false // the passphrase alone protects the KEK
		}
	}
	err = s.update(ctx, "setup", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO install (id, install_id, in_keyring, kek_check) VALUES (1, ?, ?, ?)",
			installID, useKeyring, check); err != nil {
			return dbErr("setup: save master key", err)
		}
		if pw != nil {
			return pw.save(ctx, tx)
		}
		return nil
	})
	if err != nil {
		if useKeyring {
			_ = s.keyring.Delete(keyringService, kekKeyringUser(installID))
		}
		zero(kek)
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initialized, s.installID, s.inKeyring = true, installID, useKeyring
	s.setKEKLocked(kek)
	return nil
}

// passphraseRow is the KEK wrapped by a passphrase-derived key.
type passphraseRow struct {
	salt    []byte
	params  KDFParams
	wrapped []byte
}

func (s *Store) wrapWithPassphrase(installID string, kek []byte, passphrase string) (*passphraseRow, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("passphrase salt: %w", err)
	}
	derived := deriveKey(passphrase, salt, s.kdf)
	defer zero(derived)
	wrapped, err := seal(derived, kek, passphraseAD(installID))
	if err != nil {
		return nil, fmt.Errorf("wrap master key: %w", err)
	}
	return &passphraseRow{salt: salt, params: s.kdf, wrapped: wrapped}, nil
}

func (p *passphraseRow) save(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO passphrase_kek (id, salt, kdf_time, kdf_memory, kdf_threads, wrapped_kek)
		VALUES (1, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET salt = excluded.salt, kdf_time = excluded.kdf_time,
			kdf_memory = excluded.kdf_memory, kdf_threads = excluded.kdf_threads, wrapped_kek = excluded.wrapped_kek`,
		p.salt, p.params.Time, p.params.MemoryKiB, p.params.Threads, p.wrapped)
	if err != nil {
		return dbErr("save passphrase key", err)
	}
	return nil
}

// unwrapWithPassphrase derives the passphrase key with the stored
// parameters and opens the wrapped KEK. The AEAD tag tells a wrong
// passphrase from a right one.
func (s *Store) unwrapWithPassphrase(ctx context.Context, installID, passphrase string) ([]byte, error) {
	var p passphraseRow
	err := s.reader.QueryRowContext(ctx, "SELECT salt, kdf_time, kdf_memory, kdf_threads, wrapped_kek FROM passphrase_kek WHERE id = 1").
		Scan(&p.salt, &p.params.Time, &p.params.MemoryKiB, &p.params.Threads, &p.wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("no passphrase is set: %w", ErrNoKey)
	}
	if err != nil {
		return nil, dbErr("read passphrase key", err)
	}
	if !p.params.valid() {
		return nil, fmt.Errorf("stored KDF parameters: %w", ErrCorrupt)
	}
	derived := deriveKey(passphrase, p.salt, p.params)
	defer zero(derived)
	kek, err := open(derived, p.wrapped, passphraseAD(installID))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return kek, nil
}

// checkKEK verifies that kek is the master key of this install.
func (s *Store) checkKEK(ctx context.Context, installID string, kek []byte) error {
	var check []byte
	if err := s.reader.QueryRowContext(ctx, "SELECT kek_check FROM install WHERE id = 1").Scan(&check); err != nil {
		return dbErr("read master key check", err)
	}
	if _, err := open(kek, check, kekCheckAD(installID)); err != nil {
		return err
	}
	return nil
}

// installState returns the install id, or ErrNotInitialized.
func (s *Store) installState() (installID string, inKeyring bool, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.initialized {
		return "", false, ErrNotInitialized
	}
	return s.installID, s.inKeyring, nil
}

// UnlockWithKeyring loads the master key from the OS keyring. It fails with
// ErrNoKeyring when the store does not use a keyring or none is reachable,
// and with ErrNoKey when the entry is missing or holds another key.
func (s *Store) UnlockWithKeyring(ctx context.Context) error {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	installID, inKeyring, err := s.installState()
	if err != nil {
		return fmt.Errorf("unlock with keyring: %w", err)
	}
	if !inKeyring || s.keyring == nil {
		return fmt.Errorf("unlock with keyring: %w: this store keeps no key in the keyring", ErrNoKeyring)
	}
	encoded, err := s.keyring.Get(keyringService, kekKeyringUser(installID))
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("unlock with keyring: %w: no entry for this store", ErrNoKey)
	}
	if err != nil {
		return fmt.Errorf("unlock with keyring: %w", err)
	}
	kek, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(kek) != keySize {
		return fmt.Errorf("unlock with keyring: %w: keyring entry is not a key", ErrNoKey)
	}
	if err := s.checkKEK(ctx, installID, kek); err != nil {
		zero(kek)
		if !errors.Is(err, ErrIntegrity) {
			return fmt.Errorf("unlock with keyring: %w", err)
		}
		// A key rotation finished but could not update the entry: the new
		// key waits in the second one.
		if kek = s.keyringNextKEK(ctx, installID); kek == nil {
			s.recordPending(ctx, AuditUnlockFailed, "keyring")
			return fmt.Errorf("unlock with keyring: %w: keyring holds another key", ErrNoKey)
		}
	}
	s.unlocked(ctx, kek)
	return nil
}

// UnlockWithPassphrase derives the passphrase key (Argon2id, slow on
// purpose) and opens the master key: ErrWrongPassphrase if it does not fit.
func (s *Store) UnlockWithPassphrase(ctx context.Context, passphrase string) error {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	installID, _, err := s.installState()
	if err != nil {
		return fmt.Errorf("unlock with passphrase: %w", err)
	}
	kek, err := s.unwrapWithPassphrase(ctx, installID, passphrase)
	if err != nil {
		if errors.Is(err, ErrWrongPassphrase) {
			s.recordPending(ctx, AuditUnlockFailed, "passphrase")
		}
		return fmt.Errorf("unlock with passphrase: %w", err)
	}
	s.unlocked(ctx, kek)
	return nil
}

// unlocked installs kek and finishes profile deletions a crash interrupted.
// It also picks up the key epoch, and finishes a key rotation a crash cut
// short (best effort: until it finishes, values open with either key and
// the next unlock tries again). s.keyMu must be held.
func (s *Store) unlocked(ctx context.Context, kek []byte) {
	var epoch int64
	_ = s.reader.QueryRowContext(ctx, "SELECT key_epoch FROM install WHERE id = 1").Scan(&epoch)
	s.mu.Lock()
	s.setKEKLocked(kek)
	s.epoch = epoch
	s.mu.Unlock()
	// Best effort: the rows of such a profile are unreadable already (its
	// key is gone); a failure here is retried at the next unlock.
	_ = s.purgeOrphanProfiles(ctx)
	if pending, err := s.loadRekey(ctx); err == nil && pending {
		_ = s.resumeRekey(ctx)
	}
	s.sealPendingAudit(ctx)
}

// setKEKLocked replaces the KEK; s.mu must be held for writing.
func (s *Store) setKEKLocked(kek []byte) {
	s.dropKeysLocked()
	s.kek = kek
}

// dropKeysLocked zeroes every key; s.mu must be held for writing.
func (s *Store) dropKeysLocked() {
	if s.kek != nil {
		zero(s.kek)
		s.kek = nil
	}
	if s.nextKEK != nil {
		zero(s.nextKEK)
		s.nextKEK = nil
	}
	for id, k := range s.profiles {
		k.destroy()
		delete(s.profiles, id)
	}
	s.keyGen++
}

// ChangePassphrase rewraps the master key under a new passphrase; records
// are not re-encrypted. When a passphrase is set, old must match it
// (ErrWrongPassphrase). When none is set (a keyring store), the store must
// be unlocked and old must be empty. An empty new removes the passphrase,
// which is allowed only while the keyring holds the master key.
func (s *Store) ChangePassphrase(ctx context.Context, old, new string) error {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	installID, inKeyring, err := s.installState()
	if err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	has, err := s.HasPassphrase(ctx)
	if err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	var kek []byte
	if has {
		if kek, err = s.unwrapWithPassphrase(ctx, installID, old); err != nil {
			return fmt.Errorf("change passphrase: %w", err)
		}
	} else {
		if old != "" {
			return fmt.Errorf("change passphrase: %w", ErrWrongPassphrase)
		}
		s.mu.RLock()
		if s.kek != nil {
			kek = append([]byte(nil), s.kek...)
		}
		s.mu.RUnlock()
		if kek == nil {
			return fmt.Errorf("change passphrase: %w", ErrLocked)
		}
	}
	defer zero(kek)

	if new == "" {
		if !inKeyring {
			return fmt.Errorf("change passphrase: %w", ErrPassphraseRequired)
		}
		// Never remove the last way in: the keyring must really hold this KEK.
		encoded, err := s.keyring.Get(keyringService, kekKeyringUser(installID))
		if err != nil {
			return fmt.Errorf("change passphrase: keyring does not hold the key: %w", ErrNoKey)
		}
		fromKeyring, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || s.checkKEK(ctx, installID, fromKeyring) != nil {
			return fmt.Errorf("change passphrase: keyring holds another key: %w", ErrNoKey)
		}
		zero(fromKeyring)
		return s.update(ctx, "change passphrase", func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "DELETE FROM passphrase_kek"); err != nil {
				return dbErr("remove passphrase key", err)
			}
			return nil
		})
	}
	pw, err := s.wrapWithPassphrase(installID, kek, new)
	if err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	return s.update(ctx, "change passphrase", func(tx *sql.Tx) error {
		if err := refuseDuringRekey(ctx, tx, "change passphrase"); err != nil {
			return err
		}
		if err := pw.save(ctx, tx); err != nil {
			return err
		}
		if s.Locked() {
			return nil // the next unlock's trail cannot say it; nothing to seal with
		}
		return s.auditTx(ctx, tx, AuditPassphrase, "", "passphrase changed")
	})
}

// Lock zeroes and drops every key held in memory. Until the next unlock,
// every record, outbox and secret operation fails with ErrLocked.
func (s *Store) Lock() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropKeysLocked()
}

// Locked reports whether the store holds no master key.
func (s *Store) Locked() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.kek == nil
}

// keysFor returns the keys of a profile, unwrapping its DEK on first use.
// It fails with ErrLocked while locked and ErrNotFound for an unknown (or
// deleted) profile.
func (s *Store) keysFor(ctx context.Context, profileID string) (*profileKeys, error) {
	retries := 0
	for {
		s.mu.RLock()
		if s.kek == nil {
			s.mu.RUnlock()
			return nil, ErrLocked
		}
		k, gen, installID := s.profiles[profileID], s.keyGen, s.installID
		s.mu.RUnlock()
		if k != nil {
			return k, nil
		}

		var wrapped, wrappedIndex, nextDEK, nextIndex []byte
		var num int64
		var ownLock bool
		err := s.reader.QueryRowContext(ctx, `SELECT k.wrapped_dek, k.wrapped_index, p.num, r.wrapped_dek, r.wrapped_index,
			l.profile_id IS NOT NULL
			FROM profile_keys k JOIN profiles p ON p.id = k.profile_id
			LEFT JOIN rekey_profiles r ON r.profile_id = k.profile_id
			LEFT JOIN profile_locks l ON l.profile_id = k.profile_id WHERE k.profile_id = ?`, profileID).
			Scan(&wrapped, &wrappedIndex, &num, &nextDEK, &nextIndex, &ownLock)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("profile: %w", ErrNotFound)
		}
		if err != nil {
			return nil, dbErr("read profile key", err)
		}
		if ownLock {
			// Its keys are in memory only once OpenProfile opened it.
			return nil, ErrProfileLocked
		}

		s.mu.Lock()
		if s.keyGen != gen {
			// A Lock or a profile deletion ran meanwhile; what we read may be stale.
			s.mu.Unlock()
			continue
		}
		if k := s.profiles[profileID]; k != nil {
			s.mu.Unlock()
			return k, nil
		}
		if s.nextKEK != nil && nextDEK == nil {
			// A rotation's start is about to commit: its new keys are not
			// readable yet. Read again.
			s.mu.Unlock()
			if retries++; retries < 50 {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return nil, fmt.Errorf("profile key: %w", ErrRekeying)
		}
		k, err = unwrapProfileKeys(s.kek, s.nextKEK, installID, profileID, wrapped, wrappedIndex, nextDEK, nextIndex)
		if err != nil {
			epoch := s.epoch
			s.mu.Unlock()
			if errors.Is(err, ErrIntegrity) && s.keysChangedSince(ctx, epoch) {
				// This process may be finishing a key rotation: its new keys
				// are in memory a moment before the commit. Read again.
				if retries++; retries < 50 {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				s.Lock()
				return nil, fmt.Errorf("the keys were changed by another program: %w", ErrLocked)
			}
			return nil, err
		}
		k.num = num
		s.profiles[profileID] = k
		s.mu.Unlock()
		return k, nil
	}
}

func indexAD(installID, profileID string) []byte {
	return adFor("profile_keys", installID, profileID, "wrapped_index")
}

// unwrapProfileKeys opens a profile's keys: its DEK and index key under
// kek; while a rotation runs (next != nil and the profile has new keys),
// the new DEK under next becomes the sealing key and the current one is
// kept to open what is not re-sealed yet.
func unwrapProfileKeys(kek, next []byte, installID, profileID string, wrapped, wrappedIndex, nextDEK, nextIndex []byte) (*profileKeys, error) {
	dek, err := open(kek, wrapped, dekAD(installID, profileID))
	if err != nil {
		return nil, fmt.Errorf("unwrap profile key: %w", err)
	}
	var index []byte
	if wrappedIndex != nil {
		if index, err = open(kek, wrappedIndex, indexAD(installID, profileID)); err != nil {
			zero(dek)
			return nil, fmt.Errorf("unwrap index key: %w", err)
		}
	} else if index, err = deriveIndexKey(dek); err != nil {
		zero(dek)
		return nil, err
	}
	if next == nil || nextDEK == nil {
		return &profileKeys{dek: dek, index: index}, nil
	}
	newDEK, err := open(next, nextDEK, dekAD(installID, profileID))
	if err != nil {
		zero(dek)
		return nil, fmt.Errorf("unwrap new profile key: %w", err)
	}
	return &profileKeys{dek: newDEK, old: dek, index: index}, nil
}

// keyringNextKEK returns the key in the keyring's second entry when it is
// this install's master key (moving it to the main entry), else nil.
func (s *Store) keyringNextKEK(ctx context.Context, installID string) []byte {
	encoded, err := s.keyring.Get(keyringService, kekNextKeyringUser(installID))
	if err != nil {
		return nil
	}
	kek, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(kek) != keySize || s.checkKEK(ctx, installID, kek) != nil {
		return nil
	}
	if s.keyring.Set(keyringService, kekKeyringUser(installID), encoded) == nil {
		_ = s.keyring.Delete(keyringService, kekNextKeyringUser(installID))
	}
	return kek
}

// keysChangedSince reports whether another process rotated the keys since
// the keys in memory (of epoch) were loaded.
func (s *Store) keysChangedSince(ctx context.Context, epoch int64) bool {
	var current int64
	err := s.reader.QueryRowContext(ctx, "SELECT key_epoch FROM install WHERE id = 1").Scan(&current)
	return err == nil && current != epoch
}
