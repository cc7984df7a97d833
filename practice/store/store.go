package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Errors returned by the store; test them with errors.Is.
var (
	// ErrNotFound: no resource (or version) with that type and id.
	ErrNotFound = errors.New("store: resource not found")
	// ErrGone: the resource existed and was deleted.
	ErrGone = errors.New("store: resource deleted")
	// ErrVersionConflict: an update named a version that is not the current one.
	ErrVersionConflict = errors.New("store: version conflict")
	// ErrInvalid: the resource or the request is not acceptable (bad JSON,
	// wrong resourceType, unknown type, bad id, bad search parameter, ...).
	// The wrapping error says what is wrong.
	ErrInvalid = errors.New("store: invalid")
)

// Resource is one version of one FHIR resource.
type Resource struct {
	Type        string
	ID          string
	VersionID   string
	LastUpdated time.Time
	Deleted     bool
	// JSON is the resource with id, meta.versionId and meta.lastUpdated set
	// by the store; nil for a deletion.
	JSON []byte
	// Seq is the version's place in the order of all writes (set by reads,
	// searches and history; 0 on what a write returns). Paging cursors use
	// it.
	Seq int64
}

// Store is a FHIR resource store in one SQLite database.
type Store struct {
	db      *sql.DB
	tmpFile string // removed by Close when the store made it

	writeMu sync.Mutex // serializes writes in this process

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared statements, by query

	// shared keeps what the first page of a full $everything found of
	// the shared part, for its last pages (see Tx.shared).
	shared sharedMemo

	clockMu  sync.Mutex
	lastTime int64 // last timestamp handed out, µs since epoch
	inFlight int64 // timestamp of the write in progress, 0 when none
	// safeIssued is the latest time SafeTime returned; writes get later
	// timestamps.
	safeIssued int64
}

// schema is the store's tables. Few indexes: every index is one more
// B-tree to update on every write.
const schema = `
CREATE TABLE IF NOT EXISTS fhir_version (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	type         TEXT NOT NULL,
	id           TEXT NOT NULL,
	version      INTEGER NOT NULL,
	last_updated INTEGER NOT NULL, -- µs since the Unix epoch, UTC
	deleted      INTEGER NOT NULL,
	json         BLOB,
	UNIQUE (type, id, version)
);
CREATE INDEX IF NOT EXISTS fhir_version_type_time ON fhir_version (type, last_updated);
-- Incremental reads (_since, _lastUpdated=gt) start at the first write
-- at or after a time: writes are numbered (seq) in the order of their
-- timestamps, so one probe here turns a time into a seq range.
CREATE INDEX IF NOT EXISTS fhir_version_time ON fhir_version (last_updated);

-- The newest version of each resource (deleted or not).
CREATE TABLE IF NOT EXISTS fhir_current (
	type         TEXT NOT NULL,
	id           TEXT NOT NULL,
	seq          INTEGER NOT NULL,
	version      INTEGER NOT NULL,
	last_updated INTEGER NOT NULL,
	deleted      INTEGER NOT NULL,
	PRIMARY KEY (type, id)
) WITHOUT ROWID;
-- Searches page in write order (a cursor on seq): this index lets a page
-- start at the cursor and stop once it is full, instead of visiting every
-- resource of the type on every page.
CREATE INDEX IF NOT EXISTS fhir_current_type_seq ON fhir_current (type, seq);

-- Patient compartment of every version.
CREATE TABLE IF NOT EXISTS fhir_compartment (
	patient TEXT NOT NULL,
	seq     INTEGER NOT NULL,
	PRIMARY KEY (patient, seq)
) WITHOUT ROWID;

-- Search parameter values of current, non-deleted resources.
-- token: sys = system, val = code; reference: sys = target type, val = id;
-- date: [lo, hi) in µs (0, 0 for other kinds).
CREATE TABLE IF NOT EXISTS fhir_index (
	type  TEXT NOT NULL,
	id    TEXT NOT NULL,
	name  TEXT NOT NULL,
	sys   TEXT NOT NULL,
	val   TEXT NOT NULL,
	lo    INTEGER NOT NULL,
	hi    INTEGER NOT NULL,
	PRIMARY KEY (type, id, name, sys, val, lo, hi)
) WITHOUT ROWID;
-- Who refers to a shared resource (a practitioner, a location...): an
-- incremental $everything checks each shared resource changed since
-- rather than every reference of the patient's record.
CREATE INDEX IF NOT EXISTS fhir_index_shared ON fhir_index (sys, val) WHERE name = '_shared';
`

