package storage

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Key rotation ("re-keying") replaces the master key (KEK) and every
// profile's data key (DEK) and re-seals every value under the new keys:
// afterwards the old keys open nothing in the cache (a copy of the old
// KEK taken from the keyring, say, is worthless).
//
// It runs in steps that each commit, so a crash loses nothing and the next
// unlock finishes the rotation:
//
//  1. Start (one transaction): the new KEK, sealed under the old one, the
//     new DEKs and index keys wrapped by the new KEK, and the passphrase's
//     wrap of the new KEK go into the rekey tables. Whatever unlocks the
//     old KEK can from then on reach the new keys. The keyring gets the new
//     KEK in a second entry first.
//  2. Re-seal, profile by profile and in batches of rekeyBatch rows, each
//     batch committed with its progress (rekey_profiles.stage, cursor).
//     While the rotation runs, values are sealed with the new DEK and open
//     with either.
//  3. Finish (one transaction): a last pass re-seals whatever was written
//     with an old key meanwhile, the new wrapped keys replace the old ones,
//     the audit trail is re-sealed under the new audit key, and the rekey
//     tables are emptied. Then the keyring's entry gets the new KEK and
//     the WAL is checkpointed, so the old wrapped keys (zeroed on delete:
//     secure_delete) leave the files.
//
// A profile's index key (the HMAC key of its row keys, which seals
// nothing) is kept: row keys are computed from names storage never keeps
// (checkpoint and secret names), so they cannot be recomputed.

// rekeyBatch is how many resources one committed batch re-seals.
const rekeyBatch = 200

// afterRekeyBatch, when set (by tests), runs after each committed batch;
// an error stops the rotation there, as a crash would.
var afterRekeyBatch func() error

// Stages of a profile's re-sealing (rekey_profiles.stage).
const (
	stageProfile = iota
	stageCheckpoints
	stageSecrets
	stageOutbox
	stageResources
	stageDone
)

// ErrRekeying means a key rotation is under way: profiles cannot be added
// until it finishes.
var ErrRekeying = errors.New("storage: the keys are being changed")

func newKEKAD(installID string) []byte { return adFor("rekey", installID, "new_kek") }
func kekNextKeyringUser(installID string) string {
	return "kek-next/" + installID
}

// RekeyPending reports whether a key rotation was started and has not
// finished (a crash cut it short, or it failed part way): the next unlock
// or Rekey finishes it.
func (s *Store) RekeyPending(ctx context.Context) (bool, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, "SELECT count(*) FROM rekey").Scan(&n); err != nil {
		return false, dbErr("read key rotation", err)
	}
	return n > 0, nil
}

