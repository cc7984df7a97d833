package storage

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/carebook/carebook/internal/filedamage"
)

// rawDB opens the database file directly, bypassing Store, to play the
// attacker or the disk that corrupts it.
func rawDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	res, err := db.Exec(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s: no row changed", query)
	}
}

// twoProfiles sets up a store with two profiles holding the same resources
// and returns their ids, closed.
func twoProfiles(t *testing.T) (dir, a, b string) {
	ctx := context.Background()
	s, dir := newPassphraseStore(t)
	pa, pb := newProfile(t, s, "Ada"), newProfile(t, s, "Bo")
	for _, p := range []Profile{pa, pb} {
		if err := s.Update(ctx, p.ID, func(tx *Tx) error {
			if err := tx.Put(observation("o1", 1), observation("o2", 2)); err != nil {
				return err
			}
			return tx.SetCheckpoint("since", "t1")
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutSecret(ctx, p.ID, "token", []byte("secret-"+p.Label)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Enqueue(ctx, OutboxItem{ProfileID: p.ID, Kind: "message", Identifier: "urn:uuid:1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, pa.ID, pb.ID
}

func reopenUnlocked(t *testing.T, dir string) *Store {
	t.Helper()
	s := openTest(t, dir, nil, true)
	if err := s.UnlockWithPassphrase(context.Background(), testPassphrase); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	return s
}

func TestTamperedRowsFailIntegrity(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		tamper func(t *testing.T, db *sql.DB, a, b string)
		read   func(s *Store, a, b string) error
	}{
		{
			name: "resource sealed value swapped between two rows",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				swapSealed(t, db, "resources", "row_key", a, a)
			},
			read: func(s *Store, a, b string) error { _, err := s.Get(ctx, a, "Observation", "o1"); return err },
		},
		{
			name: "resource sealed value copied from another profile",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				// Same type and id in both profiles; b's row key differs, so copy by position.
				copySealedAcrossProfiles(t, db, "resources", "row_key", a, b)
			},
			read: func(s *Store, a, b string) error { _, err := s.List(ctx, a, "Observation"); return err },
		},
		{
			name: "resource type column changed",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				mustExec(t, db, "UPDATE resources SET type = 'Condition' WHERE "+whereProfile("resources"), a)
			},
			read: func(s *Store, a, b string) error { _, err := s.List(ctx, a, "Condition"); return err },
		},
		{
			name: "one byte of a resource flipped",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				flipByte(t, db, "resources", "row_key", a)
			},
			read: func(s *Store, a, b string) error { _, err := s.Get(ctx, a, "Observation", "o1"); return err },
		},
		{
			name: "resource truncated",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				mustExec(t, db, "UPDATE resources SET sealed = substr(sealed, 1, 30) WHERE "+whereProfile("resources"), a)
			},
			read: func(s *Store, a, b string) error { _, err := s.Get(ctx, a, "Observation", "o2"); return err },
		},
		{
			name: "one byte of a secret flipped",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				flipByte(t, db, "secrets", "name_key", a)
			},
			read: func(s *Store, a, b string) error { _, err := s.Secret(ctx, a, "token"); return err },
		},
		{
			name: "checkpoint copied from another profile",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				copySealedAcrossProfiles(t, db, "checkpoints", "name_key", a, b)
			},
			read: func(s *Store, a, b string) error { _, _, err := s.Checkpoint(ctx, a, "since"); return err },
		},
		{
			name: "secret copied from another profile",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				copySealedAcrossProfiles(t, db, "secrets", "name_key", a, b)
			},
			read: func(s *Store, a, b string) error { _, err := s.Secret(ctx, a, "token"); return err },
		},
		{
			name: "outbox status changed in clear",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				mustExec(t, db, "UPDATE outbox SET status = 'sent' WHERE profile_id = ?", a)
			},
			read: func(s *Store, a, b string) error { _, err := s.Outbox(ctx, a); return err },
		},
		{
			name: "outbox item copied from another profile",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				mustExec(t, db, "UPDATE outbox SET sealed = (SELECT sealed FROM outbox WHERE profile_id = ?) WHERE profile_id = ?", b, a)
			},
			read: func(s *Store, a, b string) error { _, err := s.Outbox(ctx, a); return err },
		},
		{
			name: "profile fields copied from another profile",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				mustExec(t, db, "UPDATE profiles SET sealed = (SELECT sealed FROM profiles WHERE id = ?) WHERE id = ?", b, a)
			},
			read: func(s *Store, a, b string) error { _, err := s.Profile(ctx, a); return err },
		},
		{
			name: "wrapped data keys swapped between profiles",
			tamper: func(t *testing.T, db *sql.DB, a, b string) {
				mustExec(t, db, `UPDATE profile_keys SET wrapped_dek = CASE profile_id
					WHEN ?1 THEN (SELECT wrapped_dek FROM profile_keys WHERE profile_id = ?2)
					ELSE (SELECT wrapped_dek FROM profile_keys WHERE profile_id = ?1) END`, a, b)
			},
			read: func(s *Store, a, b string) error { _, err := s.Get(ctx, a, "Observation", "o1"); return err },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, a, b := twoProfiles(t)
			db := rawDB(t, dir)
			tt.tamper(t, db, a, b)
			db.Close()
			s := reopenUnlocked(t, dir)
			wantErr(t, "read after tampering", tt.read(s, a, b), ErrIntegrity)
			// The other profile is untouched by most tampering; reading it must
			// not fail for any other reason than integrity.
		})
	}
}

