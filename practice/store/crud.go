package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Tx is a store transaction, given to the callback of InTx (read-write) or
// used internally for reads. It has the same operations as Store.
type Tx struct {
	tx    *sql.Tx
	st    *Store
	now   int64 // the timestamp of this write transaction, µs
	write bool
}

// exec runs a frequent statement through the store's prepared statements.
func (t *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.st.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// queryRow is exec for a query returning one row.
func (t *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.st.prepared(ctx, query)
	if err != nil {
		// Let the error surface through Scan, as QueryRowContext would.
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

// Now returns the timestamp given to everything this transaction writes.
func (t *Tx) Now() time.Time { return time.UnixMicro(t.now).UTC() }

type current struct {
	seq     int64
	version int64
	deleted bool
}

// current returns the newest version of typ/id; found is false when the
// resource never existed.
func (t *Tx) current(ctx context.Context, typ, id string) (c current, found bool, err error) {
	err = t.queryRow(ctx,
		`SELECT seq, version, deleted FROM fhir_current WHERE type = ? AND id = ?`, typ, id).
		Scan(&c.seq, &c.version, &c.deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return current{}, false, nil
	}
	if err != nil {
		return current{}, false, fmt.Errorf("look up %s: %w", typ, err)
	}
	return c, true, nil
}

// Create stores body as a new resource of type typ with a new id (an id in
// the body is ignored, as FHIR create does).
func (t *Tx) Create(ctx context.Context, typ string, body []byte) (Resource, error) {
	m, err := DecodeResource(body, typ)
	if err != nil {
		return Resource{}, err
	}
	return t.writeVersion(ctx, typ, NewID(), m, 0)
}

// Put creates typ/id or, if it exists (even deleted), stores body as its
// next version. The body's id, when present, must be id.
func (t *Tx) Put(ctx context.Context, typ, id string, body []byte) (Resource, error) {
	m, err := decodeForID(body, typ, id)
	if err != nil {
		return Resource{}, err
	}
	c, _, err := t.current(ctx, typ, id)
	if err != nil {
		return Resource{}, err
	}
	return t.writeVersion(ctx, typ, id, m, c.version)
}

// Update stores body as the next version of the existing resource typ/id.
// When ifMatchVersion is not empty it must be the current version id, else
// ErrVersionConflict. A missing resource gives ErrNotFound; updating a
// deleted resource brings it back (as FHIR update does).
func (t *Tx) Update(ctx context.Context, typ, id string, body []byte, ifMatchVersion string) (Resource, error) {
	m, err := decodeForID(body, typ, id)
	if err != nil {
		return Resource{}, err
	}
	c, found, err := t.current(ctx, typ, id)
	if err != nil {
		return Resource{}, err
	}
	if !found {
		return Resource{}, fmt.Errorf("update %s: %w", typ, ErrNotFound)
	}
	if ifMatchVersion != "" && ifMatchVersion != strconv.FormatInt(c.version, 10) {
		return Resource{}, fmt.Errorf("update %s: version %q is not the current one: %w", typ, truncate(ifMatchVersion), ErrVersionConflict)
	}
	return t.writeVersion(ctx, typ, id, m, c.version)
}

func decodeForID(body []byte, typ, id string) (map[string]any, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("%w: %q is not a valid FHIR id", ErrInvalid, truncate(id))
	}
	m, err := DecodeResource(body, typ)
	if err != nil {
		return nil, err
	}
	if bodyID, present := m["id"]; present && bodyID != id {
		return nil, fmt.Errorf("%w: the resource id does not match the id in the URL", ErrInvalid)
	}
	return m, nil
}

// write_ stores m as version prev+1 of typ/id and reindexes it.
func (t *Tx) writeVersion(ctx context.Context, typ, id string, m map[string]any, prev int64) (Resource, error) {
	if !t.write {
		return Resource{}, errors.New("store: write in a read transaction")
	}
	version := prev + 1
	stamp(m, id, version, t.now)
	body, err := EncodeResource(m)
	if err != nil {
		return Resource{}, err
	}
	seq, err := t.insertVersion(ctx, typ, id, version, false, body)
	if err != nil {
		return Resource{}, err
	}
	if err := t.setCompartment(ctx, seq, compartment(typ, id, m)); err != nil {
		return Resource{}, err
	}
	if err := t.reindex(ctx, typ, id, extract(typ, m), prev == 0); err != nil {
		return Resource{}, err
	}
	return Resource{Type: typ, ID: id, VersionID: strconv.FormatInt(version, 10), LastUpdated: t.Now(), JSON: body}, nil
}

func (t *Tx) insertVersion(ctx context.Context, typ, id string, version int64, deleted bool, body []byte) (int64, error) {
	res, err := t.exec(ctx,
		`INSERT INTO fhir_version (type, id, version, last_updated, deleted, json) VALUES (?, ?, ?, ?, ?, ?)`,
		typ, id, version, t.now, deleted, body)
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", typ, err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", typ, err)
	}
	_, err = t.exec(ctx,
		`INSERT INTO fhir_current (type, id, seq, version, last_updated, deleted) VALUES (?, ?, ?, ?, ?, ?)
		 ON CONFLICT (type, id) DO UPDATE SET seq = excluded.seq, version = excluded.version,
		 last_updated = excluded.last_updated, deleted = excluded.deleted`,
		typ, id, seq, version, t.now, deleted)
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", typ, err)
	}
	return seq, nil
}

