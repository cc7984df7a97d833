package storage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"time"
)

// FullCheckEvery is how old the last full check of the file may be before
// Open starts another in the background.
const FullCheckEvery = 7 * 24 * time.Hour

// Checking the file on Open.
//
// A full structural check (PRAGMA quick_check) reads the whole file: about
// 100 ms for a record of 100,000 resources, on every start. Open runs it
// only after an unclean shutdown (the last process to use the file did not
// close it: its write-ahead log is still there), where damage is most
// likely. Otherwise Open checks what a start needs and is cheap to check:
// that the file is as long as its header says (a truncated copy) and the
// structure of every table but the cached resources (keys, profiles,
// checkpoints, outbox, secrets, audit trail). The resources are checked in
// full in the background when the last full check is older than
// FullCheckEvery; each resource is also authenticated when it is read
// (a damaged one fails with ErrIntegrity, never shows altered).
//
// Damage found (by any full check, or met by a read or a write: see
// Store.noteDamage) is remembered in the file: the next Open checks the
// whole file first, whatever the shutdown, and refuses it with
// ErrCorrupt until it is rebuilt (RebuildDamaged, rebuild.go).

// uncleanShutdown reports whether the database's write-ahead log is
// present before the store opens it: SQLite removes it when the last
// connection closes cleanly. (It is also present while another process
// has the file open: that process's Open then checks in full too, which
// costs time, never correctness.)
func uncleanShutdown(path string) bool {
	_, err := os.Stat(path + "-wal")
	return !errors.Is(err, fs.ErrNotExist)
}

