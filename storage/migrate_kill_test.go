package storage

import (
	"context"
	"database/sql"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"testing/fstest"
	"time"
)

// slowMigration is a test migration, numbered after the real ones, that
// takes long enough (a table of 40,000 rows and an index over it) for a
// kill to land inside it.
const slowMigration = `
CREATE TABLE migration_test (n INTEGER NOT NULL, filler BLOB NOT NULL);
INSERT INTO migration_test (n, filler)
	WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 40000)
	SELECT i, randomblob(64) FROM c;
CREATE INDEX migration_test_filler ON migration_test (filler);
`

const slowMigrationRows = 40000

// migrationsWithSlowOne is the real migrations and the test one.
func migrationsWithSlowOne(t testing.TB) fs.FS {
	t.Helper()
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	for _, name := range names {
		body, err := fs.ReadFile(migrationFS, name)
		if err != nil {
			t.Fatal(err)
		}
		m[name] = &fstest.MapFile{Data: body}
	}
	next := strconv.Itoa(len(names) + 1)
	for len(next) < 4 {
		next = "0" + next
	}
	m["migrations/"+next+"_slow_test.sql"] = &fstest.MapFile{Data: []byte(slowMigration)}
	return m
}

// TestMigrationHelperProcess is the child of TestMigrationSurvivesSIGKILL:
// it migrates the database named by CAREBOOK_MIGRATE_DB and exits.
func TestMigrationHelperProcess(t *testing.T) {
	path := os.Getenv("CAREBOOK_MIGRATE_DB")
	if path == "" {
		t.Skip("run by TestMigrationSurvivesSIGKILL")
	}
	db, err := openDB(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrate(db, migrationsWithSlowOne(t)); err != nil {
		t.Fatal(err)
	}
}

// TestMigrationSurvivesSIGKILL kills a process in the middle of a schema
// migration (a slow test migration after the real ones) at random moments.
// After every kill the database passes SQLite's check, is at the old or
// the new version and nothing in between, and still holds the patient's
// data; migrating again completes. Seed: CAREBOOK_SEED.
func TestMigrationSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CAREBOOK_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (CAREBOOK_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	// A cache at the current schema, with a profile and a record in it.
	s, dir := newPassphraseStore(t)
	p := newProfile(t, s, "Maya")
	if err := s.Put(ctx, p.ID, observation("o1", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	names, _ := fs.Glob(migrationFS, "migrations/*.sql")
	oldVersion, newVersion := len(names), len(names)+1

	run := func(path string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMigrationHelperProcess$")
		cmd.Env = append(os.Environ(), "CAREBOOK_MIGRATE_DB="+path)
		return cmd
	}
	fresh := func(name string) string {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, base, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	// How long the whole migration takes here, to kill inside it.
	start := time.Now()
	if out, err := run(fresh("probe.db")).CombinedOutput(); err != nil {
		t.Fatalf("migration: %v\n%s", err, out)
	}
	whole := time.Since(start)

	kills := 6
	if os.Getenv("CAREBOOK_LONG") == "1" {
		kills = 30
	}
	interrupted := 0
	for i := range kills {
		path := fresh("killed.db")
		cmd := run(path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(whole))))
		_ = cmd.Process.Kill()
		if err := cmd.Wait(); err != nil {
			interrupted++
		}

		db, err := openDB(path, false)
		if err != nil {
			t.Fatalf("kill %d: open: %v", i, err)
		}
		if err := quickCheck(context.Background(), db); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		version := schemaVersion(t, db)
		rows := -1
		_ = db.QueryRow("SELECT count(*) FROM migration_test").Scan(&rows)
		switch {
		case version == oldVersion && rows == -1, version == newVersion && rows == slowMigrationRows:
		default:
			t.Fatalf("kill %d: version %d with %d test rows: a migration half applied", i, version, rows)
		}
		var records int
		if err := db.QueryRow("SELECT count(*) FROM resources").Scan(&records); err != nil || records != 1 {
			t.Fatalf("kill %d: %d records (%v), want the one stored before", i, records, err)
		}
		// Migrating again completes (checked after the last kill only:
		// it is the same every time, and slow).
		if i < kills-1 {
			db.Close()
			continue
		}
		if err := migrate(db, migrationsWithSlowOne(t)); err != nil {
			t.Fatalf("kill %d: migrate again: %v", i, err)
		}
		if v := schemaVersion(t, db); v != newVersion {
			t.Fatalf("kill %d: version %d after migrating again, want %d", i, v, newVersion)
		}
		db.Close()
	}
	t.Logf("a migration takes %v; %d of %d kills interrupted it", whole.Round(time.Millisecond), interrupted, kills)
	if interrupted == 0 {
		t.Fatal("no kill landed inside the migration: the test proved nothing")
	}
}

func schemaVersion(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