// Open opens (creating if needed) the store in the SQLite file at path. An
// empty path makes a private temporary file that Close removes.
func Open(path string) (*Store, error) {
	return open(path, nil)
}

// OpenCopy opens a private temporary store that starts as a copy of image,
// a database Snapshot made; Close removes it.
func OpenCopy(image []byte) (*Store, error) {
	return open("", image)
}

// Snapshot returns a consistent copy of the whole database (VACUUM INTO a
// temporary file, read back and removed), for OpenCopy.
func (s *Store) Snapshot(ctx context.Context) ([]byte, error) {
	dir, err := os.MkdirTemp("", "practice-snapshot-")
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "snapshot.db")
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	image, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return image, nil
}

func open(path string, image []byte) (*Store, error) {
	s := &Store{}
	if path == "" {
		dir, err := os.MkdirTemp("", "practice-store-")
		if err != nil {
			return nil, fmt.Errorf("open store: temp dir: %w", err)
		}
		s.tmpFile = dir
		path = filepath.Join(dir, "practice.db")
		if image != nil {
			if err := os.WriteFile(path, image, 0o600); err != nil {
				s.removeTemp()
				return nil, fmt.Errorf("open store: copy: %w", err)
			}
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(15000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// Every request writes (its AuditEvent), and in WAL mode a write makes
	// every other connection drop its whole page cache at its next read:
	// each page of a search then read its pages again, a system call and
	// an allocation each, and freed them after. Mapped, they are read in
	// place (256 MB of address space at most; where the system refuses
	// it, SQLite reads as before).
	q.Add("_pragma", "mmap_size(268435456)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("open store: %w", err)
	}
	db.SetMaxOpenConns(8)
	s.db = db
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		s.removeTemp()
		return nil, fmt.Errorf("open store: create schema: %w", err)
	}
	var last sql.NullInt64
	if err := db.QueryRow(`SELECT MAX(last_updated) FROM fhir_version`).Scan(&last); err != nil {
		db.Close()
		s.removeTemp()
		return nil, fmt.Errorf("open store: read clock: %w", err)
	}
	s.lastTime = last.Int64
	return s, nil
}

func (s *Store) removeTemp() {
	if s.tmpFile != "" {
		os.RemoveAll(s.tmpFile)
	}
}

// prepared returns the statement for query, preparing it once.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[query] = st
	return st, nil
}

// DB returns the underlying database, for other parts of the practice server
// that keep their own tables next to the resources. They must not touch the
// tables whose names start with "fhir_".
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database (and removes it if Open made a temporary one).
func (s *Store) Close() error {
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	err := s.db.Close()
	s.removeTemp()
	if err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// SafeTime returns a server time T such that every write with a timestamp
// at or before T has committed and every later write gets a timestamp after
// T: a client that has seen everything up to T may later ask for
// "_lastUpdated=gt{T}" and miss nothing.
func (s *Store) SafeTime() time.Time {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	safe := time.Now().UnixMicro()
	switch {
	case s.inFlight != 0:
		safe = min(safe, s.inFlight-1)
	case safe < s.lastTime:
		safe = s.lastTime // the clock went back; every write has committed
	}
	s.safeIssued = max(s.safeIssued, safe)
	return time.UnixMicro(safe).UTC()
}

// beginWrite takes the next timestamp (after every one handed out and
// every SafeTime returned) and marks a write in flight.
func (s *Store) beginWrite() int64 {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	now := max(time.Now().UnixMicro(), s.lastTime+1, s.safeIssued+1)
	s.lastTime = now
	s.inFlight = now
	return now
}

// WriteMark changes whenever a write transaction of this Store begins: a
// caller that saw the same mark twice knows nothing was written through
// this Store in between. It costs no query.
func (s *Store) WriteMark() int64 {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	return s.lastTime
}

func (s *Store) endWrite() {
	s.clockMu.Lock()
	s.inFlight = 0
	s.clockMu.Unlock()
}

// InTx runs fn in one write transaction: everything fn writes commits
// together, or nothing does if fn returns an error (or panics). All writes
// in one transaction share one timestamp, later than any before it. fn
// must use tx, not the Store's write methods (writes are serialized: that
// would wait for itself).
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	// Take the timestamp once SQLite's write lock is held, so the order of
	// timestamps is the order of commits.
	now := s.beginWrite()
	defer s.endWrite()
	tx := &Tx{tx: sqlTx, now: now, write: true, st: s}
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// read runs fn in a read-only transaction: a consistent snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer sqlTx.Rollback()
	return fn(&Tx{tx: sqlTx, st: s})
}

// Create stores a new resource of type typ with a new id. See Tx.Create.
func (s *Store) Create(ctx context.Context, typ string, body []byte) (Resource, error) {
	var r Resource
	err := s.InTx(ctx, func(tx *Tx) (err error) {
		r, err = tx.Create(ctx, typ, body)
		return err
	})
	return r, err
}

// Put creates or updates the resource typ/id. See Tx.Put.
func (s *Store) Put(ctx context.Context, typ, id string, body []byte) (Resource, error) {
	var r Resource
	err := s.InTx(ctx, func(tx *Tx) (err error) {
		r, err = tx.Put(ctx, typ, id, body)
		return err
	})
	return r, err
}

// Update replaces the resource typ/id. See Tx.Update.
func (s *Store) Update(ctx context.Context, typ, id string, body []byte, ifMatchVersion string) (Resource, error) {
	var r Resource
	err := s.InTx(ctx, func(tx *Tx) (err error) {
		r, err = tx.Update(ctx, typ, id, body, ifMatchVersion)
		return err
	})
	return r, err
}

// Delete deletes the resource typ/id. See Tx.Delete.
func (s *Store) Delete(ctx context.Context, typ, id string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		return tx.Delete(ctx, typ, id)
	})
}

