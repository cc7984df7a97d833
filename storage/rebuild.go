package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Rebuilding a damaged file.
//
// Most of the file is the cached record: the resources and the search
// index, which the practice can send again. What cannot be sent again
// (the keys, the profiles and their sign-ins, what the patient wrote and
// has not sent, their settings, drafts and the activity trail) lives in
// small tables that Open checks on every start. When the damage lies in
// the cached record, RebuildDamaged writes a new file holding everything
// but the cache, and keeps the damaged one beside it; the next sync of
// each profile downloads its record again, in full (each profile's record
// is marked set aside, see Store.RecordSetAside).

// cacheTables are the tables of the cached record: RebuildDamaged leaves
// them empty. Everything else is copied.
var cacheTables = []string{"resources", "search_chunks", "search_vocab", "search_state"}

// ErrNotRebuildable means the damage reaches what the practice cannot
// send again (it wraps ErrCorrupt): RebuildDamaged changed nothing.
var ErrNotRebuildable = errors.New("storage: the damage reaches what cannot be downloaded again")

// RebuildReport says what RebuildDamaged did.
type RebuildReport struct {
	// DamagedCopy is where the damaged file was kept (in the same
	// folder, readable by its owner only).
	DamagedCopy string
	// Removed lists the older damaged copies this rebuild removed.
	Removed []string
}

// The damaged copies. A damaged copy holds the whole cached record,
// still encrypted, and nothing else the new file lacks: it is kept only
// so that someone who needs what the damaged record held (a practice
// that cannot send it again, a support question) can have it looked at
// before it goes. Kept for ever, each rebuild would leave another copy of
// the record on the disk, where a patient does not expect one. So:
//   - a rebuild keeps only the copy it makes: older copies are removed
//     once the new file is in place (they hold an older state of the same
//     record, from an earlier damage);
//   - a copy is removed by the first Open after DamagedCopyKeep: by then
//     every profile in use has been synced again many times over.
// The age is read from the copy's name (its time of rebuild, UTC), not
// from the file, whose times are the damaged file's. Files whose names
// do not parse are not Carebook's copies and are left alone.

// DamagedCopyKeep is how long a damaged copy is kept after its rebuild.
const DamagedCopyKeep = 30 * 24 * time.Hour

// damagedCopyInfix and damagedCopyTime make a damaged copy's name:
// FileName + damagedCopyInfix + the rebuild's time in UTC.
const (
	damagedCopyInfix = ".damaged-"
	damagedCopyTime  = "20060102T150405"
)

// removeDamagedCopies removes the damaged copies in dir (with their
// write-ahead logs) that remove approves, given each one's path and
// rebuild time, and returns their paths (the copies', not their logs').
// It goes on after a failure and returns the failures joined.
func removeDamagedCopies(dir string, remove func(path string, made time.Time) bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list damaged copies: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		stamp, ok := strings.CutPrefix(e.Name(), FileName+damagedCopyInfix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		name := filepath.Join(dir, e.Name())
		made, err := time.Parse(damagedCopyTime, stamp)
		if err != nil || !remove(name, made) {
			continue // a log (its name goes on past the time), or not ours
		}
		gone := true
		for _, f := range []string{name + "-wal", name + "-shm", name} {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove a damaged copy: %w", err))
				gone = false
			}
		}
		if gone {
			removed = append(removed, name)
		}
	}
	return removed, errors.Join(errs...)
}

