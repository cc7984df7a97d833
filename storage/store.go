package storage

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// FileName is the name of the database file inside the data directory.
const FileName = "carebook.db"

// keyringService is the service name of every keyring entry of Carebook.
const keyringService = "carebook"

// readPoolSize bounds the read-only connections; WAL lets them read while
// the single writer writes.
const readPoolSize = 4

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options configure Open.
type Options struct {
	// Keyring keeps the master key. nil means OSKeyring().
	Keyring Keyring
	// NoKeyring forces the passphrase path even where a keyring exists
	// (mobile platforms, or the user's choice).
	NoKeyring bool
	// KDF sets the Argon2id cost for passphrases set from now on. nil means
	// DefaultKDFParams; tests pass cheap ones.
	KDF *KDFParams
}

// Store is the encrypted cache of one install: its master key, its profiles
// and their records, outbox and secrets. All methods are safe for concurrent
// use and may block on disk, keyring or key derivation: never call them on
// the UI goroutine.
type Store struct {
	dir     string
	path    string
	writer  *sql.DB // exactly one connection: SQLite has one writer at a time
	reader  *sql.DB // read-only pool
	keyring Keyring // nil when no keyring may be used
	kdf     KDFParams

	// keyMu serializes key management (setup, unlock, passphrase change,
	// profile deletion) so slow work (Argon2id, keyring) runs outside mu.
	keyMu sync.Mutex
	// cardMu serializes reads and writes of the lock-screen cards file.
	cardMu sync.Mutex

	mu          sync.RWMutex // guards the fields below
	initialized bool
	installID   string
	inKeyring   bool   // the KEK is (or, before Setup, will be) kept in the keyring
	kek         []byte // nil while locked
	nextKEK     []byte // the new KEK while a key rotation runs, else nil
	epoch       int64  // install.key_epoch the keys in memory belong to
	profiles    map[string]*profileKeys
	keyGen      uint64        // bumped whenever keys are dropped
	indexer     SearchIndexer // nil: writes mark the search index out of date
	dateOf      DateOf        // nil: writes keep no month in clear
	watcher     *watcher      // nil: no write watcher (watch.go)
	hooksGen    uint64        // bumped whenever indexer, dateOf or watcher changes (see Batch)

	integrityProblem error // what the background full check found

	releaseInUse func() // releases the folder's in-use lock (inuse.go); nil once closed

	// The full check Open started in the background (nil when none); set
	// by Open only, stopped by Close.
	bgCancel context.CancelFunc
	bgDone   chan struct{}
	// damageNoted is set once damage met while reading or writing is
	// recorded for the next Open (noteDamage); notes waits for the note.
	damageNoted atomic.Bool
	notes       sync.WaitGroup

	// closing is closed when Close begins, or BeginClose (closed says
	// so, under mu);
	// Close then waits for the SecretWriters taken before it (writers,
	// added to under mu while !closed), at most secretWriterWait.
	closing chan struct{}
	closed  bool
	writers sync.WaitGroup
}

// secretWriterWait bounds how long Close waits for the SecretWriters
// still open (a token refresh waiting for its answer). A writer's holder
// bounds its own wait (the request's timeout); this only keeps a writer
// never closed from holding Close for good.
var secretWriterWait = time.Minute

