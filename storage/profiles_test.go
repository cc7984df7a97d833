package storage

import (
	"bytes"
	"context"
	"database/sql"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestProfiles(t *testing.T) {
	ctx := context.Background()
	s, dir := newPassphraseStore(t)
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	a, err := s.CreateProfile(ctx, Profile{PracticeURL: "https://a.example/fhir", PatientID: "p1", Label: "Ada",
		Settings: map[string]string{"needs-sign-in": "true"}, CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	b := newProfile(t, s, "Bo")
	if a.ID == "" || a.ID == b.ID {
		t.Fatalf("profile ids %q and %q", a.ID, b.ID)
	}

	got, err := s.Profile(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Label != "Ada" || got.PatientID != "p1" || got.PracticeURL != "https://a.example/fhir" ||
		!got.CreatedAt.Equal(created) || !maps.Equal(got.Settings, a.Settings) {
		t.Errorf("Profile = %+v, want %+v", got, a)
	}

	got.Label, got.Settings = "Ada L.", map[string]string{"capabilities": "Communication"}
	got.CreatedAt = time.Now() // ignored
	if err := s.UpdateProfile(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, err := s.Profile(ctx, a.ID)
	if err != nil || again.Label != "Ada L." || again.Settings["capabilities"] != "Communication" || !again.CreatedAt.Equal(created) {
		t.Errorf("after UpdateProfile: %+v, %v", again, err)
	}
	wantErr(t, "UpdateProfile of an unknown profile", s.UpdateProfile(ctx, Profile{ID: "nope"}), ErrNotFound)
	_, err = s.Profile(ctx, "nope")
	wantErr(t, "Profile of an unknown id", err, ErrNotFound)

	list, err := s.Profiles(ctx)
	if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Fatalf("Profiles = %+v, %v (want oldest first)", list, err)
	}

	// A fresh process sees the same.
	s.Close()
	s = reopenUnlocked(t, dir)
	if list, err := s.Profiles(ctx); err != nil || len(list) != 2 {
		t.Fatalf("Profiles after reopen = %d, %v", len(list), err)
	}
}

func TestDeleteProfile(t *testing.T) {
	ctx := context.Background()
	dir, a, b := twoProfiles(t)
	numA, numB := profileNum(t, dir, a), profileNum(t, dir, b)
	var wrappedDEK []byte
	if err := rawDB(t, dir).QueryRow("SELECT wrapped_dek FROM profile_keys WHERE profile_id = ?", a).Scan(&wrappedDEK); err != nil {
		t.Fatal(err)
	}
	s := reopenUnlocked(t, dir)
	// Make a's rows live in the WAL too, as they would in a running app.
	if err := s.Put(ctx, a, observation("o3", 3)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProfile(ctx, a); err != nil {
		t.Fatalf("DeleteProfile: %v", err)
	}
	wantErr(t, "deleting it again", s.DeleteProfile(ctx, a), ErrNotFound)

	// Nothing of a is left, through the API ...
	_, err := s.Get(ctx, a, "Observation", "o1")
	wantErr(t, "Get of a deleted profile", err, ErrNotFound)
	_, err = s.Secret(ctx, a, "token")
	wantErr(t, "Secret of a deleted profile", err, ErrNotFound)
	_, err = s.Profile(ctx, a)
	wantErr(t, "Profile of a deleted profile", err, ErrNotFound)
	// ... nor in the file.
	db := rawDB(t, dir)
	for _, table := range []string{"resources", "checkpoints", "outbox", "secrets", "profile_keys"} {
		if n := countProfileRows(t, db, table, a, numA); n != 0 {
			t.Errorf("%d rows of the deleted profile left in %s", n, table)
		}
		if n := countProfileRows(t, db, table, b, numB); n == 0 {
			t.Errorf("the other profile lost its rows in %s", table)
		}
	}

	// The wrapped key is gone from every file, not just from the table.
	assertNoBytes(t, "after DeleteProfile", dir, wrappedDEK)
	// The other profile is intact.
	if list, err := s.List(ctx, b, ""); err != nil || len(list) != 2 {
		t.Errorf("other profile List = %d, %v", len(list), err)
	}
	if v, err := s.Secret(ctx, b, "token"); err != nil || string(v) != "secret-Bo" {
		t.Errorf("other profile Secret = %q, %v", v, err)
	}
	if list, err := s.Profiles(ctx); err != nil || len(list) != 1 || list[0].ID != b {
		t.Errorf("Profiles = %+v, %v", list, err)
	}
}

func TestInterruptedDeleteIsFinishedAtUnlock(t *testing.T) {
	ctx := context.Background()
	dir, a, b := twoProfiles(t)
	numA := profileNum(t, dir, a)
	// A crash right after the key was destroyed: only profile_keys lost a row.
	db := rawDB(t, dir)
	mustExec(t, db, "DELETE FROM profile_keys WHERE profile_id = ?", a)
	db.Close()

	s := reopenUnlocked(t, dir)
	if list, err := s.Profiles(ctx); err != nil || len(list) != 1 || list[0].ID != b {
		t.Fatalf("Profiles = %+v, %v", list, err)
	}
	db = rawDB(t, dir)
	for _, table := range []string{"resources", "checkpoints", "outbox", "secrets"} {
		if n := countProfileRows(t, db, table, a, numA); n != 0 {
			t.Errorf("%d rows of the half-deleted profile left in %s", n, table)
		}
	}
	if n := countRows(t, db, "SELECT count(*) FROM profiles WHERE id = ?", a); n != 0 {
		t.Error("half-deleted profile row left")
	}
}

func countRows(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// assertNoBytes fails if b occurs in any file under dir.
func assertNoBytes(t *testing.T, when, dir string, b []byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, b) {
			t.Errorf("%s: %s still contains the bytes", when, e.Name())
		}
	}
}

// profileNum returns the local number of a profile (resources use it).
func profileNum(t *testing.T, dir, id string) int64 {
	t.Helper()
	var num int64
	if err := rawDB(t, dir).QueryRow("SELECT num FROM profiles WHERE id = ?", id).Scan(&num); err != nil {
		t.Fatal(err)
	}
	return num
}

// countProfileRows counts the rows of one profile in a table, by number in
// resources and by id elsewhere, so it still works once the profile row
// itself is gone.
func countProfileRows(t *testing.T, db *sql.DB, table, id string, num int64) int {
	t.Helper()
	if table == "resources" {
		return countRows(t, db, "SELECT count(*) FROM resources WHERE profile = ?", num)
	}
	return countRows(t, db, "SELECT count(*) FROM "+table+" WHERE profile_id = ?", id)
}