// RebuildDamaged replaces the damaged file in dir (one Open refused with
// ErrCorrupt, or whose background check found damage) with a new one
// holding everything but the cached record, when the damage lies in that
// record; the damaged file is kept beside it (RebuildReport.DamagedCopy)
// until the first Open after DamagedCopyKeep, and older damaged copies
// are removed (see DamagedCopyKeep). Nothing may have the file open: it
// fails with ErrInUse, changing nothing, while any Store of dir is open,
// in this process or another (the app and carebook-cli, two windows of
// the app), and an Open started meanwhile waits for it. Nothing is
// decrypted: the store stays locked, and the new file opens with the
// same passphrase or keyring key. It fails with ErrNotRebuildable (and
// ErrCorrupt) when the small tables are damaged too, having changed
// nothing.
func RebuildDamaged(dir string) (RebuildReport, error) {
	if err := checkPrivate(dir, true); err != nil {
		return RebuildReport{}, fmt.Errorf("rebuild: %w", err)
	}
	release, err := lockInUse(dir, true, 0)
	if err != nil {
		return RebuildReport{}, fmt.Errorf("rebuild: %w", err)
	}
	defer release()
	rep, err := rebuild(dir)
	if err != nil {
		return RebuildReport{}, err
	}
	// Only the copy just made is kept. The rebuild stands whatever
	// happens here: a copy that could not go now goes with its time.
	rep.Removed, _ = removeDamagedCopies(dir, func(path string, _ time.Time) bool { return path != rep.DamagedCopy }) //nolint:errcheck
	return rep, nil
}

// rebuild is RebuildDamaged once the folder is its own.
func rebuild(dir string) (RebuildReport, error) {
	path := filepath.Join(dir, FileName)
	if err := checkPrivate(path, false); err != nil {
		return RebuildReport{}, fmt.Errorf("rebuild: %w", err)
	}
	fresh := path + ".rebuilt"
	for _, name := range []string{fresh, fresh + "-wal", fresh + "-shm"} {
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return RebuildReport{}, fmt.Errorf("rebuild: remove an earlier attempt: %w", err)
		}
	}
	if err := writeRebuilt(path, fresh); err != nil {
		os.Remove(fresh)
		os.Remove(fresh + "-wal")
		os.Remove(fresh + "-shm")
		return RebuildReport{}, err
	}
	// The damaged file goes aside under a name of its own (a link first,
	// so that the data file's name always names a whole file), with its
	// write-ahead log: left there, SQLite would apply the damaged file's
	// log to the new one.
	aside := path + damagedCopyInfix + time.Now().UTC().Format(damagedCopyTime)
	// undo puts back what was moved when a later step fails: the data
	// file's name must never be left naming nothing (Open would start a
	// new, empty store there).
	var undo []func()
	fail := func(what string, err error) (RebuildReport, error) {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		os.Remove(fresh)
		return RebuildReport{}, fmt.Errorf("rebuild: %s: %w", what, err)
	}
	if err := os.Link(path, aside); err == nil {
		undo = append(undo, func() { os.Remove(aside) })
	} else {
		// No hard links here: moved instead, for the moment until the
		// new file takes its place.
		if err := os.Rename(path, aside); err != nil {
			return fail("keep the damaged file", err)
		}
		undo = append(undo, func() { os.Rename(aside, path) })
	}
	if err := os.Rename(path+"-wal", aside+"-wal"); err == nil {
		undo = append(undo, func() { os.Rename(aside+"-wal", path+"-wal") })
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail("keep the damaged file's log", err)
	}
	if err := os.Remove(path + "-shm"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail("remove the damaged file's shared memory", err)
	}
	if err := os.Rename(fresh, path); err != nil {
		return fail("put the new file in place", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the renames last a power cut (where the system can say so)
		d.Close()
	}
	return RebuildReport{DamagedCopy: aside}, nil
}

