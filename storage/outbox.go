package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// OutboxStatus is the state of an outbox item.
type OutboxStatus string

// Outbox statuses.
const (
	OutboxPending  OutboxStatus = "pending"  // not yet confirmed by the server; will be (re)sent
	OutboxSent     OutboxStatus = "sent"     // the server confirmed it
	OutboxFailed   OutboxStatus = "failed"   // the server refused it (4xx); shown to the patient
	OutboxConflict OutboxStatus = "conflict" // the server reported a conflict (e.g. slot taken)
)

func (st OutboxStatus) valid() bool {
	switch st {
	case OutboxPending, OutboxSent, OutboxFailed, OutboxConflict:
		return true
	}
	return false
}

// OutboxItem is something the patient wrote that the server has not
// confirmed yet (or whose outcome is kept for display). Only Seq, ProfileID
// and Status are stored in clear; everything else is sealed.
type OutboxItem struct {
	Seq        int64  // local order, assigned by storage
	ProfileID  string // the profile the item belongs to
	Kind       string // "message", "appointment", "appointment-cancel", "task", "patient-update", ...
	Identifier string // client-generated unique id (urn:uuid:...), unique per profile
	Payload    []byte // what to send (FHIR JSON, method, url ...; caller-defined)
	Status     OutboxStatus
	Attempts   int
	// CutAttempts counts the attempts that provably never reached the
	// practice: the request's body could not all go out, or it was never
	// sent (what must come before it failed). The item may be
	// at the practice only if Attempts > CutAttempts.
	CutAttempts          int
	LastError            string    // may quote the server
	Result               []byte    // the server's answer (e.g. created resource JSON)
	NextAttempt          time.Time // when to retry; zero means now
	CreatedAt, UpdatedAt time.Time // set by storage
}

// outboxRecord is the sealed plaintext of an outbox row.
type outboxRecord struct {
	Kind        string    `json:"kind"`
	Identifier  string    `json:"identifier"`
	Payload     []byte    `json:"payload"`
	Attempts    int       `json:"attempts"`
	CutAttempts int       `json:"cut_attempts,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	Result      []byte    `json:"result,omitempty"`
	NextAttempt time.Time `json:"next_attempt"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// The status is part of the associated data so that the clear status
// column cannot be changed without the row failing to open.
func outboxAD(profileID string, seq int64, status OutboxStatus) []byte {
	return adFor("outbox", profileID, strconv.FormatInt(seq, 10), string(status))
}

func sealOutbox(k *profileKeys, it OutboxItem) ([]byte, error) {
	pt, err := json.Marshal(outboxRecord{
		Kind: it.Kind, Identifier: it.Identifier, Payload: it.Payload, Attempts: it.Attempts, CutAttempts: it.CutAttempts,
		LastError: it.LastError, Result: it.Result, NextAttempt: it.NextAttempt.UTC(),
		CreatedAt: it.CreatedAt.UTC(), UpdatedAt: it.UpdatedAt.UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode outbox item: %w", err)
	}
	defer zero(pt)
	return k.seal(pt, outboxAD(it.ProfileID, it.Seq, it.Status))
}

func openOutbox(k *profileKeys, profileID string, seq int64, status string, sealed []byte) (OutboxItem, error) {
	pt, err := k.open(sealed, outboxAD(profileID, seq, OutboxStatus(status)))
	if err != nil {
		return OutboxItem{}, fmt.Errorf("open outbox item: %w", err)
	}
	defer zero(pt)
	var r outboxRecord
	if err := json.Unmarshal(pt, &r); err != nil {
		return OutboxItem{}, fmt.Errorf("decode outbox item: %w", ErrIntegrity)
	}
	return OutboxItem{
		Seq: seq, ProfileID: profileID, Kind: r.Kind, Identifier: r.Identifier, Payload: r.Payload,
		Status: OutboxStatus(status), Attempts: r.Attempts, CutAttempts: r.CutAttempts, LastError: r.LastError, Result: r.Result,
		NextAttempt: r.NextAttempt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}, nil
}

// Enqueue adds an item to the outbox with status pending and returns it
// with Seq and timestamps set. Its write is durable (synchronous=FULL) when
// Enqueue returns. An Identifier the profile already used gives ErrDuplicate.
func (s *Store) Enqueue(ctx context.Context, item OutboxItem) (OutboxItem, error) {
	if item.Kind == "" || item.Identifier == "" {
		return OutboxItem{}, fmt.Errorf("enqueue: %w: kind and identifier are required", ErrInvalid)
	}
	k, err := s.keysFor(ctx, item.ProfileID)
	if err != nil {
		return OutboxItem{}, fmt.Errorf("enqueue: %w", err)
	}
	identKey, err := k.rowKey("outbox", item.Identifier)
	if err != nil {
		return OutboxItem{}, fmt.Errorf("enqueue: %w", err)
	}
	now := time.Now().UTC().Round(0)
	item.Status, item.Attempts, item.CutAttempts, item.LastError, item.Result = OutboxPending, 0, 0, "", nil
	item.CreatedAt, item.UpdatedAt = now, now
	err = s.update(ctx, "enqueue", func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM outbox WHERE profile_id = ? AND ident_key = ?",
			item.ProfileID, identKey).Scan(&n); err != nil {
			return dbErr("enqueue", err)
		}
		if n > 0 {
			return fmt.Errorf("enqueue: %w", ErrDuplicate)
		}
		// The row id is part of the associated data, so insert first to learn it.
		if err := tx.QueryRowContext(ctx, "INSERT INTO outbox (profile_id, ident_key, status, sealed) VALUES (?, ?, ?, x'') RETURNING seq",
			item.ProfileID, identKey, item.Status).Scan(&item.Seq); err != nil {
			return dbErr("enqueue", err)
		}
		sealed, err := sealOutbox(k, item)
		if err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE outbox SET sealed = ? WHERE seq = ?", sealed, item.Seq); err != nil {
			return dbErr("enqueue", err)
		}
		return nil
	})
	if err != nil {
		return OutboxItem{}, err
	}
	return item, nil
}

