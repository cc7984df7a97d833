package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Resource is one cached FHIR resource, as the server sent it.
type Resource struct {
	Type        string    // FHIR resource type, e.g. "Observation"
	ID          string    // server id
	LastUpdated time.Time // meta.lastUpdated (only its day is kept in clear)
	JSON        []byte    // the raw JSON the server sent
}

func resourceAD(profileID, typ string, rowKey []byte) []byte {
	return adFor("resources", profileID, typ, string(rowKey))
}

func checkpointAD(profileID string, nameKey []byte) []byte {
	return adFor("checkpoints", profileID, string(nameKey))
}

// encodeResource builds the sealed plaintext of a resource:
//
//	uvarint len(id) | id | 0, or 1 + 8-byte Unix seconds + 4-byte nanoseconds | JSON
func encodeResource(r Resource) []byte {
	return appendResource(make([]byte, 0, binary.MaxVarintLen64+len(r.ID)+13+len(r.JSON)), r)
}

// appendResource is encodeResource appending to b.
func appendResource(b []byte, r Resource) []byte {
	b = binary.AppendUvarint(b, uint64(len(r.ID)))
	b = append(b, r.ID...)
	if r.LastUpdated.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.BigEndian.AppendUint64(b, uint64(r.LastUpdated.Unix()))
		b = binary.BigEndian.AppendUint32(b, uint32(r.LastUpdated.Nanosecond()))
	}
	return append(b, r.JSON...)
}

// decodeResource parses what encodeResource built. The JSON of the result
// shares memory with b.
func decodeResource(typ string, b []byte) (Resource, error) {
	n, used := binary.Uvarint(b)
	if used <= 0 || n > uint64(len(b)-used) {
		return Resource{}, fmt.Errorf("decode resource: %w: bad id length", ErrIntegrity)
	}
	b = b[used:]
	r := Resource{Type: typ, ID: string(b[:n])}
	b = b[n:]
	if len(b) < 1 {
		return Resource{}, fmt.Errorf("decode resource: %w: missing time flag", ErrIntegrity)
	}
	switch b[0] {
	case 0:
		b = b[1:]
	case 1:
		if len(b) < 13 {
			return Resource{}, fmt.Errorf("decode resource: %w: short time", ErrIntegrity)
		}
		sec := int64(binary.BigEndian.Uint64(b[1:9]))
		nsec := binary.BigEndian.Uint32(b[9:13])
		if nsec >= 1e9 {
			return Resource{}, fmt.Errorf("decode resource: %w: bad time", ErrIntegrity)
		}
		r.LastUpdated = time.Unix(sec, int64(nsec)).UTC()
		b = b[13:]
	default:
		return Resource{}, fmt.Errorf("decode resource: %w: bad time flag", ErrIntegrity)
	}
	r.JSON = b
	return r, nil
}

// ownMonth is the clear form of a resource's own date: its month.
func ownMonth(t time.Time) string { return t.UTC().Format("2006-01") }

// DateOf reads a resource's own date (when a result was taken or
// issued): the latest of them, and false when it has none, or one that a
// single date would misstate (a period, contained resources, a date that
// does not parse). It must be cheap and safe for concurrent use: every
// write calls it.
type DateOf func(r Resource) (time.Time, bool)

// SetDateOf installs the function whose month of each resource written
// is kept in clear for EachDatedSince. Without one, resources are written
// without it (EachDatedSince then reads them all).
func (s *Store) SetDateOf(fn DateOf) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dateOf = fn
	s.hooksGen++
}

func (s *Store) dateOfFunc() DateOf {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dateOf
}

// writeHooks returns what a write runs besides its SQL: the indexer, the
// DateOf, the watcher, and the generation of the three (a Batch
// prepared under another generation is prepared again).
func (s *Store) writeHooks() (SearchIndexer, DateOf, *watcher, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.indexer, s.dateOf, s.watcher, s.hooksGen
}

// monthOf is what Put writes in own_month: the month of r's own date,
// ” when it has none, NULL when no DateOf is installed.
func (tx *Tx) monthOf(r Resource) any {
	if tx.dateOf == nil {
		return nil
	}
	if t, ok := tx.dateOf(r); ok {
		return ownMonth(t)
	}
	return ""
}

func updatedDay(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.DateOnly)
}

func validResource(r Resource) error {
	if r.Type == "" || r.ID == "" {
		return fmt.Errorf("%w: resource needs a type and an id", ErrInvalid)
	}
	return nil
}