func (t *Tx) setCompartment(ctx context.Context, seq int64, patients []string) error {
	for _, p := range patients {
		if _, err := t.exec(ctx,
			`INSERT OR IGNORE INTO fhir_compartment (seq, patient) VALUES (?, ?)`, seq, p); err != nil {
			return fmt.Errorf("write compartment: %w", err)
		}
	}
	return nil
}

// reindex replaces the search index rows of typ/id; fresh is true for a
// resource that has none yet.
func (t *Tx) reindex(ctx context.Context, typ, id string, rows []indexRow, fresh bool) error {
	if !fresh {
		if _, err := t.exec(ctx, `DELETE FROM fhir_index WHERE type = ? AND id = ?`, typ, id); err != nil {
			return fmt.Errorf("index %s: %w", typ, err)
		}
	}
	for _, r := range rows {
		if _, err := t.exec(ctx,
			`INSERT OR IGNORE INTO fhir_index (type, id, name, sys, val, lo, hi) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			typ, id, r.name, r.sys, r.val, r.lo, r.hi); err != nil {
			return fmt.Errorf("index %s: %w", typ, err)
		}
	}
	return nil
}

// Delete deletes typ/id: a new version marked deleted, kept in history and in
// the compartments of the version before it. Deleting a deleted resource
// does nothing; a resource that never existed gives ErrNotFound.
func (t *Tx) Delete(ctx context.Context, typ, id string) error {
	if !t.write {
		return errors.New("store: write in a read transaction")
	}
	c, found, err := t.current(ctx, typ, id)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("delete %s: %w", typ, ErrNotFound)
	}
	if c.deleted {
		return nil
	}
	seq, err := t.insertVersion(ctx, typ, id, c.version+1, true, nil)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx,
		`INSERT INTO fhir_compartment (seq, patient) SELECT ?, patient FROM fhir_compartment WHERE seq = ?`,
		seq, c.seq); err != nil {
		return fmt.Errorf("delete %s: compartment: %w", typ, err)
	}
	return t.reindex(ctx, typ, id, nil, false)
}

// Read returns the current version of typ/id: ErrNotFound if there is none,
// ErrGone (with the deletion's Resource) if it was deleted.
func (t *Tx) Read(ctx context.Context, typ, id string) (Resource, error) {
	row := t.queryRow(ctx,
		`SELECT v.type, v.id, v.version, v.last_updated, v.deleted, v.json, v.seq
		 FROM fhir_current c JOIN fhir_version v ON v.seq = c.seq WHERE c.type = ? AND c.id = ?`, typ, id)
	r, err := scanResource(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Resource{}, fmt.Errorf("read %s: %w", typ, ErrNotFound)
	}
	if err != nil {
		return Resource{}, fmt.Errorf("read %s: %w", typ, err)
	}
	if r.Deleted {
		return r, fmt.Errorf("read %s: %w", typ, ErrGone)
	}
	return r, nil
}

// VRead returns version vid of typ/id (a deletion has Deleted set).
func (t *Tx) VRead(ctx context.Context, typ, id, vid string) (Resource, error) {
	v, err := strconv.ParseInt(vid, 10, 64)
	if err != nil || v < 1 {
		return Resource{}, fmt.Errorf("vread %s: %w", typ, ErrNotFound)
	}
	row := t.tx.QueryRowContext(ctx,
		`SELECT type, id, version, last_updated, deleted, json, seq FROM fhir_version WHERE type = ? AND id = ? AND version = ?`,
		typ, id, v)
	r, err := scanResource(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Resource{}, fmt.Errorf("vread %s: %w", typ, ErrNotFound)
	}
	if err != nil {
		return Resource{}, fmt.Errorf("vread %s: %w", typ, err)
	}
	return r, nil
}

// InCompartment reports whether the current version of typ/id is in the
// compartment of Patient patientID (false when it does not exist).
func (t *Tx) InCompartment(ctx context.Context, typ, id, patientID string) (bool, error) {
	var n int
	err := t.queryRow(ctx,
		`SELECT COUNT(*) FROM fhir_current c JOIN fhir_compartment p ON p.seq = c.seq
		 WHERE c.type = ? AND c.id = ? AND p.patient = ?`, typ, id, patientID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("compartment of %s: %w", typ, err)
	}
	return n > 0, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanResource(row scanner) (Resource, error) {
	var (
		r       Resource
		version int64
		at      int64
		body    []byte
	)
	if err := row.Scan(&r.Type, &r.ID, &version, &at, &r.Deleted, &body, &r.Seq); err != nil {
		return Resource{}, err
	}
	r.VersionID = strconv.FormatInt(version, 10)
	r.LastUpdated = time.UnixMicro(at).UTC()
	r.JSON = body
	return r, nil
}
