package storage

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The audit trail of this device records security events: sign-ins,
// failed unlocks, exports, key changes, profiles added and removed, access
// ended. Entries hold a time, a kind, a profile's opaque id and a short
// detail, never patient data. Each is sealed under the audit key (HKDF of
// the master key, so a key rotation re-seals it and the old key opens
// nothing) and bound to its row; each carries its position in the chain
// and the SHA-256 of the entry before it, and the sealed head row holds
// the length and last hash. So a removed, reordered, replaced or cut-off
// entry is noticed: AuditTrail reports it (Broken), it is never silently
// accepted.
//
// A failed unlock happens while the store is locked, with no key to seal
// with: it is written as a minimal clear record (time, kind, method) and
// moved into the sealed chain at the next unlock, in the order it
// happened. Until then it is listed as not verified. Nothing can
// authenticate it while locked: the chain proves such a record was there
// at the next unlock, not who wrote it; only that kind is accepted, and its
// detail only "passphrase" or "keyring".

// Audit kinds.
const (
	AuditSignIn         = "sign-in"          // a profile signed in (connect or sign in again)
	AuditUnlockFailed   = "unlock-failed"    // a wrong passphrase or keyring key
	AuditExport         = "export"           // the record left the app in clear
	AuditKeysChanged    = "keys-changed"     // master and data keys rotated
	AuditPassphrase     = "passphrase"       // the passphrase was changed
	AuditProfileAdded   = "profile-added"    // a record was added to this device
	AuditProfileRemoved = "profile-removed"  // a record was removed from this device
	AuditAccessEnded    = "access-ended"     // the practice ended access, or the patient ended a proxy's
	AuditTrailBroken    = "audit-trail-seen" // a break in the trail was found at unlock
	AuditOwnLock        = "own-lock"         // a record's own passphrase was set, removed or refused
	AuditFileRebuilt    = "file-rebuilt"     // the damaged data file was rebuilt without its cached record
)

// AuditEntry is one event of the trail.
type AuditEntry struct {
	N         int64     // position in the chain, from 1; 0 for a record not sealed yet
	Time      time.Time // when it happened
	Kind      string    // one of the Audit kinds
	ProfileID string    // the profile concerned, "" for the whole device
	Detail    string    // a few words without patient data
	// Verified is false for a failed unlock recorded while locked and not
	// moved into the sealed chain yet.
	Verified bool
}

// AuditReport is the trail, oldest first, and what verification found.
type AuditReport struct {
	Entries []AuditEntry
	// Broken describes each place where the trail was altered, cut short
	// or damaged; empty when the whole chain verifies.
	Broken []string
}

// auditRecord is the sealed plaintext of an entry.
type auditRecord struct {
	N       int64     `json:"n"`
	Time    time.Time `json:"t"`
	Kind    string    `json:"k"`
	Profile string    `json:"p,omitempty"`
	Detail  string    `json:"d,omitempty"`
	Prev    string    `json:"prev"`
}

// auditHead is the sealed plaintext of the head row.
type auditHead struct {
	N    int64  `json:"n"`
	Hash string `json:"h"`
}

// pendingRecord is the clear record of an event that happens while
// nothing can seal it: a failed unlock, a rebuild of the damaged file
// (the kinds pendingKind accepts).
type pendingRecord struct {
	Time   time.Time `json:"t"`
	Kind   string    `json:"k"`
	Detail string    `json:"d,omitempty"`
}

// pendingKind reports whether kind may be recorded in clear while locked.
func pendingKind(kind string) bool { return kind == AuditUnlockFailed || kind == AuditFileRebuilt }

func auditKey(kek []byte) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, kek, nil, "carebook audit key v1", keySize)
	if err != nil {
		return nil, fmt.Errorf("derive audit key: %w", err)
	}
	return k, nil
}

func auditAD(installID string, seq int64) []byte {
	return adFor("audit", installID, strconv.FormatInt(seq, 10))
}
func auditHeadAD(installID string) []byte { return adFor("audit_head", installID) }

func hashOf(pt []byte) string {
	h := sha256.Sum256(pt)
	return hex.EncodeToString(h[:])
}

