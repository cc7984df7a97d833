package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
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

// TestValuesInATransaction checks that Tx.PutValue and Tx.DeleteValue
// commit together, and that a failed transaction changes neither.
func TestValuesInATransaction(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), nil, true)
	if err := s.Setup(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	p := newProfile(t, s, "Ada")
	if err := s.PutValue(ctx, p.ID, "old", []byte("kept until the new one is")); err != nil {
		t.Fatal(err)
	}
	move := func(tx *Tx) error {
		if err := tx.PutValue("new", []byte("moved")); err != nil {
			return err
		}
		return tx.DeleteValue("old")
	}
	failed := errors.New("failed midway")
	if err := s.Update(ctx, p.ID, func(tx *Tx) error {
		if err := move(tx); err != nil {
			return err
		}
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("failed transaction = %v", err)
	}
	if _, err := s.Value(ctx, p.ID, "old"); err != nil {
		t.Fatalf("a failed transaction deleted the value: %v", err)
	}
	_, err := s.Value(ctx, p.ID, "new")
	wantErr(t, "value put by a failed transaction", err, ErrNotFound)
	if err := s.Update(ctx, p.ID, move); err != nil {
		t.Fatal(err)
	}
	_, err = s.Value(ctx, p.ID, "old")
	wantErr(t, "value deleted in a transaction", err, ErrNotFound)
	if got, err := s.Value(ctx, p.ID, "new"); err != nil || string(got) != "moved" {
		t.Fatalf("value put in a transaction = %q, %v", got, err)
	}
	if err := s.Update(ctx, p.ID, func(tx *Tx) error { return tx.DeleteValue("absent") }); err != nil {
		t.Fatalf("deleting an absent value in a transaction: %v", err)
	}
}