// openRow opens one sealed resource row and checks it is the one its key
// says it is.
func openRow(k *profileKeys, profileID, typ string, rowKey, sealed []byte) (Resource, error) {
	pt, err := k.open(sealed, resourceAD(profileID, typ, rowKey))
	if err != nil {
		return Resource{}, err
	}
	return decodeResource(typ, pt)
}

// Put stores resources in one transaction, replacing any with the same type
// and id. Each call is one durable (fsynced) commit: pass many resources at
// once, or use Update, rather than calling Put in a loop.
func (s *Store) Put(ctx context.Context, profileID string, rs ...Resource) error {
	return s.Update(ctx, profileID, func(tx *Tx) error { return tx.Put(rs...) })
}

// Delete removes a resource; deleting one that is absent is not an error.
func (s *Store) Delete(ctx context.Context, profileID, typ, id string) error {
	return s.Update(ctx, profileID, func(tx *Tx) error { return tx.Delete(typ, id) })
}

// Get returns one resource: ErrNotFound if the profile or resource does not
// exist, ErrIntegrity if its sealed value was altered or moved.
func (s *Store) Get(ctx context.Context, profileID, typ, id string) (Resource, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return Resource{}, fmt.Errorf("get resource: %w", err)
	}
	rowKey, err := k.rowKey("resource", typ, id)
	if err != nil {
		return Resource{}, fmt.Errorf("get resource: %w", err)
	}
	k.beginRead()
	defer k.endRead()
	r, err := getRow(ctx, s.reader, k, profileID, typ, id, rowKey)
	return r, s.noteDamage(err)
}

// getRow reads and opens the resource typ/id (row key rowKey) of k's
// profile through q (the read pool, or a transaction).
func getRow(ctx context.Context, q queryer, k *profileKeys, profileID, typ, id string, rowKey []byte) (Resource, error) {
	var sealed []byte
	err := q.QueryRowContext(ctx, "SELECT sealed FROM resources WHERE profile = ? AND row_key = ?",
		k.num, rowKey).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return Resource{}, fmt.Errorf("get resource: %w", ErrNotFound)
	}
	if err != nil {
		return Resource{}, dbErr("get resource", err)
	}
	r, err := openRow(k, profileID, typ, rowKey, sealed)
	if err != nil {
		return Resource{}, fmt.Errorf("get resource: %w", err)
	}
	if r.ID != id {
		return Resource{}, fmt.Errorf("get resource: %w: id mismatch", ErrIntegrity)
	}
	return r, nil
}