// swapSealed exchanges the sealed values of the first two rows of a profile.
func swapSealed(t *testing.T, db *sql.DB, table, keyCol, profile, _ string) {
	t.Helper()
	rows, err := db.Query("SELECT "+keyCol+", sealed FROM "+table+" WHERE "+whereProfile(table)+" ORDER BY "+keyCol+" LIMIT 2", profile)
	if err != nil {
		t.Fatal(err)
	}
	var keys, sealed [][]byte
	for rows.Next() {
		var k, v []byte
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		keys, sealed = append(keys, k), append(sealed, v)
	}
	rows.Close()
	if len(keys) != 2 {
		t.Fatalf("need two rows in %s, have %d", table, len(keys))
	}
	for i := range 2 {
		mustExec(t, db, "UPDATE "+table+" SET sealed = ? WHERE "+whereProfile(table)+" AND "+keyCol+" = ?", sealed[1-i], profile, keys[i])
	}
}

// flipByte flips one bit in the middle of every sealed value of a profile.
func flipByte(t *testing.T, db *sql.DB, table, keyCol, profile string) {
	t.Helper()
	rows, err := db.Query("SELECT "+keyCol+", sealed FROM "+table+" WHERE "+whereProfile(table), profile)
	if err != nil {
		t.Fatal(err)
	}
	var keys, sealed [][]byte
	for rows.Next() {
		var k, v []byte
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		keys, sealed = append(keys, k), append(sealed, v)
	}
	rows.Close()
	for i := range keys {
		sealed[i][len(sealed[i])/2] ^= 1
		mustExec(t, db, "UPDATE "+table+" SET sealed = ? WHERE "+whereProfile(table)+" AND "+keyCol+" = ?", sealed[i], profile, keys[i])
	}
}

// copySealedAcrossProfiles overwrites every sealed value of profile a with
// one from profile b.
func copySealedAcrossProfiles(t *testing.T, db *sql.DB, table, keyCol, a, b string) {
	t.Helper()
	mustExec(t, db, "UPDATE "+table+" SET sealed = (SELECT sealed FROM "+table+" WHERE "+whereProfile(table)+" ORDER BY "+keyCol+" LIMIT 1) WHERE "+whereProfile(table), b, a)
}

func TestDamagedFileIsErrCorrupt(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"garbage", func(t *testing.T, path string) {
			garbage := make([]byte, 64<<10)
			for i := range garbage {
				garbage[i] = byte(i*7 + 3)
			}
			writeFile(t, path, garbage)
		}},
		{"a few bytes", func(t *testing.T, path string) { writeFile(t, path, []byte("SQLite")) }},
		{"truncated to its header", func(t *testing.T, path string) { truncate(t, path, 100) }},
		{"truncated to half", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			truncate(t, path, fi.Size()/2)
		}},
		{"schema version zeroed", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt([]byte{0, 0, 0, 0}, 60); err != nil { // user_version in the header
				t.Fatal(err)
			}
		}},
		{"negative schema version", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt([]byte{0xff, 0, 0, 1}, 60); err != nil {
				t.Fatal(err)
			}
		}},
		{"pages overwritten", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			pageSize := filePageSize(t, path)
			junk := make([]byte, pageSize)
			for i := range junk {
				junk[i] = 0xA5
			}
			if _, err := f.WriteAt(junk, pageSize); err != nil { // page 2
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := populatedStore(t)
			tt.damage(t, filepath.Join(dir, FileName))
			_, err := Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
			wantErr(t, "Open of a damaged file", err, ErrCorrupt)
		})
	}
}

// populatedStore writes enough data to span many pages and closes the store.
func populatedStore(t *testing.T) string {
	t.Helper()
	s, dir := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	var rs []Resource
	for i := range 300 {
		rs = append(rs, observation("obs-"+itoa(i), 1+i%28))
	}
	if err := s.Put(context.Background(), p.ID, rs...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(filepath.Join(dir, FileName+suffix)); err == nil {
			t.Fatalf("%s still present after Close: the test would not damage the real data", suffix)
		}
	}
	return dir
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	dir := populatedStore(t)
	db := rawDB(t, dir)
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
	wantErr(t, "Open of a newer schema", err, ErrNewerSchema)
}

func TestEmptyFileIsANewStore(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, FileName), nil)
	s := openTest(t, dir, nil, true)
	if ok, err := s.Initialized(context.Background()); err != nil || ok {
		t.Fatalf("Initialized = %v, %v", ok, err)
	}
}

