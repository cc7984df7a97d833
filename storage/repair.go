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
	// record again.
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
// and the cache is complete. What the patient wrote stays: readable outbox
// items are kept; an item that cannot be opened is counted in the report
// (its content is lost either way) and removed, since it would stop every
// later send. The profile, its key and its tokens are untouched. One
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

		badCheckpoints, err := damagedRows(ctx, tx, "SELECT 0, '', name_key, sealed FROM checkpoints WHERE profile_id = ?", profileID,
			func(_ string, key, sealed []byte) error {
				// The table holds the sync's checkpoints and the profile's
				// sealed values (values.go), each sealed with associated
				// data of its own: a row is damaged when it opens as neither.
				if _, err := k.open(sealed, checkpointAD(profileID, key)); !errors.Is(err, ErrIntegrity) {
					return err
				}
				_, err := k.open(sealed, valueAD(profileID, key))
				return err
			})
		if err != nil {
			return err
		}
		if rep.Records > 0 || len(badCheckpoints) > 0 {
			res, err := tx.ExecContext(ctx, "DELETE FROM checkpoints WHERE profile_id = ?", profileID)
			if err != nil {
				return dbErr("repair", err)
			}
			n, _ := res.RowsAffected()
			rep.Checkpoints = int(n)
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
