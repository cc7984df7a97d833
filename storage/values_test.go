package storage

import (
	"bytes"
	"context"
	"database/sql"
	"testing"
)

// TestValues checks that a value survives closing the store and a lock,
// is sealed on disk, is replaced and deleted, and never collides with a
// checkpoint of the same name.
func TestValues(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir, nil, true)
	if err := s.Setup(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	p := newProfile(t, s, "Ada")
	_, err := s.Value(ctx, p.ID, "draft")
	wantErr(t, "absent value", err, ErrNotFound)
	secret := []byte("a draft about my rash, sealed")
	for _, v := range [][]byte{[]byte("first"), secret} {
		if err := s.PutValue(ctx, p.ID, "draft", v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Update(ctx, p.ID, func(tx *Tx) error { return tx.SetCheckpoint("draft", "a checkpoint") }); err != nil {
		t.Fatal(err)
	}
	s.Close()

	raw, err := sql.Open("sqlite", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM checkpoints WHERE instr(sealed, ?) > 0", secret).Scan(&n); err != nil || n != 0 {
		t.Errorf("the value is in clear on disk (%d rows, %v)", n, err)
	}
	raw.Close()

	s = openTest(t, dir, nil, true)
	_, err = s.Value(ctx, p.ID, "draft")
	wantErr(t, "value while locked", err, ErrLocked)
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Value(ctx, p.ID, "draft"); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("value after reopening = %q, %v", got, err)
	}
	if cp, ok, err := s.Checkpoint(ctx, p.ID, "draft"); err != nil || !ok || cp != "a checkpoint" {
		t.Fatalf("checkpoint of the same name = %q %v %v", cp, ok, err)
	}
	if err := s.DeleteValue(ctx, p.ID, "draft"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteValue(ctx, p.ID, "draft"); err != nil {
		t.Fatalf("deleting an absent value: %v", err)
	}
	_, err = s.Value(ctx, p.ID, "draft")
	wantErr(t, "deleted value", err, ErrNotFound)
}
