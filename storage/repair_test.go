package storage

import (
	"context"
	"database/sql"
	"errors"
	"testing"
)

// TestRepair damages one profile's rows as a bad disk or a meddler would,
// and checks that Repair removes exactly the damaged rows, resets the
// profile's sync (so the record downloads again), keeps what the patient
// wrote (outbox items and drafts), and leaves the other profile alone.
func TestRepair(t *testing.T) {
	ctx := context.Background()
	firstOf := func(table string) string {
		key := map[string]string{"resources": "id", "outbox": "seq"}[table]
		return "UPDATE " + table + " SET sealed = substr(sealed, 1, 30) WHERE " + key + " = (SELECT min(" + key + ") FROM " + table + " WHERE " + whereProfile(table) + ")"
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, db *sql.DB, a, b string)
		want   RepairReport
		// draftLost: the damage reached the draft too.
		draftLost bool
	}{
		{"one record truncated", func(t *testing.T, db *sql.DB, a, b string) {
			mustExec(t, db, firstOf("resources"), a)
		}, RepairReport{Records: 1, Checkpoints: 1}, false},
		{"every record flipped", func(t *testing.T, db *sql.DB, a, b string) {
			flipByte(t, db, "resources", "row_key", a)
		}, RepairReport{Records: 2, Checkpoints: 1}, false},
		{"the checkpoint and the draft from another profile", func(t *testing.T, db *sql.DB, a, b string) {
			copySealedAcrossProfiles(t, db, "checkpoints", "name_key", a, b)
		}, RepairReport{Checkpoints: 2}, true},
		{"an outbox item truncated", func(t *testing.T, db *sql.DB, a, b string) {
			mustExec(t, db, firstOf("outbox"), a)
		}, RepairReport{Outbox: 1}, false},
		{"nothing damaged", func(*testing.T, *sql.DB, string, string) {}, RepairReport{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, a, b := twoProfiles(t)
			// A second outbox item, which must survive whatever happens
			// to the first.
			s := reopenUnlocked(t, dir)
			kept, err := s.Enqueue(ctx, OutboxItem{ProfileID: a, Kind: "message", Identifier: "urn:uuid:2", Payload: []byte(`{"op":"create"}`)})
			if err != nil {
				t.Fatal(err)
			}
			// A draft, in the checkpoints' table: it must survive too.
			if err := s.PutValue(ctx, a, "draft", []byte("Dear doctor, my knee")); err != nil {
				t.Fatal(err)
			}
			s.Close()
			db := rawDB(t, dir)
			tt.damage(t, db, a, b)
			db.Close()

			s = reopenUnlocked(t, dir)
			got, err := s.Repair(ctx, a)
			if err != nil {
				t.Fatalf("Repair: %v", err)
			}
			if got != tt.want || got.Damaged() != (tt.want != RepairReport{}) {
				t.Fatalf("Repair = %+v, want %+v", got, tt.want)
			}
			// Everything left opens.
			n := 0
			if err := s.Each(ctx, a, "", func(Resource) error { n++; return nil }); err != nil {
				t.Fatalf("reading the repaired profile: %v", err)
			}
			if n != 2-tt.want.Records {
				t.Fatalf("%d records left, want %d", n, 2-tt.want.Records)
			}
			if _, ok, err := s.Checkpoint(ctx, a, "since"); err != nil || ok != (tt.want.Checkpoints == 0) {
				t.Fatalf("checkpoint after repair: ok=%v err=%v; want it gone exactly when something was damaged", ok, err)
			}
			if v, err := s.Value(ctx, a, "draft"); tt.draftLost != errors.Is(err, ErrNotFound) || !tt.draftLost && (err != nil || string(v) != "Dear doctor, my knee") {
				t.Fatalf("draft after repair = %q, %v; want it kept unless damaged (damaged: %v)", v, err, tt.draftLost)
			}
			items, err := s.Outbox(ctx, a)
			if err != nil {
				t.Fatalf("outbox after repair: %v", err)
			}
			if len(items) != 2-tt.want.Outbox || items[len(items)-1].Seq != kept.Seq {
				t.Fatalf("outbox after repair = %d items, want %d ending with the undamaged one", len(items), 2-tt.want.Outbox)
			}
			if again, err := s.Repair(ctx, a); err != nil || again.Damaged() {
				t.Fatalf("second Repair = %+v, %v; want nothing left to repair", again, err)
			}
			// The other profile is untouched.
			if c, err := s.Counts(ctx, b); err != nil || c["Observation"] != 2 {
				t.Fatalf("other profile: %v, %v", c, err)
			}
			if v, ok, err := s.Checkpoint(ctx, b, "since"); err != nil || !ok || v != "t1" {
				t.Fatalf("other profile's checkpoint = %q %v %v", v, ok, err)
			}
		})
	}
}