// whereProfile is the SQL condition selecting the rows of the profile whose
// public id is the bound parameter: resources refer to profiles by number.
func whereProfile(table string) string {
	if table == "resources" {
		return "profile = (SELECT num FROM profiles WHERE id = ?)"
	}
	return "profile_id = ?"
}

// damageResourcePage overwrites one leaf page of the cached resources
// (found through SQLite's dbstat table) with junk, as a failing disk
// might: a page that no check of the small tables reads.
func damageResourcePage(t *testing.T, dir string) {
	t.Helper()
	if err := filedamage.Page(filepath.Join(dir, FileName), "resources"); err != nil {
		t.Fatal(err)
	}
}

// TestOpenChecksWholeFileAfterUncleanShutdown: a damaged page of the
// cached resources is found by Open after an unclean shutdown (the
// write-ahead log left behind), where Open checks the whole file. After a
// clean shutdown Open checks only the small tables and the file's length,
// so the same damage is found by the full check instead: the one that runs
// in the background once the last full check is a week old, or
// CheckIntegrity.
func TestOpenChecksWholeFileAfterUncleanShutdown(t *testing.T) {
	tests := []struct {
		name    string
		unclean bool
	}{
		{"unclean shutdown", true},
		{"clean shutdown", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := populatedStore(t)
			damageResourcePage(t, dir)
			if tt.unclean {
				// What a killed process leaves: its write-ahead log (here
				// empty: every commit was already copied into the file).
				writeFile(t, filepath.Join(dir, FileName+"-wal"), nil)
				_, err := Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
				wantErr(t, "Open after an unclean shutdown", err, ErrCorrupt)
				// That Open closed the file cleanly (its log is gone); the
				// damage it found is remembered all the same.
				_, err = Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
				wantErr(t, "Open again", err, ErrCorrupt)
				return
			}
			// The last full check, a week and a minute ago.
			db := rawDB(t, dir)
			mustExec(t, db, "UPDATE integrity SET checked_at = ?", time.Now().Add(-FullCheckEvery-time.Minute).Unix())
			db.Close()
			s, err := Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
			if err != nil {
				t.Fatalf("Open after a clean shutdown: %v (the quick check read the resources)", err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for s.IntegrityProblem() == nil && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			wantErr(t, "the background check", s.IntegrityProblem(), ErrCorrupt)
			wantErr(t, "CheckIntegrity", s.CheckIntegrity(context.Background()), ErrCorrupt)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			// The damage found is remembered: the next start, after a
			// clean shutdown, checks the whole file first and refuses it;
			// rebuilt, it opens.
			_, err = Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
			wantErr(t, "Open after the background check found damage", err, ErrCorrupt)
			if _, err := RebuildDamaged(dir); err != nil {
				t.Fatalf("RebuildDamaged: %v", err)
			}
			s, err = Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
			if err != nil {
				t.Fatalf("Open after RebuildDamaged: %v", err)
			}
			s.Close()
		})
	}
}

// TestFullCheckRecorded: a new store counts as checked; a full check that
// passes (after an unclean shutdown, or CheckIntegrity) records its time,
// so the next clean Open starts no background check.
func TestFullCheckRecorded(t *testing.T) {
	checkedAt := func(dir string) int64 {
		db := rawDB(t, dir)
		defer db.Close()
		var at int64
		if err := db.QueryRow("SELECT checked_at FROM integrity WHERE id = 1").Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	dir := populatedStore(t)
	if at := checkedAt(dir); time.Since(time.Unix(at, 0)) > time.Minute {
		t.Fatalf("a new store's last full check: %v", time.Unix(at, 0))
	}
	db := rawDB(t, dir)
	mustExec(t, db, "UPDATE integrity SET checked_at = 1")
	db.Close()
	writeFile(t, filepath.Join(dir, FileName+"-wal"), nil)
	s, err := Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
	if err != nil {
		t.Fatal(err)
	}
	if s.bgDone != nil {
		t.Fatal("a background check started although Open had just checked the whole file")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if at := checkedAt(dir); at == 1 {
		t.Fatal("the full check after an unclean shutdown was not recorded")
	}
}

// TestDamageMetWhileReadingIsRemembered: after a clean shutdown Open
// checks only the small tables, so a damaged page of the cached record is
// first met by a read; that read fails with ErrCorrupt, and the damage is
// remembered: the next Open checks the whole file and refuses it (where
// RebuildDamaged helps), instead of opening it as sound until the weekly
// check.
func TestDamageMetWhileReadingIsRemembered(t *testing.T) {
	ctx := context.Background()
	dir := populatedStore(t)
	damageResourcePage(t, dir)
	s, err := Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
	if err != nil {
		t.Fatalf("Open after a clean shutdown: %v", err)
	}
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	ps, err := s.Profiles(ctx)
	if err != nil || len(ps) != 1 {
		t.Fatalf("profiles: %v, %v", ps, err)
	}
	_, err = s.List(ctx, ps[0].ID, "Observation")
	wantErr(t, "reading the damaged record", err, ErrCorrupt)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
	wantErr(t, "Open after damage was met", err, ErrCorrupt)
}