// Open opens the cache in dir, creating the directory (0700), the database
// file (0600) and its schema as needed. A file that is not a readable SQLite
// database yields ErrCorrupt, one from a newer Carebook ErrNewerSchema, and
// a dir containing '?' (which SQLite file names cannot hold) ErrInvalid.
// Open may probe the keyring (a short D-Bus call on Linux). The store
// starts locked.
func Open(dir string, opts Options) (*Store, error) {
	if dir == "" || strings.ContainsRune(dir, '?') {
		return nil, fmt.Errorf("open cache: %w: unusable directory name", ErrInvalid)
	}
	kdf := DefaultKDFParams
	if opts.KDF != nil {
		kdf = *opts.KDF
	}
	if !kdf.valid() {
		return nil, fmt.Errorf("open cache: %w: KDF parameters out of range", ErrInvalid)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open cache: create directory: %w", err)
	}
	if err := checkPrivate(dir, true); err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	// Held until Close: the file is not rebuilt under this Store (see
	// inuse.go); a rebuild under way ends first.
	release, err := lockInUse(dir, false, openWait)
	if err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	s, err := openIn(dir, opts, kdf)
	if err != nil {
		release()
		return nil, err
	}
	s.releaseInUse = release
	// Damaged copies past their time go (best effort: tried again at the
	// next Open).
	removeDamagedCopies(dir, func(_ string, made time.Time) bool { return time.Since(made) > DamagedCopyKeep }) //nolint:errcheck
	return s, nil
}

// openIn is Open once the folder is checked and its in-use lock taken.
func openIn(dir string, opts Options, kdf KDFParams) (*Store, error) {
	path := filepath.Join(dir, FileName)
	unclean := uncleanShutdown(path)
	fresh, err := prepareFile(path, !unclean)
	if err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if err := checkPrivate(name, false); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open cache: %w", err)
		}
	}

	s := &Store{dir: dir, path: path, kdf: kdf, profiles: make(map[string]*profileKeys), closing: make(chan struct{})}
	if s.writer, err = openDB(path, false); err != nil {
		return nil, err
	}
	if err := migrate(s.writer, migrationFS); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("open cache: %w", err)
	}
	if s.reader, err = openDB(path, true); err != nil {
		s.writer.Close()
		return nil, err
	}
	if err := s.checkOnOpen(unclean, fresh); err != nil {
		s.Close()
		return nil, fmt.Errorf("open cache: %w", err)
	}
	if err := s.loadInstall(); err != nil {
		s.Close()
		return nil, fmt.Errorf("open cache: %w", err)
	}
	if !opts.NoKeyring {
		s.keyring = opts.Keyring
		if s.keyring == nil {
			s.keyring = OSKeyring()
		}
	}
	if !s.initialized {
		s.inKeyring = s.keyringAvailable()
	}
	return s, nil
}

// prepareFile refuses files that are not SQLite databases and creates a new
// empty file with owner-only permissions (fresh: the file is new or empty).
// SQLite gives its -wal and -shm files the permissions of the database
// file. When clean (no write-ahead log left), a file shorter than its
// header says is ErrCorrupt.
func prepareFile(path string, clean bool) (fresh bool, err error) {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return false, fmt.Errorf("create database file: %w", err)
		}
		return true, f.Close()
	}
	if err != nil {
		return false, fmt.Errorf("open database file: %w", err)
	}
	defer f.Close()
	header := make([]byte, 100) // the SQLite file header
	n, err := io.ReadFull(f, header)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return true, nil // an empty file is a new database
	case err != nil:
		return false, fmt.Errorf("%w: file shorter than a database header", ErrCorrupt)
	case !bytes.HasPrefix(header, []byte("SQLite format 3\x00")):
		return false, fmt.Errorf("%w: not an SQLite database", ErrCorrupt)
	}
	if clean {
		fi, err := f.Stat()
		if err != nil {
			return false, fmt.Errorf("open database file: %w", err)
		}
		if err := checkLength(header, fi.Size()); err != nil {
			return false, err
		}
	}
	return false, nil
}