// List returns the resources of one type (typ "" means all types), sorted
// by type then id.
func (s *Store) List(ctx context.Context, profileID, typ string) ([]Resource, error) {
	var out []Resource
	err := s.Each(ctx, profileID, typ, func(r Resource) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Each calls fn with every resource of one type (typ "" means all types),
// in no particular order, without holding them all in memory. It stops at the
// first error, fn's included, and returns it. fn may call other Store
// methods; one pooled read connection stays busy until Each returns.
func (s *Store) Each(ctx context.Context, profileID, typ string, fn func(Resource) error) error {
	return s.each(ctx, profileID, typ, time.Time{}, fn)
}

// EachDatedSince is EachUpdatedSince(updated; zero: any) further limited
// to the resources whose own date (see DateOf) falls in dated's month
// (UTC) or later, or is unknown. Only the month is kept in clear, and the
// other resources are never opened: callers filter precisely on the
// decoded value.
func (s *Store) EachDatedSince(ctx context.Context, profileID, typ string, updated, dated time.Time, fn func(Resource) error) error {
	return s.eachWhere(ctx, profileID, typ, updated, dated, fn)
}

// EachUpdatedSince is Each limited to the resources whose lastUpdated falls
// on since's day (UTC) or later, or is unknown. Only the day is kept in
// clear, so a few resources of since's day but earlier come too: callers
// filter precisely on the decoded value when it matters.
func (s *Store) EachUpdatedSince(ctx context.Context, profileID, typ string, since time.Time, fn func(Resource) error) error {
	if since.IsZero() {
		return s.Each(ctx, profileID, typ, fn)
	}
	return s.each(ctx, profileID, typ, since, fn)
}

func (s *Store) each(ctx context.Context, profileID, typ string, since time.Time, fn func(Resource) error) error {
	return s.eachWhere(ctx, profileID, typ, since, time.Time{}, fn)
}

// eachWhere calls fn with the resources of typ ("" all) updated since
// updated's day and dated since dated's month (zero: any).
func (s *Store) eachWhere(ctx context.Context, profileID, typ string, since, dated time.Time, fn func(Resource) error) error {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return fmt.Errorf("read resources: %w", err)
	}
	k.beginRead()
	defer k.endRead()
	query := "SELECT type, row_key, sealed FROM resources WHERE profile = ?"
	args := []any{k.num}
	if typ != "" {
		query += " AND type = ?"
		args = append(args, typ)
	}
	if !since.IsZero() {
		query += " AND (updated_day IS NULL OR updated_day >= ?)"
		args = append(args, since.UTC().Format(time.DateOnly))
	}
	switch {
	case !dated.IsZero() && typ != "":
		// Three ranges of the index by type and month, in its order (NULL,
		// '', months): a single condition with OR would walk every entry
		// of the type.
		base, baseArgs := query, args
		query = base + " AND own_month IS NULL UNION ALL " + base + " AND own_month = '' UNION ALL " + base + " AND own_month >= ?"
		args = append(append(append(slices.Clone(baseArgs), baseArgs...), baseArgs...), ownMonth(dated))
	case !dated.IsZero():
		query += " AND (own_month IS NULL OR own_month = '' OR own_month >= ?)"
		args = append(args, ownMonth(dated))
	}
	return s.noteDamage(eachRow(ctx, s.reader, k, profileID, query, args, fn))
}

// eachRow runs query (which selects type, row_key and sealed of k's
// profile's resources) through q and calls fn with each row opened.
func eachRow(ctx context.Context, q sqlQuerier, k *profileKeys, profileID, query string, args []any, fn func(Resource) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return dbErr("read resources", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rowType string
		var rowKey, sealed sql.RawBytes // valid until Next; open copies what it returns
		if err := rows.Scan(&rowType, &rowKey, &sealed); err != nil {
			return dbErr("read resources", err)
		}
		r, err := openRow(k, profileID, rowType, rowKey, sealed)
		if err != nil {
			return fmt.Errorf("read resources: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr("read resources", err)
	}
	return nil
}

// HasResources reports whether the profile's cache holds any resource.
func (s *Store) HasResources(ctx context.Context, profileID string) (bool, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return false, fmt.Errorf("count resources: %w", err)
	}
	var has bool
	if err := s.reader.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM resources WHERE profile = ?)", k.num).Scan(&has); err != nil {
		return false, dbErr("count resources", err)
	}
	return has, nil
}