// writeRebuilt writes the file fresh: the schema of the damaged file at
// path, with every table copied but the cached record's.
func writeRebuilt(path, fresh string) error {
	ctx := context.Background()
	damaged, err := openDB(path, false)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	defer damaged.Close()
	var version int
	if err := damaged.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("rebuild: %w", dbErr("read schema version", err))
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("rebuild: list migrations: %w", err)
	}
	if version != len(names) {
		// An older file would need its migrations, which read the
		// damaged tables; a newer one is another program's.
		return fmt.Errorf("rebuild: %w: schema version %d, want %d", ErrNotRebuildable, version, len(names))
	}
	if err := quickCheckSmallTables(damaged); err != nil {
		return fmt.Errorf("rebuild: %w: %w", ErrNotRebuildable, err)
	}
	tables, err := userTables(ctx, damaged)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	if err := damaged.Close(); err != nil {
		return fmt.Errorf("rebuild: %w", dbErr("close the damaged file", err))
	}

	if _, err := prepareFile(fresh, true); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	db, err := openDB(fresh, false)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	defer db.Close()
	if err := migrate(db, migrationFS); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("rebuild: %w", dbErr("open the new file", err))
	}
	defer conn.Close()
	// Rows are copied table by table, in any order: the references
	// between them are checked once all are in.
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return fmt.Errorf("rebuild: %w", dbErr("copy", err))
	}
	if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ? AS damaged", path); err != nil {
		return fmt.Errorf("rebuild: %w", dbErr("read the damaged file", err))
	}
	if err := copyTables(ctx, conn, tables); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "DETACH DATABASE damaged"); err != nil {
		return fmt.Errorf("rebuild: %w", dbErr("copy", err))
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = ON"); err != nil {
		return fmt.Errorf("rebuild: %w", dbErr("copy", err))
	}
	if err := conn.Close(); err != nil {
		return fmt.Errorf("rebuild: %w", dbErr("copy", err))
	}
	if err := quickCheck(ctx, db); err != nil {
		return fmt.Errorf("rebuild: the new file: %w", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("rebuild: %w", dbErr("close the new file", err))
	}
	return nil
}

// userTables lists the tables of db (SQLite's own excepted).
func userTables(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return nil, dbErr("read schema", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, dbErr("read schema", err)
		}
		if !tableName.MatchString(name) {
			return nil, fmt.Errorf("%w: a table with an impossible name", ErrCorrupt)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("read schema", err)
	}
	return names, nil
}

// copyTables copies every table of tables but the cache's from the
// attached damaged file into conn's new one, in one transaction, gives
// each profile an empty search index that is up to date (as a new
// profile's is), and marks each profile's record set aside.
func copyTables(ctx context.Context, conn *sql.Conn, tables []string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return dbErr("copy", err)
	}
	defer tx.Rollback()
	for _, name := range tables {
		if slices.Contains(cacheTables, name) {
			continue
		}
		// The new file's own rows (its fresh integrity record) give way
		// to the damaged file's.
		if _, err := tx.ExecContext(ctx, "DELETE FROM main."+name); err != nil {
			return dbErr("copy", err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO main."+name+" SELECT * FROM damaged."+name); err != nil {
			return dbErr("copy "+name, err)
		}
		// Numbers given once (an outbox item's) are not given again.
		if _, err := tx.ExecContext(ctx, "DELETE FROM main.sqlite_sequence WHERE name = ?", name); err != nil {
			return dbErr("copy", err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM damaged.sqlite_sequence WHERE name = ?", name); err != nil {
			return dbErr("copy", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO search_state (profile, built) SELECT num, ? FROM profiles", searchFormat); err != nil {
		return dbErr("copy", err)
	}
	// Each profile's record is downloaded again, in full (see
	// Store.RecordSetAside), whatever its sync's checkpoints say.
	if _, err := tx.ExecContext(ctx, "UPDATE profiles SET record_set_aside = 1"); err != nil {
		return dbErr("copy", err)
	}
	// The whole new file was just checked (below, before it is used):
	// the next full check is due a week from now.
	if _, err := tx.ExecContext(ctx, "DELETE FROM integrity"); err != nil {
		return dbErr("copy", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO integrity (id, checked_at) VALUES (1, ?)", time.Now().Unix()); err != nil {
		return dbErr("copy", err)
	}
	// The rebuild goes into the activity trail at the next unlock (the
	// trail is sealed; nothing can seal it now).
	b, err := json.Marshal(pendingRecord{Time: time.Now().UTC().Round(0), Kind: AuditFileRebuilt})
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO audit (pending) VALUES (?)", string(b)); err != nil {
		return dbErr("copy", err)
	}
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return dbErr("copy", err)
	}
	broken := rows.Next()
	rows.Close()
	if broken {
		return fmt.Errorf("%w: %w: rows point to rows that are not there", ErrNotRebuildable, ErrCorrupt)
	}
	if err := tx.Commit(); err != nil {
		return dbErr("copy", err)
	}
	return nil
}