// Outbox returns the profile's outbox items with the given statuses (none
// given: all), in Seq order.
func (s *Store) Outbox(ctx context.Context, profileID string, statuses ...OutboxStatus) ([]OutboxItem, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	query := "SELECT seq, status, sealed FROM outbox WHERE profile_id = ?"
	args := []any{profileID}
	if len(statuses) > 0 {
		query += " AND status IN (?" + strings.Repeat(", ?", len(statuses)-1) + ")"
		for _, st := range statuses {
			args = append(args, string(st))
		}
	}
	rows, err := s.reader.QueryContext(ctx, query+" ORDER BY seq", args...)
	if err != nil {
		return nil, dbErr("read outbox", err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var seq int64
		var status string
		var sealed []byte
		if err := rows.Scan(&seq, &status, &sealed); err != nil {
			return nil, dbErr("read outbox", err)
		}
		it, err := openOutbox(k, profileID, seq, status, sealed)
		if err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("read outbox", err)
	}
	return out, nil
}

// OutboxItem returns one outbox item: ErrNotFound if absent.
func (s *Store) OutboxItem(ctx context.Context, profileID string, seq int64) (OutboxItem, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return OutboxItem{}, fmt.Errorf("read outbox item: %w", err)
	}
	return readOutboxItem(ctx, s.reader, k, profileID, seq)
}

func readOutboxItem(ctx context.Context, q queryer, k *profileKeys, profileID string, seq int64) (OutboxItem, error) {
	var status string
	var sealed []byte
	err := q.QueryRowContext(ctx, "SELECT status, sealed FROM outbox WHERE profile_id = ? AND seq = ?",
		profileID, seq).Scan(&status, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxItem{}, fmt.Errorf("read outbox item: %w", ErrNotFound)
	}
	if err != nil {
		return OutboxItem{}, dbErr("read outbox item", err)
	}
	return openOutbox(k, profileID, seq, status, sealed)
}

// SaveOutboxItem records the outcome of an attempt: Status, Attempts,
// CutAttempts, LastError, Result and NextAttempt of item (found by ProfileID and Seq).
// Kind, Identifier and CreatedAt cannot change, nor can Payload until the
// practice has the item: a sent item's Payload (when not nil) replaces
// the stored one, so that the outbox can drop what the practice's copy
// keeps. UpdatedAt is set. The write is durable when SaveOutboxItem
// returns.
func (s *Store) SaveOutboxItem(ctx context.Context, item OutboxItem) error {
	if !item.Status.valid() {
		return fmt.Errorf("save outbox item: %w: unknown status", ErrInvalid)
	}
	k, err := s.keysFor(ctx, item.ProfileID)
	if err != nil {
		return fmt.Errorf("save outbox item: %w", err)
	}
	return s.update(ctx, "save outbox item", func(tx *sql.Tx) error {
		cur, err := readOutboxItem(ctx, tx, k, item.ProfileID, item.Seq)
		if err != nil {
			return fmt.Errorf("save outbox item: %w", err)
		}
		cur.Status, cur.Attempts, cur.CutAttempts, cur.LastError = item.Status, item.Attempts, item.CutAttempts, item.LastError
		cur.Result, cur.NextAttempt = item.Result, item.NextAttempt
		if item.Status == OutboxSent && item.Payload != nil {
			cur.Payload = item.Payload
		}
		cur.UpdatedAt = time.Now().UTC().Round(0)
		sealed, err := sealOutbox(k, cur)
		if err != nil {
			return fmt.Errorf("save outbox item: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE outbox SET status = ?, sealed = ? WHERE seq = ?",
			cur.Status, sealed, cur.Seq); err != nil {
			return dbErr("save outbox item", err)
		}
		return nil
	})
}

// DeleteOutboxItem removes one outbox item (the patient discarded it).
// ErrNotFound if absent. allow decides whether the item, as it is at the
// moment it would go, may go (an item that may already have reached the
// server should be kept): its error is returned and nothing removed. The
// check and the removal are one transaction, so an attempt to send the
// item cannot come between them. allow may be nil: the item goes.
func (s *Store) DeleteOutboxItem(ctx context.Context, profileID string, seq int64, allow func(OutboxItem) error) error {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return fmt.Errorf("delete outbox item: %w", err)
	}
	return s.update(ctx, "delete outbox item", func(tx *sql.Tx) error {
		cur, err := readOutboxItem(ctx, tx, k, profileID, seq)
		if err != nil {
			return fmt.Errorf("delete outbox item: %w", err)
		}
		if allow != nil {
			if err := allow(cur); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM outbox WHERE profile_id = ? AND seq = ?", profileID, seq); err != nil {
			return dbErr("delete outbox item", err)
		}
		return nil
	})
}