// Rekey replaces the master key and every profile's data key and re-seals
// every value (see above). The store must be unlocked. When a passphrase
// protects the master key it must be given (ErrWrongPassphrase otherwise):
// the new master key is wrapped by it. A rotation left unfinished is
// finished instead of starting another. The store stays unlocked, with the
// new keys.
func (s *Store) Rekey(ctx context.Context, passphrase string) error {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	installID, inKeyring, err := s.installState()
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	s.mu.RLock()
	var kek []byte
	if s.kek != nil {
		kek = append([]byte(nil), s.kek...)
	}
	pending := s.nextKEK != nil
	s.mu.RUnlock()
	if kek == nil {
		return fmt.Errorf("rekey: %w", ErrLocked)
	}
	defer zero(kek)
	if pending {
		return s.resumeRekey(ctx)
	}
	has, err := s.HasPassphrase(ctx)
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	var pw *passphraseRow
	next, err := randomKey()
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	if has {
		fromPass, err := s.unwrapWithPassphrase(ctx, installID, passphrase)
		if err != nil {
			zero(next)
			return fmt.Errorf("rekey: %w", err)
		}
		same := string(fromPass) == string(kek)
		zero(fromPass)
		if !same {
			zero(next)
			return fmt.Errorf("rekey: %w", ErrWrongPassphrase)
		}
		if pw, err = s.wrapWithPassphrase(installID, next, passphrase); err != nil {
			zero(next)
			return fmt.Errorf("rekey: %w", err)
		}
	}
	sealedNext, err := seal(kek, next, newKEKAD(installID))
	if err != nil {
		zero(next)
		return fmt.Errorf("rekey: %w", err)
	}
	check, err := seal(next, []byte(kekCheckPlaintext), kekCheckAD(installID))
	if err != nil {
		zero(next)
		return fmt.Errorf("rekey: %w", err)
	}
	if inKeyring && s.keyring != nil {
		// The new key reaches the keyring before anything depends on it.
		if err := s.keyring.Set(keyringService, kekNextKeyringUser(installID), base64.StdEncoding.EncodeToString(next)); err != nil {
			zero(next)
			return fmt.Errorf("rekey: keyring: %w", err)
		}
	}
	var epoch int64
	newDEKs := map[string][]byte{}
	defer func() {
		for _, d := range newDEKs {
			zero(d)
		}
	}()
	err = s.update(ctx, "rekey: start", func(tx *sql.Tx) error {
		type keyRow struct {
			id                    string
			wrapped, wrappedIndex []byte
			ownLock               bool
		}
		rows, err := tx.QueryContext(ctx, `SELECT k.profile_id, k.wrapped_dek, k.wrapped_index, l.profile_id IS NOT NULL
			FROM profile_keys k LEFT JOIN profile_locks l ON l.profile_id = k.profile_id`)
		if err != nil {
			return dbErr("rekey: read profile keys", err)
		}
		var keys []keyRow
		for rows.Next() {
			var r keyRow
			if err := rows.Scan(&r.id, &r.wrapped, &r.wrappedIndex, &r.ownLock); err != nil {
				rows.Close()
				return dbErr("rekey: read profile keys", err)
			}
			keys = append(keys, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dbErr("rekey: read profile keys", err)
		}
		for _, r := range keys {
			if r.ownLock {
				if err := rewrapOwn(ctx, tx, kek, next, installID, r.id, r.wrapped, r.wrappedIndex); err != nil {
					return err
				}
				continue
			}
			k, err := unwrapProfileKeys(kek, nil, installID, r.id, r.wrapped, r.wrappedIndex, nil, nil)
			if err != nil {
				return fmt.Errorf("rekey: %w", err)
			}
			dek, err := randomKey()
			if err != nil {
				k.destroy()
				return fmt.Errorf("rekey: %w", err)
			}
			wrappedDEK, err := seal(next, dek, dekAD(installID, r.id))
			newDEKs[r.id] = dek
			if err != nil {
				k.destroy()
				return fmt.Errorf("rekey: %w", err)
			}
			wrappedIndex, err := seal(next, k.index, indexAD(installID, r.id))
			k.destroy()
			if err != nil {
				return fmt.Errorf("rekey: %w", err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO rekey_profiles (profile_id, wrapped_dek, wrapped_index) VALUES (?, ?, ?)",
				r.id, wrappedDEK, wrappedIndex); err != nil {
				return dbErr("rekey: save new profile key", err)
			}
		}
		var salt, wrapped []byte
		var p KDFParams
		if pw != nil {
			salt, wrapped, p = pw.salt, pw.wrapped, pw.params
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rekey (id, new_kek, new_check, salt, kdf_time, kdf_memory, kdf_threads, wrapped_kek)
			VALUES (1, ?, ?, ?, ?, ?, ?, ?)`, sealedNext, check, salt, p.Time, p.MemoryKiB, p.Threads, wrapped); err != nil {
			return dbErr("rekey: start", err)
		}
		if err := s.bumpEpoch(ctx, tx, &epoch); err != nil {
			return err
		}
		// The keys in memory seal with the new data keys from now on (this
		// transaction holds the writer until it commits): every holder of
		// a profile's keys follows at once.
		s.mu.Lock()
		s.nextKEK = append([]byte(nil), next...)
		for id, k := range s.profiles {
			if d := newDEKs[id]; d != nil {
				k.rotate(d)
			}
		}
		s.keyGen++
		s.mu.Unlock()
		return nil
	})
	zero(next)
	if err != nil {
		s.mu.Lock()
		if s.nextKEK != nil {
			zero(s.nextKEK)
			s.nextKEK = nil
			for _, k := range s.profiles {
				k.unrotate()
			}
			s.keyGen++
		}
		s.mu.Unlock()
		return err
	}
	return s.resumeRekey(ctx)
}

// bumpEpoch increments install.key_epoch inside tx and makes it the
// epoch of the keys in memory at once: the writer connection is held until
// the commit, so no other write sees the two disagree (if the commit fails,
// the next write finds them different and the store locks itself).
func (s *Store) bumpEpoch(ctx context.Context, tx *sql.Tx, epoch *int64) error {
	if err := tx.QueryRowContext(ctx, "UPDATE install SET key_epoch = key_epoch + 1 WHERE id = 1 RETURNING key_epoch").
		Scan(epoch); err != nil {
		return dbErr("rekey: key epoch", err)
	}
	s.mu.Lock()
	s.epoch = *epoch
	s.mu.Unlock()
	return nil
}

// refuseDuringRekey fails with ErrRekeying inside tx when a key rotation
// runs (in this or another process).
func refuseDuringRekey(ctx context.Context, tx *sql.Tx, op string) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM rekey").Scan(&n); err != nil {
		return dbErr(op, err)
	}
	if n > 0 {
		return fmt.Errorf("%s: %w", op, ErrRekeying)
	}
	return nil
}

// dropProfileKeysLocked forgets the cached profile keys (they are unwrapped
// again, with the current KEKs, on next use). Holders of the old ones may
// finish what they do; the finishing pass re-seals what they wrote. s.mu
// must be held for writing.
func (s *Store) dropProfileKeysLocked() {
	for id, k := range s.profiles {
		k.destroy()
		delete(s.profiles, id)
	}
	s.keyGen++
}

// rotate makes dek the sealing key, keeping the current one to open what
// is not re-sealed yet. Holders of k follow at once.
func (k *profileKeys) rotate(dek []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gone {
		return
	}
	zero(k.old) // a key an earlier rotation kept for reads in flight
	k.old, k.dek, k.dropOld = k.dek, append([]byte(nil), dek...), false
	k.sealGen++
}

// settle forgets the old key once a rotation finished, or once the reads
// in flight end (their snapshots may predate the last values re-sealed).
func (k *profileKeys) settle() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.readers > 0 {
		k.dropOld = true
		return
	}
	zero(k.old)
	k.old = nil
}

// unrotate undoes rotate (the rotation's start did not commit).
func (k *profileKeys) unrotate() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.old == nil || k.gone {
		return
	}
	zero(k.dek)
	k.dek, k.old, k.dropOld = k.old, nil, false
	k.sealGen++
}

// loadRekey installs the new KEK of an unfinished rotation after an unlock
// with the old one. s.keyMu must be held.
func (s *Store) loadRekey(ctx context.Context) (bool, error) {
	var sealedNext []byte
	err := s.reader.QueryRowContext(ctx, "SELECT new_kek FROM rekey WHERE id = 1").Scan(&sealedNext)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, dbErr("read key rotation", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kek == nil {
		return false, ErrLocked
	}
	next, err := open(s.kek, sealedNext, newKEKAD(s.installID))
	if err != nil {
		return false, fmt.Errorf("open new master key: %w", err)
	}
	if s.nextKEK != nil {
		zero(s.nextKEK)
	}
	s.nextKEK = next
	s.dropProfileKeysLocked()
	return true, nil
}

// resumeRekey re-seals what is left, profile by profile in committed
// batches, then finishes the rotation. s.keyMu must be held.
func (s *Store) resumeRekey(ctx context.Context) error {
	ids, err := s.rekeyProfiles(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		for {
			done, err := s.rekeyBatch(ctx, id)
			if err == nil && afterRekeyBatch != nil {
				err = afterRekeyBatch()
			}
			if err != nil {
				return fmt.Errorf("rekey: %w", err)
			}
			if done {
				break
			}
		}
	}
	return s.finishRekey(ctx)
}

// rekeyProfiles lists the profiles whose re-sealing has not finished.
func (s *Store) rekeyProfiles(ctx context.Context) ([]string, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT profile_id FROM rekey_profiles WHERE stage < ? ORDER BY profile_id", stageDone)
	if err != nil {
		return nil, dbErr("rekey: list profiles", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, dbErr("rekey: list profiles", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("rekey: list profiles", err)
	}
	return ids, nil
}

// rekeyBatch runs one committed step of a profile's re-sealing: one whole
// stage, or rekeyBatch resources. done says the profile is finished.
func (s *Store) rekeyBatch(ctx context.Context, profileID string) (done bool, err error) {
	k, err := s.keysFor(ctx, profileID)
	if errors.Is(err, ErrNotFound) {
		return true, nil // deleted meanwhile
	}
	if err != nil {
		return false, err
	}
	err = s.update(ctx, "rekey: re-seal", func(tx *sql.Tx) error {
		var stage int
		var cursor int64
		if err := tx.QueryRowContext(ctx, "SELECT stage, cursor FROM rekey_profiles WHERE profile_id = ?", profileID).
			Scan(&stage, &cursor); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				done = true
				return nil
			}
			return dbErr("rekey: progress", err)
		}
		if stage >= stageDone {
			done = true
			return nil
		}
		last, more, err := s.resealStage(ctx, tx, k, profileID, stage, cursor, rekeyBatch)
		if err != nil {
			return err
		}
		if more {
			cursor = last
		} else {
			stage, cursor = stage+1, 0
		}
		done = stage >= stageDone
		if _, err := tx.ExecContext(ctx, "UPDATE rekey_profiles SET stage = ?, cursor = ? WHERE profile_id = ?",
			stage, cursor, profileID); err != nil {
			return dbErr("rekey: progress", err)
		}
		return nil
	})
	return done, err
}

// resealStage re-seals the values of one stage of a profile that do not
// open with its new key yet. For resources it does at most limit rows
// after cursor (limit 0: all) and says whether more are left. A value that
// opens with neither key (damaged) is left for Repair.
func (s *Store) resealStage(ctx context.Context, tx *sql.Tx, k *profileKeys, profileID string, stage int, cursor int64, limit int) (last int64, more bool, err error) {
	switch stage {
	case stageProfile:
		return 0, false, resealRows(ctx, tx, k, "SELECT 0, sealed FROM profiles WHERE id = ?", []any{profileID},
			"UPDATE profiles SET sealed = ? WHERE id = ?", func(int64, []byte) []any { return []any{profileID} },
			func(int64, []byte) [][]byte { return [][]byte{profileAD(profileID)} }, nil)
	case stageCheckpoints:
		// Checkpoints and values share the table, with associated data of
		// their own: a row opens with one of the two.
		return 0, false, resealKeyed(ctx, tx, k, "checkpoints", profileID,
			func(key []byte) [][]byte { return [][]byte{checkpointAD(profileID, key), valueAD(profileID, key)} })
	case stageSecrets:
		if err := s.resealKeyringSecrets(ctx, tx, k, profileID); err != nil {
			return 0, false, err
		}
		return 0, false, resealKeyed(ctx, tx, k, "secrets", profileID,
			func(key []byte) [][]byte { return [][]byte{secretAD(profileID, key)} })
	case stageOutbox:
		statuses := map[int64]string{}
		return 0, false, resealRows(ctx, tx, k, "SELECT seq, status, sealed FROM outbox WHERE profile_id = ?", []any{profileID},
			"UPDATE outbox SET sealed = ? WHERE seq = ?", func(seq int64, _ []byte) []any { return []any{seq} },
			func(seq int64, _ []byte) [][]byte {
				return [][]byte{outboxAD(profileID, seq, OutboxStatus(statuses[seq]))}
			}, statuses)
	case stageResources:
		query := "SELECT id, type, row_key, sealed FROM resources WHERE profile = ? AND id > ? ORDER BY id"
		args := []any{k.num, cursor}
		if limit > 0 {
			query += " LIMIT ?"
			args = append(args, limit)
		}
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return 0, false, dbErr("rekey: read resources", err)
		}
		type row struct {
			id     int64
			ad     []byte
			sealed []byte
		}
		var batch []row
		for rows.Next() {
			var r row
			var typ string
			var key []byte
			if err := rows.Scan(&r.id, &typ, &key, &r.sealed); err != nil {
				rows.Close()
				return 0, false, dbErr("rekey: read resources", err)
			}
			r.ad = resourceAD(profileID, typ, key)
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, false, dbErr("rekey: read resources", err)
		}
		for _, r := range batch {
			resealed, err := k.reseal(r.sealed, r.ad)
			if err != nil {
				return 0, false, err
			}
			if resealed != nil {
				if _, err := tx.ExecContext(ctx, "UPDATE resources SET sealed = ? WHERE id = ?", resealed, r.id); err != nil {
					return 0, false, dbErr("rekey: re-seal resource", err)
				}
			}
			last = r.id
		}
		return last, limit > 0 && len(batch) == limit, nil
	}
	return 0, false, nil
}

// reseal returns envelope sealed under the new key when it opens only with
// the old one (nil when it needs nothing: already new, or damaged).
func (k *profileKeys) reseal(envelope []byte, ads ...[]byte) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.gone {
		return nil, ErrLocked
	}
	for _, ad := range ads {
		if _, err := open(k.dek, envelope, ad); err == nil {
			return nil, nil
		}
	}
	if k.old == nil {
		return nil, nil
	}
	for _, ad := range ads {
		pt, err := open(k.old, envelope, ad)
		if err != nil {
			continue
		}
		defer zero(pt)
		return seal(k.dek, pt, ad)
	}
	return nil, nil
}

// resealRows re-seals the rows query selects (id, [status,] sealed). ads
// gives the candidate associated data of a row; updateArgs the arguments
// after the new sealed value of update. statuses, when not nil, receives
// the second column of a three-column query.
func resealRows(ctx context.Context, tx *sql.Tx, k *profileKeys, query string, args []any, update string,
	updateArgs func(int64, []byte) []any, ads func(int64, []byte) [][]byte, statuses map[int64]string) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return dbErr("rekey: read", err)
	}
	type row struct {
		id     int64
		sealed []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if statuses != nil {
			var st string
			err = rows.Scan(&r.id, &st, &r.sealed)
			statuses[r.id] = st
		} else {
			err = rows.Scan(&r.id, &r.sealed)
		}
		if err != nil {
			rows.Close()
			return dbErr("rekey: read", err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbErr("rekey: read", err)
	}
	for _, r := range all {
		resealed, err := k.reseal(r.sealed, ads(r.id, r.sealed)...)
		if err != nil {
			return err
		}
		if resealed == nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, update, append([]any{resealed}, updateArgs(r.id, r.sealed)...)...); err != nil {
			return dbErr("rekey: re-seal", err)
		}
	}
	return nil
}

// resealKeyed re-seals the rows of a (profile_id, name_key, sealed) table.
func resealKeyed(ctx context.Context, tx *sql.Tx, k *profileKeys, table, profileID string, ads func(key []byte) [][]byte) error {
	rows, err := tx.QueryContext(ctx, "SELECT name_key, sealed FROM "+table+" WHERE profile_id = ? AND sealed IS NOT NULL", profileID)
	if err != nil {
		return dbErr("rekey: read "+table, err)
	}
	type row struct{ key, sealed []byte }
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.sealed); err != nil {
			rows.Close()
			return dbErr("rekey: read "+table, err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbErr("rekey: read "+table, err)
	}
	for _, r := range all {
		resealed, err := k.reseal(r.sealed, ads(r.key)...)
		if err != nil {
			return err
		}
		if resealed == nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET sealed = ? WHERE profile_id = ? AND name_key = ?",
			resealed, profileID, r.key); err != nil {
			return dbErr("rekey: re-seal "+table, err)
		}
	}
	return nil
}

// resealKeyringSecrets re-seals the profile's secrets kept in the keyring.
// Writing an entry again is harmless, so a crash between the keyring and
// the commit only repeats work.
func (s *Store) resealKeyringSecrets(ctx context.Context, tx *sql.Tx, k *profileKeys, profileID string) error {
	if s.keyring == nil {
		return nil
	}
	rows, err := tx.QueryContext(ctx, "SELECT name_key FROM secrets WHERE profile_id = ? AND in_keyring = 1", profileID)
	if err != nil {
		return dbErr("rekey: read secrets", err)
	}
	var keys [][]byte
	for rows.Next() {
		var key []byte
		if err := rows.Scan(&key); err != nil {
			rows.Close()
			return dbErr("rekey: read secrets", err)
		}
		keys = append(keys, key)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbErr("rekey: read secrets", err)
	}
	s.mu.RLock()
	installID := s.installID
	s.mu.RUnlock()
	for _, key := range keys {
		user := secretKeyringUser(installID, profileID, key)
		encoded, err := s.keyring.Get(keyringService, user)
		if err != nil {
			continue // gone: reading it says so already
		}
		sealed, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			continue
		}
		resealed, err := k.reseal(sealed, secretAD(profileID, key))
		if err != nil {
			return err
		}
		if resealed != nil {
			if err := s.keyring.Set(keyringService, user, base64.StdEncoding.EncodeToString(resealed)); err != nil {
				return fmt.Errorf("rekey: keyring: %w", err)
			}
		}
	}
	return nil
}

// finishRekey makes the new keys the only keys (see the steps above).
// s.keyMu must be held.
func (s *Store) finishRekey(ctx context.Context) error {
	ids, err := s.allRekeyProfiles(ctx)
	if err != nil {
		return err
	}
	keys := make(map[string]*profileKeys, len(ids))
	ownLocked := make(map[string]bool)
	for _, id := range ids {
		k, err := s.keysFor(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if own, ownErr := s.HasOwnLock(ctx, id); ownErr == nil && own {
			// Its data key stays (see ownlock.go): only its outer wrap changes.
			ownLocked[id] = true
			continue
		}
		if err != nil {
			return fmt.Errorf("rekey: finish: %w", err)
		}
		keys[id] = k
	}
	s.mu.RLock()
	kek, next, installID := s.kek, s.nextKEK, s.installID
	s.mu.RUnlock()
	if kek == nil || next == nil {
		return fmt.Errorf("rekey: finish: %w", ErrLocked)
	}
	var epoch int64
	err = s.update(ctx, "rekey: finish", func(tx *sql.Tx) error {
		for id := range ownLocked {
			if _, err := tx.ExecContext(ctx, `UPDATE profile_keys SET wrapped_dek = r.wrapped_dek, wrapped_index = r.wrapped_index
				FROM rekey_profiles r WHERE r.profile_id = profile_keys.profile_id AND profile_keys.profile_id = ?`, id); err != nil {
				return dbErr("rekey: finish: profile key", err)
			}
		}
		if err := resealHints(ctx, tx, installID, kek, next); err != nil {
			return err
		}
		// Whatever a holder of older keys wrote meanwhile.
		for id, k := range keys {
			for stage := stageProfile; stage < stageDone; stage++ {
				if _, _, err := s.resealStage(ctx, tx, k, id, stage, 0, 0); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE profile_keys SET wrapped_dek = r.wrapped_dek, wrapped_index = r.wrapped_index
				FROM rekey_profiles r WHERE r.profile_id = profile_keys.profile_id AND profile_keys.profile_id = ?`, id); err != nil {
				return dbErr("rekey: finish: profile key", err)
			}
			// The search index is sealed under the data key too: rather
			// than re-seal it, it is built again under the new key.
			if err := clearSearch(ctx, tx, k); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO search_state (profile, built, cursor) VALUES (?, 0, 0)
				ON CONFLICT (profile) DO UPDATE SET built = 0, cursor = 0`, k.num); err != nil {
				return dbErr("rekey: finish: search index", err)
			}
		}
		if err := resealAudit(ctx, tx, installID, kek, next); err != nil {
			return err
		}
		var check []byte
		var salt, wrapped []byte
		var p KDFParams
		var kdfTime, kdfMemory, kdfThreads sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT new_check, salt, kdf_time, kdf_memory, kdf_threads, wrapped_kek FROM rekey WHERE id = 1").
			Scan(&check, &salt, &kdfTime, &kdfMemory, &kdfThreads, &wrapped); err != nil {
			return dbErr("rekey: finish", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE install SET kek_check = ? WHERE id = 1", check); err != nil {
			return dbErr("rekey: finish", err)
		}
		if wrapped != nil {
			p = KDFParams{Time: uint32(kdfTime.Int64), MemoryKiB: uint32(kdfMemory.Int64), Threads: uint8(kdfThreads.Int64)}
			if err := (&passphraseRow{salt: salt, params: p, wrapped: wrapped}).save(ctx, tx); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM rekey_profiles"); err != nil {
			return dbErr("rekey: finish", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM rekey"); err != nil {
			return dbErr("rekey: finish", err)
		}
		// Recorded under the new audit key, in the same commit.
		if err := appendAuditWith(ctx, tx, next, installID, AuditKeysChanged,
			fmt.Sprintf("a new master key and new keys for %d record(s)", len(keys))); err != nil {
			return err
		}
		if err := s.bumpEpoch(ctx, tx, &epoch); err != nil {
			return err
		}
		// The new keys become the only keys before the commit, while this
		// transaction holds the writer: no write can start in between with
		// the old ones (if the commit fails, the epochs disagree and the
		// store locks itself at the next write; unlocking finishes again).
		s.mu.Lock()
		zero(s.kek)
		s.kek, s.nextKEK = append([]byte(nil), next...), nil
		for _, k := range s.profiles {
			k.settle()
		}
		s.keyGen++
		s.mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	s.mu.RLock()
	inKeyring := s.inKeyring && s.keyring != nil
	nextCopy := append([]byte(nil), s.kek...)
	s.mu.RUnlock()
	defer zero(nextCopy)
	if inKeyring {
		if err := s.keyring.Set(keyringService, kekKeyringUser(installID), base64.StdEncoding.EncodeToString(nextCopy)); err == nil {
			_ = s.keyring.Delete(keyringService, kekNextKeyringUser(installID))
		}
		// Else UnlockWithKeyring finds the new key in the second entry.
	}
	if err := s.truncateWAL(ctx); err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	return nil
}

// allRekeyProfiles lists every profile of the rotation.
func (s *Store) allRekeyProfiles(ctx context.Context) ([]string, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT profile_id FROM rekey_profiles")
	if err != nil {
		return nil, dbErr("rekey: list profiles", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, dbErr("rekey: list profiles", err)
		}
		ids = append(ids, id)
	}
	return ids, dbErrOrNil("rekey: list profiles", rows.Err())
}

func dbErrOrNil(op string, err error) error {
	if err != nil {
		return dbErr(op, err)
	}
	return nil
}

// appendAuditWith appends an event sealed under kek's audit key.
func appendAuditWith(ctx context.Context, tx *sql.Tx, kek []byte, installID, kind, detail string) error {
	key, err := auditKey(kek)
	if err != nil {
		return err
	}
	defer zero(key)
	return appendAudit(ctx, tx, key, installID, auditRecord{Time: time.Now().UTC().Round(0), Kind: kind, Detail: detail})
}

// rewrapOwn starts the rotation of a profile with an own lock inside tx:
// its inner envelopes (under its own key, which the rotation cannot open)
// are wrapped by the new KEK, and its re-sealing is marked done at once.
func rewrapOwn(ctx context.Context, tx *sql.Tx, kek, next []byte, installID, profileID string, wrapped, wrappedIndex []byte) error {
	inner, err := open(kek, wrapped, dekAD(installID, profileID))
	if err != nil {
		return fmt.Errorf("rekey: own lock: %w", err)
	}
	innerIndex, err := open(kek, wrappedIndex, indexAD(installID, profileID))
	if err != nil {
		return fmt.Errorf("rekey: own lock: %w", err)
	}
	newDEK, err := seal(next, inner, dekAD(installID, profileID))
	if err != nil {
		return fmt.Errorf("rekey: own lock: %w", err)
	}
	newIndex, err := seal(next, innerIndex, indexAD(installID, profileID))
	if err != nil {
		return fmt.Errorf("rekey: own lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO rekey_profiles (profile_id, wrapped_dek, wrapped_index, stage) VALUES (?, ?, ?, ?)",
		profileID, newDEK, newIndex, stageDone); err != nil {
		return dbErr("rekey: save new profile key", err)
	}
	return nil
}

// resealHints re-seals what the switcher shows of profiles with an own
// lock under the new KEK, inside the finishing transaction.
func resealHints(ctx context.Context, tx *sql.Tx, installID string, kek, next []byte) error {
	rows, err := tx.QueryContext(ctx, "SELECT profile_id, hint FROM profile_locks")
	if err != nil {
		return dbErr("rekey: read lock hints", err)
	}
	hints := map[string][]byte{}
	for rows.Next() {
		var id string
		var sealed []byte
		if err := rows.Scan(&id, &sealed); err != nil {
			rows.Close()
			return dbErr("rekey: read lock hints", err)
		}
		hints[id] = sealed
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbErr("rekey: read lock hints", err)
	}
	for id, sealed := range hints {
		resealed, err := reseal(kek, next, sealed, lockHintAD(installID, id))
		if err != nil {
			return fmt.Errorf("rekey: lock hint: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE profile_locks SET hint = ? WHERE profile_id = ?", resealed, id); err != nil {
			return dbErr("rekey: lock hint", err)
		}
	}
	return nil
}

// reseal opens an envelope under old (or, if a finishing pass already
// re-sealed it, under next) and seals it under next.
func reseal(old, next, envelope, ad []byte) ([]byte, error) {
	pt, err := open(old, envelope, ad)
	if err != nil {
		if pt, err = open(next, envelope, ad); err != nil {
			return nil, err
		}
	}
	defer zero(pt)
	return seal(next, pt, ad)
}
