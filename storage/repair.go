package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// RepairReport says what Repair removed from a profile.
type RepairReport struct {
	// Records is how many cached resources could not be opened (damaged or
	// tampered with) and were removed.
	Records int
	// Checkpoints is how many sync checkpoints were removed: all of them
	// when anything was damaged, so the next sync downloads the whole
	// record again. The profile's values (drafts, say), which share their
	// table, are kept, but for damaged ones, which count here too.
	Checkpoints int
	// Outbox is how many outbox items could not be opened and were
	// removed. Readable items, sent or not, are kept untouched.
	Outbox int
}

// Damaged reports whether Repair found anything damaged.
func (r RepairReport) Damaged() bool { return r.Records+r.Checkpoints+r.Outbox > 0 }

// Repair checks every sealed row of a profile and removes those that do
// not open (ErrIntegrity: a damaged disk, a row changed behind the app's
// back). When any resource or checkpoint was damaged, every checkpoint of
// the profile goes too, so the next sync downloads the whole record again
// and the cache is complete. What the patient wrote stays: drafts and the
// profile's other values are kept, and so are readable outbox items; an
// item that cannot be opened is counted in the report (its content is
// lost either way) and removed, since it would stop every later send. The profile, its key and its tokens are untouched. One
// transaction: a crash leaves the profile as it was.
func (s *Store) Repair(ctx context.Context, profileID string) (RepairReport, error) {
	var rep RepairReport
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return rep, fmt.Errorf("repair: %w", err)
	}
	err = s.update(ctx, "repair", func(tx *sql.Tx) error {
		rep = RepairReport{}
		bad, err := damagedRows(ctx, tx, "SELECT id, type, row_key, sealed FROM resources WHERE profile = ?", k.num,
			func(typ string, key, sealed []byte) error {
				_, err := openRow(k, profileID, typ, key, sealed)
				return err
			})
		if err != nil {
			return err
		}
		for _, id := range bad {
			if _, err := tx.ExecContext(ctx, "DELETE FROM resources WHERE id = ?", id); err != nil {
				return dbErr("repair", err)
			}
		}
		rep.Records = len(bad)

		checkpoints, damaged, err := checkpointRows(ctx, tx, k, profileID)
		if err != nil {
			return err
		}
		if rep.Records > 0 || len(damaged) > 0 {
			// The sync's checkpoints go, so that the next sync downloads
			// the whole record again; the profile's values (drafts, what
			// was announced) stay, but for those damaged.
			if err := deleteCheckpointRows(ctx, tx, profileID, append(checkpoints, damaged...)); err != nil {
				return err
			}
			rep.Checkpoints = len(checkpoints) + len(damaged)
		}

		rows, err := tx.QueryContext(ctx, "SELECT seq, status, sealed FROM outbox WHERE profile_id = ?", profileID)
		if err != nil {
			return dbErr("repair", err)
		}
		var badItems []int64
		for rows.Next() {
			var seq int64
			var status string
			var sealed []byte
			if err := rows.Scan(&seq, &status, &sealed); err != nil {
				rows.Close()
				return dbErr("repair", err)
			}
			if _, err := openOutbox(k, profileID, seq, status, sealed); errors.Is(err, ErrIntegrity) {
				badItems = append(badItems, seq)
			} else if err != nil {
				rows.Close()
				return fmt.Errorf("repair: %w", err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dbErr("repair", err)
		}
		for _, seq := range badItems {
			if _, err := tx.ExecContext(ctx, "DELETE FROM outbox WHERE seq = ?", seq); err != nil {
				return dbErr("repair", err)
			}
		}
		rep.Outbox = len(badItems)
		return nil
	})
	if err != nil {
		return RepairReport{}, err
	}
	return rep, nil
}

// checkpointRows sorts the rows of the checkpoints table of a profile by
// their name keys: the table holds the sync's checkpoints and the
// profile's sealed values (values.go), each sealed with associated data of
// its own, so a row is damaged when it opens as neither.
func checkpointRows(ctx context.Context, tx *sql.Tx, k *profileKeys, profileID string) (checkpoints, damaged [][]byte, err error) {
	rows, err := tx.QueryContext(ctx, "SELECT name_key, sealed FROM checkpoints WHERE profile_id = ?", profileID)
	if err != nil {
		return nil, nil, dbErr("read checkpoints", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, sealed []byte
		if err := rows.Scan(&key, &sealed); err != nil {
			return nil, nil, dbErr("read checkpoints", err)
		}
		if _, err := k.open(sealed, checkpointAD(profileID, key)); err == nil {
			checkpoints = append(checkpoints, key)
			continue
		} else if !errors.Is(err, ErrIntegrity) {
			return nil, nil, fmt.Errorf("read checkpoints: %w", err)
		}
		if _, err := k.open(sealed, valueAD(profileID, key)); errors.Is(err, ErrIntegrity) {
			damaged = append(damaged, key)
		} else if err != nil {
			return nil, nil, fmt.Errorf("read checkpoints: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, dbErr("read checkpoints", err)
	}
	return checkpoints, damaged, nil
}

// deleteCheckpointRows removes the rows of the profile's checkpoints table
// under keys (as checkpointRows sorted them).
func deleteCheckpointRows(ctx context.Context, tx *sql.Tx, profileID string, keys [][]byte) error {
	for _, key := range keys {
		if _, err := tx.ExecContext(ctx, "DELETE FROM checkpoints WHERE profile_id = ? AND name_key = ?", profileID, key); err != nil {
			return dbErr("delete checkpoints", err)
		}
	}
	return nil
}

// damagedRows runs query (selecting id, type, key, sealed) and returns the
// ids of the rows check finds damaged (ErrIntegrity). Other errors stop it.
func damagedRows(ctx context.Context, tx *sql.Tx, query string, arg any, check func(typ string, key, sealed []byte) error) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, dbErr("repair", err)
	}
	defer rows.Close()
	var bad []int64
	for rows.Next() {
		var id int64
		var typ string
		var key, sealed []byte
		if err := rows.Scan(&id, &typ, &key, &sealed); err != nil {
			return nil, dbErr("repair", err)
		}
		if err := check(typ, key, sealed); errors.Is(err, ErrIntegrity) {
			bad = append(bad, id)
		} else if err != nil {
			return nil, fmt.Errorf("repair: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("repair", err)
	}
	return bad, nil
}
