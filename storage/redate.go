package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// RedateStep writes the clear month of their own date (see DateOf) of up
// to limit resources of the given types whose month is unknown or none
// (written before schema 6, or before the installed DateOf read their
// type), of row numbers above after, in one transaction. It returns the
// last row number it looked at, to give as after to the next step, and
// done when no such row is left above it. A pass of steps from after = 0
// looks at each row once, whether its month was found or not. Without an
// installed DateOf it does nothing.
func (s *Store) RedateStep(ctx context.Context, profileID string, types []string, after int64, limit int) (last int64, done bool, err error) {
	dateOf := s.dateOfFunc()
	if dateOf == nil || len(types) == 0 {
		return after, true, nil
	}
	limit = max(limit, 1)
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return after, false, fmt.Errorf("redate resources: %w", err)
	}
	last = after
	err = s.update(ctx, "redate resources", func(tx *sql.Tx) error {
		query := "SELECT id, type, row_key, sealed, own_month FROM resources WHERE profile = ? AND type IN (?" +
			strings.Repeat(", ?", len(types)-1) + ") AND (own_month IS NULL OR own_month = '') AND id > ? ORDER BY id LIMIT ?"
		args := []any{k.num}
		for _, t := range types {
			args = append(args, t)
		}
		args = append(args, after, limit)
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return dbErr("redate resources", err)
		}
		type change struct {
			id    int64
			month string
		}
		var changes []change
		n := 0
		for rows.Next() {
			var id int64
			var typ string
			var rowKey, sealed []byte
			var month sql.NullString
			if err := rows.Scan(&id, &typ, &rowKey, &sealed, &month); err != nil {
				rows.Close()
				return dbErr("redate resources", err)
			}
			n++
			last = id
			r, err := openRow(k, profileID, typ, rowKey, sealed)
			if err != nil {
				rows.Close()
				return fmt.Errorf("redate resources: %w", err)
			}
			now := ""
			if t, ok := dateOf(r); ok {
				now = ownMonth(t)
			}
			zero(r.JSON)
			if !month.Valid || month.String != now {
				changes = append(changes, change{id, now})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dbErr("redate resources", err)
		}
		for _, c := range changes {
			if _, err := tx.ExecContext(ctx, "UPDATE resources SET own_month = ? WHERE id = ?", c.month, c.id); err != nil {
				return dbErr("redate resources", err)
			}
		}
		done = n < limit
		return nil
	})
	if err != nil {
		return after, false, err
	}
	return last, done, nil
}
