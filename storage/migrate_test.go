package storage

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func TestMigrationsAreAtomic(t *testing.T) {
	db, err := openDB(filepath.Join(t.TempDir(), "m.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	good := &fstest.MapFile{Data: []byte("CREATE TABLE a (x INTEGER);")}
	tests := []struct {
		name        string
		files       fstest.MapFS
		wantErr     bool
		wantVersion int
		wantTables  []string
	}{
		{"one", fstest.MapFS{"migrations/0001_a.sql": good}, false, 1, []string{"a"}},
		{"again is a no-op", fstest.MapFS{"migrations/0001_a.sql": good}, false, 1, []string{"a"}},
		{"second fails halfway", fstest.MapFS{
			"migrations/0001_a.sql": good,
			"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); CREATE TABLE c (y INTEGER); SELECT * FROM missing;")},
		}, true, 1, []string{"a"}},
		{"gap in numbering", fstest.MapFS{
			"migrations/0001_a.sql": good,
			"migrations/0003_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER);")},
		}, true, 1, []string{"a"}},
		{"second succeeds", fstest.MapFS{
			"migrations/0001_a.sql": good,
			"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); CREATE TABLE c (y INTEGER);")},
		}, false, 2, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		err := migrate(db, tt.files)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%s: migrate error %v, want error %v", tt.name, err, tt.wantErr)
		}
		var version int
		if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
			t.Fatal(err)
		}
		if version != tt.wantVersion {
			t.Errorf("%s: user_version %d, want %d", tt.name, version, tt.wantVersion)
		}
		if got := tableNames(t, db); len(got) != len(tt.wantTables) {
			t.Errorf("%s: tables %v, want %v", tt.name, got, tt.wantTables)
		}
	}
}

func tableNames(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

// TestMigrationMarksEmptyRecordsSetAside: schema 7 marks the profiles
// whose cache holds nothing as set aside (before it, an empty cache was
// how a rebuilt file told that the record must come again in full), and
// no other.
func TestMigrationMarksEmptyRecordsSetAside(t *testing.T) {
	db, err := openDB(filepath.Join(t.TempDir(), "m.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 7 {
		t.Fatalf("%d migrations, want at least 7", len(names))
	}
	upTo := func(n int) fstest.MapFS {
		files := fstest.MapFS{}
		for _, name := range names[:n] {
			body, err := fs.ReadFile(migrationFS, name)
			if err != nil {
				t.Fatal(err)
			}
			files[name] = &fstest.MapFile{Data: body}
		}
		return files
	}
	if err := migrate(db, upTo(6)); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "INSERT INTO profiles (num, id, sealed) VALUES (1, 'full', x'00'), (2, 'empty', x'00')")
	mustExec(t, db, "INSERT INTO resources (profile, row_key, type, sealed) VALUES (1, x'01', 'Patient', x'00')")
	if err := migrate(db, upTo(7)); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"full": false, "empty": true} {
		var aside bool
		if err := db.QueryRow("SELECT record_set_aside FROM profiles WHERE id = ?", id).Scan(&aside); err != nil {
			t.Fatal(err)
		}
		if aside != want {
			t.Errorf("profile %s: record_set_aside %v, want %v", id, aside, want)
		}
	}
}