// TestRepairKeepsValues: a profile's sealed values share the checkpoints'
// table with their own associated data; Repair must not take one for a
// damaged checkpoint (it did, and then wiped every checkpoint and
// downloaded the whole record again on each repair).
func TestRepairKeepsValues(t *testing.T) {
	ctx := context.Background()
	dir, a, _ := twoProfiles(t)
	s := reopenUnlocked(t, dir)
	if err := s.PutValue(ctx, a, "dashboard/last-check-up", []byte(`{"id":"e1"}`)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Repair(ctx, a)
	if err != nil || got.Damaged() {
		t.Fatalf("Repair of an undamaged profile with a value = %+v, %v; want nothing damaged", got, err)
	}
	if v, err := s.Value(ctx, a, "dashboard/last-check-up"); err != nil || string(v) != `{"id":"e1"}` {
		t.Fatalf("value after repair = %q, %v", v, err)
	}
	if _, ok, err := s.Checkpoint(ctx, a, "since"); err != nil || !ok {
		t.Fatalf("checkpoint after repair: ok=%v err=%v; want it kept", ok, err)
	}
}

// TestDropRecord: dropping a profile's cached record removes its
// resources, its index and the sync's checkpoints, and keeps what the user
// wrote (outbox, drafts), the profile's secrets, and the other profile.
func TestDropRecord(t *testing.T) {
	ctx := context.Background()
	dir, a, b := twoProfiles(t)
	s := reopenUnlocked(t, dir)
	if err := s.PutValue(ctx, a, "draft", []byte("Dear doctor")); err != nil {
		t.Fatal(err)
	}
	if err := s.DropRecord(ctx, a); err != nil {
		t.Fatal(err)
	}
	if has, err := s.HasResources(ctx, a); err != nil || has {
		t.Errorf("resources after DropRecord: %v, %v; want none", has, err)
	}
	if _, ok, err := s.Checkpoint(ctx, a, "since"); err != nil || ok {
		t.Errorf("checkpoint after DropRecord: %v, %v; want none", ok, err)
	}
	if v, err := s.Value(ctx, a, "draft"); err != nil || string(v) != "Dear doctor" {
		t.Errorf("draft after DropRecord = %q, %v; want it kept", v, err)
	}
	if items, err := s.Outbox(ctx, a); err != nil || len(items) != 1 {
		t.Errorf("outbox after DropRecord = %d items, %v; want 1", len(items), err)
	}
	if v, err := s.Secret(ctx, a, "token"); err != nil || string(v) != "secret-Ada" {
		t.Errorf("secret after DropRecord = %q, %v", v, err)
	}
	if st, err := s.SearchStatus(ctx, a); err != nil || !st.Built {
		t.Errorf("search index after DropRecord: %+v, %v; want an empty one, built", st, err)
	}
	var chunks int
	if err := rawDB(t, dir).QueryRow("SELECT count(*) FROM search_chunks WHERE profile = (SELECT num FROM profiles WHERE id = ?)", a).Scan(&chunks); err != nil || chunks != 0 {
		t.Errorf("%d search chunks left (%v)", chunks, err)
	}
	if c, err := s.Counts(ctx, b); err != nil || c["Observation"] != 2 {
		t.Errorf("the other profile: %v, %v", c, err)
	}
	if _, ok, err := s.Checkpoint(ctx, b, "since"); err != nil || !ok {
		t.Errorf("the other profile's checkpoint: %v, %v", ok, err)
	}
}