// DropRecord removes the profile's cached record (a parent's access to a
// child's record ended): its resources, its search index (left empty and
// up to date) and the sync's checkpoints on it. What the user wrote, the
// outbox items and the profile's values (drafts), stays, with the profile,
// its key and its secrets, until the profile is removed. One transaction;
// deleted content is zeroed (secure_delete).
func (s *Store) DropRecord(ctx context.Context, profileID string) error {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return fmt.Errorf("drop record: %w", err)
	}
	return s.update(ctx, "drop record", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM resources WHERE profile = ?", k.num); err != nil {
			return dbErr("drop record", err)
		}
		if err := clearSearch(ctx, tx, k); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_state (profile, built, cursor) VALUES (?, ?, 0)
			ON CONFLICT (profile) DO UPDATE SET built = excluded.built, cursor = 0`, k.num, searchFormat); err != nil {
			return dbErr("drop record", err)
		}
		checkpoints, _, err := checkpointRows(ctx, tx, k, profileID)
		if err != nil {
			return err
		}
		return deleteCheckpointRows(ctx, tx, profileID, checkpoints)
	})
}

// RecordSetAside reports whether the profile's cached record was set
// aside (the data file rebuilt without it, see RebuildDamaged) and has not
// been downloaded in full since (see Tx.MarkDownloaded).
func (s *Store) RecordSetAside(ctx context.Context, profileID string) (bool, error) {
	var aside bool
	err := s.reader.QueryRowContext(ctx, "SELECT record_set_aside FROM profiles WHERE id = ?", profileID).Scan(&aside)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("record set aside: %w", ErrNotFound)
	}
	if err != nil {
		return false, dbErr("record set aside", err)
	}
	return aside, nil
}

// Counts returns how many resources of each type the profile holds.
func (s *Store) Counts(ctx context.Context, profileID string) (map[string]int, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("count resources: %w", err)
	}
	rows, err := s.reader.QueryContext(ctx,
		"SELECT type, count(*) FROM resources WHERE profile = ? GROUP BY type", k.num)
	if err != nil {
		return nil, dbErr("count resources", err)
	}
	defer rows.Close()
	counts := make(map[string]int)
	for rows.Next() {
		var typ string
		var n int
		if err := rows.Scan(&typ, &n); err != nil {
			return nil, dbErr("count resources", err)
		}
		counts[typ] = n
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("count resources", err)
	}
	return counts, nil
}

// Checkpoint returns a sync checkpoint of the profile; ok is false if it
// was never set.
func (s *Store) Checkpoint(ctx context.Context, profileID, name string) (value string, ok bool, err error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return "", false, fmt.Errorf("read checkpoint: %w", err)
	}
	return readCheckpoint(ctx, s.reader, k, profileID, name)
}

// queryer is what *sql.DB and *sql.Tx have in common for reads.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readCheckpoint(ctx context.Context, q queryer, k *profileKeys, profileID, name string) (string, bool, error) {
	nameKey, err := k.rowKey("checkpoint", name)
	if err != nil {
		return "", false, fmt.Errorf("read checkpoint: %w", err)
	}
	var sealed []byte
	err = q.QueryRowContext(ctx, "SELECT sealed FROM checkpoints WHERE profile_id = ? AND name_key = ?",
		profileID, nameKey).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, dbErr("read checkpoint", err)
	}
	pt, err := k.open(sealed, checkpointAD(profileID, nameKey))
	if err != nil {
		return "", false, fmt.Errorf("read checkpoint: %w", err)
	}
	return string(pt), true, nil
}

// Tx is one write transaction on one profile, given to the function passed
// to Update. It must not be used after that function returns, nor from
// several goroutines.
type Tx struct {
	ctx       context.Context
	tx        *sql.Tx
	profileID string
	keys      *profileKeys

	// Put's statements (prepared on its first call) and the context they
	// run with (tx.ctx without its cancellation; see Put).
	putStmt, updateStmt *sql.Stmt
	rowCtx              context.Context

	// Scratch space reused by Put: SQLite copies bound values, so each
	// buffer is free again once its statement has run.
	hasher                    *rowKeyHasher
	rowKey, plain, sealed, ad []byte

	// The search index (search.go): what Put wrote and is not indexed
	// yet, and the function that indexes it (nil: the index is marked
	// out of date instead).
	indexer     SearchIndexer
	pending     []searchPending
	staleMarked bool
	wordsAdded  bool // the cached vocabulary holds words of this transaction
	// What PutBatch wrote and is not indexed yet: the postings its
	// batches prepared, by word and by beginning (see postingLists), with
	// the rows of their resources.
	pendingWords, pendingPrefixes map[string]*tokenList
	pendingCount                  int // resources written by PutBatch, not indexed yet

	dateOf DateOf // the month of each resource's own date kept in clear
	hooks  uint64 // the store's hooks generation of indexer and dateOf

	// The write watcher (watch.go) and what it has not seen yet.
	watcher *watcher
	changes []Change
}

// Update runs fn in one transaction: data and checkpoint commit together or
// not at all. fn's error rolls everything back and is returned as is. fn
// must use only tx, not other Store methods that write (there is one writer
// connection, which fn holds).
func (s *Store) Update(ctx context.Context, profileID string, fn func(tx *Tx) error) error {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return fmt.Errorf("update profile data: %w", err)
	}
	var tx *Tx
	err = s.update(ctx, "update profile data", func(sqlTx *sql.Tx) error {
		indexer, dateOf, watcher, hooks := s.writeHooks()
		tx = &Tx{ctx: ctx, tx: sqlTx, profileID: profileID, keys: k, indexer: indexer, dateOf: dateOf,
			watcher: watcher, hooks: hooks}
		defer func() {
			for _, stmt := range []*sql.Stmt{tx.putStmt, tx.updateStmt} {
				if stmt != nil {
					stmt.Close()
				}
			}
		}()
		if err := fn(tx); err != nil {
			return err
		}
		if err := tx.flushWatcher(); err != nil {
			return err
		}
		return tx.flushSearch()
	})
	if err != nil && tx != nil && tx.wordsAdded {
		// The words it added to the cached vocabulary were not committed.
		k.dropVocab()
	}
	return err
}

// The statements of Tx.Put. A new row (every row of a first sync) takes
// the insert alone; a row already cached takes the update after it. One
// upsert with RETURNING would do both, but SQLite gathers RETURNING rows
// in a temporary table it opens and closes on every call: that cost more
// than the insert itself.
const (
	putInsertSQL = `INSERT INTO resources (profile, row_key, type, updated_day, own_month, sealed)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (profile, row_key) DO NOTHING`
	putUpdateSQL = `UPDATE resources SET updated_day = ?, own_month = ?, sealed = ?
		WHERE profile = ? AND row_key = ? RETURNING id`
)

// preparePut prepares Put's insert statement on first use.
func (tx *Tx) preparePut() error {
	if tx.putStmt != nil {
		return nil
	}
	stmt, err := tx.tx.PrepareContext(tx.ctx, putInsertSQL)
	if err != nil {
		return dbErr("put resource", err)
	}
	tx.putStmt = stmt
	// Each row's statement runs without the context's cancellation:
	// with it, the SQLite driver starts a goroutine per statement to
	// watch it. Put checks the context before each row instead, and
	// a cancelled context still rolls the transaction back.
	tx.rowCtx = context.WithoutCancel(tx.ctx)
	return nil
}

// Put stores resources, replacing any with the same type and id.
func (tx *Tx) Put(rs ...Resource) error {
	if err := tx.preparePut(); err != nil {
		return err
	}
	if tx.hasher == nil {
		h, err := tx.keys.hasher()
		if err != nil {
			return fmt.Errorf("put resource: %w", err)
		}
		tx.hasher = h
	}
	defer zero(tx.plain)
	for _, r := range rs {
		if err := tx.ctx.Err(); err != nil {
			return fmt.Errorf("put resource: %w", err)
		}
		if err := validResource(r); err != nil {
			return fmt.Errorf("put resource: %w", err)
		}
		var err error
		if tx.rowKey, err = tx.hasher.rowKey(tx.rowKey[:0], "resource", r.Type, r.ID); err != nil {
			return fmt.Errorf("put resource: %w", err)
		}
		tx.plain = appendResource(tx.plain[:0], r)
		tx.ad = appendAD(tx.ad[:0], "resources", tx.profileID, r.Type, string(tx.rowKey))
		if tx.sealed, err = tx.keys.sealAppend(tx.sealed[:0], tx.plain, tx.ad); err != nil {
			return fmt.Errorf("put resource: %w", err)
		}
		row, err := tx.putRow(tx.rowKey, r.Type, updatedDay(r.LastUpdated), tx.monthOf(r), tx.sealed)
		if err != nil {
			return err
		}
		tx.noteChange(r, false)
		if tx.indexer == nil {
			if err := tx.markSearchStale(); err != nil {
				return err
			}
			continue
		}
		if err := tx.notePut(row, r); err != nil {
			return err
		}
	}
	return nil
}

// putRow writes the row of a resource of type typ, sealed, under rowKey
// with its clear day and month, and returns its local row number.
func (tx *Tx) putRow(rowKey []byte, typ string, day, month any, sealed []byte) (int64, error) {
	res, err := tx.putStmt.ExecContext(tx.rowCtx, tx.keys.num, rowKey, typ, day, month, sealed)
	if err != nil {
		return 0, dbErr("put resource", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbErr("put resource", err)
	}
	if n == 1 {
		row, err := res.LastInsertId()
		if err != nil {
			return 0, dbErr("put resource", err)
		}
		return row, nil
	}
	// Cached already: replaced in place, keeping its row number.
	if tx.updateStmt == nil {
		stmt, err := tx.tx.PrepareContext(tx.ctx, putUpdateSQL)
		if err != nil {
			return 0, dbErr("put resource", err)
		}
		tx.updateStmt = stmt
	}
	var row int64
	if err := tx.updateStmt.QueryRowContext(tx.rowCtx, day, month, sealed, tx.keys.num, rowKey).Scan(&row); err != nil {
		return 0, dbErr("put resource", err)
	}
	return row, nil
}

// Delete removes a resource; deleting one that is absent is not an error.
func (tx *Tx) Delete(typ, id string) error {
	_, err := tx.Remove(typ, id)
	return err
}

// Remove removes a resource and reports whether it was cached. It finds
// the row by its key (the keyed hash of type and id), so its cost does not
// grow with the number of cached resources, and opens nothing.
func (tx *Tx) Remove(typ, id string) (bool, error) {
	if tx.hasher == nil {
		h, err := tx.keys.hasher()
		if err != nil {
			return false, fmt.Errorf("delete resource: %w", err)
		}
		tx.hasher = h
	}
	var err error
	if tx.rowKey, err = tx.hasher.rowKey(tx.rowKey[:0], "resource", typ, id); err != nil {
		return false, fmt.Errorf("delete resource: %w", err)
	}
	res, err := tx.tx.ExecContext(tx.ctx, "DELETE FROM resources WHERE profile = ? AND row_key = ?",
		tx.keys.num, tx.rowKey)
	if err != nil {
		return false, dbErr("delete resource", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, dbErr("delete resource", err)
	}
	if n > 0 {
		tx.noteChange(Resource{Type: typ, ID: id}, true)
	}
	return n > 0, nil
}

// RemoveAll removes the resources named by rs (only Type and ID are
// read) that are cached, and returns how many it removed of each type.
// As Remove, it finds each row by its key and opens nothing; it removes
// them in the order of their keys, with one prepared statement, so that
// removals next to each other in the index of keys share its pages.
func (tx *Tx) RemoveAll(rs []Resource) (map[string]int, error) {
	removed := map[string]int{}
	if len(rs) == 0 {
		return removed, nil
	}
	if tx.hasher == nil {
		h, err := tx.keys.hasher()
		if err != nil {
			return nil, fmt.Errorf("delete resources: %w", err)
		}
		tx.hasher = h
	}
	type target struct {
		key []byte
		r   Resource
	}
	targets := make([]target, 0, len(rs))
	for _, r := range rs {
		key, err := tx.hasher.rowKey(nil, "resource", r.Type, r.ID)
		if err != nil {
			return nil, fmt.Errorf("delete resources: %w", err)
		}
		targets = append(targets, target{key: key, r: Resource{Type: r.Type, ID: r.ID}})
	}
	slices.SortFunc(targets, func(a, b target) int { return bytes.Compare(a.key, b.key) })
	del, err := tx.tx.PrepareContext(tx.ctx, "DELETE FROM resources WHERE profile = ? AND row_key = ?")
	if err != nil {
		return nil, dbErr("delete resources", err)
	}
	defer del.Close()
	// As Put's rows, each runs without the context's cancellation (the
	// SQLite driver would start a goroutine per statement to watch it);
	// the context is checked before each row instead.
	rowCtx := context.WithoutCancel(tx.ctx)
	for _, t := range targets {
		if err := tx.ctx.Err(); err != nil {
			return nil, fmt.Errorf("delete resources: %w", err)
		}
		res, err := del.ExecContext(rowCtx, tx.keys.num, t.key)
		if err != nil {
			return nil, dbErr("delete resources", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, dbErr("delete resources", err)
		}
		if n > 0 {
			tx.noteChange(t.r, true)
			removed[t.r.Type]++
		}
	}
	return removed, nil
}

// IDs returns the sorted server ids of the stored resources of one type,
// as seen inside the transaction (for reconciling with the server).
func (tx *Tx) IDs(typ string) ([]string, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, "SELECT row_key, sealed FROM resources WHERE profile = ? AND type = ?",
		tx.keys.num, typ)
	if err != nil {
		return nil, dbErr("list resource ids", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var rowKey, sealed []byte
		if err := rows.Scan(&rowKey, &sealed); err != nil {
			return nil, dbErr("list resource ids", err)
		}
		r, err := openRow(tx.keys, tx.profileID, typ, rowKey, sealed)
		if err != nil {
			return nil, fmt.Errorf("list resource ids: %w", err)
		}
		ids = append(ids, r.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("list resource ids", err)
	}
	sort.Strings(ids)
	return ids, nil
}

// Uncached returns the sorted ids among ids (of one type) that the
// profile does not hold. Each is looked up by its row key: the cost
// grows with len(ids), not with the cached resources of the type, and
// nothing is opened.
func (tx *Tx) Uncached(typ string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if tx.hasher == nil {
		h, err := tx.keys.hasher()
		if err != nil {
			return nil, fmt.Errorf("look up resources: %w", err)
		}
		tx.hasher = h
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	find, err := tx.tx.PrepareContext(tx.ctx, "SELECT EXISTS (SELECT 1 FROM resources WHERE profile = ? AND row_key = ?)")
	if err != nil {
		return nil, dbErr("look up resources", err)
	}
	defer find.Close()
	rowCtx := context.WithoutCancel(tx.ctx) // as in RemoveAll
	var out []string
	for _, id := range ids {
		if err := tx.ctx.Err(); err != nil {
			return nil, fmt.Errorf("look up resources: %w", err)
		}
		if tx.rowKey, err = tx.hasher.rowKey(tx.rowKey[:0], "resource", typ, id); err != nil {
			return nil, fmt.Errorf("look up resources: %w", err)
		}
		var cached bool
		if err := find.QueryRowContext(rowCtx, tx.keys.num, tx.rowKey).Scan(&cached); err != nil {
			return nil, dbErr("look up resources", err)
		}
		if !cached {
			out = append(out, id)
		}
	}
	return out, nil
}

// Unlisted returns the sorted server ids of the stored resources of one
// type that are not in listed (for reconciling with the server's full
// listing). The listed ones are recognized by their row keys, so only the
// others are opened: the cost of the listed ones is a keyed hash each, not
// a decryption.
func (tx *Tx) Unlisted(typ string, listed []string) ([]string, error) {
	if tx.hasher == nil {
		h, err := tx.keys.hasher()
		if err != nil {
			return nil, fmt.Errorf("list unlisted resources: %w", err)
		}
		tx.hasher = h
	}
	known := make(map[string]bool, len(listed))
	for _, id := range listed {
		var err error
		if tx.rowKey, err = tx.hasher.rowKey(tx.rowKey[:0], "resource", typ, id); err != nil {
			return nil, fmt.Errorf("list unlisted resources: %w", err)
		}
		known[string(tx.rowKey)] = true
	}
	rows, err := tx.tx.QueryContext(tx.ctx, "SELECT id, row_key FROM resources WHERE profile = ? AND type = ?",
		tx.keys.num, typ)
	if err != nil {
		return nil, dbErr("list unlisted resources", err)
	}
	var others []int64
	for rows.Next() {
		var rowID int64
		var rowKey sql.RawBytes
		if err := rows.Scan(&rowID, &rowKey); err != nil {
			rows.Close()
			return nil, dbErr("list unlisted resources", err)
		}
		if !known[string(rowKey)] {
			others = append(others, rowID)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbErr("list unlisted resources", err)
	}
	var ids []string
	for _, rowID := range others {
		var rowKey, sealed []byte
		if err := tx.tx.QueryRowContext(tx.ctx, "SELECT row_key, sealed FROM resources WHERE id = ?", rowID).Scan(&rowKey, &sealed); err != nil {
			return nil, dbErr("list unlisted resources", err)
		}
		r, err := openRow(tx.keys, tx.profileID, typ, rowKey, sealed)
		if err != nil {
			return nil, fmt.Errorf("list unlisted resources: %w", err)
		}
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	return ids, nil
}

// SetCheckpoint stores a sealed sync checkpoint, committed with the data of
// the same transaction.
func (tx *Tx) SetCheckpoint(name, value string) error {
	nameKey, err := tx.keys.rowKey("checkpoint", name)
	if err != nil {
		return fmt.Errorf("set checkpoint: %w", err)
	}
	sealed, err := tx.keys.seal([]byte(value), checkpointAD(tx.profileID, nameKey))
	if err != nil {
		return fmt.Errorf("set checkpoint: %w", err)
	}
	if _, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO checkpoints (profile_id, name_key, sealed) VALUES (?, ?, ?)
		ON CONFLICT (profile_id, name_key) DO UPDATE SET sealed = excluded.sealed`,
		tx.profileID, nameKey, sealed); err != nil {
		return dbErr("set checkpoint", err)
	}
	return nil
}

// MarkDownloaded records, with the transaction, that the profile's whole
// record has been downloaded: a record set aside (see RecordSetAside) is
// whole again.
func (tx *Tx) MarkDownloaded() error {
	if _, err := tx.tx.ExecContext(tx.ctx, "UPDATE profiles SET record_set_aside = 0 WHERE id = ? AND record_set_aside <> 0", tx.profileID); err != nil {
		return dbErr("mark downloaded", err)
	}
	return nil
}

// Checkpoint returns a checkpoint as seen inside the transaction.
func (tx *Tx) Checkpoint(name string) (string, bool, error) {
	return readCheckpoint(tx.ctx, tx.tx, tx.keys, tx.profileID, name)
}