// recordPending writes a failed unlock as a clear minimal record. Best
// effort: failing to record must not change the unlock's answer.
func (s *Store) recordPending(ctx context.Context, kind, detail string) {
	b, err := json.Marshal(pendingRecord{Time: time.Now().UTC().Round(0), Kind: kind, Detail: detail})
	if err != nil {
		return
	}
	_ = s.update(ctx, "record failed unlock", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO audit (pending) VALUES (?)", string(b))
		return err
	})
}

// Audit appends an event to the trail (first moving in the failed unlocks
// recorded while locked). detail must hold no patient data.
func (s *Store) Audit(ctx context.Context, kind, profileID, detail string) error {
	if s.Locked() {
		return fmt.Errorf("audit: %w", ErrLocked)
	}
	return s.update(ctx, "audit", func(tx *sql.Tx) error {
		// The key is taken while the transaction holds the writer, so a key
		// rotation cannot finish between taking it and writing.
		key, installID, err := s.auditKeyNow()
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		defer zero(key)
		if err := absorbPending(ctx, tx, key, installID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, key, installID, auditRecord{
			Time: time.Now().UTC().Round(0), Kind: kind, Profile: profileID, Detail: detail,
		})
	})
}

// auditKeyNow returns a copy of the current audit key.
func (s *Store) auditKeyNow() ([]byte, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.kek == nil {
		return nil, "", ErrLocked
	}
	k, err := auditKey(s.kek)
	return k, s.installID, err
}

// sealPendingAudit moves the failed unlocks recorded while locked into the
// sealed chain, and notes once a break verification finds. Best effort, at
// unlock.
func (s *Store) sealPendingAudit(ctx context.Context) {
	_ = s.update(ctx, "audit", func(tx *sql.Tx) error {
		key, installID, err := s.auditKeyNow()
		if err != nil {
			return err
		}
		defer zero(key)
		if err := absorbPending(ctx, tx, key, installID); err != nil {
			return err
		}
		rep, err := verifyAudit(ctx, tx, key, installID)
		if err != nil || len(rep.Broken) == 0 {
			return err
		}
		// Say so in the trail once, so later entries chain on from here and
		// the patient sees when it was found.
		last := rep.Entries[len(rep.Entries)-1:]
		if len(last) == 1 && last[0].Kind == AuditTrailBroken {
			return nil
		}
		return appendAudit(ctx, tx, key, installID, auditRecord{
			Time: time.Now().UTC().Round(0), Kind: AuditTrailBroken,
			Detail: strings.Join(rep.Broken, "; "),
		})
	})
}

