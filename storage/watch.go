package storage

import (
	"database/sql"
	"errors"
	"fmt"
)

// Change is one resource a write transaction stored or removed, as a
// WriteWatcher sees it.
type Change struct {
	// Resource is the resource stored; for a removal only its Type and
	// ID are set.
	Resource
	Removed bool
	// Digest is the WriteWatcher's Digest of the resource stored (nil for
	// a removal, or without a Digest).
	Digest any
}

// WriteWatcher keeps something derived from a profile's resources up to
// date in the same transaction as the writes it derives from (the app
// keeps the dashboard's facts so, sealed as values: see Tx.PutValue).
// Watch runs at the end of each Update that stored or removed resources
// of the watched types, before the commit, with those changes in the
// order they were made: what it writes commits with them or not at all,
// and its error rolls everything back. The JSON it is handed is wiped
// when it returns: it must keep none of it.
//
// Digest (may be nil) reduces a resource stored to what Watch needs of
// it, handed over as Change.Digest: a write of a Batch made it in
// Store.Prepare, ahead of the transaction and off the single writer
// (Watch runs on the writer, while other writes wait), Tx.Put as it
// writes. It must be safe for concurrent use, and what it returns must
// hold nothing of the resource that Watch may not keep.
type WriteWatcher struct {
	Types  []string
	Digest func(Resource) any
	Watch  func(tx *Tx, changes []Change) error
}

// SetWriteWatcher installs w (a zero WriteWatcher removes it). Install it
// before the first write: a write made without it is not seen again.
func (s *Store) SetWriteWatcher(w WriteWatcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooksGen++ // a Batch holds the digests of the watcher it was prepared with
	if w.Watch == nil {
		s.watcher = nil
		return
	}
	types := make(map[string]bool, len(w.Types))
	for _, t := range w.Types {
		types[t] = true
	}
	s.watcher = &watcher{types: types, digest: w.Digest, watch: w.Watch}
}

// watcher is an installed WriteWatcher.
type watcher struct {
	types  map[string]bool
	digest func(Resource) any
	watch  func(tx *Tx, changes []Change) error
}

// digestOf is the watcher's Digest of r stored (nil when w does not watch
// its type or has no Digest).
func (w *watcher) digestOf(r Resource) any {
	if w == nil || w.digest == nil || !w.types[r.Type] {
		return nil
	}
	return w.digest(r)
}

// noteChange remembers a resource stored or removed for the watcher, if
// it watches its type. The JSON is copied: the caller may reuse its buffer.
func (tx *Tx) noteChange(r Resource, removed bool) {
	if tx.watcher == nil || !tx.watcher.types[r.Type] {
		return
	}
	var digest any
	if !removed {
		digest = tx.watcher.digestOf(r)
	}
	tx.noteDigested(r, removed, digest)
}

// noteDigested is noteChange with the watcher's Digest of r made already.
func (tx *Tx) noteDigested(r Resource, removed bool, digest any) {
	if tx.watcher == nil || !tx.watcher.types[r.Type] {
		return
	}
	c := Change{Resource: Resource{Type: r.Type, ID: r.ID, LastUpdated: r.LastUpdated}, Removed: removed, Digest: digest}
	if !removed {
		c.JSON = append([]byte(nil), r.JSON...)
	}
	tx.changes = append(tx.changes, c)
}

// flushWatcher hands the transaction's changes to the watcher.
func (tx *Tx) flushWatcher() error {
	if len(tx.changes) == 0 {
		return nil
	}
	changes := tx.changes
	tx.changes = nil
	defer func() {
		for _, c := range changes {
			zero(c.JSON)
		}
	}()
	return tx.watcher.watch(tx, changes)
}

// Get reads one resource of the transaction's profile, as seen inside the
// transaction: ErrNotFound when it is not cached.
func (tx *Tx) Get(typ, id string) (Resource, error) {
	key, err := tx.keys.rowKey("resource", typ, id)
	if err != nil {
		return Resource{}, fmt.Errorf("get resource: %w", err)
	}
	return getRow(tx.ctx, tx.tx, tx.keys, tx.profileID, typ, id, key)
}

// Each calls fn with every resource of one type of the transaction's
// profile, as seen inside the transaction, in no particular order. It
// stops at fn's first error and returns it. fn must not write.
func (tx *Tx) Each(typ string, fn func(Resource) error) error {
	return eachRow(tx.ctx, tx.tx, tx.keys, tx.profileID, "SELECT type, row_key, sealed FROM resources WHERE profile = ? AND type = ?",
		[]any{tx.keys.num, typ}, fn)
}

// Value returns the value stored under name (see Store.Value), as seen
// inside the transaction: ErrNotFound if none is.
func (tx *Tx) Value(name string) ([]byte, error) {
	nameKey, err := tx.keys.rowKey("value", name)
	if err != nil {
		return nil, fmt.Errorf("read value: %w", err)
	}
	var sealed []byte
	err = tx.tx.QueryRowContext(tx.ctx, "SELECT sealed FROM checkpoints WHERE profile_id = ? AND name_key = ?",
		tx.profileID, nameKey).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read value: %w", ErrNotFound)
	}
	if err != nil {
		return nil, dbErr("read value", err)
	}
	v, err := tx.keys.open(sealed, valueAD(tx.profileID, nameKey))
	if err != nil {
		return nil, fmt.Errorf("read value: %w", err)
	}
	return v, nil
}

// PutValue stores value under name (see Store.PutValue), committed with
// the rest of the transaction.
func (tx *Tx) PutValue(name string, value []byte) error {
	nameKey, err := tx.keys.rowKey("value", name)
	if err != nil {
		return fmt.Errorf("put value: %w", err)
	}
	sealed, err := tx.keys.seal(value, valueAD(tx.profileID, nameKey))
	if err != nil {
		return fmt.Errorf("put value: %w", err)
	}
	if _, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO checkpoints (profile_id, name_key, sealed) VALUES (?, ?, ?)
		ON CONFLICT (profile_id, name_key) DO UPDATE SET sealed = excluded.sealed`,
		tx.profileID, nameKey, sealed); err != nil {
		return dbErr("put value", err)
	}
	return nil
}

// DeleteValue removes the value stored under name (see Store.DeleteValue),
// committed with the rest of the transaction; removing an absent one is
// not an error.
func (tx *Tx) DeleteValue(name string) error {
	nameKey, err := tx.keys.rowKey("value", name)
	if err != nil {
		return fmt.Errorf("delete value: %w", err)
	}
	if _, err := tx.tx.ExecContext(tx.ctx, "DELETE FROM checkpoints WHERE profile_id = ? AND name_key = ?", tx.profileID, nameKey); err != nil {
		return dbErr("delete value", err)
	}
	return nil
}
