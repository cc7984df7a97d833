package filedamage

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestPageDamagesTheTable: after Page, SQLite's own check finds the table
// damaged.
func TestPageDamagesTheTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE resources (id INTEGER PRIMARY KEY, sealed BLOB)`); err != nil {
		t.Fatal(err)
	}
	for range 200 {
		if _, err := db.Exec(`INSERT INTO resources (sealed) VALUES (randomblob(300))`); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if err := Page(path, "resources"); err != nil {
		t.Fatal(err)
	}
	db, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var msg string
	if err := db.QueryRow(`PRAGMA quick_check`).Scan(&msg); err == nil && msg == "ok" {
		t.Fatal("quick_check found nothing wrong after Page")
	}
}
