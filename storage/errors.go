package storage

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
)

// Sentinel errors. Callers test them with errors.Is; the messages never
// contain patient data.
var (
	// ErrLocked is returned by every record, secret and outbox operation
	// while the store holds no keys (after Open, before an unlock, or after Lock).
	ErrLocked = errors.New("storage: locked")
	// ErrWrongPassphrase means the passphrase did not open the wrapped master key.
	ErrWrongPassphrase = errors.New("storage: wrong passphrase")
	// ErrNotFound means the profile, resource, checkpoint, outbox item or
	// secret does not exist.
	ErrNotFound = errors.New("storage: not found")
	// ErrIntegrity means a sealed value failed authentication: it was
	// altered, truncated, or moved from another row or profile.
	ErrIntegrity = errors.New("storage: integrity check failed")
	// ErrNoKey means the key needed to unlock is missing (for example the
	// keyring entry was deleted) or is not the key of this store.
	ErrNoKey = errors.New("storage: key missing")
	// ErrCorrupt means the database file is not a readable SQLite database
	// (truncated, overwritten with garbage, malformed pages).
	ErrCorrupt = errors.New("storage: database file corrupt")
	// ErrNoKeyring means no OS keyring backend is usable here, or the store
	// does not keep its master key in the keyring.
	ErrNoKeyring = errors.New("storage: no keyring available")
	// ErrNotInitialized means Setup has not created a master key yet.
	ErrNotInitialized = errors.New("storage: not initialized")
	// ErrPassphraseRequired means a passphrase is needed because no keyring
	// can hold the master key.
	ErrPassphraseRequired = errors.New("storage: passphrase required")
	// ErrAlreadyInitialized is returned by Setup when a master key exists.
	ErrAlreadyInitialized = errors.New("storage: already initialized")
	// ErrDuplicate is returned by Enqueue when the profile already has an
	// outbox item with the same Identifier.
	ErrDuplicate = errors.New("storage: duplicate outbox identifier")
	// ErrNewerSchema means the database was written by a newer Carebook
	// whose schema this version does not know.
	ErrNewerSchema = errors.New("storage: database schema is newer than this program")
	// ErrInvalid means an argument is unusable (empty id, unknown status...).
	ErrInvalid = errors.New("storage: invalid argument")
	// ErrUnsafeFolder is a data folder or database file that is a symbolic
	// link, or whose loose permissions could not be tightened (someone
	// else owns it): the cache is not opened there.
	ErrUnsafeFolder = errors.New("storage: data folder is not private")
	// ErrDiskFull means the device (or the size the cache may grow to) has
	// no room for a write: the write was rolled back whole, what was stored
	// before is intact, and the same write succeeds once there is room.
	ErrDiskFull = errors.New("storage: no space left for the cache")
	// ErrWeakPassphrase is a passphrase shorter than MinPassphraseLength.
	ErrWeakPassphrase = errors.New("storage: passphrase too short")
)

// sqliteCode returns the primary SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

const (
	sqliteCorrupt = 11 // SQLITE_CORRUPT
	sqliteFull    = 13 // SQLITE_FULL: disk full, or max_page_count reached
	sqliteNotADB  = 26 // SQLITE_NOTADB
)

// dbErr wraps a database error with what was being done, and marks
// malformed-file errors with ErrCorrupt and a full disk with ErrDiskFull so
// callers can tell them apart.
func dbErr(op string, err error) error {
	switch sqliteCode(err) {
	case sqliteCorrupt, sqliteNotADB:
		return fmt.Errorf("%s: %w: %w", op, ErrCorrupt, err)
	case sqliteFull:
		return fmt.Errorf("%s: %w: %w", op, ErrDiskFull, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
