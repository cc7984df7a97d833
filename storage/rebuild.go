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
// each profile downloads its record again (a profile whose cache holds
// nothing is pulled in full, whatever its checkpoints say).

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
}

// RebuildDamaged replaces the damaged file in dir (one Open refused with
// ErrCorrupt, or whose background check found damage) with a new one
// holding everything but the cached record, when the damage lies in that
// record; the damaged file is kept beside it (RebuildReport.DamagedCopy).
// Nothing may have the file open. Nothing is decrypted: the store stays
// locked, and the new file opens with the same passphrase or keyring
// key. It fails with ErrNotRebuildable (and ErrCorrupt) when the small
// tables are damaged too, having changed nothing.
func RebuildDamaged(dir string) (RebuildReport, error) {
	if err := checkPrivate(dir, true); err != nil {
		return RebuildReport{}, fmt.Errorf("rebuild: %w", err)
	}
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
	aside := fmt.Sprintf("%s.damaged-%s", path, time.Now().UTC().Format("20060102T150405"))
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
// attached damaged file into conn's new one, in one transaction, and
// gives each profile an empty search index that is up to date (as a new
// profile's is).
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
