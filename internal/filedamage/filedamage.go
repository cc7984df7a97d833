package filedamage

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"

	_ "modernc.org/sqlite" // the database/sql driver storage uses
)

// Page overwrites the last page of table in the SQLite file at path
// (found through SQLite's dbstat table; for the cached resources, a leaf
// page: one no check of the small tables reads) with junk.
func Page(path, table string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	var page, size int64
	err = db.QueryRow(`SELECT pageno FROM dbstat WHERE name = ? AND (pagetype = 'leaf' OR ? <> 'resources') ORDER BY pageno DESC LIMIT 1`,
		table, table).Scan(&page)
	if err == nil {
		err = db.QueryRow(`PRAGMA page_size`).Scan(&size)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("find a page of %s: %w", table, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, int(size)), (page-1)*size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LeaveLog leaves an empty write-ahead log beside the file at path, as a
// killed process does (SQLite removes it when the last connection closes
// cleanly).
func LeaveLog(path string) error {
	return os.WriteFile(path+"-wal", nil, 0o600)
}