// Read returns the current version of typ/id: ErrNotFound if there is none,
// ErrGone (with the deletion's Resource) if it was deleted.
func (s *Store) Read(ctx context.Context, typ, id string) (Resource, error) {
	var r Resource
	err := s.read(ctx, func(tx *Tx) (err error) {
		r, err = tx.Read(ctx, typ, id)
		return err
	})
	return r, err
}

// VRead returns version vid of typ/id (a deletion has Deleted set).
func (s *Store) VRead(ctx context.Context, typ, id, vid string) (Resource, error) {
	var r Resource
	err := s.read(ctx, func(tx *Tx) (err error) {
		r, err = tx.VRead(ctx, typ, id, vid)
		return err
	})
	return r, err
}

// Search runs q over the current resources of type typ. See Tx.Search.
func (s *Store) Search(ctx context.Context, typ string, q Query) ([]Resource, int, error) {
	var (
		rs    []Resource
		total int
	)
	err := s.read(ctx, func(tx *Tx) (err error) {
		rs, total, err = tx.Search(ctx, typ, q)
		return err
	})
	return rs, total, err
}

// SearchPage runs q over the current resources of type typ and returns
// one page with the cursor of the next. See Tx.SearchPage.
func (s *Store) SearchPage(ctx context.Context, typ string, q Query) (SearchResult, error) {
	var res SearchResult
	err := s.read(ctx, func(tx *Tx) (err error) {
		res, err = tx.SearchPage(ctx, typ, q)
		return err
	})
	return res, err
}

// Included returns the resources that rs refer to through the reference
// search parameters named in q.Include. See Tx.Included.
func (s *Store) Included(ctx context.Context, rs []Resource, include []Include, patient string) ([]Resource, error) {
	var out []Resource
	err := s.read(ctx, func(tx *Tx) (err error) {
		out, err = tx.Included(ctx, rs, include, patient)
		return err
	})
	return out, err
}

// History lists versions, newest first. See Tx.History.
func (s *Store) History(ctx context.Context, h HistoryQuery) ([]Resource, int, error) {
	var (
		rs    []Resource
		total int
	)
	err := s.read(ctx, func(tx *Tx) (err error) {
		rs, total, err = tx.History(ctx, h)
		return err
	})
	return rs, total, err
}

// Everything lists a patient's records. See Tx.Everything.
func (s *Store) Everything(ctx context.Context, e EverythingQuery) ([]Resource, int, string, error) {
	var (
		rs    []Resource
		total int
		next  string
	)
	err := s.read(ctx, func(tx *Tx) (err error) {
		rs, total, next, err = tx.Everything(ctx, e)
		return err
	})
	return rs, total, next, err
}

// InCompartment reports whether the current version of typ/id is in the
// compartment of Patient patientID.
func (s *Store) InCompartment(ctx context.Context, typ, id, patientID string) (bool, error) {
	var in bool
	err := s.read(ctx, func(tx *Tx) (err error) {
		in, err = tx.InCompartment(ctx, typ, id, patientID)
		return err
	})
	return in, err
}