// checkLength reports ErrCorrupt when the file is shorter than the page
// count its header records (a truncated file). header is the file's first
// 100 bytes; size its length. The count is trusted only where SQLite
// trusts it: when the "version valid for" number matches the change
// counter.
func checkLength(header []byte, size int64) error {
	pageSize := int64(binary.BigEndian.Uint16(header[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	counter, validFor := binary.BigEndian.Uint32(header[24:28]), binary.BigEndian.Uint32(header[92:96])
	pages := int64(binary.BigEndian.Uint32(header[28:32]))
	if counter != validFor || pages == 0 || pageSize < 512 {
		return nil
	}
	if size < pages*pageSize {
		return fmt.Errorf("%w: the file is shorter than its header says", ErrCorrupt)
	}
	return nil
}

// tableName is what a table name must look like to be put in a PRAGMA
// (which takes no bound parameters). Carebook's tables all do.
var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// quickCheckSmallTables runs SQLite's structural check on every table but
// the cached resources and the search index's postings (the big ones),
// with their indexes.
func quickCheckSmallTables(db *sql.DB) error {
	rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('resources', 'search_chunks')`)
	if err != nil {
		return dbErr("check database", err)
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return dbErr("check database", err)
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbErr("check database", err)
	}
	for _, name := range names {
		if !tableName.MatchString(name) {
			return fmt.Errorf("check database: %w: a table with an impossible name", ErrCorrupt)
		}
		if err := runCheck(context.Background(), db, "PRAGMA quick_check("+name+")"); err != nil {
			return err
		}
	}
	return nil
}

// quickCheck runs SQLite's structural check of the whole file.
func quickCheck(ctx context.Context, db *sql.DB) error {
	return runCheck(ctx, db, "PRAGMA quick_check")
}

// runCheck runs a quick_check pragma so that a truncated or damaged file
// is reported as ErrCorrupt, not later in the middle of a sync.
func runCheck(ctx context.Context, db *sql.DB, pragma string) error {
	rows, err := db.QueryContext(ctx, pragma)
	if err != nil {
		return dbErr("check database", err)
	}
	defer rows.Close()
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return dbErr("check database", err)
		}
		if msg != "ok" {
			// The message names pages and tables, never content.
			return fmt.Errorf("check database: %w: %s", ErrCorrupt, msg)
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr("check database", err)
	}
	return nil
}

// noteFullCheck records that the whole file passed a check at t.
func noteFullCheck(ctx context.Context, db *sql.DB, t time.Time) error {
	return noteCheckedAt(ctx, db, t.Unix())
}

// noteCheckedAt records at (Unix seconds, or damageFound) as the time of
// the last full check.
func noteCheckedAt(ctx context.Context, db *sql.DB, at int64) error {
	if _, err := db.ExecContext(ctx, `INSERT INTO integrity (id, checked_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, at); err != nil {
		return dbErr("note integrity check", err)
	}
	return nil
}

// fullCheckDue reports whether the last full check is older than
// FullCheckEvery (or never ran).
func fullCheckDue(db *sql.DB, now time.Time) (bool, error) {
	at, err := lastFullCheck(db)
	if err != nil {
		return false, err
	}
	return now.Sub(time.Unix(at, 0)) >= FullCheckEvery, nil
}

// damageFound is the time of the last full check that a check which found
// damage records: the next Open checks the whole file before it opens
// (and so refuses it with ErrCorrupt, where RebuildDamaged can help).
const damageFound = -1

// lastFullCheck is the time (Unix seconds) of the last full check that
// passed, damageFound, or 0 when none is recorded.
func lastFullCheck(db *sql.DB) (int64, error) {
	var at int64
	err := db.QueryRow(`SELECT checked_at FROM integrity WHERE id = 1`).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, dbErr("read integrity check", err)
	}
	return at, nil
}

// checkOnOpen checks the file as Open needs (see the top of this file):
// fully after an unclean shutdown, else its small tables, and starts a
// full check in the background when one is due. fresh is a file Open just
// created: nothing to check, and its first full check is now.
func (s *Store) checkOnOpen(unclean, fresh bool) error {
	ctx := context.Background()
	now := time.Now()
	switch {
	case fresh:
		return noteFullCheck(ctx, s.writer, now)
	case unclean:
		return s.checkWholeFile(ctx, now)
	}
	if err := quickCheckSmallTables(s.writer); err != nil {
		return err
	}
	if at, err := lastFullCheck(s.writer); err != nil {
		return err
	} else if at == damageFound {
		// The last full check found damage (in the background while the
		// app ran, or an Open whose closing removed the log that made it
		// check): this Open says so again before anything is shown.
		return s.checkWholeFile(ctx, now)
	}
	due, err := fullCheckDue(s.writer, now)
	if err != nil {
		return err
	}
	if due {
		s.checkInBackground()
	}
	return nil
}

// checkWholeFile runs the full check on Open and records its outcome:
// the time it passed, or that it found damage (so that the next Open
// checks in full again, though this one's closing removes the log that
// made it check).
func (s *Store) checkWholeFile(ctx context.Context, now time.Time) error {
	if err := quickCheck(ctx, s.writer); err != nil {
		if errors.Is(err, ErrCorrupt) {
			noteCheckedAt(ctx, s.writer, damageFound) // best effort: the file is damaged
		}
		return err
	}
	return noteFullCheck(ctx, s.writer, now)
}

// checkInBackground runs CheckIntegrity on its own goroutine; Close stops
// it and waits for it. What it finds is kept for IntegrityProblem.
func (s *Store) checkInBackground() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.bgCancel, s.bgDone = cancel, done
	go func() {
		defer close(done)
		err := s.CheckIntegrity(ctx)
		if errors.Is(err, ErrCorrupt) {
			s.mu.Lock()
			s.integrityProblem = err
			s.mu.Unlock()
		}
	}()
}

// CheckIntegrity checks the whole file now (SQLite's structural check,
// through a read connection, so writes go on meanwhile) and records the
// time when it passes. A damaged file yields ErrCorrupt, and the damage
// is remembered: the next Open checks the whole file before it opens (and
// refuses it, where RebuildDamaged can help). It takes about 100 ms for
// 100,000 cached resources.
func (s *Store) CheckIntegrity(ctx context.Context) error {
	if err := quickCheck(ctx, s.reader); err != nil {
		if errors.Is(err, ErrCorrupt) {
			// A failure to write this changes nothing but that.
			noteCheckedAt(ctx, s.writer, damageFound)
		}
		return err
	}
	return noteFullCheck(ctx, s.writer, time.Now())
}

// IntegrityProblem returns what the background check that Open started
// found wrong (wrapping ErrCorrupt), or nil: none found, or it has not
// finished.
func (s *Store) IntegrityProblem() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.integrityProblem
}