// openDB opens a database/sql handle with the pragmas every connection
// needs. synchronous=FULL for the whole file keeps the outbox durable
// across power loss; the cache pays little for it since its writes are
// batched in transactions.
func openDB(path string, readOnly bool) (*sql.DB, error) {
	// secure_delete zeroes deleted content, so a destroyed key does not
	// linger in free space; temp_store keeps SQLite's temporary tables in
	// memory, never in files outside the data directory.
	//
	// A new file gets pages of 16 KB (SQLite's default is 4 KB): a sync's
	// commits write a quarter as many WAL frames (two system calls each)
	// and its checkpoints copy a quarter as many pages, which took about a
	// sixth off the CPU time of writing a 20k record (issue 15). The WAL
	// is still checkpointed every 1,000 pages, now 16 MB. The page size
	// takes effect only before the file's first page is written, so
	// journal_mode is set by the driver's own key, which it applies after
	// the _pragma list (that list runs in alphabetical order: journal_mode
	// would come before page_size). Files made with 4 KB pages keep them. The cache sizes
	// below are in KiB, not pages, and stay the same.
	//
	// The writer's page cache is 4 MB: a first sync fills a bigger one
	// with pages it writes once (each new cache page is fresh memory to
	// fault in and clear), and the pages it comes back to, the row keys'
	// index, fit. A 16 MB cache took a fifth more CPU on the writer of a
	// first sync, at 20k (about 410 against 330 ms) as at 100k (1.6–1.8
	// against 1.4 s), and held 12 MB more.
	dsn := path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_pragma=page_size(16384)&_journal_mode=WAL&_pragma=synchronous(FULL)&_pragma=cache_size(-4096)" +
		"&_pragma=secure_delete(1)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	if readOnly {
		// Readers map the first 32 MB of the file instead of copying each
		// page through a system call into a page cache of their own: a
		// cold read of many rows (the dashboard right after unlock) takes
		// half the time. Mapped pages are clean file pages, the first the
		// system reclaims, but they count in the resident memory, each
		// connection's map apart: the limit and the one idle reader kept
		// (below) bound what they add for a long record. Their page
		// caches stay small (2 MB): a reader mostly scans, and pages past
		// the map come from the system's file cache, which is not ours.
		// 64 MB maps and 16 MB caches in four idle readers took 250 MB of
		// resident memory once the screens of a 100,000-resource record
		// had read their results (issue 15).
		dsn += "&_pragma=query_only(1)&_pragma=mmap_size(33554432)&_pragma=cache_size(-2048)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, dbErr("open cache", err)
	}
	if readOnly {
		// One reader stays open between reads; those opened for reads at
		// the same time close when done (see the map above).
		db.SetMaxOpenConns(readPoolSize)
		db.SetMaxIdleConns(1)
	} else {
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, dbErr("open cache", err)
	}
	return db, nil
}

// migrate applies the migrations (migrations/NNNN_name.sql in fsys) newer
// than PRAGMA user_version, all in one transaction together with the new
// user_version: a failure leaves the schema as it was.
func migrate(db *sql.DB, fsys fs.FS) error {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return dbErr("begin migration", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return dbErr("read schema version", err)
	}
	if version < 0 {
		return fmt.Errorf("schema version %d: %w", version, ErrCorrupt)
	}
	if version > len(names) {
		return fmt.Errorf("schema version %d: %w", version, ErrNewerSchema)
	}
	if version == len(names) {
		return nil
	}
	if version == 0 {
		var tables int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
			return dbErr("read schema", err)
		}
		if tables > 0 {
			// Not ours, or its header was damaged.
			return fmt.Errorf("database has tables but no schema version: %w", ErrCorrupt)
		}
	}
	for i, name := range names[version:] {
		want := version + i + 1
		if got, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0]); err != nil || got != want {
			return fmt.Errorf("migration %s: expected number %d", name, want)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return dbErr("apply migration "+name, err)
		}
	}
	// PRAGMA takes no bound parameters; the value is a number we computed.
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(len(names))); err != nil {
		return dbErr("set schema version", err)
	}
	if err := tx.Commit(); err != nil {
		return dbErr("commit migration", err)
	}
	return nil
}

// BeginClose says that Close is coming (the app is quitting), before the
// caller waits for the work that uses the store to end: SecretWriter.Closing
// is closed, so that a token refresh gives up its wait, and no
// SecretWriter is handed out any more (ErrLocked). Everything else works
// until Close. Close calls it too; calling it again does nothing.
func (s *Store) BeginClose() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
}