// absorbPending moves clear failed-unlock records into the chain.
func absorbPending(ctx context.Context, tx *sql.Tx, key []byte, installID string) error {
	rows, err := tx.QueryContext(ctx, "SELECT seq, pending FROM audit WHERE sealed IS NULL ORDER BY seq")
	if err != nil {
		return dbErr("audit: read pending", err)
	}
	type pend struct {
		seq int64
		rec pendingRecord
		ok  bool
	}
	var all []pend
	for rows.Next() {
		var p pend
		var text sql.NullString
		if err := rows.Scan(&p.seq, &text); err != nil {
			rows.Close()
			return dbErr("audit: read pending", err)
		}
		p.ok = json.Unmarshal([]byte(text.String), &p.rec) == nil && pendingKind(p.rec.Kind)
		all = append(all, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbErr("audit: read pending", err)
	}
	for _, p := range all {
		if _, err := tx.ExecContext(ctx, "DELETE FROM audit WHERE seq = ?", p.seq); err != nil {
			return dbErr("audit: move pending", err)
		}
		if !p.ok {
			continue // not a record we write: dropped
		}
		detail := p.rec.Detail
		if p.rec.Kind != AuditUnlockFailed || detail != "passphrase" && detail != "keyring" {
			detail = ""
		}
		if err := appendAudit(ctx, tx, key, installID, auditRecord{Time: p.rec.Time, Kind: p.rec.Kind, Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}

// appendAudit seals rec as the next entry of the chain and moves the head.
func appendAudit(ctx context.Context, tx *sql.Tx, key []byte, installID string, rec auditRecord) error {
	head, err := readHead(ctx, tx, key, installID)
	if err != nil {
		return err
	}
	rec.N, rec.Prev = head.N+1, head.Hash
	pt, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("audit: encode: %w", err)
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, "INSERT INTO audit (sealed) VALUES (x'') RETURNING seq").Scan(&seq); err != nil {
		return dbErr("audit: append", err)
	}
	sealed, err := seal(key, pt, auditAD(installID, seq))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE audit SET sealed = ? WHERE seq = ?", sealed, seq); err != nil {
		return dbErr("audit: append", err)
	}
	return writeHead(ctx, tx, key, installID, auditHead{N: rec.N, Hash: hashOf(pt)})
}

// readHead returns the chain's head; a missing or damaged head continues
// from the last entry that opens (verification reports the damage).
func readHead(ctx context.Context, tx *sql.Tx, key []byte, installID string) (auditHead, error) {
	var sealed []byte
	err := tx.QueryRowContext(ctx, "SELECT sealed FROM audit_head WHERE id = 1").Scan(&sealed)
	if err == nil {
		if pt, err := open(key, sealed, auditHeadAD(installID)); err == nil {
			var h auditHead
			if json.Unmarshal(pt, &h) == nil {
				return h, nil
			}
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		return auditHead{}, dbErr("audit: read head", err)
	}
	var seq int64
	err = tx.QueryRowContext(ctx, "SELECT seq, sealed FROM audit WHERE sealed IS NOT NULL ORDER BY seq DESC LIMIT 1").Scan(&seq, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return auditHead{}, nil
	}
	if err != nil {
		return auditHead{}, dbErr("audit: read last entry", err)
	}
	pt, err := open(key, sealed, auditAD(installID, seq))
	if err != nil {
		return auditHead{}, nil
	}
	var rec auditRecord
	if json.Unmarshal(pt, &rec) != nil {
		return auditHead{}, nil
	}
	return auditHead{N: rec.N, Hash: hashOf(pt)}, nil
}

func writeHead(ctx context.Context, tx *sql.Tx, key []byte, installID string, h auditHead) error {
	pt, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("audit: encode head: %w", err)
	}
	sealed, err := seal(key, pt, auditHeadAD(installID))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_head (id, sealed) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed`, sealed); err != nil {
		return dbErr("audit: write head", err)
	}
	return nil
}

// AuditTrail returns the trail, oldest first, verified: every entry must
// open, follow the one before it (position and hash), and end where the
// head says. Failed unlocks not yet sealed come last, not verified.
func (s *Store) AuditTrail(ctx context.Context) (AuditReport, error) {
	key, installID, err := s.auditKeyNow()
	if err != nil {
		return AuditReport{}, fmt.Errorf("audit trail: %w", err)
	}
	defer zero(key)
	return verifyAudit(ctx, s.reader, key, installID)
}

func verifyAudit(ctx context.Context, q sqlQuerier, key []byte, installID string) (AuditReport, error) {
	var rep AuditReport
	rows, err := q.QueryContext(ctx, "SELECT seq, sealed, pending FROM audit ORDER BY seq")
	if err != nil {
		return rep, dbErr("audit trail", err)
	}
	var pending []AuditEntry
	var lastN int64
	lastHash := ""
	known := true // lastHash is the hash of the entry before
	for rows.Next() {
		var seq int64
		var sealed []byte
		var text sql.NullString
		if err := rows.Scan(&seq, &sealed, &text); err != nil {
			rows.Close()
			return rep, dbErr("audit trail", err)
		}
		if sealed == nil {
			var p pendingRecord
			if json.Unmarshal([]byte(text.String), &p) == nil && pendingKind(p.Kind) {
				pending = append(pending, AuditEntry{Time: p.Time, Kind: p.Kind, Detail: p.Detail})
			}
			continue
		}
		pt, err := open(key, sealed, auditAD(installID, seq))
		var rec auditRecord
		if err == nil && json.Unmarshal(pt, &rec) != nil {
			err = ErrIntegrity
		}
		if err != nil {
			rep.Broken = append(rep.Broken, fmt.Sprintf("an entry after entry %d could not be read (altered or damaged)", lastN))
			known = false
			continue
		}
		switch {
		case rec.N != lastN+1 && lastN == 0:
			rep.Broken = append(rep.Broken, fmt.Sprintf("the entries before entry %d were removed", rec.N))
		case rec.N != lastN+1:
			rep.Broken = append(rep.Broken, fmt.Sprintf("entries between %d and %d were removed or reordered", lastN, rec.N))
		case known && rec.Prev != lastHash:
			rep.Broken = append(rep.Broken, fmt.Sprintf("entry %d does not follow entry %d (an entry was replaced)", rec.N, lastN))
		}
		lastN, lastHash, known = rec.N, hashOf(pt), true
		rep.Entries = append(rep.Entries, AuditEntry{N: rec.N, Time: rec.Time, Kind: rec.Kind, ProfileID: rec.Profile,
			Detail: rec.Detail, Verified: true})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, dbErr("audit trail", err)
	}
	var sealedHead []byte
	err = q.QueryRowContext(ctx, "SELECT sealed FROM audit_head WHERE id = 1").Scan(&sealedHead)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if lastN > 0 {
			rep.Broken = append(rep.Broken, "the end of the trail is missing")
		}
	case err != nil:
		return rep, dbErr("audit trail", err)
	default:
		var h auditHead
		pt, err := open(key, sealedHead, auditHeadAD(installID))
		if err != nil || json.Unmarshal(pt, &h) != nil {
			rep.Broken = append(rep.Broken, "the end of the trail could not be read (altered or damaged)")
		} else if h.N != lastN || h.Hash != lastHash {
			rep.Broken = append(rep.Broken, fmt.Sprintf("the trail ends at entry %d but should end at entry %d (entries were removed)", lastN, h.N))
		}
	}
	rep.Entries = append(rep.Entries, pending...)
	return rep, nil
}

// resealAudit re-seals the trail under the audit key of a new master key
// (inside the transaction that finishes a key rotation). Entries that
// open with neither key stay as they are: verification reports them.
func resealAudit(ctx context.Context, tx *sql.Tx, installID string, oldKEK, newKEK []byte) error {
	oldKey, err := auditKey(oldKEK)
	if err != nil {
		return err
	}
	defer zero(oldKey)
	newKey, err := auditKey(newKEK)
	if err != nil {
		return err
	}
	defer zero(newKey)
	type row struct {
		seq    int64
		sealed []byte
	}
	rows, err := tx.QueryContext(ctx, "SELECT seq, sealed FROM audit WHERE sealed IS NOT NULL")
	if err != nil {
		return dbErr("rekey: read audit trail", err)
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seq, &r.sealed); err != nil {
			rows.Close()
			return dbErr("rekey: read audit trail", err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbErr("rekey: read audit trail", err)
	}
	for _, r := range all {
		pt, err := open(oldKey, r.sealed, auditAD(installID, r.seq))
		if err != nil {
			continue
		}
		sealed, err := seal(newKey, pt, auditAD(installID, r.seq))
		zero(pt)
		if err != nil {
			return fmt.Errorf("rekey: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE audit SET sealed = ? WHERE seq = ?", sealed, r.seq); err != nil {
			return dbErr("rekey: re-seal audit trail", err)
		}
	}
	var head []byte
	err = tx.QueryRowContext(ctx, "SELECT sealed FROM audit_head WHERE id = 1").Scan(&head)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return dbErr("rekey: read audit head", err)
	}
	pt, err := open(oldKey, head, auditHeadAD(installID))
	if err != nil {
		return nil
	}
	defer zero(pt)
	sealed, err := seal(newKey, pt, auditHeadAD(installID))
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE audit_head SET sealed = ? WHERE id = 1", sealed); err != nil {
		return dbErr("rekey: re-seal audit head", err)
	}
	return nil
}

// auditTx appends an event inside a transaction of the caller, so the
// event and what it records commit together.
func (s *Store) auditTx(ctx context.Context, tx *sql.Tx, kind, profileID, detail string) error {
	key, installID, err := s.auditKeyNow()
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer zero(key)
	return appendAudit(ctx, tx, key, installID, auditRecord{
		Time: time.Now().UTC().Round(0), Kind: kind, Profile: profileID, Detail: detail,
	})
}