// Close locks the store and closes the database. The last connection to
// close checkpoints the WAL into the database file. It waits for the
// SecretWriters still open (see SecretWriter.Closing), at most
// secretWriterWait: a refresh whose answer is on its way saves the token
// the server rotated.
func (s *Store) Close() error {
	s.BeginClose()
	s.Lock()
	s.waitSecretWriters()
	if s.bgCancel != nil {
		s.bgCancel()
		<-s.bgDone
	}
	s.notes.Wait()
	var errs []error
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	// The file is closed: it may be rebuilt now.
	s.mu.Lock()
	release := s.releaseInUse
	s.releaseInUse = nil
	s.mu.Unlock()
	if release != nil {
		release()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close cache: %w", err)
	}
	return nil
}

// Path returns the path of the database file.
func (s *Store) Path() string { return s.path }

// truncateWAL copies the WAL into the database file and empties it, so
// old page versions (a deleted key, say) leave the WAL file. It does its
// best: with readers active SQLite truncates only what it can.
func (s *Store) truncateWAL(ctx context.Context) error {
	if _, err := s.writer.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return dbErr("checkpoint", err)
	}
	return nil
}

// LimitSize caps how large the cache's database may grow, in bytes (0:
// no cap but the disk's). A write past the cap fails with ErrDiskFull and
// is rolled back, exactly as on a full disk: tests use it to fill a
// "disk" without filling one.
func (s *Store) LimitSize(ctx context.Context, bytes int64) error {
	var pageSize int64
	if err := s.writer.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return dbErr("limit size", err)
	}
	pages := int64(4294967294) // SQLite's largest
	if bytes > 0 {
		pages = max(bytes/pageSize, 1)
	}
	// The single writer connection holds the cap (it is per connection).
	var got int64
	if err := s.writer.QueryRowContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)).Scan(&got); err != nil {
		return dbErr("limit size", err)
	}
	return nil
}

// update runs fn in a write transaction (BEGIN IMMEDIATE) on the single
// writer connection and commits it if fn returns nil.
//
// While unlocked it first checks that no other process changed the keys
// (a key rotation): keys of an older epoch would seal values nothing can
// open afterwards, so the store locks itself and the write fails with
// ErrLocked (unlock again to get the new keys).
func (s *Store) update(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	return s.noteDamage(s.updateTx(ctx, op, fn))
}

// noteDamage returns err, and when it reports damage (ErrCorrupt: SQLite
// met a malformed page), records it for the next Open, which then checks
// the whole file first and refuses it (see RebuildDamaged): the cached
// record is checked in full only weekly, so damage met while reading it
// would otherwise go unsaid at the next start. The note is written on
// its own goroutine, once: the caller may be inside a write transaction,
// which holds the only writing connection; Close waits for it.
func (s *Store) noteDamage(err error) error {
	if errors.Is(err, ErrCorrupt) && s.damageNoted.CompareAndSwap(false, true) {
		s.notes.Add(1)
		go func() {
			defer s.notes.Done()
			noteCheckedAt(context.Background(), s.writer, damageFound) // best effort: the file is damaged
		}()
	}
	return err
}

func (s *Store) updateTx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(op+": begin", err)
	}
	defer tx.Rollback()
	s.mu.RLock()
	unlocked, epoch := s.kek != nil, s.epoch
	s.mu.RUnlock()
	if unlocked {
		var current int64
		err := tx.QueryRowContext(ctx, "SELECT key_epoch FROM install WHERE id = 1").Scan(&current)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return dbErr(op+": read key epoch", err)
		}
		if err == nil && current != epoch {
			s.Lock()
			return fmt.Errorf("%s: the keys were changed by another program: %w", op, ErrLocked)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return dbErr(op+": commit", err)
	}
	return nil
}
